//! `tinymm`: the host side of tinymm. Builds BIOS/UEFI disk images from the
//! kernel ELF, runs them in QEMU, maps the guest's exit protocol to an exit
//! status, and starts gdb sessions against QEMU's gdb stub.
//!
//! ```text
//! tinymm run [--mem 128M] [--uefi] [--script FILE] [--timeout SECS] [--icount]
//!            [--gdb] [--qemu-arg ARG]... [--smp N]
//!            [--add HOST_PATH[:GUEST_PATH]]... [--gen GUEST_PATH:SIZE]...
//!            [--init busybox|none] [--linux]
//!            [--disk FILE[,serial=S][,rw]]... [--swap SIZE [--swapon]]
//! tinymm gdb [run options] [--batch] [-x FILE]... [--gdb-cmd CMD]...
//! tinymm elf
//! tinymm checksum GUEST_PATH:SIZE
//! tinymm bench [--runs N] [--timeout SECS] [--only NAME]
//! ```
//!
//! Exit status of `run`: the guest's status N (`tinymm: exit status N`,
//! then QEMU exit 33), 125 on a kernel failure (QEMU exit 35), 124 on
//! timeout, 126 when QEMU could not start or ended any other way.

mod bench;
mod busybox;
mod disk;
mod image;
mod initramfs;
mod linux;
mod options;
mod qemu;

/// The C programs' builder, shared with the tests (which use all of it).
#[path = "../../tests/cbuild.rs"]
#[allow(dead_code)]
mod cbuild;

use std::process::ExitCode;

use options::{Command, parse_args};

/// The kernel ELF this program was built with (an artifact dependency).
pub const KERNEL_ELF: &str = env!("CARGO_BIN_FILE_KERNEL_kernel");

/// The workload programs (user/, artifact dependencies), packed into the
/// initramfs as `/bin/<name>`.
pub const USER_PROGRAMS: [(&str, &str); 8] = [
    ("anon", env!("CARGO_BIN_FILE_USER_anon")),
    ("fileread", env!("CARGO_BIN_FILE_USER_fileread")),
    ("sleep", env!("CARGO_BIN_FILE_USER_sleep")),
    ("fault", env!("CARGO_BIN_FILE_USER_fault")),
    ("spin", env!("CARGO_BIN_FILE_USER_spin")),
    ("vmcheck", env!("CARGO_BIN_FILE_USER_vmcheck")),
    ("cgfd", env!("CARGO_BIN_FILE_USER_cgfd")),
    ("syscheck", env!("CARGO_BIN_FILE_USER_syscheck")),
];

/// The kernel's memory layout constants, from the kernel's own source so the
/// bootloader configuration and gdb's symbol offset cannot disagree.
#[path = "../../kernel/src/arch/x86_64/page_64_types.rs"]
#[allow(dead_code)]
mod page_64_types;

pub use page_64_types::KERNEL_BASE;

const USAGE: &str = "\
usage: tinymm run [--mem SIZE] [--uefi] [--script FILE] [--timeout SECS] [--icount]
                  [--gdb] [--qemu-arg ARG]... [--smp N]
                  [--add HOST_PATH[:GUEST_PATH]]... [--gen GUEST_PATH:SIZE]...
                  [--init busybox|none] [--linux]
       tinymm gdb [run options] [--batch] [-x FILE]... [--gdb-cmd CMD]...
       tinymm elf
       tinymm checksum GUEST_PATH:SIZE
       tinymm bench [--runs N] [--timeout SECS] [--only NAME]

run   boot the kernel in QEMU; exit with the guest's status (125: kernel
      failure, 124: timeout, 126: QEMU failed)
      --add copies a host file into the initramfs (default /data/<name>),
      --gen makes a SIZE-byte (K/M/G) file of xorshift64 content;
      --init busybox (the default) boots busybox as /init, which runs
      the script (/scenario) or an interactive sh and powers off with
      its status; --init none adds no userland (an --add file at /init
      is init; without one the kernel panics as Linux does);
      piped input ends with ^D (end of file); --linux boots Debian's
      Linux 6.1 (fetched as for bench) with the busybox initramfs instead
gdb   start QEMU halted with its gdb stub and attach gdb with symbols loaded
elf   print the path of the kernel ELF
checksum  print the wrapping u64 byte sum of a `--gen GUEST_PATH:SIZE`
      file (what `fileread` prints as `fileread: sum X`)
bench run the benchmarks under -icount N times each (default 2, at least
      2) and print wall and guest time (per QEMU run timeout: 600 s);
      --only runs those whose name contains NAME (`fork+exec`, `anon`,
      `charge paths`, `pipe`, ...); fork+exec and pipe also boot Linux 6.1
      (downloaded with apt-get into target/linux/)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse_args(&args) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("tinymm: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let status = match command {
        Command::Help => {
            print!("{USAGE}");
            0
        }
        Command::Checksum(path, size) => match initramfs::checksum(&path, size) {
            Ok(sum) => {
                println!("{sum}");
                0
            }
            Err(e) => {
                eprintln!("tinymm: checksum: {e}");
                1
            }
        },
        Command::Elf => {
            println!("{KERNEL_ELF}");
            0
        }
        Command::Run(options) => qemu::run(&options),
        Command::Gdb(options, gdb) => qemu::gdb(&options, &gdb),
        Command::Bench(options) => bench::bench(&options),
    };
    ExitCode::from(status)
}
