//! `/proc/cpuinfo`; mirrors arch/x86/kernel/cpu/proc.c (`show_cpuinfo`)
//! over what `identify_cpu` reads from CPUID (common.c: vendor, family,
//! model, stepping, brand string, `cpu_detect_cache_sizes`, address
//! sizes) and the names of arch/x86/include/asm/cpufeatures.h for the
//! CPUID feature words (0, 1, 4, 6, 9, 16, 18).
//!
//! Left out, because tinymm computes none of them: Linux's synthetic
//! flags (word 3: `constant_tsc`, `rep_good`, ...), `cpu MHz` (the TSC
//! is not calibrated), `microcode`, `bugs` (no vulnerability
//! detection), `bogomips` (no delay calibration) and AMD's `TLB size`.
//! One CPU, so `siblings` and `cpu cores` are 1.

use alloc::string::String;
use core::arch::x86_64::{__cpuid, __cpuid_count};
use core::fmt::{self, Write};

/// Word 0: CPUID 1 EDX.
const WORD0: [&str; 32] = [
    "fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", "", "sep", "mtrr", "pge",
    "mca", "cmov", "pat", "pse36", "pn", "clflush", "", "dts", "acpi", "mmx", "fxsr", "sse",
    "sse2", "ss", "ht", "tm", "ia64", "pbe",
];
/// Word 1: CPUID 0x80000001 EDX (the bits that repeat word 0 unnamed).
const WORD1: [&str; 32] = [
    "", "", "", "", "", "", "", "", "", "", "", "syscall", "", "", "", "", "", "", "", "mp", "nx",
    "", "mmxext", "", "", "fxsr_opt", "pdpe1gb", "rdtscp", "", "lm", "3dnowext", "3dnow",
];
/// Word 4: CPUID 1 ECX (OSXSAVE is not shown).
const WORD4: [&str; 32] = [
    "pni",
    "pclmulqdq",
    "dtes64",
    "monitor",
    "ds_cpl",
    "vmx",
    "smx",
    "est",
    "tm2",
    "ssse3",
    "cid",
    "sdbg",
    "fma",
    "cx16",
    "xtpr",
    "pdcm",
    "",
    "pcid",
    "dca",
    "sse4_1",
    "sse4_2",
    "x2apic",
    "movbe",
    "popcnt",
    "tsc_deadline_timer",
    "aes",
    "xsave",
    "",
    "avx",
    "f16c",
    "rdrand",
    "hypervisor",
];
/// Word 6: CPUID 0x80000001 ECX.
const WORD6: [&str; 32] = [
    "lahf_lm",
    "cmp_legacy",
    "svm",
    "extapic",
    "cr8_legacy",
    "abm",
    "sse4a",
    "misalignsse",
    "3dnowprefetch",
    "osvw",
    "ibs",
    "xop",
    "skinit",
    "wdt",
    "",
    "lwp",
    "fma4",
    "tce",
    "",
    "nodeid_msr",
    "",
    "tbm",
    "topoext",
    "perfctr_core",
    "perfctr_nb",
    "",
    "bpext",
    "ptsc",
    "perfctr_llc",
    "mwaitx",
    "",
    "",
];
/// Word 9: CPUID 7.0 EBX.
const WORD9: [&str; 32] = [
    "fsgsbase",
    "tsc_adjust",
    "sgx",
    "bmi1",
    "hle",
    "avx2",
    "",
    "smep",
    "bmi2",
    "erms",
    "invpcid",
    "rtm",
    "cqm",
    "",
    "mpx",
    "rdt_a",
    "avx512f",
    "avx512dq",
    "rdseed",
    "adx",
    "smap",
    "avx512ifma",
    "",
    "clflushopt",
    "clwb",
    "intel_pt",
    "avx512pf",
    "avx512er",
    "avx512cd",
    "sha_ni",
    "avx512bw",
    "avx512vl",
];
/// Word 16: CPUID 7.0 ECX.
const WORD16: [&str; 32] = [
    "",
    "avx512vbmi",
    "umip",
    "pku",
    "ospke",
    "waitpkg",
    "avx512_vbmi2",
    "",
    "gfni",
    "vaes",
    "vpclmulqdq",
    "avx512_vnni",
    "avx512_bitalg",
    "tme",
    "avx512_vpopcntdq",
    "",
    "la57",
    "",
    "",
    "",
    "",
    "",
    "rdpid",
    "",
    "bus_lock_detect",
    "cldemote",
    "",
    "movdiri",
    "movdir64b",
    "enqcmd",
    "sgx_lc",
    "",
];
/// Word 18: CPUID 7.0 EDX (the speculation-control bits are not shown).
const WORD18: [&str; 32] = [
    "",
    "",
    "avx512_4vnniw",
    "avx512_4fmaps",
    "fsrm",
    "",
    "",
    "",
    "avx512_vp2intersect",
    "",
    "md_clear",
    "",
    "",
    "",
    "serialize",
    "",
    "tsxldtrk",
    "",
    "pconfig",
    "arch_lbr",
    "ibt",
    "",
    "amx_bf16",
    "avx512_fp16",
    "amx_tile",
    "amx_int8",
    "",
    "",
    "flush_l1d",
    "arch_capabilities",
    "",
    "",
];
/// `x86_power_flags[]`: CPUID 0x80000007 EDX.
const POWER_FLAGS: [&str; 13] = [
    "ts",
    "fid",
    "vid",
    "ttp",
    "tm",
    "stc",
    "100mhzsteps",
    "hwpstate",
    "",
    "cpb",
    "eff_freq_ro",
    "proc_feedback",
    "acc_power",
];

