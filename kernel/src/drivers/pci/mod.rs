//! PCI (drivers/pci/ and arch/x86/pci/direct.c): configuration space
//! through ports 0xCF8/0xCFC, enumeration of bus 0, `struct pci_dev`, and
//! drivers matched by id table.

pub mod access;
pub mod pci_driver;
pub mod probe;

pub use pci_driver::{
    PCI_ANY_ID, PciDev, PciDeviceId, PciDriver, pci_enable_device, pci_register_driver,
    pci_set_master, pci_subsys_init,
};
