//! ELF executables (fs/binfmt_elf.c): `load_elf_phdrs` and the header
//! checks `load_elf_binary` makes before the point of no return, the
//! segment loop after it (`elf_load` → `elf_map` / `padzero` /
//! `vm_brk_flags`, the static-pie bias, the initial break) and the stack
//! image `create_elf_tables` builds. Everything here is pure: the address
//! space is reached through [`ElfMm`] (exec.rs implements it on a real mm,
//! the tests on a VMA tree), so the whole loader is tested on the host.
//!
//! Left out: PT_INTERP programs (no dynamic loader exists; exec.rs fails
//! them with the interpreter's lookup error), randomization (tinymm runs as
//! Linux with `norandmaps`), PT_GNU_PROPERTY (x86 does not parse it
//! either), core dumps.

use alloc::vec::Vec;

use crate::mm::mmap::{MMAP_MIN_ADDR, TASK_SIZE, VmaTree};
use crate::mm::page::{PAGE_SHIFT, PAGE_SIZE};
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::mman::{PROT_EXEC, PROT_READ, PROT_WRITE};

pub const ET_EXEC: u16 = 2;
pub const ET_DYN: u16 = 3;
pub const EM_X86_64: u16 = 62;
pub const PT_LOAD: u32 = 1;
pub const PT_INTERP: u32 = 3;
pub const PT_GNU_STACK: u32 = 0x6474_e551;
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;

/// `sizeof(struct elf64_phdr)`.
pub const ELF_PHDR_SIZE: u64 = 56;
/// `BINPRM_BUF_SIZE`: how much of the file the format handlers see first.
pub const BINPRM_BUF_SIZE: usize = 256;
/// `PATH_MAX`, the longest PT_INTERP string.
const PATH_MAX: u64 = 4096;

/// `ELF_ET_DYN_BASE` (x86_64: `DEFAULT_MAP_WINDOW / 3 * 2`, not page
/// aligned): where the break of a static-pie program starts.
pub const ELF_ET_DYN_BASE: u64 = TASK_SIZE / 3 * 2;

/// `ELF_PAGESTART`, `ELF_PAGEOFFSET`, `ELF_PAGEALIGN`: unsigned long
/// arithmetic, wrapping as C's does (the checks after them catch it).
const fn pagestart(v: u64) -> u64 {
    v & !(PAGE_SIZE - 1)
}
const fn pageoffset(v: u64) -> u64 {
    v & (PAGE_SIZE - 1)
}
const fn pagealign(v: u64) -> u64 {
    v.wrapping_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1)
}
/// `BAD_ADDR()`.
const fn bad_addr(x: u64) -> bool {
    x >= TASK_SIZE
}

/// One `struct elf64_phdr`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ElfPhdr {
    pub p_type: u32,
    pub p_flags: u32,
    pub p_offset: u64,
    pub p_vaddr: u64,
    pub p_filesz: u64,
    pub p_memsz: u64,
    pub p_align: u64,
}

impl ElfPhdr {
    fn parse(b: &[u8]) -> Self {
        Self {
            p_type: u32_at(b, 0),
            p_flags: u32_at(b, 4),
            p_offset: u64_at(b, 8),
            p_vaddr: u64_at(b, 16),
            p_filesz: u64_at(b, 32),
            p_memsz: u64_at(b, 40),
            p_align: u64_at(b, 48),
        }
    }

    /// `make_prot()`.
    fn prot(&self) -> u32 {
        (if self.p_flags & PF_R != 0 {
            PROT_READ
        } else {
            0
        }) | (if self.p_flags & PF_W != 0 {
            PROT_WRITE
        } else {
            0
        }) | (if self.p_flags & PF_X != 0 {
            PROT_EXEC
        } else {
            0
        })
    }
}

/// What `load_elf_binary` knows before `begin_new_exec`: a checked header,
/// the program headers, the interpreter's path and the stack's exec flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfBinary {
    pub e_type: u16,
    pub e_entry: u64,
    pub e_phoff: u64,
    pub phdrs: Vec<ElfPhdr>,
    /// PT_INTERP's path (without its NUL).
    pub interp: Option<Vec<u8>>,
    /// PT_GNU_STACK with PF_X (`EXSTACK_ENABLE_X`); x86_64 stacks are
    /// otherwise not executable.
    pub executable_stack: bool,
}

fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}
fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().expect("4 bytes"))
}
fn u64_at(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().expect("8 bytes"))
}

