//! Fast user-space mutexes; mirrors kernel/futex/: core.c (keys and the
//! wait queue: `futex_queue`, `futex_unqueue`, `futex_match`), the wake
//! and requeue selections of waitwake.c and requeue.c, and in
//! `futex/waitwake.rs` the syscall (`sys_futex` → `do_futex` →
//! `futex_wait` / `futex_wake` / `futex_requeue`, syscalls.c).
//!
//! One CPU and a kernel that does not preempt: Linux's hash buckets and
//! their locks become one queue under one lock, in arrival order (Linux's
//! plist orders equal-priority waiters the same way). Not there: PI
//! futexes, FUTEX_WAKE_OP, FUTEX_FD, `futex_waitv` and the futex2 calls
//! (each gives ENOSYS). This file is pure and host-tested; what needs the
//! machine is in the submodule.

use alloc::vec::Vec;

#[cfg(target_os = "none")]
pub mod waitwake;
#[cfg(target_os = "none")]
pub use waitwake::{futex_wake, sys_futex};

/// `union futex_key`: what makes two waits meet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FutexKey {
    /// A private futex, or a shared one on an anonymous or private page:
    /// the address space and the address (`key.private`).
    Private { mm: u64, address: u64 },
    /// A shared futex on a file page: the file's page cache, the page's
    /// index in the file and the offset in the page (`key.shared`), so
    /// every process mapping that page meets there.
    Shared {
        mapping: u64,
        pgoff: u64,
        offset: u32,
    },
}

/// `struct futex_q`: one sleeping waiter.
struct FutexQ<W> {
    /// Tells this waiter from the others, for `futex_unqueue`.
    id: u64,
    key: FutexKey,
    bitset: u32,
    task: W,
}

/// The waiters of every futex (Linux: `futex_queues`, the hash table).
pub struct FutexQueues<W> {
    chain: Vec<FutexQ<W>>,
    next_id: u64,
}

impl<W> Default for FutexQueues<W> {
    fn default() -> Self {
        Self::new()
    }
}

impl<W> FutexQueues<W> {
    pub const fn new() -> Self {
        Self {
            chain: Vec::new(),
            next_id: 0,
        }
    }

