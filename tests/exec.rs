//! exec on tinymm: what a program sees at entry (argv, envp, the auxiliary
//! vector in Linux's order, zero registers, AT_PHDR, AT_RANDOM) for a
//! static and a static-pie build of `tests/exec/exectest.c`; execve(2)
//! from a running program, its errnos and close-on-exec; `#!` scripts with
//! Linux's argv rewriting and nesting limit; ENOEXEC and the missing
//! interpreter's ENOENT; and 1000 mutated ELF files, each of which fails
//! with Linux's errno, dies of the signal Linux would send, or runs, with
//! free memory and the root's memory.stat back at their baseline after.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{boot_with, lines, section, section_numbers};

fn tmp(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// Builds exectest.c with gcc (`-nostdlib` plus `flags`).
fn build(name: &str, flags: &[&str]) -> PathBuf {
    let out = tmp(name);
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/exec/exectest.c");
    let status = Command::new("gcc")
        .args([
            "-O1",
            "-nostdlib",
            "-fno-stack-protector",
            "-fno-asynchronous-unwind-tables",
        ])
        .args(flags)
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .status()
        .expect("gcc (Debian's gcc package) builds the exec test program");
    assert!(status.success(), "gcc {flags:?} failed");
    out
}

fn write_exec(name: &str, contents: &[u8], mode: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = tmp(name);
    std::fs::write(&path, contents).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

fn add(files: &[(PathBuf, &str)]) -> Vec<String> {
    files
        .iter()
        .flat_map(|(host, guest)| ["--add".to_string(), format!("{}:{guest}", host.display())])
        .collect()
}

fn kv<'a>(lines: &[&'a str]) -> BTreeMap<&'a str, &'a str> {
    lines.iter().filter_map(|l| l.split_once('=')).collect()
}

/// `auxv KEY VALUE` lines in order.
fn auxv(lines: &[&str]) -> Vec<(u64, u64)> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix("auxv "))
        .map(|l| {
            let (k, v) = l.split_once(' ').unwrap();
            (k.parse().unwrap(), v.parse().unwrap())
        })
        .collect()
}