/// Reads `buf.len()` bytes of the file at `pos`; a short read is EIO
/// (`elf_read`).
pub type ElfRead<'a> = &'a mut dyn FnMut(u64, &mut [u8]) -> KResult<usize>;

fn elf_read(read: ElfRead, pos: u64, buf: &mut [u8]) -> KResult<()> {
    match read(pos, buf)? {
        n if n == buf.len() => Ok(()),
        _ => Err(Errno::EIO),
    }
}

/// `load_elf_binary()` up to `begin_new_exec()`: `buf` is the start of
/// the file (`bprm->buf`, zero-padded to BINPRM_BUF_SIZE), `read` reads
/// the rest. ENOEXEC for what is not an x86_64 ET_EXEC/ET_DYN with sane
/// program headers (`load_elf_phdrs`), EIO for an unreadable PT_INTERP.
#[inline(never)]
pub fn load_elf_phdrs(buf: &[u8; BINPRM_BUF_SIZE], read: ElfRead) -> KResult<ElfBinary> {
    if &buf[..4] != b"\x7fELF" {
        return Err(Errno::ENOEXEC);
    }
    let e_type = u16_at(buf, 16);
    // `elf_check_arch()` looks at e_machine only, as Linux's does.
    if !(e_type == ET_EXEC || e_type == ET_DYN) || u16_at(buf, 18) != EM_X86_64 {
        return Err(Errno::ENOEXEC);
    }
    let e_phoff = u64_at(buf, 32);
    let (phentsize, phnum) = (u64::from(u16_at(buf, 54)), u64::from(u16_at(buf, 56)));
    let size = ELF_PHDR_SIZE * phnum;
    if phentsize != ELF_PHDR_SIZE || size == 0 || size > 65536 || size > PAGE_SIZE {
        return Err(Errno::ENOEXEC);
    }
    let mut table = alloc::vec![0u8; size as usize];
    // A table that cannot be read whole fails the load as ENOEXEC.
    elf_read(read, e_phoff, &mut table).map_err(|_| Errno::ENOEXEC)?;
    let phdrs: Vec<ElfPhdr> = table
        .as_chunks::<{ ELF_PHDR_SIZE as usize }>()
        .0
        .iter()
        .map(|p| ElfPhdr::parse(p))
        .collect();
    let mut interp = None;
    if let Some(p) = phdrs.iter().find(|p| p.p_type == PT_INTERP) {
        if p.p_filesz > PATH_MAX || p.p_filesz < 2 {
            return Err(Errno::ENOEXEC);
        }
        let mut path = alloc::vec![0u8; p.p_filesz as usize];
        elf_read(read, p.p_offset, &mut path)?;
        if path.pop() != Some(0) {
            return Err(Errno::ENOEXEC);
        }
        interp = Some(path);
    }
    // The last PT_GNU_STACK wins, as in Linux's loop.
    let executable_stack = phdrs
        .iter()
        .rev()
        .find(|p| p.p_type == PT_GNU_STACK)
        .is_some_and(|p| p.p_flags & PF_X != 0);
    Ok(ElfBinary {
        e_type,
        e_entry: u64_at(buf, 24),
        e_phoff,
        phdrs,
        interp,
        executable_stack,
    })
}

/// What loading segments needs from the new address space.
pub trait ElfMm {
    fn vmas(&self) -> &VmaTree;
    /// `do_vmi_munmap()`: VMAs and their pages in [start, end) go.
    fn munmap(&mut self, start: u64, end: u64);
    /// A private file mapping of [start, end) from file page `pgoff`.
    fn map_file(&mut self, start: u64, end: u64, pgoff: u64, prot: u32);
    /// Anonymous zero pages (`do_brk_flags`).
    fn map_anon(&mut self, start: u64, end: u64, prot: u32);
    /// `clear_user()`: zero user bytes, faulting pages in as a write.
    fn clear_user(&mut self, addr: u64, len: u64) -> KResult<()>;
}

/// `get_unmapped_area()` for a fixed address: the range must lie in user
/// space above `mmap_min_addr` (tinymm's mmap refuses lower addresses
/// with EPERM, as Linux does for tasks without CAP_SYS_RAWIO).
fn check_fixed_area(addr: u64, len: u64) -> KResult<()> {
    if len > TASK_SIZE || addr > TASK_SIZE - len {
        return Err(Errno::ENOMEM);
    }
    if pageoffset(addr) != 0 {
        return Err(Errno::EINVAL);
    }
    if addr < MMAP_MIN_ADDR {
        return Err(Errno::EPERM);
    }
    Ok(())
}

