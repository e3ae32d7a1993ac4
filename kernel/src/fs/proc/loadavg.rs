//! `/proc/loadavg` (fs/proc/loadavg.c): the three load averages, the
//! runnable and total task counts, and the pid handed out last.

use core::fmt::{self, Write};

use crate::task::loadavg::{FIXED_1, load_int_frac};

/// `loadavg_proc_show()`: `avnrun` is `avenrun` in fixed point; each is
/// rounded to two decimals (`get_avenrun(avnrun, FIXED_1/200, 0)`).
pub fn loadavg_proc_show(
    m: &mut impl Write,
    avnrun: [u64; 3],
    nr_running: u64,
    nr_threads: i32,
    last_pid: i32,
) -> fmt::Result {
    let [a, b, c] = avnrun.map(|x| load_int_frac(x + FIXED_1 / 200));
    writeln!(
        m,
        "{}.{:02} {}.{:02} {}.{:02} {nr_running}/{nr_threads} {last_pid}",
        a.0, a.1, b.0, b.1, c.0, c.1
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_format() {
        let mut m = alloc::string::String::new();
        // 3.11 4.16 3.68 as Linux keeps them (x * 2048, truncated).
        loadavg_proc_show(&mut m, [6369, 8519, 7536], 2, 107, 18612).unwrap();
        assert_eq!(m, "3.11 4.16 3.68 2/107 18612\n");
        m.clear();
        loadavg_proc_show(&mut m, [0, 0, 0], 1, 3, 42).unwrap();
        assert_eq!(m, "0.00 0.00 0.00 1/3 42\n");
    }
}
