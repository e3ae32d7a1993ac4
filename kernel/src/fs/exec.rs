//! Executing programs (fs/exec.c): execve(2) and `kernel_execve`, with
//! the format handlers of binfmt_elf.rs and binfmt_script.rs.
//!
//! `do_execveat_common` opens the file and copies filename, environment
//! and arguments into a `linux_binprm` (E2BIG past Linux's limits);
//! `bprm_execve` → `exec_binprm` (at most 5 nested `#!` scripts, then
//! ELOOP) → `search_binary_handler` → `load_script` / `load_elf_binary`.
//! `load_elf_binary` checks the headers, then passes the point of no
//! return (`begin_new_exec`: the new mm replaces the old one, close-on-exec
//! descriptors close, `comm` changes), maps the segments into the new mm
//! and builds the stack; a failure after that kills the task with SIGSEGV,
//! as Linux's `bprm_execve` does. execve(2) then returns into the new
//! program with every general register zero (`start_thread`).
//!
//! [`kernel_execve`] makes pid 1's kernel thread into /init, as Linux's
//! does.
//!
//! Not here yet: execveat(2), set-uid.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use super::FileType;
use super::binfmt_elf::{
    AuxInfo, BINPRM_BUF_SIZE, ElfMm, create_elf_tables, load_elf_phdrs, load_elf_segments,
};
use super::binfmt_script::parse_interpreter_line;
use super::dcache::Path;
use super::namei::kern_path;
use super::namespace::MNT_NOEXEC;
use crate::arch::x86_64::pgtable::switch_mm;
use crate::arch::x86_64::ptrace::PtRegs;
use crate::arch::x86_64::rdtsc;
use crate::arch::x86_64::uaccess::{copy_from_user, strncpy_from_user};
use crate::mm::filemap::{AddressSpace, filemap_read};
use crate::mm::memory::access_remote_vm_write;
use crate::mm::mm_types::{MmLocked, MmSpans, MmStruct};
use crate::mm::mmap::sys::do_vmi_munmap;
use crate::mm::mmap::{
    STACK_SIZE, STACK_TOP, VmAreaStruct, VmFile, VmFlags, VmaTree, vm_flags_for_prot,
};
use crate::task::signal::{SIGSEGV, send_sig};
use crate::task::{TaskStruct, current};
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::mman::{PROT_EXEC, PROT_READ, PROT_WRITE};

/// `MAX_ARG_STRLEN`: the longest argument or environment string, NUL
/// included (32 pages).
pub const MAX_ARG_STRLEN: usize = 32 * 4096;
/// `MAX_ARG_STRINGS`.
const MAX_ARG_STRINGS: usize = 0x7fff_ffff;
/// `ARG_MAX`: the least room for arguments whatever the stack limit.
const ARG_MAX: u64 = 32 * 4096;
/// RLIMIT_STACK: `_STK_LIM`, the default and tinymm's only value.
const RLIMIT_STACK: u64 = STACK_SIZE;
/// `exec_binprm`: handlers may hand over to an interpreter this often.
const MAX_BINFMT_DEPTH: usize = 5;

/// `struct linux_binprm`.
pub struct LinuxBinprm {
    /// The name exec was given (AT_EXECFN, `comm`).
    filename: String,
    /// The path of `file`: the name the next `#!` level passes on.
    interp: String,
    file: Path,
    mapping: Arc<AddressSpace>,
    /// `bprm->buf`: the start of `file`, zero-padded.
    buf: [u8; BINPRM_BUF_SIZE],
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
    /// Bytes the strings may still take (`bprm->p - bprm->argmin`).
    room: u64,
    /// `bprm->mm`: the new address space.
    mm: Arc<MmStruct>,
    /// Set by `load_script`: what to run instead.
    interpreter: Option<(String, Path)>,
    point_of_no_return: bool,
    /// Entry point and stack pointer of the loaded program.
    start: Option<(u64, u64)>,
}