/// How `vm_mmap` places a mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Placement {
    /// `addr` is a hint.
    Hint,
    /// MAP_FIXED: replace what is there.
    Fixed,
    /// MAP_FIXED_NOREPLACE: EEXIST if anything is there.
    FixedNoReplace,
}

/// `vm_mmap()` of the executable, MAP_PRIVATE, with `do_mmap`'s checks.
fn vm_mmap(
    mm: &mut dyn ElfMm,
    addr: u64,
    len: u64,
    prot: u32,
    placement: Placement,
    off: u64,
) -> KResult<u64> {
    if off.checked_add(pagealign(len)).is_none() || pageoffset(off) != 0 {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Err(Errno::EINVAL);
    }
    let len = pagealign(len);
    if len == 0 {
        return Err(Errno::ENOMEM);
    }
    let pgoff = off >> PAGE_SHIFT;
    if pgoff.checked_add(len >> PAGE_SHIFT).is_none() {
        return Err(Errno::EOVERFLOW);
    }
    let start = match placement {
        Placement::Hint => mm.vmas().get_unmapped_area(addr, len)?,
        Placement::Fixed | Placement::FixedNoReplace => {
            check_fixed_area(addr, len)?;
            addr
        }
    };
    if mm.vmas().intersects(start, start + len) {
        if placement == Placement::FixedNoReplace {
            return Err(Errno::EEXIST);
        }
        mm.munmap(start, start + len);
    }
    mm.map_file(start, start + len, pgoff, prot);
    Ok(start)
}

/// `vm_brk_flags()`: anonymous pages over [addr, addr + request), which
/// replace whatever was mapped there. They are always readable and
/// writable (`VM_DATA_DEFAULT_FLAGS`), executable if asked.
fn vm_brk_flags(mm: &mut dyn ElfMm, addr: u64, request: u64, exec: bool) -> KResult<()> {
    let len = pagealign(request);
    if len < request {
        return Err(Errno::ENOMEM);
    }
    if len == 0 {
        return Ok(());
    }
    check_fixed_area(addr, len)?;
    if mm.vmas().intersects(addr, addr + len) {
        mm.munmap(addr, addr + len);
    }
    let exec = if exec { PROT_EXEC } else { 0 };
    mm.map_anon(addr, addr + len, PROT_READ | PROT_WRITE | exec);
    Ok(())
}

/// `padzero()`: zero from `address` to the end of its page.
fn padzero(mm: &mut dyn ElfMm, address: u64) -> KResult<()> {
    let nbyte = pageoffset(address);
    if nbyte != 0 {
        mm.clear_user(address, PAGE_SIZE - nbyte)
            .map_err(|_| Errno::EFAULT)?;
    }
    Ok(())
}

/// `elf_map()`: the file part of a segment, from the page holding
/// `p_vaddr`; `total_size` (the first ET_DYN segment) reserves room for
/// the whole image and gives back what this segment does not use.
fn elf_map(
    mm: &mut dyn ElfMm,
    addr: u64,
    p: &ElfPhdr,
    prot: u32,
    placement: Placement,
    total_size: u64,
) -> KResult<u64> {
    let size = pagealign(p.p_filesz.wrapping_add(pageoffset(p.p_vaddr)));
    let off = p.p_offset.wrapping_sub(pageoffset(p.p_vaddr));
    let addr = pagestart(addr);
    if size == 0 {
        return Ok(addr);
    }
    if total_size != 0 {
        let total_size = pagealign(total_size);
        let map_addr = vm_mmap(mm, addr, total_size, prot, placement, off)?;
        if total_size > size {
            mm.munmap(map_addr + size, map_addr + total_size);
        }
        Ok(map_addr)
    } else {
        vm_mmap(mm, addr, size, prot, placement, off)
    }
}

