//! Links the kernel binary as Linux's vmlinux is linked: a non-PIE
//! ELF64 at `__START_KERNEL_map` + 16 MiB, loaded at 16 MiB physical
//! (arch/x86_64/vmlinux.lds), so QEMU's `-kernel` (PVH) can load its
//! segments at their `p_paddr`.

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let script = format!("{dir}/src/arch/x86_64/vmlinux.lds");
    println!("cargo:rerun-if-changed={script}");
    println!("cargo:rerun-if-changed=build.rs");
    if target_os == "none" {
        // x86_64-unknown-none links static-pie; the later --no-pie wins.
        println!("cargo:rustc-link-arg-bin=kernel=--no-pie");
        println!("cargo:rustc-link-arg-bin=kernel=-T{script}");
        // No GNU_RELRO: the bootloader crate would make .data read-only.
        println!("cargo:rustc-link-arg-bin=kernel=-znorelro");
    }
}
