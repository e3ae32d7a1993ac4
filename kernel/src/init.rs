//! THROWAWAY platform-branch bring-up: the mm engineer's init.rs replaces
//! this file at merge. It boots the arch code alone and speaks the console
//! commands tests/boot.rs relies on (`poweroff [N]`, `selftest int3`,
//! `selftest pagefault`, `selftest panic`), reading lines from the serial
//! port without allocating.

use bootloader_api::BootInfo;

use crate::arch::x86_64 as arch;

pub fn start_kernel(boot_info: &'static mut BootInfo) -> ! {
    arch::init();
    log::info!(
        "tinymm platform bring-up: {} memory regions, tsc={}",
        boot_info.memory_regions.len(),
        arch::rdtsc()
    );
    let mut buf = [0u8; 128];
    loop {
        crate::print!("# ");
        let line = read_line(&mut buf);
        run(core::str::from_utf8(line).unwrap_or("").trim());
    }
}

/// Reads one line, echoing it (QEMU puts the host terminal in raw mode).
fn read_line(buf: &mut [u8]) -> &[u8] {
    let mut len = 0;
    loop {
        match arch::serial_getc() {
            b'\r' | b'\n' => {
                crate::println!();
                return &buf[..len];
            }
            byte if len < buf.len() => {
                buf[len] = byte;
                len += 1;
                crate::print!("{}", char::from(byte));
            }
            _ => {}
        }
    }
}

fn run(line: &str) {
    let mut words = line.split_whitespace();
    match (words.next(), words.next()) {
        (None, _) => {}
        (Some("poweroff"), None) => arch::poweroff(0),
        (Some("poweroff"), Some(n)) => match n.parse() {
            Ok(status) => arch::poweroff(status),
            Err(_) => crate::println!("poweroff: invalid status: {n}"),
        },
        (Some("selftest"), Some("int3")) => {
            arch::selftest::int3();
            crate::println!("int3: returned");
        }
        (Some("selftest"), Some("pagefault")) => arch::selftest::page_fault(),
        (Some("selftest"), Some("panic")) => panic!("selftest panic"),
        _ => crate::println!("{line}: command not found"),
    }
}

/// THROWAWAY: `extern crate alloc` in lib.rs makes the kernel binary need a
/// `#[global_allocator]`, which mm/ provides after the merge. Until then
/// every allocation fails (and the kernel panics), so nothing here may
/// allocate.
struct NoHeapYet;

// SAFETY: returning null is always a valid answer from `alloc`; `dealloc`
// can never receive a pointer because none is ever handed out.
unsafe impl core::alloc::GlobalAlloc for NoHeapYet {
    unsafe fn alloc(&self, _layout: core::alloc::Layout) -> *mut u8 {
        core::ptr::null_mut()
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: core::alloc::Layout) {}
}

#[global_allocator]
static NO_HEAP_YET: NoHeapYet = NoHeapYet;