/// `elf_load()`: map a segment's file part, zero the rest of its last
/// file page and map anonymous pages for the rest of `p_memsz`.
fn elf_load(
    mm: &mut dyn ElfMm,
    addr: u64,
    p: &ElfPhdr,
    prot: u32,
    placement: Placement,
    total_size: u64,
) -> KResult<u64> {
    let (map_addr, zero_start, zero_end);
    if p.p_filesz != 0 {
        map_addr = elf_map(mm, addr, p, prot, placement, total_size)?;
        zero_start = map_addr
            .wrapping_add(pageoffset(p.p_vaddr))
            .wrapping_add(p.p_filesz);
        zero_end = map_addr
            .wrapping_add(pageoffset(p.p_vaddr))
            .wrapping_add(p.p_memsz);
        // A read-only segment keeps what the file has after its data.
        if p.p_memsz > p.p_filesz && padzero(mm, zero_start).is_err() && prot & PROT_WRITE != 0 {
            return Err(Errno::EFAULT);
        }
    } else {
        map_addr = pagestart(addr);
        zero_start = map_addr;
        zero_end = zero_start
            .wrapping_add(pageoffset(p.p_vaddr))
            .wrapping_add(p.p_memsz);
    }
    if p.p_memsz > p.p_filesz {
        let (zero_start, zero_end) = (pagealign(zero_start), pagealign(zero_end));
        vm_brk_flags(
            mm,
            zero_start,
            zero_end.wrapping_sub(zero_start),
            prot & PROT_EXEC != 0,
        )?;
    }
    Ok(map_addr)
}

/// `total_mapping_size()`: from the first PT_LOAD's page to the end of
/// the highest one.
fn total_mapping_size(phdrs: &[ElfPhdr]) -> u64 {
    let loads = phdrs.iter().filter(|p| p.p_type == PT_LOAD);
    let min = loads.clone().map(|p| pagestart(p.p_vaddr)).min();
    let max = loads.map(|p| p.p_vaddr.wrapping_add(p.p_memsz)).max();
    match (min, max) {
        (Some(min), Some(max)) => max.wrapping_sub(min),
        _ => 0,
    }
}

/// `maximum_alignment()`: the largest power-of-two p_align, at least a page.
fn maximum_alignment(phdrs: &[ElfPhdr]) -> u64 {
    let a = phdrs
        .iter()
        .filter(|p| p.p_type == PT_LOAD && p.p_align.is_power_of_two())
        .map(|p| p.p_align)
        .max()
        .unwrap_or(0);
    pagealign(a)
}

/// Where the loaded image's parts ended up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ElfLayout {
    pub load_bias: u64,
    /// `e_entry + load_bias` (AT_ENTRY and the first rip).
    pub entry: u64,
    /// AT_PHDR: where the program headers are in memory, 0 if no segment
    /// maps them.
    pub phdr_addr: u64,
    /// `mm->start_brk = mm->brk`.
    pub brk: u64,
    /// `mm->start_code`, `end_code`: the executable segments' span (file
    /// parts); `start_data`, `end_data`: from the last segment's start to
    /// the end of the highest file part (load_elf_binary's arithmetic).
    pub start_code: u64,
    pub end_code: u64,
    pub start_data: u64,
    pub end_data: u64,
}

