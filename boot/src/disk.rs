//! Disks of `tinymm run` (and `run --linux`): `--disk FILE[,serial=S][,rw]`
//! attaches a raw image as a virtio-blk PCI disk (vda, vdb, ... in the
//! order given), in QEMU's snapshot mode unless `,rw` (guest writes go to
//! a throwaway overlay, so the host file is untouched); `--swap SIZE`
//! attaches, after them, a fresh `mkswap` image of SIZE in a temporary
//! file (removed after the run) with serial `swap`. For Linux, whose
//! Debian cloud kernel has virtio-pci and virtio-blk as modules
//! (CONFIG_VIRTIO_PCI=m, CONFIG_VIRTIO_BLK=m), the modules go into its
//! initramfs, numbered in load order, and /init loads them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::initramfs::{GuestFile, Source};

/// One `--disk`.
#[derive(Debug, Clone, PartialEq)]
pub struct DiskSpec {
    pub file: PathBuf,
    pub serial: Option<String>,
    /// Guest writes reach the file.
    pub rw: bool,
}

/// `FILE[,serial=S][,rw]`.
pub fn parse_disk(spec: &str) -> Result<DiskSpec, String> {
    let mut parts = spec.split(',');
    let file = parts.next().filter(|f| !f.is_empty());
    let file = file.ok_or_else(|| format!("--disk: `{spec}` names no file"))?;
    let mut disk = DiskSpec {
        file: PathBuf::from(file),
        serial: None,
        rw: false,
    };
    for part in parts {
        match part.split_once('=') {
            Some(("serial", s)) if !s.is_empty() && s.len() <= 20 && s.is_ascii() => {
                disk.serial = Some(s.to_string())
            }
            None if part == "rw" => disk.rw = true,
            _ => {
                return Err(format!(
                    "--disk: `{part}` is neither serial=S (1-20 ASCII characters) nor rw"
                ));
            }
        }
    }
    if !disk.file.is_file() {
        return Err(format!("--disk: {} is not a file", disk.file.display()));
    }
    Ok(disk)
}

/// `--swap SIZE`: at least two pages (the header and one slot).
pub fn parse_swap(text: &str) -> Result<u64, String> {
    crate::options::parse_size(text)
        .filter(|&s| s >= 8192 && s % 4096 == 0)
        .ok_or_else(|| format!("--swap: `{text}` is not a size of whole pages, 8K or more"))
}

/// QEMU's option syntax escapes commas by doubling them.
fn escape(path: &Path) -> String {
    path.display().to_string().replace(',', ",,")
}

/// A fresh swap area of `size` bytes: `mkswap` on a sparse temporary file.
fn make_swap_image(size: u64) -> Result<PathBuf, String> {
    static N: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "tinymm-swap-{}-{}.img",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let file = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    file.set_len(size)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mkswap = ["/usr/sbin/mkswap", "/sbin/mkswap"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .ok_or("--swap: mkswap not found (make deps installs util-linux)")?;
    let out = Command::new(mkswap)
        .arg(&path)
        .output()
        .map_err(|e| format!("cannot run mkswap: {e}"))?;
    if !out.status.success() {
        let _ = std::fs::remove_file(&path);
        return Err(format!(
            "mkswap failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(path)
}

/// The QEMU arguments of the disks and the swap area, and the temporary
/// files to remove after the run.
pub fn qemu_args(
    disks: &[DiskSpec],
    swap: Option<u64>,
) -> Result<(Vec<String>, Vec<PathBuf>), String> {
    let mut args = Vec::new();
    let mut temps = Vec::new();
    let mut attach = |i: usize, file: &Path, snapshot: bool, serial: Option<&str>| {
        let snap = if snapshot { ",snapshot=on" } else { "" };
        args.push("-drive".to_string());
        args.push(format!(
            "if=none,id=disk{i},format=raw{snap},file={}",
            escape(file)
        ));
        args.push("-device".to_string());
        let serial = serial.map(|s| format!(",serial={s}")).unwrap_or_default();
        args.push(format!("virtio-blk-pci,drive=disk{i}{serial}"));
    };
    for (i, d) in disks.iter().enumerate() {
        attach(i, &d.file, !d.rw, d.serial.as_deref());
    }
    if let Some(size) = swap {
        let image = make_swap_image(size)?;
        attach(disks.len(), &image, false, Some("swap"));
        temps.push(image);
    }
    Ok((args, temps))
}

/// The modules of virtio-blk in load order (each after those its
/// `depends=` names).
const LINUX_VIRTIO_MODULES: [&str; 6] = [
    "drivers/virtio/virtio_ring.ko",
    "drivers/virtio/virtio.ko",
    "drivers/virtio/virtio_pci_modern_dev.ko",
    "drivers/virtio/virtio_pci_legacy_dev.ko",
    "drivers/virtio/virtio_pci.ko",
    "drivers/block/virtio_blk.ko",
];

/// Where /init looks for modules to load (busybox.rs): `N-name.ko`, loaded
/// in N order.
pub const GUEST_MODULE_DIR: &str = "/lib/modules/tinymm";

/// The virtio-blk modules of the unpacked Linux at `root`, as initramfs
/// files.
pub fn linux_modules(root: &Path, release: &str) -> Result<Vec<GuestFile>, String> {
    let base = root.join("lib/modules").join(release).join("kernel");
    LINUX_VIRTIO_MODULES
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let host = base.join(m);
            if !host.is_file() {
                return Err(format!("{} is missing", host.display()));
            }
            let name = Path::new(m).file_name().expect("a file").to_string_lossy();
            Ok(GuestFile {
                path: format!("{GUEST_MODULE_DIR}/{}-{name}", i + 1),
                mode: 0o644,
                source: Source::Host(host),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_specs() {
        let f = std::env::current_exe().unwrap();
        let spec = format!("{},serial=abc,rw", f.display());
        let d = parse_disk(&spec).unwrap();
        assert_eq!(d.serial.as_deref(), Some("abc"));
        assert!(d.rw);
        let d = parse_disk(&f.display().to_string()).unwrap();
        assert_eq!((d.serial, d.rw), (None, false));
        assert!(parse_disk("").is_err());
        assert!(parse_disk(&format!("{},bogus", f.display())).is_err());
        assert!(parse_disk("/nonexistent/disk.img").is_err());
        assert!(parse_disk(&format!("{},serial=123456789012345678901", f.display())).is_err());
    }

    #[test]
    fn swap_sizes() {
        assert_eq!(parse_swap("64M"), Ok(64 << 20));
        assert!(parse_swap("4K").is_err());
        assert!(parse_swap("12345").is_err());
    }

    #[test]
    fn qemu_args_of_disks() {
        let f = PathBuf::from("/tmp/a,b.img");
        let disks = [DiskSpec {
            file: f,
            serial: Some("s1".into()),
            rw: false,
        }];
        let (args, temps) = qemu_args(&disks, None).unwrap();
        assert_eq!(
            args,
            [
                "-drive",
                "if=none,id=disk0,format=raw,snapshot=on,file=/tmp/a,,b.img",
                "-device",
                "virtio-blk-pci,drive=disk0,serial=s1"
            ]
        );
        assert!(temps.is_empty());
    }
}
