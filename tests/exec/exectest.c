/* exectest: what a program sees at entry, as Linux's create_elf_tables and
 * start_thread leave it, and execve(2) from a running program. No libc
 * (built with -nostdlib, -static or -static-pie): raw syscalls, rip-relative
 * data only, so a static-pie needs no relocation.
 *
 *   exectest [ARGS...]         print argc, argv, envp, auxv and checks
 *   exectest exec PATH ARGS... execve(PATH, [PATH, ARGS...], ["X=1"])
 *   exectest cloexec           open two fds (one O_CLOEXEC), check fcntl,
 *                              then exec "exectest fds"
 *   exectest fds               report which of fds 3, 4, 5 are open
 */
typedef unsigned long u64;

/* Filled by _start: the OR of every general register but rsp at entry. */
u64 entry_regs_or;

__asm__(".globl _start\n_start:\n"
        "mov %rax, %r11\n or %rbx, %r11\n or %rcx, %r11\n or %rdx, %r11\n"
        "or %rsi, %r11\n or %rdi, %r11\n or %rbp, %r11\n or %r8, %r11\n"
        "or %r9, %r11\n or %r10, %r11\n or %r12, %r11\n or %r13, %r11\n"
        "or %r14, %r11\n or %r15, %r11\n"
        "mov %r11, entry_regs_or(%rip)\n"
        "mov %rsp, %rdi\n call cmain\n ud2\n");

static long sys(long n, long a, long b, long c) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
static u64 len(const char *s) { u64 n = 0; while (s[n]) n++; return n; }
static void put(const char *s) { sys(1, 1, (long)s, len(s)); }
static void num(long v) {
    char b[24]; int i = 23; int neg = v < 0; u64 u = neg ? -v : v;
    b[i] = 0;
    do { b[--i] = '0' + u % 10; u /= 10; } while (u);
    if (neg) b[--i] = '-';
    put(b + i);
}
static void kv(const char *k, long v) { put(k); put("="); num(v); put("\n"); }
static int eq(const char *a, const char *b) { while (*a && *a == *b) a++, b++; return *a == *b; }
static void exit_(int c) { sys(231, c, 0, 0); }

extern char __ehdr_start[];

void cmain(u64 *sp) {
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    if (argc >= 3 && eq(argv[1], "exec")) {
        char *env[2];
        env[0] = "X=1"; env[1] = 0;
        long r = sys(59, (long)argv[2], (long)(argv + 2), (long)env);
        kv("execve", r);
        exit_(1);
    }
    if (argc >= 2 && eq(argv[1], "cloexec")) {
        long a = sys(2, (long)"/bin/anon", 02000000, 0);      /* O_CLOEXEC */
        long b = sys(2, (long)"/bin/anon", 0, 0);
        kv("open_cloexec", a);
        kv("open_plain", b);
        kv("getfd_a", sys(72, a, 1, 0));
        kv("getfd_b", sys(72, b, 1, 0));
        kv("dupfd_cloexec", sys(72, b, 1030, 5));
        kv("getfd_5", sys(72, 5, 1, 0));
        kv("getfl_b", sys(72, b, 3, 0));
        kv("getfd_bad", sys(72, 99, 1, 0));
        kv("bad_cmd", sys(72, b, 12345, 0));
        char *nargv[3];
        nargv[0] = argv[0]; nargv[1] = "fds"; nargv[2] = 0;
        long r = sys(59, (long)argv[0], (long)nargv, 0);
        kv("execve", r);
        exit_(1);
    }
    if (argc >= 2 && eq(argv[1], "fds")) {
        kv("fd3", sys(72, 3, 1, 0));
        kv("fd4", sys(72, 4, 1, 0));
        kv("fd5", sys(72, 5, 1, 0));
        exit_(0);
    }
    kv("argc", argc);
    for (long i = 0; i < argc; i++) { put("argv="); put(argv[i]); put("\n"); }
    long envc = 0;
    for (; envp[envc]; envc++) { put("envp="); put(envp[envc]); put("\n"); }
    u64 *auxv = (u64 *)(envp + envc + 1);
    u64 random = 0, phdr = 0, execfn = 0, platform = 0;
    for (u64 *a = auxv; ; a += 2) {
        put("auxv "); num(a[0]); put(" "); num(a[1]); put("\n");
        if (a[0] == 25) random = a[1];
        if (a[0] == 3) phdr = a[1];
        if (a[0] == 31) execfn = a[1];
        if (a[0] == 15) platform = a[1];
        if (a[0] == 0) break;
    }
    kv("regs_zero", entry_regs_or == 0);
    kv("sp_aligned", ((u64)sp & 15) == 0);
    kv("random_above_sp", random > (u64)sp && random + 16 <= 0x7ffffffff000);
    /* AT_PHDR is where the program headers are: e_phoff past the header. */
    kv("phdr_ok", phdr == (u64)__ehdr_start + *(u64 *)(__ehdr_start + 32));
    kv("pie", (u64)__ehdr_start != 0x400000);
    put("execfn="); put((char *)execfn); put("\n");
    put("platform="); put((char *)platform); put("\n");
    kv("brk_aligned", (sys(12, 0, 0, 0) & 4095) == 0);
    exit_(0);
}
