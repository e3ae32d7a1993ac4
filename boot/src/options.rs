//! Command-line parsing (by hand: the grammar is small and std suffices).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::bench::BenchOptions;
use crate::initramfs::{GuestFile, MAX_FILE_SIZE, Source, check_guest_path};

#[derive(Debug, PartialEq)]
pub enum Command {
    Help,
    Elf,
    /// `checksum GUEST_PATH:SIZE`: the byte sum of a `--gen` file.
    Checksum(String, u64),
    Run(RunOptions),
    Gdb(RunOptions, GdbOptions),
    Bench(BenchOptions),
}

/// What pid 1 runs (`--init`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Init {
    /// busybox with its applet links and an /init script (busybox.rs);
    /// a `--script` becomes /scenario.
    Busybox,
    /// No userland but the programs and `--add` files: the kernel runs
    /// the first of /init, /sbin/init, /etc/init, /bin/init, /bin/sh
    /// there is, or panics as Linux does when none is.
    None,
}

/// How to boot the guest.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    /// QEMU `-m` value.
    pub mem: String,
    pub uefi: bool,
    /// Bytes fed to the serial console instead of our stdin.
    pub script: Option<PathBuf>,
    /// `None`: the default (none when interactive, else 300 s).
    pub timeout: Option<Duration>,
    pub icount: bool,
    /// Start halted with a gdb stub and wait for a debugger (`run --gdb`).
    pub gdb_stub: bool,
    pub qemu_args: Vec<String>,
    pub smp: Option<u32>,
    /// Extra initramfs files (`--add`, `--gen`), besides the programs.
    pub files: Vec<GuestFile>,
    pub init: Init,
    /// Boot Debian's Linux 6.1 (linux.rs) with the same initramfs instead
    /// of tinymm (`--linux`; implies busybox as /init).
    pub linux: bool,
    /// virtio-blk disks (`--data` first, then each `--disk`; disk.rs),
    /// then a swap area (`--swap`).
    pub disks: Vec<crate::disk::DiskSpec>,
    pub swap: Option<u64>,
    /// The kernel command line (`--append`, QEMU's `-append`); for
    /// `--linux` it follows Linux's own console and panic settings.
    pub append: Option<String>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            mem: "128M".into(),
            uefi: false,
            script: None,
            timeout: None,
            icount: false,
            gdb_stub: false,
            qemu_args: Vec::new(),
            smp: None,
            files: Vec::new(),
            init: Init::Busybox,
            linux: false,
            disks: Vec::new(),
            swap: None,
            append: None,
        }
    }
}

/// How to drive gdb (`tinymm gdb`).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct GdbOptions {
    /// Run gdb with `-batch`: execute the commands, then exit.
    pub batch: bool,
    /// `-x FILE` command files, run after symbols load and gdb attaches.
    pub command_files: Vec<PathBuf>,
    /// `-ex CMD` commands, in order, after the command files.
    pub commands: Vec<String>,
}

pub fn parse_args(args: &[String]) -> Result<Command, String> {
    let Some((command, rest)) = args.split_first() else {
        return Ok(Command::Help);
    };
    match command.as_str() {
        "help" | "-h" | "--help" => Ok(Command::Help),
        "elf" if rest.is_empty() => Ok(Command::Elf),
        "elf" => Err("elf takes no arguments".into()),
        "checksum" => match rest {
            [spec] => {
                let file = parse_gen(spec).map_err(|e| e.replace("--gen", "checksum"))?;
                let Source::Generated(size) = file.source else {
                    unreachable!("parse_gen makes generated files")
                };
                Ok(Command::Checksum(file.path, size))
            }
            _ => Err("checksum takes one GUEST_PATH:SIZE".into()),
        },
        "run" => {
            let (run, gdb) = parse_options(rest, false)?;
            debug_assert_eq!(gdb, GdbOptions::default());
            Ok(Command::Run(run))
        }
        "gdb" => {
            let (run, gdb) = parse_options(rest, true)?;
            Ok(Command::Gdb(run, gdb))
        }
        "bench" => parse_bench(rest).map(Command::Bench),
        other => Err(format!("unknown command `{other}`")),
    }
}

