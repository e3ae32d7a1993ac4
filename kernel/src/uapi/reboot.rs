//! reboot(2)'s magic numbers and commands (include/uapi/linux/reboot.h).

/// `LINUX_REBOOT_MAGIC1`: the first argument must be this.
pub const LINUX_REBOOT_MAGIC1: u32 = 0xfee1_dead;
/// `LINUX_REBOOT_MAGIC2` (Linus's birthday) and its three alternatives
/// (his daughters'); the second argument must be one of them.
pub const LINUX_REBOOT_MAGIC2: u32 = 672_274_793;
pub const LINUX_REBOOT_MAGIC2A: u32 = 85_072_278;
pub const LINUX_REBOOT_MAGIC2B: u32 = 369_367_448;
pub const LINUX_REBOOT_MAGIC2C: u32 = 537_993_216;

/// Restart the system.
pub const LINUX_REBOOT_CMD_RESTART: u32 = 0x0123_4567;
/// Stop the OS and leave the machine powered (glibc's RB_HALT_SYSTEM).
pub const LINUX_REBOOT_CMD_HALT: u32 = 0xcdef_0123;
/// Ctrl-Alt-Del restarts at once.
pub const LINUX_REBOOT_CMD_CAD_ON: u32 = 0x89ab_cdef;
/// Ctrl-Alt-Del sends SIGINT to init (glibc's RB_DISABLE_CAD).
pub const LINUX_REBOOT_CMD_CAD_OFF: u32 = 0x0000_0000;
/// Stop the OS and power the machine off.
pub const LINUX_REBOOT_CMD_POWER_OFF: u32 = 0x4321_fedc;
/// Restart with a command string.
pub const LINUX_REBOOT_CMD_RESTART2: u32 = 0xa1b2_c3d4;
