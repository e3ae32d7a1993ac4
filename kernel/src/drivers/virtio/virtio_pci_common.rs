//! The virtio PCI driver (drivers/virtio/virtio_pci_common.c,
//! `virtio_pci_probe`, and drivers/virtio/virtio.c's
//! `register_virtio_device` → `virtio_dev_probe`): it binds every device
//! of vendor 0x1af4, makes the crate's modern `PciTransport` for it
//! (legacy-only devices, without the virtio capabilities, are refused as
//! on a kernel without `virtio_pci_legacy`), numbers it virtioN and gives
//! it to the driver of its device type. Only block devices have one.

use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

use virtio_drivers::transport::pci::PciTransport;
use virtio_drivers::transport::pci::bus::{DeviceFunction, PciRoot};
use virtio_drivers::transport::{DeviceType, Transport};

use super::hal::VirtioHal;
use crate::drivers::pci::access::PciConf1;
use crate::drivers::pci::{
    PCI_ANY_ID, PciDev, PciDeviceId, PciDriver, pci_enable_device, pci_register_driver,
    pci_set_master,
};
use crate::uapi::errno::{Errno, KResult};

/// `PCI_VENDOR_ID_REDHAT_QUMRANET`.
const PCI_VENDOR_ID_REDHAT_QUMRANET: u32 = 0x1af4;

static VIRTIO_PCI_ID_TABLE: [PciDeviceId; 1] = [PciDeviceId {
    vendor: PCI_VENDOR_ID_REDHAT_QUMRANET,
    device: PCI_ANY_ID,
}];

/// `virtio_index_ida`: the N of virtioN.
static VIRTIO_INDEX: AtomicU32 = AtomicU32::new(0);

/// `virtio_pci_probe()`.
fn virtio_pci_probe(dev: &Arc<PciDev>, _id: &PciDeviceId) -> KResult<()> {
    pci_enable_device(dev);
    pci_set_master(dev);
    let mut root = PciRoot::new(PciConf1);
    let df = DeviceFunction {
        bus: dev.bus,
        device: dev.slot(),
        function: dev.func(),
    };
    let transport = PciTransport::new::<VirtioHal, _>(&mut root, df).map_err(|e| {
        log::warn!("virtio-pci {}: {e}", dev.name());
        Errno::ENODEV
    })?;
    let index = VIRTIO_INDEX.fetch_add(1, Relaxed);
    match transport.device_type() {
        DeviceType::Block => {
            crate::drivers::block::virtio_blk::virtblk_probe(dev, index, transport)
        }
        other => {
            log::info!("virtio{index}: no driver for device type {other:?}");
            Err(Errno::ENODEV)
        }
    }
}

static VIRTIO_PCI_DRIVER: PciDriver = PciDriver {
    name: "virtio-pci",
    id_table: &VIRTIO_PCI_ID_TABLE,
    probe: virtio_pci_probe,
};

/// `virtio_pci_driver_init()`.
pub fn virtio_pci_driver_init() {
    pci_register_driver(&VIRTIO_PCI_DRIVER);
}
