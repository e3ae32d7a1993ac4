//! The reference kernel of the fork+exec and pipe benchmarks: Debian's
//! Linux 6.1 cloud kernel (`linux-image-cloud-amd64`, which depends on the package with
//! the kernel, `linux-image-6.1.0-N-cloud-amd64`), fetched with
//! `apt-get download` and unpacked with `dpkg-deb -x` into
//! `<target dir>/linux/` at bench time (never committed; later runs reuse
//! it), and booted under the same QEMU as tinymm (TCG, q35, `-cpu max`,
//! 1 GiB) with `-kernel`/`-initrd`. The initramfs (newc, see
//! `initramfs.rs`) holds `/dev/console` (the kernel opens it for init:
//! nothing mounts devtmpfs before init here), `/init` = the benchmark
//! program, which runs as pid 1 and powers off at the end, and
//! `/bin/true` (what fork+exec execs). The cloud kernel has the serial console built in and
//! needs no modules for this.

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::initramfs::CpioWriter;
use crate::qemu::find_in_path;

/// The metapackage that names the current 6.1 cloud kernel.
const META: &str = "linux-image-cloud-amd64";

/// An unpacked kernel package.
#[derive(Debug, Clone, PartialEq)]
pub struct Linux {
    pub vmlinuz: PathBuf,
    /// `uname -r`, e.g. `6.1.0-57-cloud-amd64`.
    pub release: String,
    /// The Debian package version, e.g. `6.1.192-3`.
    pub version: String,
}

/// `<target dir>/linux`: the host program is `<target dir>/<profile>/tinymm`.
pub fn default_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("linux")))
        .unwrap_or_else(|| PathBuf::from("target/linux"))
}

/// The package `apt-cache depends META` names with `Depends:` that holds
/// a kernel (`linux-image-…`).
fn kernel_dependency(depends: &str) -> Option<&str> {
    depends.lines().find_map(|line| {
        let name = line.trim().strip_prefix("Depends: ")?.trim();
        (name.starts_with("linux-image-") && name != META).then_some(name)
    })
}

/// `linux-image-6.1.0-57-cloud-amd64_6.1.192-3_amd64.deb` to
/// (`6.1.0-57-cloud-amd64`, `6.1.192-3`); None for other files (the
/// metapackage's among them).
fn kernel_deb(file_name: &str) -> Option<(String, String)> {
    let stem = file_name.strip_suffix("_amd64.deb")?;
    let (package, version) = stem.split_once('_')?;
    let release = package.strip_prefix("linux-image-")?;
    if package == META || !release.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((release.to_string(), version.replace("%3a", ":")))
}

fn run(command: &mut Command, what: &str) -> Result<String, String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{what} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The newest kernel package in `debs`, if any.
fn find_deb(debs: &Path) -> Option<(PathBuf, String, String)> {
    let mut found: Vec<(PathBuf, String, String)> = fs::read_dir(debs)
        .ok()?
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let (release, version) = kernel_deb(path.file_name()?.to_str()?)?;
            Some((path, release, version))
        })
        .collect();
    found.sort();
    found.pop()
}

/// Downloads (once) and unpacks the kernel under `dir`.
pub fn fetch(dir: &Path) -> Result<Linux, String> {
    let debs = dir.join("debs");
    fs::create_dir_all(&debs).map_err(|e| format!("{}: {e}", debs.display()))?;
    if find_deb(&debs).is_none() {
        let depends = run(
            Command::new("apt-cache").args(["depends", META]),
            "apt-cache depends",
        )?;
        let kernel = kernel_dependency(&depends)
            .ok_or_else(|| format!("apt-cache depends {META}: no linux-image dependency"))?;
        eprintln!(
            "bench: downloading {META} and {kernel} into {}",
            debs.display()
        );
        run(
            Command::new("apt-get")
                .args(["download", META, kernel])
                .current_dir(&debs),
            "apt-get download",
        )?;
    }
    let (deb, release, version) = find_deb(&debs)
        .ok_or_else(|| format!("no kernel package in {} after the download", debs.display()))?;
    let root = dir.join("root");
    let vmlinuz = root.join("boot").join(format!("vmlinuz-{release}"));
    if !vmlinuz.exists() {
        run(
            Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root),
            "dpkg-deb -x",
        )?;
    }
    if !vmlinuz.exists() {
        return Err(format!("{} holds no {}", deb.display(), vmlinuz.display()));
    }
    Ok(Linux {
        vmlinuz,
        release,
        version,
    })
}

