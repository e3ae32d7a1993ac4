//! Spinlocks in the shape of Linux's `spin_lock_irqsave`.
//!
//! tinymm runs on one CPU, so a lock is contended only when an interrupt
//! handler or a preempted task wants what the holder holds. Taking the lock
//! with interrupts off (on the kernel target) rules out both, as
//! `spin_lock_irqsave` does in Linux.

use core::ops::{Deref, DerefMut};

pub struct SpinLock<T> {
    inner: spin::Mutex<T>,
}

pub struct SpinLockGuard<'a, T> {
    // An Option so that Drop can release the lock before it turns
    // interrupts back on.
    guard: Option<spin::MutexGuard<'a, T>>,
    #[cfg(target_os = "none")]
    irq_was_enabled: bool,
}

impl<T> SpinLock<T> {
    pub const fn new(value: T) -> Self {
        Self {
            inner: spin::Mutex::new(value),
        }
    }

    /// The value, through exclusive access (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    /// `spin_lock_irqsave`: interrupts stay off until the guard drops.
    pub fn lock_irqsave(&self) -> SpinLockGuard<'_, T> {
        #[cfg(target_os = "none")]
        let irq_was_enabled = {
            let enabled = x86_64::instructions::interrupts::are_enabled();
            x86_64::instructions::interrupts::disable();
            enabled
        };
        SpinLockGuard {
            guard: Some(self.inner.lock()),
            #[cfg(target_os = "none")]
            irq_was_enabled,
        }
    }
}

impl<T: Default> Default for SpinLock<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> Deref for SpinLockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.guard.as_ref().expect("guard held until drop")
    }
}

impl<T> DerefMut for SpinLockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.guard.as_mut().expect("guard held until drop")
    }
}

#[cfg(target_os = "none")]
impl<T> Drop for SpinLockGuard<'_, T> {
    fn drop(&mut self) {
        self.guard = None;
        if self.irq_was_enabled {
            x86_64::instructions::interrupts::enable();
        }
    }
}
