/* fuzz: a trinity-like random-syscall test. It makes CALLS raw syscalls
 * (default 100000) with random arguments drawn from interesting values —
 * 0, 1, -1, small and huge numbers, flag words with random bits, its own
 * mappings (aligned and not, read-only, PROT_NONE, just before a guard
 * page), kernel and non-canonical addresses, NULL, huge lengths, paths,
 * and descriptors it opened (/dev/null, a pipe, /proc files, a cgroup's
 * files) — and says what came back: how many calls succeeded, how many
 * failed with each errno, how many fuzzing children died of which signal
 * and which calls hung. The counts differ between Linux and tinymm; what
 * matters is that the kernel survives (and, on tinymm, that nothing is
 * lost afterwards: tests/fuzz.rs).
 *
 *   fuzz [--host] [--verbose] [--cgroup DIR] [--skip NR,...]
 *        [SEED [CALLS [FIRST]]]
 *
 * The first line is `seed SEED` (SEED 0 or none: from the clock). Call
 * number i (FIRST, FIRST+1, ...) draws its syscall and arguments from a
 * generator seeded with (SEED, i) and what the run learnt so far (the
 * numbers that only gave ENOSYS are mostly drawn again), so a run is
 * reproduced by its seed on the same kernel. The calls run in
 * a forked child, SEGMENT calls per child, so a fatal signal or a hang
 * ends only that child: the parent learns of every call through a pipe
 * (descriptor PROGRESS_FD, never handed to a call), kills a child that
 * made no progress for HANG_SECS, and starts the next child at the call
 * after the one that killed or wedged the last. --verbose logs each call
 * before it is made (on the parent's stderr), for finding the call that
 * crashes a kernel. --cgroup names the cgroup whose memory files join the
 * descriptors (default /sys/fs/cgroup). --skip lists syscall numbers not
 * to make (a known bug a test steps around until it is fixed).
 *
 * --host is for running on the host's Linux: the parent drops to nobody
 * (when root), caps its address space, file size and core size, works in
 * a directory it makes in the current one, and the syscalls that change
 * the machine for others even as nobody are not made (see HOST below).
 *
 * What is never called, or only with sanitised arguments, because it
 * would end or wedge the test itself rather than test the kernel:
 *   exit, exit_group      end the child; its end is the parent's business.
 *   rt_sigreturn          restores registers from whatever the stack holds:
 *                         it never returns to the fuzzer.
 *   pause, rt_sigsuspend  wait for a signal nobody sends.
 *   ptrace                PTRACE_TRACEME makes the parent a tracer: the
 *                         child would stop at every signal.
 *   seccomp, prctl(PR_SET_SECCOMP)  a random filter kills or fails every
 *                         later call, the progress writes included.
 *   reboot, kexec_load, kexec_file_load, init_module, finit_module,
 *   delete_module         end or change the kernel under test.
 *   mount, umount2, pivot_root, move_mount, mount_setattr, fspick,
 *   swapon, swapoff, acct change what the test reads afterwards (/proc,
 *                         /sys/fs/cgroup) or the machine's memory.
 *   fork, vfork, clone, clone3  made through spawn(), whose child calls
 *                         exit at once without touching memory (a child
 *                         sharing our stack must not run C code).
 *   execve, execveat      only with paths that cannot be executed (a real
 *                         program would replace the fuzzer); no
 *                         AT_EMPTY_PATH.
 *   kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo, fcntl
 *   F_SETOWN, pidfd_open  pids are the child's own, its process group (it
 *                         leads its own session), or ones that do not
 *                         exist: never -1, the parent or pid 1.
 *   prlimit64, sched_set*, setpriority, migrate_pages, move_pages,
 *   process_vm_*          pid 0, our own, or none that exists.
 *   setrlimit, prlimit64  never lower a limit the fuzzer needs (files,
 *                         address space, data, stack, processes, CPU,
 *                         file size, ...).
 *   munmap, mprotect, madvise, mremap, mmap(MAP_FIXED), shmat, mlock,
 *   remap_file_pages, pkey_mprotect, mseal, ...  only inside the scratch
 *                         area or mappings the fuzzer made, or ranges the
 *                         kernel must refuse: the fuzzer's text, data,
 *                         stack and argument area stay intact.
 *   brk                   never below the current break (malloc's heap).
 *   arch_prctl(ARCH_SET_FS)  the fuzzer's TLS (errno, stack protector).
 *   nanosleep, clock_nanosleep, futex, poll, ppoll, select, pselect6,
 *   epoll_wait*, rt_sigtimedwait, io_getevents, mq_timed*, recvmmsg,
 *   futex_waitv, futex_wait  timeouts of at most 1 ms (or bad pointers),
 *                         never NULL (forever).
 *   close, close_range, dup2, dup3  never PROGRESS_FD or LOG_FD.
 *   syslog                only actions that read without waiting.
 *   rt_sigaction          a returning handler only for asynchronous
 *                         signals (a fault retried forever is a wedge).
 * Anything else that blocks (a read of an empty pipe, a lock) is what
 * the parent's watchdog is for.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SEGMENT 1000
#define HANG_SECS 1
/* After this long without progress the child gets SIGALRM first, which
 * it catches without SA_RESTART: a call waiting for nothing returns
 * EINTR (trinity's alarm). */
#define NUDGE_NS 50000000ULL
#define PROGRESS_FD 1000
#define LOG_FD 1001
#define PAGE 4096ULL
#define ARG_SZ (64 * 1024ULL)
#define SLOT_SZ 4096ULL
#define SCRATCH_SZ (256 * PAGE)
#define NR_MAX 463

#define PAGE_OFFSET 0xffff888000000000ULL
#define KERNEL_BASE 0xffffffff80000000ULL
#define VMALLOC_START 0xffffc90000000000ULL
#define NONEXISTENT_PID 0x3ffffff0ULL

/* --- raw syscalls -------------------------------------------------- */

