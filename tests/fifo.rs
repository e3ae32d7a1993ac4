//! Named FIFOs through busybox in QEMU (fs/pipe.rs's `fifo_open`): a
//! writer in the background and `cat` as the reader meet through a
//! `mkfifo` node of tmpfs and of devtmpfs, a megabyte passes whole, an
//! O_RDWR descriptor (`<>`) talks to itself, the node lists as `p` with
//! size 0; and nothing is lost: after a warm-up round (the kernel heap
//! keeps what it grew to), a round of FIFOs made, used and unlinked
//! leaves free memory and the page cache where they were. The expected
//! lines are what Linux prints for the same commands. (Each round
//! writes through 256 FIFOs in turn: a pipe kept past its last close
//! would keep its 64 KiB ring, and 16 MiB more of kernel heap shows.)

mod common;

use common::{boot_with, lines, section, section_numbers};

/// One round of FIFO traffic; it leaves nothing behind.
const ROUND: &str = "mkfifo /tmp/r\n\
                     head -c 1000000 /dev/zero > /tmp/r &\n\
                     wc -c < /tmp/r\n\
                     wait\n\
                     exec 4<>/tmp/r\necho again >&4\nread z <&4\necho $z\nexec 4>&-\n\
                     rm /tmp/r\n\
                     for i in $(seq 256); do mkfifo /tmp/r$i; echo $i > /tmp/r$i & \
                     read v < /tmp/r$i; wait; rm /tmp/r$i; done; echo $v\n";

#[test]
fn fifos_through_busybox_and_nothing_is_lost() {
    let snapshot = |tag: &str| {
        format!(
            "echo 3 > /proc/sys/vm/drop_caches\necho === {tag}\ncat /proc/meminfo\necho === .\n"
        )
    };
    // One brace group, which sh reads whole before it runs it: reading
    // on in /scenario between the snapshots would cache a page of it.
    let script = format!(
        "{{\necho === basic\nmkfifo /tmp/f\n(echo hi > /tmp/f &)\ncat /tmp/f\n\
         ls -l /tmp/f | cut -c1-10\nstat -c '%F %s %a' /tmp/f\n\
         mkfifo /dev/f2\n(echo dev > /dev/f2 &)\ncat /dev/f2\n\
         exec 3<>/tmp/f\necho self >&3\nread y <&3\necho $y\nexec 3>&-\n\
         rm /tmp/f /dev/f2\nls /tmp\necho === .\n\
         echo === warm\n{ROUND}echo === .\n{before}\
         echo === round\n{ROUND}echo === .\n{after}exit 0\n}}\n",
        before = snapshot("before"),
        after = snapshot("after"),
    );
    let (status, out) = boot_with("256M", false, &script, &[]);
    assert_eq!(status, 0, "script failed");
    let out = lines(&out);
    assert_eq!(
        section(&out, "basic"),
        ["hi", "prw-r--r--", "fifo 0 644", "dev", "self"]
    );
    for round in ["warm", "round"] {
        assert_eq!(section(&out, round), ["1000000", "again", "256"], "{round}");
    }
    let (before, after) = (
        section_numbers(&out, "before"),
        section_numbers(&out, "after"),
    );
    for k in ["MemFree", "Cached", "Shmem", "AnonPages", "Slab"] {
        assert_eq!(after[k], before[k], "/proc/meminfo {k}");
    }
}
