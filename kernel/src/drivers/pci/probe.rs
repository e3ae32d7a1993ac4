//! Bus enumeration (drivers/pci/probe.c): `pci_scan_bus` reads every
//! slot and function of bus 0 through configuration space and makes a
//! `struct pci_dev` of each function that answers (`pci_scan_device`,
//! `pci_setup_device`, `__pci_read_base`). Left out: bridges and the buses
//! behind them (QEMU's q35 puts everything on bus 0), resource assignment
//! (the firmware assigned the BARs) and hot plug.

use alloc::sync::Arc;
use alloc::vec::Vec;

use super::access::{pci_conf1_read, pci_conf1_write, pci_devfn};
use super::pci_driver::{PciDev, Resource, ResourceKind};

pub const PCI_VENDOR_ID: u8 = 0x00;
pub const PCI_COMMAND: u8 = 0x04;
pub const PCI_CLASS_REVISION: u8 = 0x08;
pub const PCI_HEADER_TYPE: u8 = 0x0e;
pub const PCI_BASE_ADDRESS_0: u8 = 0x10;
pub const PCI_SUBSYSTEM_VENDOR_ID: u8 = 0x2c;
pub const PCI_INTERRUPT_LINE: u8 = 0x3c;

pub const PCI_COMMAND_IO: u16 = 0x1;
pub const PCI_COMMAND_MEMORY: u16 = 0x2;
pub const PCI_COMMAND_MASTER: u16 = 0x4;

const PCI_BASE_ADDRESS_SPACE_IO: u32 = 0x01;
const PCI_BASE_ADDRESS_MEM_TYPE_64: u32 = 0x04;
const PCI_BASE_ADDRESS_MEM_PREFETCH: u32 = 0x08;
const PCI_BASE_ADDRESS_IO_MASK: u32 = !0x03;
const PCI_BASE_ADDRESS_MEM_MASK: u32 = !0x0f;
const PCI_HEADER_TYPE_MASK: u32 = 0x7f;
const PCI_HEADER_TYPE_NORMAL: u32 = 0;
const PCI_HEADER_MULTIFUNC: u32 = 0x80;

/// `__pci_read_base()`: the BAR at `reg` decoded and sized (all ones
/// written with decoding off, the mask read back, the value restored);
/// also whether it took two registers (a 64-bit memory BAR).
fn pci_read_base(bus: u8, devfn: u8, reg: u8) -> (Option<Resource>, bool) {
    let lo = pci_conf1_read(bus, devfn, reg);
    pci_conf1_write(bus, devfn, reg, !0);
    let lo_mask = pci_conf1_read(bus, devfn, reg);
    pci_conf1_write(bus, devfn, reg, lo);
    if lo & PCI_BASE_ADDRESS_SPACE_IO != 0 {
        let size = (!(lo_mask & PCI_BASE_ADDRESS_IO_MASK) & 0xffff).wrapping_add(1);
        let res = (lo_mask & PCI_BASE_ADDRESS_IO_MASK != 0).then_some(Resource {
            start: u64::from(lo & PCI_BASE_ADDRESS_IO_MASK),
            len: u64::from(size),
            kind: ResourceKind::Io,
        });
        return (res, false);
    }
    let is64 = lo & 0x06 == PCI_BASE_ADDRESS_MEM_TYPE_64;
    let prefetch = lo & PCI_BASE_ADDRESS_MEM_PREFETCH != 0;
    let (mut addr, mut mask) = (
        u64::from(lo & PCI_BASE_ADDRESS_MEM_MASK),
        u64::from(lo_mask & PCI_BASE_ADDRESS_MEM_MASK),
    );
    if is64 {
        let hi = pci_conf1_read(bus, devfn, reg + 4);
        pci_conf1_write(bus, devfn, reg + 4, !0);
        let hi_mask = pci_conf1_read(bus, devfn, reg + 4);
        pci_conf1_write(bus, devfn, reg + 4, hi);
        addr |= u64::from(hi) << 32;
        mask |= u64::from(hi_mask) << 32;
    } else {
        mask |= 0xffff_ffff_0000_0000;
    }
    let res = (mask & !0xf != 0).then_some(Resource {
        start: addr,
        len: (!mask).wrapping_add(1),
        kind: ResourceKind::Mem { prefetch, is64 },
    });
    (res, is64)
}

/// `pci_scan_device()` + `pci_setup_device()`: the function at `devfn`,
/// None when nothing answers (vendor 0xffff).
fn pci_scan_device(bus: u8, devfn: u8) -> Option<PciDev> {
    let id = pci_conf1_read(bus, devfn, PCI_VENDOR_ID);
    if id & 0xffff == 0xffff || id == 0 {
        return None;
    }
    let class_rev = pci_conf1_read(bus, devfn, PCI_CLASS_REVISION);
    let hdr_type = (pci_conf1_read(bus, devfn, PCI_HEADER_TYPE & !3) >> 16) & 0xff;
    let intr = pci_conf1_read(bus, devfn, PCI_INTERRUPT_LINE);
    let mut dev = PciDev {
        bus,
        devfn,
        vendor: id as u16,
        device: (id >> 16) as u16,
        class: class_rev >> 8,
        revision: class_rev as u8,
        hdr_type: hdr_type as u8,
        subsystem_vendor: 0,
        subsystem_device: 0,
        irq: intr as u8,
        pin: (intr >> 8) as u8,
        resource: [None; 6],
    };
    if hdr_type & PCI_HEADER_TYPE_MASK == PCI_HEADER_TYPE_NORMAL {
        let sub = pci_conf1_read(bus, devfn, PCI_SUBSYSTEM_VENDOR_ID);
        dev.subsystem_vendor = sub as u16;
        dev.subsystem_device = (sub >> 16) as u16;
        // Decoding off while the BARs are sized, as `__pci_read_base`.
        let cmd = pci_conf1_read(bus, devfn, PCI_COMMAND);
        pci_conf1_write(
            bus,
            devfn,
            PCI_COMMAND,
            cmd & !u32::from(PCI_COMMAND_IO | PCI_COMMAND_MEMORY),
        );
        let mut bar = 0;
        while bar < 6 {
            let (res, two) = pci_read_base(bus, devfn, PCI_BASE_ADDRESS_0 + 4 * bar as u8);
            dev.resource[bar] = res;
            bar += if two { 2 } else { 1 };
        }
        pci_conf1_write(bus, devfn, PCI_COMMAND, cmd & 0xffff);
    }
    Some(dev)
}

/// `pci_scan_slot()` over bus 0: function 0 of every slot, and the other
/// functions of multi-function devices.
pub fn pci_scan_bus(bus: u8) -> Vec<Arc<PciDev>> {
    let mut devs = Vec::new();
    for slot in 0..32 {
        for func in 0..8 {
            let Some(dev) = pci_scan_device(bus, pci_devfn(slot, func)) else {
                if func == 0 {
                    break;
                }
                continue;
            };
            let multi = u32::from(dev.hdr_type) & PCI_HEADER_MULTIFUNC != 0;
            devs.push(Arc::new(dev));
            if func == 0 && !multi {
                break;
            }
        }
    }
    devs
}
