//! The CMOS real-time clock, read once at boot for `CLOCK_REALTIME`;
//! mirrors `mach_get_cmos_time()` (arch/x86/kernel/rtc.c) and
//! `read_persistent_clock64()`.

use core::sync::atomic::{AtomicU64, Ordering};

use ::x86_64::instructions::port::Port;

const RTC_PORT_INDEX: u16 = 0x70;
const RTC_PORT_DATA: u16 = 0x71;

/// Seconds since the Unix epoch when the tick started (boot wall time).
static BOOT_WALL_SECONDS: AtomicU64 = AtomicU64::new(0);

fn cmos_read(reg: u8) -> u8 {
    // SAFETY: ports 0x70/0x71 are the CMOS index/data pair on every PC;
    // reading a clock register has no side effect (NMI stays enabled).
    unsafe {
        Port::<u8>::new(RTC_PORT_INDEX).write(reg);
        Port::<u8>::new(RTC_PORT_DATA).read()
    }
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `read_persistent_clock64()`: reads the RTC (waiting out an update) and
/// records the boot wall time.
pub fn read_persistent_clock() {
    // Wait while an update is in progress (status A bit 7).
    while cmos_read(0x0a) & 0x80 != 0 {
        core::hint::spin_loop();
    }
    let status_b = cmos_read(0x0b);
    let bcd = status_b & 0x04 == 0;
    let conv = |v: u8| -> i64 {
        if bcd {
            i64::from((v & 0x0f) + (v >> 4) * 10)
        } else {
            i64::from(v)
        }
    };
    let sec = conv(cmos_read(0x00));
    let min = conv(cmos_read(0x02));
    let hour_raw = cmos_read(0x04);
    let pm = status_b & 0x02 == 0 && hour_raw & 0x80 != 0;
    let mut hour = conv(hour_raw & 0x7f);
    if pm {
        hour = (hour % 12) + 12;
    }
    let day = conv(cmos_read(0x07));
    let month = conv(cmos_read(0x08));
    let year = 2000 + conv(cmos_read(0x09));
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + min * 60 + sec;
    BOOT_WALL_SECONDS.store(secs.max(0) as u64, Ordering::Relaxed);
}

/// Wall-clock seconds at boot.
pub fn boot_wall_seconds() -> u64 {
    BOOT_WALL_SECONDS.load(Ordering::Relaxed)
}