#[test]
fn programs_start_as_on_linux_and_execve_replaces_them() {
    let et = build("exectest", &["-static", "-no-pie"]);
    let pie = build("exectest-pie", &["-static-pie"]);
    let dynamic = build("exectest-dyn", &[]);
    let script = write_exec("script", b"#!/data/et -x  y\necho not shell\n", 0o755);
    let text = write_exec("text", b"hello, I am not a program\n", 0o755);
    let noexec = write_exec("noexec", b"#!/data/et\n", 0o644);
    let mut files = vec![
        (et, "/data/et"),
        (pie, "/data/pie"),
        (dynamic, "/data/dyn"),
        (script, "/data/script"),
        (text, "/data/text"),
        (noexec, "/data/noexec"),
    ];
    // c0 runs /data/et; each c(k) runs c(k-1): five scripts deep is the
    // most Linux follows.
    for k in 0..6 {
        let line = if k == 0 {
            "#!/data/et\n".to_string()
        } else {
            format!("#!/data/c{}\n", k - 1)
        };
        let host = write_exec(&format!("c{k}"), line.as_bytes(), 0o755);
        files.push((
            host,
            [
                "/data/c0", "/data/c1", "/data/c2", "/data/c3", "/data/c4", "/data/c5",
            ][k],
        ));
    }
    let script = "\
echo === static
env -i /data/et one 'two words'
echo === pie
/data/pie
echo === script
/data/script a b
echo \"status=$?\"
echo === nested
/data/c4 z
echo \"status=$?\"
echo === errors
/data/c5
echo \"c5=$?\"
/data/text
echo \"text=$?\"
/data/noexec
echo \"noexec=$?\"
/data/dyn
echo \"dyn=$?\"
echo === execve
/data/et exec /data/pie q
echo \"status=$?\"
echo === execve-errors
/data/et exec /data/text
/data/et exec /nonexistent
/data/et exec /data/c5
/data/et exec /data/noexec
/data/et exec /data
echo === cloexec
/data/et cloexec
echo === end
";
    let args = add(&files);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (status, out) = boot_with("256M", false, script, &args);
    assert_eq!(status, 0);
    let out = lines(&out);

    for (name, pie) in [("static", false), ("pie", true)] {
        let s = section(&out, name);
        let m = kv(&s);
        assert_eq!(m["regs_zero"], "1", "{name}: every GPR zero at entry");
        assert_eq!(m["sp_aligned"], "1", "{name}");
        assert_eq!(m["random_above_sp"], "1", "{name}");
        assert_eq!(m["phdr_ok"], "1", "{name}: AT_PHDR = the program headers");
        assert_eq!(m["pie"], if pie { "1" } else { "0" });
        assert_eq!(m["platform"], "x86_64");
        assert_eq!(m["brk_aligned"], "1");
        let a = auxv(&s);
        let keys: Vec<u64> = a.iter().map(|&(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                51, 16, 6, 17, 3, 4, 5, 7, 8, 9, 11, 12, 13, 14, 23, 25, 26, 31, 15, 0
            ],
            "{name}: Linux's auxv order, no AT_SYSINFO_EHDR"
        );
        let val = |k: u64| a.iter().find(|&&(key, _)| key == k).unwrap().1;
        assert_eq!(val(51), 1440, "AT_MINSIGSTKSZ for FXSAVE frames");
        assert_eq!(val(6), 4096);
        assert_eq!(val(17), 100);
        assert_eq!(val(4), 56);
        for k in [7, 8, 11, 12, 13, 14, 23] {
            assert_eq!(val(k), 0, "{name}: auxv {k}");
        }
        assert_eq!(val(16) & 1, 1, "AT_HWCAP is CPUID.1:EDX (FPU bit)");
        if pie {
            // Below mmap_base, as Linux loads a program without PT_INTERP.
            assert!(val(9) > 0x7fff_0000_0000, "AT_ENTRY {:#x}", val(9));
            assert!(val(3) > 0x7fff_0000_0000);
        } else {
            assert_eq!(val(3), 0x400040);
            assert!((0x401000..0x402000).contains(&val(9)));
        }
    }
    let s = section(&out, "static");
    assert_eq!(m_argv(&s), ["/data/et", "one", "two words"]);
    assert_eq!(kv(&s)["execfn"], "/data/et");
    assert!(
        !s.iter().any(|l| l.starts_with("envp=")),
        "env -i passes no environment"
    );

    // #! with one argument: argv = [interp, arg, script, args...].
    let s = section(&out, "script");
    assert_eq!(m_argv(&s), ["/data/et", "-x  y", "/data/script", "a", "b"]);
    assert_eq!(kv(&s)["execfn"], "/data/script");
    assert_eq!(kv(&s)["status"], "0");
    let s = section(&out, "nested");
    assert_eq!(
        m_argv(&s),
        [
            "/data/et", "/data/c0", "/data/c1", "/data/c2", "/data/c3", "/data/c4", "z"
        ]
    );

    // What busybox ash makes of each errno, as on Linux: ELOOP and ENOENT
    // are 127, EACCES 126; ENOEXEC runs the file as a shell script.
    let m = kv(&section(&out, "errors"));
    assert_eq!(m["c5"], "127", "ELOOP");
    assert_eq!(m["text"], "127", "ENOEXEC: the text as a script");
    assert_eq!(m["noexec"], "126", "EACCES");
    assert_eq!(m["dyn"], "127", "ENOENT: the interpreter is missing");
    let errors = section(&out, "errors");
    // ash's messages, after `/scenario: line N`.
    for text in [
        ": /data/c5: Too many levels of symbolic links",
        "/data/text: line 1: hello,: not found",
        ": /data/noexec: Permission denied",
        ": /data/dyn: not found",
    ] {
        assert!(
            errors.iter().any(|l| l.ends_with(text)),
            "{text}: {errors:?}"
        );
    }
    assert!(
        out.iter().any(|l| l
            .contains("exec /data/dyn: needs the program interpreter /lib64/ld-linux-x86-64.so.2")),
        "the kernel log names the interpreter"
    );

    // execve(2) from a running program: the new image, the new argv/envp.
    let s = section(&out, "execve");
    assert_eq!(m_argv(&s), ["/data/pie", "q"]);
    assert!(s.contains(&"envp=X=1"));
    let m = kv(&s);
    assert_eq!(m["execfn"], "/data/pie");
    assert_eq!(m["regs_zero"], "1");
    assert_eq!(m["pie"], "1");
    assert_eq!(m["status"], "0");
    assert!(
        !m.contains_key("execve"),
        "execve does not return on success"
    );

    let e: Vec<&str> = section(&out, "execve-errors")
        .into_iter()
        .filter(|l| l.starts_with("execve="))
        .collect();
    assert_eq!(
        e,
        [
            "execve=-8",
            "execve=-2",
            "execve=-40",
            "execve=-13",
            "execve=-13"
        ]
    );

    let m = kv(&section(&out, "cloexec"));
    assert_eq!(m["open_cloexec"], "3");
    assert_eq!(m["open_plain"], "4");
    assert_eq!(m["getfd_a"], "1", "FD_CLOEXEC from O_CLOEXEC");
    assert_eq!(m["getfd_b"], "0");
    assert_eq!(
        m["dupfd_cloexec"], "5",
        "F_DUPFD_CLOEXEC: lowest at or above 5"
    );
    assert_eq!(m["getfd_5"], "1");
    assert_eq!(m["getfl_b"], "32768", "O_RDONLY | O_LARGEFILE");
    assert_eq!(m["getfd_bad"], "-9");
    assert_eq!(m["bad_cmd"], "-22");
    assert_eq!(m["fd3"], "-9", "closed by exec");
    assert_eq!(m["fd4"], "0", "kept across exec");
    assert_eq!(m["fd5"], "-9");
}