/// `do_open_execat()`: the file to run. EACCES unless it is a regular
/// file with an execute bit, whose data the page cache can map.
fn do_open_execat(path: &str) -> KResult<(Path, Arc<AddressSpace>)> {
    let path = kern_path(path, true)?;
    let inode = path.inode();
    if inode.file_type() != FileType::Reg
        || inode.mode() & 0o111 == 0
        || path.mnt.mnt_flags() & MNT_NOEXEC != 0
    {
        return Err(Errno::EACCES);
    }
    let mapping = inode.mapping().cloned().ok_or(Errno::EACCES)?;
    Ok((path, mapping))
}

/// `alloc_bprm()` + `bprm_mm_init()`.
fn alloc_bprm(filename: &str) -> KResult<LinuxBinprm> {
    let (file, mapping) = do_open_execat(filename)?;
    Ok(LinuxBinprm {
        filename: String::from(filename),
        interp: String::from(filename),
        file,
        mapping,
        buf: [0; BINPRM_BUF_SIZE],
        argv: Vec::new(),
        envp: Vec::new(),
        room: 0,
        mm: MmStruct::new().ok_or(Errno::ENOMEM)?,
        interpreter: None,
        point_of_no_return: false,
        start: None,
    })
}

impl LinuxBinprm {
    /// `bprm_stack_limits()`: a quarter of the stack limit (at least
    /// ARG_MAX, at most ¾ of `_STK_LIM`) for strings and pointers.
    fn bprm_stack_limits(&mut self, argc: usize, envc: usize) -> KResult<()> {
        let limit = (RLIMIT_STACK / 4).min(RLIMIT_STACK / 4 * 3);
        let limit = if limit < ARG_MAX { ARG_MAX } else { limit };
        let ptr_size = (argc.max(1) as u64 + envc as u64) * 8;
        if limit <= ptr_size {
            return Err(Errno::E2BIG);
        }
        self.room = limit - ptr_size;
        Ok(())
    }

    /// The accounting of `copy_string_kernel` / `copy_strings` for one
    /// string of `len` bytes without its NUL.
    fn take_room(&mut self, len: usize) -> KResult<()> {
        let len = len + 1;
        if len > MAX_ARG_STRLEN || len as u64 > self.room {
            return Err(Errno::E2BIG);
        }
        self.room -= len as u64;
        Ok(())
    }

    /// `copy_string_kernel()` of an argument placed before the others
    /// (what `load_script` pushes).
    fn push_front_arg(&mut self, arg: Vec<u8>) -> KResult<()> {
        self.take_room(arg.len())?;
        self.argv.insert(0, arg);
        Ok(())
    }

    /// `remove_arg_zero()`: its bytes become room again.
    fn remove_arg_zero(&mut self) {
        if !self.argv.is_empty() {
            let arg = self.argv.remove(0);
            self.room += arg.len() as u64 + 1;
        }
    }

    /// `prepare_binprm()`: read the first BINPRM_BUF_SIZE bytes.
    fn prepare_binprm(&mut self) -> KResult<()> {
        self.buf = [0; BINPRM_BUF_SIZE];
        filemap_read(&self.mapping, None, 0, &mut self.buf)?;
        Ok(())
    }
}

/// `getname()`-style copy of one argument string: EFAULT on a bad
/// pointer, E2BIG beyond MAX_ARG_STRLEN.
fn copy_arg_from_user(scratch: &mut [u8], ptr: u64) -> KResult<Vec<u8>> {
    match strncpy_from_user(scratch, ptr) {
        Ok(n) => Ok(scratch[..n].to_vec()),
        Err(Errno::ENAMETOOLONG) => Err(Errno::E2BIG),
        Err(e) => Err(e),
    }
}

/// `count()`: the pointers of a NULL-terminated user array (a NULL array
/// is empty).
fn count(argv: u64) -> KResult<Vec<u64>> {
    let mut ptrs = Vec::new();
    if argv == 0 {
        return Ok(ptrs);
    }
    loop {
        let mut word = [0u8; 8];
        let at = argv
            .checked_add(8 * ptrs.len() as u64)
            .ok_or(Errno::EFAULT)?;
        copy_from_user(&mut word, at)?;
        match u64::from_le_bytes(word) {
            0 => return Ok(ptrs),
            _ if ptrs.len() >= MAX_ARG_STRINGS => return Err(Errno::E2BIG),
            p => ptrs.push(p),
        }
    }
}