/// `struct cpuinfo_x86`, the parts shown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CpuInfo {
    pub vendor_id: String,
    pub family: u32,
    pub model: u32,
    pub stepping: u32,
    pub model_id: String,
    /// KiB, 0 if unknown.
    pub cache_size: u32,
    pub apicid: u32,
    pub cpuid_level: u32,
    /// The feature words in Linux's order: 0, 1, 4, 6, 9, 16, 18.
    pub words: [u32; 7],
    pub clflush_size: u32,
    pub phys_bits: u32,
    pub virt_bits: u32,
    pub power: u32,
}

/// The names of the set bits of the feature words, in Linux's order.
fn flags(words: &[u32; 7]) -> impl Iterator<Item = &'static str> + '_ {
    [WORD0, WORD1, WORD4, WORD6, WORD9, WORD16, WORD18]
        .into_iter()
        .zip(words)
        .flat_map(|(names, &w)| {
            (0..32)
                .filter(move |&b| w & (1 << b) != 0 && !names[b].is_empty())
                .map(move |b| names[b])
        })
}

/// `show_cpuinfo()` for CPU 0.
pub fn show_cpuinfo_of(m: &mut impl Write, c: &CpuInfo) -> fmt::Result {
    writeln!(m, "processor\t: 0")?;
    writeln!(m, "vendor_id\t: {}", c.vendor_id)?;
    writeln!(m, "cpu family\t: {}", c.family)?;
    writeln!(m, "model\t\t: {}", c.model)?;
    let name = if c.model_id.is_empty() {
        "unknown"
    } else {
        &c.model_id
    };
    writeln!(m, "model name\t: {name}")?;
    writeln!(m, "stepping\t: {}", c.stepping)?;
    if c.cache_size != 0 {
        writeln!(m, "cache size\t: {} KB", c.cache_size)?;
    }
    // show_cpuinfo_core()
    writeln!(m, "physical id\t: 0")?;
    writeln!(m, "siblings\t: 1")?;
    writeln!(m, "core id\t\t: 0")?;
    writeln!(m, "cpu cores\t: 1")?;
    writeln!(m, "apicid\t\t: {}", c.apicid)?;
    writeln!(m, "initial apicid\t: {}", c.apicid)?;
    // show_cpuinfo_misc()
    writeln!(m, "fpu\t\t: yes")?;
    writeln!(m, "fpu_exception\t: yes")?;
    writeln!(m, "cpuid level\t: {}", c.cpuid_level)?;
    writeln!(m, "wp\t\t: yes")?;
    m.write_str("flags\t\t:")?;
    for f in flags(&c.words) {
        write!(m, " {f}")?;
    }
    writeln!(m)?;
    writeln!(m, "clflush size\t: {}", c.clflush_size)?;
    writeln!(m, "cache_alignment\t: {}", c.clflush_size)?;
    writeln!(
        m,
        "address sizes\t: {} bits physical, {} bits virtual",
        c.phys_bits, c.virt_bits
    )?;
    m.write_str("power management:")?;
    for b in 0..32 {
        if c.power & (1 << b) != 0 {
            match POWER_FLAGS.get(b).filter(|n| !n.is_empty()) {
                Some(name) => write!(m, " {name}")?,
                None => write!(m, " [{b}]")?,
            }
        }
    }
    m.write_str("\n\n")
}

