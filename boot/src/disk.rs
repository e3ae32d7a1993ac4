//! Disks of `tinymm run` (and `run --linux`): `--disk PATH[,serial=S][,rw]`
//! attaches a virtio-blk PCI disk (vda, vdb, ... in the order given). A
//! raw image file is attached in QEMU's snapshot mode unless `,rw` (guest
//! writes go to a throwaway overlay, so the host file is untouched). A
//! folder is packed into a fresh ext2 image in a temporary file with
//! `mkfs.ext2 -d` (see `make_ext2_image`), writable and removed after the
//! run, so the folder itself never changes. `--data PATH` is `--disk
//! PATH,serial=data,rw` as the first disk; /init (busybox.rs) mounts the
//! disk with serial `data` at /data. `--swap SIZE` attaches, after them, a
//! fresh `mkswap` image of SIZE in a temporary file (removed after the
//! run) with serial `swap`. For Linux, whose Debian cloud kernel has
//! virtio-pci and virtio-blk as modules (CONFIG_VIRTIO_PCI=m,
//! CONFIG_VIRTIO_BLK=m), the modules go into its initramfs, numbered in
//! load order, and /init loads them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::initramfs::{GuestFile, Source};

/// One `--disk`.
#[derive(Debug, Clone, PartialEq)]
pub struct DiskSpec {
    /// An image file, or a folder to pack into one.
    pub file: PathBuf,
    pub serial: Option<String>,
    /// Guest writes reach the file.
    pub rw: bool,
}

/// The serial of the disk /init mounts at /data.
pub const DATA_SERIAL: &str = "data";

/// `PATH[,serial=S][,rw]`.
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
    if !disk.file.is_file() && !disk.file.is_dir() {
        return Err(format!(
            "--disk: {} is neither an image file nor a folder",
            disk.file.display()
        ));
    }
    Ok(disk)
}

