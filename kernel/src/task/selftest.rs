//! Console self-tests of the task layer (`selftest user [CASE]`,
//! `selftest smap`): hand-written ring-3 programs (arch/x86_64/selftest.rs)
//! are mapped into fresh address spaces with `set_pte_at`, started with
//! `create_user_task` and reaped with `wait4`; every case checks the wait
//! status (and what it printed), and the whole run checks that free pages
//! and page-table pages return to where they were.
//!
//! The code and stack frames are mapped outside any VMA, so this file
//! frees them itself after the task is reaped (its address space, with
//! the page tables, went at exit).

use alloc::sync::Arc;
use alloc::vec::Vec;

use super::exit::{__WALL, kernel_wait4};
use super::signal::{SIGKILL, SIGSEGV, sys_kill};
use super::{Pid, current};
use crate::arch::x86_64::cpu::protection_bits;
use crate::arch::x86_64::pgtable::{
    PteFlags, free_pgd_range, memcpy_to_page, pte_get, ptep_get_and_clear, ptep_modify,
    ptep_test_and_clear_young, set_pte_at, swapper_pg_dir, switch_mm, switch_mm_phys,
};
use crate::arch::x86_64::selftest::user::program;
use crate::arch::x86_64::uaccess::copy_from_user;
use crate::mm::gfp::Gfp;
use crate::mm::mm_types::MmStruct;
use crate::mm::mmzone::{NodeStatItem, ZoneStatItem, node_data};
use crate::mm::page::Page;
use crate::mm::page_alloc::{alloc_pages, free_pages};
use crate::println;
use crate::uapi::errno::{Errno, KResult};

/// Where the programs' code and stack go (Linux's usual text start, and
/// the page just below `TASK_SIZE_MAX`).
const USER_CODE: u64 = 0x40_0000;
const USER_STACK_PAGE: u64 = 0x7fff_ffff_e000;
const USER_SP: u64 = USER_STACK_PAGE + 4096 - 64;

/// A started test task and the frames to free after it is reaped.
struct Spawned {
    pid: Pid,
    frames: Vec<&'static Page>,
}

fn alloc_frame(frames: &mut Vec<&'static Page>) -> KResult<u64> {
    let page = alloc_pages(Gfp::GFP_KERNEL | Gfp::__GFP_ZERO, 0).ok_or(Errno::ENOMEM)?;
    frames.push(page);
    Ok(node_data(0).page_to_pfn(page))
}

fn free_frames(frames: Vec<&'static Page>) {
    for page in frames {
        free_pages(page, 0);
    }
}

/// Maps program `name` (read-only, executable) and a stack page (NX) with
/// `params` at the initial stack pointer, and starts it.
fn spawn(name: &str, params: &[u64]) -> KResult<Spawned> {
    let code = program(name).ok_or(Errno::ENOENT)?;
    let mm = MmStruct::new().ok_or(Errno::ENOMEM)?;
    let mut frames = Vec::new();
    let result = (|| {
        let code_pfn = alloc_frame(&mut frames)?;
        memcpy_to_page(code_pfn, 0, code);
        set_pte_at(
            &mm.pgd,
            USER_CODE,
            code_pfn,
            PteFlags::_PAGE_PRESENT | PteFlags::_PAGE_USER,
        )?;
        let stack_pfn = alloc_frame(&mut frames)?;
        let bytes: Vec<u8> = params.iter().flat_map(|p| p.to_ne_bytes()).collect();
        memcpy_to_page(stack_pfn, (USER_SP - USER_STACK_PAGE) as usize, &bytes);
        set_pte_at(
            &mm.pgd,
            USER_STACK_PAGE,
            stack_pfn,
            PteFlags::_PAGE_PRESENT
                | PteFlags::_PAGE_RW
                | PteFlags::_PAGE_USER
                | PteFlags::_PAGE_NX,
        )
    })();
    if let Err(e) = result {
        drop(mm);
        free_frames(frames);
        return Err(e);
    }
    let pid = super::fork::create_user_task(
        name,
        current().pid,
        mm,
        USER_CODE,
        USER_SP,
        crate::fs::devices::console_files()?,
    )?;
    Ok(Spawned { pid, frames })
}

