//! x86_64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl): the
//! ones tinymm implements as constants, and every name of the table in
//! [`SYSCALL_NAMES`]. Dependency-free: `user/` includes this file.

pub const __NR_READ: usize = 0;
pub const __NR_WRITE: usize = 1;
pub const __NR_OPEN: usize = 2;
pub const __NR_CLOSE: usize = 3;
pub const __NR_FSTAT: usize = 5;
pub const __NR_POLL: usize = 7;
pub const __NR_LSEEK: usize = 8;
pub const __NR_MMAP: usize = 9;
pub const __NR_MPROTECT: usize = 10;
pub const __NR_MUNMAP: usize = 11;
pub const __NR_BRK: usize = 12;
pub const __NR_IOCTL: usize = 16;
pub const __NR_SELECT: usize = 23;
pub const __NR_SCHED_YIELD: usize = 24;
pub const __NR_MREMAP: usize = 25;
pub const __NR_MSYNC: usize = 26;
pub const __NR_MADVISE: usize = 28;
pub const __NR_NANOSLEEP: usize = 35;
pub const __NR_GETPID: usize = 39;
pub const __NR_EXECVE: usize = 59;
pub const __NR_EXIT: usize = 60;
pub const __NR_WAIT4: usize = 61;
pub const __NR_KILL: usize = 62;
pub const __NR_UNAME: usize = 63;
pub const __NR_FCNTL: usize = 72;
pub const __NR_STAT: usize = 4;
pub const __NR_LSTAT: usize = 6;
pub const __NR_NEWFSTATAT: usize = 262;
pub const __NR_STATX: usize = 332;
pub const __NR_READLINK: usize = 89;
pub const __NR_READLINKAT: usize = 267;
pub const __NR_GETDENTS64: usize = 217;
pub const __NR_GETCWD: usize = 79;
pub const __NR_CHDIR: usize = 80;
pub const __NR_FCHDIR: usize = 81;
pub const __NR_CHROOT: usize = 161;
pub const __NR_ACCESS: usize = 21;
pub const __NR_FACCESSAT: usize = 269;
pub const __NR_FACCESSAT2: usize = 439;
pub const __NR_SYMLINK: usize = 88;
pub const __NR_SYMLINKAT: usize = 266;
pub const __NR_LINK: usize = 86;
pub const __NR_LINKAT: usize = 265;
pub const __NR_UNLINK: usize = 87;
pub const __NR_UNLINKAT: usize = 263;
pub const __NR_RENAME: usize = 82;
pub const __NR_RENAMEAT: usize = 264;
pub const __NR_RENAMEAT2: usize = 316;
pub const __NR_MKDIRAT: usize = 258;
pub const __NR_MKNOD: usize = 133;
pub const __NR_MKNODAT: usize = 259;
pub const __NR_TRUNCATE: usize = 76;
pub const __NR_FTRUNCATE: usize = 77;
pub const __NR_PREAD64: usize = 17;
pub const __NR_PWRITE64: usize = 18;
pub const __NR_SENDFILE: usize = 40;
pub const __NR_UTIMENSAT: usize = 280;
pub const __NR_CHMOD: usize = 90;
pub const __NR_FCHMOD: usize = 91;
pub const __NR_FCHMODAT: usize = 268;
pub const __NR_CHOWN: usize = 92;
pub const __NR_FCHOWN: usize = 93;
pub const __NR_LCHOWN: usize = 94;
pub const __NR_FCHOWNAT: usize = 260;
pub const __NR_STATFS: usize = 137;
pub const __NR_FSTATFS: usize = 138;
pub const __NR_SYNC: usize = 162;
pub const __NR_SYNCFS: usize = 306;
pub const __NR_FSYNC: usize = 74;
pub const __NR_FDATASYNC: usize = 75;
pub const __NR_MOUNT: usize = 165;
pub const __NR_UMOUNT2: usize = 166;
pub const __NR_SWAPON: usize = 167;
pub const __NR_SWAPOFF: usize = 168;
pub const __NR_REBOOT: usize = 169;
pub const __NR_SETHOSTNAME: usize = 170;
pub const __NR_SETDOMAINNAME: usize = 171;
pub const __NR_CREAT: usize = 85;
pub const __NR_MKDIR: usize = 83;
pub const __NR_RMDIR: usize = 84;
pub const __NR_UMASK: usize = 95;
pub const __NR_GETTIMEOFDAY: usize = 96;
pub const __NR_GETRLIMIT: usize = 97;
pub const __NR_GETRUSAGE: usize = 98;
pub const __NR_SYSINFO: usize = 99;
pub const __NR_TIMES: usize = 100;
pub const __NR_GETUID: usize = 102;
pub const __NR_SYSLOG: usize = 103;
pub const __NR_GETGID: usize = 104;
pub const __NR_SETUID: usize = 105;
pub const __NR_SETGID: usize = 106;
pub const __NR_GETEUID: usize = 107;
pub const __NR_GETEGID: usize = 108;
pub const __NR_SETPGID: usize = 109;
pub const __NR_GETPPID: usize = 110;
pub const __NR_GETPGRP: usize = 111;
pub const __NR_SETSID: usize = 112;
pub const __NR_GETRESUID: usize = 118;
pub const __NR_GETRESGID: usize = 120;
pub const __NR_GETGROUPS: usize = 115;
pub const __NR_GETPGID: usize = 121;
pub const __NR_GETSID: usize = 124;
pub const __NR_SCHED_GETPARAM: usize = 143;
pub const __NR_SCHED_GETSCHEDULER: usize = 145;
pub const __NR_MLOCK: usize = 149;
pub const __NR_MUNLOCK: usize = 150;
pub const __NR_PRCTL: usize = 157;
pub const __NR_SETRLIMIT: usize = 160;
pub const __NR_TIME: usize = 201;
pub const __NR_FUTEX: usize = 202;
pub const __NR_SCHED_SETAFFINITY: usize = 203;
pub const __NR_SCHED_GETAFFINITY: usize = 204;
pub const __NR_CLOCK_GETTIME: usize = 228;
pub const __NR_CLOCK_GETRES: usize = 229;
pub const __NR_CLOCK_NANOSLEEP: usize = 230;
pub const __NR_EXIT_GROUP: usize = 231;
pub const __NR_OPENAT: usize = 257;
pub const __NR_READV: usize = 19;
pub const __NR_WRITEV: usize = 20;
pub const __NR_PIPE: usize = 22;
pub const __NR_PSELECT6: usize = 270;
pub const __NR_PPOLL: usize = 271;
pub const __NR_PIPE2: usize = 293;
pub const __NR_DUP: usize = 32;
pub const __NR_DUP2: usize = 33;
pub const __NR_DUP3: usize = 292;
pub const __NR_PAUSE: usize = 34;
// Processes, threads and signals.
pub const __NR_RT_SIGACTION: usize = 13;
pub const __NR_RT_SIGPROCMASK: usize = 14;
pub const __NR_RT_SIGRETURN: usize = 15;
pub const __NR_CLONE: usize = 56;
pub const __NR_FORK: usize = 57;
pub const __NR_VFORK: usize = 58;
pub const __NR_TKILL: usize = 200;
pub const __NR_SET_TID_ADDRESS: usize = 218;
pub const __NR_RESTART_SYSCALL: usize = 219;
pub const __NR_RT_SIGPENDING: usize = 127;
pub const __NR_RT_SIGTIMEDWAIT: usize = 128;
pub const __NR_RT_SIGSUSPEND: usize = 130;
pub const __NR_SIGALTSTACK: usize = 131;
pub const __NR_ARCH_PRCTL: usize = 158;
pub const __NR_GETTID: usize = 186;
pub const __NR_TGKILL: usize = 234;
pub const __NR_WAITID: usize = 247;
pub const __NR_SET_ROBUST_LIST: usize = 273;
pub const __NR_GET_ROBUST_LIST: usize = 274;
pub const __NR_RSEQ: usize = 334;
pub const __NR_CLONE3: usize = 435;
pub const __NR_PRLIMIT64: usize = 302;
pub const __NR_GETRANDOM: usize = 318;

