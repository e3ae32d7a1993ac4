//! The serial console: a line editor and a handful of commands, enough to
//! read the kernel's files and drive its self-tests. A later issue replaces
//! it with a shell task.

use alloc::string::String;
use alloc::vec::Vec;

use crate::arch::x86_64 as arch;
use crate::fs::file::{O_RDONLY, filp_open};
use crate::fs::namei::path_lookup;
use crate::mm::gfp::Gfp;
use crate::mm::mmzone::{MAX_PAGE_ORDER, ZoneStatItem, node_data};
use crate::mm::page::Page;
use crate::mm::page_alloc::{alloc_pages, free_pages};
use crate::uapi::errno::KResult;
use crate::{print, println};

const HELP: &str = "\
commands:
  cat FILE...          print files
  ls [DIR]             list a directory
  echo [WORD...]       print the words
  selftest alloc       allocation stress; free pages must come back exactly
  selftest int3        a breakpoint exception that returns
  selftest pagefault   a kernel page fault (fails the run)
  selftest panic       a kernel panic (fails the run)
  selftest user [CASE] ring-3 tasks: syscalls, faults, preemption, kill
  selftest smap        ring 0 reads user memory (fails the run)
  poweroff [N], exit [N]  power off with status N (default: last status)
  help                 this text";

/// Read a line from the serial port, echoing as a terminal would.
fn read_line(line: &mut String) {
    line.clear();
    loop {
        match arch::serial_getc() {
            b'\r' | b'\n' => {
                println!();
                return;
            }
            0x08 | 0x7f => {
                if line.pop().is_some() {
                    print!("\x08 \x08");
                }
            }
            c if c.is_ascii_graphic() || c == b' ' || c == b'\t' => {
                line.push(c as char);
                print!("{}", c as char);
            }
            _ => {}
        }
    }
}

pub fn console_loop() -> ! {
    let mut line = String::new();
    let mut status = 0u8;
    loop {
        print!("# ");
        read_line(&mut line);
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some((&cmd, args)) = words.split_first() else {
            continue;
        };
        status = match cmd {
            "cat" => cat(args),
            "ls" => ls(args.first().copied().unwrap_or("/")),
            "echo" => {
                println!("{}", args.join(" "));
                0
            }
            "help" => {
                println!("{HELP}");
                0
            }
            "selftest" => selftest(args),
            "poweroff" | "exit" => {
                let code = match args.first().map(|a| a.parse::<u8>()) {
                    None => status,
                    Some(Ok(n)) => n,
                    Some(Err(_)) => {
                        println!("{cmd}: {}: numeric argument required", args[0]);
                        2
                    }
                };
                println!("reboot: Power down");
                arch::poweroff(code)
            }
            _ => {
                println!("sh: {cmd}: not found");
                127
            }
        };
    }
}

/// The whole file, read through the VFS.
fn read_file(path: &str) -> KResult<Vec<u8>> {
    let file = filp_open(path, O_RDONLY)?;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match file.read(&mut buf)? {
            0 => return Ok(out),
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

fn cat(args: &[&str]) -> u8 {
    let mut status = 0;
    for path in args {
        match read_file(path) {
            Ok(text) => print!("{}", String::from_utf8_lossy(&text)),
            Err(e) => {
                println!("cat: can't open '{path}': {}", e.message());
                status = 1;
            }
        }
    }
    status
}

fn ls(path: &str) -> u8 {
    match path_lookup(path).and_then(|inode| inode.readdir()) {
        Ok(names) => {
            names.iter().for_each(|n| println!("{n}"));
            0
        }
        Err(e) => {
            println!("ls: {path}: {}", e.message());
            1
        }
    }
}

fn selftest(args: &[&str]) -> u8 {
    match args {
        ["alloc"] => selftest_alloc(),
        ["int3"] => {
            arch::selftest::int3();
            println!("int3: returned");
            0
        }
        ["pagefault"] => arch::selftest::page_fault(),
        ["panic"] => panic!("selftest panic"),
        ["user", rest @ ..] => crate::task::selftest::selftest_user(rest),
        ["smap"] => crate::task::selftest::selftest_smap(),
        _ => {
            println!("selftest: usage: selftest alloc|int3|pagefault|panic");
            2
        }
    }
}

/// Allocate blocks of pseudo-random order from every zone until the
/// allocator refuses 64 in a row, then free them all: the free page
/// count and every free list must be exactly as before.
fn selftest_alloc() -> u8 {
    let pgdat = node_data(0);
    let buddyinfo = || read_file("/proc/buddyinfo").ok();
    let free_before = pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages);
    let lists_before = buddyinfo();
    let mut held: Vec<(&Page, usize)> = Vec::with_capacity(1 << 16);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut failures = 0;
    while failures < 64 && held.len() < held.capacity() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let order = (seed % (MAX_PAGE_ORDER as u64 + 1)) as usize;
        let gfp = [Gfp::GFP_KERNEL, Gfp::GFP_DMA32, Gfp::GFP_DMA][(seed >> 8) as usize % 3];
        match alloc_pages(gfp | Gfp::__GFP_NOWARN, order) {
            Some(page) => {
                held.push((page, order));
                failures = 0;
            }
            None => failures += 1,
        }
    }
    let pages: u64 = held.iter().map(|&(_, o)| 1u64 << o).sum();
    let free_low = pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages);
    for (page, order) in held.drain(..) {
        free_pages(page, order);
    }
    let free_after = pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages);
    let same_lists = buddyinfo() == lists_before;
    println!(
        "selftest alloc: allocated {pages} pages, free {free_before} -> {free_low} -> {free_after}, free lists {}",
        if same_lists { "restored" } else { "DIFFER" }
    );
    u8::from(free_after != free_before || !same_lists || pages == 0)
}
