//! Device drivers; mirrors Linux's drivers/: the tty layer, PCI, virtio
//! and virtio-blk.

#[cfg(target_os = "none")]
pub mod block;
#[cfg(target_os = "none")]
pub mod pci;
pub mod tty;
#[cfg(target_os = "none")]
pub mod virtio;

/// `do_initcalls()` for the drivers, in Linux's order: the PCI bus
/// (`subsys_initcall(pci_subsys_init)`), then the virtio-blk major and
/// the virtio PCI driver, which binds the disks (`module_init`). Run by
/// pid 1 before /init: probing waits for the disks.
#[cfg(target_os = "none")]
pub fn do_initcalls() {
    pci::pci_subsys_init();
    block::virtio_blk::virtio_blk_init();
    virtio::virtio_pci_common::virtio_pci_driver_init();
}
