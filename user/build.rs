//! Links the programs at Linux's traditional ET_EXEC base (lld's default is
//! 0x200000), each segment starting on its own page in the file and in
//! memory so an ELF loader can map whole pages. The relocation model
//! (static, not the target's default static-pie) comes from the workspace
//! profile.
fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    if target == "x86_64-unknown-none" {
        println!("cargo:rustc-link-arg-bins=--image-base=0x400000");
        println!("cargo:rustc-link-arg-bins=-zseparate-loadable-segments");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
