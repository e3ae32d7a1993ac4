//! ioctl(2); mirrors fs/ioctl.c: `do_vfs_ioctl` handles the generic
//! commands (FIOCLEX, FIONCLEX, FIONBIO, FIOASYNC, FIONREAD of regular
//! files) and hands the rest to the file (`vfs_ioctl`), which without an
//! ioctl of its own answers ENOTTY.

use crate::arch::x86_64::uaccess::{copy_from_user, copy_to_user};
use crate::fs::FileType;
use crate::task::current_files;
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::fcntl::{FASYNC, O_NONBLOCK};
use crate::uapi::termbits::{FIOASYNC, FIOCLEX, FIONBIO, FIONCLEX, FIONREAD};

fn get_int(arg: u64) -> KResult<i32> {
    let mut b = [0u8; 4];
    copy_from_user(&mut b, arg)?;
    Ok(i32::from_ne_bytes(b))
}

/// `ioctl(fd, cmd, arg)` (`do_vfs_ioctl` + `vfs_ioctl`).
#[inline(never)]
pub fn sys_ioctl(fd: i32, cmd: u32, arg: u64) -> KResult<u64> {
    let files = current_files();
    let file = files.get(fd)?;
    match cmd {
        FIOCLEX => files.set_close_on_exec(fd, true).map(|()| 0),
        FIONCLEX => files.set_close_on_exec(fd, false).map(|()| 0),
        // `ioctl_fionbio()`.
        FIONBIO => {
            let on = get_int(arg)? != 0;
            let flags = file.f_flags();
            file.setfl(if on {
                flags | O_NONBLOCK
            } else {
                flags & !O_NONBLOCK
            });
            Ok(0)
        }
        // `ioctl_fioasync()`: turning O_ASYNC on or off needs the file's
        // `fasync`, which no file here has (there is no SIGIO).
        FIOASYNC => {
            let on = get_int(arg)? != 0;
            if on == (file.f_flags() & FASYNC != 0) {
                Ok(0)
            } else {
                Err(Errno::ENOTTY)
            }
        }
        // Regular files: the bytes from the position to the end.
        FIONREAD if file.inode().file_type() == FileType::Reg => {
            let left = file.inode().size().saturating_sub(file.pos()) as i32;
            copy_to_user(arg, &left.to_ne_bytes()).map(|()| 0)
        }
        _ => file.ioctl(cmd, arg),
    }
}