/// The segment loop of `load_elf_binary()` after the point of no return:
/// maps every PT_LOAD into `mm` (ET_EXEC at its addresses; static-pie
/// ET_DYN where `get_unmapped_area` puts the whole image, load bias 0 as
/// Linux does for a program without PT_INTERP), checks each against
/// TASK_SIZE and computes the entry, AT_PHDR and the initial break. An
/// error here kills the exec'ing task in Linux (SIGSEGV).
#[inline(never)]
pub fn load_elf_segments(elf: &ElfBinary, mm: &mut dyn ElfMm) -> KResult<ElfLayout> {
    let (mut load_bias, mut phdr_addr, mut elf_brk) = (0u64, 0u64, 0u64);
    let (mut start_code, mut end_code, mut start_data, mut end_data) = (u64::MAX, 0u64, 0u64, 0u64);
    let mut first_pt_load = true;
    for p in elf.phdrs.iter().filter(|p| p.p_type == PT_LOAD) {
        let prot = p.prot();
        let vaddr = p.p_vaddr;
        let mut total_size = 0;
        let mut placement = Placement::Fixed;
        if first_pt_load {
            if elf.e_type == ET_EXEC {
                placement = Placement::FixedNoReplace;
            } else {
                total_size = total_mapping_size(&elf.phdrs);
                if total_size == 0 {
                    return Err(Errno::EINVAL);
                }
                let alignment = maximum_alignment(&elf.phdrs);
                placement = Placement::Hint;
                if alignment > PAGE_SIZE {
                    // Find room for the image, then place it aligned.
                    let at = elf_load(mm, 0, p, prot, Placement::Hint, total_size)?;
                    if bad_addr(at) {
                        return Err(Errno::EINVAL);
                    }
                    let end = at.wrapping_add(pagealign(total_size)).min(TASK_SIZE);
                    if end > at {
                        mm.munmap(at, end);
                    }
                    load_bias = at & !(alignment - 1);
                    placement = Placement::FixedNoReplace;
                }
                load_bias = pagestart(load_bias.wrapping_sub(vaddr));
            }
        }
        let at = elf_load(
            mm,
            load_bias.wrapping_add(vaddr),
            p,
            prot,
            placement,
            total_size,
        )?;
        if bad_addr(at) {
            return Err(Errno::EINVAL);
        }
        if first_pt_load {
            first_pt_load = false;
            if elf.e_type == ET_DYN {
                load_bias = load_bias
                    .wrapping_add(at)
                    .wrapping_sub(pagestart(load_bias.wrapping_add(vaddr)));
            }
        }
        if p.p_offset <= elf.e_phoff && elf.e_phoff < p.p_offset.wrapping_add(p.p_filesz) {
            phdr_addr = (elf.e_phoff - p.p_offset).wrapping_add(vaddr);
        }
        // Checked after mapping, as Linux does ("set_brk can never work").
        if bad_addr(vaddr)
            || p.p_filesz > p.p_memsz
            || p.p_memsz > TASK_SIZE
            || TASK_SIZE - p.p_memsz < vaddr
        {
            return Err(Errno::EINVAL);
        }
        let exec = p.p_flags & PF_X != 0;
        if exec {
            start_code = start_code.min(vaddr);
            end_code = end_code.max(vaddr + p.p_filesz);
        }
        start_data = start_data.max(vaddr);
        end_data = end_data.max(vaddr + p.p_filesz);
        elf_brk = elf_brk.max(vaddr + p.p_memsz);
    }
    let entry = elf.e_entry.wrapping_add(load_bias);
    if bad_addr(entry) {
        return Err(Errno::EINVAL);
    }
    // A static-pie program's break moves out of the mmap area to
    // ELF_ET_DYN_BASE (the "brk handling" of load_elf_binary).
    let brk = if elf.e_type == ET_DYN {
        pagealign(ELF_ET_DYN_BASE)
    } else {
        pagealign(elf_brk.wrapping_add(load_bias))
    };
    Ok(ElfLayout {
        load_bias,
        entry,
        phdr_addr: phdr_addr.wrapping_add(load_bias),
        brk,
        start_code: start_code.wrapping_add(load_bias),
        end_code: end_code.wrapping_add(load_bias),
        start_data: start_data.wrapping_add(load_bias),
        end_data: end_data.wrapping_add(load_bias),
    })
}

pub const AT_NULL: u64 = 0;
pub const AT_PHDR: u64 = 3;
pub const AT_PHENT: u64 = 4;
pub const AT_PHNUM: u64 = 5;
pub const AT_PAGESZ: u64 = 6;
pub const AT_BASE: u64 = 7;
pub const AT_FLAGS: u64 = 8;
pub const AT_ENTRY: u64 = 9;
pub const AT_UID: u64 = 11;
pub const AT_EUID: u64 = 12;
pub const AT_GID: u64 = 13;
pub const AT_EGID: u64 = 14;
pub const AT_PLATFORM: u64 = 15;
pub const AT_HWCAP: u64 = 16;
pub const AT_CLKTCK: u64 = 17;
pub const AT_SECURE: u64 = 23;
pub const AT_RANDOM: u64 = 25;
pub const AT_HWCAP2: u64 = 26;
pub const AT_EXECFN: u64 = 31;
pub const AT_MINSIGSTKSZ: u64 = 51;

/// `ELF_PLATFORM`.
const ELF_PLATFORM: &[u8] = b"x86_64\0";
/// `CLOCKS_PER_SEC` (USER_HZ).
const CLOCKS_PER_SEC: u64 = 100;

/// `get_sigframe_size()` as `init_sigframe_size()` computes it for a CPU
/// with FXSAVE and no XSAVE, in a kernel with IA32 emulation (Debian's):
/// `sizeof(struct sigframe_ia32)` (732) + MAX_FRAME_PADDING (15) + the FP
/// state (512 FXSAVE + 112 `fregs_state`) + MAX_XSAVE_PADDING (63),
/// rounded up to 16.
pub const MINSIGSTKSZ: u64 = (732 + 15 + 512 + 112 + 63u64).div_ceil(16) * 16;

/// The values of the auxiliary vector that depend on the program and CPU.
#[derive(Clone, Copy, Debug)]
pub struct AuxInfo {
    /// `ELF_HWCAP`: CPUID.1:EDX.
    pub hwcap: u64,
    /// `ELF_HWCAP2`.
    pub hwcap2: u64,
    pub phdr: u64,
    pub phnum: u64,
    pub entry: u64,
}

