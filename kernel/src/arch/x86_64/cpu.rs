//! Per-CPU feature setup; mirrors parts of arch/x86/kernel/cpu/common.c
//! (`setup_smep`, `setup_smap`, `syscall_init`), arch/x86/kernel/fpu/init.c
//! (`fpu__init_cpu_generic`: CR4.OSFXSR, CR4.OSXMMEXCPT, CR0.EM/TS clear)
//! and the EFER/CR0 bits the boot code sets on Linux (`EFER.NXE`,
//! `CR0_STATE`: MP, NE, WP, AM).
//!
//! tinymm requires SMEP and SMAP (QEMU `-cpu max` has both): the user-copy
//! routines use `stac`/`clac` unconditionally instead of Linux's
//! alternatives patching.

use core::arch::x86_64::{__cpuid, __cpuid_count};

use ::x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};
use ::x86_64::registers::model_specific::{Efer, EferFlags, Msr};

use super::desc::{KERNEL_CS, USER32_CS};
use super::entry_64::entry_SYSCALL_64;
use super::ptrace::{
    X86_EFLAGS_AC, X86_EFLAGS_DF, X86_EFLAGS_IF, X86_EFLAGS_IOPL, X86_EFLAGS_NT, X86_EFLAGS_TF,
};

const MSR_STAR: u32 = 0xc000_0081;
const MSR_LSTAR: u32 = 0xc000_0082;
const MSR_CSTAR: u32 = 0xc000_0083;
const MSR_SYSCALL_MASK: u32 = 0xc000_0084;

/// CPUID.(EAX=7,ECX=0):EBX bits.
const X86_FEATURE_SMEP: u32 = 1 << 7;
const X86_FEATURE_SMAP: u32 = 1 << 20;
/// CPUID.80000001H:EDX bits.
const X86_FEATURE_SYSCALL: u32 = 1 << 11;
const X86_FEATURE_NX: u32 = 1 << 20;

/// Turns on NX, write protection in ring 0, SMEP and SMAP, the FPU and
/// SSE with their exceptions, user alignment checks, and programs the
/// `syscall` MSRs. Panics (with the reason) on a CPU without them.
pub fn cpu_init() {
    let leaf7 = __cpuid_count(7, 0);
    let ext = __cpuid(0x8000_0001);
    for (have, name) in [
        (leaf7.ebx & X86_FEATURE_SMEP != 0, "SMEP"),
        (leaf7.ebx & X86_FEATURE_SMAP != 0, "SMAP"),
        (ext.edx & X86_FEATURE_NX != 0, "NX"),
        (ext.edx & X86_FEATURE_SYSCALL != 0, "SYSCALL"),
    ] {
        assert!(have, "tinymm needs a CPU with {name} (QEMU: -cpu max)");
    }
    // SAFETY: NXE only makes bit 63 of page-table entries meaningful (the
    // bootloader already uses it); SCE enables `syscall`, whose MSRs are
    // set below before any user code runs.
    unsafe {
        Efer::update(|f| *f |= EferFlags::NO_EXECUTE_ENABLE | EferFlags::SYSTEM_CALL_EXTENSIONS)
    };
    // WP makes ring 0 honour read-only mappings; the kernel never
    // writes through read-only mappings on purpose. MP with EM and TS
    // clear runs FPU/SSE instructions natively; NE reports x87 errors as
    // #MF (not IRQ 13); AM lets EFLAGS.AC alignment-check ring 3 (#AC),
    // ring 0 is never checked. traps.rs handles #MF, #AC and #NM.
    // SAFETY: sound for the reasons just given.
    unsafe {
        Cr0::update(|f| {
            *f |= Cr0Flags::WRITE_PROTECT
                | Cr0Flags::MONITOR_COPROCESSOR
                | Cr0Flags::NUMERIC_ERROR
                | Cr0Flags::ALIGNMENT_MASK;
            *f -= Cr0Flags::EMULATE_COPROCESSOR | Cr0Flags::TASK_SWITCHED;
        })
    };
    // The kernel's own mappings are supervisor-only, so SMEP/SMAP
    // only stop ring-0 access to user pages, which uaccess.rs brackets with
    // stac/clac and every entry stub starts with clac (or FMASK clears AC).
    // OSFXSR enables SSE instructions and FXSAVE's SSE state; OSXMMEXCPT
    // makes an unmasked SSE exception #XM (traps.rs) instead of #UD.
    // SAFETY: sound for the reasons just given.
    unsafe {
        Cr4::update(|f| {
            *f |= Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION
                | Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION
                | Cr4Flags::OSFXSR
                | Cr4Flags::OSXMMEXCPT_ENABLE
        })
    };
    syscall_init();
}

/// `syscall_init()`: `syscall` enters at `entry_SYSCALL_64` with CS =
/// `__KERNEL_CS`; `sysretq` returns with CS = `__USER_CS` (= `__USER32_CS` +
/// 16), SS = `__USER_DS`; TF, DF, IF, IOPL, AC and NT are cleared on entry.
fn syscall_init() {
    let star = (u64::from(USER32_CS.0) << 48) | (u64::from(KERNEL_CS.0) << 32);
    let mask = X86_EFLAGS_TF
        | X86_EFLAGS_DF
        | X86_EFLAGS_IF
        | X86_EFLAGS_IOPL
        | X86_EFLAGS_AC
        | X86_EFLAGS_NT;
    // SAFETY: these MSRs exist on every CPU with SYSCALL (checked above);
    // the values follow Linux's and the GDT layout of desc.rs.
    unsafe {
        Msr::new(MSR_STAR).write(star);
        Msr::new(MSR_LSTAR).write(entry_SYSCALL_64 as *const () as u64);
        // 32-bit `syscall` from compat mode: not supported, nothing maps it.
        Msr::new(MSR_CSTAR).write(0);
        Msr::new(MSR_SYSCALL_MASK).write(mask);
    }
}

/// CR4.SMEP, CR4.SMAP, EFER.NXE and CR0.WP as currently set, for tests.
pub fn protection_bits() -> (bool, bool, bool, bool) {
    let cr4 = Cr4::read();
    (
        cr4.contains(Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION),
        cr4.contains(Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION),
        Efer::read().contains(EferFlags::NO_EXECUTE_ENABLE),
        Cr0::read().contains(Cr0Flags::WRITE_PROTECT),
    )
}