/// Bytes of CPUID registers as text, NULs dropped.
fn regs_text(regs: &[u32]) -> String {
    let bytes: alloc::vec::Vec<u8> = regs.iter().flat_map(|r| r.to_le_bytes()).collect();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// `identify_cpu()`'s reading of CPUID.
pub fn identify_cpu() -> CpuInfo {
    let l0 = __cpuid(0);
    let l1 = __cpuid(1);
    let ext_max = __cpuid(0x8000_0000).eax;
    let ext = |leaf: u32| (ext_max >= leaf).then(|| __cpuid(leaf));
    let (l7b, l7c, l7d) = if l0.eax >= 7 {
        let l7 = __cpuid_count(7, 0);
        (l7.ebx, l7.ecx, l7.edx)
    } else {
        (0, 0, 0)
    };
    let e1 = ext(0x8000_0001);
    let base_family = (l1.eax >> 8) & 0xf;
    let family = if base_family == 0xf {
        base_family + ((l1.eax >> 20) & 0xff)
    } else {
        base_family
    };
    let mut model = (l1.eax >> 4) & 0xf;
    if family >= 6 {
        model += ((l1.eax >> 16) & 0xf) << 4;
    }
    // get_model_name(): the brand string, leading spaces removed.
    let model_id = match (ext(0x8000_0002), ext(0x8000_0003), ext(0x8000_0004)) {
        (Some(a), Some(b), Some(c)) => regs_text(&[
            a.eax, a.ebx, a.ecx, a.edx, b.eax, b.ebx, b.ecx, b.edx, c.eax, c.ebx, c.ecx, c.edx,
        ])
        .trim_start()
        .into(),
        _ => String::new(),
    };
    let (phys_bits, virt_bits) =
        ext(0x8000_0008).map_or((36, 48), |r| (r.eax & 0xff, (r.eax >> 8) & 0xff));
    CpuInfo {
        vendor_id: regs_text(&[l0.ebx, l0.edx, l0.ecx]),
        family,
        model,
        stepping: l1.eax & 0xf,
        model_id,
        // cpu_detect_cache_sizes(): the L2 size of 0x80000006.
        cache_size: ext(0x8000_0006).map_or(0, |r| r.ecx >> 16),
        apicid: l1.ebx >> 24,
        cpuid_level: l0.eax,
        words: [
            l1.edx,
            e1.map_or(0, |r| r.edx),
            l1.ecx,
            e1.map_or(0, |r| r.ecx),
            l7b,
            l7c,
            l7d,
        ],
        clflush_size: ((l1.ebx >> 8) & 0xff) * 8,
        phys_bits,
        virt_bits,
        power: ext(0x8000_0007).map_or(0, |r| r.edx),
    }
}

/// `/proc/cpuinfo`.
pub fn show_cpuinfo(m: &mut String) -> fmt::Result {
    show_cpuinfo_of(m, &identify_cpu())
}
