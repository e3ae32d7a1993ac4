//! Starting a program (fs/exec.c with fs/binfmt_elf.c's `load_elf_binary`):
//! a new address space with the ELF's PT_LOAD segments mapped privately
//! from the file (so text pages fault in through the page cache), .bss
//! and the stack anonymous, and the argument tables on the stack; then a
//! new task that enters user mode at the ELF's entry point.

use alloc::sync::Arc;
use alloc::vec;

use super::FileType;
use super::binfmt_elf::{LoadSegment, PF_R, PF_W, PF_X, create_elf_tables, parse_elf};
use super::file::FilesStruct;
use super::namei::path_lookup;
use crate::arch::x86_64::rdtsc;
use crate::mm::filemap::filemap_read;
use crate::mm::memory::access_remote_vm_write;
use crate::mm::mm_types::{MmLocked, MmStruct};
use crate::mm::mmap::{STACK_SIZE, STACK_TOP, VmAreaStruct, VmFile, VmFlags, vm_flags_for_prot};
use crate::mm::page::{PAGE_SHIFT, PAGE_SIZE, page_align};
use crate::task::Pid;
use crate::task::fork::create_user_task;
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::mman::{PROT_EXEC, PROT_READ, PROT_WRITE};

/// Segment ends are below TASK_SIZE (checked by `parse_elf`): no overflow.
fn page_up_in_task(x: u64) -> u64 {
    page_align(x).expect("parse_elf bounds segments by TASK_SIZE")
}

/// `elf_map()` + the .bss part of `load_elf_binary()` for one segment.
fn elf_map(mm: &MmStruct, locked: &mut MmLocked, file: &VmFile, seg: &LoadSegment) -> KResult<u64> {
    let prot = (if seg.flags & PF_R != 0 { PROT_READ } else { 0 })
        | (if seg.flags & PF_W != 0 { PROT_WRITE } else { 0 })
        | (if seg.flags & PF_X != 0 { PROT_EXEC } else { 0 });
    let flags = vm_flags_for_prot(prot);
    let start = seg.vaddr & !(PAGE_SIZE - 1);
    let file_end = page_up_in_task(seg.vaddr + seg.filesz);
    let mem_end = page_up_in_task(seg.vaddr + seg.memsz);
    if locked.vmas.intersects(start, mem_end) {
        return Err(Errno::ENOEXEC);
    }
    if file_end > start {
        locked.vmas.insert(VmAreaStruct {
            vm_start: start,
            vm_end: file_end,
            vm_flags: flags,
            vm_pgoff: (seg.offset - (seg.vaddr - start)) >> PAGE_SHIFT,
            vm_file: Some(file.clone()),
            name: None,
        });
    }
    if mem_end > file_end {
        locked
            .vmas
            .insert(VmAreaStruct::anonymous(file_end, mem_end, flags));
    }
    // `padzero()`: the file page holding the end of the data is private to
    // us; what follows the data in it belongs to .bss and must be zero.
    let data_end = seg.vaddr + seg.filesz;
    if seg.memsz > seg.filesz
        && !data_end.is_multiple_of(PAGE_SIZE)
        && flags.contains(VmFlags::VM_WRITE)
    {
        let zeros = vec![0u8; (file_end - data_end) as usize];
        access_remote_vm_write(mm, &locked.vmas, data_end, &zeros)?;
    }
    Ok(mem_end)
}

/// Load `path` into a new address space and start it as a child of
/// `parent` with the given descriptor table (`kernel_execve` +
/// `kernel_clone` for a program started by the shell).
#[inline(never)]
pub fn do_execve(path: &str, argv: &[&str], parent: Pid, files: FilesStruct) -> KResult<Pid> {
    let inode = path_lookup(path)?;
    if inode.file_type() != FileType::Reg || inode.mode() & 0o111 == 0 {
        return Err(Errno::EACCES);
    }
    let mapping = inode.mapping().cloned().ok_or(Errno::EACCES)?;
    let mut head = vec![0u8; PAGE_SIZE as usize];
    let n = filemap_read(&mapping, 0, &mut head)?;
    let elf = parse_elf(&head[..n])?;

    let mm = MmStruct::new().ok_or(Errno::ENOMEM)?;
    let file = VmFile {
        mapping,
        path: Arc::from(path),
        ino: inode.ino(),
    };
    let sp = {
        let mut locked = mm.mmap_lock.lock();
        let mut brk = 0;
        for seg in &elf.segments {
            brk = brk.max(elf_map(&mm, &mut locked, &file, seg)?);
        }
        locked.start_brk = brk;
        locked.brk = brk;
        let mut stack = VmAreaStruct::anonymous(
            STACK_TOP - STACK_SIZE,
            STACK_TOP,
            vm_flags_for_prot(PROT_READ | PROT_WRITE) | VmFlags::VM_GROWSDOWN,
        );
        stack.name = Some("[stack]");
        locked.vmas.insert(stack);
        // AT_RANDOM bytes; tinymm has no entropy pool, the TSC will do.
        let random = (u128::from(rdtsc()) * 0x9e37_79b9_7f4a_7c15).to_le_bytes();
        let (sp, image) = create_elf_tables(STACK_TOP, argv, &[], &elf, random);
        access_remote_vm_write(&mm, &locked.vmas, sp, &image)?;
        locked.start_stack = sp;
        sp
    };
    let comm = path.rsplit('/').next().unwrap_or(path);
    create_user_task(comm, parent, Arc::new(mm), elf.entry, sp, files)
}
