//! The futex syscall and its sleeping and waking; mirrors
//! kernel/futex/syscalls.c (`sys_futex`, `do_futex`,
//! `futex_init_timeout`), core.c (`get_futex_key`), waitwake.c
//! (`futex_wait`, `futex_wake`) and requeue.c (`futex_requeue`).
//!
//! A waiter reads the futex word, queues itself and sleeps in one stretch
//! with no other task able to run in between (one CPU, no kernel
//! preemption), which is the ordering Linux gets from the hash bucket
//! lock: a waker either changed the word before the read or finds the
//! waiter queued.

use alloc::sync::Arc;

use super::{FutexKey, FutexQueues};
use crate::arch::x86_64::irqflags::{local_irq_restore, local_irq_save};
use crate::arch::x86_64::uaccess::{access_ok, copy_from_user};
use crate::mm::mm_types::current_mm;
use crate::mm::mmap::VmFlags;
use crate::mm::page::PAGE_SIZE;
use crate::sync::SpinLock;
use crate::task::sched::{schedule, schedule_timeout_interruptible, set_current_state};
use crate::task::signal::signal_pending;
use crate::task::time::{get_timespec, ktime_get_ns, ktime_get_real_ns, nsecs_to_jiffies_ceil};
use crate::task::{TaskState, TaskStruct, current};
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::futex::*;

/// Every waiter (Linux: `futex_queues`).
static FUTEX_QUEUES: SpinLock<FutexQueues<Arc<TaskStruct>>> = SpinLock::new(FutexQueues::new());

/// A wait's end: absolute nanoseconds on the monotonic or the real-time
/// clock (`FLAGS_CLOCKRT`).
#[derive(Clone, Copy)]
struct Deadline {
    ns: u64,
    realtime: bool,
}

impl Deadline {
    /// Ticks until the deadline, rounded up; 0 once it has passed.
    fn ticks_left(self) -> u64 {
        let now = if self.realtime {
            ktime_get_real_ns()
        } else {
            ktime_get_ns()
        };
        nsecs_to_jiffies_ceil(self.ns.saturating_sub(now))
    }
}

/// `get_futex_key()`: EINVAL for a misaligned address, EFAULT for one
/// outside user space or (shared) not mapped readable. A shared futex in
/// a `MAP_SHARED` file mapping is keyed by the file's page cache and the
/// page's index, so every process mapping that page meets on it; one in
/// anonymous or private memory is keyed by the address space, as Linux
/// keys anonymous pages. (A private file page not yet copied on write is
/// keyed by its address space too; Linux would key it by the file.)
#[inline(never)]
fn get_futex_key(uaddr: u64, shared: bool) -> KResult<FutexKey> {
    if !uaddr.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    if !access_ok(uaddr, 4) {
        return Err(Errno::EFAULT);
    }
    let mm = current_mm()?;
    let private = FutexKey::Private {
        mm: mm.id(),
        address: uaddr,
    };
    if !shared {
        return Ok(private);
    }
    let locked = mm.mmap_lock.lock();
    let vma = locked.vmas.vma_lookup(uaddr).ok_or(Errno::EFAULT)?;
    if !vma.vm_flags.contains(VmFlags::VM_READ) {
        return Err(Errno::EFAULT);
    }
    match &vma.vm_file {
        // VM_MAYSHARE: a shared mapping of a file not open for writing
        // has lost VM_SHARED, yet maps the file's own pages.
        Some(file) if vma.vm_flags.contains(VmFlags::VM_MAYSHARE) => Ok(FutexKey::Shared {
            mapping: Arc::as_ptr(&file.mapping) as u64,
            pgoff: vma.linear_page_index(uaddr),
            offset: (uaddr % PAGE_SIZE) as u32,
        }),
        _ => Ok(private),
    }
}

/// `futex_get_value_locked()`: the futex word, or EFAULT.
fn get_futex_value(uaddr: u64) -> KResult<u32> {
    let mut b = [0u8; 4];
    copy_from_user(&mut b, uaddr)?;
    Ok(u32::from_ne_bytes(b))
}

/// `futex_wait()`: sleep on `uaddr` while it holds `val`, until a wake
/// whose bitset meets `bitset`. EAGAIN if the word differs, ETIMEDOUT
/// when `deadline` passes, EINTR when a signal arrives; a spurious
/// wake-up waits again.
#[inline(never)]
fn futex_wait(
    uaddr: u64,
    shared: bool,
    val: u32,
    deadline: Option<Deadline>,
    bitset: u32,
) -> KResult<i64> {
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    let curr = current();
    loop {
        let key = get_futex_key(uaddr, shared)?;
        if get_futex_value(uaddr)? != val {
            return Err(Errno::EAGAIN);
        }
        let left = deadline.map(Deadline::ticks_left);
        if left == Some(0) {
            return Err(Errno::ETIMEDOUT);
        }
        let flags = local_irq_save();
        let id = FUTEX_QUEUES.lock_irqsave().queue(key, bitset, curr.clone());
        // futex_wait_queue(): sleep until woken, the timer fires or a
        // signal arrives.
        match left {
            Some(ticks) => {
                schedule_timeout_interruptible(ticks);
            }
            None => {
                set_current_state(TaskState::Interruptible);
                schedule();
            }
        }
        curr.set_state(TaskState::Running);
        let still_queued = FUTEX_QUEUES.lock_irqsave().unqueue(id);
        local_irq_restore(flags);
        if !still_queued {
            return Ok(0);
        }
        if deadline.is_some_and(|d| d.ticks_left() == 0) {
            return Err(Errno::ETIMEDOUT);
        }
        if signal_pending(&curr) {
            return Err(Errno::EINTR);
        }
    }
}