/// `copy_strings()`: the strings of user pointers `ptrs`.
fn copy_strings(bprm: &mut LinuxBinprm, ptrs: &[u64], scratch: &mut [u8]) -> KResult<Vec<Vec<u8>>> {
    let mut out = Vec::with_capacity(ptrs.len());
    for &p in ptrs {
        let s = copy_arg_from_user(scratch, p)?;
        bprm.take_room(s.len())?;
        out.push(s);
    }
    Ok(out)
}

/// `load_script()`: a `#!` file runs its interpreter with the argv
/// `[interpreter, optional argument, script path, argv[1..]]`.
#[inline(never)]
fn load_script(bprm: &mut LinuxBinprm) -> KResult<()> {
    let line = parse_interpreter_line(&bprm.buf)?;
    bprm.remove_arg_zero();
    bprm.push_front_arg(bprm.interp.as_bytes().to_vec())?;
    if let Some(arg) = line.arg {
        bprm.push_front_arg(arg)?;
    }
    bprm.push_front_arg(line.name.clone())?;
    let name = String::from_utf8(line.name).map_err(|_| Errno::ENOENT)?;
    let (file, _) = do_open_execat(&name)?;
    bprm.interpreter = Some((name, file));
    Ok(())
}

/// `ElfMm` over the mm being built, with its mmap_lock held.
struct BprmMm<'a> {
    mm: &'a MmStruct,
    locked: &'a mut MmLocked,
    file: &'a VmFile,
}

impl ElfMm for BprmMm<'_> {
    fn vmas(&self) -> &VmaTree {
        &self.locked.vmas
    }

    fn munmap(&mut self, start: u64, end: u64) {
        do_vmi_munmap(self.mm, self.locked, start, end);
    }

    fn map_file(&mut self, start: u64, end: u64, pgoff: u64, prot: u32) {
        self.locked.vmas.insert(VmAreaStruct {
            vm_start: start,
            vm_end: end,
            vm_flags: vm_flags_for_prot(prot),
            vm_pgoff: pgoff,
            vm_file: Some(self.file.clone()),
            name: None,
        });
    }

    fn map_anon(&mut self, start: u64, end: u64, prot: u32) {
        self.locked
            .vmas
            .insert(VmAreaStruct::anonymous(start, end, vm_flags_for_prot(prot)));
    }

    fn clear_user(&mut self, addr: u64, len: u64) -> KResult<()> {
        // A user write to a read-only page faults: so does clear_user.
        let writable = |a| {
            self.locked
                .vmas
                .vma_lookup(a)
                .is_some_and(|v| v.vm_flags.contains(VmFlags::VM_WRITE))
        };
        if !writable(addr) || !writable(addr + len - 1) {
            return Err(Errno::EFAULT);
        }
        let zeros = vec![0u8; len as usize];
        access_remote_vm_write(self.mm, &self.locked.vmas, addr, &zeros)
    }
}

/// `setup_arg_pages()`: the stack VMA below STACK_TOP, RLIMIT_STACK
/// long, executable if PT_GNU_STACK asks for it.
fn setup_arg_pages(locked: &mut MmLocked, executable_stack: bool) {
    let exec = if executable_stack { PROT_EXEC } else { 0 };
    let mut stack = VmAreaStruct::anonymous(
        STACK_TOP - STACK_SIZE,
        STACK_TOP,
        vm_flags_for_prot(PROT_READ | PROT_WRITE | exec) | VmFlags::VM_GROWSDOWN,
    );
    stack.name = Some("[stack]");
    locked.vmas.insert(stack);
}

/// `ELF_HWCAP`: CPUID.1:EDX; `ELF_HWCAP2`: HWCAP2_FSGSBASE when the kernel
/// turned FSGSBASE on.
fn elf_hwcaps() -> (u64, u64) {
    use ::x86_64::registers::control::{Cr4, Cr4Flags};
    let edx = core::arch::x86_64::__cpuid(1).edx;
    let fsgsbase = Cr4::read().contains(Cr4Flags::FSGSBASE);
    (u64::from(edx), if fsgsbase { 1 << 1 } else { 0 })
}

