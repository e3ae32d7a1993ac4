//! tmpfs in QEMU: a file written from a task in a memory cgroup is
//! charged there as `shmem` and `file`, shows in /proc/meminfo's
//! `Shmem:` and `Cached:`, survives drop_caches, and is all given back
//! when it is removed; a `size=1m` mount ends a write with ENOSPC at
//! exactly 1 MiB; devtmpfs shows the kernel's device nodes. The writer
//! is `/bin/tmpfs fill` (user/c/tmpfs.c).

mod cbuild;
mod common;

use common::{boot_with, lines, memcg_snapshot, section, section_numbers};

const MIB8: u64 = 8 << 20;

#[test]
fn shmem_is_charged_to_the_writer_and_nothing_is_lost() {
    cbuild::build();
    let add = format!("{}:/bin/tmpfs", cbuild::path("musl", "tmpfs").display());
    let snapshot = |tag: &str| memcg_snapshot("/sys/fs/cgroup/w", tag);
    // The program's own pages (and cgexec's) come into the page cache in
    // the root cgroup, so that the memcg's file pages are the tmpfs file's.
    let warm = "cgexec /sys/fs/cgroup /bin/tmpfs fill /tmp/warm 64K\n\
                /bin/tmpfs unlink /tmp/warm\n";
    // One round: write 8 MiB from inside the memcg, drop caches (which
    // drops the program's pages: they are read in again), remove. Before
    // and after are both taken just after dropped caches and the warm-up,
    // so that the page cache holds the same pages.
    let round = |n: u32| {
        format!(
            "{drop}{warm}{before}cgexec w /bin/tmpfs fill /tmp/big 8M\n{during}\
             {drop}{dropped}{warm}/bin/tmpfs unlink /tmp/big\n{drop}{warm}{after}",
            drop = "echo 3 > /proc/sys/vm/drop_caches\n",
            before = snapshot(&format!("before{n}")),
            during = snapshot(&format!("during{n}")),
            dropped = snapshot(&format!("dropped{n}")),
            after = snapshot(&format!("after{n}")),
        )
    };
    // One brace group, which sh reads whole before it runs it: reading
    // on in /scenario between two snapshots would cache a page of it.
    let script = format!(
        "{{\necho +memory > /sys/fs/cgroup/cgroup.subtree_control\n\
         mkdir /sys/fs/cgroup/w\n{warm}{}{}\
         mkdir /tmp/small\n/bin/tmpfs mount /tmp/small size=1m\n\
         echo === enospc\n/bin/tmpfs fill /tmp/small/f 2M\necho === .\n\
         mkdir /tmp/dev\necho === devtmpfs\n/bin/tmpfs mount /tmp/dev '' devtmpfs\n\
         ls -1 /tmp/dev\n/bin/tmpfs stat /tmp/dev/console\n/bin/tmpfs stat /tmp/dev/null\n\
         /bin/tmpfs stat /tmp/dev\necho === .\n\
         echo === mounts\ncat /proc/mounts\necho === .\nexit 0\n}}\n",
        round(1),
        round(2)
    );
    let (status, out) = boot_with("256M", false, &script, &["--add", &add]);
    assert_eq!(status, 0, "{out}");
    let out = lines(&out);
    for n in [1, 2] {
        let stat = |tag: &str| section_numbers(&out, &format!("stat.{tag}{n}"));
        let mem = |tag: &str| section_numbers(&out, &format!("mem.{tag}{n}"));
        let (sb, sd, sx, sa) = (
            stat("before"),
            stat("during"),
            stat("dropped"),
            stat("after"),
        );
        let (mb, md, mx, ma) = (mem("before"), mem("during"), mem("dropped"), mem("after"));
        assert_eq!(
            sd["shmem"] - sb["shmem"],
            MIB8,
            "round {n}: memory.stat shmem"
        );
        assert_eq!(sd["file"] - sb["file"], MIB8, "round {n}: memory.stat file");
        assert_eq!(
            sd["active_anon"] + sd["inactive_anon"] - sb["active_anon"] - sb["inactive_anon"],
            MIB8,
            "round {n}: on the anon LRU"
        );
        assert_eq!(sd["anon"], sb["anon"], "round {n}: not anonymous memory");
        assert_eq!(md["Shmem"] - mb["Shmem"], MIB8 >> 10, "round {n}: Shmem");
        assert_eq!(md["Cached"] - mb["Cached"], MIB8 >> 10, "round {n}: Cached");
        assert_eq!(
            sx["shmem"], sd["shmem"],
            "round {n}: drop_caches keeps them"
        );
        assert_eq!(
            mx["Shmem"], md["Shmem"],
            "round {n}: drop_caches keeps them"
        );
        for k in ["shmem", "file", "active_anon", "inactive_anon"] {
            assert_eq!(sa[k], sb[k], "round {n}: memory.stat {k} after rm");
        }
        for k in ["Shmem", "Cached"] {
            assert_eq!(ma[k], mb[k], "round {n}: /proc/meminfo {k} after rm");
        }
        if n == 2 {
            let a1 = section_numbers(&out, "mem.after1");
            assert_eq!(ma["MemFree"], a1["MemFree"], "nothing lost in round 2");
        }
    }
    assert_eq!(
        section(&out, "enospc"),
        ["fill: wrote 1048576", "fill: errno 28"],
        "ENOSPC at size=1m"
    );
    assert_eq!(
        section(&out, "devtmpfs"),
        [
            "mount: 0",
            "console",
            "full",
            "kmsg",
            "null",
            "random",
            "tty",
            "ttyS0",
            "urandom",
            "zero",
            "stat: mode 20600 rdev 5:1 nlink 1",
            "stat: mode 20666 rdev 1:3 nlink 1",
            "stat: mode 40755 rdev 0:0 nlink 2",
        ]
    );
    let mounts = section(&out, "mounts");
    assert!(
        mounts.contains(&"none /tmp/dev devtmpfs rw,relatime,mode=755 0 0"),
        "{mounts:?}"
    );
    assert!(
        mounts.contains(&"tmpfs /tmp tmpfs rw,relatime 0 0"),
        "{mounts:?}"
    );
    assert!(
        mounts.contains(&"none /tmp/small tmpfs rw,relatime,size=1024k 0 0"),
        "{mounts:?}"
    );
}
