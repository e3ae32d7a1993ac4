//! /dev/kmsg; mirrors the `kmsg_fops` part of kernel/printk/printk.c
//! (`devkmsg_open`, `devkmsg_read`, `devkmsg_write`, `devkmsg_llseek`,
//! `devkmsg_release`).
//!
//! Every open file is a reader with its own position, starting at the
//! oldest record. A read returns one record, `prefix,seq,usec,-;text\n`
//! (prefix = facility << 3 | level), or EINVAL if the buffer is too small
//! for it (the record is skipped, as in Linux), EPIPE if the reader's
//! record was overwritten (the reader moves on to the oldest left), EAGAIN
//! at the end with O_NONBLOCK; without it the read waits for a record. A
//! write is one record, LOG_USER at default_message_loglevel unless it
//! starts with `<N>`; past 10 writes in 5 s an open file's writes are
//! dropped, and closing it logs how many were. lseek takes offset 0 only:
//! SEEK_SET to the oldest record, SEEK_DATA to the first after the last
//! SYSLOG_ACTION_CLEAR, SEEK_END past the newest.
//!
//! Left out: `poll` (tinymm has no poll(2) yet), the `printk.devkmsg`
//! switch.

use alloc::sync::Arc;
use alloc::vec::Vec;

use super::printk::{
    CONSOLE_EXT_LOG_MAX, CONSOLE_PRINTK, CurrentReader, LOG, LOG_LINE_MAX, LogReader,
    devkmsg_parse, vprintk_emit_text,
};
use crate::fs::file::File;
use crate::fs::{DevT, FileOps};
use crate::lib::ratelimit::{
    DEFAULT_RATELIMIT_BURST, DEFAULT_RATELIMIT_INTERVAL, RATELIMIT_MSG_ON_RELEASE, RatelimitState,
};
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::fcntl::{O_NONBLOCK, SEEK_DATA, SEEK_END, SEEK_SET};

/// `devkmsg_open()` for /dev/kmsg (1, 11): a reader at the oldest
/// record.
pub fn devkmsg_open(_dev: DevT, _flags: u32) -> KResult<Arc<dyn FileOps>> {
    let seq = LOG.lock_irqsave().prb.first_seq();
    Ok(Arc::new(DevkmsgUser {
        seq: SpinLock::new(seq),
        rs: RatelimitState::new(
            DEFAULT_RATELIMIT_INTERVAL,
            DEFAULT_RATELIMIT_BURST,
            RATELIMIT_MSG_ON_RELEASE,
        ),
    }))
}

/// `struct devkmsg_user`: an open /dev/kmsg.
struct DevkmsgUser {
    /// The next record this reader gets.
    seq: SpinLock<u64>,
    rs: RatelimitState,
}

impl Drop for DevkmsgUser {
    /// `devkmsg_release()`: what the rate limit dropped, told once
    /// (printk.c's messages carry its `pr_fmt`, "printk: ").
    fn drop(&mut self) {
        let missed = self.rs.take_missed();
        if missed > 0 {
            log::warn!(
                "printk: {}: {missed} output lines suppressed due to ratelimiting",
                crate::task::current().comm()
            );
        }
    }
}

impl FileOps for DevkmsgUser {
    /// `devkmsg_read()`.
    fn read(&self, file: &File, _pos: u64, buf: &mut [u8]) -> KResult<usize> {
        // Room for any record, taken before the lock: nothing allocates
        // under it.
        let mut out = Vec::with_capacity(CONSOLE_EXT_LOG_MAX);
        loop {
            let got = {
                let log = LOG.lock_irqsave();
                log.devkmsg_read(&mut self.seq.lock_irqsave(), &mut out)
            };
            match got {
                Some(r) => r?,
                None if file.f_flags() & O_NONBLOCK != 0 => return Err(Errno::EAGAIN),
                None => {
                    CurrentReader.wait_event(&|| {
                        let log = LOG.lock_irqsave();
                        log.prb.read_valid(*self.seq.lock_irqsave()).is_some()
                    })?;
                    continue;
                }
            }
            break;
        }
        let dst = buf.get_mut(..out.len()).ok_or(Errno::EINVAL)?;
        dst.copy_from_slice(&out);
        Ok(out.len())
    }

    /// `devkmsg_write()`.
    fn write(&self, _file: &File, _pos: u64, buf: &[u8]) -> KResult<usize> {
        if buf.len() > LOG_LINE_MAX {
            return Err(Errno::EINVAL);
        }
        if !self.rs.__ratelimit("devkmsg_write") {
            return Ok(buf.len());
        }
        let (facility, level, line) = devkmsg_parse(buf, CONSOLE_PRINTK.default_message_loglevel());
        vprintk_emit_text(facility, level, line);
        Ok(buf.len())
    }

    /// `devkmsg_llseek()`.
    fn llseek(&self, offset: i64, whence: u32) -> Option<KResult<u64>> {
        if offset != 0 {
            return Some(Err(Errno::ESPIPE));
        }
        let log = LOG.lock_irqsave();
        let seq = match whence {
            SEEK_SET => log.prb.first_seq(),
            SEEK_DATA => log.clear_seq(),
            SEEK_END => log.prb.next_seq(),
            _ => return Some(Err(Errno::EINVAL)),
        };
        *self.seq.lock_irqsave() = seq;
        Some(Ok(0))
    }
}