/// Waits for `s` and frees its frames; returns the wait status.
fn reap(s: Spawned) -> KResult<i32> {
    let (pid, status) = kernel_wait4(s.pid, __WALL)?;
    assert_eq!(pid, s.pid);
    free_frames(s.frames);
    Ok(status)
}

/// Runs one program to completion: (pid, wait status).
fn run(name: &str, params: &[u64]) -> KResult<(Pid, i32)> {
    let s = spawn(name, params)?;
    let pid = s.pid;
    Ok((pid, reap(s)?))
}

struct Tally {
    passed: u32,
    failed: u32,
}

impl Tally {
    fn check(&mut self, case: &str, ok: bool, detail: core::fmt::Arguments) {
        if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
        println!(
            "selftest user {case}: {detail} {}",
            if ok { "ok" } else { "FAILED" }
        );
    }
}

/// A program whose expected wait status is fixed (or a function of pid).
fn simple_case(t: &mut Tally, name: &str) {
    match run(name, &[]) {
        Ok((pid, status)) => {
            let expected = match name {
                "exit7" => 7 << 8,
                "getpid" => (pid & 0xff) << 8,
                "enosys" => 38 << 8,
                "write" => 18 << 8,
                "uname" => 0,
                "efault" => 14 << 8,
                "einval" => 22 << 8,
                "segv" | "kexec" | "kread" | "nxexec" => SIGSEGV,
                "getppid" => (current().tgid & 0xff) << 8,
                "yield_" | "realtime" => 0,
                "clockinval" => 22 << 8,
                _ => -1,
            };
            if name == "uname" {
                println!();
            }
            t.check(
                name,
                status == expected,
                format_args!("pid {pid} status {status:#x} expected {expected:#x}"),
            );
        }
        Err(e) => t.check(name, false, format_args!("error {e:?}")),
    }
}

/// `sleep`: nanosleep(5 ms) measured with clock_gettime(CLOCK_MONOTONIC).
fn sleep_case(t: &mut Tally) {
    match run("sleep", &[]) {
        Ok((pid, status)) => {
            let ms = status >> 8;
            t.check(
                "sleep",
                status & 0xff == 0 && (5..=50).contains(&ms),
                format_args!("pid {pid} slept {ms} ms (status {status:#x})"),
            );
        }
        Err(e) => t.check("sleep", false, format_args!("error {e:?}")),
    }
}

/// 50 user tasks spin at once next to one that never stops: all 50 finish
/// with their own status (so the spinner was preempted), then SIGKILL ends
/// the spinner with status 9.
fn preempt_case(t: &mut Tally) {
    const TASKS: u64 = 50;
    const LOOPS: u64 = 2_000_000;
    let start = super::time::jiffies();
    let forever = match spawn("spin_forever", &[]) {
        Ok(s) => s,
        Err(e) => return t.check("preempt", false, format_args!("error {e:?}")),
    };
    let mut spinners = Vec::new();
    for code in 1..=TASKS {
        match spawn("spin", &[code, LOOPS]) {
            Ok(s) => spinners.push((code, s)),
            Err(e) => return t.check("preempt", false, format_args!("spawn error {e:?}")),
        }
    }
    let mut right = 0;
    for (code, s) in spinners {
        if reap(s) == Ok((code as i32) << 8) {
            right += 1;
        }
    }
    let ticks = super::time::jiffies() - start;
    t.check(
        "preempt",
        right == TASKS,
        format_args!("{right}/{TASKS} spinners exited with their codes in {ticks} ticks"),
    );
    let kill = sys_kill(forever.pid, SIGKILL);
    let status = reap(forever);
    t.check(
        "kill",
        kill == Ok(0) && status == Ok(SIGKILL),
        format_args!("kill -> {kill:?}, spinner status {status:?}"),
    );
}