    /// `futex_queue()`: `task` waits on `key` for a wake whose bitset
    /// shares a bit with `bitset`. Returns the handle `unqueue` takes.
    pub fn queue(&mut self, key: FutexKey, bitset: u32, task: W) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        self.chain.push(FutexQ {
            id,
            key,
            bitset,
            task,
        });
        id
    }

    /// `futex_unqueue()`: take the waiter off the queue. True if it was
    /// still there (nobody woke it: a timeout, a signal or a spurious
    /// wake-up); false if a waker already removed it.
    pub fn unqueue(&mut self, id: u64) -> bool {
        match self.chain.iter().position(|q| q.id == id) {
            Some(i) => {
                self.chain.remove(i);
                true
            }
            None => false,
        }
    }

    /// How many wait on `key`.
    pub fn waiters(&self, key: &FutexKey) -> usize {
        self.chain.iter().filter(|q| q.key == *key).count()
    }

    /// The selection of `futex_wake()`: remove and return the first
    /// waiters on `key` whose bitset meets `bitset`, at most `nr_wake` but
    /// at least one (Linux counts before it compares).
    pub fn wake(&mut self, key: &FutexKey, nr_wake: i32, bitset: u32) -> Vec<W> {
        let mut woken = Vec::new();
        let mut i = 0;
        while i < self.chain.len() {
            let q = &self.chain[i];
            if q.key == *key && q.bitset & bitset != 0 {
                woken.push(self.chain.remove(i).task);
                if woken.len() as i64 >= i64::from(nr_wake) {
                    break;
                }
            } else {
                i += 1;
            }
        }
        woken
    }

    /// The queue work of `futex_requeue()`: wake up to `nr_wake` waiters
    /// of `key1` (bitsets are not looked at), then move up to
    /// `nr_requeue` more to `key2`, behind its own waiters. Returns the
    /// woken tasks and the total count woken + requeued, which is the
    /// syscall's result.
    pub fn requeue(
        &mut self,
        key1: &FutexKey,
        key2: &FutexKey,
        nr_wake: i32,
        nr_requeue: i32,
    ) -> (Vec<W>, i64) {
        let (nr_wake, nr_requeue) = (i64::from(nr_wake), i64::from(nr_requeue));
        let mut task_count: i64 = 0;
        let mut woken = Vec::new();
        let mut moved = Vec::new();
        let mut i = 0;
        while i < self.chain.len() {
            if task_count - nr_wake >= nr_requeue {
                break;
            }
            if self.chain[i].key != *key1 {
                i += 1;
                continue;
            }
            task_count += 1;
            let mut q = self.chain.remove(i);
            if task_count <= nr_wake {
                woken.push(q.task);
            } else {
                q.key = *key2;
                moved.push(q);
            }
        }
        // `requeue_futex()`: plist_add puts them after key2's waiters.
        self.chain.extend(moved);
        (woken, task_count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANY: u32 = u32::MAX;

    fn key(address: u64) -> FutexKey {
        FutexKey::Private { mm: 1, address }
    }

    #[test]
    fn keys_meet_only_on_the_same_word() {
        let a = key(0x1000);
        assert_eq!(
            a,
            FutexKey::Private {
                mm: 1,
                address: 0x1000
            }
        );
        assert_ne!(a, key(0x1004));
        assert_ne!(
            a,
            FutexKey::Private {
                mm: 2,
                address: 0x1000
            }
        );
        let s = FutexKey::Shared {
            mapping: 7,
            pgoff: 3,
            offset: 8,
        };
        // Two processes mapping page 3 of the file at different addresses
        // compute the same shared key.
        assert_eq!(
            s,
            FutexKey::Shared {
                mapping: 7,
                pgoff: 3,
                offset: 8
            }
        );
        assert_ne!(
            s,
            FutexKey::Shared {
                mapping: 7,
                pgoff: 4,
                offset: 8
            }
        );
    }

    #[test]
    fn wake_is_fifo_counted_and_bitset_filtered() {
        let mut q = FutexQueues::new();
        for t in 1..=4 {
            q.queue(key(0x10), ANY, t);
        }
        q.queue(key(0x20), ANY, 9);
        assert_eq!(q.wake(&key(0x10), 2, ANY), [1, 2]);
        assert_eq!(q.waiters(&key(0x10)), 2);
        // nr_wake 0 still wakes one, as Linux's `++ret >= nr_wake`.
        assert_eq!(q.wake(&key(0x10), 0, ANY), [3]);
        assert_eq!(q.wake(&key(0x10), i32::MAX, ANY), [4]);
        assert!(q.wake(&key(0x10), 1, ANY).is_empty());
        assert_eq!(q.waiters(&key(0x20)), 1);

        let mut q = FutexQueues::new();
        q.queue(key(0x10), 0b01, 1);
        q.queue(key(0x10), 0b10, 2);
        q.queue(key(0x10), 0b11, 3);
        assert_eq!(q.wake(&key(0x10), 10, 0b10), [2, 3]);
        assert_eq!(q.wake(&key(0x10), 10, ANY), [1]);
    }

    #[test]
    fn unqueue_tells_woken_from_timed_out() {
        let mut q = FutexQueues::new();
        let a = q.queue(key(0x10), ANY, 'a');
        let b = q.queue(key(0x10), ANY, 'b');
        assert_eq!(q.wake(&key(0x10), 1, ANY), ['a']);
        assert!(!q.unqueue(a), "a was woken");
        assert!(q.unqueue(b), "b timed out while queued");
        assert!(!q.unqueue(b));
        assert_eq!(q.waiters(&key(0x10)), 0);
    }

    #[test]
    fn requeue_wakes_then_moves_behind_the_target_s_waiters() {
        let mut q = FutexQueues::new();
        q.queue(key(0x20), ANY, 10);
        for t in 1..=5 {
            q.queue(key(0x10), ANY, t);
        }
        let (woken, count) = q.requeue(&key(0x10), &key(0x20), 1, 2);
        assert_eq!(woken, [1]);
        assert_eq!(count, 3, "one woken + two requeued");
        assert_eq!(q.waiters(&key(0x10)), 2);
        assert_eq!(q.waiters(&key(0x20)), 3);
        // Order on key2: its own waiter first, then 2 and 3.
        assert_eq!(q.wake(&key(0x20), 10, ANY), [10, 2, 3]);
        assert_eq!(q.wake(&key(0x10), 10, ANY), [4, 5]);
    }

    #[test]
    fn requeue_edge_counts() {
        let mut q = FutexQueues::new();
        for t in 1..=3 {
            q.queue(key(0x10), ANY, t);
        }
        // Nothing to wake and nothing to move: Linux stops at once.
        assert_eq!(q.requeue(&key(0x10), &key(0x20), 0, 0), (vec![], 0));
        // Move all without waking.
        let (woken, count) = q.requeue(&key(0x10), &key(0x20), 0, i32::MAX);
        assert!(woken.is_empty());
        assert_eq!(count, 3);
        assert_eq!(q.waiters(&key(0x20)), 3);
        // Requeue onto the same key keeps everyone waiting there.
        let (woken, count) = q.requeue(&key(0x20), &key(0x20), 1, 1);
        assert_eq!((woken, count), (vec![1], 2));
        assert_eq!(q.waiters(&key(0x20)), 2);
    }
}
