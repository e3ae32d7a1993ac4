//! What QEMU boots, stored next to the kernel ELF under target/:
//!
//! * the default (PVH) boot: a stripped copy of the kernel ELF for
//!   `-kernel` and the initramfs for `-initrd` (the same file Linux gets);
//! * `--uefi`: the kernel ELF packed by the `bootloader` crate into a UEFI
//!   (GPT + FAT) disk image, the initramfs as its ramdisk.

use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use bootloader::{BootConfig, DiskImageBuilder};

use crate::initramfs::{self, GuestFile, Source};

/// What goes into an image.
pub struct ImageSpec<'a> {
    pub kernel: &'a Path,
    /// The initramfs contents, packed as the bootloader's ramdisk (handed
    /// to the kernel through `BootInfo::ramdisk_addr`).
    pub files: &'a [GuestFile],
}

/// Images and leftovers unused this long are deleted when a new image is
/// built: every distinct ramdisk makes an image, and `--gen` ones are big.
const STALE_AFTER: Duration = Duration::from_secs(3600);

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Hashes what identifies a host file's contents cheaply: path, size and
/// modification time.
fn hash_file(path: &Path, hasher: &mut impl Hasher) -> Result<(), String> {
    let meta = fs::metadata(path).map_err(|e| format!("cannot stat {}: {e}", path.display()))?;
    path.hash(hasher);
    meta.len().hash(hasher);
    meta.modified().ok().hash(hasher);
    Ok(())
}

/// The cache key of an image: every input, including this program (which
/// owns the boot config and the archive format).
fn image_key(spec: &ImageSpec) -> Result<u64, String> {
    let mut hasher = DefaultHasher::new();
    hash_file(spec.kernel, &mut hasher)?;
    hash_files(spec.files, &mut hasher)?;
    Ok(hasher.finish())
}

/// Hashes the initramfs contents and this program (which owns the
/// archive format).
fn hash_files(files: &[GuestFile], hasher: &mut impl Hasher) -> Result<(), String> {
    if let Ok(exe) = std::env::current_exe() {
        hash_file(&exe, hasher)?;
    }
    for file in files {
        file.path.hash(hasher);
        file.mode.hash(hasher);
        match &file.source {
            Source::Host(path) | Source::Program(path) => hash_file(path, hasher)?,
            Source::Generated(size) => size.hash(hasher),
            Source::Text(bytes) => bytes.hash(hasher),
            Source::Symlink(target) => target.hash(hasher),
        }
    }
    Ok(())
}

/// Whether a built file is there to reuse; if so it is marked as in use
/// (its mtime) for the stale sweep.
fn reuse(path: &Path) -> bool {
    if !path.exists() {
        return false;
    }
    if let Ok(file) = fs::File::options().append(true).open(path) {
        let _ = file.set_modified(SystemTime::now());
    }
    true
}

/// The initramfs alone, for `-initrd` (tinymm's PVH boot, and Linux with
/// `run --linux`): `dir/initramfs.KEY.cpio`, reused while no input
/// changed, as images are.
pub fn initramfs_or_reuse(files: &[GuestFile], dir: &Path) -> Result<PathBuf, String> {
    let mut hasher = DefaultHasher::new();
    hash_files(files, &mut hasher)?;
    let archive = dir.join(format!("initramfs.{:016x}.cpio", hasher.finish()));
    if reuse(&archive) {
        return Ok(archive);
    }
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let partial = archive.with_extension(format!("cpio.{}.partial", std::process::id()));
    let mut temporaries = Temporaries(vec![partial.clone()]);
    let files = strip_programs(files, &mut temporaries);
    // Plain: QEMU loads it by fw_cfg DMA, and inflating it costs the
    // guest three times the boot's instructions (README, "Booting").
    initramfs::write_archive(&partial, &files, false)?;
    fs::rename(&partial, &archive).map_err(|e| format!("renaming {}: {e}", partial.display()))?;
    Ok(archive)
}

/// The kernel ELF for QEMU's `-kernel` (PVH): a stripped copy,
/// `kernel.stripped.KEY.elf`, reused while the kernel is unchanged. QEMU
/// loads it through fw_cfg, so size matters less than it did for the
/// BIOS disk image, but debug info is 95% of it. gdb reads the full ELF.
pub fn stripped_kernel(kernel: &Path) -> Result<PathBuf, String> {
    let mut hasher = DefaultHasher::new();
    hash_file(kernel, &mut hasher)?;
    let out = kernel.with_extension(format!("stripped.{:016x}.elf", hasher.finish()));
    if reuse(&out) {
        return Ok(out);
    }
    remove_stale(kernel);
    let stripped = strip_all(kernel);
    if stripped == kernel {
        return Ok(stripped);
    }
    fs::rename(&stripped, &out).map_err(|e| format!("renaming {}: {e}", stripped.display()))?;
    Ok(out)
}

