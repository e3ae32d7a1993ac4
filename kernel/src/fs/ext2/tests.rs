//! Host tests of fs/ext2 against images made by e2fsprogs' mkfs.ext2
//! and mkfs.ext4, every value checked against debugfs and dumpe2fs.

use super::super_::ext2_fill_super;
use super::*;
use alloc::string::String;
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// An image in memory.
struct MemImage(Vec<u8>);

impl Ext2Bdev for MemImage {
    fn sb_bread(&self, nr: u64, buf: &mut [u8; EXT2_BLOCK_SIZE]) -> Result<(), Errno> {
        let start = usize::try_from(nr).map_err(|_| Errno::EIO)? * EXT2_BLOCK_SIZE;
        let b = self
            .0
            .get(start..start + EXT2_BLOCK_SIZE)
            .ok_or(Errno::EIO)?;
        buf.copy_from_slice(b);
        Ok(())
    }
    fn nr_blocks(&self) -> u64 {
        (self.0.len() / EXT2_BLOCK_SIZE) as u64
    }
}

fn tmp(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    std::env::temp_dir().join(format!(
        "tinymm-ext2-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ))
}

/// The byte at offset `i` of the big file.
fn pattern(i: usize) -> u8 {
    ((i * 7 + i / 4096) % 251) as u8
}

const SLOW_TARGET: &str = "tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt";

/// The tree the tests pack: returns its directory.
fn make_tree() -> PathBuf {
    let d = tmp("tree");
    std::fs::create_dir_all(d.join("dir300")).unwrap();
    std::fs::write(d.join("small"), b"hello\n").unwrap();
    let big: Vec<u8> = (0..5 << 20).map(pattern).collect();
    std::fs::write(d.join("big"), big).unwrap();
    let f = std::fs::File::create(d.join("sparse")).unwrap();
    f.set_len(10 << 20).unwrap();
    use std::os::unix::fs::FileExt;
    f.write_all_at(b"A", 3 * 4096).unwrap();
    f.write_all_at(b"B", 2000 * 4096).unwrap();
    for i in 1..=300 {
        std::fs::write(
            d.join(format!("dir300/entry_with_a_longish_name_{i}")),
            format!("{i}\n"),
        )
        .unwrap();
    }
    std::os::unix::fs::symlink("small", d.join("fast")).unwrap();
    std::os::unix::fs::symlink(SLOW_TARGET, d.join("slow")).unwrap();
    std::fs::hard_link(d.join("small"), d.join("hard")).unwrap();
    let ok = Command::new("mknod")
        .arg(d.join("chr"))
        .args(["c", "1", "3"])
        .status();
    assert!(
        ok.map(|s| s.success()).unwrap_or(false),
        "mknod (tests run as root)"
    );
    d
}

fn mkfs(prog: &str, args: &[&str], dir: Option<&Path>, size: &str) -> (PathBuf, Vec<u8>) {
    let img = tmp("img");
    let mut c = Command::new(prog);
    c.arg("-q").arg("-F").args(args);
    if let Some(d) = dir {
        c.arg("-d").arg(d);
    }
    let out = c.arg(&img).arg(size).output().expect("e2fsprogs");
    assert!(out.status.success(), "{prog}: {out:?}");
    let bytes = std::fs::read(&img).unwrap();
    (img, bytes)
}

const RECIPE: &[&str] = &[
    "-b",
    "4096",
    "-I",
    "256",
    "-O",
    "^resize_inode,^dir_index,^ext_attr",
    "-E",
    "lazy_itable_init=0",
];

fn tool(prog: &str, args: &[&str], img: &Path) -> String {
    let out = Command::new(prog).args(args).arg(img).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn debugfs(img: &Path, req: &str) -> String {
    tool("debugfs", &["-R", req], img)
}

/// A field of `dumpe2fs -h`.
fn dumpe2fs_field(img: &Path, key: &str) -> u64 {
    let h = tool("dumpe2fs", &["-h"], img);
    let line = h
        .lines()
        .find(|l| l.starts_with(&format!("{key}:")))
        .unwrap_or_else(|| panic!("{key}"));
    line.split(':').nth(1).unwrap().trim().parse().unwrap()
}

fn mount(bytes: Vec<u8>) -> Ext2Result<Ext2SbInfo> {
    ext2_fill_super(Arc::new(MemImage(bytes)), "vda", false, 0)
}

/// Path lookup from the root.
fn namei(sbi: &Ext2SbInfo, path: &str) -> Ext2Result<Ext2InodeInfo> {
    let mut inode = sbi.ext2_iget(EXT2_ROOT_INO)?;
    for c in path.split('/').filter(|c| !c.is_empty()) {
        let ino = sbi.ext2_inode_by_name(&inode, c.as_bytes())?;
        inode = sbi.ext2_iget(ino)?;
    }
    Ok(inode)
}

/// The file's bytes through the block map.
fn read_all(sbi: &Ext2SbInfo, inode: &Ext2InodeInfo) -> Vec<u8> {
    let mut out = Vec::new();
    for b in 0..inode.i_size.div_ceil(4096) {
        out.extend_from_slice(&sbi.ext2_read_block(inode, b).unwrap()[..]);
    }
    out.truncate(inode.i_size as usize);
    out
}

struct Fixture {
    img: PathBuf,
    bytes: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static F: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
    F.get_or_init(|| {
        let tree = make_tree();
        let (img, bytes) = mkfs("mkfs.ext2", RECIPE, Some(&tree), "16M");
        std::fs::remove_dir_all(tree).unwrap();
        Fixture { img, bytes }
    })
}

#[test]
fn ext2_statfs_matches_dumpe2fs() {
    let f = fixture();
    let sbi = mount(f.bytes.clone()).unwrap();
    let st = sbi.ext2_statfs();
    let blocks = dumpe2fs_field(&f.img, "Block count");
    let free = dumpe2fs_field(&f.img, "Free blocks");
    let reserved = dumpe2fs_field(&f.img, "Reserved block count");
    let inodes = dumpe2fs_field(&f.img, "Inode count");
    let ipg = dumpe2fs_field(&f.img, "Inodes per group");
    let bpg = dumpe2fs_field(&f.img, "Blocks per group");
    let inode_blocks = dumpe2fs_field(&f.img, "Inode blocks per group");
    assert_eq!(u64::from(sbi.s_es.s_blocks_count), blocks);
    assert_eq!(u64::from(sbi.s_inodes_per_group), ipg);
    let groups = blocks.div_ceil(bpg);
    // sparse_super: groups 0, 1 and powers of 3, 5, 7 carry a superblock
    // and the descriptor table (one block here).
    let backups = (0..groups)
        .filter(|&g| {
            g <= 1
                || [3u64, 5, 7].iter().any(|&b| {
                    let mut n = b;
                    while n < g {
                        n *= b;
                    }
                    n == g
                })
        })
        .count() as u64;
    let overhead = backups * 2 + groups * (2 + inode_blocks);
    assert_eq!(st.f_type, 0xEF53);
    assert_eq!(st.f_bsize, 4096);
    assert_eq!(st.f_blocks, blocks - overhead);
    assert_eq!(st.f_bfree, free);
    assert_eq!(st.f_bavail, free - reserved);
    assert_eq!(st.f_files, inodes);
    assert_eq!(st.f_ffree, dumpe2fs_field(&f.img, "Free inodes"));
    assert_eq!(st.f_namelen, 255);
}

/// debugfs's `stat` block list: (logical, physical) of every data
/// block, the indirect blocks left out.
fn debugfs_blocks(img: &Path, path: &str) -> Vec<(u64, u32)> {
    let stat = debugfs(img, &format!("stat {path}"));
    let list = stat
        .split("BLOCKS:")
        .nth(1)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    let mut out = Vec::new();
    for item in list.split(", ") {
        let (l, p) = item.trim().split_once("):").unwrap();
        let l = l.trim_start_matches('(');
        if l.ends_with("IND") {
            continue;
        }
        let range = |s: &str| -> (u64, u64) {
            match s.split_once('-') {
                Some((a, b)) => (a.parse().unwrap(), b.parse().unwrap()),
                None => (s.parse().unwrap(), s.parse().unwrap()),
            }
        };
        let ((l0, l1), (p0, _)) = (range(l), range(p));
        out.extend((l0..=l1).map(|i| (i, (p0 + i - l0) as u32)));
    }
    out
}

#[test]
fn big_file_block_map_and_bytes() {
    let f = fixture();
    let sbi = mount(f.bytes.clone()).unwrap();
    let big = namei(&sbi, "/big").unwrap();
    assert_eq!(big.i_size, 5 << 20);
    let want = debugfs_blocks(&f.img, "/big");
    assert_eq!(want.len(), 1280);
    let got: Vec<(u64, u32)> = (0..1280)
        .map(|b| (b, sbi.ext2_get_block(&big, b).unwrap().unwrap()))
        .collect();
    assert_eq!(got, want);
    // Past the end: holes, not errors.
    assert_eq!(sbi.ext2_get_block(&big, 1280).unwrap(), None);
    let data = read_all(&sbi, &big);
    assert!(data.iter().enumerate().all(|(i, &b)| b == pattern(i)));
    // Runs stop at a pointer block's end (the boundary).
    let m = sbi.ext2_get_blocks(&big, 0, 64).unwrap().unwrap();
    assert_eq!((m.first, m.count, m.boundary), (want[0].1, 12, true));
    assert!(sbi.ext2_get_blocks(&big, 1 << 40, 1).is_err());
}

#[test]
fn sparse_file_holes() {
    let f = fixture();
    let sbi = mount(f.bytes.clone()).unwrap();
    let sp = namei(&sbi, "/sparse").unwrap();
    assert_eq!(sp.i_size, 10 << 20);
    let want = debugfs_blocks(&f.img, "/sparse");
    assert_eq!(want.len(), 2);
    let mapped: Vec<(u64, u32)> = (0..2560)
        .filter_map(|b| sbi.ext2_get_block(&sp, b).unwrap().map(|p| (b, p)))
        .collect();
    assert_eq!(mapped, want);
    assert_eq!(want.iter().map(|w| w.0).collect::<Vec<_>>(), [3, 2000]);
    let data = read_all(&sbi, &sp);
    assert_eq!(data[3 * 4096], b'A');
    assert_eq!(data[2000 * 4096], b'B');
    assert_eq!(data.iter().filter(|&&b| b != 0).count(), 2);
}

#[test]
fn dir300_every_entry() {
    let f = fixture();
    let sbi = mount(f.bytes.clone()).unwrap();
    let dir = namei(&sbi, "/dir300").unwrap();
    assert!(sbi.dir_pages(&dir) > 1);
    let mut got = Vec::new();
    let mut pos = 0;
    sbi.ext2_readdir(&dir, &mut pos, &mut |name, ino, t| {
        got.push((String::from_utf8(name.to_vec()).unwrap(), ino, t));
        true
    })
    .unwrap();
    assert_eq!(pos, dir.i_size);
    // debugfs "ls -l": inode, mode, ..., name.
    let mut want: Vec<(String, u32)> = debugfs(&f.img, "ls -l /dir300")
        .lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let ino = w.first()?.parse().ok()?;
            Some((w.last()?.to_string(), ino))
        })
        .collect();
    want.sort();
    let mut names: Vec<(String, u32)> = got.iter().map(|(n, i, _)| (n.clone(), *i)).collect();
    names.sort();
    assert_eq!(names.len(), 302);
    assert_eq!(names, want);
    assert!(
        got.iter()
            .all(|(n, _, t)| *t == if n.starts_with('.') { 4 } else { 8 })
    );
    for (n, ino) in &names {
        assert_eq!(sbi.ext2_inode_by_name(&dir, n.as_bytes()).unwrap(), *ino);
    }
    assert_eq!(
        sbi.ext2_inode_by_name(&dir, b"nope").unwrap_err().errno,
        Errno::ENOENT
    );
    let e = namei(&sbi, "/dir300/entry_with_a_longish_name_177").unwrap();
    assert_eq!(read_all(&sbi, &e), b"177\n");
    // A position inside an entry moves to the next one.
    let mut pos = 5;
    let mut first = None;
    sbi.ext2_readdir(&dir, &mut pos, &mut |n, _, _| {
        first = Some(n.to_vec());
        false
    })
    .unwrap();
    assert_eq!(first.as_deref(), Some(&b".."[..]));
}

#[test]
fn links_symlinks_devices() {
    let f = fixture();
    let sbi = mount(f.bytes.clone()).unwrap();
    let small = namei(&sbi, "/small").unwrap();
    let hard = namei(&sbi, "/hard").unwrap();
    assert_eq!(small.i_ino, hard.i_ino);
    assert_eq!(small.i_nlink, 2);
    assert!(debugfs(&f.img, "stat /small").contains("Links: 2"));
    assert_eq!(read_all(&sbi, &small), b"hello\n");
    let fast = namei(&sbi, "/fast").unwrap();
    assert!(sbi.ext2_inode_is_fast_symlink(&fast));
    assert_eq!(sbi.ext2_get_link(&fast).unwrap(), b"small");
    let slow = namei(&sbi, "/slow").unwrap();
    assert!(!sbi.ext2_inode_is_fast_symlink(&slow));
    assert_eq!(slow.i_blocks, 8);
    assert_eq!(sbi.ext2_get_link(&slow).unwrap(), SLOW_TARGET.as_bytes());
    let chr = namei(&sbi, "/chr").unwrap();
    assert_eq!(chr.i_mode & S_IFMT, S_IFCHR);
    assert_eq!(chr.i_rdev, Some(crate::fs::DevT::new(1, 3)));
    // The 256-byte inode comes back byte for byte, extra fields and all.
    let raw = &chr.raw;
    assert_eq!(raw.extra.len(), 128);
    assert_eq!(u16::from_le_bytes([raw.extra[0], raw.extra[1]]), 32);
    assert_eq!(Ext2Inode::from_bytes(&raw.to_bytes()), *raw);
}

#[test]
fn bad_inode_numbers() {
    let sbi = mount(fixture().bytes.clone()).unwrap();
    assert_eq!(sbi.ext2_iget(0).unwrap_err().errno, Errno::EINVAL);
    let e = sbi.ext2_iget(sbi.s_es.s_inodes_count + 1).unwrap_err();
    assert_eq!(e.errno, Errno::EINVAL);
    assert!(e.msg.ends_with(&format!(
        "bad inode number: {}",
        sbi.s_es.s_inodes_count + 1
    )));
    // A free inode: ESTALE.
    assert_eq!(
        sbi.ext2_iget(sbi.s_es.s_inodes_count).unwrap_err().errno,
        Errno::ESTALE
    );
}

#[test]
fn default_ext2_mounts_ext4_refused() {
    let (_, b) = mkfs("mkfs.ext2", &["-b", "4096"], None, "64M");
    let sbi = mount(b).unwrap();
    assert!(sbi.has_compat_feature(EXT2_FEATURE_COMPAT_RESIZE_INO | EXT2_FEATURE_COMPAT_DIR_INDEX));
    let (img, b) = mkfs("mkfs.ext4", &["-b", "4096"], None, "64M");
    let incompat = sbi_incompat(&b) & !EXT2_FEATURE_INCOMPAT_SUPP;
    assert!(tool("dumpe2fs", &["-h"], &img).contains("extent"));
    let e = mount(b).err().unwrap();
    assert_eq!(e.errno, Errno::EINVAL);
    assert_eq!(
        e.msg,
        format!(
            "EXT2-fs (vda): error: couldn't mount because of unsupported optional features ({incompat:x})"
        )
    );
    let (_, b) = mkfs(
        "mkfs.ext4",
        &[
            "-b",
            "4096",
            "-O",
            "^has_journal,^metadata_csum,^64bit,^flex_bg,^huge_file,^dir_nlink,^extra_isize,^resize_inode,^dir_index,^ext_attr",
        ],
        None,
        "64M",
    );
    let e = mount(b).err().unwrap();
    assert_eq!(
        e.msg,
        "EXT2-fs (vda): error: couldn't mount because of unsupported optional features (40)"
    );
}

fn sbi_incompat(b: &[u8]) -> u32 {
    u32::from_le_bytes(b[1024 + 96..1024 + 100].try_into().unwrap())
}

fn put(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

#[test]
fn corrupt_superblocks() {
    let good = fixture().bytes.clone();
    let cases: &[(usize, u32, &str)] = &[
        (
            1024 + 56,
            0x1234,
            "error: can't find an ext2 filesystem on dev vda.",
        ),
        (1024 + 24, 40, "Invalid log block size: 40"),
        (
            1024 + 32,
            0,
            "error: #blocks per group smaller than metadata size: 0 <= ",
        ),
        (
            1024 + 32,
            1 << 20,
            "error: #blocks per group too big: 1048576",
        ),
        (
            1024 + 40,
            0,
            "error: can't find an ext2 filesystem on dev vda.",
        ),
    ];
    for &(off, v, msg) in cases {
        let mut b = good.clone();
        let keep = u32::from_le_bytes(b[off..off + 4].try_into().unwrap());
        let v = if off == 1024 + 56 {
            (keep & 0xffff_0000) | v
        } else {
            v
        };
        put(&mut b, off, v);
        let e = mount(b).err().unwrap();
        assert_eq!(e.errno, Errno::EINVAL);
        assert!(
            e.msg.starts_with(&format!("EXT2-fs (vda): {msg}")),
            "{}",
            e.msg
        );
    }
    // 1 KiB blocks: refused, tinymm's block is its page.
    let (_, b) = mkfs("mkfs.ext2", &["-b", "1024"], None, "8M");
    assert_eq!(
        mount(b).err().unwrap().msg,
        "EXT2-fs (vda): error: bad blocksize 1024"
    );
    // Group 0's inode table past the group.
    let mut b = good.clone();
    put(&mut b, 4096 + 8, 40000);
    let e = mount(b).err().unwrap();
    assert_eq!(e.errno, Errno::EINVAL);
    assert!(
        e.msg
            .contains("Inode table for group 0 not in group (block 40000)!")
    );
    assert!(e.msg.ends_with("group descriptors corrupted"));
}

#[test]
fn corrupt_directory_and_indirect_block() {
    let f = fixture();
    let sbi = mount(f.bytes.clone()).unwrap();
    let dir = namei(&sbi, "/dir300").unwrap();
    let blk = sbi.ext2_get_block(&dir, 0).unwrap().unwrap() as usize;
    // rec_len of '.' set to 0, then past the block.
    for (rec, what) in [
        (0u16, "rec_len is smaller than minimal"),
        (8192, "directory entry across blocks"),
    ] {
        let mut b = f.bytes.clone();
        b[blk * 4096 + 4..blk * 4096 + 6].copy_from_slice(&rec.to_le_bytes());
        let sbi = mount(b).unwrap();
        let e = sbi.ext2_inode_by_name(&dir, b"x").unwrap_err();
        assert_eq!(e.errno, Errno::EIO);
        assert!(
            e.msg.contains(&format!(
                "bad entry in directory #{}: : {what} - offset=0",
                dir.i_ino
            )),
            "{}",
            e.msg
        );
    }
    // The big file's IND pointer beyond s_blocks_count: EIO.
    let big = sbi.ext2_iget(namei(&sbi, "/big").unwrap().i_ino).unwrap();
    let mut b = f.bytes.clone();
    let ino = big.i_ino as usize;
    let gd = sbi.s_group_desc[0].bg_inode_table as usize;
    let off = gd * 4096 + (ino - 1) * 256 + 40 + 4 * EXT2_IND_BLOCK;
    put(&mut b, off, sbi.s_es.s_blocks_count + 5);
    let sbi2 = mount(b).unwrap();
    let big2 = sbi2.ext2_iget(big.i_ino).unwrap();
    assert_eq!(
        sbi2.ext2_get_block(&big2, 11).unwrap(),
        Some(big.i_data[11])
    );
    assert_eq!(
        sbi2.ext2_get_block(&big2, 12).unwrap_err().errno,
        Errno::EIO
    );
}

/// Walks everything reachable; must never panic.
fn walk(sbi: &Ext2SbInfo, inode: &Ext2InodeInfo, depth: u32) {
    let _ = sbi.ext2_statfs();
    if inode.is_dir() && depth < 4 {
        let mut kids = Vec::new();
        let mut pos = 0;
        let _ = sbi.ext2_readdir(inode, &mut pos, &mut |n, ino, _| {
            if n != b"." && n != b".." {
                kids.push(ino);
            }
            kids.len() < 400
        });
        for ino in kids {
            if let Ok(k) = sbi.ext2_iget(ino) {
                walk(sbi, &k, depth + 1);
            }
        }
        let _ = sbi.ext2_find_entry(inode, b"big");
    } else if inode.is_lnk() {
        let _ = sbi.ext2_get_link(inode);
    } else {
        for b in [0, 11, 12, 500, 1035, 1036, 1279, 1 << 22, (1 << 30) + 1063] {
            let _ = sbi.ext2_get_blocks(inode, b, 16);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]
    #[test]
    fn random_corruption_never_panics(flips in proptest::collection::vec((0usize..64 * 4096, any::<u8>()), 1..32)) {
        let f = fixture();
        // Flip bytes in the metadata-rich first 64 blocks (superblock,
        // descriptors, bitmaps, inode tables, directories).
        let mut b = f.bytes.clone();
        let sbi0 = mount(f.bytes.clone()).unwrap();
        let dir = namei(&sbi0, "/dir300").unwrap();
        let dblk = sbi0.ext2_get_block(&dir, 0).unwrap().unwrap() as usize;
        for (i, (off, x)) in flips.iter().enumerate() {
            let off = if i % 2 == 0 { *off } else { dblk * 4096 + off % 8192 };
            b[off] ^= x;
        }
        if let Ok(sbi) = mount(b.clone())
            && let Ok(root) = sbi.ext2_iget(EXT2_ROOT_INO)
        {
            walk(&sbi, &root, 0);
        }
        // The same through the VFS and the page cache, with readahead:
        // whatever it reads, unmounting returns every page.
        if let Ok(sbi) = mount(b) {
            let pgdat = corruption_node();
            let free = pgdat.zone_page_state_sum(crate::mm::mmzone::ZoneStatItem::NrFreePages);
            let fs = super_::Ext2Fs::new(sbi, pgdat);
            if let Ok(root) = fs.iget(EXT2_ROOT_INO) {
                vfs_walk(&(root as Arc<dyn crate::fs::Inode>), 0);
            }
            crate::fs::super_block::SuperOperations::kill_sb(&*fs);
            prop_assert_eq!(
                pgdat.zone_page_state_sum(crate::mm::mmzone::ZoneStatItem::NrFreePages),
                free
            );
        }
    }
}

/// The node the corruption cases' page caches live on.
fn corruption_node() -> &'static crate::mm::mmzone::PglistData {
    static NODE: std::sync::OnceLock<&'static crate::mm::mmzone::PglistData> =
        std::sync::OnceLock::new();
    NODE.get_or_init(|| {
        let (pgdat, _) = crate::mm::testing::node(&[(0x1000, 64 << 20)], &[]);
        Box::leak(Box::new(pgdat))
    })
}

/// Every name, link and (the first MiB of every) file through the VFS
/// inode operations and `filemap_read` with readahead.
fn vfs_walk(inode: &Arc<dyn crate::fs::Inode>, depth: usize) {
    use crate::fs::FileType;
    use crate::mm::filemap::filemap_read;
    use crate::mm::readahead::FileRaState;
    if depth > 4 {
        return;
    }
    match inode.file_type() {
        FileType::Dir => {
            for e in inode.readdir().unwrap_or_default().iter().take(50) {
                if let Ok(child) = inode.lookup(&e.name) {
                    vfs_walk(&child, depth + 1);
                }
            }
        }
        FileType::Lnk => {
            let _ = inode.readlink();
        }
        FileType::Reg => {
            let Some(mapping) = inode.mapping() else {
                return;
            };
            let mut ra = FileRaState::new(mapping);
            let mut buf = vec![0u8; 64 << 10];
            let mut pos = 0;
            while pos < 1 << 20 {
                match filemap_read(mapping, Some(&mut ra), pos, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => pos += n as u64,
                }
            }
        }
        _ => {}
    }
}

#[test]
fn block_to_path_levels() {
    let sbi = mount(fixture().bytes.clone()).unwrap();
    let p = |b| {
        sbi.ext2_block_to_path(b)
            .map(|p| (p.depth, p.offsets, p.boundary))
    };
    assert_eq!(p(11).unwrap(), (1, [11, 0, 0, 0], 0));
    assert_eq!(p(12).unwrap(), (2, [12, 0, 0, 0], 1023));
    assert_eq!(p(12 + 1024 + 1025).unwrap(), (3, [13, 1, 1, 0], 1022));
    let t = 12 + 1024 + (1 << 20);
    assert_eq!(p(t).unwrap(), (4, [14, 0, 0, 0], 1023));
    assert_eq!(
        p(t + (1 << 30) - 1).unwrap(),
        (4, [14, 1023, 1023, 1023], 0)
    );
    let e = p(t + (1 << 30)).unwrap_err();
    assert_eq!(
        (e.errno, e.msg.as_str()),
        (
            Errno::EIO,
            "EXT2-fs (vda): warning: ext2_block_to_path: block is too big"
        )
    );
    assert_eq!(p(-1).unwrap_err().errno, Errno::EIO);
}

/// The VFS side over the page cache: lookups, readdir, stat, symlinks
/// and file data read through `ext2_read_folio` match the tree packed;
/// every page read is cached once and charged as file pages, and when
/// the file system goes (`kill_sb`), the pages and the free count return.
#[test]
fn vfs_reads_through_the_page_cache_and_umount_returns_every_page() {
    use crate::fs::Inode;
    use crate::fs::super_block::SuperOperations;
    use crate::mm::filemap::filemap_read;
    use crate::mm::mmzone::{NodeStatItem, PglistData, ZoneStatItem};

    let tree = make_tree();
    let (_img, bytes) = mkfs("mkfs.ext2", RECIPE, Some(&tree), "64M");
    let (pgdat, _) = crate::mm::testing::node(&[(0x1000, 64 << 20)], &[]);
    let pgdat: &'static PglistData = Box::leak(Box::new(pgdat));
    let free0 = pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages);
    let fs = super_::Ext2Fs::new(mount(bytes).unwrap(), pgdat);
    let root = fs.iget(EXT2_ROOT_INO).unwrap();

    let mut names: Vec<String> = root
        .readdir()
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "big",
            "chr",
            "dir300",
            "fast",
            "hard",
            "lost+found",
            "slow",
            "small",
            "sparse"
        ]
    );
    assert_eq!(root.lookup("dir300").unwrap().readdir().unwrap().len(), 300);
    assert_eq!(root.lookup("nope").err(), Some(Errno::ENOENT));
    assert_eq!(root.lookup("fast").unwrap().readlink().unwrap(), "small");
    assert_eq!(
        root.lookup("slow").unwrap().readlink().unwrap(),
        SLOW_TARGET
    );
    let chr = root.lookup("chr").unwrap();
    assert_eq!(chr.rdev(), crate::fs::DevT::new(1, 3));
    let small = root.lookup("small").unwrap();
    let hard = root.lookup("hard").unwrap();
    assert_eq!((small.ino(), small.getattr().nlink), (hard.ino(), 2));
    assert!(
        Arc::ptr_eq(small.mapping().unwrap(), hard.mapping().unwrap()),
        "one inode, one page cache"
    );

    let big = root.lookup("big").unwrap();
    let mapping = big.mapping().unwrap().clone();
    let mut buf = vec![0u8; (5 << 20) + 10];
    assert_eq!(filemap_read(&mapping, None, 0, &mut buf).unwrap(), 5 << 20);
    assert!(
        buf[..5 << 20]
            .iter()
            .enumerate()
            .all(|(i, &b)| b == pattern(i))
    );
    assert_eq!(mapping.nrpages(), 1280);
    let sparse = root.lookup("sparse").unwrap().mapping().unwrap().clone();
    let mut page = [0xffu8; 4096];
    filemap_read(&sparse, None, 3 * 4096, &mut page).unwrap();
    assert_eq!((page[0], page[1..].iter().all(|&b| b == 0)), (b'A', true));
    filemap_read(&sparse, None, 100 * 4096, &mut page).unwrap();
    assert!(page.iter().all(|&b| b == 0), "a hole reads as zeroes");
    let mut short = [0u8; 16];
    assert_eq!(
        filemap_read(&sparse, None, (10 << 20) - 4, &mut short).unwrap(),
        4
    );
    assert_eq!(pgdat.page_state(NodeStatItem::NrFilePages), 1280 + 3);

    drop((root, big, mapping, sparse, small, hard, chr));
    fs.kill_sb();
    assert_eq!(pgdat.page_state(NodeStatItem::NrFilePages), 0);
    assert_eq!(pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages), free0);
    assert_eq!(Arc::strong_count(&fs), 1, "no inode keeps the file system");
}
