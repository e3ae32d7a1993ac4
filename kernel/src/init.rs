//! Boot (init/main.c): from the boot protocol's hand-off (PVH or the
//! bootloader crate's, both as `BootParams`, arch/x86_64/setup.rs) to
//! /init.

use crate::arch::x86_64 as arch;
use crate::arch::x86_64::setup::{BootParams, E820_TYPE_RAM, E820_TYPE_RESERVED_KERN};
use crate::cgroup::kernfs::{cgroup_init, cgroup2_fs_init};
use crate::drivers::tty::tty_io::tty_init;
use crate::fs::devices::chr_dev_init;
use crate::fs::initramfs::{inflated_size, unpack_to_rootfs};
use crate::fs::namespace::init_mount_tree;
use crate::fs::proc::proc_fs_init;
use crate::fs::ramfs::{RamAttr, RamDir, rootfs_sb};
use crate::fs::sysfs::sysfs_init;
use crate::mm::memblock::Memblock;
use crate::mm::memory::set_zero_page;
use crate::mm::mm_init::mm_init;
use crate::mm::mmzone::{ZoneStatItem, node_data, set_node_data};
use crate::mm::page::{DirectMap, PAGE_SHIFT, PAGE_SIZE};
use crate::mm::slab::kmem_cache_init;
use crate::params::{InitParams, parse_boot_command_line};
use crate::printk::printk::CONSOLE_PRINTK;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::arch::x86_64::process_64::KthreadReturn;
use crate::arch::x86_64::ptrace::PtRegs;
use crate::fs::file::filp_open;
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::fcntl::O_RDWR;

/// Filled at boot, before any heap exists; used once by `mm_core_init`.
static MEMBLOCK: spin::Mutex<Memblock> = spin::Mutex::new(Memblock::new());

/// `e820__memblock_setup()`: RAM from the firmware's map becomes memblock
/// memory; what the boot code used (`E820_TYPE_RESERVED_KERN`: the
/// bootloader crate's kernel image, page tables, boot info, stack and
/// ramdisk) becomes reserved, and so do the protocol's early
/// reservations (`early_reserve_memory()`: the kernel image and the
/// initrd under PVH). The first page is not RAM, as Linux's
/// `trim_bios_range()` makes it.
#[allow(non_snake_case)] // Linux's name
fn e820__memblock_setup(bp: &BootParams, memblock: &mut Memblock) {
    for e in bp.e820() {
        let end = e.addr.saturating_add(e.size);
        let start = e.addr.max(PAGE_SIZE);
        if end <= start {
            continue;
        }
        let (base, size) = (start, end - start);
        let res = match e.type_ {
            E820_TYPE_RAM => memblock.add(base, size),
            E820_TYPE_RESERVED_KERN => memblock
                .add(base, size)
                .and_then(|()| memblock.reserve(base, size)),
            _ => Ok(()),
        };
        res.expect("more firmware memory regions than memblock holds");
    }
    for &(base, size) in &bp.early_reserve {
        if size != 0 {
            memblock
                .reserve(base, size)
                .expect("more reserved ranges than memblock holds");
        }
    }
}

/// `mm_core_init()`: zones, `mem_map` and the buddy allocator from
/// memblock, then the kernel heap on top.
#[inline(never)]
fn mm_core_init(memblock: &mut Memblock) {
    // `empty_zero_page` lives in reserved memory, as in the kernel image.
    let zero_page = memblock
        .phys_alloc(PAGE_SIZE, PAGE_SIZE)
        .expect("no memory for the zero page");
    let pgdat = mm_init(memblock, &DirectMap, |phys, max_pfn, zone_of| {
        DirectMap::mem_map_at(phys, max_pfn, zone_of)
    })
    .expect("no memory to build mem_map");
    let pgdat = set_node_data(pgdat);
    pgdat.phys.clear_page(zero_page >> PAGE_SHIFT);
    set_zero_page(zero_page >> PAGE_SHIFT);
    kmem_cache_init();
    let present: u64 = pgdat.node_zones.iter().map(|z| z.present_pages).sum();
    let free = pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages);
    log::info!(
        "Memory: {}K/{}K available ({}K reserved)",
        free << (PAGE_SHIFT - 10),
        present << (PAGE_SHIFT - 10),
        (present - pgdat.totalram_pages()) << (PAGE_SHIFT - 10)
    );
}