fn parse_options(args: &[String], gdb_allowed: bool) -> Result<(RunOptions, GdbOptions), String> {
    let mut run = RunOptions::default();
    let mut swapon = false;
    let mut data = None;
    let mut gdb = GdbOptions::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        // Accept both `--opt value` and `--opt=value`.
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = || -> Result<String, String> {
            inline
                .clone()
                .or_else(|| args.next().cloned())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name {
            "--mem" => run.mem = value()?,
            "--uefi" => run.uefi = true,
            "--script" => run.script = Some(PathBuf::from(value()?)),
            "--timeout" => {
                let text = value()?;
                let secs: f64 = text
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s >= 0.0)
                    .ok_or_else(|| format!("--timeout: not a number of seconds: {text}"))?;
                // 0 means no timeout, like timeout(1).
                run.timeout = Some(Duration::from_secs_f64(secs));
            }
            "--icount" => run.icount = true,
            "--gdb" => run.gdb_stub = true,
            "--qemu-arg" => run.qemu_args.push(value()?),
            "--smp" => {
                let text = value()?;
                let n = text
                    .parse()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| format!("--smp: not a CPU count: {text}"))?;
                run.smp = Some(n);
            }
            "--add" => run.files.push(parse_add(&value()?)?),
            "--gen" => run.files.push(parse_gen(&value()?)?),
            "--disk" => run.disks.push(crate::disk::parse_disk(&value()?)?),
            "--data" if data.is_none() => data = Some(crate::disk::parse_data(&value()?)?),
            "--data" => return Err("--data is one disk: give it once".into()),
            "--swap" => run.swap = Some(crate::disk::parse_swap(&value()?)?),
            "--swapon" => swapon = true,
            "--init" => {
                run.init = match value()?.as_str() {
                    "busybox" => Init::Busybox,
                    "none" => Init::None,
                    other => return Err(format!("--init: `{other}` is neither busybox nor none")),
                }
            }
            "--linux" if !gdb_allowed => run.linux = true,
            "--append" => run.append = Some(value()?),
            "--batch" if gdb_allowed => gdb.batch = true,
            "-x" if gdb_allowed => gdb.command_files.push(PathBuf::from(value()?)),
            "--gdb-cmd" if gdb_allowed => gdb.commands.push(value()?),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    check_unique(&run.files)?;
    if let Some(disk) = data {
        run.disks.insert(0, disk);
    }
    let data_serial = Some(crate::disk::DATA_SERIAL);
    if run.disks.iter().any(|d| d.serial.as_deref() == data_serial) {
        // /init mounts that disk over them.
        if let Some(f) = run.files.iter().find(|f| f.path.starts_with("/data/")) {
            return Err(format!(
                "{} would be hidden by the data disk /init mounts at /data",
                f.path
            ));
        }
    }
    if swapon {
        // /init runs `swapon $swapon`: Linux hands an unknown `name=value`
        // boot parameter to init's environment, and so does tinymm.
        if run.swap.is_none() || run.init == Init::None {
            return Err("--swapon turns on the --swap area from busybox's /init".into());
        }
        let dev = format!("swapon=/dev/vd{}", (b'a' + run.disks.len() as u8) as char);
        run.append = Some(match run.append.take() {
            Some(rest) => format!("{dev} {rest}"),
            None => dev,
        });
    }
    if run.script.is_some() && run.init == Init::None {
        return Err("--script runs from busybox's /init: not with --init none".into());
    }
    if run.uefi && run.append.is_some() {
        return Err(
            "--append needs the PVH boot: the bootloader's UEFI boot has no command line".into(),
        );
    }
    if run.linux {
        if run.uefi || run.gdb_stub {
            return Err("--linux boots Linux with -kernel: no --uefi or --gdb".into());
        }
        run.init = Init::Busybox;
    }
    Ok((run, gdb))
}

