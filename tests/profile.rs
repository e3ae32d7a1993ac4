//! Kernel profiling by timer tick (kernel/profile.c): `profile=2` on the
//! command line makes /proc/profile (the step, then one counter per 4
//! bytes of text from `_stext` to `_etext`); a write resets it, a
//! four-byte write asks for a multiplier x86 does not have (EINVAL, as
//! Linux 6.1 here answers the same script); an idle second lands in the
//! idle loop. Without `profile=` there is no /proc/profile.

mod common;

use common::{boot, boot_with, lines, section, tinymm};

/// The kernel ELF's text symbols, sorted: (address, name).
fn text_symbols() -> Vec<(u64, String)> {
    let (status, elf, _) = tinymm(&["elf"]);
    assert_eq!(status, 0);
    let out = std::process::Command::new("nm")
        .args(["-n", "--demangle", elf.trim()])
        .output()
        .expect("run nm");
    let mut syms: Vec<(u64, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (addr, rest) = l.split_once(' ')?;
            let (kind, name) = rest.split_once(' ')?;
            matches!(kind, "T" | "t" | "W" | "w")
                .then(|| Some((u64::from_str_radix(addr, 16).ok()?, name.to_string())))?
        })
        .collect();
    syms.sort();
    syms
}

#[test]
fn proc_profile_counts_kernel_ticks_by_text_address() {
    let script = "echo === head\n\
                  od -An -tu4 -N4 /proc/profile\nwc -c < /proc/profile\n\
                  echo === writes\n\
                  printf abcd > /proc/profile; echo rc=$?\n\
                  printf abcde > /proc/profile; echo rc=$?\n\
                  echo === idle\n\
                  echo > /proc/profile; sleep 1\n\
                  od -An -tu4 -v -w4 /proc/profile | awk 'NR > 1 && $1 != 0 { print NR - 2, $1 }'\n\
                  echo === end\n";
    let (status, out) = boot_with("128M", false, script, &["--append", "profile=2"]);
    assert_eq!(status, 0);
    let out = lines(&out);
    let syms = text_symbols();
    let addr = |name: &str| syms.iter().find(|(_, n)| n == name).unwrap().0;
    let (stext, etext) = (addr("_stext"), addr("_etext"));
    let prof_len = (etext - stext) >> 2;
    let head = section(&out, "head");
    assert_eq!(head[0].trim(), "4", "sample step 1 << 2");
    assert_eq!(head[1].trim(), ((prof_len + 1) * 4).to_string());
    assert_eq!(section(&out, "writes"), ["rc=1", "rc=0"]);
    // Hits of the idle second, by function.
    let mut total = 0;
    let mut idle = 0;
    for line in section(&out, "idle") {
        let (bucket, hits) = line.split_once(' ').unwrap();
        let (bucket, hits): (u64, u64) = (bucket.parse().unwrap(), hits.parse().unwrap());
        let pc = stext + (bucket << 2);
        let f = syms.partition_point(|(a, _)| *a <= pc) - 1;
        total += hits;
        if syms[f].1.ends_with("cpu_startup_entry") {
            idle += hits;
        }
    }
    // 1000 ticks a second, nearly all of them in the idle loop's hlt.
    assert!((900..=1200).contains(&total), "{total} hits in a second");
    assert!(idle * 10 >= total * 9, "{idle} of {total} hits idle");
}

#[test]
fn no_proc_profile_without_the_parameter() {
    let (status, out) = boot("128M", false, "ls /proc/profile; echo rc=$?\n");
    assert_eq!(status, 0);
    let out = lines(&out);
    assert!(out.contains(&"rc=1"), "{out:?}");
}