/// Writes the initramfs: `/dev/console`, `/bin` and `files` (guest path,
/// host path), each mode 0755.
pub fn write_initramfs(out: &Path, files: &[(&str, &Path)]) -> Result<(), String> {
    let err = |e: std::io::Error| format!("writing {}: {e}", out.display());
    let file = File::create(out).map_err(err)?;
    let mut cpio = CpioWriter::new(BufWriter::new(file));
    cpio.dir("/bin", 0o755).map_err(err)?;
    cpio.dir("/dev", 0o755).map_err(err)?;
    cpio.char_dev("/dev/console", 0o600, 5, 1).map_err(err)?;
    for &(path, host) in files {
        let data = File::open(host).map_err(|e| format!("{}: {e}", host.display()))?;
        let size = data
            .metadata()
            .map_err(|e| format!("{}: {e}", host.display()))?
            .len();
        cpio.file(path, 0o755, size, data).map_err(err)?;
    }
    cpio.finish().map_err(err)?;
    Ok(())
}

/// QEMU booting `linux` with `initrd` and `mem` of RAM, whose init gets
/// `init_args`: the machine of `tinymm run` (see `qemu.rs`), with `-icount
/// shift=0,sleep=off` on single-threaded TCG when `icount`. `panic=-1`
/// turns a failing init into a reboot, which `-no-reboot` makes an exit.
/// Linux's command line before init's arguments: the serial console,
/// no boot chatter, and a panic ends QEMU (`-no-reboot`).
pub const CMDLINE: &str = "console=ttyS0 quiet panic=-1";

pub fn qemu_command(
    linux: &Linux,
    initrd: &Path,
    mem: &str,
    icount: bool,
    init_args: &str,
) -> Result<Command, String> {
    let qemu = find_in_path("qemu-system-x86_64")
        .ok_or("cannot start qemu-system-x86_64: not found in PATH (make deps installs it)")?;
    let mut command = Command::new(qemu);
    command.args(["-machine", "q35", "-cpu", "max", "-m", mem]);
    command.arg("-kernel").arg(&linux.vmlinuz);
    command.arg("-initrd").arg(initrd);
    command.args(["-append", &format!("{CMDLINE} -- {init_args}")]);
    command.args(["-serial", "stdio", "-display", "none", "-monitor", "none"]);
    command.args(["-no-reboot", "-nic", "none"]);
    if icount {
        command.args([
            "-accel",
            "tcg,thread=single",
            "-icount",
            "shift=0,sleep=off",
        ]);
    } else {
        command.args(["-accel", "tcg"]);
    }
    Ok(command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_kernel_package() {
        let depends = "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-57-cloud-amd64\n";
        assert_eq!(
            kernel_dependency(depends),
            Some("linux-image-6.1.0-57-cloud-amd64")
        );
        assert_eq!(kernel_dependency("linux-image-cloud-amd64\n"), None);
        assert_eq!(
            kernel_deb("linux-image-6.1.0-57-cloud-amd64_6.1.192-3_amd64.deb"),
            Some(("6.1.0-57-cloud-amd64".into(), "6.1.192-3".into()))
        );
        assert_eq!(
            kernel_deb("linux-image-cloud-amd64_6.1.192-3_amd64.deb"),
            None
        );
        assert_eq!(kernel_deb("linux-image-6.1.0-57-cloud-amd64.deb"), None);
        assert_eq!(kernel_deb("partial"), None);
    }
}
