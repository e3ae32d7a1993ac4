use super::*;
use crate::mm::mmap::{MMAP_BASE, STACK_SIZE, STACK_TOP, VmAreaStruct, VmFlags, vm_flags_for_prot};
use proptest::prelude::*;

/// What the loader asked of the address space, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    File(u64, u64, u64, u32),
    Anon(u64, u64, u32),
    Unmap(u64, u64),
    Clear(u64, u64),
}

/// An address space that is only a VMA tree (with the stack, as
/// `setup_arg_pages` leaves it before the segments are mapped).
struct FakeMm {
    vmas: VmaTree,
    steps: Vec<Step>,
}

impl FakeMm {
    fn new() -> Self {
        let mut vmas = VmaTree::default();
        vmas.insert(VmAreaStruct::anonymous(
            STACK_TOP - STACK_SIZE,
            STACK_TOP,
            vm_flags_for_prot(PROT_READ | PROT_WRITE) | VmFlags::VM_GROWSDOWN,
        ));
        Self {
            vmas,
            steps: Vec::new(),
        }
    }
}

impl ElfMm for FakeMm {
    fn vmas(&self) -> &VmaTree {
        &self.vmas
    }
    fn munmap(&mut self, start: u64, end: u64) {
        assert!(
            start < end && end <= TASK_SIZE,
            "munmap {start:#x}..{end:#x}"
        );
        self.vmas.remove_range(start, end);
        self.steps.push(Step::Unmap(start, end));
    }
    fn map_file(&mut self, start: u64, end: u64, pgoff: u64, prot: u32) {
        assert!(MMAP_MIN_ADDR <= start && start < end && end <= TASK_SIZE);
        let mut vma = VmAreaStruct::anonymous(start, end, vm_flags_for_prot(prot));
        vma.vm_pgoff = pgoff;
        vma.name = Some("file");
        self.vmas.insert(vma);
        self.steps.push(Step::File(start, end, pgoff, prot));
    }
    fn map_anon(&mut self, start: u64, end: u64, prot: u32) {
        assert!(MMAP_MIN_ADDR <= start && start < end && end <= TASK_SIZE);
        self.vmas
            .insert(VmAreaStruct::anonymous(start, end, vm_flags_for_prot(prot)));
        self.steps.push(Step::Anon(start, end, prot));
    }
    fn clear_user(&mut self, addr: u64, len: u64) -> KResult<()> {
        let writable = |a| {
            self.vmas
                .vma_lookup(a)
                .is_some_and(|v| v.vm_flags.contains(VmFlags::VM_WRITE))
        };
        if !writable(addr) || !writable(addr + len - 1) {
            return Err(Errno::EFAULT);
        }
        self.steps.push(Step::Clear(addr, len));
        Ok(())
    }
}

