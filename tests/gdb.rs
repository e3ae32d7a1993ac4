//! Scripted gdb sessions against QEMU's gdb stub: break in a Linux-named
//! function and check the backtrace reads like Linux's.

mod cbuild;
mod common;

use common::{TIMEOUT_SECS, script_file, tinymm};

/// Runs `tinymm gdb --batch` with `commands`, feeding `script` to the
/// console; returns gdb's output.
fn gdb(script: &str, commands: &[&str]) -> String {
    gdb_with(script, &[], commands)
}

/// `gdb` with extra `tinymm run` options (`--gen /data/f:8M`, ...).
fn gdb_with(script: &str, run_options: &[&str], commands: &[&str]) -> String {
    let (status, stdout, stderr) = gdb_session(script, run_options, commands);
    assert_eq!(status, 0, "gdb failed: {stderr}");
    stdout
}

fn gdb_session(script: &str, run_options: &[&str], commands: &[&str]) -> (i32, String, String) {
    let script = script_file(script);
    let mut args = vec![
        "gdb",
        "--batch",
        "--timeout",
        TIMEOUT_SECS,
        "--script",
        script.to_str().unwrap(),
    ];
    args.extend_from_slice(run_options);
    for command in commands {
        args.extend(["--gdb-cmd", command]);
    }
    let (status, stdout, stderr) = tinymm(&args);
    println!("--- gdb (status {status}) ---\n{stdout}\n--- stderr ---\n{stderr}");
    (status, stdout, stderr)
}

/// Function names of the `bt` frames in `output`, innermost first, reduced
/// to their last path segment (`kernel::mm::page_alloc::__alloc_pages` ->
/// `__alloc_pages`); `??` for frames gdb cannot name.
fn backtrace(output: &str) -> Vec<String> {
    output
        .lines()
        .filter(|l| l.starts_with('#') && l[1..].starts_with(|c: char| c.is_ascii_digit()))
        .map(|l| {
            let rest = l
                .split_once(char::is_whitespace)
                .map_or("", |(_, r)| r)
                .trim_start();
            // "0xADDR in NAME (...)" or "NAME (...)"
            let rest = match rest.split_once(" in ") {
                Some((addr, name)) if addr.starts_with("0x") => name,
                _ => rest,
            };
            let name = rest.split(" (").next().unwrap_or("").trim();
            name.rsplit("::").next().unwrap_or(name).to_string()
        })
        .collect()
}

