//! PCI configuration space through the legacy ports 0xCF8/0xCFC:
//! arch/x86/pci/direct.c's `pci_conf1` (configuration mechanism #1) and
//! the 32-bit accessors of drivers/pci/access.c. Only the 256-byte legacy
//! space of segment 0 is reached (no ECAM/MMCONFIG): the virtio
//! capabilities live there. An audited module: port I/O is its one
//! `unsafe`.

use ::x86_64::instructions::port::Port;
use virtio_drivers::transport::pci::bus::{ConfigurationAccess, DeviceFunction};

use crate::sync::SpinLock;

const PCI_CONF1_ADDRESS: u16 = 0xcf8;
const PCI_CONF1_DATA: u16 = 0xcfc;

/// `pci_config_lock`: the address and data ports are one pair.
static PCI_CONFIG_LOCK: SpinLock<()> = SpinLock::new(());

/// `PCI_CONF1_ADDRESS()`: enable bit, bus, device, function, register.
fn pci_conf1_address(bus: u8, devfn: u8, reg: u8) -> u32 {
    0x8000_0000 | (u32::from(bus) << 16) | (u32::from(devfn) << 8) | u32::from(reg & 0xfc)
}

/// `pci_conf1_read()`: the aligned dword at `reg`.
pub fn pci_conf1_read(bus: u8, devfn: u8, reg: u8) -> u32 {
    let _guard = PCI_CONFIG_LOCK.lock_irqsave();
    // SAFETY: 0xCF8/0xCFC are the host bridge's configuration ports; an
    // address write followed by a data read has no other effect, and the
    // lock keeps the pair together.
    unsafe {
        Port::<u32>::new(PCI_CONF1_ADDRESS).write(pci_conf1_address(bus, devfn, reg));
        Port::<u32>::new(PCI_CONF1_DATA).read()
    }
}

/// `pci_conf1_write()`: the aligned dword at `reg`.
pub fn pci_conf1_write(bus: u8, devfn: u8, reg: u8, value: u32) {
    let _guard = PCI_CONFIG_LOCK.lock_irqsave();
    // SAFETY: as in `pci_conf1_read`; callers write only registers whose
    // meaning they know (command, BARs during sizing).
    unsafe {
        Port::<u32>::new(PCI_CONF1_ADDRESS).write(pci_conf1_address(bus, devfn, reg));
        Port::<u32>::new(PCI_CONF1_DATA).write(value)
    }
}

/// `PCI_DEVFN()`.
pub const fn pci_devfn(slot: u8, func: u8) -> u8 {
    (slot << 3) | (func & 7)
}

/// The `ConfigurationAccess` the virtio-pci transport reads capabilities
/// through.
pub struct PciConf1;

impl ConfigurationAccess for PciConf1 {
    fn read_word(&self, df: DeviceFunction, register_offset: u8) -> u32 {
        pci_conf1_read(df.bus, pci_devfn(df.device, df.function), register_offset)
    }

    fn write_word(&mut self, df: DeviceFunction, register_offset: u8, data: u32) {
        pci_conf1_write(
            df.bus,
            pci_devfn(df.device, df.function),
            register_offset,
            data,
        )
    }

    unsafe fn unsafe_clone(&self) -> Self {
        PciConf1
    }
}