/// `--data PATH`: the disk /init mounts at /data, writable (an image file
/// is changed in place).
pub fn parse_data(path: &str) -> Result<DiskSpec, String> {
    if path.is_empty() || path.contains(',') {
        // A comma would read as a `--disk` option.
        return Err(format!("--data: `{path}` is not a path without commas"));
    }
    parse_disk(&format!("{path},serial={DATA_SERIAL},rw"))
        .map_err(|e| e.replace("--disk", "--data"))
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

/// A fresh sparse temporary file of `size` bytes, named after `kind`.
fn temp_image(kind: &str, size: u64) -> Result<PathBuf, String> {
    static N: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "tinymm-{kind}-{}-{}.img",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let file = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    file.set_len(size)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// `program` from /usr/sbin or /sbin.
fn sbin(program: &str, package: &str) -> Result<PathBuf, String> {
    ["/usr/sbin", "/sbin"]
        .into_iter()
        .map(|dir| Path::new(dir).join(program))
        .find(|p| p.exists())
        .ok_or_else(|| format!("{program} not found (make deps installs {package})"))
}

/// Runs `command` on the fresh `image`, which is removed if it fails.
fn run_on_image(mut command: Command, image: &Path) -> Result<(), String> {
    let out = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"));
    let err = match out {
        Ok(out) if out.status.success() => return Ok(()),
        Ok(out) => format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => e,
    };
    let _ = std::fs::remove_file(image);
    Err(err)
}

/// A fresh swap area of `size` bytes: `mkswap` on a sparse temporary file.
fn make_swap_image(size: u64) -> Result<PathBuf, String> {
    let mkswap = sbin("mkswap", "util-linux").map_err(|e| format!("--swap: {e}"))?;
    let path = temp_image("swap", size)?;
    let mut command = Command::new(mkswap);
    command.arg(&path);
    run_on_image(command, &path)?;
    Ok(path)
}

/// The size of the ext2 image of `dir`: with D the folder's entries each
/// rounded up to whole 4 KiB blocks (a file by its apparent size, holes
/// counted as data; a folder or symlink as one block) and N the number
/// of entries, 1.5 × D + 16 KiB × N, in whole blocks and at least 16 MiB.
/// The half of D is room for writes, after mke2fs's inode tables
/// (1/16 of an image under 512 MiB) and bitmaps; the 16 KiB an entry
/// gives every entry an inode at the sparsest inode ratio mke2fs picks
/// (one per 16 KiB from 512 MiB up) and pays for big directories and
/// indirect blocks.
pub fn ext2_image_size(dir: &Path) -> Result<u64, String> {
    const BLOCK: u64 = 4096;
    fn walk(dir: &Path, data: &mut u64, entries: &mut u64) -> Result<(), String> {
        let read = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in read {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            let meta =
                std::fs::symlink_metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            *entries += 1;
            *data += if meta.is_file() {
                meta.len().div_ceil(BLOCK) * BLOCK
            } else {
                BLOCK
            };
            if meta.is_dir() {
                walk(&path, data, entries)?;
            }
        }
        Ok(())
    }
    let (mut data, mut entries) = (BLOCK, 1);
    walk(dir, &mut data, &mut entries)?;
    let size = (data + data / 2 + entries * 16384).div_ceil(BLOCK) * BLOCK;
    Ok(size.max(16 << 20))
}

/// A fresh ext2 image of the folder `dir` in a temporary file. The mkfs
/// options keep to what tinymm's ext2 implements (reference
/// block-swap-fs.md §4): 4 KiB blocks, the page size (mke2fs would pick
/// 1 KiB under 512 MiB); 256-byte inodes, as Linux's ext4 driver fills
/// them; no resize_inode, dir_index or ext_attr (reserved GDT blocks,
/// hashed directories, xattr blocks); inode tables written now, not
/// lazily by the kernel. The features left are filetype, sparse_super
/// and large_file.
pub fn make_ext2_image(dir: &Path) -> Result<PathBuf, String> {
    let mkfs =
        sbin("mkfs.ext2", "e2fsprogs").map_err(|e| format!("--disk {}: {e}", dir.display()))?;
    let size = ext2_image_size(dir)?;
    let path = temp_image("ext2", size)?;
    let mut command = Command::new(mkfs);
    command
        .args(["-q", "-F", "-b", "4096", "-I", "256"])
        .args(["-O", "^resize_inode,^dir_index,^ext_attr"])
        .args(["-E", "lazy_itable_init=0", "-d"])
        .arg(dir)
        .arg(&path)
        .arg(format!("{}k", size >> 10));
    run_on_image(command, &path)?;
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
    // A failure leaves no temporary image behind.
    let made = |image: Result<PathBuf, String>, temps: &mut Vec<PathBuf>| {
        image.inspect_err(|_| {
            for t in temps.iter() {
                let _ = std::fs::remove_file(t);
            }
        })
    };
    for (i, d) in disks.iter().enumerate() {
        if d.file.is_dir() {
            let image = made(make_ext2_image(&d.file), &mut temps)?;
            attach(i, &image, false, d.serial.as_deref());
            temps.push(image);
        } else {
            attach(i, &d.file, !d.rw, d.serial.as_deref());
        }
    }
    if let Some(size) = swap {
        let image = made(make_swap_image(size), &mut temps)?;
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

    /// A fresh folder under the temporary directory.
    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tinymm-disk-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// `program args...` with the image last: (exit status, stdout).
    fn tool(program: &str, args: &[&str], image: &Path) -> (i32, Vec<u8>) {
        let out = Command::new(sbin(program, "e2fsprogs").unwrap())
            .args(args)
            .arg(image)
            .output()
            .unwrap();
        (out.status.code().unwrap_or(-1), out.stdout)
    }

    #[test]
    fn folders_are_packed_into_ext2() {
        let dir = folder("pack");
        let text: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(dir.join("file"), &text).unwrap();
        std::fs::create_dir(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/inner"), b"inner\n").unwrap();
        std::os::unix::fs::symlink("sub/inner", dir.join("link")).unwrap();
        let disks = [parse_disk(&format!("{},serial=data", dir.display())).unwrap()];
        let (args, temps) = qemu_args(&disks, None).unwrap();
        let [image] = &temps[..] else {
            panic!("{temps:?}")
        };
        // Writable: the image is the run's own.
        assert_eq!(
            args,
            [
                "-drive".to_string(),
                format!("if=none,id=disk0,format=raw,file={}", image.display()),
                "-device".to_string(),
                "virtio-blk-pci,drive=disk0,serial=data".to_string(),
            ]
        );
        assert_eq!(std::fs::metadata(image).unwrap().len(), 16 << 20);
        assert_eq!(tool("e2fsck", &["-fn"], image).0, 0);
        assert_eq!(tool("debugfs", &["-R", "cat /file"], image), (0, text));
        assert_eq!(
            tool("debugfs", &["-R", "cat /sub/inner"], image),
            (0, b"inner\n".to_vec())
        );
        let (_, stat) = tool("debugfs", &["-R", "stat /link"], image);
        let stat = String::from_utf8(stat).unwrap();
        assert!(stat.contains("Fast link dest: \"sub/inner\""), "{stat}");
        let (_, header) = tool("dumpe2fs", &["-h"], image);
        let header = String::from_utf8(header).unwrap();
        for line in [
            "Filesystem features:      filetype sparse_super large_file",
            "Block size:               4096",
            "Inode size:\t          256",
        ] {
            assert!(header.lines().any(|l| l == line), "{line}: {header}");
        }
        // The run's cleanup removes the image; the folder stays.
        drop(crate::qemu::Cleanup(temps.clone()));
        assert!(!temps[0].exists());
        assert!(dir.join("sub/inner").is_file());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn ext2_image_sizes() {
        let dir = folder("size");
        std::fs::write(dir.join("a"), b"x").unwrap();
        assert_eq!(ext2_image_size(&dir), Ok(16 << 20));
        // Apparent sizes count, holes too: 1.5 x (root, a, sub, big) +
        // 16 KiB for each of the four entries.
        std::fs::create_dir(dir.join("sub")).unwrap();
        let big = std::fs::File::create(dir.join("sub/big")).unwrap();
        big.set_len((100 << 20) + 1).unwrap();
        let data = 3 * 4096 + (100 << 20) + 4096;
        assert_eq!(ext2_image_size(&dir), Ok(data * 3 / 2 + 4 * 16384));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(ext2_image_size(&dir).is_err());
        assert!(make_ext2_image(&dir).is_err());
        assert!(parse_disk(&dir.display().to_string()).is_err());
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