fn m_argv<'a>(lines: &[&'a str]) -> Vec<&'a str> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix("argv="))
        .collect()
}

/// xorshift64*: the mutations are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[(self.next() % v.len() as u64) as usize]
    }
}

const TASK_SIZE: u64 = 0x7fff_ffff_f000;

/// A static ET_EXEC whose every executable byte is safe to start at: file
/// page 1 is a nop sled ending in exit(0), mapped as text (R X at
/// 0x401000) and as data (RW at 0x601000, .bss after it); page 0 holds the
/// headers and an interpreter path for the PT_INTERP mutation.
fn base_elf() -> Vec<u8> {
    let mut f = vec![0u8; 0x2000];
    f[..8].copy_from_slice(b"\x7fELF\x02\x01\x01\x00");
    f[16..18].copy_from_slice(&2u16.to_le_bytes());
    f[18..20].copy_from_slice(&62u16.to_le_bytes());
    f[20..24].copy_from_slice(&1u32.to_le_bytes());
    f[24..32].copy_from_slice(&0x401000u64.to_le_bytes());
    f[32..40].copy_from_slice(&64u64.to_le_bytes());
    f[52..54].copy_from_slice(&64u16.to_le_bytes());
    f[54..56].copy_from_slice(&56u16.to_le_bytes());
    f[56..58].copy_from_slice(&3u16.to_le_bytes());
    let phdrs: [(u32, u32, u64, u64, u64, u64); 3] = [
        (1, 5, 0x1000, 0x401000, 0x1000, 0x1000),
        (1, 6, 0x1000, 0x601000, 0x800, 0x3000),
        (0x6474_e551, 6, 0, 0, 0, 0),
    ];
    for (i, (t, fl, off, va, fs, ms)) in phdrs.into_iter().enumerate() {
        let o = 64 + 56 * i;
        f[o..o + 4].copy_from_slice(&t.to_le_bytes());
        f[o + 4..o + 8].copy_from_slice(&fl.to_le_bytes());
        f[o + 8..o + 16].copy_from_slice(&off.to_le_bytes());
        f[o + 16..o + 24].copy_from_slice(&va.to_le_bytes());
        f[o + 24..o + 32].copy_from_slice(&va.to_le_bytes());
        f[o + 32..o + 40].copy_from_slice(&fs.to_le_bytes());
        f[o + 40..o + 48].copy_from_slice(&ms.to_le_bytes());
        f[o + 48..o + 56].copy_from_slice(&0x1000u64.to_le_bytes());
    }
    f[0x200..0x200 + 26].copy_from_slice(b"/lib/ld-tinymm-missing.so\0");
    // mov edi, 0; mov eax, 60; syscall
    let exit = [0xbf, 0, 0, 0, 0, 0xb8, 60, 0, 0, 0, 0x0f, 0x05];
    f[0x1000..0x2000 - exit.len()].fill(0x90);
    f[0x2000 - exit.len()..].copy_from_slice(&exit);
    f
}