/// An ELF file: header, program headers right after it, `size` bytes.
fn elf_file(e_type: u16, entry: u64, phdrs: &[ElfPhdr], size: usize) -> Vec<u8> {
    let mut b = vec![0u8; size.max(64 + 56 * phdrs.len())];
    b[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
    b[16..18].copy_from_slice(&e_type.to_le_bytes());
    b[18..20].copy_from_slice(&EM_X86_64.to_le_bytes());
    b[24..32].copy_from_slice(&entry.to_le_bytes());
    b[32..40].copy_from_slice(&64u64.to_le_bytes());
    b[52..54].copy_from_slice(&64u16.to_le_bytes());
    b[54..56].copy_from_slice(&56u16.to_le_bytes());
    b[56..58].copy_from_slice(&(phdrs.len() as u16).to_le_bytes());
    for (i, p) in phdrs.iter().enumerate() {
        let o = 64 + 56 * i;
        b[o..o + 4].copy_from_slice(&p.p_type.to_le_bytes());
        b[o + 4..o + 8].copy_from_slice(&p.p_flags.to_le_bytes());
        b[o + 8..o + 16].copy_from_slice(&p.p_offset.to_le_bytes());
        b[o + 16..o + 24].copy_from_slice(&p.p_vaddr.to_le_bytes());
        b[o + 24..o + 32].copy_from_slice(&p.p_vaddr.to_le_bytes());
        b[o + 32..o + 40].copy_from_slice(&p.p_filesz.to_le_bytes());
        b[o + 40..o + 48].copy_from_slice(&p.p_memsz.to_le_bytes());
        b[o + 48..o + 56].copy_from_slice(&p.p_align.to_le_bytes());
    }
    b
}

fn load(p_type: u32, flags: u32, offset: u64, vaddr: u64, filesz: u64, memsz: u64) -> ElfPhdr {
    ElfPhdr {
        p_type,
        p_flags: flags,
        p_offset: offset,
        p_vaddr: vaddr,
        p_filesz: filesz,
        p_memsz: memsz,
        p_align: 0x1000,
    }
}

/// busybox-static's layout (the reference's numbers): text at 0x400000,
/// an RW segment at file offset 0x1da708 → 0x5db708 with .bss after it.
fn busybox_like() -> Vec<ElfPhdr> {
    vec![
        load(PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x1d9000, 0x1d9000),
        load(PT_LOAD, PF_R | PF_W, 0x1da708, 0x5db708, 0x9008, 0x10450),
        load(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0),
    ]
}

/// `bprm->buf` and a reader over `file`.
fn parse(file: &[u8]) -> KResult<ElfBinary> {
    let mut buf = [0u8; BINPRM_BUF_SIZE];
    let n = file.len().min(BINPRM_BUF_SIZE);
    buf[..n].copy_from_slice(&file[..n]);
    let mut read = |pos: u64, out: &mut [u8]| -> KResult<usize> {
        let pos = usize::try_from(pos).unwrap_or(usize::MAX).min(file.len());
        let n = out.len().min(file.len() - pos);
        out[..n].copy_from_slice(&file[pos..pos + n]);
        Ok(n)
    };
    load_elf_phdrs(&buf, &mut read)
}

fn run(file: &[u8]) -> KResult<(ElfLayout, FakeMm)> {
    let elf = parse(file)?;
    let mut mm = FakeMm::new();
    let layout = load_elf_segments(&elf, &mut mm)?;
    Ok((layout, mm))
}

const R: u32 = PROT_READ;
const RW: u32 = PROT_READ | PROT_WRITE;
const RX: u32 = PROT_READ | PROT_EXEC;

#[test]
fn unaligned_data_segment_is_mapped_zeroed_and_followed_by_bss() {
    let file = elf_file(ET_EXEC, 0x401000, &busybox_like(), 0x1e4000);
    let (layout, mm) = run(&file).unwrap();
    assert_eq!(
        mm.steps,
        [
            Step::File(0x400000, 0x5d9000, 0, RX),
            // From the page holding 0x5db708, file page 0x1da, to the end
            // of the data's last page.
            Step::File(0x5db000, 0x5e5000, 0x1da, RW),
            // padzero: 0x5db708 + 0x9008 = 0x5e4710 to the page end.
            Step::Clear(0x5e4710, 0x8f0),
            // .bss beyond the file page, up to 0x5db708 + 0x10450.
            Step::Anon(0x5e5000, 0x5ec000, RW),
        ]
    );
    assert_eq!(layout.entry, 0x401000);
    assert_eq!(layout.load_bias, 0);
    assert_eq!(layout.phdr_addr, 0x400040, "AT_PHDR: e_phoff inside text");
    assert_eq!(layout.brk, 0x5ec000, "ELF_PAGEALIGN(end of .bss)");
    // /proc/PID/stat's startcode, endcode, start_data, end_data.
    assert_eq!(
        (
            layout.start_code,
            layout.end_code,
            layout.start_data,
            layout.end_data
        ),
        (0x400000, 0x5d9000, 0x5db708, 0x5e4710)
    );
    let elf = parse(&file).unwrap();
    assert!(!elf.executable_stack);
    assert_eq!(elf.interp, None);
}

#[test]
fn read_only_bss_keeps_file_bytes_but_gets_writable_pages() {
    // padzero fails on a read-only page and Linux ignores that; the anon
    // part is VM_DATA_DEFAULT_FLAGS (read-write) all the same.
    let phdrs = [load(PT_LOAD, PF_R, 0, 0x400000, 0x1800, 0x3000)];
    let (_, mm) = run(&elf_file(ET_EXEC, 0x400100, &phdrs, 0x1800)).unwrap();
    assert_eq!(
        mm.steps,
        [
            Step::File(0x400000, 0x402000, 0, R),
            Step::Anon(0x402000, 0x403000, RW)
        ]
    );
}

#[test]
fn zero_filesz_segment_is_only_anonymous() {
    let phdrs = [
        load(PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x1000, 0x1000),
        load(PT_LOAD, PF_R | PF_W | PF_X, 0, 0x600010, 0, 0x2000),
    ];
    let (layout, mm) = run(&elf_file(ET_EXEC, 0x400100, &phdrs, 0x1000)).unwrap();
    assert_eq!(
        mm.steps[1..],
        [Step::Anon(
            0x600000,
            0x603000,
            PROT_READ | PROT_WRITE | PROT_EXEC
        )]
    );
    assert_eq!(layout.brk, 0x603000);
}

#[test]
fn static_pie_goes_below_mmap_base_and_its_brk_to_et_dyn_base() {
    let phdrs = [
        load(PT_LOAD, PF_R, 0, 0, 0x800, 0x800),
        load(PT_LOAD, PF_R | PF_X, 0x1000, 0x1000, 0x2000, 0x2000),
        load(PT_LOAD, PF_R | PF_W, 0x3e10, 0x4e10, 0x200, 0x1300),
    ];
    let (layout, mm) = run(&elf_file(ET_DYN, 0x1040, &phdrs, 0x4010)).unwrap();
    // total_mapping_size = 0x4e10 + 0x1300 = 0x6110 → 7 pages below
    // mmap_base (the stack is above it).
    let base = MMAP_BASE - 0x7000;
    assert_eq!(layout.load_bias, base);
    assert_eq!(layout.entry, base + 0x1040);
    assert_eq!(layout.phdr_addr, base + 64);
    assert_eq!(
        (
            layout.start_code,
            layout.end_code,
            layout.start_data,
            layout.end_data
        ),
        (base + 0x1000, base + 0x3000, base + 0x4e10, base + 0x5010),
        "the load bias is added to each"
    );
    assert_eq!(
        layout.brk, 0x5555_5555_5000,
        "ELF_PAGEALIGN(ELF_ET_DYN_BASE)"
    );
    assert_eq!(
        mm.steps,
        [
            // The first mapping reserves the whole image, gives back the rest.
            Step::File(base, base + 0x7000, 0, R),
            Step::Unmap(base + 0x1000, base + 0x7000),
            Step::File(base + 0x1000, base + 0x3000, 1, RX),
            Step::File(base + 0x4000, base + 0x6000, 3, RW),
            Step::Clear(base + 0x5010, 0xff0),
            Step::Anon(base + 0x6000, base + 0x7000, RW),
        ]
    );
}

#[test]
fn static_pie_with_large_alignment_is_aligned() {
    let mut phdrs = [
        load(PT_LOAD, PF_R | PF_X, 0, 0, 0x3000, 0x3000),
        load(PT_LOAD, PF_R | PF_W, 0x3000, 0x203000, 0x100, 0x100),
    ];
    phdrs.iter_mut().for_each(|p| p.p_align = 0x200000);
    let (layout, _) = run(&elf_file(ET_DYN, 0x100, &phdrs, 0x3100)).unwrap();
    assert_eq!(layout.load_bias % 0x200000, 0);
    assert!(layout.load_bias + 0x204000 <= MMAP_BASE);
    assert_eq!(layout.entry, layout.load_bias + 0x100);
}

#[test]
fn segment_errors_are_linux_errnos() {
    let text = load(PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x1000, 0x1000);
    let case = |second: ElfPhdr| {
        run(&elf_file(ET_EXEC, 0x400000, &[text, second], 0x2000)).map(|(l, _)| l)
    };
    // File offset and address not congruent mod 4096: mmap's offset is
    // not page aligned.
    assert_eq!(
        case(load(PT_LOAD, PF_R, 0x1010, 0x600000, 8, 8)),
        Err(Errno::EINVAL)
    );
    // p_filesz > p_memsz is mapped, then refused.
    assert_eq!(
        case(load(PT_LOAD, PF_R, 0x1000, 0x600000, 0x20, 0x10)),
        Err(Errno::EINVAL)
    );
    // Beyond TASK_SIZE: the mapping itself fails.
    assert_eq!(
        case(load(PT_LOAD, PF_R, 0x1000, TASK_SIZE, 0x10, 0x10)),
        Err(Errno::ENOMEM)
    );
    // An enormous .bss.
    assert_eq!(
        case(load(PT_LOAD, PF_R | PF_W, 0x1000, 0x600000, 0x10, 1 << 62)),
        Err(Errno::ENOMEM)
    );
    assert_eq!(
        case(load(PT_LOAD, PF_R, 0x1000, 0x600000, 0x10, u64::MAX)),
        Err(Errno::ENOMEM)
    );
    // Below mmap_min_addr.
    assert_eq!(
        case(load(PT_LOAD, PF_R, 0x1000, 0x1000, 0x10, 0x10)),
        Err(Errno::EPERM)
    );
    // An entry point outside user space.
    let phdrs = [text];
    assert_eq!(
        run(&elf_file(ET_EXEC, TASK_SIZE, &phdrs, 0x1000)).map(|(l, _)| l),
        Err(Errno::EINVAL)
    );
    // The first ET_EXEC segment may not land on the stack
    // (MAP_FIXED_NOREPLACE).
    let on_stack = load(PT_LOAD, PF_R, 0, STACK_TOP - 0x2000, 0x1000, 0x1000);
    assert_eq!(
        run(&elf_file(ET_EXEC, STACK_TOP - 0x2000, &[on_stack], 0x1000)).map(|(l, _)| l),
        Err(Errno::EEXIST)
    );
}

#[test]
fn later_overlapping_segments_replace_earlier_ones() {
    let phdrs = [
        load(PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x3000, 0x3000),
        load(PT_LOAD, PF_R | PF_W, 0x1000, 0x401000, 0x1000, 0x1000),
    ];
    let (_, mm) = run(&elf_file(ET_EXEC, 0x400000, &phdrs, 0x3000)).unwrap();
    assert_eq!(mm.steps[1], Step::Unmap(0x401000, 0x402000));
    let prots: Vec<(u64, u64, bool)> = mm
        .vmas
        .iter()
        .filter(|v| v.vm_end <= TASK_SIZE - STACK_SIZE)
        .map(|v| (v.vm_start, v.vm_end, v.vm_flags.contains(VmFlags::VM_WRITE)))
        .collect();
    assert_eq!(
        prots,
        [
            (0x400000, 0x401000, false),
            (0x401000, 0x402000, true),
            (0x402000, 0x403000, false)
        ]
    );
}

#[test]
fn header_checks_are_enoexec() {
    let good = elf_file(ET_EXEC, 0x401000, &busybox_like(), 0x1000);
    assert!(parse(&good).is_ok());
    let patched = |at: usize, bytes: &[u8]| {
        let mut f = good.clone();
        f[at..at + bytes.len()].copy_from_slice(bytes);
        parse(&f)
    };
    assert_eq!(parse(b"#!/bin/sh\n"), Err(Errno::ENOEXEC));
    assert_eq!(parse(b""), Err(Errno::ENOEXEC));
    assert_eq!(parse(&good[..64]), Err(Errno::ENOEXEC), "phdrs beyond EOF");
    assert_eq!(patched(0, b"\x7fELG"), Err(Errno::ENOEXEC));
    assert_eq!(
        patched(16, &1u16.to_le_bytes()),
        Err(Errno::ENOEXEC),
        "ET_REL"
    );
    assert_eq!(
        patched(18, &183u16.to_le_bytes()),
        Err(Errno::ENOEXEC),
        "arm64"
    );
    assert_eq!(patched(54, &32u16.to_le_bytes()), Err(Errno::ENOEXEC));
    assert_eq!(patched(56, &0u16.to_le_bytes()), Err(Errno::ENOEXEC));
    // 73 headers fit a page, 74 do not.
    assert_eq!(patched(56, &74u16.to_le_bytes()), Err(Errno::ENOEXEC));
    let mut big = good.clone();
    big.resize(64 + 56 * 73, 0);
    big[56..58].copy_from_slice(&73u16.to_le_bytes());
    assert_eq!(parse(&big).map(|e| e.phdrs.len()), Ok(73));
    assert_eq!(
        patched(32, &u64::MAX.to_le_bytes()),
        Err(Errno::ENOEXEC),
        "e_phoff"
    );
}

#[test]
fn pt_interp_and_pt_gnu_stack_are_read() {
    let interp = b"/lib64/ld-linux-x86-64.so.2\0";
    let mut phdrs = busybox_like();
    phdrs[2].p_flags = PF_R | PF_W | PF_X;
    phdrs.push(load(PT_INTERP, PF_R, 0x300, 0, interp.len() as u64, 0));
    let mut file = elf_file(ET_DYN, 0x401000, &phdrs, 0x400);
    file[0x300..0x300 + interp.len()].copy_from_slice(interp);
    let elf = parse(&file).unwrap();
    assert_eq!(elf.interp.as_deref(), Some(&interp[..interp.len() - 1]));
    assert!(elf.executable_stack);
    // Not NUL-terminated; too short; beyond the file (a short read).
    file[0x300 + interp.len() - 1] = b'x';
    assert_eq!(parse(&file), Err(Errno::ENOEXEC));
    let with_interp = |p: ElfPhdr| {
        let mut phdrs = busybox_like();
        phdrs.push(p);
        parse(&elf_file(ET_EXEC, 0x401000, &phdrs, 0x400))
    };
    assert_eq!(
        with_interp(load(PT_INTERP, PF_R, 0x300, 0, 1, 0)),
        Err(Errno::ENOEXEC)
    );
    assert_eq!(
        with_interp(load(PT_INTERP, PF_R, 0x300, 0, 4097, 0)),
        Err(Errno::ENOEXEC)
    );
    assert_eq!(
        with_interp(load(PT_INTERP, PF_R, 0x3f0, 0, 0x20, 0)),
        Err(Errno::EIO)
    );
}

fn word(img: &StackImage, addr: u64) -> u64 {
    let at = (addr - img.sp) as usize;
    u64::from_le_bytes(img.bytes[at..at + 8].try_into().unwrap())
}

fn cstr(img: &StackImage, addr: u64) -> Vec<u8> {
    let at = (addr - img.sp) as usize;
    let len = img.bytes[at..].iter().position(|&c| c == 0).unwrap();
    img.bytes[at..at + len].to_vec()
}

#[test]
fn initial_stack_is_create_elf_tables() {
    let aux = AuxInfo {
        hwcap: 0x178bfbff,
        hwcap2: 0,
        phdr: 0x400040,
        phnum: 3,
        entry: 0x401000,
    };
    let argv: [&[u8]; 2] = [b"/bin/anon", b"64M"];
    let envp: [&[u8]; 2] = [b"A=1", b"HOME=/"];
    let img = create_elf_tables(STACK_TOP, &argv, &envp, b"/bin/anon", &aux, [7; 16]);
    assert_eq!(img.sp % 16, 0, "rsp 16-aligned at argc");
    assert_eq!(img.sp + img.bytes.len() as u64, STACK_TOP);
    let sp = img.sp;
    let w = |i: u64| word(&img, sp + 8 * i);
    assert_eq!(w(0), 2, "argc");
    assert_eq!(cstr(&img, w(1)), b"/bin/anon");
    assert_eq!(cstr(&img, w(2)), b"64M");
    assert_eq!(w(3), 0);
    assert_eq!(cstr(&img, w(4)), b"A=1");
    assert_eq!(cstr(&img, w(5)), b"HOME=/");
    assert_eq!(w(6), 0);
    let auxv: Vec<(u64, u64)> = (0..20).map(|i| (w(7 + 2 * i), w(8 + 2 * i))).collect();
    let keys: Vec<u64> = auxv.iter().map(|&(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            51, 16, 6, 17, 3, 4, 5, 7, 8, 9, 11, 12, 13, 14, 23, 25, 26, 31, 15, 0
        ],
        "Linux's order without AT_SYSINFO_EHDR"
    );
    let val = |k: u64| auxv.iter().find(|&&(key, _)| key == k).unwrap().1;
    assert_eq!(val(AT_MINSIGSTKSZ), 1440);
    assert_eq!(val(AT_HWCAP), 0x178bfbff);
    assert_eq!(val(AT_PAGESZ), 4096);
    assert_eq!(val(AT_CLKTCK), 100);
    assert_eq!(val(AT_PHDR), 0x400040);
    assert_eq!(val(AT_PHENT), 56);
    assert_eq!(val(AT_PHNUM), 3);
    assert_eq!(val(AT_ENTRY), 0x401000);
    for k in [
        AT_BASE, AT_FLAGS, AT_UID, AT_EUID, AT_GID, AT_EGID, AT_SECURE,
    ] {
        assert_eq!(val(k), 0, "auxv key {k}");
    }
    let random = val(AT_RANDOM);
    assert_eq!(random, img.random);
    assert!(random > sp + 8 * 47 && random + 16 <= STACK_TOP);
    let r = (random - sp) as usize;
    assert_eq!(&img.bytes[r..r + 16], &[7; 16]);
    assert_eq!(cstr(&img, val(AT_PLATFORM)), b"x86_64");
    assert_eq!(
        val(AT_PLATFORM),
        random + 16,
        "platform just above the random bytes"
    );
    assert_eq!(val(AT_EXECFN), img.execfn);
    assert_eq!(cstr(&img, img.execfn), b"/bin/anon");
    // The strings in order from argv[0] up, the file name last, 8 zero
    // bytes at the very top.
    assert_eq!(w(2), w(1) + 10);
    assert_eq!(w(4), w(2) + 4);
    assert_eq!(w(5), w(4) + 4);
    assert_eq!(img.execfn, w(5) + 7);
    assert_eq!(img.execfn + 10, STACK_TOP - 8);
    assert_eq!(word(&img, STACK_TOP - 8), 0);
    assert_eq!(val(AT_PLATFORM) + 7, w(1) & !15);
    // mm->arg_start..arg_end and env_start..env_end cover the strings
    // with their NULs, as /proc/PID/cmdline and environ read them.
    assert_eq!((img.arg_start, img.arg_end), (w(1), w(4)));
    assert_eq!((img.env_start, img.env_end), (w(4), img.execfn));
    let at = |a: u64| (a - sp) as usize;
    assert_eq!(
        &img.bytes[at(img.arg_start)..at(img.arg_end)],
        b"/bin/anon\x0064M\0"
    );
    assert_eq!(
        &img.bytes[at(img.env_start)..at(img.env_end)],
        b"A=1\0HOME=/\0"
    );
}

#[test]
fn initial_stack_without_environment() {
    let aux = AuxInfo {
        hwcap: 0,
        hwcap2: 0,
        phdr: 0,
        phnum: 1,
        entry: 0x400000,
    };
    for argc in 1..5 {
        let argv: Vec<&[u8]> = (0..argc).map(|_| &b"x"[..]).collect();
        let img = create_elf_tables(STACK_TOP, &argv, &[], b"/x", &aux, [0; 16]);
        assert_eq!(img.sp % 16, 0);
        assert_eq!(img.arg_end - img.arg_start, 2 * argc as u64);
        assert_eq!((img.env_start, img.env_end), (img.execfn, img.execfn));
        assert_eq!(word(&img, img.sp), argc as u64);
        assert_eq!(word(&img, img.sp + 8 * (argc as u64 + 1)), 0);
        assert_eq!(word(&img, img.sp + 8 * (argc as u64 + 2)), 0, "empty envp");
        assert_eq!(word(&img, img.sp + 8 * (argc as u64 + 3)), AT_MINSIGSTKSZ);
    }
}

/// A field of the base file and interesting values for it.
fn mutate(file: &mut Vec<u8>, kind: u8, at: usize, v: u64) {
    const INTERESTING: [u64; 12] = [
        0,
        1,
        0xfff,
        0x1000,
        0x1001,
        0x400000,
        TASK_SIZE - 0x1000,
        TASK_SIZE,
        1 << 47,
        1 << 63,
        u64::MAX - 0xfff,
        u64::MAX,
    ];
    let n = file.len();
    // A field past the end of a file truncated before stays unwritten.
    let mut put = |o: usize, bytes: &[u8]| {
        if let Some(field) = file.get_mut(o..o + bytes.len()) {
            field.copy_from_slice(bytes);
        }
    };
    match kind % 6 {
        // Truncate.
        0 => file.truncate(at % (n + 1)),
        // Flip a byte of the headers.
        1 if n > 0 => file[at % n.min(64 + 56 * 4)] ^= (v as u8) | 1,
        1 => {}
        // A program header's u64 field set to an interesting value.
        2 => put(
            64 + 56 * (at % 4) + 8 * (1 + (v as usize % 6)),
            &INTERESTING[(v >> 8) as usize % 12].to_le_bytes(),
        ),
        // A random u64 field value.
        3 => put(
            64 + 56 * (at % 4) + 8 * (1 + (at / 4 % 6)),
            &v.to_le_bytes(),
        ),
        // Flags: W+X, none, all.
        4 => put(64 + 56 * (at % 4) + 4, &[v as u8 & 7, 0, 0, 0]),
        // Header fields: e_entry, e_phoff, e_phentsize/e_phnum, e_type.
        _ => match at % 4 {
            0 => put(24, &v.to_le_bytes()),
            1 => put(32, &(v % 0x3000).to_le_bytes()),
            2 => put(54, &(v as u32).to_le_bytes()),
            _ => put(16, &(v as u16 % 5).to_le_bytes()),
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Mutated ELF files never panic the loader: each gives one of the
    /// errnos Linux's loader gives, or a layout inside user space.
    #[test]
    fn mutated_elf_files_fail_with_linux_errnos_or_load(
        muts in proptest::collection::vec((any::<u8>(), any::<usize>(), any::<u64>()), 1..4),
        pie in any::<bool>(),
    ) {
        let mut phdrs = busybox_like();
        phdrs.insert(1, load(PT_LOAD, PF_R, 0x1d9000, 0x5d9000, 0x800, 0x800));
        if pie {
            phdrs.iter_mut().for_each(|p| p.p_vaddr = p.p_vaddr.saturating_sub(0x400000));
        }
        let mut file = elf_file(if pie { ET_DYN } else { ET_EXEC }, 0x401000, &phdrs, 0x1e4000);
        for (kind, at, v) in muts {
            mutate(&mut file, kind, at, v);
        }
        match run(&file) {
            Ok((layout, mm)) => {
                prop_assert!(layout.entry < TASK_SIZE);
                prop_assert_eq!(layout.brk % PAGE_SIZE, 0);
                for v in mm.vmas.iter() {
                    prop_assert!(v.vm_start >= MMAP_MIN_ADDR && v.vm_end <= TASK_SIZE);
                }
            }
            Err(e) => prop_assert!(
                matches!(
                    e,
                    Errno::ENOEXEC | Errno::EINVAL | Errno::ENOMEM | Errno::EIO
                        | Errno::EPERM | Errno::EEXIST | Errno::EFAULT | Errno::EOVERFLOW
                ),
                "unexpected {:?}", e
            ),
        }
    }
}
