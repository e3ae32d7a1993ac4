//! sync, syncfs, fsync and fdatasync (fs/sync.c). Nothing is written
//! back yet: tmpfs and the initramfs root have no backing store, so
//! every file's data are as durable as they will get, and the calls
//! only check their descriptor.

use crate::task::current_files;
use crate::uapi::errno::KResult;

/// `sync()`.
pub fn sys_sync() -> i64 {
    0
}

/// `syncfs()`: EBADF for a bad descriptor.
pub fn sys_syncfs(fd: i32) -> KResult<u64> {
    current_files().get(fd)?;
    Ok(0)
}

/// `do_fsync()`: EINVAL for files without `fsync` (pipes, ttys, pseudo
/// files), as Linux.
pub fn do_fsync(fd: i32) -> KResult<u64> {
    let file = current_files().get(fd)?;
    file.ops().fsync(&file)?;
    Ok(0)
}