/// `futex_wake()`: wake up to `nr_wake` (at least one) waiters on
/// `uaddr` whose bitset meets `bitset`; returns how many were woken.
/// The lead's thread exit calls it for `clear_child_tid`.
#[inline(never)]
pub fn futex_wake(uaddr: u64, shared: bool, nr_wake: i32, bitset: u32) -> KResult<i64> {
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    let key = get_futex_key(uaddr, shared)?;
    let woken = FUTEX_QUEUES.lock_irqsave().wake(&key, nr_wake, bitset);
    for task in &woken {
        crate::task::sched::wake_up_process(task);
    }
    Ok(woken.len() as i64)
}

/// `futex_requeue()`: wake `nr_wake` waiters of `uaddr1` and move up to
/// `nr_requeue` more to `uaddr2`; with `cmpval` (FUTEX_CMP_REQUEUE) only
/// if `uaddr1` still holds it (else EAGAIN). Returns woken + moved.
#[inline(never)]
fn futex_requeue(
    uaddr1: u64,
    shared: bool,
    uaddr2: u64,
    nr_wake: i32,
    nr_requeue: i32,
    cmpval: Option<u32>,
) -> KResult<i64> {
    if nr_wake < 0 || nr_requeue < 0 {
        return Err(Errno::EINVAL);
    }
    let key1 = get_futex_key(uaddr1, shared)?;
    let key2 = get_futex_key(uaddr2, shared)?;
    if let Some(cmpval) = cmpval
        && get_futex_value(uaddr1)? != cmpval
    {
        return Err(Errno::EAGAIN);
    }
    let (woken, count) = FUTEX_QUEUES
        .lock_irqsave()
        .requeue(&key1, &key2, nr_wake, nr_requeue);
    for task in &woken {
        crate::task::sched::wake_up_process(task);
    }
    Ok(count)
}

/// `futex_cmd_has_timeout()`.
fn futex_cmd_has_timeout(cmd: i32) -> bool {
    matches!(
        cmd,
        FUTEX_WAIT | FUTEX_LOCK_PI | FUTEX_LOCK_PI2 | FUTEX_WAIT_BITSET | FUTEX_WAIT_REQUEUE_PI
    )
}

/// `futex(uaddr, op, val, utime, uaddr2, val3)`: `utime` is a relative
/// timeout for FUTEX_WAIT, an absolute one (monotonic, or real-time with
/// FUTEX_CLOCK_REALTIME) for FUTEX_WAIT_BITSET, and `val2` (the requeue
/// count) for the requeue operations.
#[inline(never)]
pub fn sys_futex(
    uaddr: u64,
    op: i32,
    val: u32,
    utime: u64,
    uaddr2: u64,
    val3: u32,
) -> KResult<i64> {
    let cmd = op & FUTEX_CMD_MASK;
    let mut deadline = None;
    if utime != 0 && futex_cmd_has_timeout(cmd) {
        let ts = get_timespec(utime)?;
        if !ts.valid() {
            return Err(Errno::EINVAL);
        }
        // futex_init_timeout(): FUTEX_WAIT's time is relative.
        deadline = Some(if cmd == FUTEX_WAIT {
            Deadline {
                ns: ktime_get_ns().saturating_add(ts.to_ns()),
                realtime: false,
            }
        } else {
            Deadline {
                ns: ts.to_ns(),
                realtime: op & FUTEX_CLOCK_REALTIME != 0,
            }
        });
    }
    do_futex(uaddr, op, val, deadline, uaddr2, utime as u32, val3)
}

/// `do_futex()`.
fn do_futex(
    uaddr: u64,
    op: i32,
    val: u32,
    deadline: Option<Deadline>,
    uaddr2: u64,
    val2: u32,
    val3: u32,
) -> KResult<i64> {
    let cmd = op & FUTEX_CMD_MASK;
    let shared = op & FUTEX_PRIVATE_FLAG == 0;
    if op & FUTEX_CLOCK_REALTIME != 0
        && !matches!(
            cmd,
            FUTEX_WAIT_BITSET | FUTEX_WAIT_REQUEUE_PI | FUTEX_LOCK_PI2
        )
    {
        return Err(Errno::ENOSYS);
    }
    match cmd {
        FUTEX_WAIT => futex_wait(uaddr, shared, val, deadline, FUTEX_BITSET_MATCH_ANY),
        FUTEX_WAIT_BITSET => futex_wait(uaddr, shared, val, deadline, val3),
        FUTEX_WAKE => futex_wake(uaddr, shared, val as i32, FUTEX_BITSET_MATCH_ANY),
        FUTEX_WAKE_BITSET => futex_wake(uaddr, shared, val as i32, val3),
        FUTEX_REQUEUE => futex_requeue(uaddr, shared, uaddr2, val as i32, val2 as i32, None),
        FUTEX_CMP_REQUEUE => {
            futex_requeue(uaddr, shared, uaddr2, val as i32, val2 as i32, Some(val3))
        }
        // FUTEX_WAKE_OP and the PI operations are not implemented.
        _ => Err(Errno::ENOSYS),
    }
}
