//! Ring-3 tasks in QEMU: the console's `selftest user` cases (hand-written
//! user programs mapped with `set_pte_at`, started with
//! `create_user_task`, reaped with `wait4`) and `selftest smap`. Every
//! assertion is on a value the kernel printed.

mod common;

use common::{boot, find_line, lines};

/// The line `selftest user CASE: ...` (the first one after `from`).
fn case_line<'a>(lines: &[&'a str], from: usize, case: &str) -> &'a str {
    let needle = format!("selftest user {case}: ");
    let at = find_line(lines, from, &needle).unwrap_or_else(|| panic!("no line for {case}"));
    lines[at]
}

/// The value after `key ` in `line` (up to the next space).
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    let start = line
        .find(&format!("{key} "))
        .unwrap_or_else(|| panic!("no `{key}` in {line}"))
        + key.len()
        + 1;
    line[start..].split(' ').next().unwrap()
}

#[test]
fn user_tasks_all_cases() {
    let (status, output) = boot(
        "128M",
        false,
        "echo \"writer $$\"\necho user > /sys/kernel/debug/tinymm/selftest\nexit\n",
    );
    let lines = lines(&output);
    let start = find_line(&lines, 0, "writer ").expect("the writer's pid");
    let writer: i32 = lines[start]["writer ".len()..].parse().unwrap();

    // CPU protections on.
    let cpu = case_line(&lines, start, "cpu");
    assert!(
        cpu.contains("smep true smap true nx true wp true ok"),
        "{cpu}"
    );

    // Page-table glue: 3 table pages (PUD, PMD, PTE) for the first page,
    // none for its neighbour, 3 for a page under another PGD entry;
    // free_pgd_range keeps tables that still map something; the accessed
    // bit is set by the CPU and cleared once; everything is freed at drop.
    let pgtable = case_line(&lines, start, "pgtable");
    assert!(
        pgtable.contains("tables 3 3 6 kept 6 freed-to 3 end 0 young true/false ok"),
        "{pgtable}"
    );

    // exit(7) is seen by wait4 as 7 << 8.
    let exit7 = case_line(&lines, start, "exit7");
    assert_eq!(field(exit7, "status"), "0x700", "{exit7}");

    // getpid returns the pid create_user_task gave (exit status = pid).
    let getpid = case_line(&lines, start, "getpid");
    let pid: i32 = field(getpid, "pid").parse().unwrap();
    assert!(pid > 1, "{getpid}");
    assert_eq!(
        field(getpid, "status"),
        format!("{:#x}", (pid & 0xff) << 8),
        "{getpid}"
    );

    // getppid is the shell that wrote the file; sched_yield returns 0.
    assert_eq!(
        field(case_line(&lines, start, "getppid"), "status"),
        format!("{:#x}", (writer & 0xff) << 8)
    );
    assert_eq!(field(case_line(&lines, start, "yield_"), "status"), "0x0");

    // clock_gettime: an unknown clock is -EINVAL; CLOCK_REALTIME is after
    // 2023 (the CMOS clock was read).
    assert_eq!(
        field(case_line(&lines, start, "clockinval"), "status"),
        "0x1600"
    );
    assert_eq!(field(case_line(&lines, start, "realtime"), "status"), "0x0");

    // An unknown syscall returns -ENOSYS (38).
    let enosys = case_line(&lines, start, "enosys");
    assert_eq!(field(enosys, "status"), "0x2600", "{enosys}");

    // write(1, ...) reaches the console and returns the byte count (18).
    let hello = find_line(&lines, start, "hello from ring 3").expect("user write");
    let write = case_line(&lines, start, "write");
    assert!(find_line(&lines, hello, "selftest user write: ").is_some());
    assert_eq!(field(write, "status"), "0x1200", "{write}");

    // uname: sysname "Linux", machine "x86_64".
    assert!(find_line(&lines, start, "Linuxx86_64").is_some());
    assert_eq!(field(case_line(&lines, start, "uname"), "status"), "0x0");

    // A bad user pointer gives -EFAULT (14); a bad timespec -EINVAL (22).
    assert_eq!(field(case_line(&lines, start, "efault"), "status"), "0xe00");
    assert_eq!(
        field(case_line(&lines, start, "einval"), "status"),
        "0x1600"
    );

    // Faults kill with SIGSEGV (status 11) and the kernel keeps running:
    // unmapped write, executing kernel text, reading the direct map,
    // executing the NX stack.
    for case in ["segv", "kexec", "kread", "nxexec"] {
        let line = case_line(&lines, start, case);
        assert_eq!(field(line, "status"), "0xb", "{line}");
    }
    let segv = find_line(&lines, start, "segv[").expect("segfault report");
    assert!(
        lines[segv].contains("segfault at 1000 ip 0000000000400005"),
        "{}",
        lines[segv]
    );
    assert!(lines[segv].ends_with("error 6"), "{}", lines[segv]);
    let kexec = find_line(&lines, start, "kexec[").expect("kexec report");
    assert!(lines[kexec].ends_with("error 15"), "{}", lines[kexec]);

    // nanosleep(5 ms) as measured by clock_gettime(CLOCK_MONOTONIC).
    let sleep = case_line(&lines, start, "sleep");
    let ms: u32 = field(sleep, "slept").parse().unwrap();
    assert!((5..=50).contains(&ms), "{sleep}");

    // A task asleep in nanosleep(100 s) dies at once from SIGTERM (15)
    // and from SIGKILL (9): the signal goes out after 10 ticks of the
    // tester's own sleep, and the death follows within a few more (wall
    // time: a loaded host delays ticks, so no exact count).
    let after_ticks = |line: &str, status: &str| {
        let rest = line
            .split_once(&format!("status {status} after "))
            .unwrap_or_else(|| panic!("{line}"))
            .1;
        let ticks: u64 = rest.split(' ').next().unwrap().parse().unwrap();
        assert!(rest.ends_with("ticks ok"), "{line}");
        assert!((10..=30).contains(&ticks), "{line}");
    };
    let term = find_line(&lines, start, "selftest user sleepkill: signal 15").expect("SIGTERM");
    after_ticks(lines[term], "Ok(15)");
    let kill9 = find_line(&lines, term, "selftest user sleepkill: signal 9").expect("SIGKILL");
    after_ticks(lines[kill9], "Ok(9)");

    // User copies: strncpy_from_user length, ENAMETOOLONG, EFAULT for a
    // string running into an unmapped page, an unmapped and a kernel
    // address; copy_to_user to a read-only page is EFAULT (exception table);
    // clear_user; a copy straddling into an unmapped page is EFAULT.
    let uaccess = case_line(&lines, start, "uaccess");
    assert!(
        uaccess.contains(
            "strncpy Ok(6)/Err(ENAMETOOLONG)/Err(EFAULT)/Err(EFAULT)/Err(EFAULT) \
             to_user Ok(())/Err(EFAULT) clear Ok(()) read Ok(()) straddle Err(EFAULT) ok"
        ),
        "{uaccess}"
    );

    // kill/wait4 errors.
    let errno = case_line(&lines, start, "errno");
    assert!(
        errno.contains("kill(30000) Err(ESRCH), kill(sig 99) Err(EINVAL), wait4 Err(ECHILD) ok"),
        "{errno}"
    );

    // 50 spinners all finish with their own codes next to a task that
    // spins forever (preemption), which SIGKILL then ends with status 9.
    let preempt = case_line(&lines, start, "preempt");
    assert!(preempt.contains("50/50 spinners exited"), "{preempt}");
    let kill = case_line(&lines, start, "kill");
    assert!(
        kill.contains("kill -> Ok(0), spinner status Ok(9) ok"),
        "{kill}"
    );

    // Nothing is lost: free pages and page-table pages are back.
    let free = find_line(&lines, start, "selftest user: free pages").expect("free line");
    let words: Vec<&str> = lines[free].split_whitespace().collect();
    // "selftest user: free pages A -> B, page tables C -> D restored"
    assert_eq!(words[4], words[6].trim_end_matches(','), "{}", lines[free]);
    assert_eq!(words[9], words[11], "{}", lines[free]);
    assert!(lines[free].ends_with("restored"), "{}", lines[free]);
    let summary = find_line(&lines, free, "selftest user: 24 passed, 0 failed");
    assert!(summary.is_some(), "summary");

    assert_eq!(status, 0, "poweroff status is the self-test's (0 = pass)");
}

