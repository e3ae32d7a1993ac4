//! The busybox userland of `run --init busybox`: the host's busybox-static
//! (Debian's `busybox-static` package, which `make deps` installs) as
//! `/bin/busybox`, a symbolic link to it per applet where `busybox
//! --install -s` would put one (`busybox --list-full` says where:
//! `bin/sh`, `sbin/poweroff`, `usr/bin/awk`, ...), and `/init`, a
//! `#!/bin/sh` script doing what a Linux initramfs does before it hands
//! over: mount proc, sysfs, cgroup2 (and tmpfs and devtmpfs where the
//! kernel has them), load modules, turn on swap, mount the disk with
//! serial `data` (disk.rs `--data`) at /data, then run the scenario
//! (`/scenario`, the `--script` file) or an interactive `sh`, and end the
//! run with its status. The kernel mounts nothing but the root, so the
//! same archive boots Linux.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::initramfs::{GuestFile, Source};

/// Where busybox-static installs it.
pub const HOST_BUSYBOX: &str = "/bin/busybox";
/// The busybox binary in the guest; every applet link points here.
pub const GUEST_BUSYBOX: &str = "/bin/busybox";
/// Where `--script` goes in the guest.
pub const SCENARIO: &str = "/scenario";

/// `/init`. `sh` is a child, not exec'd, so /init sees its status: 0 ends
/// the run with `poweroff -f` (a clean power-off on Linux as well), any
/// other status by init exiting with it, which tinymm turns into a
/// power-off with that status (Linux panics: "Attempted to kill init!").
pub const INIT_SCRIPT: &str = r#"#!/bin/sh
# tinymm's /init (written by the tinymm host program, boot/src/busybox.rs):
# the mounts a Linux initramfs makes, then the scenario or a shell.
export PATH=/sbin:/usr/sbin:/bin:/usr/bin
has() { grep -qw "$1" /proc/filesystems; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t cgroup2 cgroup2 /sys/fs/cgroup
if has tmpfs; then mount -t tmpfs tmpfs /tmp; fi
if has devtmpfs; then mount -t devtmpfs devtmpfs /dev; fi
for m in /lib/modules/tinymm/*.ko; do [ -f "$m" ] && insmod "$m"; done
# swapon=DEVICE on the kernel command line (tinymm run --swapon) is in our
# environment, as Linux passes unknown boot parameters to init.
if [ -n "$swapon" ]; then swapon "$swapon"; fi
# The disk with serial "data" (tinymm run --data, make run DISK=) goes on
# /data; virtio_blk shows serials in sysfs, on Linux as on tinymm.
for s in /sys/block/vd*/serial; do
	[ "$(cat "$s" 2>/dev/null)" = data ] || continue
	dev=${s%/serial}; dev=/dev/${dev#/sys/block/}
	mkdir -p /data
	err=$(mount -t ext2 "$dev" /data 2>&1) || echo "init: $dev (serial data) not mounted on /data: $err"
	break
done
if [ -f /scenario ]; then
	sh /scenario
else
	sh
fi
status=$?
if [ "$status" = 0 ]; then poweroff -f; fi
exit "$status"
"#;

/// `/bin/cgexec CGROUP COMMAND [ARG...]`: runs COMMAND as a member of
/// CGROUP (a cgroup2 directory, absolute or under /sys/fs/cgroup), as the
/// selftests' `cg_run` does and what libcgroup's `cgexec -g` is for: the
/// process moves itself, then execs, so its pid is COMMAND's (`$!` of
/// `cgexec ... &` can be killed and waited for) and the calling shell's
/// pages stay charged where the shell is.
pub const CGEXEC_SCRIPT: &str = r#"#!/bin/sh
# cgexec CGROUP COMMAND [ARG...] (written by the tinymm host program,
# boot/src/busybox.rs): COMMAND runs in CGROUP.
case "$1" in
/*) cg=$1 ;;
*) cg=/sys/fs/cgroup/$1 ;;
esac
shift
echo $$ > "$cg/cgroup.procs" || exit 125
exec "$@"
"#;

/// The applets' install paths from `busybox --list-full` (relative, as it
/// prints them: `usr/bin/[`, `bin/sh`, ...).
pub fn list_full(busybox: &Path) -> Result<Vec<String>, String> {
    let output = Command::new(busybox)
        .arg("--list-full")
        .output()
        .map_err(|e| {
            format!(
                "cannot run {} (make deps installs busybox-static): {e}",
                busybox.display()
            )
        })?;
    if !output.status.success() {
        return Err(format!(
            "{} --list-full failed ({})",
            busybox.display(),
            output.status
        ));
    }
    let text = String::from_utf8(output.stdout)
        .map_err(|_| format!("{} --list-full: not UTF-8", busybox.display()))?;
    Ok(parse_list_full(&text))
}

/// The non-empty lines of `busybox --list-full`.
fn parse_list_full(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// The guest files of a busybox userland: `/bin/busybox` (a copy of
/// `busybox`), one link per applet path of `applets` except those in
/// `taken` (other files of the archive, e.g. the workload program
/// `/bin/sleep`, keep their paths), `/bin/cgexec`, `/init`, and
/// `/scenario` from `scenario`.
pub fn userland(
    busybox: &Path,
    applets: &[String],
    scenario: Option<&Path>,
    taken: &[&str],
) -> Vec<GuestFile> {
    let mut files = vec![GuestFile {
        path: GUEST_BUSYBOX.into(),
        mode: 0o755,
        source: Source::Host(busybox.to_path_buf()),
    }];
    for applet in applets {
        let path = format!("/{}", applet.trim_start_matches('/'));
        if path == GUEST_BUSYBOX || taken.contains(&path.as_str()) {
            continue;
        }
        files.push(GuestFile {
            path,
            mode: 0o777,
            source: Source::Symlink(GUEST_BUSYBOX.into()),
        });
    }
    files.push(GuestFile {
        path: "/bin/cgexec".into(),
        mode: 0o755,
        source: Source::Text(CGEXEC_SCRIPT.as_bytes().to_vec()),
    });
    files.push(GuestFile {
        path: "/init".into(),
        mode: 0o755,
        source: Source::Text(INIT_SCRIPT.as_bytes().to_vec()),
    });
    if let Some(script) = scenario {
        files.push(GuestFile {
            path: SCENARIO.into(),
            mode: 0o644,
            source: Source::Host(PathBuf::from(script)),
        });
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_full_lines() {
        assert_eq!(
            parse_list_full("usr/bin/[\nbin/sh\n\nsbin/poweroff\n"),
            ["usr/bin/[", "bin/sh", "sbin/poweroff"]
        );
    }

    #[test]
    fn layout() {
        let applets: Vec<String> = ["bin/sh", "bin/sleep", "sbin/poweroff", "usr/bin/["]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let files = userland(
            Path::new("/host/busybox"),
            &applets,
            Some(Path::new("/host/s.sh")),
            &["/bin/sleep"],
        );
        let summary: Vec<(&str, u32, &Source)> = files
            .iter()
            .map(|f| (f.path.as_str(), f.mode, &f.source))
            .collect();
        let link = Source::Symlink("/bin/busybox".into());
        assert_eq!(
            summary,
            [
                ("/bin/busybox", 0o755, &Source::Host("/host/busybox".into())),
                ("/bin/sh", 0o777, &link),
                ("/sbin/poweroff", 0o777, &link),
                ("/usr/bin/[", 0o777, &link),
                (
                    "/bin/cgexec",
                    0o755,
                    &Source::Text(CGEXEC_SCRIPT.as_bytes().to_vec())
                ),
                (
                    "/init",
                    0o755,
                    &Source::Text(INIT_SCRIPT.as_bytes().to_vec())
                ),
                ("/scenario", 0o644, &Source::Host("/host/s.sh".into())),
            ]
        );
        // Without a script there is no /scenario, and /init runs `sh`.
        let files = userland(Path::new("/host/busybox"), &applets, None, &[]);
        assert_eq!(files.last().unwrap().path, "/init");
        assert!(files.iter().any(|f| f.path == "/bin/sleep"));
    }

    #[test]
    fn init_script() {
        let lines: Vec<&str> = INIT_SCRIPT.lines().collect();
        assert_eq!(lines[0], "#!/bin/sh");
        for mount in [
            "mount -t proc proc /proc",
            "mount -t sysfs sysfs /sys",
            "mount -t cgroup2 cgroup2 /sys/fs/cgroup",
            "if has tmpfs; then mount -t tmpfs tmpfs /tmp; fi",
            "if has devtmpfs; then mount -t devtmpfs devtmpfs /dev; fi",
        ] {
            assert!(lines.contains(&mount), "{mount}");
        }
        assert!(lines.contains(&"\tsh /scenario"));
        // The data disk is found by serial and mounted as ext2 (Linux's
        // ext4 driver registers ext2 too); a failure is one line.
        assert!(lines.contains(&"for s in /sys/block/vd*/serial; do"));
        assert!(lines.contains(&"\t[ \"$(cat \"$s\" 2>/dev/null)\" = data ] || continue"));
        assert!(lines.contains(
            &"\terr=$(mount -t ext2 \"$dev\" /data 2>&1) || echo \"init: $dev (serial data) not mounted on /data: $err\""
        ));
        assert_eq!(
            &lines[lines.len() - 3..],
            [
                "status=$?",
                "if [ \"$status\" = 0 ]; then poweroff -f; fi",
                "exit \"$status\"",
            ]
        );
    }

    /// The host's busybox-static lists the applets the guest needs, at
    /// the paths `--install -s` uses.
    #[test]
    fn host_busybox_applets() {
        let applets = list_full(Path::new(HOST_BUSYBOX)).expect("busybox-static (make deps)");
        for applet in [
            "bin/sh",
            "bin/mount",
            "bin/cat",
            "sbin/poweroff",
            "sbin/reboot",
            "sbin/halt",
            "usr/bin/head",
        ] {
            assert!(applets.iter().any(|a| a == applet), "{applet}");
        }
    }
}
