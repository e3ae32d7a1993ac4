//! The system's names (`init_uts_ns`, include/linux/utsname.h): what
//! uname(2) reports, `sethostname`/`setdomainname` (kernel/sys.c) and
//! `/proc/sys/kernel/{hostname,domainname,ostype,osrelease,version}`
//! (kernel/utsname_sysctl.c). One UTS namespace.

use alloc::string::String;

use crate::arch::x86_64::uaccess::{copy_from_user, copy_to_user};
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};

/// `__NEW_UTS_LEN`: a name's longest length; each field has a NUL more.
pub const NEW_UTS_LEN: usize = 64;
const UTS_FIELD: usize = NEW_UTS_LEN + 1;

pub const UTS_SYSNAME: &str = "Linux";
pub const UTS_RELEASE: &str = "6.12.0-tinymm";
pub const UTS_VERSION: &str = "#1";
pub const UTS_MACHINE: &str = "x86_64";

/// The two names that can change: (`nodename`, `domainname`).
static UTS_NAMES: SpinLock<(UtsField, UtsField)> =
    SpinLock::new((UtsField::new(b"tinymm"), UtsField::new(b"(none)")));

/// One NUL-padded name.
#[derive(Clone, Copy)]
struct UtsField([u8; UTS_FIELD]);

impl UtsField {
    const fn new(name: &[u8]) -> Self {
        let mut f = [0u8; UTS_FIELD];
        let mut i = 0;
        while i < name.len() && i < NEW_UTS_LEN {
            f[i] = name[i];
            i += 1;
        }
        Self(f)
    }

    fn as_str(&self) -> String {
        let len = self.0.iter().position(|&b| b == 0).unwrap_or(NEW_UTS_LEN);
        String::from_utf8_lossy(&self.0[..len]).into_owned()
    }
}

/// `utsname()->nodename`.
pub fn nodename() -> String {
    UTS_NAMES.lock_irqsave().0.as_str()
}

/// `utsname()->domainname`.
pub fn domainname() -> String {
    UTS_NAMES.lock_irqsave().1.as_str()
}

/// Sets the host name (`domain` false) or the domain name to `name`
/// (at most `NEW_UTS_LEN` bytes, checked by the callers).
pub fn set_uts_name(domain: bool, name: &[u8]) {
    let field = UtsField::new(name);
    let mut names = UTS_NAMES.lock_irqsave();
    if domain {
        names.1 = field;
    } else {
        names.0 = field;
    }
}

/// `uname(buf)`: `struct new_utsname`, six 65-byte fields.
pub fn sys_newuname(buf: u64) -> KResult<i64> {
    let (node, domain) = *UTS_NAMES.lock_irqsave();
    let mut uts = [0u8; UTS_FIELD * 6];
    let fields = [
        UtsField::new(UTS_SYSNAME.as_bytes()),
        node,
        UtsField::new(UTS_RELEASE.as_bytes()),
        UtsField::new(UTS_VERSION.as_bytes()),
        UtsField::new(UTS_MACHINE.as_bytes()),
        domain,
    ];
    for (chunk, f) in uts.as_chunks_mut::<UTS_FIELD>().0.iter_mut().zip(fields) {
        *chunk = f.0;
    }
    copy_to_user(buf, &uts)?;
    Ok(0)
}

/// `sethostname(name, len)` / `setdomainname(name, len)`: EINVAL for a
/// length outside 0..=64, EFAULT for a bad pointer (every task is root,
/// so there is no EPERM).
pub fn sys_sethostname(domain: bool, name: u64, len: i32) -> KResult<i64> {
    let len = usize::try_from(len).map_err(|_| Errno::EINVAL)?;
    if len > NEW_UTS_LEN {
        return Err(Errno::EINVAL);
    }
    let mut buf = [0u8; NEW_UTS_LEN];
    copy_from_user(&mut buf[..len], name)?;
    set_uts_name(domain, &buf[..len]);
    Ok(0)
}