/// Linux's name of every x86_64 syscall number below 463, "" for the
/// numbers the table leaves unused (335..=423).
pub const SYSCALL_NAMES: [&str; 463] = [
    "read",
    "write",
    "open",
    "close",
    "stat",
    "fstat",
    "lstat",
    "poll",
    "lseek",
    "mmap",
    "mprotect",
    "munmap",
    "brk",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "ioctl",
    "pread64",
    "pwrite64",
    "readv",
    "writev",
    "access",
    "pipe",
    "select",
    "sched_yield",
    "mremap",
    "msync",
    "mincore",
    "madvise",
    "shmget",
    "shmat",
    "shmctl",
    "dup",
    "dup2",
    "pause",
    "nanosleep",
    "getitimer",
    "alarm",
    "setitimer",
    "getpid",
    "sendfile",
    "socket",
    "connect",
    "accept",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "shutdown",
    "bind",
    "listen",
    "getsockname",
    "getpeername",
    "socketpair",
    "setsockopt",
    "getsockopt",
    "clone",
    "fork",
    "vfork",
    "execve",
    "exit",
    "wait4",
    "kill",
    "uname",
    "semget",
    "semop",
    "semctl",
    "shmdt",
    "msgget",
    "msgsnd",
    "msgrcv",
    "msgctl",
    "fcntl",
    "flock",
    "fsync",
    "fdatasync",
    "truncate",
    "ftruncate",
    "getdents",
    "getcwd",
    "chdir",
    "fchdir",
    "rename",
    "mkdir",
    "rmdir",
    "creat",
    "link",
    "unlink",
    "symlink",
    "readlink",
    "chmod",
    "fchmod",
    "chown",
    "fchown",
    "lchown",
    "umask",
    "gettimeofday",
    "getrlimit",
    "getrusage",
    "sysinfo",
    "times",
    "ptrace",
    "getuid",
    "syslog",
    "getgid",
    "setuid",
    "setgid",
    "geteuid",
    "getegid",
    "setpgid",
    "getppid",
    "getpgrp",
    "setsid",
    "setreuid",
    "setregid",
    "getgroups",
    "setgroups",
    "setresuid",
    "getresuid",
    "setresgid",
    "getresgid",
    "getpgid",
    "setfsuid",
    "setfsgid",
    "getsid",
    "capget",
    "capset",
    "rt_sigpending",
    "rt_sigtimedwait",
    "rt_sigqueueinfo",
    "rt_sigsuspend",
    "sigaltstack",
    "utime",
    "mknod",
    "uselib",
    "personality",
    "ustat",
    "statfs",
    "fstatfs",
    "sysfs",
    "getpriority",
    "setpriority",
    "sched_setparam",
    "sched_getparam",
    "sched_setscheduler",
    "sched_getscheduler",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_rr_get_interval",
    "mlock",
    "munlock",
    "mlockall",
    "munlockall",
    "vhangup",
    "modify_ldt",
    "pivot_root",
    "_sysctl",
    "prctl",
    "arch_prctl",
    "adjtimex",
    "setrlimit",
    "chroot",
    "sync",
    "acct",
    "settimeofday",
    "mount",
    "umount2",
    "swapon",
    "swapoff",
    "reboot",
    "sethostname",
    "setdomainname",
    "iopl",
    "ioperm",
    "create_module",
    "init_module",
    "delete_module",
    "get_kernel_syms",
    "query_module",
    "quotactl",
    "nfsservctl",
    "getpmsg",
    "putpmsg",
    "afs_syscall",
    "tuxcall",
    "security",
    "gettid",
    "readahead",
    "setxattr",
    "lsetxattr",
    "fsetxattr",
    "getxattr",
    "lgetxattr",
    "fgetxattr",
    "listxattr",
    "llistxattr",
    "flistxattr",
    "removexattr",
    "lremovexattr",
    "fremovexattr",
    "tkill",
    "time",
    "futex",
    "sched_setaffinity",
    "sched_getaffinity",
    "set_thread_area",
    "io_setup",
    "io_destroy",
    "io_getevents",
    "io_submit",
    "io_cancel",
    "get_thread_area",
    "lookup_dcookie",
    "epoll_create",
    "epoll_ctl_old",
    "epoll_wait_old",
    "remap_file_pages",
    "getdents64",
    "set_tid_address",
    "restart_syscall",
    "semtimedop",
    "fadvise64",
    "timer_create",
    "timer_settime",
    "timer_gettime",
    "timer_getoverrun",
    "timer_delete",
    "clock_settime",
    "clock_gettime",
    "clock_getres",
    "clock_nanosleep",
    "exit_group",
    "epoll_wait",
    "epoll_ctl",
    "tgkill",
    "utimes",
    "vserver",
    "mbind",
    "set_mempolicy",
    "get_mempolicy",
    "mq_open",
    "mq_unlink",
    "mq_timedsend",
    "mq_timedreceive",
    "mq_notify",
    "mq_getsetattr",
    "kexec_load",
    "waitid",
    "add_key",
    "request_key",
    "keyctl",
    "ioprio_set",
    "ioprio_get",
    "inotify_init",
    "inotify_add_watch",
    "inotify_rm_watch",
    "migrate_pages",
    "openat",
    "mkdirat",
    "mknodat",
    "fchownat",
    "futimesat",
    "newfstatat",
    "unlinkat",
    "renameat",
    "linkat",
    "symlinkat",
    "readlinkat",
    "fchmodat",
    "faccessat",
    "pselect6",
    "ppoll",
    "unshare",
    "set_robust_list",
    "get_robust_list",
    "splice",
    "tee",
    "sync_file_range",
    "vmsplice",
    "move_pages",
    "utimensat",
    "epoll_pwait",
    "signalfd",
    "timerfd_create",
    "eventfd",
    "fallocate",
    "timerfd_settime",
    "timerfd_gettime",
    "accept4",
    "signalfd4",
    "eventfd2",
    "epoll_create1",
    "dup3",
    "pipe2",
    "inotify_init1",
    "preadv",
    "pwritev",
    "rt_tgsigqueueinfo",
    "perf_event_open",
    "recvmmsg",
    "fanotify_init",
    "fanotify_mark",
    "prlimit64",
    "name_to_handle_at",
    "open_by_handle_at",
    "clock_adjtime",
    "syncfs",
    "sendmmsg",
    "setns",
    "getcpu",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "finit_module",
    "sched_setattr",
    "sched_getattr",
    "renameat2",
    "seccomp",
    "getrandom",
    "memfd_create",
    "kexec_file_load",
    "bpf",
    "execveat",
    "userfaultfd",
    "membarrier",
    "mlock2",
    "copy_file_range",
    "preadv2",
    "pwritev2",
    "pkey_mprotect",
    "pkey_alloc",
    "pkey_free",
    "statx",
    "io_pgetevents",
    "rseq",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "pidfd_send_signal",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "pidfd_open",
    "clone3",
    "close_range",
    "openat2",
    "pidfd_getfd",
    "faccessat2",
    "process_madvise",
    "epoll_pwait2",
    "mount_setattr",
    "quotactl_fd",
    "landlock_create_ruleset",
    "landlock_add_rule",
    "landlock_restrict_self",
    "memfd_secret",
    "process_mrelease",
    "futex_waitv",
    "set_mempolicy_home_node",
    "cachestat",
    "fchmodat2",
    "map_shadow_stack",
    "futex_wake",
    "futex_wait",
    "futex_requeue",
    "statmount",
    "listmount",
    "lsm_get_self_attr",
    "lsm_set_self_attr",
    "lsm_list_modules",
    "mseal",
];