/// `get_random_bytes()` for AT_RANDOM: tinymm has no entropy pool, so
/// the TSC, mixed (splitmix64) so that close readings differ everywhere.
fn get_random_bytes() -> [u8; 16] {
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let t = rdtsc();
    let (a, b) = (mix(t), mix(t ^ 0x9e37_79b9_7f4a_7c15));
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&a.to_le_bytes());
    out[8..].copy_from_slice(&b.to_le_bytes());
    out
}

/// `exec_mmap()`: `mm` becomes the task's address space and the CPU's
/// page table; the old one is dropped, so its pages are freed and
/// uncharged (`mmput` → `exit_mmap`). The task owns the new mm (Linux
/// made it so in `bprm_mm_init`'s `mm_alloc`).
fn exec_mmap(tsk: &Arc<TaskStruct>, mm: Arc<MmStruct>) {
    mm.set_owner(tsk);
    let old = tsk.mm.lock_irqsave().replace(mm.clone());
    switch_mm(&mm.pgd);
    drop(old);
}

/// `begin_new_exec()`: the point of no return. From here a failure kills
/// the task. For execve(2) the calling task sheds its old image: the new
/// address space replaces the old (`exec_mmap`), descriptors marked
/// close-on-exec close (`do_close_on_exec`) and `comm` becomes the file's
/// base name (`__set_task_comm`).
#[inline(never)]
fn begin_new_exec(bprm: &mut LinuxBinprm) -> KResult<()> {
    bprm.point_of_no_return = true;
    let me = current();
    de_thread(&me);
    // exec_mm_release(): a vfork parent runs again, no tid to clear.
    crate::task::exit::mm_release(&me);
    exec_mmap(&me, bprm.mm.clone());
    *me.robust_list.lock_irqsave() = (0, 0);
    *me.sas.lock_irqsave() = (0, 0, 0);
    // unshare_files(): a table shared with CLONE_FILES stays with the
    // others; close-on-exec applies to our own copy.
    let files = {
        let mut slot = me.files.lock_irqsave();
        if Arc::strong_count(&slot) > 1 {
            *slot = Arc::new(slot.dup_fd());
        }
        slot.clone()
    };
    files.do_close_on_exec();
    // unshare_sighand() + flush_signal_handlers().
    {
        let mut sighand = me.sighand.lock_irqsave();
        if Arc::strong_count(&sighand) > 1 {
            *sighand = Arc::new(sighand.copy());
        }
        sighand.flush_signal_handlers();
    }
    // flush_thread(): no TLS, the initial FPU state.
    me.thread.flush_current();
    me.forknoexec
        .store(false, core::sync::atomic::Ordering::Relaxed);
    me.set_task_comm(kbasename(&bprm.filename).as_bytes());
    Ok(())
}

/// `de_thread()`: the other threads of the process are killed and gone
/// before the new program runs. (Linux also hands the leader's pid to a
/// non-leader that execs; tinymm keeps the caller's tid.)
#[inline(never)]
fn de_thread(me: &Arc<crate::task::TaskStruct>) {
    use crate::task::signal::{KernelSiginfo, SIGKILL, send_signal_locked, thread_group};
    let others = |me: &crate::task::TaskStruct| -> Vec<Arc<crate::task::TaskStruct>> {
        thread_group(me.tgid)
            .into_iter()
            .filter(|t| {
                t.pid != me.pid
                    && !matches!(
                        t.state(),
                        crate::task::TaskState::Zombie | crate::task::TaskState::Dead
                    )
            })
            .collect()
    };
    for t in others(me) {
        send_signal_locked(KernelSiginfo::kernel(SIGKILL), &t, false);
    }
    while !others(me).is_empty() {
        crate::task::sched::schedule_timeout_killable(1);
    }
}

