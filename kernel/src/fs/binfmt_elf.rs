//! ELF executables (fs/binfmt_elf.c): header checks, the PT_LOAD list,
//! and the initial stack image `create_elf_tables` builds. The mapping of
//! segments into an address space is in exec.rs; this part is pure and
//! tested on the host.

use alloc::vec::Vec;

use crate::mm::page::PAGE_SIZE;
use crate::uapi::errno::{Errno, KResult};

const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;
const EM_X86_64: u16 = 62;
pub const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;

/// Where a position-independent executable is loaded without
/// randomization (`ELF_ET_DYN_BASE`, page aligned).
pub const ELF_ET_DYN_BASE: u64 = 0x5555_5555_4000;

/// One `Elf64_Phdr` of type PT_LOAD, with the load bias applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadSegment {
    pub vaddr: u64,
    pub offset: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub flags: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub struct ElfImage {
    pub entry: u64,
    pub segments: Vec<LoadSegment>,
    /// Where the program headers are in memory (AT_PHDR), and their count.
    pub phdr: u64,
    pub phnum: u64,
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

/// Check the ELF header and collect the loadable segments from `head`,
/// the start of the file (header and program headers must be in it).
/// ENOEXEC for anything that is not a static x86_64 executable.
pub fn parse_elf(head: &[u8]) -> KResult<ElfImage> {
    if head.len() < 64 || &head[..4] != b"\x7fELF" || head[4] != 2 || head[5] != 1 || head[6] != 1 {
        return Err(Errno::ENOEXEC);
    }
    let e_type = u16_at(head, 16);
    if u16_at(head, 18) != EM_X86_64 || !(e_type == ET_EXEC || e_type == ET_DYN) {
        return Err(Errno::ENOEXEC);
    }
    let bias = if e_type == ET_DYN { ELF_ET_DYN_BASE } else { 0 };
    let (phoff, phentsize, phnum) = (
        u64_at(head, 32) as usize,
        u16_at(head, 54) as usize,
        u16_at(head, 56) as usize,
    );
    if phentsize != 56 || phnum == 0 || phnum > 64 || phoff + phnum * 56 > head.len() {
        return Err(Errno::ENOEXEC);
    }
    let mut segments = Vec::new();
    let mut phdr = 0;
    for i in 0..phnum {
        let p = &head[phoff + i * 56..phoff + (i + 1) * 56];
        let p_type = u32_at(p, 0);
        match p_type {
            // No dynamic linker exists: only static executables run.
            PT_INTERP | PT_DYNAMIC if e_type == ET_EXEC || p_type == PT_INTERP => {
                return Err(Errno::ENOEXEC);
            }
            PT_LOAD => {
                let seg = LoadSegment {
                    flags: u32_at(p, 4),
                    offset: u64_at(p, 8),
                    vaddr: u64_at(p, 16) + bias,
                    filesz: u64_at(p, 32),
                    memsz: u64_at(p, 40),
                };
                let bad_align = seg.vaddr % PAGE_SIZE != seg.offset % PAGE_SIZE;
                let end = seg.vaddr.checked_add(seg.memsz);
                if seg.filesz > seg.memsz
                    || bad_align
                    || end.is_none_or(|e| e > crate::mm::mmap::TASK_SIZE)
                {
                    return Err(Errno::ENOEXEC);
                }
                if seg.offset <= phoff as u64 && (phoff as u64) < seg.offset + seg.filesz {
                    phdr = seg.vaddr + (phoff as u64 - seg.offset);
                }
                segments.push(seg);
            }
            _ => {}
        }
    }
    if segments.is_empty() {
        return Err(Errno::ENOEXEC);
    }
    Ok(ElfImage {
        entry: u64_at(head, 24) + bias,
        segments,
        phdr,
        phnum: phnum as u64,
    })
}

const AT_NULL: u64 = 0;
const AT_PHDR: u64 = 3;
const AT_PHENT: u64 = 4;
const AT_PHNUM: u64 = 5;
const AT_PAGESZ: u64 = 6;
const AT_ENTRY: u64 = 9;
const AT_RANDOM: u64 = 25;

/// `create_elf_tables()`: the bytes of the initial stack and where it
/// starts. `top` is the stack's top; the result is placed at the returned
/// address: argc, argv[], NULL, envp[], NULL, auxv, then the strings and
/// 16 AT_RANDOM bytes. The stack pointer (argc's address) is 16-aligned.
pub fn create_elf_tables(
    top: u64,
    argv: &[&str],
    envp: &[&str],
    elf: &ElfImage,
    random: [u8; 16],
) -> (u64, Vec<u8>) {
    // Strings and random bytes at the top, as Linux places them.
    let mut strings = Vec::new();
    let mut str_offsets = Vec::new();
    for s in argv.iter().chain(envp) {
        str_offsets.push(strings.len() as u64);
        strings.extend_from_slice(s.as_bytes());
        strings.push(0);
    }
    let random_off = strings.len() as u64;
    strings.extend_from_slice(&random);
    let strings_start = (top - strings.len() as u64) & !15;

    let auxv = [
        (AT_PHDR, elf.phdr),
        (AT_PHENT, 56),
        (AT_PHNUM, elf.phnum),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_ENTRY, elf.entry),
        (AT_RANDOM, strings_start + random_off),
        (AT_NULL, 0),
    ];
    let words = 1 + argv.len() + 1 + envp.len() + 1 + 2 * auxv.len();
    let sp = (strings_start - 8 * words as u64) & !15;

    let mut table: Vec<u64> = Vec::with_capacity(words);
    table.push(argv.len() as u64);
    let addr = |i: usize| strings_start + str_offsets[i];
    table.extend((0..argv.len()).map(addr));
    table.push(0);
    table.extend((argv.len()..argv.len() + envp.len()).map(addr));
    table.push(0);
    for (k, v) in auxv {
        table.extend([k, v]);
    }
    let mut image: Vec<u8> = table.iter().flat_map(|w| w.to_le_bytes()).collect();
    image.resize((strings_start - sp) as usize, 0);
    image.extend_from_slice(&strings);
    (sp, image)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal static executable: header, one PT_LOAD, code.
    fn elf(e_type: u16, extra_phdr: Option<u32>) -> Vec<u8> {
        let phnum = 1 + extra_phdr.is_some() as u16;
        let mut b = vec![0u8; 64 + 56 * phnum as usize];
        b[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
        b[16..18].copy_from_slice(&e_type.to_le_bytes());
        b[18..20].copy_from_slice(&EM_X86_64.to_le_bytes());
        b[24..32].copy_from_slice(&0x401000u64.to_le_bytes());
        b[32..40].copy_from_slice(&64u64.to_le_bytes());
        b[54..56].copy_from_slice(&56u16.to_le_bytes());
        b[56..58].copy_from_slice(&phnum.to_le_bytes());
        let ph = |b: &mut Vec<u8>,
                  i: usize,
                  t: u32,
                  flags: u32,
                  off: u64,
                  vaddr: u64,
                  filesz: u64,
                  memsz: u64| {
            let p = 64 + 56 * i;
            b[p..p + 4].copy_from_slice(&t.to_le_bytes());
            b[p + 4..p + 8].copy_from_slice(&flags.to_le_bytes());
            b[p + 8..p + 16].copy_from_slice(&off.to_le_bytes());
            b[p + 16..p + 24].copy_from_slice(&vaddr.to_le_bytes());
            b[p + 32..p + 40].copy_from_slice(&filesz.to_le_bytes());
            b[p + 40..p + 48].copy_from_slice(&memsz.to_le_bytes());
        };
        ph(&mut b, 0, PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x1200, 0x3000);
        if let Some(t) = extra_phdr {
            ph(&mut b, 1, t, PF_R, 0, 0, 0, 0);
        }
        b
    }

    #[test]
    fn static_executable_parses() {
        let img = parse_elf(&elf(ET_EXEC, None)).unwrap();
        assert_eq!(img.entry, 0x401000);
        assert_eq!(img.phdr, 0x400040);
        assert_eq!(
            img.segments,
            [LoadSegment {
                vaddr: 0x400000,
                offset: 0,
                filesz: 0x1200,
                memsz: 0x3000,
                flags: PF_R | PF_X
            }]
        );
    }

    #[test]
    fn pie_is_loaded_at_et_dyn_base() {
        let img = parse_elf(&elf(ET_DYN, None)).unwrap();
        assert_eq!(img.entry, ELF_ET_DYN_BASE + 0x401000);
        assert_eq!(img.segments[0].vaddr, ELF_ET_DYN_BASE + 0x400000);
    }

    #[test]
    fn non_executables_are_enoexec() {
        assert_eq!(parse_elf(b"#!/bin/sh\n"), Err(Errno::ENOEXEC));
        assert_eq!(
            parse_elf(&elf(ET_EXEC, Some(PT_INTERP))),
            Err(Errno::ENOEXEC)
        );
        let mut relocatable = elf(ET_EXEC, None);
        relocatable[16] = 1;
        assert_eq!(parse_elf(&relocatable), Err(Errno::ENOEXEC));
        let mut arm = elf(ET_EXEC, None);
        arm[18] = 183;
        assert_eq!(parse_elf(&arm), Err(Errno::ENOEXEC));
    }

    #[test]
    fn initial_stack_layout_is_linux_abi() {
        let img = parse_elf(&elf(ET_EXEC, None)).unwrap();
        let top = 0x7fff_ffff_f000;
        let (sp, image) = create_elf_tables(top, &["/bin/anon", "64M"], &["A=1"], &img, [7; 16]);
        assert_eq!(sp % 16, 0);
        assert!(sp + image.len() as u64 <= top);
        let word = |i: usize| u64::from_le_bytes(image[8 * i..8 * i + 8].try_into().unwrap());
        let cstr = |addr: u64| {
            let off = (addr - sp) as usize;
            let end = image[off..].iter().position(|&c| c == 0).unwrap();
            std::str::from_utf8(&image[off..off + end])
                .unwrap()
                .to_string()
        };
        assert_eq!(word(0), 2);
        assert_eq!(cstr(word(1)), "/bin/anon");
        assert_eq!(cstr(word(2)), "64M");
        assert_eq!(word(3), 0);
        assert_eq!(cstr(word(4)), "A=1");
        assert_eq!(word(5), 0);
        // auxv pairs, ending in AT_NULL.
        assert_eq!((word(6), word(7)), (AT_PHDR, 0x400040));
        assert_eq!((word(12), word(13)), (AT_PAGESZ, 4096));
        assert_eq!(word(16), AT_RANDOM);
        let rnd = (word(17) - sp) as usize;
        assert_eq!(&image[rnd..rnd + 16], &[7; 16]);
        assert_eq!((word(18), word(19)), (AT_NULL, 0));
    }
}