/// One or two mutations of fields the loader reads, with values chosen so
/// that nothing but the sled or zero pages can be executed.
fn mutate(f: &mut Vec<u8>, rng: &mut Rng) {
    let ph = |i: u64, field: usize| 64 + 56 * i as usize + field;
    let set = |f: &mut Vec<u8>, at: usize, bytes: &[u8]| {
        if at + bytes.len() <= f.len() {
            f[at..at + bytes.len()].copy_from_slice(bytes);
        }
    };
    let i = rng.next() % 2;
    match rng.next() % 14 {
        0 => {
            let n = (rng.next() % f.len() as u64) as usize;
            f.truncate(n);
        }
        1 => {
            let at = (rng.next() % 16) as usize;
            f[at] ^= (rng.next() as u8) | 1;
        }
        2 => set(f, 16, &(rng.next() as u16 % 5).to_le_bytes()),
        3 => set(
            f,
            18,
            &rng.pick(&[0u16, 3, 40, 62, 183, 0xffff]).to_le_bytes(),
        ),
        4 => set(
            f,
            32,
            &rng.pick(&[64u64, 120, 0x1000, 0x2000, 1 << 40])
                .to_le_bytes(),
        ),
        5 => {
            set(
                f,
                56,
                &rng.pick(&[0u16, 1, 2, 4, 73, 74, 0xffff]).to_le_bytes(),
            );
            set(f, 54, &rng.pick(&[56u16, 56, 0, 32, 64]).to_le_bytes());
        }
        6 => {
            let v = rng.pick(&[0x1000u64, 0x1010, 0x2000, 0x10000, !0xfffu64, 0x3000]);
            set(f, ph(i, 8), &v.to_le_bytes());
        }
        7 => {
            let v = rng.pick(&[
                0x401000u64,
                0x601000,
                0x400010,
                0,
                0x1000,
                0x402000,
                TASK_SIZE - 0x1000,
                TASK_SIZE,
                1 << 47,
                !0xfffu64,
                0x7fff_ff7f_f000,
            ]);
            set(f, ph(i, 16), &v.to_le_bytes());
        }
        8 => {
            let v = rng.pick(&[0u64, 1, 0x800, 0x1000, 0x100000, 1 << 40, u64::MAX]);
            set(f, ph(i, 32), &v.to_le_bytes());
        }
        9 => {
            let v = rng.pick(&[0u64, 0x800, 0x1000, 0x3000, 1 << 40, 1 << 46, u64::MAX]);
            set(f, ph(i, 40), &v.to_le_bytes());
        }
        // Flags, W+X included.
        10 => set(
            f,
            ph(i, 4),
            &rng.pick(&[0u32, 4, 6, 7, 5, 2, 1]).to_le_bytes(),
        ),
        11 => {
            let v = rng.pick(&[
                0x401000u64,
                0x401100,
                0,
                0x1000,
                0x601000,
                TASK_SIZE - 1,
                1 << 63,
            ]);
            set(f, 24, &v.to_le_bytes());
        }
        // PT_INTERP naming a missing loader.
        12 => {
            set(f, ph(2, 0), &3u32.to_le_bytes());
            set(f, ph(2, 8), &0x200u64.to_le_bytes());
            set(f, ph(2, 32), &26u64.to_le_bytes());
        }
        // A third PT_LOAD overlapping the text.
        _ => {
            set(f, ph(2, 0), &1u32.to_le_bytes());
            set(f, ph(2, 4), &5u32.to_le_bytes());
            set(f, ph(2, 8), &0x1000u64.to_le_bytes());
            set(f, ph(2, 16), &0x400000u64.to_le_bytes());
            set(f, ph(2, 32), &0x2000u64.to_le_bytes());
            set(f, ph(2, 40), &0x2000u64.to_le_bytes());
        }
    }
}

const MUTANTS: usize = 1000;

