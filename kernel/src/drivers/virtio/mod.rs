//! virtio over PCI (drivers/virtio/): the DMA glue the virtio-drivers
//! crate needs (`hal.rs`) and the PCI driver that binds virtio devices
//! and hands each to the driver of its type (`virtio_pci_common.rs`).

pub mod hal;
pub mod virtio_pci_common;