/// `bench [--runs N] [--timeout SECS] [--only NAME]`.
fn parse_bench(args: &[String]) -> Result<BenchOptions, String> {
    let mut bench = BenchOptions::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (arg.as_str(), None),
        };
        let text = match name {
            "--runs" | "--timeout" | "--only" => inline
                .or_else(|| args.next().cloned())
                .ok_or_else(|| format!("{name} needs a value"))?,
            other => return Err(format!("unknown bench option `{other}`")),
        };
        if name == "--only" {
            bench.only = Some(text);
        } else if name == "--runs" {
            bench.runs = text
                .parse()
                .ok()
                .filter(|n| *n >= 2)
                .ok_or_else(|| format!("--runs: not a count of 2 or more: {text}"))?;
        } else {
            bench.timeout = text
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && *s > 0.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| format!("--timeout: not a number of seconds: {text}"))?;
        }
    }
    Ok(bench)
}

/// Each guest path once, and none of the programs' `/bin/<name>`.
fn check_unique(files: &[GuestFile]) -> Result<(), String> {
    let mut seen: Vec<String> = crate::USER_PROGRAMS
        .iter()
        .map(|(name, _)| format!("/bin/{name}"))
        .collect();
    for file in files {
        if seen.contains(&file.path) {
            return Err(format!("{} is in the initramfs twice", file.path));
        }
        seen.push(file.path.clone());
    }
    Ok(())
}