static long raw6(long nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		 uint64_t e, uint64_t f)
{
	register uint64_t r10 __asm__("r10") = d;
	register uint64_t r8 __asm__("r8") = e;
	register uint64_t r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define raw(nr, a, b, c) raw6((nr), (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), 0, 0, 0)

/* A process- or thread-creating call whose child calls exit(0) at once,
 * touching neither memory nor the stack (it may share ours). */
static long spawn(long nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		  uint64_t e)
{
	register uint64_t r10 __asm__("r10") = d;
	register uint64_t r8 __asm__("r8") = e;
	long ret;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov $60, %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "syscall\n\t"
			 "ud2\n"
			 "1:"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}

/* The handler rt_sigaction may install, and its restorer. */
static void fuzz_handler(int sig)
{
	(void)sig;
}

void fuzz_restorer(void);
__asm__(".text\n"
	".type fuzz_restorer, @function\n"
	"fuzz_restorer:\n\t"
	"mov $15, %eax\n\t"
	"syscall\n\t"
	"ud2\n");

/* --- the syscalls and their arguments ------------------------------ */

/* Argument kinds: f fd, F fd a call may replace (dup2's newfd), p path,
 * b buffer, V iovec array, l length, o offset, i int, x flags, u uid,
 * A address for a memory call and L its length, K pid a signal goes to,
 * P pid a call changes, r any pid, n signal, c clock, t timespec and T
 * timeval pointer (short timeouts), w poll timeout in ms, z sigset size,
 * C clock for clock_nanosleep (no CPU clock: sleeping on our own never
 * ends), N flags that mostly include O_NONBLOCK (fewer reads that wait
 * for the watchdog), ? anything. */
#define EXCL 1 /* never called */
#define HOST 2 /* not called with --host: changes the host for others */
#define SPECIAL 4 /* arguments built by build_special() */
#define RETFD 8 /* a descriptor on success: it joins the pool */

struct spec {
	const char *name;
	const char *args;
	unsigned flags;
};

static const struct spec specs[NR_MAX] = {
	[0] = {"read", "fbl", 0},
	[1] = {"write", "fbl", 0},
	[2] = {"open", "pNi", RETFD},
	[3] = {"close", "F", 0},
	[4] = {"stat", "pb", 0},
	[5] = {"fstat", "fb", 0},
	[6] = {"lstat", "pb", 0},
	[7] = {"poll", "blw", 0},
	[8] = {"lseek", "foi", 0},
	[9] = {"mmap", "", SPECIAL},
	[10] = {"mprotect", "ALx", 0},
	[11] = {"munmap", "AL", 0},
	[12] = {"brk", "", SPECIAL},
	[13] = {"rt_sigaction", "", SPECIAL},
	[14] = {"rt_sigprocmask", "ibbz", 0},
	[15] = {"rt_sigreturn", "", EXCL},
	[16] = {"ioctl", "fxb", 0},
	[17] = {"pread64", "fblo", 0},
	[18] = {"pwrite64", "fblo", 0},
	[19] = {"readv", "fVi", 0},
	[20] = {"writev", "fVi", 0},
	[21] = {"access", "px", 0},
	[22] = {"pipe", "b", 0},
	[23] = {"select", "ibbbT", 0},
	[24] = {"sched_yield", "", 0},
	[25] = {"mremap", "", SPECIAL},
	[26] = {"msync", "ALx", 0},
	[27] = {"mincore", "ALb", 0},
	[28] = {"madvise", "ALx", 0},
	[29] = {"shmget", "ilx", HOST},
	[30] = {"shmat", "", SPECIAL | HOST},
	[31] = {"shmctl", "iib", HOST},
	[32] = {"dup", "f", RETFD},
	[33] = {"dup2", "fF", RETFD},
	[34] = {"pause", "", EXCL},
	[35] = {"nanosleep", "tb", 0},
	[36] = {"getitimer", "ib", 0},
	[37] = {"alarm", "i", 0},
	[38] = {"setitimer", "ibb", 0},
	[39] = {"getpid", "", 0},
	[40] = {"sendfile", "ffbl", 0},
	[41] = {"socket", "iii", RETFD | HOST},
	[42] = {"connect", "fbl", HOST},
	[43] = {"accept", "fbb", RETFD | HOST},
	[44] = {"sendto", "fblxbl", HOST},
	[45] = {"recvfrom", "fblxbb", HOST},
	[46] = {"sendmsg", "fbx", HOST},
	[47] = {"recvmsg", "fbx", HOST},
	[48] = {"shutdown", "fi", HOST},
	[49] = {"bind", "fbl", HOST},
	[50] = {"listen", "fi", HOST},
	[51] = {"getsockname", "fbb", HOST},
	[52] = {"getpeername", "fbb", HOST},
	[53] = {"socketpair", "iiib", HOST},
	[54] = {"setsockopt", "fiibl", HOST},
	[55] = {"getsockopt", "fiibb", HOST},
	[56] = {"clone", "", SPECIAL},
	[57] = {"fork", "", SPECIAL},
	[58] = {"vfork", "", SPECIAL},
	[59] = {"execve", "", SPECIAL},
	[60] = {"exit", "", EXCL},
	[61] = {"wait4", "rbxb", 0},
	[62] = {"kill", "Kn", 0},
	[63] = {"uname", "b", 0},
	[64] = {"semget", "iix", HOST},
	[65] = {"semop", "ibl", HOST},
	[66] = {"semctl", "iiib", HOST},
	[67] = {"shmdt", "A", HOST},
	[68] = {"msgget", "ix", HOST},
	[69] = {"msgsnd", "iblx", HOST},
	[70] = {"msgrcv", "ibllx", HOST},
	[71] = {"msgctl", "iib", HOST},
	[72] = {"fcntl", "", SPECIAL | RETFD},
	[73] = {"flock", "fx", 0},
	[74] = {"fsync", "f", 0},
	[75] = {"fdatasync", "f", 0},
	[76] = {"truncate", "po", 0},
	[77] = {"ftruncate", "fo", 0},
	[78] = {"getdents", "fbl", 0},
	[79] = {"getcwd", "bl", 0},
	[80] = {"chdir", "p", 0},
	[81] = {"fchdir", "f", 0},
	[82] = {"rename", "pp", 0},
	[83] = {"mkdir", "px", 0},
	[84] = {"rmdir", "p", 0},
	[85] = {"creat", "px", RETFD},
	[86] = {"link", "pp", 0},
	[87] = {"unlink", "p", 0},
	[88] = {"symlink", "pp", 0},
	[89] = {"readlink", "pbl", 0},
	[90] = {"chmod", "px", 0},
	[91] = {"fchmod", "fx", 0},
	[92] = {"chown", "puu", 0},
	[93] = {"fchown", "fuu", 0},
	[94] = {"lchown", "puu", 0},
	[95] = {"umask", "x", 0},
	[96] = {"gettimeofday", "bb", 0},
	[97] = {"getrlimit", "ib", 0},
	[98] = {"getrusage", "ib", 0},
	[99] = {"sysinfo", "b", 0},
	[100] = {"times", "b", 0},
	[101] = {"ptrace", "", EXCL},
	[102] = {"getuid", "", 0},
	[103] = {"syslog", "", SPECIAL},
	[104] = {"getgid", "", 0},
	[105] = {"setuid", "u", 0},
	[106] = {"setgid", "u", 0},
	[107] = {"geteuid", "", 0},
	[108] = {"getegid", "", 0},
	[109] = {"setpgid", "PP", 0},
	[110] = {"getppid", "", 0},
	[111] = {"getpgrp", "", 0},
	[112] = {"setsid", "", 0},
	[113] = {"setreuid", "uu", 0},
	[114] = {"setregid", "uu", 0},
	[115] = {"getgroups", "ib", 0},
	[116] = {"setgroups", "lb", 0},
	[117] = {"setresuid", "uuu", 0},
	[118] = {"getresuid", "bbb", 0},
	[119] = {"setresgid", "uuu", 0},
	[120] = {"getresgid", "bbb", 0},
	[121] = {"getpgid", "r", 0},
	[122] = {"setfsuid", "u", 0},
	[123] = {"setfsgid", "u", 0},
	[124] = {"getsid", "r", 0},
	[125] = {"capget", "bb", 0},
	[126] = {"capset", "bb", 0},
	[127] = {"rt_sigpending", "bz", 0},
	[128] = {"rt_sigtimedwait", "bbtz", 0},
	[129] = {"rt_sigqueueinfo", "Knb", 0},
	[130] = {"rt_sigsuspend", "", EXCL},
	[131] = {"sigaltstack", "bb", 0},
	[132] = {"utime", "pb", 0},
	[133] = {"mknod", "pxi", 0},
	[134] = {"uselib", "p", 0},
	[135] = {"personality", "x", 0},
	[136] = {"ustat", "ib", 0},
	[137] = {"statfs", "pb", 0},
	[138] = {"fstatfs", "fb", 0},
	[139] = {"sysfs", "ibb", 0},
	[140] = {"getpriority", "ir", 0},
	[141] = {"setpriority", "", SPECIAL | HOST},
	[142] = {"sched_setparam", "Pb", 0},
	[143] = {"sched_getparam", "rb", 0},
	[144] = {"sched_setscheduler", "Pib", 0},
	[145] = {"sched_getscheduler", "r", 0},
	[146] = {"sched_get_priority_max", "i", 0},
	[147] = {"sched_get_priority_min", "i", 0},
	[148] = {"sched_rr_get_interval", "rb", 0},
	[149] = {"mlock", "AL", 0},
	[150] = {"munlock", "AL", 0},
	[151] = {"mlockall", "x", 0},
	[152] = {"munlockall", "", 0},
	[153] = {"vhangup", "", 0},
	[154] = {"modify_ldt", "ibl", 0},
	[155] = {"pivot_root", "", EXCL},
	[156] = {"_sysctl", "b", 0},
	[157] = {"prctl", "", SPECIAL},
	[158] = {"arch_prctl", "", SPECIAL},
	[159] = {"adjtimex", "b", HOST},
	[160] = {"setrlimit", "", SPECIAL},
	[161] = {"chroot", "p", 0},
	[162] = {"sync", "", 0},
	[163] = {"acct", "", EXCL},
	[164] = {"settimeofday", "bb", HOST},
	[165] = {"mount", "", EXCL},
	[166] = {"umount2", "", EXCL},
	[167] = {"swapon", "", EXCL},
	[168] = {"swapoff", "", EXCL},
	[169] = {"reboot", "", EXCL},
	[170] = {"sethostname", "bl", HOST},
	[171] = {"setdomainname", "bl", HOST},
	[172] = {"iopl", "i", HOST},
	[173] = {"ioperm", "lli", HOST},
	[174] = {"create_module", "pl", 0},
	[175] = {"init_module", "", EXCL},
	[176] = {"delete_module", "", EXCL},
	[177] = {"get_kernel_syms", "b", 0},
	[178] = {"query_module", "pibl", 0},
	[179] = {"quotactl", "ipib", HOST},
	[180] = {"nfsservctl", "ibb", 0},
	[181] = {"getpmsg", "?????", 0},
	[182] = {"putpmsg", "?????", 0},
	[183] = {"afs_syscall", "?????", 0},
	[184] = {"tuxcall", "?????", 0},
	[185] = {"security", "?????", 0},
	[186] = {"gettid", "", 0},
	[187] = {"readahead", "fol", 0},
	[188] = {"setxattr", "ppblx", 0},
	[189] = {"lsetxattr", "ppblx", 0},
	[190] = {"fsetxattr", "fpblx", 0},
	[191] = {"getxattr", "ppbl", 0},
	[192] = {"lgetxattr", "ppbl", 0},
	[193] = {"fgetxattr", "fpbl", 0},
	[194] = {"listxattr", "pbl", 0},
	[195] = {"llistxattr", "pbl", 0},
	[196] = {"flistxattr", "fbl", 0},
	[197] = {"removexattr", "pp", 0},
	[198] = {"lremovexattr", "pp", 0},
	[199] = {"fremovexattr", "fp", 0},
	[200] = {"tkill", "Kn", 0},
	[201] = {"time", "b", 0},
	[202] = {"futex", "", SPECIAL},
	[203] = {"sched_setaffinity", "Plb", 0},
	[204] = {"sched_getaffinity", "rlb", 0},
	[205] = {"set_thread_area", "b", 0},
	[206] = {"io_setup", "ib", 0},
	[207] = {"io_destroy", "i", 0},
	[208] = {"io_getevents", "iiibt", 0},
	[209] = {"io_submit", "iib", 0},
	[210] = {"io_cancel", "ibb", 0},
	[211] = {"get_thread_area", "b", 0},
	[212] = {"lookup_dcookie", "ibl", 0},
	[213] = {"epoll_create", "i", RETFD},
	[214] = {"epoll_ctl_old", "?????", 0},
	[215] = {"epoll_wait_old", "?????", 0},
	[216] = {"remap_file_pages", "ALxix", 0},
	[217] = {"getdents64", "fbl", 0},
	[218] = {"set_tid_address", "b", 0},
	[219] = {"restart_syscall", "", 0},
	[220] = {"semtimedop", "iblt", HOST},
	[221] = {"fadvise64", "foli", 0},
	[222] = {"timer_create", "cbb", 0},
	[223] = {"timer_settime", "ixbb", 0},
	[224] = {"timer_gettime", "ib", 0},
	[225] = {"timer_getoverrun", "i", 0},
	[226] = {"timer_delete", "i", 0},
	[227] = {"clock_settime", "cb", HOST},
	[228] = {"clock_gettime", "cb", 0},
	[229] = {"clock_getres", "cb", 0},
	[230] = {"clock_nanosleep", "Cxtb", 0},
	[231] = {"exit_group", "", EXCL},
	[232] = {"epoll_wait", "fbiw", 0},
	[233] = {"epoll_ctl", "fifb", 0},
	[234] = {"tgkill", "KKn", 0},
	[235] = {"utimes", "pb", 0},
	[236] = {"vserver", "?????", 0},
	[237] = {"mbind", "ALiblx", 0},
	[238] = {"set_mempolicy", "ibl", 0},
	[239] = {"get_mempolicy", "bblAx", 0},
	[240] = {"mq_open", "pxib", RETFD | HOST},
	[241] = {"mq_unlink", "p", HOST},
	[242] = {"mq_timedsend", "fblit", HOST},
	[243] = {"mq_timedreceive", "fblbt", HOST},
	[244] = {"mq_notify", "fb", HOST},
	[245] = {"mq_getsetattr", "fbb", HOST},
	[246] = {"kexec_load", "", EXCL},
	[247] = {"waitid", "irbxb", 0},
	[248] = {"add_key", "ppbli", HOST},
	[249] = {"request_key", "pppi", HOST},
	[250] = {"keyctl", "iiiii", HOST},
	[251] = {"ioprio_set", "iPi", HOST},
	[252] = {"ioprio_get", "ir", 0},
	[253] = {"inotify_init", "", RETFD},
	[254] = {"inotify_add_watch", "fpx", 0},
	[255] = {"inotify_rm_watch", "fi", 0},
	[256] = {"migrate_pages", "Plbb", 0},
	[257] = {"openat", "fpNi", RETFD},
	[258] = {"mkdirat", "fpx", 0},
	[259] = {"mknodat", "fpxi", 0},
	[260] = {"fchownat", "fpuux", 0},
	[261] = {"futimesat", "fpb", 0},
	[262] = {"newfstatat", "fpbx", 0},
	[263] = {"unlinkat", "fpx", 0},
	[264] = {"renameat", "fpfp", 0},
	[265] = {"linkat", "fpfpx", 0},
	[266] = {"symlinkat", "pfp", 0},
	[267] = {"readlinkat", "fpbl", 0},
	[268] = {"fchmodat", "fpx", 0},
	[269] = {"faccessat", "fpx", 0},
	[270] = {"pselect6", "ibbbtb", 0},
	[271] = {"ppoll", "bltbz", 0},
	[272] = {"unshare", "x", HOST},
	[273] = {"set_robust_list", "bl", 0},
	[274] = {"get_robust_list", "rbb", 0},
	[275] = {"splice", "fbfblx", 0},
	[276] = {"tee", "fflx", 0},
	[277] = {"sync_file_range", "foox", 0},
	[278] = {"vmsplice", "fVix", 0},
	[279] = {"move_pages", "Plbbbx", 0},
	[280] = {"utimensat", "fpbx", 0},
	[281] = {"epoll_pwait", "fbiwbz", 0},
	[282] = {"signalfd", "fbz", RETFD},
	[283] = {"timerfd_create", "cN", RETFD},
	[284] = {"eventfd", "i", RETFD},
	[285] = {"fallocate", "fxoo", 0},
	[286] = {"timerfd_settime", "fxbb", 0},
	[287] = {"timerfd_gettime", "fb", 0},
	[288] = {"accept4", "fbbx", RETFD | HOST},
	[289] = {"signalfd4", "fbzN", RETFD},
	[290] = {"eventfd2", "iN", RETFD},
	[291] = {"epoll_create1", "x", RETFD},
	[292] = {"dup3", "fFx", RETFD},
	[293] = {"pipe2", "bN", 0},
	[294] = {"inotify_init1", "N", RETFD},
	[295] = {"preadv", "fVioo", 0},
	[296] = {"pwritev", "fVioo", 0},
	[297] = {"rt_tgsigqueueinfo", "KKnb", 0},
	[298] = {"perf_event_open", "brifx", RETFD | HOST},
	[299] = {"recvmmsg", "fbixt", HOST},
	[300] = {"fanotify_init", "xx", RETFD},
	[301] = {"fanotify_mark", "fxxfp", 0},
	[302] = {"prlimit64", "", SPECIAL},
	[303] = {"name_to_handle_at", "fpbbx", 0},
	[304] = {"open_by_handle_at", "fbx", RETFD},
	[305] = {"clock_adjtime", "cb", HOST},
	[306] = {"syncfs", "f", 0},
	[307] = {"sendmmsg", "fbix", HOST},
	[308] = {"setns", "fx", HOST},
	[309] = {"getcpu", "bbb", 0},
	[310] = {"process_vm_readv", "PVlVlx", 0},
	[311] = {"process_vm_writev", "PVlVlx", 0},
	[312] = {"kcmp", "rrixx", 0},
	[313] = {"finit_module", "", EXCL},
	[314] = {"sched_setattr", "Pbx", 0},
	[315] = {"sched_getattr", "rblx", 0},
	[316] = {"renameat2", "fpfpx", 0},
	[317] = {"seccomp", "", EXCL},
	[318] = {"getrandom", "blx", 0},
	[319] = {"memfd_create", "px", RETFD},
	[320] = {"kexec_file_load", "", EXCL},
	[321] = {"bpf", "ibl", HOST},
	[322] = {"execveat", "", SPECIAL},
	[323] = {"userfaultfd", "x", RETFD | HOST},
	[324] = {"membarrier", "xxi", 0},
	[325] = {"mlock2", "ALx", 0},
	[326] = {"copy_file_range", "fbfblx", 0},
	[327] = {"preadv2", "fViiox", 0},
	[328] = {"pwritev2", "fViiox", 0},
	[329] = {"pkey_mprotect", "ALxi", 0},
	[330] = {"pkey_alloc", "xx", 0},
	[331] = {"pkey_free", "i", 0},
	[332] = {"statx", "fpxxb", 0},
	[333] = {"io_pgetevents", "iiibtb", 0},
	[334] = {"rseq", "blxi", 0},
	[424] = {"pidfd_send_signal", "fnbx", 0},
	[425] = {"io_uring_setup", "lb", RETFD | HOST},
	[426] = {"io_uring_enter", "fiixbl", HOST},
	[427] = {"io_uring_register", "fibi", HOST},
	[428] = {"open_tree", "fpx", RETFD | HOST},
	[429] = {"move_mount", "", EXCL},
	[430] = {"fsopen", "px", RETFD | HOST},
	[431] = {"fsconfig", "fippi", HOST},
	[432] = {"fsmount", "fxx", RETFD | HOST},
	[433] = {"fspick", "", EXCL},
	[434] = {"pidfd_open", "Px", RETFD},
	[435] = {"clone3", "", SPECIAL},
	[436] = {"close_range", "", SPECIAL},
	[437] = {"openat2", "fpbl", RETFD},
	[438] = {"pidfd_getfd", "fix", RETFD},
	[439] = {"faccessat2", "fpxx", 0},
	[440] = {"process_madvise", "fVixx", 0},
	[441] = {"epoll_pwait2", "fbitbz", 0},
	[442] = {"mount_setattr", "", EXCL},
	[443] = {"quotactl_fd", "fiib", HOST},
	[444] = {"landlock_create_ruleset", "blx", RETFD},
	[445] = {"landlock_add_rule", "fibx", 0},
	[446] = {"landlock_restrict_self", "fx", 0},
	[447] = {"memfd_secret", "x", RETFD | HOST},
	[448] = {"process_mrelease", "fx", 0},
	[449] = {"futex_waitv", "bixtc", 0},
	[450] = {"set_mempolicy_home_node", "ALix", 0},
	[451] = {"cachestat", "fbbx", 0},
	[452] = {"fchmodat2", "fpxx", 0},
	[453] = {"map_shadow_stack", "blx", 0},
	[454] = {"futex_wake", "blix", 0},
	[455] = {"futex_wait", "bllxtc", 0},
	[456] = {"futex_requeue", "bxii", 0},
	[457] = {"statmount", "bblx", 0},
	[458] = {"listmount", "bblx", 0},
	[459] = {"lsm_get_self_attr", "ibbx", 0},
	[460] = {"lsm_set_self_attr", "iblx", HOST},
	[461] = {"lsm_list_modules", "bbx", 0},
	[462] = {"mseal", "ALx", 0},
};

static int in_table(long nr)
{
	return (uint64_t)nr < NR_MAX;
}

/* --- state --------------------------------------------------------- */

static int host_mode, verbose;
/* --skip: numbers not to call (a known bug the test steps around). */
static unsigned char skip[NR_MAX];
static uint64_t seed;
static const char *cgroup_dir = "/sys/fs/cgroup";

/* The child's own memory, set up before its first call. */
static uint64_t arg_area;   /* ARG_SZ bytes, a guard page after it */
static uint64_t scratch;    /* SCRATCH_SZ bytes: memory calls' target */
static uint64_t ro_page, none_page;
static uint64_t self_pid, parent_pid;

/* Mappings the calls made: memory calls may target them too. */
static struct {
	uint64_t addr, len;
} maps[16];
static unsigned nmaps;

/* Descriptors: the ones opened at start, then the ones calls returned. */
#define NFDS 32
static int fds[NFDS];
static unsigned nfds, nfds_fixed;

/* Paths the calls may name. */
static const char *guest_paths[] = {
	"/dev/null", "/proc/meminfo", "/proc/self/maps", "/proc/self/status",
	"/proc/self/oom_score_adj", "/proc/self", "/proc/zoneinfo",
	"/proc/vmstat", "/proc/sys/vm/drop_caches", "/sys/fs/cgroup", "/",
	".", "..", "", "/nonexistent", "/dev", "/bin", "/proc",
	"CG/memory.stat", "CG/memory.peak", "CG/cgroup.events",
	"CG/memory.current", "nonexistent/x", "//proc///self/../self/./maps",
};
/* On the host, only what nobody cannot harm, and names in our directory. */
static const char *host_paths[] = {
	"/dev/null", "/proc/meminfo", "/proc/self/maps", "/proc/self/status",
	"/proc/self", "/", ".", "..", "", "/nonexistent", "f0", "f1", "d0",
	"d0/f2", "nonexistent/x", "l0",
};

/* --- the generator ------------------------------------------------- */

static uint64_t rng;

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* xorshift64* */
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static void seed_call(uint64_t idx)
{
	rng = splitmix64(seed ^ splitmix64(idx)) | 1;
}

static uint64_t rand_int(void)
{
	static const uint64_t special[] = {
		0, 1, (uint64_t)-1, 2, 0x7fffffff, 0x80000000,
		0xffffffff80000000ULL, 0xffffffff, 0x7fffffffffffffffULL,
		0x8000000000000000ULL, 4096, 65536,
	};
	switch (below(8)) {
	case 0:
	case 1:
		return special[below(sizeof special / sizeof special[0])];
	case 2:
	case 3:
		return below(64);
	case 4:
		return 1ULL << below(64);
	case 5:
		return (1ULL << below(64)) - 1;
	case 6:
		return (uint32_t)rnd();
	default:
		return rnd();
	}
}

static uint64_t rand_len(void)
{
	switch (below(10)) {
	case 0:
		return 0;
	case 1:
		return 1 + below(16);
	case 2:
		return PAGE;
	case 3:
		return PAGE - 1 + below(3);
	case 4:
		return below(65536);
	case 5:
		return 1ULL << (20 + below(44));
	case 6:
		return (uint64_t)-1;
	case 7:
		return 0x7ffff000;
	case 8:
		return below(256);
	default:
		return rand_int();
	}
}

static uint64_t rand_flags(void)
{
	switch (below(6)) {
	case 0:
		return 0;
	case 1:
		return 1ULL << below(32);
	case 2:
		return (1ULL << below(32)) | (1ULL << below(32)) |
		       (1ULL << below(32));
	case 3:
		return (uint32_t)rnd();
	case 4:
		return rnd() & 0xfff;
	default:
		return rand_int();
	}
}

static uint64_t rand_ptr(void)
{
	static const uint64_t kernel[] = {
		PAGE_OFFSET, PAGE_OFFSET + 0x100000, PAGE_OFFSET + 0x1000000,
		KERNEL_BASE, KERNEL_BASE + 0x200000, 0xffff800000000000ULL,
		VMALLOC_START, 0xfffffffffffff000ULL, (uint64_t)-1,
	};
	static const uint64_t odd[] = {
		0x0000800000000000ULL, 0x8000000000000000ULL,
		0x00007ffffffff000ULL, 0x00007fffffffffffULL, 1, 4095,
		0x10000, 0x00007fffffffeff8ULL,
	};
	switch (below(16)) {
	case 0:
		return 0;
	case 1:
	case 2:
		return arg_area + (below(ARG_SZ) & ~7ULL);
	case 3:
	case 4:
		return arg_area + below(ARG_SZ);
	case 5:
		return arg_area + ARG_SZ - 1 - below(64);
	case 6:
	case 7:
		return scratch + below(SCRATCH_SZ);
	case 8:
		return ro_page + below(PAGE);
	case 9:
		return none_page + below(PAGE);
	case 10:
		return kernel[below(sizeof kernel / sizeof kernel[0])];
	case 11:
		return odd[below(sizeof odd / sizeof odd[0])];
	case 12:
		return (uint64_t)(uintptr_t)fuzz_handler + below(PAGE);
	case 13:
		if (nmaps) {
			unsigned m = below(nmaps);
			return maps[m].addr + below(maps[m].len);
		}
		return arg_area;
	default:
		return rand_int();
	}
}

/* The upper bound the last rand_mm_addr() allows its range to reach
 * (0: only lengths the kernel must refuse). */
static uint64_t mm_cap;

/* An address for a call that changes mappings: inside the scratch area
 * or a mapping the calls made, or one the kernel refuses. */
static uint64_t rand_mm_addr(void)
{
	uint64_t a;
	switch (below(10)) {
	case 0:
	case 1:
	case 2:
	case 3:
		a = scratch + PAGE * below(SCRATCH_SZ / PAGE);
		mm_cap = scratch + SCRATCH_SZ - a;
		return a;
	case 4:
		a = scratch + below(SCRATCH_SZ);
		mm_cap = scratch + SCRATCH_SZ - a;
		return a;
	case 5:
	case 6:
		if (nmaps) {
			unsigned m = below(nmaps);
			a = maps[m].addr + PAGE * below(maps[m].len / PAGE + 1);
			if (a > maps[m].addr + maps[m].len)
				a = maps[m].addr;
			mm_cap = maps[m].addr + maps[m].len - a;
			return a;
		}
		mm_cap = SCRATCH_SZ;
		return scratch;
	case 7:
		mm_cap = 0;
		return 0;
	case 8:
		mm_cap = 0;
		return below(2) ? KERNEL_BASE : PAGE_OFFSET + PAGE * below(1024);
	default:
		mm_cap = PAGE;
		return 0x00007ffffffff000ULL;
	}
}

/* A length for the range that starts at the last rand_mm_addr(): within
 * its cap, or one that wraps around the address space (which every
 * memory call refuses before touching a mapping). */
static uint64_t rand_mm_len(uint64_t addr)
{
	if (mm_cap && below(4)) {
		if (below(2))
			return PAGE * below(mm_cap / PAGE + 1);
		return below(mm_cap + 1);
	}
	switch (below(3)) {
	case 0:
		return 0;
	case 1:
		return (uint64_t)-1;
	default:
		return (0 - addr) + below(PAGE);
	}
}

static int bad_fd(uint64_t v)
{
	return (int)v == PROGRESS_FD || (int)v == LOG_FD;
}

static uint64_t rand_fd(void)
{
	static const uint64_t special[] = {
		(uint64_t)-1, (uint64_t)-100, 1023, 1024, 4096, 0x7fffffff,
		0x80000000,
	};
	uint64_t v;
	switch (below(10)) {
	case 0:
	case 1:
	case 2:
	case 3:
	case 4:
	case 5:
		v = nfds ? (uint64_t)fds[below(nfds)] : 0;
		break;
	case 6:
		v = below(4);
		break;
	case 7:
		v = below(64);
		break;
	case 8:
		v = special[below(sizeof special / sizeof special[0])];
		break;
	default:
		v = rand_int();
	}
	return bad_fd(v) ? (uint64_t)-1 : v;
}

static uint64_t slot(int i)
{
	return arg_area + SLOT_SZ * (uint64_t)i;
}

static uint64_t rand_path(int s)
{
	const char **paths = host_mode ? host_paths : guest_paths;
	size_t n = host_mode ? sizeof host_paths / sizeof host_paths[0]
			     : sizeof guest_paths / sizeof guest_paths[0];
	char *dst = (char *)(uintptr_t)slot(s);
	switch (below(10)) {
	case 0:
	case 1:
	case 2:
	case 3:
	case 4:
	case 5: {
		const char *p = paths[below(n)];
		if (strncmp(p, "CG/", 3) == 0)
			snprintf(dst, SLOT_SZ, "%s/%s", cgroup_dir, p + 3);
		else
			snprintf(dst, SLOT_SZ, "%s", p);
		return slot(s);
	}
	case 6: {
		/* A component longer than NAME_MAX. */
		size_t len = 250 + below(20);
		memset(dst, 'a', len);
		dst[len] = 0;
		return slot(s);
	}
	case 7: {
		/* A path longer than PATH_MAX, in the unused upper half. */
		char *p = (char *)(uintptr_t)(arg_area + ARG_SZ / 2);
		size_t len = 4090 + below(12);
		for (size_t i = 0; i < len; i++)
			p[i] = (i % 2) ? '/' : 'a';
		p[len] = 0;
		return (uint64_t)(uintptr_t)p;
	}
	case 8: {
		/* No terminating NUL before the guard page. */
		char *p = (char *)(uintptr_t)(arg_area + ARG_SZ - 64);
		memset(p, 'a', 64);
		return (uint64_t)(uintptr_t)p;
	}
	default:
		return rand_ptr();
	}
}

struct ts {
	int64_t sec, nsec;
};

/* A timeout of at most 1 ms (or 1000 us for a timeval), or one the kernel
 * must refuse; never NULL. */
static uint64_t rand_timeout(int s, int timeval)
{
	struct ts *t = (struct ts *)(uintptr_t)slot(s);
	static const uint64_t bad[] = {KERNEL_BASE, 1, 0x00007ffffffff000ULL};
	switch (below(10)) {
	case 0:
		t->sec = -1;
		t->nsec = 0;
		return slot(s);
	case 1:
		t->sec = 0;
		t->nsec = 1000000000 + below(1000);
		return slot(s);
	case 2:
		if (below(2))
			return none_page;
		return bad[below(sizeof bad / sizeof bad[0])];
	default:
		t->sec = 0;
		t->nsec = timeval ? below(1000) : below(1000000);
		return slot(s);
	}
}

static uint64_t rand_iovec(int s)
{
	uint64_t *v = (uint64_t *)(uintptr_t)slot(s);
	for (int i = 0; i < 8; i++) {
		v[2 * i] = rand_ptr();
		v[2 * i + 1] = below(4) ? below(8192) : rand_len();
	}
	return below(8) ? slot(s) : rand_ptr();
}

static uint64_t rand_kill_pid(void)
{
	switch (below(6)) {
	case 0:
	case 1:
		return self_pid;
	case 2:
		return 0;
	case 3:
		return (uint64_t)-(int64_t)self_pid;
	case 4:
		return NONEXISTENT_PID;
	default:
		return below(2) ? 0xffffffff80000000ULL : (uint64_t)-(int64_t)NONEXISTENT_PID;
	}
}

static uint64_t rand_own_pid(void)
{
	switch (below(5)) {
	case 0:
	case 1:
		return 0;
	case 2:
		return self_pid;
	case 3:
		return NONEXISTENT_PID;
	default:
		return below(2) ? (uint64_t)-1 : 0xffffffff80000000ULL;
	}
}

static uint64_t rand_any_pid(void)
{
	switch (below(6)) {
	case 0:
		return below(64);
	case 1:
		return self_pid;
	case 2:
		return 1;
	case 3:
		return parent_pid;
	case 4:
		return (uint64_t)-1;
	default:
		return rand_int();
	}
}

static uint64_t rand_clock(void)
{
	switch (below(5)) {
	case 0:
	case 1:
	case 2:
		return below(12);
	case 3:
		/* CPU clocks of a pid (MAKE_PROCESS_CPUCLOCK) and of an fd. */
		return below(2) ? (uint64_t)(((~self_pid) << 3) | below(3))
				: (uint64_t)(((~(uint64_t)3) << 3) | 3);
	default:
		return rand_int();
	}
}

static uint64_t rand_uid(void)
{
	static const uint64_t v[] = {0, 65534, (uint64_t)-1, 1000, 1, 0xfffe};
	return below(4) ? v[below(sizeof v / sizeof v[0])] : rand_int();
}

/* One argument of kind `k` for argument number `i` (which names its
 * slot); `prev` is the previous argument (an 'L' follows its 'A'). */
static uint64_t rand_arg(char k, int i, uint64_t prev)
{
	switch (k) {
	case 'f':
		return rand_fd();
	case 'F': {
		uint64_t v = below(4) ? rand_fd() : below(1100);
		return bad_fd(v) ? (uint64_t)-1 : v;
	}
	case 'p':
		return rand_path(i);
	case 'b':
		return rand_ptr();
	case 'V':
		return rand_iovec(i);
	case 'l':
		return rand_len();
	case 'o':
		return below(3) ? rand_len() : rand_int();
	case 'i':
		return rand_int();
	case 'x':
		return rand_flags();
	case 'u':
		return rand_uid();
	case 'A':
		return rand_mm_addr();
	case 'L':
		return rand_mm_len(prev);
	case 'K':
		return rand_kill_pid();
	case 'P':
		return rand_own_pid();
	case 'r':
		return rand_any_pid();
	case 'n':
		return below(8) ? below(66) : rand_int();
	case 'c':
		return rand_clock();
	case 'C': {
		uint64_t c = rand_clock();
		return (int32_t)c < 0 ? c & 0x7fffffff : c;
	}
	case 'N':
		return rand_flags() | (below(4) ? 0x800 /* O_NONBLOCK */ : 0);
	case 't':
		return rand_timeout(i, 0);
	case 'T':
		return rand_timeout(i, 1);
	case 'w':
		return below(2);
	case 'z':
		return below(8) ? 8 : rand_len();
	default:
		switch (below(4)) {
		case 0:
			return rand_fd();
		case 1:
			return rand_ptr();
		case 2:
			return rand_len();
		default:
			return rand_int();
		}
	}
}

/* --- the calls that need care -------------------------------------- */

#define CLONE_NEWS 0x7e020080ULL /* CLONE_NEW*: namespaces (and NEWTIME) */
#define MAP_FIXED_ 0x10ULL
#define MAP_FIXED_NOREPLACE_ 0x100000ULL
#define MREMAP_FIXED_ 2ULL
#define SA_RESTORER_ 0x04000000ULL
#define AT_EMPTY_PATH_ 0x1000ULL

/* Signals a returning handler would see again and again (a fault). */
static int synchronous(uint64_t sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
	       sig == SIGFPE || sig == SIGTRAP || sig == SIGSYS;
}

static uint64_t rand_mmap_flags(void)
{
	static const uint64_t bits[] = {
		0x20 /* ANONYMOUS */,	0x10 /* FIXED */,
		0x100000 /* FIXED_NOREPLACE */, 0x8000 /* POPULATE */,
		0x2000 /* LOCKED */,	0x4000 /* NORESERVE */,
		0x100 /* GROWSDOWN */,	0x20000 /* STACK */,
		0x40000 /* HUGETLB */,	0x40 /* 32BIT */,
		0x10000 /* NONBLOCK */, 0x80000 /* SYNC */,
		0x800 /* DENYWRITE */,	0x4000000 /* UNINITIALIZED */,
	};
	uint64_t f = below(8) ? (below(4) ? 2 : 1 + below(3)) : below(16);
	unsigned n = below(4);
	for (unsigned i = 0; i < n; i++)
		f |= bits[below(sizeof bits / sizeof bits[0])];
	if (below(2))
		f |= 0x20;
	if (!below(10))
		f = rand_flags();
	return f;
}

/* Safe paths for execve: none can be executed. */
static uint64_t rand_exec_path(int s)
{
	static const char *p[] = {"/proc/meminfo", "/dev/null", "/nonexistent",
				  "/", "", "/proc/self/maps", "/proc", "."};
	switch (below(4)) {
	case 0:
		return rand_ptr();
	default:
		snprintf((char *)(uintptr_t)slot(s), SLOT_SZ, "%s",
			 p[below(sizeof p / sizeof p[0])]);
		return slot(s);
	}
}

/* A limit that does not take from the fuzzer what it needs: the current
 * one or more, or an invalid one (cur above max). */
static uint64_t rand_rlimit(int s, uint64_t resource)
{
	uint64_t *l = (uint64_t *)(uintptr_t)slot(s);
	uint64_t old[2] = {0, 0};
	switch (below(6)) {
	case 0:
		return 0;
	case 1:
		return below(2) ? none_page : KERNEL_BASE;
	default:
		break;
	}
	if (raw6(302, 0, resource, 0, (uint64_t)(uintptr_t)old, 0, 0) != 0) {
		/* An invalid resource: any values. */
		l[0] = rand_int();
		l[1] = rand_int();
		return slot(s);
	}
	if (below(4) == 0) {
		l[0] = old[1] == (uint64_t)-1 ? (uint64_t)-1 : old[1] + 1;
		l[1] = old[1];
		if (l[0] == (uint64_t)-1 && l[1] == (uint64_t)-1)
			l[1] = old[1] - 1;
		return slot(s);
	}
	l[1] = old[1] + (below(2) ? 0 : below(4096));
	if (l[1] < old[1])
		l[1] = (uint64_t)-1;
	l[0] = old[0] + below(l[1] - old[0] + 1);
	if (l[0] < old[0])
		l[0] = old[0];
	return slot(s);
}

/* Builds the arguments of a SPECIAL call in a[]; returns 1 for a spawn. */
static int build_special(long nr, uint64_t *a)
{
	switch (nr) {
	case 9: { /* mmap */
		uint64_t flags = rand_mmap_flags();
		a[3] = flags;
		if (flags & MAP_FIXED_ && !(flags & MAP_FIXED_NOREPLACE_)) {
			a[0] = rand_mm_addr();
			a[1] = rand_mm_len(a[0]);
		} else {
			a[0] = below(2) ? 0 : rand_ptr();
			a[1] = below(2) ? PAGE * (1 + below(64)) : rand_len();
		}
		a[2] = below(4) ? below(8) : rand_flags();
		a[4] = flags & 0x20 && below(2) ? (uint64_t)-1 : rand_fd();
		a[5] = below(2) ? 0 : rand_len();
		return 0;
	}
	case 12: { /* brk: never below the current break */
		uint64_t cur = (uint64_t)raw(12, 0, 0, 0);
		switch (below(5)) {
		case 0:
			a[0] = 0;
			break;
		case 1:
			a[0] = cur + below(16 * PAGE);
			break;
		case 2:
			a[0] = cur + (1ULL << (20 + below(27)));
			break;
		case 3:
			a[0] = below(2) ? KERNEL_BASE : (uint64_t)-1;
			break;
		default:
			a[0] = below(2) ? 1 : 0x00007ffffffff000ULL;
		}
		return 0;
	}
	case 13: { /* rt_sigaction */
		uint64_t sig = below(8) ? below(66) : rand_int();
		uint64_t *act = (uint64_t *)(uintptr_t)slot(1);
		switch (below(4)) {
		case 0:
			act[0] = 0; /* SIG_DFL */
			break;
		case 1:
			act[0] = 1; /* SIG_IGN */
			break;
		case 2:
			act[0] = synchronous(sig) ? 0 : (uint64_t)(uintptr_t)fuzz_handler;
			break;
		default:
			act[0] = rand_ptr();
		}
		act[1] = rand_flags() | (below(4) ? SA_RESTORER_ : 0);
		act[2] = below(4) ? (uint64_t)(uintptr_t)fuzz_restorer : rand_ptr();
		act[3] = below(2) ? 0 : rnd();
		a[0] = sig;
		a[1] = below(8) ? slot(1) : rand_ptr();
		a[2] = rand_ptr();
		a[3] = below(8) ? 8 : rand_len();
		return 0;
	}
	case 25: { /* mremap */
		uint64_t flags = below(4) ? below(8) : rand_flags();
		a[0] = rand_mm_addr();
		a[1] = rand_mm_len(a[0]);
		a[2] = below(2) ? PAGE * below(64) : rand_len();
		a[3] = flags;
		if (flags & MREMAP_FIXED_) {
			a[4] = rand_mm_addr();
			uint64_t len = rand_mm_len(a[4]);
			if (len <= mm_cap)
				a[2] = len;
			else if (mm_cap)
				a[2] = mm_cap;
		} else {
			a[4] = rand_ptr();
		}
		return 0;
	}
	case 30: /* shmat: SHM_REMAP replaces what is at the address */
		a[0] = rand_int();
		a[1] = rand_mm_addr();
		a[2] = rand_flags();
		return 0;
	case 56: { /* clone */
		uint64_t flags = rand_flags() | below(66);
		if (host_mode)
			flags &= ~CLONE_NEWS;
		a[0] = flags;
		a[1] = below(2) ? 0 : rand_ptr();
		a[2] = rand_ptr();
		a[3] = rand_ptr();
		a[4] = rand_int();
		return 1;
	}
	case 57:
	case 58:
		return 1;
	case 435: { /* clone3 */
		uint64_t *c = (uint64_t *)(uintptr_t)slot(0);
		c[0] = rand_flags();
		if (host_mode)
			c[0] &= ~CLONE_NEWS;
		c[1] = rand_ptr();
		c[2] = rand_ptr();
		c[3] = rand_ptr();
		c[4] = below(4) ? below(66) : rand_int();
		c[5] = below(2) ? 0 : rand_ptr();
		c[6] = below(2) ? 0 : rand_len();
		c[7] = rand_int();
		c[8] = below(2) ? 0 : rand_ptr();
		c[9] = below(2) ? 0 : below(40);
		c[10] = rand_fd();
		a[0] = below(8) ? slot(0) : rand_ptr();
		a[1] = below(2) ? 88 : (below(2) ? 64 : rand_len());
		return 1;
	}
	case 59: /* execve */
		a[0] = rand_exec_path(0);
		a[1] = rand_ptr();
		a[2] = rand_ptr();
		return 0;
	case 322: /* execveat */
		a[0] = rand_fd();
		a[1] = rand_exec_path(1);
		a[2] = rand_ptr();
		a[3] = rand_ptr();
		a[4] = rand_flags() & ~AT_EMPTY_PATH_;
		return 0;
	case 72: { /* fcntl */
		uint64_t cmd;
		switch (below(4)) {
		case 0:
		case 1:
			cmd = below(16);
			break;
		case 2:
			cmd = below(2) ? 1024 + below(16) : 36 + below(3);
			break;
		default:
			cmd = rand_int();
		}
		a[0] = rand_fd();
		a[1] = cmd;
		if (cmd == 8 /* F_SETOWN */)
			a[2] = rand_kill_pid();
		else if (cmd == 15 /* F_SETOWN_EX */) {
			uint32_t *o = (uint32_t *)(uintptr_t)slot(2);
			o[0] = below(4);
			o[1] = (uint32_t)rand_kill_pid();
			a[2] = slot(2);
		} else
			a[2] = below(2) ? rand_int() : rand_ptr();
		return 0;
	}
	case 103: { /* syslog: read what is there, never wait or clear */
		static const uint64_t type[] = {0, 1, 3, 9, 10, (uint64_t)-1, 11, 100};
		a[0] = type[below(sizeof type / sizeof type[0])];
		a[1] = rand_ptr();
		a[2] = rand_len();
		return 0;
	}
	case 141: /* setpriority(PRIO_PROCESS, our own) */
		a[0] = below(4) ? 0 : 3 + below(4);
		a[1] = rand_own_pid();
		a[2] = rand_int();
		return 0;
	case 157: { /* prctl */
		uint64_t opt = below(8) ? below(80) : rand_int();
		if (opt == 22 /* PR_SET_SECCOMP */ || (host_mode && opt == 4 /* PR_SET_DUMPABLE */))
			opt = 3; /* PR_GET_DUMPABLE */
		a[0] = opt;
		for (int i = 1; i < 5; i++)
			a[i] = rand_arg('?', i, 0);
		return 0;
	}
	case 158: { /* arch_prctl */
		static const uint64_t code[] = {
			0x1001, 0x1003, 0x1004, 0x1011, 0x1012, 0x1021,
			0x2001, 0x2002, 0x2003, 0x4001, 0x4002, 0x4003,
			0x4004, 0x5001, 0x5002, 0x5003, 0x5004, 0x5005,
		};
		a[0] = below(8) ? code[below(sizeof code / sizeof code[0])] : rand_int();
		if ((uint32_t)a[0] == 0x1002 /* ARCH_SET_FS */)
			a[0] = 0x1003;
		a[1] = below(2) ? rand_ptr() : rand_int();
		return 0;
	}
	case 160: /* setrlimit */
		a[0] = below(8) ? below(17) : rand_int();
		a[1] = rand_rlimit(1, a[0]);
		return 0;
	case 302: /* prlimit64 */
		a[0] = rand_own_pid();
		a[1] = below(8) ? below(17) : rand_int();
		a[2] = rand_rlimit(2, a[1]);
		a[3] = rand_ptr();
		return 0;
	case 202: { /* futex: a timeout argument is always short */
		uint64_t op = below(8) ? below(14) | (below(2) ? 128 : 0) |
						 (below(4) ? 0 : 256)
				       : rand_int();
		uint64_t cmd = op & 0x7f;
		a[0] = below(4) ? arg_area + 8 * below(8) : rand_ptr();
		a[1] = op;
		a[2] = below(2) ? 0 : rand_int();
		if (cmd == 0 || cmd == 6 || cmd == 9 || cmd == 11 || cmd == 13 ||
		    cmd == 12)
			a[3] = rand_timeout(3, 0);
		else
			a[3] = rand_int();
		a[4] = below(4) ? arg_area + 8 * below(8) : rand_ptr();
		a[5] = rand_int();
		return 0;
	}
	case 436: { /* close_range: never PROGRESS_FD and LOG_FD */
		uint64_t first = below(4) ? below(64) : rand_int();
		uint64_t last = below(2) ? first + below(64) : rand_int();
		uint64_t flags = below(2) ? below(8) : rand_flags();
		if ((uint32_t)first <= LOG_FD && (uint32_t)last >= PROGRESS_FD &&
		    !(flags & 4 /* CLOSE_RANGE_CLOEXEC */))
			last = PROGRESS_FD - 1;
		a[0] = first;
		a[1] = last;
		a[2] = flags;
		return 0;
	}
	}
	return 0;
}

/* --- the child: one segment of calls ------------------------------- */

/* One call's outcome, sent to the parent after the call. */
struct record {
	uint32_t idx;
	uint16_t nr;
	int16_t err; /* errno, 0 on success */
	uint32_t kcycles; /* the call's TSC cycles / 1024 */
	uint32_t pad;
};

static void put_hex(char **p, uint64_t v)
{
	static const char d[] = "0123456789abcdef";
	char tmp[16];
	int n = 0;
	do {
		tmp[n++] = d[v & 15];
		v >>= 4;
	} while (v);
	*(*p)++ = '0';
	*(*p)++ = 'x';
	while (n)
		*(*p)++ = tmp[--n];
}

/* The call about to be made, for --verbose (no stdio: the calls may have
 * broken its state). */
static void log_call(uint64_t idx, long nr, const uint64_t *a)
{
	char buf[256], *p = buf;
	const char *name = in_table(nr) && specs[nr].name ? specs[nr].name : "?";
	memcpy(p, "call ", 5);
	p += 5;
	put_hex(&p, idx);
	*p++ = ' ';
	size_t n = strlen(name);
	memcpy(p, name, n);
	p += n;
	*p++ = '(';
	put_hex(&p, (uint64_t)nr);
	*p++ = ')';
	for (int i = 0; i < 6; i++) {
		*p++ = ' ';
		put_hex(&p, a[i]);
	}
	*p++ = '\n';
	raw(1, LOG_FD, buf, p - buf);
}

/* What the parent learnt from the children's records (a child inherits
 * it): how often each number failed with ENOSYS, and whether it ever
 * answered anything else. */
static uint32_t nosys[NR_MAX], answered[NR_MAX];

/* Draws the syscall number: one of the table's that this mode makes,
 * or now and then a number past the table (Linux's ni_syscall). Only the
 * low 32 bits of a number count; those avoid the x32 numbers. A number
 * that only ever gave ENOSYS is mostly drawn again, so that most calls
 * reach code the kernel has. */
static long pick_nr(void)
{
	for (;;) {
		if (below(64) == 0) {
			uint64_t low = below(2) ? 463 + below(0x40000000 - 463)
						: 0x40001000 + below(0xbffff000ULL);
			return (long)((rnd() & 0xffffffff00000000ULL) | low);
		}
		long nr = below(NR_MAX);
		const struct spec *s = &specs[nr];
		if (s->flags & EXCL || (host_mode && (!s->name || s->flags & HOST)))
			continue;
		if (skip[nr] || (!answered[nr] && nosys[nr] >= 2 && below(32)))
			continue;
		return nr;
	}
}

/* Picks the current call's syscall and builds its arguments in a[];
 * *is_spawn tells whether it creates a task (see spawn()). */
static long pick(uint64_t *a, int *is_spawn)
{
	long nr = pick_nr();
	*is_spawn = 0;
	const char *k = in_table(nr) && specs[nr].name ? specs[nr].args : "??????";
	if (in_table(nr) && specs[nr].flags & SPECIAL) {
		*is_spawn = build_special(nr, a);
		return nr;
	}
	uint64_t prev = 0;
	for (int i = 0; i < 6; i++) {
		a[i] = k[0] ? rand_arg(*k++, i, prev) : rand_arg('?', i, 0);
		prev = a[i];
	}
	return nr;
}

static void record_result(long nr, long r, const uint64_t *a)
{
	if (r < 0 || !in_table(nr))
		return;
	if (specs[nr].flags & RETFD && r < PROGRESS_FD && nr != 72) {
		unsigned at = nfds < NFDS ? nfds++ : nfds_fixed + below(NFDS - nfds_fixed);
		fds[at] = (int)r;
	}
	if (nr == 9 && !(a[3] & MAP_FIXED_) && r > 0 && a[1] < (1ULL << 40)) {
		unsigned at = nmaps < 16 ? nmaps++ : below(16);
		maps[at].addr = (uint64_t)r;
		maps[at].len = (a[1] + PAGE - 1) & ~(PAGE - 1);
	}
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static void send_record(uint32_t idx, long nr, long r, uint64_t cycles)
{
	struct record rec = {idx, (uint16_t)(in_table(nr) ? nr : 0xffff),
			     (int16_t)(r < 0 && r > -4096 ? -r : 0),
			     (uint32_t)(cycles >> 10 > 0xffffffff ? 0xffffffff : cycles >> 10), 0};
	while (raw(1, PROGRESS_FD, &rec, sizeof rec) == -11 /* EAGAIN */)
		raw(24, 0, 0, 0);
}

static void die(const char *what)
{
	fprintf(stderr, "fuzz: %s failed\n", what);
	_exit(3);
}

static uint64_t map(uint64_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	return (uint64_t)(uintptr_t)p;
}

static void child_setup(void)
{
	self_pid = getpid();
	parent_pid = getppid();
	/* Its own session: signals to pid 0 or -self reach only it. */
	setsid();
	/* Asynchronous signals are caught (delivery and rt_sigreturn get
	 * exercised, and a signal a call sends us rarely ends the child);
	 * faults keep their default action. */
	struct sigaction act;
	memset(&act, 0, sizeof act);
	for (int s = 1; s < 65; s++) {
		if (s == SIGKILL || s == SIGSTOP)
			continue;
		act.sa_handler = synchronous(s) ? SIG_DFL : fuzz_handler;
		sigaction(s, &act, NULL);
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (!host_mode) {
		/* The parent is OOM-immune; its children are not. */
		int fd = open("/proc/self/oom_score_adj", O_WRONLY);
		if (fd >= 0) {
			if (write(fd, "0\n", 2) != 2)
				die("oom_score_adj");
			close(fd);
		}
	}
	int null = open("/dev/null", O_RDWR);
	if (null < 0)
		die("open /dev/null");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(null, fd) != fd)
			die("dup2");
	close(null);

	/* The argument area, a guard page after it, a read-only page and a
	 * PROT_NONE page; the scratch area between PROT_NONE guards. */
	uint64_t a = map(ARG_SZ + PAGE, PROT_READ | PROT_WRITE);
	mprotect((void *)(uintptr_t)(a + ARG_SZ), PAGE, PROT_NONE);
	arg_area = a;
	ro_page = map(PAGE, PROT_READ | PROT_WRITE);
	seed_call((uint64_t)-1);
	for (uint64_t i = 0; i < PAGE / 8; i++)
		((uint64_t *)(uintptr_t)ro_page)[i] = rnd();
	mprotect((void *)(uintptr_t)ro_page, PAGE, PROT_READ);
	none_page = map(PAGE, PROT_NONE);
	uint64_t s = map(SCRATCH_SZ + 2 * PAGE, PROT_READ | PROT_WRITE);
	mprotect((void *)(uintptr_t)s, PAGE, PROT_NONE);
	mprotect((void *)(uintptr_t)(s + PAGE + SCRATCH_SZ), PAGE, PROT_NONE);
	scratch = s + PAGE;
	for (uint64_t i = 0; i < ARG_SZ / 8; i++)
		((uint64_t *)(uintptr_t)arg_area)[i] = rnd();
	for (uint64_t i = 0; i < SCRATCH_SZ; i += PAGE / 2)
		((uint64_t *)(uintptr_t)scratch)[i / 8] = rnd();

	/* The descriptors. */
	char path[256];
	const char *files[] = {"/dev/null", "/proc/meminfo", "/proc/self/maps", ".",
			       "CG/memory.stat", "CG/memory.peak", "CG/cgroup.events"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (strncmp(files[i], "CG/", 3) == 0) {
			if (host_mode)
				continue;
			snprintf(path, sizeof path, "%s/%s", cgroup_dir, files[i] + 3);
		} else {
			snprintf(path, sizeof path, "%s", files[i]);
		}
		int fd = open(path, i == 0 || i == 5 ? O_RDWR : O_RDONLY);
		if (fd >= 0)
			fds[nfds++] = fd;
	}
	int p[2];
	if (pipe2(p, O_NONBLOCK) == 0) {
		fds[nfds++] = p[0];
		fds[nfds++] = p[1];
		if (write(p[1], "fuzz", 4) != 4)
			die("write pipe");
	}
	nfds_fixed = nfds;
}

static void run_child(uint64_t first, uint64_t end)
{
	child_setup();
	for (uint64_t idx = first; idx < end; idx++) {
		uint64_t a[6] = {0, 0, 0, 0, 0, 0};
		int is_spawn;
		seed_call(idx);
		long nr = pick(a, &is_spawn);
		long r;
		if (verbose)
			log_call(idx, nr, a);
		uint64_t t0 = rdtsc();
		if (is_spawn)
			r = spawn(nr, a[0], a[1], a[2], a[3], a[4]);
		else
			r = raw6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		uint64_t t1 = rdtsc();
		record_result(nr, r, a);
		send_record((uint32_t)idx, nr, r, t1 - t0);
	}
	/* Reap what the calls forked. */
	while (raw6(61, (uint64_t)-1, 0, 1 /* WNOHANG */ | 0x40000000 /* __WALL */, 0, 0, 0) > 0)
		;
	raw(231, 0, 0, 0);
}

/* --- the parent ---------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static uint64_t n_ok, n_err[4096], n_signal[65], n_hung, n_children;
static uint64_t n_exit_other, n_nudged;
/* TSC cycles / 1024 spent in each syscall (and past the table). */
static uint64_t kcycles[NR_MAX + 1];

static void host_setup(void)
{
	if (mkdir("fuzz-cwd", 0700) != 0)
		die("mkdir fuzz-cwd");
	if (getuid() == 0) {
		if (chown("fuzz-cwd", 65534, 65534) != 0)
			die("chown");
		if (raw(116, 0, 0, 0) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
			die("dropping to nobody");
	}
	if (chdir("fuzz-cwd") != 0)
		die("chdir");
	const struct {
		int res;
		uint64_t lim;
	} lims[] = {
		{RLIMIT_CORE, 0},
		{RLIMIT_AS, 1ULL << 30},
		{RLIMIT_FSIZE, 1ULL << 20},
		{RLIMIT_MEMLOCK, 64 * 1024},
		{RLIMIT_NPROC, 256},
		{RLIMIT_NOFILE, LOG_FD + 1},
	};
	for (size_t i = 0; i < sizeof lims / sizeof lims[0]; i++) {
		struct rlimit r = {lims[i].lim, lims[i].lim};
		if (setrlimit(lims[i].res, &r) != 0)
			die("setrlimit");
	}
	raw(157, 4 /* PR_SET_DUMPABLE */, 0, 0);
}

/* Drains the child's records; returns the index after the last one. */
static uint64_t drain(int fd, uint64_t next, uint64_t *last_progress)
{
	struct record rec[512];
	for (;;) {
		ssize_t n = read(fd, rec, sizeof rec);
		if (n <= 0)
			return next;
		for (ssize_t i = 0; i < n / (ssize_t)sizeof rec[0]; i++) {
			if (rec[i].err)
				n_err[rec[i].err]++;
			else
				n_ok++;
			kcycles[rec[i].nr < NR_MAX ? rec[i].nr : NR_MAX] += rec[i].kcycles;
			if (rec[i].nr < NR_MAX) {
				if (rec[i].err == 38 /* ENOSYS */)
					nosys[rec[i].nr]++;
				else
					answered[rec[i].nr] = 1;
			}
			next = (uint64_t)rec[i].idx + 1;
		}
		*last_progress = now_ns();
	}
}

/* The name of call idx's syscall (its arguments are the child's). */
static const char *call_name(uint64_t idx)
{
	seed_call(idx);
	long nr = pick_nr();
	return in_table(nr) && specs[nr].name ? specs[nr].name : "(past the table)";
}

/* Runs calls [next, end) in a child; returns where the next child starts. */
static uint64_t run_segment(uint64_t next, uint64_t end)
{
	int p[2];
	if (pipe2(p, O_NONBLOCK) != 0)
		die("pipe2");
	if (dup2(p[1], PROGRESS_FD) != PROGRESS_FD)
		die("dup2 progress");
	close(p[1]);
	pid_t pid;
	int tries = 0;
	while ((pid = fork()) < 0) {
		if (++tries == 1000)
			die("fork");
		usleep(1000);
	}
	if (pid == 0) {
		close(p[0]);
		run_child(next, end);
	}
	n_children++;
	close(PROGRESS_FD);
	uint64_t last_progress = now_ns();
	int killed = 0;
	uint64_t nudged_at = 0;
	for (;;) {
		next = drain(p[0], next, &last_progress);
		int st;
		pid_t w = waitpid(-1, &st, WNOHANG | WUNTRACED | __WALL);
		if (w == pid && WIFSTOPPED(st)) {
			kill(pid, SIGCONT);
			continue;
		}
		if (w == pid) {
			next = drain(p[0], next, &last_progress);
			if (killed) {
				n_hung++;
				printf("hang: call %llu (%s) made no progress for %d s\n",
				       (unsigned long long)next, call_name(next), HANG_SECS);
			} else if (WIFSIGNALED(st)) {
				n_signal[WTERMSIG(st) & 63]++;
				if (verbose)
					printf("death: call %llu (%s) signal %d\n",
					       (unsigned long long)next, call_name(next),
					       WTERMSIG(st));
			} else if (next < end) {
				n_exit_other++;
				printf("exit: call %llu (%s) ended the child with status %d\n",
				       (unsigned long long)next, call_name(next),
				       WEXITSTATUS(st));
			}
			break;
		}
		if (w > 0)
			continue; /* a CLONE_PARENT child of the child */
		uint64_t idle = now_ns() - last_progress;
		if (!killed && idle > HANG_SECS * 1000000000ULL) {
			kill(pid, SIGKILL);
			killed = 1;
		} else if (idle > NUDGE_NS && nudged_at != last_progress) {
			kill(pid, SIGALRM);
			nudged_at = last_progress;
			n_nudged++;
		}
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
	}
	close(p[0]);
	/* What the calls forked and left stopped (kill(0, SIGSTOP)) is in
	 * the child's process group, which nothing continues: the child led
	 * its own session, so the group was orphaned from the start. */
	kill(-pid, SIGKILL);
	/* The call the child died or hung in is made: go on after it. */
	return next < end ? next + 1 : end;
}

int main(int argc, char **argv)
{
	uint64_t calls = 100000, first = 0;
	int pos = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--host") == 0)
			host_mode = 1;
		else if (strcmp(argv[i], "--verbose") == 0)
			verbose = 1;
		else if (strcmp(argv[i], "--cgroup") == 0 && i + 1 < argc)
			cgroup_dir = argv[++i];
		else if (strcmp(argv[i], "--skip") == 0 && i + 1 < argc) {
			for (char *p = argv[++i]; *p;) {
				unsigned long nr = strtoul(p, &p, 0);
				if (nr < NR_MAX)
					skip[nr] = 1;
				if (*p == ',')
					p++;
				else if (*p)
					break;
			}
		}
		else if (pos == 0 && ++pos)
			seed = strtoull(argv[i], NULL, 0);
		else if (pos == 1 && ++pos)
			calls = strtoull(argv[i], NULL, 0);
		else if (pos == 2 && ++pos)
			first = strtoull(argv[i], NULL, 0);
		else {
			fprintf(stderr, "usage: fuzz [--host] [--verbose] [--cgroup DIR] "
					"[--skip NR,...] [SEED [CALLS [FIRST]]]\n");
			return 2;
		}
	}
	if (seed == 0)
		seed = now_ns() ^ ((uint64_t)getpid() << 32);
	printf("seed %llu\n", (unsigned long long)seed);
	if (host_mode)
		host_setup();
	else {
		int fd = open("/proc/self/oom_score_adj", O_WRONLY);
		if (fd >= 0) {
			if (write(fd, "-1000\n", 6) != 6)
				die("oom_score_adj");
			close(fd);
		}
	}
	/* What the children fork and leave behind is ours to reap, not
	 * init's (whose reaping the test cannot count on). */
	raw(157, 36 /* PR_SET_CHILD_SUBREAPER */, 1, 0);
	/* Signals a child's calls might send us by mistake do no harm. */
	for (int s = 1; s < 32; s++)
		if (s != SIGKILL && s != SIGSTOP && s != SIGCHLD && !synchronous(s))
			signal(s, SIG_IGN);
	if (verbose && dup2(2, LOG_FD) != LOG_FD)
		die("dup2 log");
	uint64_t start = now_ns();
	uint64_t end = first + calls;
	for (uint64_t next = first; next < end;) {
		uint64_t seg_end = next + SEGMENT < end ? next + SEGMENT : end;
		next = run_segment(next, seg_end);
	}
	while (waitpid(-1, NULL, WNOHANG | __WALL) > 0)
		;
	uint64_t n_errors = 0;
	for (int e = 0; e < 4096; e++)
		n_errors += n_err[e];
	printf("calls %llu\n", (unsigned long long)calls);
	printf("returned %llu ok, %llu errors, %llu unanswered (the child died or hung)\n",
	       (unsigned long long)n_ok, (unsigned long long)n_errors,
	       (unsigned long long)(calls - n_ok - n_errors));
	for (int e = 1; e < 4096; e++)
		if (n_err[e])
			printf("errno %d: %llu\n", e, (unsigned long long)n_err[e]);
	unsigned n_answered = 0;
	for (int nr = 0; nr < NR_MAX; nr++)
		n_answered += answered[nr] != 0;
	printf("syscalls that answered other than ENOSYS: %u\n", n_answered);
	printf("children %llu\n", (unsigned long long)n_children);
	for (int s = 1; s < 65; s++)
		if (n_signal[s])
			printf("killed by signal %d: %llu\n", s, (unsigned long long)n_signal[s]);
	printf("nudged with SIGALRM %llu, hung %llu, exited early %llu\n",
	       (unsigned long long)n_nudged, (unsigned long long)n_hung,
	       (unsigned long long)n_exit_other);
	/* The five syscalls that took the most time (where a run's time goes). */
	for (int top = 0; top < 5; top++) {
		int best = -1;
		for (int nr = 0; nr <= NR_MAX; nr++)
			if (kcycles[nr] && (best < 0 || kcycles[nr] > kcycles[best]))
				best = nr;
		if (best < 0)
			break;
		printf("slowest: %s %llu Mcycles\n",
		       best < NR_MAX && specs[best].name ? specs[best].name : "(past the table)",
		       (unsigned long long)(kcycles[best] >> 10));
		kcycles[best] = 0;
	}
	printf("time %llu ms\n", (unsigned long long)((now_ns() - start) / 1000000));
	printf("fuzz: done\n");
	return 0;
}
