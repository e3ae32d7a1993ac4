//! Restarting and powering off; mirrors kernel/reboot.c (`sys_reboot`,
//! `kernel_power_off`, `kernel_halt`, `kernel_restart`).
//!
//! Every way out of the machine ends the QEMU run through
//! `arch::poweroff` (the isa-debug-exit device, see reboot.rs in arch/)
//! with a status for the host program: 0 for reboot(2)'s power-off, halt
//! and restart (QEMU runs with `-no-reboot`, so a restart is an end too),
//! pid 1's exit status when init exits (`do_exit`). Left out: the reboot
//! notifiers, device shutdown, kexec and hibernation (EINVAL, as on a
//! kernel built without them), CAP_SYS_BOOT (every task is root).

use core::sync::atomic::{AtomicBool, Ordering};

use crate::arch::x86_64 as arch;
use crate::arch::x86_64::uaccess::strncpy_from_user;
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::reboot::*;

/// `C_A_D`: whether Ctrl-Alt-Del restarts at once (the default) or is
/// sent to init as SIGINT. Kept for reboot(2); tinymm has no keyboard.
static C_A_D: AtomicBool = AtomicBool::new(true);

/// `kernel_power_off()`: the machine goes off; the run ends with
/// `status`.
#[inline(never)]
pub fn kernel_power_off(status: u8) -> ! {
    crate::println!("reboot: Power down");
    arch::poweroff(status)
}

/// `kernel_halt()`: Linux stops the CPUs with the power on; under QEMU
/// that is the end of the run as well.
#[inline(never)]
fn kernel_halt() -> ! {
    crate::println!("reboot: System halted");
    arch::poweroff(0)
}

/// `kernel_restart()`: Linux resets the machine; QEMU's `-no-reboot`
/// would turn the reset into an exit without a status, so the run ends
/// here with 0.
#[inline(never)]
fn kernel_restart(cmd: Option<&str>) -> ! {
    match cmd {
        None => crate::println!("reboot: Restarting system"),
        Some(cmd) => crate::println!("reboot: Restarting system with command '{cmd}'"),
    }
    arch::poweroff(0)
}

/// `reboot(magic1, magic2, cmd, arg)`: EINVAL unless both magic numbers
/// are Linux's and `cmd` is a command this kernel has.
#[inline(never)]
pub fn sys_reboot(magic1: u32, magic2: u32, cmd: u32, arg: u64) -> KResult<i64> {
    if magic1 != LINUX_REBOOT_MAGIC1
        || ![
            LINUX_REBOOT_MAGIC2,
            LINUX_REBOOT_MAGIC2A,
            LINUX_REBOOT_MAGIC2B,
            LINUX_REBOOT_MAGIC2C,
        ]
        .contains(&magic2)
    {
        return Err(Errno::EINVAL);
    }
    match cmd {
        LINUX_REBOOT_CMD_RESTART => kernel_restart(None),
        LINUX_REBOOT_CMD_CAD_ON => C_A_D.store(true, Ordering::Relaxed),
        LINUX_REBOOT_CMD_CAD_OFF => C_A_D.store(false, Ordering::Relaxed),
        LINUX_REBOOT_CMD_HALT => kernel_halt(),
        LINUX_REBOOT_CMD_POWER_OFF => kernel_power_off(0),
        LINUX_REBOOT_CMD_RESTART2 => {
            // Linux copies at most 255 bytes and cuts the rest.
            let mut buf = [0u8; 256];
            let len = match strncpy_from_user(&mut buf[..255], arg) {
                Ok(len) => len,
                Err(Errno::ENAMETOOLONG) => 255,
                Err(_) => return Err(Errno::EFAULT),
            };
            kernel_restart(Some(&alloc::string::String::from_utf8_lossy(&buf[..len])))
        }
        _ => return Err(Errno::EINVAL),
    }
    Ok(0)
}
