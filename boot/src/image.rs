//! Disk images: the kernel ELF packed by the `bootloader` crate into a BIOS
//! (MBR) or UEFI (GPT + FAT) image, stored next to the ELF under target/.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use bootloader::{BootConfig, DiskImageBuilder};

/// What goes into an image.
pub struct ImageSpec<'a> {
    pub kernel: &'a Path,
    pub uefi: bool,
    /// The initramfs handed to the kernel through `BootInfo::ramdisk_addr`.
    /// No ramdisk exists yet; a later issue builds the cpio archive and passes
    /// it here (and it joins the freshness check in `build_or_reuse`).
    pub ramdisk: Option<&'a Path>,
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Returns the image for `spec`, rebuilding it unless it is newer than every
/// input (kernel, ramdisk, and this program, which owns the boot config).
pub fn build_or_reuse(spec: &ImageSpec) -> Result<PathBuf, String> {
    let kind = if spec.uefi { "uefi" } else { "bios" };
    let image = spec.kernel.with_extension(format!("{kind}.img"));
    let inputs = [Some(spec.kernel), spec.ramdisk]
        .into_iter()
        .flatten()
        .map(Path::to_path_buf)
        .chain(std::env::current_exe().ok());
    let mut newest_input = SystemTime::UNIX_EPOCH;
    for input in inputs {
        let time = modified(&input).ok_or_else(|| format!("cannot stat {}", input.display()))?;
        newest_input = newest_input.max(time);
    }
    if modified(&image).is_some_and(|built| built > newest_input) {
        return Ok(image);
    }

    // Clean console: only the kernel writes to the serial port.
    let mut config = BootConfig::default();
    config.serial_logging = false;
    config.frame_buffer_logging = false;

    let packed = stripped_kernel(spec.kernel)?;
    let mut builder = DiskImageBuilder::new(packed.clone());
    builder.set_boot_config(&config);
    if let Some(ramdisk) = spec.ramdisk {
        builder.set_ramdisk(ramdisk.to_path_buf());
    }
    // Concurrent runs (parallel tests) each build privately, then rename:
    // nobody ever boots a half-written image.
    let partial = image.with_extension(format!("{kind}.img.{}.partial", std::process::id()));
    let built = if spec.uefi {
        builder.create_uefi_image(&partial)
    } else {
        builder.create_bios_image(&partial)
    };
    if packed != spec.kernel {
        let _ = fs::remove_file(&packed);
    }
    built.map_err(|e| format!("building {kind} image {}: {e:#}", image.display()))?;
    fs::rename(&partial, &image).map_err(|e| format!("renaming {}: {e}", partial.display()))?;
    Ok(image)
}

/// A copy of the kernel without debug info for the image: the firmware
/// loads it through BIOS disk calls under TCG, and debug info is ~90% of a
/// debug build. gdb reads the full ELF. Uses the toolchain's llvm-objcopy
/// (llvm-tools component) or binutils' objcopy; without either, the full
/// ELF is packed.
fn stripped_kernel(kernel: &Path) -> Result<PathBuf, String> {
    let stripped = kernel.with_extension(format!("stripped.{}", std::process::id()));
    for objcopy in objcopy_candidates() {
        let status = Command::new(&objcopy)
            .arg("--strip-debug")
            .arg(kernel)
            .arg(&stripped)
            .status();
        if status.is_ok_and(|s| s.success()) {
            return Ok(stripped);
        }
    }
    Ok(kernel.to_path_buf())
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