/// kill and wait4 error numbers.
fn errno_case(t: &mut Tally) {
    let esrch = sys_kill(30000, SIGKILL);
    let einval = sys_kill(current().pid, 99);
    let echild = kernel_wait4(-1, __WALL);
    t.check(
        "errno",
        esrch == Err(Errno::ESRCH) && einval == Err(Errno::EINVAL) && echild == Err(Errno::ECHILD),
        format_args!("kill(30000) {esrch:?}, kill(sig 99) {einval:?}, wait4 {echild:?}"),
    );
}

fn cpu_case(t: &mut Tally) {
    let (smep, smap, nx, wp) = protection_bits();
    t.check(
        "cpu",
        smep && smap && nx && wp,
        format_args!("smep {smep} smap {smap} nx {nx} wp {wp}"),
    );
}

/// `kthread_use_mm()`: the calling task (the user program writing the
/// self-test file) works in `mm`, mapped outside any VMA, so its user
/// copies and faults see `mm` and not its own; returns its own mm for
/// [`kthread_unuse_mm`].
fn kthread_use_mm(mm: &Arc<MmStruct>) -> Option<Arc<MmStruct>> {
    let own = current().mm.lock_irqsave().replace(mm.clone());
    switch_mm(&mm.pgd);
    own
}

/// `kthread_unuse_mm()`: back to the task's own mm.
fn kthread_unuse_mm(own: Option<Arc<MmStruct>>) {
    match &own {
        Some(mm) => switch_mm(&mm.pgd),
        None => switch_mm_phys(swapper_pg_dir()),
    }
    *current().mm.lock_irqsave() = own;
}

/// The page-table glue used by mm: every function, with NR_PAGETABLE
/// checked at each step.
fn pgtable_case(t: &mut Tally) {
    let pgdat = node_data(0);
    let nr_pt = || pgdat.page_state(NodeStatItem::NrPagetable);
    let base = nr_pt();
    let Some(mm) = MmStruct::new() else {
        return t.check("pgtable", false, format_args!("pgd_alloc failed"));
    };
    let mut frames = Vec::new();
    let (Ok(x), Ok(y)) = (alloc_frame(&mut frames), alloc_frame(&mut frames)) else {
        return t.check("pgtable", false, format_args!("no frames"));
    };
    let rw = PteFlags::_PAGE_PRESENT | PteFlags::_PAGE_RW | PteFlags::_PAGE_USER;
    let ro = PteFlags::_PAGE_PRESENT | PteFlags::_PAGE_USER;
    let (a, b) = (USER_CODE, USER_STACK_PAGE);
    let mut ok = set_pte_at(&mm.pgd, a, x, rw).is_ok();
    let after_one = nr_pt() - base; // PUD + PMD + PTE table
    ok &= set_pte_at(&mm.pgd, a + 4096, y, rw).is_ok();
    let after_two = nr_pt() - base; // same tables
    ok &= set_pte_at(&mm.pgd, b, y, rw).is_ok();
    let after_three = nr_pt() - base; // another PGD slot: 3 more
    ok &= set_pte_at(&mm.pgd, 0xffff_8880_0000_0000, x, rw) == Err(Errno::EINVAL);
    ok &= pte_get(&mm.pgd, a) == Some((x, rw));
    ok &= pte_get(&mm.pgd, 0x1000).is_none();
    ok &= ptep_modify(&mm.pgd, a, ro) && pte_get(&mm.pgd, a) == Some((x, ro));
    ok &= !ptep_modify(&mm.pgd, 0x1000, ro);
    // The CPU sets the accessed bit when a user copy reads the page.
    let own = kthread_use_mm(&mm);
    let mut byte = [0u8; 1];
    ok &= copy_from_user(&mut byte, a).is_ok();
    let young = ptep_test_and_clear_young(&mm.pgd, a);
    let young_again = ptep_test_and_clear_young(&mm.pgd, a);
    kthread_unuse_mm(own);
    ok &= young && !young_again;
    ok &= ptep_get_and_clear(&mm.pgd, a).map(|(pfn, _)| pfn) == Some(x);
    ok &= pte_get(&mm.pgd, a).is_none() && ptep_get_and_clear(&mm.pgd, a).is_none();
    // A table still mapping a + 4096 is kept; once empty it is freed.
    free_pgd_range(&mm.pgd, 0, 1 << 39);
    let kept = nr_pt() - base;
    ok &= ptep_get_and_clear(&mm.pgd, a + 4096).is_some();
    free_pgd_range(&mm.pgd, 0, 1 << 39);
    let freed = nr_pt() - base;
    ok &= ptep_get_and_clear(&mm.pgd, b).is_some();
    drop(mm);
    free_frames(frames);
    let end = nr_pt() - base;
    ok &= (after_one, after_two, after_three, kept, freed, end) == (3, 3, 6, 6, 3, 0);
    t.check(
        "pgtable",
        ok,
        format_args!(
            "tables {after_one} {after_two} {after_three} kept {kept} freed-to {freed} end {end} young {young}/{young_again}"
        ),
    );
}

