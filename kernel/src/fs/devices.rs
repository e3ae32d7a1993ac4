//! The memory character devices of drivers/char/mem.c — `/dev/null`
//! (1:3), `/dev/zero` (1:5), `/dev/full` (1:7) — and drivers/char/random.c's
//! `/dev/random` (1:8) and `/dev/urandom` (1:9), which read the CRNG and
//! mix what is written into it, and printk's /dev/kmsg (1:11). The ttys
//! are drivers/tty's.

use alloc::sync::Arc;

use super::char_dev::register_chrdev;
use super::file::File;
use super::{DevT, FileOps};
use crate::uapi::errno::{Errno, KResult};

/// `MEM_MAJOR`.
const MEM_MAJOR: u32 = 1;

#[derive(Clone, Copy, PartialEq, Eq)]
enum MemDevice {
    Null,
    Zero,
    Full,
    Random,
    Urandom,
}

impl MemDevice {
    /// The device of a minor number in `devlist[]`.
    fn from_minor(minor: u32) -> Option<Self> {
        Some(match minor {
            3 => MemDevice::Null,
            5 => MemDevice::Zero,
            7 => MemDevice::Full,
            8 => MemDevice::Random,
            9 => MemDevice::Urandom,
            _ => return None,
        })
    }
}

/// `memory_open()`: the device `devlist[]` has at the minor, ENXIO for
/// the others (there is no /dev/mem or /dev/port).
fn memory_open(dev: DevT, flags: u32) -> KResult<Arc<dyn FileOps>> {
    if dev.minor == 11 {
        return crate::printk::devkmsg::devkmsg_open(dev, flags);
    }
    let d = MemDevice::from_minor(dev.minor).ok_or(Errno::ENXIO)?;
    Ok(Arc::new(MemFile(d)))
}

/// `chr_dev_init()`: major 1 for the memory devices and /dev/kmsg (1:11).
pub fn chr_dev_init() {
    register_chrdev(MEM_MAJOR, 0..256, "mem", memory_open).expect("mem registered twice");
    // The nodes devtmpfs shows, with Linux's names and modes (`devlist[]`).
    for (name, mode, minor) in [
        ("null", 0o666, 3),
        ("zero", 0o666, 5),
        ("full", 0o666, 7),
        ("random", 0o666, 8),
        ("urandom", 0o666, 9),
        ("kmsg", 0o644, 11),
    ] {
        devtmpfs_node(name, mode, DevT::new(MEM_MAJOR, minor));
    }
}

/// `device_create()`'s devtmpfs part; a failure is logged, as Linux's.
pub fn devtmpfs_node(name: &str, mode: u32, dev: DevT) {
    if let Err(e) = super::devtmpfs::devtmpfs_create_node(name, mode, dev) {
        log::error!("devtmpfs: {name}: {e:?}");
    }
}

struct MemFile(MemDevice);

impl FileOps for MemFile {
    /// `read_null`, `read_iter_zero`, `urandom_read_iter`.
    fn read(&self, _file: &File, _pos: u64, buf: &mut [u8]) -> KResult<usize> {
        match self.0 {
            MemDevice::Null => Ok(0),
            MemDevice::Zero | MemDevice::Full => {
                buf.fill(0);
                Ok(buf.len())
            }
            MemDevice::Random | MemDevice::Urandom => {
                crate::task::sys::get_random_bytes(buf);
                Ok(buf.len())
            }
        }
    }

    /// `write_null`, `write_full` (ENOSPC), `random_write_iter`.
    fn write(&self, _file: &File, _pos: u64, buf: &[u8]) -> KResult<usize> {
        match self.0 {
            MemDevice::Null | MemDevice::Zero => Ok(buf.len()),
            MemDevice::Full => Err(Errno::ENOSPC),
            MemDevice::Random | MemDevice::Urandom => {
                crate::task::sys::add_device_randomness(buf);
                Ok(buf.len())
            }
        }
    }
}

/// Descriptors 0, 1 and 2 on the console, as a task started from the
/// console has them.
pub fn console_files() -> KResult<super::file::FilesStruct> {
    let files = super::file::FilesStruct::default();
    for fd in 0..3 {
        files.install(
            fd,
            super::file::filp_open("/dev/console", crate::uapi::fcntl::O_RDWR, 0)?,
        );
    }
    Ok(files)
}
