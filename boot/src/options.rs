//! Command-line parsing (by hand: the grammar is small and std suffices).

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, PartialEq)]
pub enum Command {
    Help,
    Elf,
    Run(RunOptions),
    Gdb(RunOptions, GdbOptions),
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
        "run" => {
            let (run, gdb) = parse_options(rest, false)?;
            debug_assert_eq!(gdb, GdbOptions::default());
            Ok(Command::Run(run))
        }
        "gdb" => {
            let (run, gdb) = parse_options(rest, true)?;
            Ok(Command::Gdb(run, gdb))
        }
        other => Err(format!("unknown command `{other}`")),
    }
}

fn parse_options(args: &[String], gdb_allowed: bool) -> Result<(RunOptions, GdbOptions), String> {
    let mut run = RunOptions::default();
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
            "--batch" if gdb_allowed => gdb.batch = true,
            "-x" if gdb_allowed => gdb.command_files.push(PathBuf::from(value()?)),
            "--gdb-cmd" if gdb_allowed => gdb.commands.push(value()?),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok((run, gdb))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        parse_args(&args)
    }

    #[test]
    fn run_defaults() {
        let Ok(Command::Run(run)) = parse(&["run"]) else {
            panic!("run did not parse");
        };
        assert_eq!(run, RunOptions::default());
        assert_eq!(run.mem, "128M");
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
    }
}
