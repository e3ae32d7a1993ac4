//! `vmcheck` (user/src/bin/vmcheck.rs) on tinymm: the memory and file
//! syscalls checked against the expectations the same binary meets on
//! the host's Linux (tests/user.rs), with the same number of checks.

mod common;

use common::{boot_with, lines};

/// Must match `VMCHECK_CHECKS` in tests/user.rs, the host run's count.
const VMCHECK_CHECKS: u32 = 88;

#[test]
fn vmcheck_passes_on_tinymm() {
    let script = "/bin/vmcheck /data/vm\necho \"vmcheck status $?\"\n";
    let (status, out) = boot_with("128M", false, script, &["--gen", "/data/vm:64K"]);
    assert_eq!(status, 0, "script failed");
    let lines = lines(&out);
    let failures: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("vmcheck: FAIL"))
        .collect();
    assert!(failures.is_empty(), "{failures:?}");
    let summary = format!("{VMCHECK_CHECKS} passed, 0 failed");
    assert!(lines.contains(&summary.as_str()), "no line {summary:?}");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("vmcheck: ok "))
            .count(),
        VMCHECK_CHECKS as usize
    );
    assert!(lines.contains(&"vmcheck status 0"), "exit status");
}