/// `reserve_initrd_mem()`: the memory a compressed initramfs inflates
/// into, reserved before the buddy allocator takes the rest, as its
/// files' page cache is backed by it for ever. None when the initramfs
/// is not compressed or memblock has no room.
#[inline(never)]
fn reserve_initrd_mem(
    initrd: Option<&'static [u8]>,
    memblock: &mut Memblock,
) -> Option<&'static mut [u8]> {
    let size = initrd.map_or(0, inflated_size);
    if size == 0 {
        return None;
    }
    let Some(phys) = memblock.phys_alloc((size as u64).next_multiple_of(PAGE_SIZE), PAGE_SIZE)
    else {
        log::error!("initramfs: no memory for {size} bytes inflated");
        return None;
    };
    Some(arch::setup::initrd_output(phys, size))
}

/// `vfs_caches_init()` + `populate_rootfs()`: the initramfs unpacked
/// into the read-only root, the character devices, and the filesystem
/// types /init mounts (proc, sysfs, cgroup2, tmpfs).
#[inline(never)]
fn vfs_caches_init(initrd: Option<&'static [u8]>, out: Option<&'static mut [u8]>) {
    chr_dev_init();
    let root = RamDir::new(RamAttr::new(0o755, 0, 0, 0));
    if let Some(image) = initrd {
        match unpack_to_rootfs(&root, image, out, node_data(0)) {
            Ok(n) => log::info!("Unpacking initramfs... {n} entries"),
            Err(e) => log::error!("Initramfs unpacking failed: {e}"),
        }
    }
    init_mount_tree(rootfs_sb(root), "rootfs");
    proc_fs_init(Some(Arc::new(crate::fs::proc::base::PidEntries)));
    sysfs_init();
    crate::fs::ext2::super_::ext2_init();
    cgroup2_fs_init();
    crate::mm::shmem::shmem_init();
    crate::fs::devtmpfs::devtmpfs_init();
}

/// `start_kernel()`.
#[inline(never)]
pub fn start_kernel(bp: &'static BootParams) -> ! {
    crate::printk::printk::printk_set_logger();
    arch::init();
    log::info!("tinymm version {}", env!("CARGO_PKG_VERSION"));
    log::info!("Command line: {}", bp.command_line());
    let mut memblock = MEMBLOCK.lock();
    e820__memblock_setup(bp, &mut memblock);
    arch::head_64::init_mem_mapping(bp.direct_mapped_end, memblock.end_of_dram());
    let initrd = bp.initrd;
    let initrd_out = reserve_initrd_mem(initrd, &mut memblock);
    mm_core_init(&mut memblock);
    drop(memblock);
    let params = INIT_PARAMS.call_once(|| parse_boot_command_line(bp.command_line()));
    if let Some(level) = params.console_loglevel {
        CONSOLE_PRINTK.0[0].store(level, core::sync::atomic::Ordering::Relaxed);
    }
    if let Some((kind, param)) = &params.panic_later {
        panic!("Too many boot {kind} vars at `{param}'");
    }
    if let Some(shift) = params.prof_shift {
        crate::task::profile::profile_init(shift);
    }
    cgroup_init(&[&crate::mm::memcontrol::MEMORY_CGRP_SUBSYS]);
    vfs_caches_init(initrd, initrd_out);

    // --- tasks: the boot context becomes the idle task (pid 0), the
    // tick starts, and pid 1 (`kernel_init`) becomes /init. ---
    crate::task::sched_init();
    crate::task::fork::set_max_threads(crate::mm::mmzone::node_data(0).totalram_pages());
    arch::time_init();
    tty_init();
    crate::task::fork::kernel_thread("init", kernel_init, 0).expect("cannot start init");
    crate::task::sched::cpu_startup_entry()
}

