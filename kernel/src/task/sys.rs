//! Simple identity syscalls; mirrors kernel/sys.c (`getpid`, `getppid`,
//! `newuname`).

use super::current;
use crate::arch::x86_64::uaccess::copy_to_user;
use crate::uapi::errno::KResult;

/// `__NEW_UTS_LEN + 1`.
const UTS_FIELD: usize = 65;

/// `getpid()`: the thread-group id.
pub fn sys_getpid() -> i64 {
    i64::from(current().tgid)
}

/// `getppid()`.
pub fn sys_getppid() -> i64 {
    i64::from(current().ppid())
}

/// `uname(buf)`: `struct new_utsname`, six 65-byte fields.
pub fn sys_newuname(buf: u64) -> KResult<i64> {
    let mut uts = [0u8; UTS_FIELD * 6];
    let fields = ["Linux", "tinymm", "6.12.0-tinymm", "#1", "x86_64", "(none)"];
    for (i, f) in fields.iter().enumerate() {
        uts[i * UTS_FIELD..i * UTS_FIELD + f.len()].copy_from_slice(f.as_bytes());
    }
    copy_to_user(buf, &uts)?;
    Ok(0)
}