/// `kbasename()`.
fn kbasename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `load_elf_binary()`: check the headers (ENOEXEC, or the interpreter's
/// lookup error for a PT_INTERP program: tinymm has no dynamic loader),
/// pass the point of no return, map the segments and build the stack.
#[inline(never)]
fn load_elf_binary(bprm: &mut LinuxBinprm) -> KResult<()> {
    let mapping = bprm.mapping.clone();
    let mut read = |pos: u64, buf: &mut [u8]| filemap_read(&mapping, None, pos, buf);
    let elf = load_elf_phdrs(&bprm.buf, &mut read)?;
    if let Some(interp) = &elf.interp {
        let interp = String::from_utf8_lossy(interp);
        let err = match do_open_execat(&interp) {
            Err(e) => e,
            // It exists, but nothing here can load a dynamic program.
            Ok(_) => Errno::ENOEXEC,
        };
        log::warn!(
            "exec {}: needs the program interpreter {} ({}); tinymm runs static programs only",
            bprm.filename,
            interp,
            err.message()
        );
        return Err(err);
    }

    begin_new_exec(bprm)?;

    let mm = bprm.mm.clone();
    // set_mm_exe_file(): what /proc/PID/exe names.
    *mm.exe_file.lock_irqsave() = Some(bprm.file.clone());
    let file = VmFile {
        mapping: bprm.mapping.clone(),
        f_path: Some(bprm.file.clone()),
        f_ra: Arc::new(crate::sync::SpinLock::new(
            crate::mm::readahead::FileRaState::new(&bprm.mapping),
        )),
        path: Arc::from(bprm.interp.as_str()),
        ino: bprm.file.inode().ino(),
    };
    let mut locked = mm.mmap_lock.lock();
    setup_arg_pages(&mut locked, elf.executable_stack);
    let layout = load_elf_segments(
        &elf,
        &mut BprmMm {
            mm: &mm,
            locked: &mut locked,
            file: &file,
        },
    )?;
    let (hwcap, hwcap2) = elf_hwcaps();
    let aux = AuxInfo {
        hwcap,
        hwcap2,
        phdr: layout.phdr_addr,
        phnum: elf.phdrs.len() as u64,
        entry: layout.entry,
    };
    let argv: Vec<&[u8]> = bprm.argv.iter().map(Vec::as_slice).collect();
    let envp: Vec<&[u8]> = bprm.envp.iter().map(Vec::as_slice).collect();
    let image = create_elf_tables(
        STACK_TOP,
        &argv,
        &envp,
        bprm.filename.as_bytes(),
        &aux,
        get_random_bytes(),
    );
    access_remote_vm_write(&mm, &locked.vmas, image.sp, &image.bytes)?;
    locked.start_brk = layout.brk;
    locked.brk = layout.brk;
    locked.start_stack = image.sp;
    locked.spans = MmSpans {
        start_code: layout.start_code,
        end_code: layout.end_code,
        start_data: layout.start_data,
        end_data: layout.end_data,
        arg_start: image.arg_start,
        arg_end: image.arg_end,
        env_start: image.env_start,
        env_end: image.env_end,
    };
    bprm.start = Some((layout.entry, image.sp));
    Ok(())
}

/// `search_binary_handler()`: each format in turn; ENOEXEC if none
/// takes the file.
#[inline(never)]
fn search_binary_handler(bprm: &mut LinuxBinprm) -> KResult<()> {
    bprm.prepare_binprm()?;
    for load_binary in [load_script, load_elf_binary] {
        match load_binary(bprm) {
            Err(Errno::ENOEXEC) if !bprm.point_of_no_return => continue,
            r => return r,
        }
    }
    Err(Errno::ENOEXEC)
}

/// `exec_binprm()`: run the handlers, following interpreters up to
/// MAX_BINFMT_DEPTH levels deep (ELOOP beyond).
#[inline(never)]
fn exec_binprm(bprm: &mut LinuxBinprm) -> KResult<()> {
    for _depth in 0..=MAX_BINFMT_DEPTH {
        search_binary_handler(bprm)?;
        let Some((path, file)) = bprm.interpreter.take() else {
            return Ok(());
        };
        bprm.mapping = file.inode().mapping().cloned().ok_or(Errno::EACCES)?;
        bprm.file = file;
        bprm.interp = path;
    }
    Err(Errno::ELOOP)
}

/// `bprm_execve()`: load the program; past the point of no return a
/// failure kills the task with SIGSEGV (`force_fatal_sig`).
fn bprm_execve(bprm: &mut LinuxBinprm, task: &Arc<TaskStruct>) -> KResult<()> {
    let r = exec_binprm(bprm);
    if let Err(e) = r
        && bprm.point_of_no_return
    {
        log::info!(
            "exec {}: {} after the point of no return; SIGSEGV",
            bprm.filename,
            e.message()
        );
        // A live task always takes SIGSEGV.
        let _ = send_sig(SIGSEGV, task);
    }
    r
}

/// The strings of a new exec: `filename` first, then the environment,
/// then the arguments (an empty argv gets "" as argv[0], as Linux ≥ 5.18
/// does).
fn copy_args(bprm: &mut LinuxBinprm, argv: Vec<Vec<u8>>, envp: Vec<Vec<u8>>) -> KResult<()> {
    bprm.take_room(bprm.filename.len())?;
    for s in &envp {
        bprm.take_room(s.len())?;
    }
    for s in &argv {
        bprm.take_room(s.len())?;
    }
    bprm.envp = envp;
    bprm.argv = argv;
    if bprm.argv.is_empty() {
        bprm.push_front_arg(Vec::new())?;
    }
    Ok(())
}

/// `do_execveat_common()` for execve(2): `filename`, `argv` and `envp`
/// are user pointers. On success the task runs the new program when the
/// syscall returns: `regs` are replaced (`start_thread`) and the result
/// is 0, so rax is 0 too.
#[inline(never)]
pub fn do_execve(regs: &mut PtRegs, filename: u64, argv: u64, envp: u64) -> KResult<u64> {
    let filename = super::namei::getname(filename)?;
    let mut bprm = alloc_bprm(&filename)?;
    let argv_ptrs = count(argv)?;
    let envp_ptrs = count(envp)?;
    if argv_ptrs.is_empty() {
        log::warn!(
            "process '{}' launched '{filename}' with NULL argv: empty string added",
            current().comm()
        );
    }
    bprm.bprm_stack_limits(argv_ptrs.len(), envp_ptrs.len())?;
    bprm.take_room(filename.len())?;
    let mut scratch = vec![0u8; MAX_ARG_STRLEN];
    bprm.envp = copy_strings(&mut bprm, &envp_ptrs, &mut scratch)?;
    bprm.argv = copy_strings(&mut bprm, &argv_ptrs, &mut scratch)?;
    drop(scratch);
    if bprm.argv.is_empty() {
        bprm.push_front_arg(Vec::new())?;
    }
    bprm_execve(&mut bprm, &current())?;
    let (ip, sp) = bprm.start.expect("a loaded program has an entry point");
    *regs = PtRegs::start_thread(ip, sp);
    Ok(0)
}

/// `kernel_execve()`: the current kernel thread (pid 1's `kernel_init`)
/// becomes the program `filename`, run with `argv` and `envp`; the result
/// is the registers it enters user mode with (`start_thread`), which the
/// thread hands to `ret_from_fork`. Errors before the point of no return
/// are returned; after it the task dies of SIGSEGV, as Linux's
/// `bprm_execve` kills it.
#[inline(never)]
pub fn kernel_execve(filename: &str, argv: &[&str], envp: &[&str]) -> KResult<PtRegs> {
    let mut bprm = alloc_bprm(filename)?;
    bprm.bprm_stack_limits(argv.len(), envp.len())?;
    let bytes = |v: &[&str]| v.iter().map(|s| s.as_bytes().to_vec()).collect();
    copy_args(&mut bprm, bytes(argv), bytes(envp))?;
    match exec_binprm(&mut bprm) {
        Ok(()) => {
            let (ip, sp) = bprm.start.expect("a loaded program has an entry point");
            Ok(PtRegs::start_thread(ip, sp))
        }
        Err(e) if !bprm.point_of_no_return => Err(e),
        Err(e) => {
            log::info!(
                "exec {filename}: {} after the point of no return; SIGSEGV",
                e.message()
            );
            crate::task::exit::do_exit(SIGSEGV)
        }
    }
}
