//! `/proc/uptime` (fs/proc/uptime.c): seconds since boot and seconds the
//! CPU spent idle, each with two decimals.

use core::fmt::{self, Write};

const NSEC_PER_SEC: u64 = 1_000_000_000;

/// `uptime_proc_show()` for `uptime` and `idle` nanoseconds.
pub fn uptime_proc_show(m: &mut impl Write, uptime: u64, idle: u64) -> fmt::Result {
    let centis = |ns: u64| (ns / NSEC_PER_SEC, ns % NSEC_PER_SEC / (NSEC_PER_SEC / 100));
    let (us, uc) = centis(uptime);
    let (is, ic) = centis(idle);
    writeln!(m, "{us}.{uc:02} {is}.{ic:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_decimals_truncated() {
        let mut m = alloc::string::String::new();
        uptime_proc_show(&mut m, 12_828_859_999_999, 11_970_400_000_000).unwrap();
        assert_eq!(m, "12828.85 11970.40\n");
        m.clear();
        uptime_proc_show(&mut m, 1_050_000_000, 7_000_000).unwrap();
        assert_eq!(m, "1.05 0.00\n");
    }
}