const SIMPLE: [&str; 15] = [
    "exit7",
    "getpid",
    "getppid",
    "yield_",
    "enosys",
    "write",
    "uname",
    "efault",
    "einval",
    "clockinval",
    "realtime",
    "segv",
    "kexec",
    "kread",
    "nxexec",
];

/// A task sleeping in nanosleep(100 s) is woken by SIGTERM and dies with
/// status 15 long before its time; one in the middle of a sleep gets
/// SIGKILL the same way (status 9).
fn sleepkill_case(t: &mut Tally) {
    for sig in [super::signal::SIGTERM, SIGKILL] {
        let start = super::time::jiffies();
        let s = match spawn("longsleep", &[]) {
            Ok(s) => s,
            Err(e) => return t.check("sleepkill", false, format_args!("error {e:?}")),
        };
        super::sched::schedule_timeout_interruptible(10);
        let kill = sys_kill(s.pid, sig);
        let status = reap(s);
        let ticks = super::time::jiffies() - start;
        t.check(
            "sleepkill",
            kill == Ok(0) && status == Ok(sig) && ticks < 1000,
            format_args!("signal {sig}: status {status:?} after {ticks} ticks"),
        );
    }
}

/// The user-copy primitives on a mapped, a read-only and an unmapped page.
fn uaccess_case(t: &mut Tally) {
    use crate::arch::x86_64::uaccess::{clear_user, copy_to_user, strncpy_from_user};
    let Some(mm) = MmStruct::new() else {
        return t.check("uaccess", false, format_args!("pgd_alloc failed"));
    };
    let mut frames = Vec::new();
    let (Ok(rw_pfn), Ok(ro_pfn)) = (alloc_frame(&mut frames), alloc_frame(&mut frames)) else {
        return t.check("uaccess", false, format_args!("no frames"));
    };
    let rw = PteFlags::_PAGE_PRESENT | PteFlags::_PAGE_RW | PteFlags::_PAGE_USER;
    let ro = PteFlags::_PAGE_PRESENT | PteFlags::_PAGE_USER;
    let (rw_addr, ro_addr) = (USER_CODE, USER_CODE + 4096);
    // "tinymm\0" at the start, and "abc" in the last 3 bytes of the page
    // (no NUL before the unmapped page after the read-only one).
    memcpy_to_page(rw_pfn, 0, b"tinymm\0");
    memcpy_to_page(ro_pfn, 4093, b"abc");
    let mapped = set_pte_at(&mm.pgd, rw_addr, rw_pfn, rw).is_ok()
        && set_pte_at(&mm.pgd, ro_addr, ro_pfn, ro).is_ok();
    let own = kthread_use_mm(&mm);
    let mut name = [0u8; 16];
    let len = strncpy_from_user(&mut name, rw_addr);
    let copied = name[..6] == *b"tinymm";
    let mut short = [0u8; 4];
    let too_long = strncpy_from_user(&mut short, rw_addr);
    let unterminated = strncpy_from_user(&mut name, ro_addr + 4093);
    let unmapped = strncpy_from_user(&mut name, 0x1000);
    let kernel = strncpy_from_user(&mut name, 0xffff_8880_0000_0000);
    let to_rw = copy_to_user(rw_addr + 8, b"written");
    let to_ro = copy_to_user(ro_addr, b"x");
    let clear = clear_user(rw_addr, 8);
    let mut back = [0xffu8; 15];
    let read = copy_from_user(&mut back, rw_addr);
    let mut over = [0u8; 8];
    let straddle = copy_from_user(&mut over, ro_addr + 4090);
    kthread_unuse_mm(own);
    let ok = mapped
        && len == Ok(6)
        && copied
        && too_long == Err(Errno::ENAMETOOLONG)
        && unterminated == Err(Errno::EFAULT)
        && unmapped == Err(Errno::EFAULT)
        && kernel == Err(Errno::EFAULT)
        && to_rw == Ok(())
        && to_ro == Err(Errno::EFAULT)
        && clear == Ok(())
        && read == Ok(())
        && back == *b"\0\0\0\0\0\0\0\0written"
        && straddle == Err(Errno::EFAULT);
    for addr in [rw_addr, ro_addr] {
        ptep_get_and_clear(&mm.pgd, addr);
    }
    drop(mm);
    free_frames(frames);
    t.check(
        "uaccess",
        ok,
        format_args!(
            "strncpy {len:?}/{too_long:?}/{unterminated:?}/{unmapped:?}/{kernel:?} to_user {to_rw:?}/{to_ro:?} clear {clear:?} read {read:?} straddle {straddle:?}"
        ),
    );
}

