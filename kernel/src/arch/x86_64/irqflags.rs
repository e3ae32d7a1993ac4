//! Interrupt-flag helpers; mirrors arch/x86/include/asm/irqflags.h.

use ::x86_64::instructions::interrupts;

/// `local_irq_enable()`.
#[inline]
pub fn local_irq_enable() {
    interrupts::enable();
}

/// `local_irq_disable()`.
#[inline]
pub fn local_irq_disable() {
    interrupts::disable();
}

/// `local_irq_save()`: disables interrupts, returns whether they were on.
#[inline]
pub fn local_irq_save() -> bool {
    let was = interrupts::are_enabled();
    interrupts::disable();
    was
}

/// `local_irq_restore()`.
#[inline]
pub fn local_irq_restore(was_enabled: bool) {
    if was_enabled {
        interrupts::enable();
    }
}

/// `irqs_disabled()`.
#[inline]
pub fn irqs_disabled() -> bool {
    !interrupts::are_enabled()
}

/// `native_safe_halt()`: `sti; hlt` — halts until the next interrupt with
/// no window in which a wake-up could be missed.
#[inline]
pub fn safe_halt() {
    interrupts::enable_and_hlt();
}
