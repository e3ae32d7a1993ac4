//! ext2 disks made from host folders (`--data DIR`, boot/src/disk.rs):
//! /init mounts the disk with serial `data` at /data, and every file,
//! symlink and directory of the folder reads back as on the host, under
//! Linux 6.1 (its ext4 driver serving `-t ext2`) and under tinymm (the
//! same script and the same expectations, in its own test). An image file
//! given with `--data` is used in place: what Linux writes there is on the
//! host afterwards.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{boot_with, lines, section};

/// Entries of the big directory: three 4 KiB directory blocks of names.
const BIG_ENTRIES: usize = 300;
/// A symlink target too long for the inode (60 bytes): a block of its own.
const LONG_TARGET: &str =
    "sub/deeper/a-target-name-long-enough-that-ext2-keeps-it-in-a-data-block-not-the-inode";

/// Removes a test's folder or image when the test ends, passed or not.
struct Remove(PathBuf);

impl Drop for Remove {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Bytes that differ from block to block.
fn pattern(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_add(seed).wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

/// A fresh host folder: files of 0, 1, 4095, 4096 and 4097 bytes, 1 MiB +
/// 3 (through the indirect block), 5 MiB + 5 (through the double
/// indirect block), a file with a hole (data, `truncate`, data), a hard
/// link, a short and a long symlink, nested folders and a folder of
/// `BIG_ENTRIES` files.
fn host_folder(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("ext2-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub/deeper")).unwrap();
    std::fs::create_dir(dir.join("big")).unwrap();
    for (file, len) in [
        ("empty", 0),
        ("one", 1),
        ("b4095", 4095),
        ("b4096", 4096),
        ("b4097", 4097),
        ("mib", (1 << 20) + 3),
        ("sub/deeper/dind", (5 << 20) + 5),
    ] {
        std::fs::write(dir.join(file), pattern(len, len as u32)).unwrap();
    }
    std::fs::write(dir.join("sub/inner"), b"inner\n").unwrap();
    // Data in the first and the last block, a hole of 766 blocks between.
    let hole = dir.join("hole");
    std::fs::write(&hole, b"head").unwrap();
    let f = std::fs::OpenOptions::new()
        .append(true)
        .open(&hole)
        .unwrap();
    f.set_len((3 << 20) - 4).unwrap();
    use std::io::Write;
    (&f).write_all(b"tail").unwrap();
    std::fs::hard_link(dir.join("b4097"), dir.join("hard")).unwrap();
    std::os::unix::fs::symlink("sub/inner", dir.join("link")).unwrap();
    std::os::unix::fs::symlink(LONG_TARGET, dir.join("longlink")).unwrap();
    for i in 0..BIG_ENTRIES {
        let name = format!("entry-with-a-longer-name-{i:03}");
        std::fs::write(dir.join("big").join(&name), format!("{name}\n")).unwrap();
    }
    dir
}

/// The folder's paths as `find .` prints them (`./a/b`), sorted, with
/// their metadata (not following symlinks).
fn walk(dir: &Path) -> Vec<(String, std::fs::Metadata)> {
    fn go(dir: &Path, rel: &str, out: &mut Vec<(String, std::fs::Metadata)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let rel = format!("{rel}/{}", entry.file_name().to_str().unwrap());
            let meta = std::fs::symlink_metadata(entry.path()).unwrap();
            if meta.is_dir() {
                go(&entry.path(), &rel, out);
            }
            out.push((rel, meta));
        }
    }
    let mut out = Vec::new();
    go(dir, ".", &mut out);
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// `cd /data`, then one section per check.
const SCRIPT: &str = r#"
echo === mount
awk '$2 == "/data" { print $1, $2, $3 }' /proc/mounts
cd /data || exit 1
echo === md5
find . -type f | sort | xargs md5sum
echo === stat
find . ! -type d | sort | xargs stat -c '%n %s %F %h'
find . -type d | sort | xargs stat -c '%n %F %h'
echo === hole
stat -c '%s %b' hole
echo === readlink
readlink link; readlink longlink
echo === big
ls big | wc -l
ls big | sed -n '1p;$p'
echo === end
"#;

/// The sections SCRIPT prints for the image of `dir`, from the host's
/// view of the folder.
fn expected(dir: &Path) -> Vec<(&'static str, Vec<String>)> {
    let tree = walk(dir);
    let files: Vec<&str> = tree
        .iter()
        .filter(|(_, m)| m.is_file())
        .map(|(p, _)| p.as_str())
        .collect();
    let md5 = Command::new("md5sum")
        .args(&files)
        .current_dir(dir)
        .output()
        .expect("md5sum");
    assert!(md5.status.success());
    let md5: Vec<String> = String::from_utf8(md5.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(md5.len(), files.len());
    let mut stat: Vec<String> = tree
        .iter()
        .filter(|(_, m)| !m.is_dir())
        .map(|(p, m)| {
            let kind = match (m.is_symlink(), m.len()) {
                (true, _) => "symbolic link",
                (false, 0) => "regular empty file",
                (false, _) => "regular file",
            };
            format!("{p} {} {kind} {}", m.len(), m.nlink())
        })
        .collect();
    // A directory's links: its "." and its parent's entry, and each
    // subdirectory's "..". mke2fs adds /lost+found to the root.
    let subdirs = |dir: &str| {
        tree.iter()
            .filter(|(p, m)| m.is_dir() && Path::new(p).parent() == Some(Path::new(dir)))
            .count()
    };
    let mut dirs: Vec<String> = tree
        .iter()
        .filter(|(_, m)| m.is_dir())
        .map(|(p, _)| p.clone())
        .chain(["./lost+found".to_string()])
        .collect();
    dirs.sort();
    stat.push(format!(". directory {}", 2 + subdirs(".") + 1));
    stat.extend(
        dirs.iter()
            .map(|d| format!("{d} directory {}", 2 + subdirs(d))),
    );
    let big_first = "entry-with-a-longer-name-000".to_string();
    let big_last = format!("entry-with-a-longer-name-{:03}", BIG_ENTRIES - 1);
    vec![
        ("mount", vec!["/dev/vda /data ext2".to_string()]),
        ("md5", md5),
        ("stat", stat),
        // 512-byte blocks of the head and tail blocks and of the indirect
        // block mapping the tail: the hole stays a hole.
        ("hole", vec![format!("{} 24", 3 << 20)]),
        (
            "readlink",
            vec!["sub/inner".to_string(), LONG_TARGET.to_string()],
        ),
        ("big", vec![BIG_ENTRIES.to_string(), big_first, big_last]),
    ]
}

/// Boots with the folder as the data disk and checks every section.
fn reads_a_host_folder(name: &str, mem: &str, extra: &[&str]) {
    let dir = Remove(host_folder(name));
    let expected = expected(&dir.0);
    let data = format!("--data={}", dir.0.display());
    let mut args = extra.to_vec();
    args.push(&data);
    let (status, out) = boot_with(mem, false, SCRIPT, &args);
    let out = lines(&out);
    if let Some(line) = out.iter().find(|l| l.starts_with("init: ")) {
        panic!("{line}");
    }
    for (name, lines) in expected {
        assert_eq!(section(&out, name), lines, "section {name}");
    }
    assert_eq!(status, 0);
}

#[test]
fn linux_reads_a_host_folder() {
    reads_a_host_folder("linux", "256M", &["--linux"]);
}

#[test]
fn tinymm_reads_a_host_folder() {
    reads_a_host_folder("tinymm", "128M", &[]);
}

/// `--data IMAGE` attaches the file itself, writable: a file Linux creates
/// under /data is in the image afterwards, and the image is clean.
#[test]
fn linux_writes_reach_a_data_image() {
    let dir = Remove(host_folder("image"));
    let image = Remove(dir.0.with_extension("img"));
    let (dir, image) = (&dir.0, &image.0);
    std::fs::File::create(image)
        .unwrap()
        .set_len(32 << 20)
        .unwrap();
    let mkfs = Command::new("/sbin/mkfs.ext2")
        .args(["-q", "-F", "-b", "4096", "-I", "256"])
        .args(["-O", "^resize_inode,^dir_index,^ext_attr"])
        .args(["-E", "lazy_itable_init=0", "-d"])
        .arg(dir)
        .arg(image)
        .status()
        .expect("e2fsprogs");
    assert!(mkfs.success());
    let script = r#"
echo === write
grep -c ' /data ext2 rw' /proc/mounts
seq 1 20000 > /data/sub/written
rm /data/one
umount /data; echo umount=$?
echo === end
"#;
    let data = format!("--data={}", image.display());
    let (status, out) = boot_with("256M", false, script, &["--linux", &data]);
    assert_eq!(status, 0);
    let out = lines(&out);
    assert_eq!(section(&out, "write"), ["1", "umount=0"]);
    let debugfs = |request: &str| {
        let out = Command::new("/sbin/debugfs")
            .args(["-R", request])
            .arg(image)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let seq: String = (1..=20000).map(|i| format!("{i}\n")).collect();
    assert_eq!(debugfs("cat /sub/written"), seq);
    // `ls -p`: one /inode/mode/uid/gid/name/size/ line an entry.
    let root = debugfs("ls -p /");
    assert!(root.contains("/sub/"), "{root}");
    assert!(!root.contains("/one/"), "{root}");
    let fsck = Command::new("/sbin/e2fsck")
        .arg("-fn")
        .arg(image)
        .output()
        .unwrap();
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stdout)
    );
}

/// The wrapping u64 sum of the bytes, as `fileread` prints it.
fn byte_sum(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0u64, |s, &b| s.wrapping_add(u64::from(b)))
}

