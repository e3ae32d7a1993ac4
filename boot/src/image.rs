//! Disk images: the kernel ELF packed by the `bootloader` crate into a BIOS
//! (MBR) or UEFI (GPT + FAT) image, stored next to the ELF under target/.

use std::fs;
use std::path::{Path, PathBuf};
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

    let mut builder = DiskImageBuilder::new(spec.kernel.to_path_buf());
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
    built.map_err(|e| format!("building {kind} image {}: {e:#}", image.display()))?;
    fs::rename(&partial, &image).map_err(|e| format!("renaming {}: {e}", partial.display()))?;
    Ok(image)
}