/// `HOST_PATH[:GUEST_PATH]`; the guest path defaults to
/// `/data/<basename>`. Only a suffix starting with `/` counts as the guest
/// path, so host paths may contain colons.
fn parse_add(spec: &str) -> Result<GuestFile, String> {
    let (host, guest) = match spec.rsplit_once(':') {
        Some((host, guest)) if guest.starts_with('/') && !host.is_empty() => {
            (host, guest.to_string())
        }
        _ => {
            let name = Path::new(spec)
                .file_name()
                .ok_or_else(|| format!("--add: `{spec}` names no file"))?;
            (spec, format!("/data/{}", name.to_string_lossy()))
        }
    };
    check_guest_path(&guest).map_err(|e| format!("--add: {e}"))?;
    let meta = std::fs::metadata(host).map_err(|e| format!("--add: {host}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("--add: {host} is not a regular file"));
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(format!("--add: {host} is larger than cpio's 4 GiB limit"));
    }
    // Executable on the host, executable in the guest.
    use std::os::unix::fs::PermissionsExt;
    let mode = if meta.permissions().mode() & 0o111 != 0 {
        0o755
    } else {
        0o644
    };
    Ok(GuestFile {
        path: guest,
        mode,
        source: Source::Host(PathBuf::from(host)),
    })
}

/// `GUEST_PATH:SIZE` with SIZE in bytes or with a K/M/G suffix.
fn parse_gen(spec: &str) -> Result<GuestFile, String> {
    let (guest, size) = spec
        .rsplit_once(':')
        .ok_or_else(|| format!("--gen: `{spec}` is not GUEST_PATH:SIZE"))?;
    check_guest_path(guest).map_err(|e| format!("--gen: {e}"))?;
    let size = parse_size(size).ok_or_else(|| format!("--gen: bad size `{size}`"))?;
    if size > MAX_FILE_SIZE {
        return Err(format!("--gen: {size} bytes is beyond cpio's 4 GiB limit"));
    }
    Ok(GuestFile {
        path: guest.to_string(),
        mode: 0o644,
        source: Source::Generated(size),
    })
}

/// Bytes, with an optional K, M or G (binary) suffix in either case.
pub fn parse_size(text: &str) -> Option<u64> {
    let (digits, shift) = match text.chars().last()?.to_ascii_uppercase() {
        'K' => (&text[..text.len() - 1], 10),
        'M' => (&text[..text.len() - 1], 20),
        'G' => (&text[..text.len() - 1], 30),
        _ => (text, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(1 << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        parse_args(&args)
    }

    #[test]
    fn swapon_names_the_swap_disk_on_the_command_line() {
        let Ok(Command::Run(run)) = parse(&["run", "--swap", "8M", "--swapon"]) else {
            panic!()
        };
        assert_eq!(run.append.as_deref(), Some("swapon=/dev/vda"));
        let disk = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
        let Ok(Command::Run(run)) = parse(&[
            "run", "--disk", disk, "--swapon", "--swap", "8M", "--append", "x=1 -- y",
        ]) else {
            panic!()
        };
        assert_eq!(run.append.as_deref(), Some("swapon=/dev/vdb x=1 -- y"));
        assert!(parse(&["run", "--swapon"]).is_err());
        assert!(parse(&["run", "--swap", "8M", "--swapon", "--init", "none"]).is_err());
    }

    #[test]
    fn data_is_the_first_disk() {
        let dir = env!("CARGO_MANIFEST_DIR");
        let image = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
        let Ok(Command::Run(run)) = parse(&["run", "--disk", image, "--data", dir]) else {
            panic!()
        };
        let disks: Vec<(&str, Option<&str>, bool)> = run
            .disks
            .iter()
            .map(|d| (d.file.to_str().unwrap(), d.serial.as_deref(), d.rw))
            .collect();
        assert_eq!(disks, [(dir, Some("data"), true), (image, None, false)]);
        assert!(parse(&["run", "--data", dir, "--data", dir]).is_err());
        assert!(parse(&["run", "--data", "/nonexistent/folder"]).is_err());
        assert!(parse(&["run", "--data", &format!("{image},rw")]).is_err());
        // /init would mount the disk over --add's default /data/<name>.
        assert!(parse(&["run", "--data", dir, "--gen", "/data/f:1"]).is_err());
        let serial_data = format!("{dir},serial=data");
        assert!(parse(&["run", "--disk", &serial_data, "--gen", "/data/f:1"]).is_err());
        assert!(parse(&["run", "--data", dir, "--gen", "/tmp/f:1"]).is_ok());
    }

    #[test]
    fn append_is_the_command_line() {
        let Ok(Command::Run(run)) = parse(&["run", "--append", "quiet a=b"]) else {
            panic!("run");
        };
        assert_eq!(run.append.as_deref(), Some("quiet a=b"));
        let Ok(Command::Run(run)) = parse(&["run", "--append=x=1 -- y"]) else {
            panic!("run");
        };
        assert_eq!(run.append.as_deref(), Some("x=1 -- y"));
        let Ok(Command::Run(run)) = parse(&["run", "--linux", "--append", "z"]) else {
            panic!("run --linux");
        };
        assert_eq!(run.append.as_deref(), Some("z"));
        assert!(parse(&["run", "--uefi", "--append", "x"]).is_err());
        assert!(parse(&["run", "--append"]).is_err());
    }

    #[test]
    fn run_defaults() {
        let Ok(Command::Run(run)) = parse(&["run"]) else {
            panic!("run did not parse");
        };
        assert_eq!(run, RunOptions::default());
        assert_eq!(run.mem, "128M");
        assert_eq!(run.init, Init::Busybox);
    }

    #[test]
    fn run_all_options() {
        let parsed = parse(&[
            "run",
            "--mem",
            "1G",
            "--uefi",
            "--script=s.sh",
            "--timeout",
            "2.5",
            "--icount",
            "--qemu-arg",
            "-d",
            "--qemu-arg=int",
            "--smp",
            "2",
            "--gdb",
            "--init",
            "busybox",
        ]);
        let expected = RunOptions {
            mem: "1G".into(),
            uefi: true,
            script: Some("s.sh".into()),
            timeout: Some(Duration::from_millis(2500)),
            icount: true,
            gdb_stub: true,
            qemu_args: vec!["-d".into(), "int".into()],
            smp: Some(2),
            files: Vec::new(),
            init: Init::Busybox,
            linux: false,
            disks: Vec::new(),
            swap: None,
            append: None,
        };
        assert_eq!(parsed, Ok(Command::Run(expected)));
    }

    #[test]
    fn gdb_options_only_for_gdb() {
        assert!(parse(&["run", "--batch"]).is_err());
        let parsed = parse(&["gdb", "--batch", "-x", "f.gdb", "--gdb-cmd", "bt", "--uefi"]);
        let Ok(Command::Gdb(run, gdb)) = parsed else {
            panic!("gdb did not parse: {parsed:?}");
        };
        assert!(run.uefi);
        assert!(gdb.batch);
        assert_eq!(gdb.command_files, vec![PathBuf::from("f.gdb")]);
        assert_eq!(gdb.commands, vec!["bt".to_string()]);
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(parse(&["run", "--timeout", "soon"]).is_err());
        assert!(parse(&["run", "--timeout", "-1"]).is_err());
        assert!(parse(&["run", "--smp", "0"]).is_err());
        assert!(parse(&["run", "--mem"]).is_err());
        assert!(parse(&["frobnicate"]).is_err());
        assert!(parse(&["elf", "x"]).is_err());
        assert!(parse(&["run", "--init", "systemd"]).is_err());
        assert!(parse(&["run", "--init"]).is_err());
        assert!(parse(&["run", "--init", "none", "--script", "s.sh"]).is_err());
        assert!(parse(&["run", "--linux", "--uefi"]).is_err());
        assert!(parse(&["gdb", "--linux"]).is_err());
        let Ok(Command::Run(run)) = parse(&["run", "--linux"]) else {
            panic!("--linux did not parse");
        };
        assert!(run.linux);
        assert_eq!(run.init, Init::Busybox);
    }

    #[test]
    fn initramfs_files() {
        let host = std::env::temp_dir().join(format!("tinymm-opt-{}", std::process::id()));
        std::fs::write(&host, b"x").unwrap();
        let host_str = host.to_str().unwrap();
        let base = host.file_name().unwrap().to_str().unwrap();
        let with_guest = format!("{host_str}:/data/in/x");
        let parsed = parse(&[
            "run",
            "--add",
            host_str,
            "--add",
            &with_guest,
            "--gen=/data/big:256M",
            "--gen",
            "/tmp/f:100",
        ]);
        let Ok(Command::Run(run)) = parsed else {
            panic!("did not parse: {parsed:?}");
        };
        std::fs::remove_file(&host).unwrap();
        let summary: Vec<(&str, u32, &Source)> = run
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.mode, &f.source))
            .collect();
        let host_source = Source::Host(host.clone());
        assert_eq!(
            summary,
            [
                (format!("/data/{base}").as_str(), 0o644, &host_source),
                ("/data/in/x", 0o644, &host_source),
                ("/data/big", 0o644, &Source::Generated(256 << 20)),
                ("/tmp/f", 0o644, &Source::Generated(100)),
            ]
        );
    }

    #[test]
    fn bench_options() {
        assert_eq!(
            parse(&["bench"]),
            Ok(Command::Bench(BenchOptions::default()))
        );
        assert_eq!(
            parse(&["bench", "--runs", "3", "--timeout=60"]),
            Ok(Command::Bench(BenchOptions {
                runs: 3,
                timeout: Duration::from_secs(60),
                only: None,
            }))
        );
        assert_eq!(
            parse(&["bench", "--only", "fork+exec"]),
            Ok(Command::Bench(BenchOptions {
                only: Some("fork+exec".into()),
                ..BenchOptions::default()
            }))
        );
        assert!(parse(&["bench", "--runs", "1"]).is_err());
        assert!(parse(&["bench", "--timeout", "0"]).is_err());
        assert!(parse(&["bench", "--mem", "1G"]).is_err());
    }

    #[test]
    fn checksum_command() {
        assert_eq!(
            parse(&["checksum", "/data/f:1M"]),
            Ok(Command::Checksum("/data/f".into(), 1 << 20))
        );
        assert!(parse(&["checksum"]).is_err());
        assert!(parse(&["checksum", "/data/f"]).is_err());
        assert!(parse(&["checksum", "/data/f:1", "x"]).is_err());
    }

    #[test]
    fn bad_initramfs_files() {
        for args in [
            &["run", "--add", "/nonexistent/tinymm"][..],
            &["run", "--add", "/"],
            &["run", "--gen", "/data/f"],
            &["run", "--gen", "/data/f:12Q"],
            &["run", "--gen", "data/f:1M"],
            &["run", "--gen", "/proc/x:1M"],
            &["run", "--gen", "/data/f:4G"],
            &["run", "--gen", "/data/f:1", "--gen", "/data/f:2"],
            &["run", "--gen", "/bin/anon:1"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
        assert_eq!(parse_size("64M"), Some(64 << 20));
        assert_eq!(parse_size("3k"), Some(3072));
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size("17"), Some(17));
        assert_eq!(parse_size("M"), None);
        assert_eq!(parse_size("-1"), None);
        assert_eq!(parse_size("+1"), None);
    }
}