#[test]
fn user_tasks_run_under_uefi() {
    let (status, output) = boot(
        "256M",
        true,
        "echo user preempt > /sys/kernel/debug/tinymm/selftest\nexit\n",
    );
    assert!(output.contains("50/50 spinners exited"));
    assert!(output.contains("spinner status Ok(9) ok"));
    assert!(output.contains("selftest user: 2 passed, 0 failed"));
    assert_eq!(status, 0);
}

#[test]
fn unknown_selftest_case_prints_usage_and_fails_the_write() {
    // The write to the selftest file fails with EINVAL, which the shell
    // reports; `exit` without an argument passes that status on.
    let (status, output) = boot(
        "128M",
        false,
        "echo user nosuchcase > /sys/kernel/debug/tinymm/selftest\nexit\n",
    );
    assert!(output.contains("selftest: usage: selftest user"));
    assert!(output.contains("sh: write error: Invalid argument"));
    assert_eq!(status, 1);
}

#[test]
fn smap_stops_kernel_reads_of_user_memory() {
    let (status, output) = boot(
        "128M",
        false,
        "echo smap > /sys/kernel/debug/tinymm/selftest\nexit 0\n",
    );
    assert_eq!(status, 125, "the run must fail");
    let lines = lines(&output);
    let bug = find_line(
        &lines,
        0,
        "BUG: unable to handle page fault for address: 0x7fffffffe000 (SMAP violation)",
    )
    .expect("oops line");
    let fault = find_line(&lines, bug, "vector 14 (page fault)").expect("vector line");
    // Kernel-mode read of a present page: P=1, W=0, U=0.
    assert!(lines[fault].contains("error_code=0x1 "), "{}", lines[fault]);
    assert!(
        lines[fault].contains("CR2=0x7fffffffe000"),
        "{}",
        lines[fault]
    );
    assert!(find_line(&lines, fault, "tinymm: kernel failure").is_some());
}