/// The name of syscall `nr`, if Linux's table has one.
pub fn syscall_name(nr: usize) -> Option<&'static str> {
    SYSCALL_NAMES.get(nr).copied().filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_linux_s_table() {
        assert_eq!(syscall_name(0), Some("read"));
        assert_eq!(syscall_name(56), Some("clone"));
        assert_eq!(syscall_name(59), Some("execve"));
        assert_eq!(syscall_name(158), Some("arch_prctl"));
        assert_eq!(syscall_name(202), Some("futex"));
        assert_eq!(syscall_name(231), Some("exit_group"));
        assert_eq!(syscall_name(273), Some("set_robust_list"));
        assert_eq!(syscall_name(302), Some("prlimit64"));
        assert_eq!(syscall_name(318), Some("getrandom"));
        assert_eq!(syscall_name(334), Some("rseq"));
        assert_eq!(syscall_name(335), None);
        assert_eq!(syscall_name(423), None);
        assert_eq!(syscall_name(424), Some("pidfd_send_signal"));
        assert_eq!(syscall_name(435), Some("clone3"));
        assert_eq!(syscall_name(439), Some("faccessat2"));
        assert_eq!(syscall_name(447), Some("memfd_secret"));
        assert_eq!(syscall_name(449), Some("futex_waitv"));
        assert_eq!(syscall_name(462), Some("mseal"));
        assert_eq!(syscall_name(463), None);
    }

    #[test]
    fn constants_agree_with_the_names() {
        for (nr, name) in [
            (__NR_READ, "read"),
            (__NR_GETRANDOM, "getrandom"),
            (__NR_FUTEX, "futex"),
            (__NR_PRLIMIT64, "prlimit64"),
            (__NR_CLOCK_NANOSLEEP, "clock_nanosleep"),
            (__NR_GETRESGID, "getresgid"),
            (__NR_SCHED_GETAFFINITY, "sched_getaffinity"),
            (__NR_UNAME, "uname"),
            (__NR_SETHOSTNAME, "sethostname"),
            (__NR_SETDOMAINNAME, "setdomainname"),
            (__NR_OPENAT, "openat"),
        ] {
            assert_eq!(SYSCALL_NAMES[nr], name);
        }
    }
}
