//! The generic return-to-user work; mirrors kernel/entry/common.c
//! (`syscall_exit_to_user_mode`, `irqentry_exit_to_user_mode`,
//! `exit_to_user_mode_loop`) and include/linux/resume_user_mode.h.

use super::current;
use super::sched::{need_resched, schedule};
use super::signal::signal_pending;
use crate::arch::x86_64::irqflags::{local_irq_disable, local_irq_enable};
use crate::arch::x86_64::ptrace::PtRegs;
use crate::arch::x86_64::signal::{arch_do_signal_or_restart, is_restart_code};
use crate::mm::gfp::Gfp;
use crate::mm::memcontrol::mem_cgroup_handle_over_high;
use crate::mm::mmzone::node_data;
use core::sync::atomic::Ordering;

/// `resume_user_mode_work()`: TIF_NOTIFY_RESUME work; the memcg
/// throttling of a task that charged pages over memory.high.
#[inline(never)]
pub fn resume_user_mode_work(_regs: &mut PtRegs) {
    if current().notify_resume.swap(false, Ordering::Relaxed) {
        mem_cgroup_handle_over_high(node_data(0), Gfp::GFP_KERNEL);
    }
    core::hint::black_box(());
}

/// Work before returning to user mode: a reschedule, signals (or a
/// syscall to restart), TIF_NOTIFY_RESUME.
fn exit_work(regs: &PtRegs) -> bool {
    let curr = current();
    need_resched()
        || signal_pending(&curr)
        || curr.notify_resume.load(Ordering::Relaxed)
        || ((regs.orig_ax as i64) >= 0 && is_restart_code(regs.ax))
}

/// `exit_to_user_mode_loop()`: reschedule while asked to, deliver
/// signals (`arch_do_signal_or_restart`), run `resume_user_mode_work`;
/// return with interrupts off.
#[inline(never)]
pub fn exit_to_user_mode_loop(regs: &mut PtRegs) {
    loop {
        local_irq_enable();
        if need_resched() {
            schedule();
        }
        let curr = current();
        if signal_pending(&curr) || ((regs.orig_ax as i64) >= 0 && is_restart_code(regs.ax)) {
            drop(curr);
            arch_do_signal_or_restart(regs);
        } else {
            drop(curr);
        }
        resume_user_mode_work(regs);
        local_irq_disable();
        if !exit_work(regs) {
            return;
        }
    }
}

/// `exit_to_user_mode_prepare()`: only enter the loop when there is work.
fn exit_to_user_mode_prepare(regs: &mut PtRegs) {
    local_irq_disable();
    if exit_work(regs) {
        exit_to_user_mode_loop(regs);
    }
}

/// `syscall_exit_to_user_mode()`: after a syscall (and in `ret_from_fork`).
#[inline(never)]
pub fn syscall_exit_to_user_mode(regs: &mut PtRegs) {
    exit_to_user_mode_prepare(regs);
}

/// `irqentry_exit_to_user_mode()`: after an interrupt or exception that
/// came from user mode; this is where a spinning user task is preempted.
#[inline(never)]
pub fn irqentry_exit_to_user_mode(regs: &mut PtRegs) {
    exit_to_user_mode_prepare(regs);
}
