//! FPU and SSE state; mirrors arch/x86/kernel/fpu/ (init.c, core.c,
//! signal.c), cut down to FXSAVE: CR4.OSXSAVE stays clear, so user code
//! sees no AVX state and a task's whole user FPU state is the 512-byte
//! FXSAVE image.
//!
//! The kernel itself never touches x87/SSE registers (it is built
//! soft-float), so the running task's state lives in the registers while
//! it is in the kernel: it is saved into `thread.fpu` only when the task is
//! switched out (eager switching, as Linux since 4.2), and user copies of
//! it (signal frames) go through a kernel buffer.

use core::arch::asm;
use core::sync::atomic::{AtomicU32, Ordering};

/// `MXCSR_DEFAULT`: all exceptions masked, round to nearest.
pub const MXCSR_DEFAULT: u32 = 0x1f80;
/// The x87 control word `fninit` sets.
const FCW_DEFAULT: u16 = 0x37f;
/// `sizeof(struct fxregs_state)`.
pub const FXSAVE_SIZE: usize = 512;
/// Offsets in the FXSAVE image.
const FXSAVE_MXCSR: usize = 24;
const FXSAVE_MXCSR_MASK: usize = 28;

/// `mxcsr_feature_mask`: the MXCSR bits this CPU implements; sigreturn
/// refuses images that set others (`fxrstor` would #GP).
static MXCSR_FEATURE_MASK: AtomicU32 = AtomicU32::new(0xffbf);

/// `struct fxregs_state`: one task's x87/SSE registers.
#[derive(Clone, Copy)]
#[repr(C, align(16))]
pub struct FxregsState(pub [u8; FXSAVE_SIZE]);

impl FxregsState {
    /// `init_fpstate`: what `fninit` + `ldmxcsr(MXCSR_DEFAULT)` give.
    pub const fn init() -> Self {
        let mut b = [0u8; FXSAVE_SIZE];
        let fcw = FCW_DEFAULT.to_le_bytes();
        b[0] = fcw[0];
        b[1] = fcw[1];
        let mxcsr = MXCSR_DEFAULT.to_le_bytes();
        let mut i = 0;
        while i < 4 {
            b[FXSAVE_MXCSR + i] = mxcsr[i];
            i += 1;
        }
        Self(b)
    }

    pub fn mxcsr(&self) -> u32 {
        u32::from_le_bytes(
            self.0[FXSAVE_MXCSR..FXSAVE_MXCSR + 4]
                .try_into()
                .expect("4 bytes"),
        )
    }

    /// `os_xrstor_safe`'s precondition for FXSAVE images: no reserved
    /// MXCSR bit set.
    pub fn mxcsr_valid(&self) -> bool {
        self.mxcsr() & !MXCSR_FEATURE_MASK.load(Ordering::Relaxed) == 0
    }

    /// `save_fpregs_to_fpstate()`: the live registers into `self`.
    pub fn save(&mut self) {
        // SAFETY: `self` is a 512-byte, 16-byte-aligned buffer we own
        // exclusively; fxsave64 writes exactly those bytes. CR4.OSFXSR is
        // set by `fpu__init_cpu` before any task runs.
        unsafe { asm!("fxsave64 [{}]", in(reg) self.0.as_mut_ptr(), options(nostack)) };
    }

    /// `restore_fpregs_from_fpstate()`: load `self` into the registers.
    /// Callers check `mxcsr_valid` for images that came from user space.
    pub fn restore(&self) {
        debug_assert!(self.mxcsr_valid());
        // A 512-byte, 16-byte-aligned image whose MXCSR has only
        // implemented bits (checked by every path that takes user data),
        // so fxrstor64 cannot fault; it only changes x87/SSE registers,
        // which the soft-float kernel does not use.
        // SAFETY: sound for the reasons just given.
        unsafe { asm!("fxrstor64 [{}]", in(reg) self.0.as_ptr(), options(nostack, readonly)) };
    }
}

/// `fpu__init_cpu()` + `fpu__init_system()`: with x87/SSE enabled for
/// user code (CR0/CR4 bits, `cpu_init`), reset the unit and learn
/// `mxcsr_feature_mask`.
#[allow(non_snake_case)]
pub fn fpu__init_cpu() {
    // SAFETY: fninit resets the x87 unit; nothing in the kernel holds x87
    // state.
    unsafe { asm!("fninit", options(nostack, nomem)) };
    let mut probe = FxregsState([0; FXSAVE_SIZE]);
    probe.save();
    let mask = u32::from_le_bytes(
        probe.0[FXSAVE_MXCSR_MASK..FXSAVE_MXCSR_MASK + 4]
            .try_into()
            .expect("4 bytes"),
    );
    if mask != 0 {
        MXCSR_FEATURE_MASK.store(mask, Ordering::Relaxed);
    }
    FxregsState::init().restore();
}
