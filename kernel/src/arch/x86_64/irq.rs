//! Device interrupts: the legacy 8259A PIC pair (arch/x86/kernel/i8259.c),
//! the 8254 PIT as the periodic tick (arch/x86/kernel/i8253.c,
//! drivers/clocksource/i8253.c), the timer interrupt
//! (arch/x86/kernel/time.c) and `common_interrupt` (arch/x86/kernel/irq.c).
//!
//! The PICs are remapped to vectors 32..48 (`ISA_IRQ_VECTOR(0)` = 0x20, as
//! Linux's `FIRST_EXTERNAL_VECTOR`); IRQ 0 (the PIT) is unmasked at boot,
//! IRQ 4 (COM1, the tty's UART) once the tty layer starts, PCI lines when
//! a driver asks for them (`request_irq`). The
//! PIT runs in mode 2 at `HZ` = 1000. With QEMU's `-icount` its ticks
//! follow executed instructions, so scheduling is deterministic.

use ::x86_64::instructions::port::Port;

use super::ptrace::{PtRegs, user_mode};
use super::traps::die_regs;

/// Ticks per second (`CONFIG_HZ`).
pub const HZ: u64 = 1000;
/// The PIT's input clock (`PIT_TICK_RATE`).
const PIT_TICK_RATE: u64 = 1_193_182;
/// `LATCH`: PIT counts per tick.
const LATCH: u64 = (PIT_TICK_RATE + HZ / 2) / HZ;

/// Vector of legacy IRQ 0 (`ISA_IRQ_VECTOR(0)`).
pub const ISA_IRQ_VECTOR_BASE: u64 = 32;
const NR_LEGACY_IRQS: u64 = 16;

/// `kstat_irqs`: interrupts taken per legacy IRQ, spurious ones included
/// (/proc/stat's `intr` line).
static KSTAT_IRQS: [core::sync::atomic::AtomicU64; NR_LEGACY_IRQS as usize] =
    [const { core::sync::atomic::AtomicU64::new(0) }; NR_LEGACY_IRQS as usize];

/// `kstat_irqs_usr()` for each legacy IRQ.
pub fn kstat_irqs() -> [u64; NR_LEGACY_IRQS as usize] {
    KSTAT_IRQS
        .each_ref()
        .map(|c| c.load(core::sync::atomic::Ordering::Relaxed))
}

const PIC_MASTER_CMD: u16 = 0x20;
const PIC_MASTER_IMR: u16 = 0x21;
const PIC_SLAVE_CMD: u16 = 0xa0;
const PIC_SLAVE_IMR: u16 = 0xa1;
const PIC_EOI: u8 = 0x20;
const PIT_CH0: u16 = 0x40;
const PIT_MODE: u16 = 0x43;

fn outb(port: u16, value: u8) {
    // SAFETY: only the PIC and PIT ports named above are written, by this
    // module alone, with values that follow the 8259A/8254 data sheets.
    unsafe { Port::<u8>::new(port).write(value) };
}

fn inb(port: u16) -> u8 {
    // SAFETY: reading a PIC port returns a status or mask register.
    unsafe { Port::<u8>::new(port).read() }
}

/// `init_8259A()`: ICW1..ICW4, vectors 32..48, everything masked but IRQ 0
/// and the cascade (IRQ 2).
fn init_8259a() {
    outb(PIC_MASTER_IMR, 0xff);
    outb(PIC_SLAVE_IMR, 0xff);
    outb(PIC_MASTER_CMD, 0x11); // ICW1: edge, cascade, ICW4 follows
    outb(PIC_MASTER_IMR, ISA_IRQ_VECTOR_BASE as u8); // ICW2
    outb(PIC_MASTER_IMR, 1 << 2); // ICW3: slave on IR2
    outb(PIC_MASTER_IMR, 0x01); // ICW4: 8086 mode, normal EOI
    outb(PIC_SLAVE_CMD, 0x11);
    outb(PIC_SLAVE_IMR, ISA_IRQ_VECTOR_BASE as u8 + 8);
    outb(PIC_SLAVE_IMR, 2); // cascade identity
    outb(PIC_SLAVE_IMR, 0x01);
    outb(PIC_MASTER_IMR, !((1 << 0) | (1 << 2)));
    outb(PIC_SLAVE_IMR, 0xff);
}

/// COM1's interrupt line.
pub const COM1_IRQ: u8 = 4;

/// `enable_8259A_irq()`: unmask one IRQ line (a slave line through the
/// cascade on IRQ 2, which `init_8259a` leaves unmasked).
pub fn enable_8259a_irq(irq: u8) {
    assert!(irq < NR_LEGACY_IRQS as u8, "no such PIC line");
    let flags = super::irqflags::local_irq_save();
    if irq < 8 {
        outb(PIC_MASTER_IMR, inb(PIC_MASTER_IMR) & !(1 << irq));
    } else {
        outb(PIC_SLAVE_IMR, inb(PIC_SLAVE_IMR) & !(1 << (irq - 8)));
    }
    super::irqflags::local_irq_restore(flags);
}