/// tinymm's page cache over the disk: a file read in a memcg is read by
/// readahead in a few large requests (only its data and its indirect
/// block), charged to the memcg as file pages, mapped with the same
/// bytes, and uncharged when the file system is unmounted (no
/// drop_caches) — which an
/// open or a mapped file prevents (EBUSY). A disk without ext2 is refused with
/// Linux's message; a directory is not a block device; mount options are
/// not implemented yet and get ext2's message.
#[test]
fn tinymm_page_cache_of_an_ext2_disk() {
    let dir = Remove(host_folder("pagecache"));
    let zero = Remove(dir.0.with_extension("zero"));
    std::fs::File::create(&zero.0)
        .unwrap()
        .set_len(8 << 20)
        .unwrap();
    let script = r#"
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir /sys/fs/cgroup/r
file() { awk '$1=="file"{print $2}' /sys/fs/cgroup/r/memory.stat; }
# fileread's own pages (from the initramfs) are charged first.
cgexec r /bin/fileread /init > /dev/null
f0=$(file)
stat -c %s /data/mib > /dev/null
d() { awk '$3=="vda"{print $4, $6}' /proc/diskstats; }
before=$(d)
echo === read
cgexec r /bin/fileread /data/mib
after=$(d)
echo "$before $after" | awk '{print "requests", ($3 - $1 <= 16), "sectors", $4 - $2}'
echo file $(($(file) - f0))
echo === mmap
cgexec r /bin/fileread /data/mib --mmap
echo === busy
exec 3</data/one
umount /data; echo umount=$?
exec 3<&-
/bin/fileread /data/one --mmap --hold > /dev/null &
sleep 1
umount /data; echo umount=$?
kill $!; wait $!
umount /data; echo umount=$?
# What is left is fileread's pages: every page of the disk went.
echo file $(($(file) - f0))
echo === bad
mount -t ext2 -o ro /dev/vdb /tmp; echo mount=$?
mount -t ext2 -o ro /sys /tmp; echo mount=$?
mount -t ext2 -o ro,errors=bogus /dev/vda /tmp; echo mount=$?
echo === end
"#;
    let data = format!("--data={}", dir.0.display());
    let disk = format!("--disk={}", zero.0.display());
    let (status, out) = boot_with("128M", false, script, &[&data, &disk]);
    let out = lines(&out);
    let mib = std::fs::read(dir.0.join("mib")).unwrap();
    let read = [
        format!("fileread: read {} bytes", mib.len()),
        format!("fileread: sum {}", byte_sum(&mib)),
    ];
    // 257 pages of data and the indirect block (in the disk's page cache).
    let pages = mib.len().div_ceil(4096) + 1;
    assert_eq!(
        section(&out, "read"),
        [
            read[0].as_str(),
            read[1].as_str(),
            &format!("requests 1 sectors {}", pages * 8),
            &format!("file {}", pages * 4096),
        ]
    );
    assert_eq!(section(&out, "mmap"), read);
    // ash reports the killed job ("Terminated") when it gets to it.
    let busy: Vec<&str> = section(&out, "busy")
        .into_iter()
        .filter(|l| *l != "Terminated")
        .collect();
    assert_eq!(
        busy,
        [
            "umount: can't unmount /data: Device or resource busy",
            "umount=1",
            "umount: can't unmount /data: Device or resource busy",
            "umount=1",
            "umount=0",
            "file 0",
        ]
    );
    assert_eq!(
        section(&out, "bad"),
        [
            "EXT2-fs (vdb): error: can't find an ext2 filesystem on dev vdb.",
            "mount: mounting /dev/vdb on /tmp failed: Invalid argument",
            "mount=255",
            "mount: mounting /sys on /tmp failed: Block device required",
            "mount=255",
            "EXT2-fs (vda): error: unrecognized mount option \"errors=bogus\" or missing value",
            "mount: mounting /dev/vda on /tmp failed: Invalid argument",
            "mount=255",
        ]
    );
    assert_eq!(status, 0);
}
