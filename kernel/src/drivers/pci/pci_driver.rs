//! `struct pci_dev`, PCI drivers and their matching (drivers/pci/pci-driver.c,
//! with bits of drivers/pci/pci.c and drivers/pci/pci-sysfs.c): the devices
//! `pci_scan_bus` found, drivers registered with an id table
//! (`pci_register_driver` → `driver_attach` → `pci_match_id` →
//! `pci_device_probe`), `pci_enable_device` and `pci_set_master`, and
//! /sys/bus/pci/devices/DOMAIN:BUS:SLOT.FUNC/{vendor,device,class,irq}.
//! Left out: power management, MSI/MSI-X (the devices interrupt through
//! INTx), removal.

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::Write;

use super::access::{pci_conf1_read, pci_conf1_write};
use super::probe::{PCI_COMMAND, PCI_COMMAND_IO, PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY};
use crate::fs::proc::{ProcDir, ProcDynamic, ProcFile};
use crate::fs::{DirEntry, FileType, Inode};
use crate::sync::SpinLock;
use crate::uapi::errno::KResult;

/// What a BAR decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceKind {
    Io,
    Mem { prefetch: bool, is64: bool },
}

/// One BAR as `struct resource`: start and length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resource {
    pub start: u64,
    pub len: u64,
    pub kind: ResourceKind,
}

/// `struct pci_dev`.
pub struct PciDev {
    pub bus: u8,
    pub devfn: u8,
    pub vendor: u16,
    pub device: u16,
    /// Class, subclass and programming interface (`class` is 24 bits).
    pub class: u32,
    pub revision: u8,
    pub hdr_type: u8,
    pub subsystem_vendor: u16,
    pub subsystem_device: u16,
    /// The interrupt line the firmware routed INTx to (`irq`).
    pub irq: u8,
    /// INTA..INTD as 1..4, 0 for none.
    pub pin: u8,
    /// The six BARs (`resource[PCI_STD_NUM_BARS]`); the upper half of a
    /// 64-bit BAR is None.
    pub resource: [Option<Resource>; 6],
}

impl PciDev {
    pub fn slot(&self) -> u8 {
        self.devfn >> 3
    }
    pub fn func(&self) -> u8 {
        self.devfn & 7
    }

    /// `pci_name()`: "0000:00:02.0".
    pub fn name(&self) -> String {
        format!("0000:{:02x}:{:02x}.{}", self.bus, self.slot(), self.func())
    }

    fn set_command_bits(&self, bits: u16) {
        let cmd = pci_conf1_read(self.bus, self.devfn, PCI_COMMAND);
        pci_conf1_write(
            self.bus,
            self.devfn,
            PCI_COMMAND,
            cmd & 0xffff | u32::from(bits),
        );
    }
}

/// `PCI_ANY_ID`.
pub const PCI_ANY_ID: u32 = !0;

/// `struct pci_device_id`: vendor and device, either of them any.
#[derive(Clone, Copy, Debug)]
pub struct PciDeviceId {
    pub vendor: u32,
    pub device: u32,
}

/// `struct pci_driver`.
pub struct PciDriver {
    pub name: &'static str,
    pub id_table: &'static [PciDeviceId],
    /// `probe`: Err leaves the device without a driver.
    pub probe: fn(&Arc<PciDev>, &PciDeviceId) -> KResult<()>,
}

struct PciState {
    devices: Vec<Arc<PciDev>>,
    /// The driver bound to each device, by index.
    bound: Vec<Option<&'static str>>,
    drivers: Vec<&'static PciDriver>,
}

static PCI: SpinLock<PciState> = SpinLock::new(PciState {
    devices: Vec::new(),
    bound: Vec::new(),
    drivers: Vec::new(),
});

