//! Shared memory in QEMU: 8 MiB of MAP_SHARED|MAP_ANONYMOUS memory
//! touched by a task in a memory cgroup is charged there as `shmem` (and
//! `file`), shows in /proc/meminfo's `Shmem:` and in the task's
//! `RssShmem`, and is all given back when the task exits, round after
//! round (free memory too); a shared mapping of a file on a `size=64k`
//! tmpfs raises SIGBUS at the first page past the limit, as Linux's
//! VM_FAULT_SIGBUS for ENOSPC. The holder is `/bin/shmap hold`
//! (user/c/shmap.c).

mod cbuild;
mod common;

use common::{boot_with, lines, memcg_snapshot, section, section_numbers};

const MIB8: u64 = 8 << 20;

#[test]
fn shared_anonymous_memory_is_shmem_of_its_memcg_and_nothing_is_lost() {
    cbuild::build();
    let add = format!("{}:/bin/shmap", cbuild::path("musl", "shmap").display());
    let snapshot = |tag: &str| memcg_snapshot("/sys/fs/cgroup/w", tag);
    // The program's own pages come into the page cache in the root
    // cgroup, so that the memcg's file pages are the shared memory's.
    let warm = "cgexec /sys/fs/cgroup /bin/shmap sigbus /tmp/warm 1 >/dev/null\n\
                rm /tmp/warm\n";
    // One round: the holder maps and touches 8 MiB inside the memcg and
    // says so through a pipe; the reader side takes the snapshots, kills
    // it, and the pipeline ends with its exit.
    let round = |n: u32| {
        format!(
            "{drop}{warm}{before}\
             cgexec w /bin/shmap hold {MIB8} | {{\nread ready\n\
             echo === ready{n}\necho \"$ready\"\n\
             grep RssShmem /proc/$(pidof shmap)/status\necho === .\n{during}\
             killall shmap\n}}\n{drop}{warm}{after}",
            drop = "echo 3 > /proc/sys/vm/drop_caches\n",
            before = snapshot(&format!("before{n}")),
            during = snapshot(&format!("during{n}")),
            after = snapshot(&format!("after{n}")),
        )
    };
    // One brace group, which sh reads whole before it runs it.
    let script = format!(
        "{{\necho +memory > /sys/fs/cgroup/cgroup.subtree_control\n\
         mkdir /sys/fs/cgroup/w\n{warm}{}{}\
         mkdir /tmp/small\nmount -t tmpfs -o size=64k tmpfs /tmp/small\n\
         echo === sigbus\n/bin/shmap sigbus /tmp/small/f 32\nrm /tmp/small/f\n/bin/shmap sigbus /tmp/small/g 4\n\
         echo === .\nexit 0\n}}\n",
        round(1),
        round(2)
    );
    let (status, out) = boot_with("256M", false, &script, &["--add", &add]);
    assert_eq!(status, 0, "{out}");
    let out = lines(&out);
    for n in [1, 2] {
        assert_eq!(
            section(&out, &format!("ready{n}")),
            ["hold: ready", "RssShmem:\t    8192 kB"],
            "round {n}"
        );
        let stat = |tag: &str| section_numbers(&out, &format!("stat.{tag}{n}"));
        let mem = |tag: &str| section_numbers(&out, &format!("mem.{tag}{n}"));
        let (sb, sd, sa) = (stat("before"), stat("during"), stat("after"));
        let (mb, md, ma) = (mem("before"), mem("during"), mem("after"));
        assert_eq!(sb["shmem"], 0, "round {n}: no shmem before");
        assert_eq!(sd["shmem"], MIB8, "round {n}: memory.stat shmem");
        assert_eq!(sd["file"] - sb["file"], MIB8, "round {n}: memory.stat file");
        assert_eq!(
            sd["file_mapped"] - sb["file_mapped"],
            MIB8,
            "round {n}: memory.stat file_mapped"
        );
        assert_eq!(md["Shmem"] - mb["Shmem"], MIB8 >> 10, "round {n}: Shmem");
        assert_eq!(sa["shmem"], 0, "round {n}: memory.stat shmem after exit");
        for k in [
            "file",
            "file_mapped",
            "anon",
            "active_anon",
            "inactive_anon",
        ] {
            assert_eq!(sa[k], sb[k], "round {n}: memory.stat {k} after exit");
        }
        for k in ["Shmem", "AnonPages"] {
            assert_eq!(ma[k], mb[k], "round {n}: /proc/meminfo {k} after exit");
        }
        // The shell's own mapped pages (more of busybox by then) stay
        // cached through drop_caches: the first round brings them in.
        if n == 2 {
            let a1 = section_numbers(&out, "mem.after1");
            for k in ["MemFree", "Cached", "Mapped", "Shmem", "AnonPages"] {
                assert_eq!(ma[k], a1[k], "nothing lost in round 2: {k}");
            }
        }
    }
    assert_eq!(
        section(&out, "sigbus"),
        ["sigbus: page 16", "sigbus: none"],
        "SIGBUS past size=64k"
    );
}