/// How many frames from #0 are the function gdb stopped in: #0 and the
/// frames of what is inlined into the same code, which gdb prints without
/// a return address (`#1  NAME (...)`, not `#1  0x... in NAME (...)`).
fn stopped_frames(output: &str) -> usize {
    let frames: Vec<&str> = output
        .lines()
        .filter(|l| l.starts_with('#') && l[1..].starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    1 + frames
        .iter()
        .skip(1)
        .take_while(|l| {
            let rest = l.split_once(char::is_whitespace).map_or("", |(_, r)| r);
            !rest.trim_start().starts_with("0x")
        })
        .count()
}

/// Positions of `names` in `frames`, each after the previous one.
fn in_order(frames: &[String], names: &[&str]) -> Result<Vec<usize>, String> {
    let mut from = 0;
    let mut found = Vec::new();
    for name in names {
        let at = frames[from..]
            .iter()
            .position(|f| f == name)
            .ok_or_else(|| format!("no frame `{name}` after #{from} in {frames:?}"))?;
        found.push(from + at);
        from += at + 1;
    }
    Ok(found)
}

#[test]
fn backtrace_parsing() {
    let output = "\
#0  kernel::mm::page_alloc::__alloc_pages (order=0) at kernel/src/mm/page_alloc.rs:10
#1  0xffffffff80001234 in kernel::mm::page_alloc::alloc_pages (order=0) at x.rs:3
#2  0x0000000000000010 in ?? ()
#10 0xffffffff80004807 in kernel::init::start_kernel (boot_info=...) at kernel/src/init.rs:9
Breakpoint 1, not a frame
";
    let frames = backtrace(output);
    assert_eq!(
        frames,
        ["__alloc_pages", "alloc_pages", "??", "start_kernel"]
    );
    assert_eq!(
        in_order(&frames, &["__alloc_pages", "start_kernel"]),
        Ok(vec![0, 3])
    );
    assert!(in_order(&frames, &["start_kernel", "__alloc_pages"]).is_err());
    assert_eq!(stopped_frames(output), 1);
    let inlined = "\
#0  core::sync::atomic::atomic_load<u64, false> (dst=0x1) at atomic.rs:4319
#1  kernel::mm::memcontrol::memcg_check_events (memcg=0x1) at mod.rs:586
#2  0xffffffff800572ed in kernel::mm::memcontrol::uncharge_batch (ug=0x2) at mod.rs:885
#3  kernel::mm::memcontrol::__mem_cgroup_uncharge_list (pages=...) at mod.rs:931
";
    assert_eq!(stopped_frames(inlined), 2);
}

/// The mm bring-up allocates pages from `start_kernel` through
/// `mm_core_init`; a breakpoint on `__alloc_pages` shows that chain.
#[test]
fn break_in_alloc_pages_shows_linux_call_chain() {
    let commands = ["break __alloc_pages", "continue", "bt"];
    let (status, output, stderr) = gdb_session("exit\n", &[], &commands);
    assert!(
        !stderr.contains("\"__alloc_pages\" not defined"),
        "the kernel has no __alloc_pages: mm/ must provide start_kernel -> mm_core_init -> ... -> __alloc_pages"
    );
    assert_eq!(status, 0, "gdb failed: {stderr}");
    let frames = backtrace(&output);
    let order = in_order(
        &frames,
        &[
            "__alloc_pages",
            "allocate_slab",
            "kmem_cache_init",
            "mm_core_init",
            "start_kernel",
        ],
    );
    let order = order.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(order[0], 0, "breakpoint frame is not innermost: {frames:?}");
}

/// A breakpoint on Linux's int3 handler fires for the int3 self-test and
/// the backtrace unwinds through the entry stub's CFI into the kernel
/// function that executed `int3`: `exc_int3` ← `asm_exc_int3` ← `int3`.
#[test]
fn break_in_exc_int3() {
    let output = gdb(
        "echo int3 > /sys/kernel/debug/tinymm/selftest\nexit\n",
        &["break exc_int3", "continue", "bt"],
    );
    let frames = backtrace(&output);
    let order = in_order(
        &frames,
        &["exc_int3", "asm_exc_int3", "int3", "selftest_store"],
    );
    let order = order.unwrap_or_else(|e| panic!("{e}"));
    assert!(order[0] < stopped_frames(&output), "not hit: {frames:?}");
    assert_eq!(order[1], order[0] + 1, "{frames:?}");
    assert_eq!(order[2], order[1] + 1, "{frames:?}");
}

/// `int3` in a user program: `exc_int3` ← `asm_exc_int3` ← the user
/// instruction after the `int3` (the RIP the CPU saved in pt_regs, which
/// gdb prints from the handler's `regs`), in ring 3.
#[test]
fn break_in_exc_int3_unwinds_to_user_mode() {
    let output = gdb(
        "/bin/fault int3\nexit\n",
        &[
            "break exc_int3",
            "continue",
            "bt",
            "printf \"user ip %#018lx cs %#lx\\n\", regs.ip, regs.cs",
        ],
    );
    let frames = backtrace(&output);
    let order = in_order(&frames, &["exc_int3", "asm_exc_int3"]).unwrap_or_else(|e| panic!("{e}"));
    assert!(order[0] < stopped_frames(&output), "not hit: {frames:?}");
    assert_eq!(order[1], order[0] + 1, "{frames:?}");
    let regs = output
        .lines()
        .find_map(|l| l.strip_prefix("user ip "))
        .unwrap_or_else(|| panic!("no regs line: {output}"));
    let (ip, cs) = regs.split_once(" cs ").expect(regs);
    assert_eq!(cs, "0x33", "__USER_CS: the breakpoint came from ring 3");
    let user = format!("#{} ", order[1] + 1);
    let user_frame = output
        .lines()
        .find(|l| l.starts_with(&user))
        .unwrap_or_else(|| panic!("no frame after asm_exc_int3: {output}"));
    assert!(
        user_frame.contains(&format!("{ip} in ?? ()")),
        "{user_frame} vs {ip}"
    );
}

/// A single step in ring 3 (`fault step` sets EFLAGS.TF): #DB arrives on
/// its IST stack and `asm_exc_debug` moves the frame to the task stack
/// (`sync_regs`) before `noist_exc_debug`; the chain still unwinds into
/// ring 3, and the frame gdb reads is the copy on the task stack, with
/// TF set in the saved flags.
#[test]
fn break_in_noist_exc_debug_unwinds_to_user_mode() {
    let output = gdb(
        "/bin/fault step\nexit\n",
        &[
            "break noist_exc_debug",
            "continue",
            "bt",
            "printf \"user ip %#018lx cs %#lx tf %d\\n\", regs.ip, regs.cs, (regs.flags >> 8) & 1",
            "printf \"regs %#lx\\n\", regs",
        ],
    );
    let frames = backtrace(&output);
    let order =
        in_order(&frames, &["noist_exc_debug", "asm_exc_debug"]).unwrap_or_else(|e| panic!("{e}"));
    assert!(order[0] < stopped_frames(&output), "not hit: {frames:?}");
    assert_eq!(order[1], order[0] + 1, "{frames:?}");
    let regs = output
        .lines()
        .find_map(|l| l.strip_prefix("user ip "))
        .unwrap_or_else(|| panic!("no regs line: {output}"));
    let (ip, rest) = regs.split_once(" cs ").expect(regs);
    assert_eq!(rest, "0x33 tf 1", "from ring 3 with TF set");
    let user = format!("#{} ", order[1] + 1);
    let user_frame = output
        .lines()
        .find(|l| l.starts_with(&user))
        .unwrap_or_else(|| panic!("no frame after asm_exc_debug: {output}"));
    assert!(
        user_frame.contains(&format!("{ip} in ?? ()")),
        "{user_frame} vs {ip}"
    );
    // pt_regs sits at the top of the task's kernel stack (the direct
    // map), not on the IST stack in the kernel image's .bss.
    let at = output
        .lines()
        .find_map(|l| l.strip_prefix("regs 0x"))
        .unwrap_or_else(|| panic!("no regs address: {output}"));
    assert!(at.starts_with("ffff888"), "regs at {at}");
}

/// A syscall from ring 3: `x64_sys_call` ← `do_syscall_64` ←
/// `entry_SYSCALL_64` ← the user instruction after `syscall` (the getpid
/// program's `syscall` ends at 0x400007). This needs the CFI of the
/// entry stub.
#[test]
fn break_in_x64_sys_call_unwinds_to_user_mode() {
    let output = gdb(
        "echo user getpid > /sys/kernel/debug/tinymm/selftest\nexit\n",
        &after_selftest_user(&["break x64_sys_call", "continue", "bt"]),
    );
    let frames = backtrace(&output);
    let order = in_order(
        &frames,
        &["x64_sys_call", "do_syscall_64", "entry_SYSCALL_64"],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(order[0], 0, "{frames:?}");
    let user = format!("#{} ", order[2] + 1);
    let user_frame = output
        .lines()
        .find(|l| l.starts_with(&user))
        .unwrap_or_else(|| panic!("no frame after entry_SYSCALL_64: {output}"));
    assert!(user_frame.contains("0x0000000000400007"), "{user_frame}");
}

/// `commands` once the selftest's user program is about to run: the
/// syscalls and faults before it are busybox's. The breakpoint is
/// temporary: stepping over a kept one under QEMU's stub sometimes leaves
/// the pc where it was, and `continue` then reports it hit again.
fn after_selftest_user<'a>(commands: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["tbreak selftest_user", "continue"];
    all.extend_from_slice(commands);
    all
}

/// A user page fault: `exc_page_fault` ← `asm_exc_page_fault` ← the
/// faulting user instruction (the segv program's store at 0x400005).
#[test]
fn break_in_exc_page_fault_unwinds_to_user_mode() {
    let output = gdb(
        "echo user segv > /sys/kernel/debug/tinymm/selftest\nexit\n",
        &after_selftest_user(&["break exc_page_fault", "continue", "bt"]),
    );
    let frames = backtrace(&output);
    let order = in_order(&frames, &["exc_page_fault", "asm_exc_page_fault"])
        .unwrap_or_else(|e| panic!("{e}"));
    let user = format!("#{} ", order[1] + 1);
    let user_frame = output
        .lines()
        .find(|l| l.starts_with(&user))
        .unwrap_or_else(|| panic!("no frame after asm_exc_page_fault: {output}"));
    assert!(user_frame.contains("0x0000000000400005"), "{user_frame}");
}

/// A kernel-mode fault inside a user copy (nanosleep with an unmapped
/// timespec) unwinds through the copy and the syscall path into user
/// mode: the exception-table case.
#[test]
fn break_in_exc_page_fault_during_a_user_copy() {
    let output = gdb(
        "echo user efault > /sys/kernel/debug/tinymm/selftest\nexit\n",
        &after_selftest_user(&["break exc_page_fault", "continue", "bt"]),
    );
    let frames = backtrace(&output);
    in_order(
        &frames,
        &[
            "exc_page_fault",
            "asm_exc_page_fault",
            "copy_user_generic",
            "copy_from_user",
            "sys_nanosleep",
            "x64_sys_call",
            "do_syscall_64",
            "entry_SYSCALL_64",
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

/// The periodic tick: `scheduler_tick` ← `update_process_times` ←
/// `tick_periodic` ← `tick_handle_periodic` ← `timer_interrupt` ←
/// `common_interrupt` ← `asm_common_interrupt`, and on through the stub's
/// CFI into whatever the tick interrupted.
#[test]
fn break_in_scheduler_tick_shows_the_tick_chain() {
    let output = gdb("exit\n", &["break scheduler_tick", "continue", "bt"]);
    let frames = backtrace(&output);
    let order = in_order(
        &frames,
        &[
            "scheduler_tick",
            "update_process_times",
            "tick_periodic",
            "tick_handle_periodic",
            "timer_interrupt",
            "common_interrupt",
            "asm_common_interrupt",
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // (Frames before scheduler_tick are helpers inlined into it.)
    // The first tick interrupts kernel code (the idle loop or pid 1
    // starting): the stub's CFI leads on into named kernel functions.
    // When the tick lands on a function's first instruction gdb names
    // that frame `??` (it looks up pc − 1, as for a return address), so
    // the interrupted frame itself or its caller must be named.
    let after: Vec<&str> = frames[order[6] + 1..]
        .iter()
        .take(2)
        .map(String::as_str)
        .collect();
    assert!(
        after.iter().any(|&f| f != "??"),
        "nothing named unwound past the interrupt stub: {frames:?}"
    );
}

/// A write fault of a user program on anonymous memory: the chain from the
/// asm entry through Linux's fault path to `do_anonymous_page`. The first
/// user fault (on the program's text) arms the breakpoint, so the hit is
/// not the kernel building the program's stack at exec.
#[test]
fn break_in_do_anonymous_page_shows_the_fault_path() {
    let output = gdb(
        "/bin/anon 1M\nexit\n",
        &[
            "break do_user_addr_fault",
            "continue",
            "delete",
            "break do_anonymous_page",
            "continue",
            "bt",
        ],
    );
    let frames = backtrace(&output);
    let order = in_order(
        &frames,
        &[
            "do_anonymous_page",
            "handle_pte_fault",
            "__handle_mm_fault",
            "handle_mm_fault",
            "do_user_addr_fault",
            "handle_page_fault",
            "exc_page_fault",
            "asm_exc_page_fault",
        ],
    );
    let order = order.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(order[0], 0);
}

/// Moving the shell with `echo $$ > .../cgroup.procs` goes through
/// Linux's chain: `kernfs_fop_write_iter` → `cgroup_file_write` →
/// `cgroup_procs_write` → `__cgroup_procs_write` → `cgroup_attach_task`
/// → `File::write` (the shell is a kernel task: below that is its own
/// write path, not a syscall).
#[test]
fn break_in_cgroup_attach_task_shows_procs_write_chain() {
    let output = gdb(
        "mkdir /sys/fs/cgroup/a\necho $$ > /sys/fs/cgroup/a/cgroup.procs\nexit\n",
        &["break cgroup_attach_task", "continue", "bt"],
    );
    let frames = backtrace(&output);
    let order = in_order(
        &frames,
        &[
            "cgroup_attach_task",
            "__cgroup_procs_write",
            "cgroup_procs_write",
            "cgroup_file_write",
            "kernfs_fop_write_iter",
            "write",
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // Above cgroup_attach_task only the Arc accessors inlined into its
    // first line.
    assert!(
        frames[..order[0]].iter().all(|f| !f.contains("cgroup")),
        "{frames:?}"
    );
    assert_eq!(
        order[1..5],
        [order[0] + 1, order[0] + 2, order[0] + 3, order[0] + 4]
    );
}

/// The first lines of the memcg scenarios: the memory controller enabled
/// for the root's children.
const ENABLE_MEMORY: &str = "echo +memory > /sys/fs/cgroup/cgroup.subtree_control\n";

/// Asserts `names` in order (extra frames between them allowed) and that
/// the first is where gdb stopped: above it only helpers inlined into it.
fn assert_chain(output: &str, names: &[&str]) -> Vec<String> {
    let frames = backtrace(output);
    let order = in_order(&frames, names).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        order[0] < stopped_frames(output),
        "`{}` is not the function gdb stopped in: {frames:?}",
        names[0]
    );
    frames
}

/// Reclaim from a charge in an anonymous fault: the shell's memcg has
/// memory.max=8M and `anon 32M` faults past it; the first charge that
/// finds the memcg at its limit reclaims (nothing reclaims a memcg below
/// its limit, and 128 MiB of RAM never needs global reclaim), so the first
/// call of `mem_cgroup_calculate_protection` is this one. Linux's chain
/// (v6.1's backtrace in the issue; `try_charge`, `mem_cgroup_charge`,
/// `handle_pte_fault` and `handle_page_fault` are inline there).
#[test]
fn break_in_mem_cgroup_calculate_protection_from_an_anon_charge() {
    let script = format!(
        "{ENABLE_MEMORY}mkdir /sys/fs/cgroup/m\n\
         echo 8M > /sys/fs/cgroup/m/memory.max\n\
         echo $$ > /sys/fs/cgroup/m/cgroup.procs\n\
         anon 32M\nexit\n"
    );
    let output = gdb(
        &script,
        &["break mem_cgroup_calculate_protection", "continue", "bt"],
    );
    assert_chain(
        &output,
        &[
            "mem_cgroup_calculate_protection",
            "shrink_node_memcgs",
            "shrink_node",
            "shrink_zones",
            "do_try_to_free_pages",
            "try_to_free_mem_cgroup_pages",
            "try_charge_memcg",
            "try_charge",
            "charge_memcg",
            "__mem_cgroup_charge",
            "mem_cgroup_charge",
            "do_anonymous_page",
            "handle_pte_fault",
            "__handle_mm_fault",
            "handle_mm_fault",
            "do_user_addr_fault",
            "handle_page_fault",
            "exc_page_fault",
            "asm_exc_page_fault",
        ],
    );
}

/// Reclaim uncharges the page cache it frees as one batch: the shell's
/// memcg (memory.max=8M) first reads a 6 MiB file, whose cache stays
/// charged to it, then `anon 4M` charges past the limit, which reclaims
/// the cache. `memcg_check_events` also runs after every charge and every
/// single-page uncharge, so gdb stops at the first `shrink_folio_list`,
/// then at the `uncharge_batch` it calls, and breaks on
/// `memcg_check_events` only then.
#[test]
fn break_in_memcg_check_events_from_reclaim_uncharge_batch() {
    let script = format!(
        "{ENABLE_MEMORY}mkdir /sys/fs/cgroup/m\n\
         echo 8M > /sys/fs/cgroup/m/memory.max\n\
         echo $$ > /sys/fs/cgroup/m/cgroup.procs\n\
         fileread /data/f\nanon 4M\nexit\n"
    );
    let output = gdb_with(
        &script,
        &["--gen", "/data/f:6M"],
        &[
            "tbreak shrink_folio_list",
            "continue",
            "tbreak uncharge_batch",
            "continue",
            "break memcg_check_events",
            "continue",
            "bt",
        ],
    );
    assert_chain(
        &output,
        &[
            "memcg_check_events",
            "uncharge_batch",
            "__mem_cgroup_uncharge_list",
            "mem_cgroup_uncharge_list",
            "shrink_folio_list",
            "shrink_inactive_list",
            "shrink_list",
            "shrink_lruvec",
            "shrink_node_memcgs",
            "shrink_node",
            "shrink_zones",
            "do_try_to_free_pages",
            "try_to_free_mem_cgroup_pages",
            "try_charge_memcg",
            "try_charge",
            "charge_memcg",
            "__mem_cgroup_charge",
            "mem_cgroup_charge",
            "do_anonymous_page",
            "handle_pte_fault",
            "__handle_mm_fault",
            "handle_mm_fault",
            "do_user_addr_fault",
            "handle_page_fault",
            "exc_page_fault",
            "asm_exc_page_fault",
        ],
    );
}

/// A memcg OOM from a file fault. `p` (memory.max=8M) holds `hold`, where
/// `anon 6M --hold` keeps anonymous memory that cannot be reclaimed (no
/// swap), and `read`, whose memory.min=max protects its page cache from
/// reclaim, so that reclaim cannot make room: `fileread --mmap` of an
/// 8 MiB file then faults page-cache pages in until a charge fails and
/// the OOM killer runs. (Without the protection reclaim frees the
/// reader's clean, mapped cache pages and nothing is ever OOM-killed.)
/// The reader's start-up (exec, stack, text) fits in the ~2 MiB left, so
/// the first OOM is in the mapping's fault. The chain of the issue's
/// v6.1 oops; tinymm has `mem_cgroup_charge` and `do_read_fault` in
/// between, which Linux inlines.
#[test]
fn break_in_mem_cgroup_out_of_memory_from_filemap_fault() {
    let script = format!(
        "{ENABLE_MEMORY}mkdir /sys/fs/cgroup/p\n\
         echo 8M > /sys/fs/cgroup/p/memory.max\n\
         echo +memory > /sys/fs/cgroup/p/cgroup.subtree_control\n\
         mkdir /sys/fs/cgroup/p/hold\nmkdir /sys/fs/cgroup/p/read\n\
         echo max > /sys/fs/cgroup/p/read/memory.min\n\
         echo $$ > /sys/fs/cgroup/p/hold/cgroup.procs\n\
         anon 6M --hold &\nsleep 1\n\
         echo $$ > /sys/fs/cgroup/p/read/cgroup.procs\n\
         fileread /data/f --mmap\nexit\n"
    );
    let output = gdb_with(
        &script,
        &["--gen", "/data/f:8M"],
        &["break mem_cgroup_out_of_memory", "continue", "bt"],
    );
    assert_chain(
        &output,
        &[
            "mem_cgroup_out_of_memory",
            "try_charge_memcg",
            "charge_memcg",
            "__mem_cgroup_charge",
            "__filemap_add_folio",
            "filemap_add_folio",
            "__filemap_get_folio",
            "filemap_fault",
            "__do_fault",
            "do_fault",
            "__handle_mm_fault",
            "handle_mm_fault",
            "do_user_addr_fault",
            "exc_page_fault",
            "asm_exc_page_fault",
        ],
    );
}

/// A fault on a file of the ext2 data disk reads around it, and the
/// window's pages are charged as they enter the page cache: the seed's
/// chain `filemap_fault` → `do_sync_mmap_readahead` → `do_page_cache_ra`
/// → `page_cache_ra_unbounded` → `filemap_add_folio` →
/// `__filemap_add_folio` → the charge. Files of the initramfs have no
/// readahead, so the first `page_cache_ra_unbounded` is this fault's.
#[test]
fn break_in_mem_cgroup_charge_from_mmap_readahead() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("gdb-readahead-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("f"), vec![7u8; 1 << 20]).unwrap();
    let data = format!("--data={}", dir.display());
    let output = gdb_with(
        "fileread /data/f --mmap\nexit\n",
        &[&data],
        &[
            "tbreak page_cache_ra_unbounded",
            "continue",
            "break __mem_cgroup_charge",
            "continue",
            "bt",
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_chain(
        &output,
        &[
            "__mem_cgroup_charge",
            "__filemap_add_folio",
            "filemap_add_folio",
            "page_cache_ra_unbounded",
            "do_page_cache_ra",
            "do_sync_mmap_readahead",
            "filemap_fault",
            "__do_fault",
            "do_fault",
            "__handle_mm_fault",
            "handle_mm_fault",
            "do_user_addr_fault",
            "exc_page_fault",
            "asm_exc_page_fault",
        ],
    );
}

/// The swap scenario of the seed's three swap backtraces: a 512 MiB swap
/// disk turned on, the shell in a memcg with memory.max=16M, and `anon
/// 64M --repeat 2`: the first pass swaps out (memcg reclaim of anonymous
/// pages from the charge of a fault), the second faults them back in.
const SWAP_SCENARIO: &str = "swapon /dev/vda\n\
     echo +memory > /sys/fs/cgroup/cgroup.subtree_control\n\
     mkdir /sys/fs/cgroup/m\n\
     echo 16M > /sys/fs/cgroup/m/memory.max\n\
     echo $$ > /sys/fs/cgroup/m/cgroup.procs\n\
     anon 64M --repeat 2\nexit\n";

/// `gdb` of [`SWAP_SCENARIO`] with its swap disk.
fn gdb_swap(commands: &[&str]) -> String {
    gdb_with(SWAP_SCENARIO, &["--swap", "512M"], commands)
}

/// Asserts that the frames from where gdb stopped are `names`, one after
/// the other, as in Linux's backtrace (gdb shows inlined frames too, so
/// the lists compare frame by frame); `optional` frames may sit between
/// (Linux functions of an alternative path). The frame after the last is
/// the user instruction that faulted.
fn assert_frames(output: &str, names: &[&str], optional: &[&str]) {
    let frames = backtrace(output);
    let first = frames
        .iter()
        .position(|f| f == names[0])
        .unwrap_or_else(|| panic!("no frame `{}`: {frames:?}", names[0]));
    assert!(
        first < stopped_frames(output),
        "`{}` is not the function gdb stopped in: {frames:?}",
        names[0]
    );
    let rest: Vec<&str> = frames[first..]
        .iter()
        .map(String::as_str)
        .filter(|f| !optional.contains(f))
        .take(names.len())
        .collect();
    assert_eq!(rest, names, "frame by frame, from #{first}: {frames:?}");
    let last = frames
        .iter()
        .rposition(|f| f == names[names.len() - 1])
        .expect("checked");
    let user = format!("#{} ", last + 1);
    let user = output
        .lines()
        .find(|l| l.starts_with(&user))
        .unwrap_or_else(|| panic!("no frame after `{}`: {output}", names[names.len() - 1]));
    assert!(
        user.contains(" in ?? ()") && user.contains("0x00000000004"),
        "{user}"
    );
}

/// The charge's reclaim from an anonymous fault, as in the seed: memcg
/// reclaim of the inactive anon list gives a page a slot, charged to
/// the memcg's swap counter.
const RECLAIM_FROM_AN_ANON_CHARGE: [&str; 22] = [
    "shrink_folio_list",
    "shrink_inactive_list",
    "shrink_list",
    "shrink_lruvec",
    "shrink_node_memcgs",
    "shrink_node",
    "shrink_zones",
    "do_try_to_free_pages",
    "try_to_free_mem_cgroup_pages",
    "try_charge_memcg",
    "try_charge",
    "charge_memcg",
    "__mem_cgroup_charge",
    "mem_cgroup_charge",
    "do_anonymous_page",
    "handle_pte_fault",
    "__handle_mm_fault",
    "handle_mm_fault",
    "do_user_addr_fault",
    "handle_page_fault",
    "exc_page_fault",
    "asm_exc_page_fault",
];

/// Swap-out charges the slot: `__mem_cgroup_try_charge_swap` ←
/// `mem_cgroup_try_charge_swap` ← `folio_alloc_swap` ← `add_to_swap` ←
/// `shrink_folio_list` ← ... ← `do_anonymous_page` ← ... ←
/// `asm_exc_page_fault`, the seed's v6.1 frames (which go on through
/// `__filemap_add_folio` there: a file fault's charge; here an anonymous
/// one's, as in its `mem_cgroup_swapout` chain).
#[test]
fn break_in_mem_cgroup_try_charge_swap_from_add_to_swap() {
    let output = gdb_swap(&["break __mem_cgroup_try_charge_swap", "continue", "bt"]);
    let mut names = vec![
        "__mem_cgroup_try_charge_swap",
        "mem_cgroup_try_charge_swap",
        "folio_alloc_swap",
        "add_to_swap",
    ];
    names.extend(RECLAIM_FROM_AN_ANON_CHARGE);
    assert_frames(&output, &names, &[]);
}

/// The page leaves memory once written: `mem_cgroup_swapout` ←
/// `__remove_mapping` ← `shrink_folio_list` ← ... (the seed's chain).
#[test]
fn break_in_mem_cgroup_swapout_from_remove_mapping() {
    let output = gdb_swap(&["break mem_cgroup_swapout", "continue", "bt"]);
    let mut names = vec!["mem_cgroup_swapout", "__remove_mapping"];
    names.extend(RECLAIM_FROM_AN_ANON_CHARGE);
    assert_frames(&output, &names, &[]);
}

/// Swap-in charges the page read back: `mem_cgroup_swapin_charge_folio`
/// ← `__read_swap_cache_async` ← `swap_cluster_readahead` ←
/// `swapin_readahead` ← `do_swap_page` ← `handle_pte_fault` ← ... ←
/// `asm_exc_page_fault`. The first swap-ins read one page (no readahead
/// window yet: Linux's `skip:` path through `read_swap_cache_async`); the
/// 21st, in the sequential second pass, is in the window's loop, as the
/// seed's (both are Linux's, so `read_swap_cache_async` may sit between).
#[test]
fn break_in_mem_cgroup_swapin_charge_folio_from_do_swap_page() {
    let output = gdb_swap(&[
        "break mem_cgroup_swapin_charge_folio",
        "ignore 1 20",
        "continue",
        "bt",
    ]);
    assert_frames(
        &output,
        &[
            "mem_cgroup_swapin_charge_folio",
            "__read_swap_cache_async",
            "swap_cluster_readahead",
            "swapin_readahead",
            "do_swap_page",
            "handle_pte_fault",
            "__handle_mm_fault",
            "handle_mm_fault",
            "do_user_addr_fault",
            "handle_page_fault",
            "exc_page_fault",
            "asm_exc_page_fault",
        ],
        &["read_swap_cache_async"],
    );
}

/// A thread created by an unmodified glibc program: `copy_process` ←
/// `kernel_clone` ← `sys_clone3` ← the syscall path, into user space
/// (glibc's `clone3`, a user address; gdb has no symbols for it).
#[test]
fn break_in_copy_process_from_pthread_create() {
    cbuild::build();
    let add = format!("{}:/bin/thread", cbuild::path("glibc", "thread").display());
    let output = gdb_with(
        "/bin/thread\nexit\n",
        &["--add", &add],
        &[
            // The shell's fork is clone(2); pthread_create's is clone3.
            "tbreak sys_clone3",
            "continue",
            "break copy_process",
            "continue",
            "bt",
        ],
    );
    let frames = assert_chain(
        &output,
        &[
            "copy_process",
            "kernel_clone",
            "sys_clone3",
            "x64_sys_call",
            "do_syscall_64",
            "entry_SYSCALL_64",
        ],
    );
    let entry = frames
        .iter()
        .position(|f| f.contains("entry_SYSCALL_64"))
        .expect("checked by assert_chain");
    let user = format!("#{} ", entry + 1);
    let user = output
        .lines()
        .find(|l| l.starts_with(&user))
        .unwrap_or_else(|| panic!("no frame after entry_SYSCALL_64: {output}"));
    let addr = user
        .split_whitespace()
        .find_map(|w| w.strip_prefix("0x"))
        .and_then(|h| u64::from_str_radix(h, 16).ok())
        .unwrap_or_else(|| panic!("no address: {user}"));
    assert!((0x400000..0x8000_0000_0000).contains(&addr), "{user}");
}

/// A thread that returns from its start routine ends in `do_exit` from
/// the exit syscall (glibc's `start_thread` calls exit, not exit_group).
#[test]
fn break_in_do_exit_from_a_thread_exit() {
    cbuild::build();
    let add = format!("{}:/bin/thread", cbuild::path("glibc", "thread").display());
    let output = gdb_with(
        "/bin/thread\nexit\n",
        &["--add", &add],
        &[
            "tbreak sys_exit",
            "continue",
            "break do_exit",
            "continue",
            "bt",
        ],
    );
    assert_chain(
        &output,
        &[
            "do_exit",
            "sys_exit",
            "x64_sys_call",
            "do_syscall_64",
            "entry_SYSCALL_64",
        ],
    );
}

/// The PVH boot chain: `start_kernel` ← `x86_64_start_kernel` (head_64.rs,
/// called from `startup_64` on the boot stack at the link address).
#[test]
fn start_kernel_is_called_from_x86_64_start_kernel() {
    let output = gdb("exit\n", &["break start_kernel", "continue", "bt"]);
    let frames = backtrace(&output);
    let order = in_order(&frames, &["start_kernel", "x86_64_start_kernel"])
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(order[0] < stopped_frames(&output), "not hit: {frames:?}");
    assert_eq!(order[1], order[0] + 1, "{frames:?}");
    assert_eq!(
        frames.get(order[1] + 1).map(String::as_str),
        Some("startup_64")
    );
}

/// A PVH start_info with a bad magic ends in a clear panic, not a triple
/// fault: `startup_64` is handed (in %esi) the physical address of the
/// kernel's first bytes (pvh_start_xen's code at 16 MiB) instead.
#[test]
fn pvh_start_info_with_bad_magic_panics() {
    let (_, output, stderr) = gdb_session(
        "exit\n",
        &[],
        &[
            "tbreak *startup_64",
            "continue",
            "set $rsi = 0x1000000",
            "continue",
        ],
    );
    assert!(
        output.contains(
            "Kernel panic - not syncing: tinymm: PVH start_info at 0x1000000 has magic 0x"
        ),
        "{output}\n{stderr}"
    );
    assert!(output.contains("not 0x336ec578"), "{output}");
    assert!(output.contains("tinymm: kernel failure"), "{output}");
}

/// A PVH start_info without a memory map (memmap_entries, at offset 48,
/// zeroed through the direct map) ends in a clear panic.
#[test]
fn pvh_start_info_without_memory_map_panics() {
    let (_, output, stderr) = gdb_session(
        "exit\n",
        &[],
        &[
            "tbreak *startup_64",
            "continue",
            "set {unsigned int}(0xffff888000000000 + $rsi + 48) = 0",
            "continue",
        ],
    );
    assert!(
        output.contains(
            "Kernel panic - not syncing: tinymm: PVH start_info has no memory map (memmap_entries 0)"
        ),
        "{output}\n{stderr}"
    );
    assert!(output.contains("tinymm: kernel failure"), "{output}");
}