#[test]
fn mutated_elf_files_fail_or_run_and_nothing_is_lost() {
    let et = build("exectest-m", &["-static", "-no-pie"]);
    let mut rng = Rng(0x7131_4a5e_0dd5_eed5);
    let mut files = vec![(et, "/data/et".to_string())];
    let mut round = String::new();
    for n in 0..MUTANTS {
        let mut f = base_elf();
        for _ in 0..1 + rng.next() % 2 {
            mutate(&mut f, &mut rng);
        }
        let host = write_exec(&format!("m{n:04}"), &f, 0o755);
        let guest = format!("/data/m/{n:04}");
        // Through et's execve, not the shell's: ash runs a file that fails
        // with ENOEXEC as a script.
        round.push_str(&format!("/data/et exec {guest}\necho \"r {n} $?\"\n"));
        files.push((host, guest));
    }
    // execve(2) replacing a program, and a #! script, in every round too.
    let sh = write_exec("msh", b"#!/data/et\n", 0o755);
    files.push((sh, "/data/msh".to_string()));
    round.push_str("/data/et exec /data/et q\n/data/msh\n/data/et exec /data/m/0000\n");
    let args: Vec<String> = files
        .iter()
        .flat_map(|(h, g)| ["--add".to_string(), format!("{}:{g}", h.display())])
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let script = format!(
        "{round}echo 3 > /proc/sys/vm/drop_caches\necho === before\ncat /proc/meminfo\n\
         echo === stat.before\ncat /sys/fs/cgroup/memory.stat\necho === .\n{round}\
         echo 3 > /proc/sys/vm/drop_caches\necho === after\ncat /proc/meminfo\n\
         echo === stat.after\ncat /sys/fs/cgroup/memory.stat\necho === end\n"
    );
    let (status, out) = boot_with("256M", false, &script, &args);
    assert_eq!(status, 0, "the kernel ran the whole script");
    let out = lines(&out);
    // A failed execve is et's `execve=-E` line and status 1; it counts as
    // a shell's 127 for ENOENT and 126 for any other errno.
    let results: Vec<(usize, u32)> = out
        .iter()
        .enumerate()
        .filter_map(|(i, l)| Some((i, l.strip_prefix("r ")?)))
        .map(|(i, l)| {
            let (n, s) = l.split_once(' ').unwrap();
            let mut s: u32 = s.parse().unwrap();
            if let Some(e) = out[i - 1].strip_prefix("execve=") {
                assert_eq!(s, 1, "et exits 1 after a failed execve");
                s = if e == "-2" { 127 } else { 126 };
            }
            (n.parse().unwrap(), s)
        })
        .collect();
    assert_eq!(
        results.len(),
        2 * MUTANTS,
        "every mutant ran in both rounds"
    );
    let mut by_status: BTreeMap<u32, usize> = BTreeMap::new();
    for (i, &(n, s)) in results.iter().enumerate() {
        // 126: ENOEXEC/EACCES/E..., 127: ENOENT (a missing interpreter),
        // 139/135: SIGSEGV/SIGBUS (after the point of no return, or from
        // running), 0: it ran.
        assert!(
            matches!(s, 0 | 126 | 127 | 135 | 139),
            "mutant {n}: status {s}"
        );
        assert_eq!(
            s,
            results[i % MUTANTS].1,
            "mutant {n}: the same in both rounds"
        );
        *by_status.entry(s).or_default() += 1;
    }
    println!("statuses: {by_status:?}");
    for s in [0, 126, 127, 139] {
        assert!(
            by_status.get(&s).copied().unwrap_or(0) > 10,
            "status {s}: {by_status:?}"
        );
    }
    let num = |sec: &str| section_numbers(&out, sec);
    let (before, after) = (num("before"), num("after"));
    assert_eq!(
        after["MemFree"], before["MemFree"],
        "free memory is back exactly"
    );
    for k in ["Cached", "AnonPages", "Mapped", "PageTables"] {
        assert_eq!(after[k], before[k], "{k}");
    }
    let (sb, sa) = (num("stat.before"), num("stat.after"));
    for k in [
        "anon",
        "file",
        "file_mapped",
        "inactive_anon",
        "active_anon",
        "inactive_file",
        "active_file",
    ] {
        assert_eq!(sa[k], sb[k], "root memory.stat {k}");
    }
}