/// An interrupt handler (`irq_handler_t`); it runs with interrupts off.
pub type IrqHandler = alloc::sync::Arc<dyn Fn() + Send + Sync>;

/// `struct irqaction` lists: the handlers of each line (PCI INTx lines
/// are shared, so a line may have several).
static IRQ_ACTIONS: crate::sync::SpinLock<alloc::vec::Vec<(u8, IrqHandler)>> =
    crate::sync::SpinLock::new(alloc::vec::Vec::new());

/// `request_irq()` with IRQF_SHARED: `handler` runs on every interrupt
/// of line `irq` (it must tell whether its device interrupted, as a
/// level-triggered PCI device is acknowledged by reading its status),
/// and the line is unmasked.
pub fn request_irq(irq: u8, handler: IrqHandler) -> crate::uapi::errno::KResult<()> {
    if irq >= NR_LEGACY_IRQS as u8 || matches!(irq, 0 | 2 | COM1_IRQ) {
        return Err(crate::uapi::errno::Errno::EINVAL);
    }
    IRQ_ACTIONS.lock_irqsave().push((irq, handler));
    enable_8259a_irq(irq);
    Ok(())
}

/// `handle_level_irq()`: every handler of the line, then the EOI (after
/// the devices deasserted the line). False if the line has none.
fn handle_irq_actions(irq: u8) -> bool {
    let actions = IRQ_ACTIONS.lock_irqsave();
    let mut found = false;
    for (_, handler) in actions.iter().filter(|(line, _)| *line == irq) {
        handler();
        found = true;
    }
    drop(actions);
    if found {
        ack_8259a(u64::from(irq));
    }
    found
}

/// `pit_timer_init()`: channel 0, mode 2 (rate generator), LATCH counts.
fn pit_timer_init() {
    outb(PIT_MODE, 0x34);
    outb(PIT_CH0, (LATCH & 0xff) as u8);
    outb(PIT_CH0, (LATCH >> 8) as u8);
}

/// `time_init()`: program the PIC and the PIT; the tick starts once
/// interrupts are enabled.
pub fn time_init() {
    super::rtc::read_persistent_clock();
    init_8259a();
    pit_timer_init();
    log::info!("clocksource: pit: HZ={HZ}, LATCH={LATCH}");
}

/// Whether `irq` is really in service (a spurious IRQ 7/15 is not).
fn irq_in_service(irq: u64) -> bool {
    let (cmd, bit) = if irq < 8 {
        (PIC_MASTER_CMD, irq)
    } else {
        (PIC_SLAVE_CMD, irq - 8)
    };
    outb(cmd, 0x0b); // OCW3: read ISR
    inb(cmd) & (1 << bit) != 0
}

fn ack_8259a(irq: u64) {
    if irq >= 8 {
        outb(PIC_SLAVE_CMD, PIC_EOI);
    }
    outb(PIC_MASTER_CMD, PIC_EOI);
}

/// `timer_interrupt()`: the PIT tick; whether it interrupted user mode
/// decides the task's user/system time, and a kernel address is a
/// profile hit (`tick_periodic`'s `profile_tick`).
#[inline(never)]
fn timer_interrupt(regs: &PtRegs) {
    let user_tick = user_mode(regs);
    crate::task::time::tick_handle_periodic(user_tick);
    if !user_tick {
        crate::task::profile::profile_tick(regs.ip);
    }
    // Not a sibling call, so this frame stays in gdb backtraces.
    core::hint::black_box(());
}

/// `common_interrupt()`: entered from `asm_common_interrupt` with
/// interrupts off for vectors 32..48. When it interrupted user mode, the
/// return goes through the exit-to-user work (reschedule, signals):
/// that is where a user task is preempted.
pub extern "C" fn common_interrupt(regs: &mut PtRegs, vector: u64) {
    let irq = vector.wrapping_sub(ISA_IRQ_VECTOR_BASE);
    if let Some(count) = KSTAT_IRQS.get(irq as usize) {
        count.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    }
    match irq {
        0 => {
            ack_8259a(0);
            timer_interrupt(regs);
        }
        4 => {
            ack_8259a(4);
            crate::drivers::tty::serial::serial8250::serial8250_handle_irq();
        }
        7 | 15 if !irq_in_service(irq) => {
            // Spurious: no EOI for the PIC that raised it; the master
            // still needs one for a spurious slave IRQ (it saw IRQ 2).
            if irq == 15 {
                ack_8259a(0);
            }
        }
        _ if irq < NR_LEGACY_IRQS && handle_irq_actions(irq as u8) => {}
        _ if irq < NR_LEGACY_IRQS => {
            ack_8259a(irq);
            die_regs(vector as u8, "unexpected interrupt", regs, None)
        }
        _ => die_regs(vector as u8, "unexpected interrupt", regs, None),
    }
    if user_mode(regs) {
        crate::task::entry_common::irqentry_exit_to_user_mode(regs);
    }
}