/// Returns the UEFI disk image for `spec`: images are named by a hash of their
/// inputs, so runs with different files (parallel tests) never share or
/// overwrite one another's image, and a changed input means a new image.
pub fn build_or_reuse(spec: &ImageSpec) -> Result<PathBuf, String> {
    let kind = "uefi";
    let key = image_key(spec)?;
    let image = spec.kernel.with_extension(format!("{kind}.{key:016x}.img"));
    if reuse(&image) {
        return Ok(image);
    }
    remove_stale(spec.kernel);

    // Clean console: only the kernel writes to the serial port.
    let mut config = BootConfig::default();
    config.serial_logging = false;
    config.frame_buffer_logging = false;

    // Concurrent runs (parallel tests) each build privately, then rename:
    // nobody ever boots a half-written image.
    let partial = image.with_extension(format!("img.{}.partial", std::process::id()));
    let ramdisk = image.with_extension(format!("cpio.{}.partial", std::process::id()));
    let mut temporaries = Temporaries(vec![ramdisk.clone()]);
    let files = strip_programs(spec.files, &mut temporaries);
    // Compressed: OVMF reads the ramdisk from the disk image.
    initramfs::write_archive(&ramdisk, &files, true)?;

    let packed = strip_all(spec.kernel);
    if packed != spec.kernel {
        temporaries.0.push(packed.clone());
    }
    let mut builder = DiskImageBuilder::new(packed);
    builder.set_boot_config(&config);
    builder.set_ramdisk(ramdisk);
    if let Err(e) = builder.create_uefi_image(&partial) {
        let _ = fs::remove_file(&partial);
        return Err(format!("building {kind} image {}: {e:#}", image.display()));
    }
    fs::rename(&partial, &image).map_err(|e| format!("renaming {}: {e}", partial.display()))?;
    Ok(image)
}

/// Files deleted when dropped.
struct Temporaries(Vec<PathBuf>);

impl Drop for Temporaries {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = fs::remove_file(path);
        }
    }
}

/// `files` with each program replaced by a stripped copy (debug info and
/// symbols are most of a program's size, and the initramfs is copied into
/// guest memory and unpacked under TCG).
fn strip_programs(files: &[GuestFile], temporaries: &mut Temporaries) -> Vec<GuestFile> {
    files
        .iter()
        .map(|file| match &file.source {
            Source::Program(path) => {
                let stripped = strip_all(path);
                if stripped != *path {
                    temporaries.0.push(stripped.clone());
                }
                GuestFile {
                    source: Source::Program(stripped),
                    ..file.clone()
                }
            }
            _ => file.clone(),
        })
        .collect()
}

/// Deletes images next to `kernel` (and leftovers of interrupted builds)
/// that nobody used for [`STALE_AFTER`]. A run still booting one keeps
/// it open, and Linux keeps an open file's data after unlink.
fn remove_stale(kernel: &Path) {
    let (Some(dir), Some(stem)) = (kernel.parent(), kernel.file_name()) else {
        return;
    };
    let prefix = format!("{}.", stem.to_string_lossy());
    // The initramfs archives of `initramfs_or_reuse` live there too.
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = (name.starts_with(&prefix)
            && (name.ends_with(".img")
                || name.ends_with(".partial")
                || name.contains(".stripped.")))
            || (name.starts_with("initramfs.")
                && (name.ends_with(".cpio") || name.ends_with(".partial")));
        let stale = modified(&entry.path())
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if ours && stale {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// A copy of an ELF without debug info and symbol table: they are ~95% of
/// a debug build (the kernel's symbols alone are 400 KiB), and whatever
/// the guest is given is copied under TCG. gdb reads the full ELF. Uses the toolchain's llvm-objcopy
/// (llvm-tools component) or binutils' objcopy; without either, the full
/// ELF is packed (and the returned path is `elf` itself).
fn strip_all(elf: &Path) -> PathBuf {
    let stripped = elf.with_extension(format!("stripped.{}", std::process::id()));
    for objcopy in objcopy_candidates() {
        let status = Command::new(&objcopy)
            .arg("--strip-all")
            .arg(elf)
            .arg(&stripped)
            .status();
        if status.is_ok_and(|s| s.success()) {
            return stripped;
        }
    }
    elf.to_path_buf()
}

fn objcopy_candidates() -> Vec<PathBuf> {
    let mut candidates = Vec::new();
    let sysroot = Command::new("rustc").args(["--print", "sysroot"]).output();
    if let Ok(out) = sysroot
        && out.status.success()
    {
        let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if let Ok(entries) = fs::read_dir(sysroot.join("lib/rustlib")) {
            for entry in entries.flatten() {
                candidates.push(entry.path().join("bin/llvm-objcopy"));
            }
        }
    }
    candidates.retain(|p| p.exists());
    candidates.push(PathBuf::from("objcopy"));
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_images_are_removed_and_fresh_ones_kept() {
        let dir = std::env::temp_dir().join(format!("tinymm-stale-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let kernel = dir.join("kernel");
        let old = SystemTime::now() - STALE_AFTER - Duration::from_secs(60);
        let make = |name: &str, time: SystemTime| {
            let path = dir.join(name);
            fs::write(&path, b"x").unwrap();
            fs::File::options()
                .append(true)
                .open(&path)
                .unwrap()
                .set_modified(time)
                .unwrap();
            path
        };
        let stale = [
            make("kernel.bios.0123456789abcdef.img", old),
            make("kernel.bios.img", old),
            make("kernel.uefi.0123.img.77.partial", old),
            make("kernel.stripped.77", old),
            make("kernel.stripped.0123456789abcdef.elf", old),
            make("initramfs.0123456789abcdef.cpio", old),
        ];
        let kept = [
            kernel.clone(),
            make("kernel.bios.fedcba9876543210.img", SystemTime::now()),
            make("kernel.d", old),
            make("other.bios.img", old),
            make("initramfs.fedcba9876543210.cpio", SystemTime::now()),
        ];
        fs::write(&kernel, b"elf").unwrap();
        remove_stale(&kernel);
        for path in &stale {
            assert!(!path.exists(), "{} kept", path.display());
        }
        for path in &kept {
            assert!(path.exists(), "{} removed", path.display());
        }
        fs::remove_dir_all(&dir).unwrap();
    }
}
