//! The memory character devices of drivers/char/mem.c — `/dev/null`
//! (1:3), `/dev/zero` (1:5), `/dev/full` (1:7) — and drivers/char/random.c's
//! `/dev/random` (1:8) and `/dev/urandom` (1:9), which read the CRNG and
//! mix what is written into it. The ttys are drivers/tty's.

use alloc::sync::Arc;

use super::file::File;
use super::{FileOps, FileType, Inode, get_next_ino};
use crate::drivers::tty::tty_io::makedev;
use crate::uapi::errno::{Errno, KResult};

/// `MEM_MAJOR`.
const MEM_MAJOR: u32 = 1;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum MemDevice {
    Null,
    Zero,
    Full,
    Random,
    Urandom,
}

impl MemDevice {
    /// The minor number in `devlist[]`.
    fn minor(self) -> u32 {
        match self {
            MemDevice::Null => 3,
            MemDevice::Zero => 5,
            MemDevice::Full => 7,
            MemDevice::Random => 8,
            MemDevice::Urandom => 9,
        }
    }
}

/// A device node of major 1.
pub struct MemInode {
    ino: u64,
    dev: MemDevice,
}

impl MemInode {
    pub fn new(dev: MemDevice) -> Arc<Self> {
        Arc::new(Self {
            ino: get_next_ino(),
            dev,
        })
    }
}

impl Inode for MemInode {
    fn file_type(&self) -> FileType {
        FileType::Chr
    }
    fn ino(&self) -> u64 {
        self.ino
    }
    fn mode(&self) -> u32 {
        0o666
    }
    fn rdev(&self) -> u32 {
        makedev(MEM_MAJOR, self.dev.minor())
    }
    fn open(&self, _write: bool) -> KResult<Arc<dyn FileOps>> {
        Ok(Arc::new(MemFile(self.dev)))
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
            super::file::filp_open("/dev/console", crate::uapi::fcntl::O_RDWR)?,
        );
    }
    Ok(files)
}