/// What the command line set up for init: `ramdisk_execute_command`,
/// `execute_command`, `argv_init`, `envp_init` (params.rs).
static INIT_PARAMS: spin::Once<InitParams> = spin::Once::new();

/// `console_on_rootfs()`: /dev/console of the initramfs on descriptors
/// 0, 1 and 2 of init (nothing is mounted on /dev yet).
fn console_on_rootfs() {
    match filp_open("/dev/console", O_RDWR, 0) {
        Ok(file) => {
            let files = crate::task::current().files.lock_irqsave().clone();
            for fd in 0..3 {
                files.install(fd, file.clone());
            }
        }
        Err(_) => log::error!("Warning: unable to open an initial console."),
    }
}

/// `init_eaccess()`: whether `filename` exists and has an execute bit;
/// Linux tries the initramfs's init only then.
fn init_eaccess(filename: &str) -> bool {
    crate::fs::namei::kern_path(filename, true).is_ok_and(|p| p.inode().mode() & 0o111 != 0)
}

/// `run_init_process()`: exec `filename` in pid 1 with `argv_init` and
/// `envp_init`; the registers to enter it with.
fn run_init_process(filename: &str) -> KResult<PtRegs> {
    let params = INIT_PARAMS
        .get()
        .expect("start_kernel parsed the command line");
    let argv: Vec<&str> = core::iter::once(filename)
        .chain(params.argv.iter().map(String::as_str))
        .collect();
    let envp: Vec<&str> = params.envp.iter().map(String::as_str).collect();
    log::info!("Run {filename} as init process");
    log::debug!("  with arguments: {argv:?}");
    log::debug!("  with environment: {envp:?}");
    crate::fs::exec::kernel_execve(filename, &argv, &envp)
}

/// `try_to_run_init_process()`: one of the fallback inits; one that is
/// there but cannot run is reported.
fn try_to_run_init_process(filename: &str) -> KResult<PtRegs> {
    let r = run_init_process(filename);
    if let Err(e) = &r
        && *e != Errno::ENOENT
    {
        log::error!(
            "Starting init: {filename} exists but couldn't execute it (error {})",
            e.as_ret()
        );
    }
    r
}

/// `kernel_init()`: pid 1. It opens the console and becomes /init from
/// the initramfs, as Linux's does; nothing but the root is mounted.
/// Without one it tries Linux's fallbacks, then panics as Linux does.
fn kernel_init(_: usize) -> KthreadReturn {
    // The console's session and process group, as an init's setsid()
    // makes them: the programs it starts are in session 1.
    crate::task::sys::sys_setsid().expect("pid 1 leads no group yet");
    crate::drivers::do_initcalls();
    console_on_rootfs();
    let params = INIT_PARAMS
        .get()
        .expect("start_kernel parsed the command line");
    let rdinit = params.ramdisk_execute_command.as_str();
    if init_eaccess(rdinit) {
        match run_init_process(rdinit) {
            Ok(regs) => return KthreadReturn::User(regs),
            Err(e) => log::error!("Failed to execute {rdinit} (error {})", e.as_ret()),
        }
    }
    if let Some(init) = &params.execute_command {
        match run_init_process(init) {
            Ok(regs) => return KthreadReturn::User(regs),
            Err(e) => panic!("Requested init {init} failed (error {}).", e.as_ret()),
        }
    }
    for init in ["/sbin/init", "/etc/init", "/bin/init", "/bin/sh"] {
        if let Ok(regs) = try_to_run_init_process(init) {
            return KthreadReturn::User(regs);
        }
    }
    panic!(
        "No working init found.  Try passing init= option to kernel. See Linux Documentation/admin-guide/init.rst for guidance."
    )
}