/// The initial stack: the bytes of [sp, top) and what points into them.
#[derive(Clone, Debug)]
pub struct StackImage {
    /// Where argc is (16-byte aligned): the first rsp.
    pub sp: u64,
    /// The bytes from `sp` to the stack top.
    pub bytes: Vec<u8>,
    /// AT_RANDOM's 16 bytes, AT_EXECFN's string.
    pub random: u64,
    pub execfn: u64,
    /// `mm->arg_start..arg_end` and `env_start..env_end`: the argument
    /// and environment strings with their NULs (/proc/PID/cmdline,
    /// environ).
    pub arg_start: u64,
    pub arg_end: u64,
    pub env_start: u64,
    pub env_end: u64,
}

/// `create_elf_tables()` over the strings `copy_strings` put below `top`:
/// 8 zero bytes at the top, then (downwards) the exec file name, the
/// environment and the arguments (so argv[0] is lowest); below them,
/// aligned to 16, the platform string and the 16 random bytes; then argc,
/// argv[], NULL, envp[], NULL and the auxiliary vector in Linux's order
/// (without AT_SYSINFO_EHDR: there is no vDSO), rsp 16-aligned at argc.
pub fn create_elf_tables(
    top: u64,
    argv: &[&[u8]],
    envp: &[&[u8]],
    execfn: &[u8],
    aux: &AuxInfo,
    random: [u8; 16],
) -> StackImage {
    let mut p = top - 8;
    let mut push = |s: &[u8]| {
        p -= s.len() as u64 + 1;
        p
    };
    let execfn_addr = push(execfn);
    let mut envp_addr: Vec<u64> = envp.iter().rev().map(|s| push(s)).collect();
    let mut argv_addr: Vec<u64> = argv.iter().rev().map(|s| push(s)).collect();
    envp_addr.reverse();
    argv_addr.reverse();
    let strings_start = p;
    // arch_align_stack() without randomization.
    let mut p = strings_start & !15;
    p -= ELF_PLATFORM.len() as u64;
    let u_platform = p;
    p -= 16;
    let u_rand_bytes = p;

    let auxv = [
        (AT_MINSIGSTKSZ, MINSIGSTKSZ),
        (AT_HWCAP, aux.hwcap),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_CLKTCK, CLOCKS_PER_SEC),
        (AT_PHDR, aux.phdr),
        (AT_PHENT, ELF_PHDR_SIZE),
        (AT_PHNUM, aux.phnum),
        (AT_BASE, 0),
        (AT_FLAGS, 0),
        (AT_ENTRY, aux.entry),
        (AT_UID, 0),
        (AT_EUID, 0),
        (AT_GID, 0),
        (AT_EGID, 0),
        (AT_SECURE, 0),
        (AT_RANDOM, u_rand_bytes),
        (AT_HWCAP2, aux.hwcap2),
        (AT_EXECFN, execfn_addr),
        (AT_PLATFORM, u_platform),
        (AT_NULL, 0),
    ];
    let ei_index = 2 * auxv.len() as u64;
    let items = (argv.len() as u64 + 1) + (envp.len() as u64 + 1) + 1;
    let sp = (p - 8 * ei_index - 8 * items) & !15;

    let mut bytes = alloc::vec![0u8; (top - sp) as usize];
    let mut put = |addr: u64, data: &[u8]| {
        let at = (addr - sp) as usize;
        bytes[at..at + data.len()].copy_from_slice(data);
    };
    let mut words: Vec<u64> = Vec::with_capacity((items + ei_index) as usize);
    words.push(argv.len() as u64);
    words.extend(&argv_addr);
    words.push(0);
    words.extend(&envp_addr);
    words.push(0);
    for (k, v) in auxv {
        words.extend([k, v]);
    }
    let table: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    put(sp, &table);
    put(u_rand_bytes, &random);
    put(u_platform, ELF_PLATFORM);
    for (s, &a) in argv
        .iter()
        .chain(envp)
        .zip(argv_addr.iter().chain(&envp_addr))
    {
        put(a, s);
    }
    put(execfn_addr, execfn);
    let arg_end = envp_addr.first().copied().unwrap_or(execfn_addr);
    StackImage {
        sp,
        bytes,
        random: u_rand_bytes,
        execfn: execfn_addr,
        arg_start: strings_start,
        arg_end,
        env_start: arg_end,
        env_end: execfn_addr,
    }
}

#[cfg(test)]
mod tests;