/// `pci_match_id()`.
pub fn pci_match_id(ids: &'static [PciDeviceId], dev: &PciDev) -> Option<&'static PciDeviceId> {
    ids.iter().find(|id| {
        (id.vendor == PCI_ANY_ID || id.vendor == u32::from(dev.vendor))
            && (id.device == PCI_ANY_ID || id.device == u32::from(dev.device))
    })
}

/// `pci_enable_device()`: I/O and memory decoding on.
pub fn pci_enable_device(dev: &PciDev) {
    dev.set_command_bits(PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
}

/// `pci_set_master()`: the device may DMA.
pub fn pci_set_master(dev: &PciDev) {
    dev.set_command_bits(PCI_COMMAND_MASTER);
}

/// `driver_attach()`: probe every unbound device the driver matches, in
/// bus order (so disks are named in PCI order). Probes run without the
/// lock: they may sleep on I/O.
fn driver_attach(drv: &'static PciDriver) {
    let mut index = 0;
    loop {
        let dev = {
            let pci = PCI.lock_irqsave();
            let Some(dev) = pci.devices.get(index) else {
                return;
            };
            if pci.bound[index].is_some() {
                index += 1;
                continue;
            }
            dev.clone()
        };
        if let Some(id) = pci_match_id(drv.id_table, &dev) {
            match (drv.probe)(&dev, id) {
                Ok(()) => PCI.lock_irqsave().bound[index] = Some(drv.name),
                Err(e) => log::warn!("{} {}: probe failed: {e:?}", drv.name, dev.name()),
            }
        }
        index += 1;
    }
}

/// `pci_register_driver()`: the driver binds to the devices it matches.
pub fn pci_register_driver(drv: &'static PciDriver) {
    PCI.lock_irqsave().drivers.push(drv);
    driver_attach(drv);
}

/// `pci_subsys_init()` → `pci_scan_root_bus()`: enumerate bus 0, logging
/// each function as Linux's `pci_setup_device` does.
pub fn pci_subsys_init() {
    let devs = super::probe::pci_scan_bus(0);
    for d in &devs {
        log::info!(
            "pci {}: [{:04x}:{:04x}] type {:02x} class {:#08x}",
            d.name(),
            d.vendor,
            d.device,
            d.hdr_type & 0x7f,
            d.class
        );
    }
    let mut pci = PCI.lock_irqsave();
    pci.bound = alloc::vec![None; devs.len()];
    pci.devices = devs;
}

/// /sys/bus/pci/devices: one directory per device (pci-sysfs.c's
/// `vendor`, `device`, `class`, `irq` attributes).
pub struct PciSysfsDevices;

fn pci_dev_dir(dev: &Arc<PciDev>) -> Arc<dyn Inode> {
    let attr = |show: fn(&PciDev, &mut String) -> core::fmt::Result| -> Arc<dyn Inode> {
        let dev = dev.clone();
        ProcFile::new(move |m| show(&dev, m), None)
    };
    ProcDir::with_mode(
        0o755,
        alloc::vec![
            ("class", attr(|d, m| writeln!(m, "{:#08x}", d.class))),
            ("device", attr(|d, m| writeln!(m, "{:#06x}", d.device))),
            ("irq", attr(|d, m| writeln!(m, "{}", d.irq))),
            ("vendor", attr(|d, m| writeln!(m, "{:#06x}", d.vendor))),
        ],
        None,
    )
}

impl ProcDynamic for PciSysfsDevices {
    fn lookup(&self, name: &str) -> Option<Arc<dyn Inode>> {
        let dev = PCI
            .lock_irqsave()
            .devices
            .iter()
            .find(|d| d.name() == name)
            .cloned()?;
        Some(pci_dev_dir(&dev))
    }

    fn entries(&self) -> Vec<DirEntry> {
        let devs = PCI.lock_irqsave().devices.clone();
        devs.iter()
            .map(|d| DirEntry::new(&d.name(), pci_dev_dir(d).ino(), FileType::Dir))
            .collect()
    }
}