/// `selftest user [CASE]`: every case, or one.
#[inline(never)]
pub fn selftest_user(args: &[&str]) -> u8 {
    let pgdat = node_data(0);
    let free_before = pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages);
    let pt_before = pgdat.page_state(NodeStatItem::NrPagetable);
    let mut t = Tally {
        passed: 0,
        failed: 0,
    };
    match args {
        [] => {
            cpu_case(&mut t);
            pgtable_case(&mut t);
            for name in SIMPLE {
                simple_case(&mut t, name);
            }
            sleep_case(&mut t);
            sleepkill_case(&mut t);
            uaccess_case(&mut t);
            errno_case(&mut t);
            preempt_case(&mut t);
        }
        [name] if SIMPLE.contains(name) => simple_case(&mut t, name),
        ["sleep"] => sleep_case(&mut t),
        ["sleepkill"] => sleepkill_case(&mut t),
        ["uaccess"] => uaccess_case(&mut t),
        ["preempt"] => preempt_case(&mut t),
        ["errno"] => errno_case(&mut t),
        ["cpu"] => cpu_case(&mut t),
        ["pgtable"] => pgtable_case(&mut t),
        _ => {
            println!(
                "selftest: usage: selftest user [{}|sleep|sleepkill|uaccess|preempt|errno|cpu|pgtable]",
                SIMPLE.join("|")
            );
            return 2;
        }
    }
    let free_after = pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages);
    let pt_after = pgdat.page_state(NodeStatItem::NrPagetable);
    let same = free_after == free_before && pt_after == pt_before;
    println!(
        "selftest user: free pages {free_before} -> {free_after}, page tables {pt_before} -> {pt_after} {}",
        if same { "restored" } else { "DIFFER" }
    );
    println!("selftest user: {} passed, {} failed", t.passed, t.failed);
    u8::from(t.failed != 0 || !same)
}

/// `selftest smap`: ring 0 reads a present user page without `stac`; with
/// SMAP on that is a fatal kernel page fault (the run fails).
pub fn selftest_smap() -> ! {
    let mm = MmStruct::new().expect("no memory for the SMAP test");
    let mut frames = Vec::new();
    let pfn = alloc_frame(&mut frames).expect("no memory for the SMAP test");
    set_pte_at(
        &mm.pgd,
        USER_STACK_PAGE,
        pfn,
        PteFlags::_PAGE_PRESENT | PteFlags::_PAGE_RW | PteFlags::_PAGE_USER | PteFlags::_PAGE_NX,
    )
    .expect("map for the SMAP test");
    switch_mm(&mm.pgd);
    crate::arch::x86_64::selftest::smap_violation(USER_STACK_PAGE)
}
