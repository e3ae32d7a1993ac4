//! Host tests of tmpfs: option parsing and /proc/mounts form, statfs,
//! remount, file data and their accounting, the directory operations.

use alloc::sync::Arc;
use alloc::vec::Vec;

use super::*;
use crate::mm::memcontrol::{MemCgroup, drain_all_stock, set_active_memcg};
use crate::mm::mmzone::ZoneStatItem;
use crate::mm::testing::node;

static TEST_FS: FileSystemType = FileSystemType {
    name: "tmpfs",
    fs_flags: 0,
    get_tree: |_, _, _| Err(Errno::ENODEV),
};

/// 32 MiB of RAM: 8192 pages less the node's own reservations.
fn test_node() -> &'static PglistData {
    let (pgdat, _) = node(&[(0x1000, 32 << 20)], &[]);
    Box::leak(Box::new(pgdat))
}

fn mount(pgdat: &'static PglistData, data: &str) -> Arc<SuperBlock> {
    shmem_fill_super(&TEST_FS, pgdat, 0, data).expect("mount")
}

fn free_pages(pgdat: &PglistData) -> u64 {
    pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages)
}

fn show(sb: &SuperBlock) -> String {
    let mut s = String::new();
    sb.s_op.show_options(&mut s);
    s
}

/// The mapping of a regular file.
fn mapping(inode: &Arc<dyn Inode>) -> &Arc<AddressSpace> {
    inode.mapping().expect("a regular file")
}

fn write(inode: &Arc<dyn Inode>, pos: u64, buf: &[u8]) -> KResult<usize> {
    generic_perform_write(mapping(inode), pos, buf)
}

fn read(inode: &Arc<dyn Inode>, pos: u64, len: usize) -> Vec<u8> {
    let mut buf = vec![0xaau8; len];
    let n = shmem_file_read(mapping(inode), pos, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

fn names(dir: &Arc<dyn Inode>) -> Vec<String> {
    dir.readdir().unwrap().into_iter().map(|e| e.name).collect()
}

#[test]
fn options_parse_as_linux_parses_them() {
    let ram = 1000;
    let p = |s| shmem_parse_options(s, ram);
    assert_eq!(p(""), Ok(ShmemOptions::default()));
    assert_eq!(p("size=1m").unwrap().blocks, Some(256));
    assert_eq!(p("size=4097").unwrap().blocks, Some(2), "rounded up");
    assert_eq!(p("size=0").unwrap().blocks, Some(0), "0 is unlimited");
    assert_eq!(p("size=%").unwrap().blocks, Some(0), "memparse reads 0");
    assert_eq!(p("size=50%").unwrap().blocks, Some(500));
    assert_eq!(p("size=1%").unwrap().blocks, Some(10));
    assert_eq!(p("nr_blocks=2k").unwrap().blocks, Some(2048));
    assert_eq!(p("nr_inodes=1k").unwrap().inodes, Some(1024));
    let all = p("size=2g,nr_inodes=10,mode=0700,uid=1000,gid=0x10").unwrap();
    assert_eq!(
        all,
        ShmemOptions {
            blocks: Some(2 << 18),
            inodes: Some(10),
            mode: Some(0o700),
            uid: Some(1000),
            gid: Some(16),
        }
    );
    assert_eq!(p("mode=17777").unwrap().mode, Some(0o7777), "masked");
    assert_eq!(p("size=2m,size=1m").unwrap().blocks, Some(256), "last wins");
    for bad in [
        "size=1x",
        "size",
        "nr_blocks=1.5",
        "nr_inodes=-1",
        "nr_inodes=18014398509481984",
        "mode=8",
        "mode=",
        "uid=-1",
        "uid=4294967295",
        "gid=abc",
        "uid=++1",
        "bogus=1",
        "huge=always",
    ] {
        assert_eq!(p(bad), Err(Errno::EINVAL), "{bad}");
    }
}

#[test]
fn mount_defaults_and_show_options() {
    let pgdat = test_node();
    let ram = pgdat.totalram_pages();
    let sb = mount(pgdat, "");
    assert_eq!(show(&sb), "", "the defaults are not shown");
    let st = sb.s_op.statfs();
    assert_eq!(st.f_type, TMPFS_MAGIC);
    assert_eq!((st.f_bsize, st.f_namelen), (4096, 255));
    assert_eq!(
        (st.f_blocks, st.f_bfree, st.f_bavail),
        (ram / 2, ram / 2, ram / 2)
    );
    assert_eq!(
        (st.f_files, st.f_ffree),
        (ram / 2, ram / 2 - 1),
        "the root is one"
    );
    let root = sb.s_root.getattr();
    assert_eq!(root.mode, 0o41777);
    assert_eq!((root.nlink, root.size, root.blocks), (2, 40, 0));

    let sb = mount(pgdat, "size=1m,nr_inodes=100,mode=755,uid=1,gid=2");
    assert_eq!(show(&sb), ",size=1024k,nr_inodes=100,mode=755,uid=1,gid=2");
    let root = sb.s_root.getattr();
    assert_eq!((root.mode, root.uid, root.gid), (0o40755, 1, 2));
    let sb = mount(pgdat, "size=0,nr_inodes=0,mode=0");
    assert_eq!(show(&sb), ",size=0k,nr_inodes=0,mode=000");
    let st = sb.s_op.statfs();
    assert_eq!(
        (st.f_blocks, st.f_bfree, st.f_files, st.f_ffree),
        (0, 0, 0, 0)
    );
    assert!(shmem_fill_super(&TEST_FS, pgdat, 0, "size=1q").is_err());
}

#[test]
fn data_holes_truncation_and_accounting() {
    let pgdat = test_node();
    let free0 = free_pages(pgdat);
    let sb = mount(pgdat, "size=1m");
    let f = sb.s_root.create("f", 0o644).unwrap();
    assert_eq!(write(&f, 0, b"hello"), Ok(5));
    assert_eq!(write(&f, 3 * 4096 + 10, b"xyz"), Ok(3));
    let st = f.getattr();
    assert_eq!((st.size, st.blocks, st.blksize), (3 * 4096 + 13, 16, 4096));
    assert_eq!(pgdat.page_state(NodeStatItem::NrShmem), 2);
    assert_eq!(pgdat.page_state(NodeStatItem::NrFilePages), 2);
    assert_eq!(
        pgdat.page_state(NodeStatItem::NrInactiveAnon),
        2,
        "anon LRU"
    );
    assert_eq!(pgdat.page_state(NodeStatItem::NrInactiveFile), 0);
    assert_eq!(sb.s_op.statfs().f_bfree, 254);
    // A hole reads as zeroes and gets no page.
    let hole = read(&f, 4096, 8192);
    assert!(hole.iter().all(|&b| b == 0));
    assert_eq!(read(&f, 3, 4), b"lo\0\0");
    assert_eq!(read(&f, 3 * 4096 + 10, 100), b"xyz");
    assert_eq!(read(&f, 1 << 20, 10), b"");
    assert_eq!(f.getattr().blocks, 16);
    // drop_caches leaves them alone.
    assert_eq!(crate::mm::filemap::invalidate_mapping_pages(mapping(&f)), 0);
    assert_eq!(pgdat.page_state(NodeStatItem::NrShmem), 2);
    // Truncation frees what lies beyond and zeroes the partial page.
    assert_eq!(write(&f, 0, &[0xff; 4096]), Ok(4096));
    f.setattr(&Iattr {
        size: Some(100),
        ..Iattr::default()
    })
    .unwrap();
    assert_eq!((f.size(), f.getattr().blocks), (100, 8));
    assert_eq!(pgdat.page_state(NodeStatItem::NrShmem), 1);
    f.setattr(&Iattr {
        size: Some(4096),
        ..Iattr::default()
    })
    .unwrap();
    let back = read(&f, 0, 4096);
    assert!(back[..100].iter().all(|&b| b == 0xff));
    assert!(back[100..].iter().all(|&b| b == 0), "zeroed past the cut");
    assert_eq!(sb.s_op.statfs().f_bfree, 255);
    // The last name goes while the file is "open": the pages stay.
    let open = f.clone();
    drop(f);
    sb.s_root.unlink("f").unwrap();
    assert_eq!(open.getattr().nlink, 0);
    assert_eq!(pgdat.page_state(NodeStatItem::NrShmem), 1);
    assert_eq!(read(&open, 0, 3), [0xff; 3]);
    drop(open);
    assert_eq!(pgdat.page_state(NodeStatItem::NrShmem), 0);
    assert_eq!(pgdat.page_state(NodeStatItem::NrFilePages), 0);
    assert_eq!(pgdat.page_state(NodeStatItem::NrInactiveAnon), 0);
    assert_eq!(sb.s_op.statfs().f_bfree, 256);
    assert_eq!(sb.s_op.statfs().f_ffree, sb.s_op.statfs().f_files - 1);
    drop(sb);
    assert_eq!(free_pages(pgdat), free0, "nothing lost");
}

#[test]
fn size_limit_gives_enospc_at_the_byte() {
    let pgdat = test_node();
    let sb = mount(pgdat, "size=8k");
    let f = sb.s_root.create("f", 0o644).unwrap();
    assert_eq!(write(&f, 0, &[1; 5000]), Ok(5000));
    // The second page is there already; the third is not allowed.
    assert_eq!(write(&f, 5000, &[2; 5000]), Ok(8192 - 5000));
    assert_eq!(write(&f, 8192, &[3; 10]), Err(Errno::ENOSPC));
    assert_eq!(f.size(), 8192);
    assert_eq!(sb.s_op.statfs().f_bfree, 0);
    // Remount: not below what is used, not from unlimited to limited.
    assert_eq!(sb.s_op.reconfigure("size=4k"), Err(Errno::EINVAL));
    assert_eq!(sb.s_op.reconfigure("size=12k"), Ok(()));
    assert_eq!(show(&sb), ",size=12k");
    assert_eq!(write(&f, 8192, &[3; 10]), Ok(10));
    assert_eq!(sb.s_op.reconfigure("size=0"), Ok(()));
    assert_eq!(sb.s_op.reconfigure("size=1m"), Err(Errno::EINVAL));
    assert_eq!(sb.s_op.reconfigure("bogus"), Err(Errno::EINVAL));
}

#[test]
fn nr_inodes_limit_counts_inodes_and_links() {
    let pgdat = test_node();
    let sb = mount(pgdat, "nr_inodes=3");
    let root = &sb.s_root;
    let a = root.create("a", 0o644).unwrap();
    root.mkdir("d", 0o755).unwrap();
    assert_eq!(root.create("b", 0o644).err(), Some(Errno::ENOSPC));
    assert_eq!(sb.s_op.statfs().f_ffree, 0);
    assert_eq!(sb.s_op.reconfigure("nr_inodes=2"), Err(Errno::EINVAL));
    sb.s_op.reconfigure("nr_inodes=4").unwrap();
    // A second name takes an inode too.
    root.link("a2", &a).unwrap();
    assert_eq!(a.getattr().nlink, 2);
    assert_eq!(root.link("a3", &a), Err(Errno::ENOSPC));
    root.unlink("a2").unwrap();
    assert_eq!(sb.s_op.statfs().f_ffree, 1);
    root.unlink("a").unwrap();
    assert_eq!(sb.s_op.statfs().f_ffree, 1, "still held");
    drop(a);
    assert_eq!(sb.s_op.statfs().f_ffree, 2);
}

#[test]
fn directories_keep_creation_order_and_stable_offsets() {
    let pgdat = test_node();
    let sb = mount(pgdat, "");
    let root = sb.s_root.clone();
    for n in ["c", "a", "b"] {
        root.create(n, 0o644).unwrap();
    }
    root.mkdir("d", 0o755).unwrap();
    root.symlink("l", "target").unwrap();
    root.mknod("n", crate::fs::S_IFCHR | 0o666, DevT::new(1, 3))
        .unwrap();
    let entries = root.readdir().unwrap();
    let offs: Vec<u64> = entries.iter().map(|e| e.off).collect();
    assert_eq!(offs, [2, 3, 4, 5, 6, 7]);
    assert_eq!(names(&root), ["c", "a", "b", "d", "l", "n"]);
    let st = root.getattr();
    assert_eq!((st.nlink, st.size), (3, 40 + 6 * 20));
    root.unlink("a").unwrap();
    let entries = root.readdir().unwrap();
    assert_eq!(entries[1].name, "b");
    assert_eq!(entries[1].off, 4, "offsets stay");
    root.create("e", 0o644).unwrap();
    assert_eq!(root.readdir().unwrap().last().unwrap().off, 8);
    let l = root.lookup("l").unwrap();
    assert_eq!(
        (l.file_type(), l.readlink().unwrap(), l.size()),
        (FileType::Lnk, "target".into(), 6)
    );
    let n = root.lookup("n").unwrap();
    assert_eq!((n.file_type(), n.rdev()), (FileType::Chr, DevT::new(1, 3)));
    assert_eq!(root.lookup("zz").err(), Some(Errno::ENOENT));
    // rmdir: ENOTEMPTY, then the directory is gone with nlink 0.
    let d = root.lookup("d").unwrap();
    d.create("x", 0o644).unwrap();
    assert_eq!(root.rmdir("d"), Err(Errno::ENOTEMPTY));
    d.unlink("x").unwrap();
    root.rmdir("d").unwrap();
    assert_eq!(d.getattr().nlink, 0);
    assert_eq!(root.getattr().nlink, 2);
    assert_eq!(root.create("b", 0o644).err(), Some(Errno::EEXIST));
    assert_eq!(
        root.symlink("x", &"y".repeat(4096)),
        Err(Errno::ENAMETOOLONG)
    );
}

#[test]
fn rename_replaces_exchanges_and_moves_links() {
    let pgdat = test_node();
    let sb = mount(pgdat, "");
    let root = sb.s_root.clone();
    let a = root.create("a", 0o644).unwrap();
    let b = root.create("b", 0o644).unwrap();
    write(&b, 0, b"bbbb").unwrap();
    root.mkdir("d1", 0o755).unwrap();
    root.mkdir("d2", 0o755).unwrap();
    let d1 = root.lookup("d1").unwrap();
    let d2 = root.lookup("d2").unwrap();
    // Overwrite: b's data go with its last name and reference.
    drop(b);
    root.rename("a", &root, "b", 0).unwrap();
    assert!(Arc::ptr_eq(&root.lookup("b").unwrap(), &a));
    assert_eq!(root.lookup("a").err(), Some(Errno::ENOENT));
    assert_eq!(pgdat.page_state(NodeStatItem::NrShmem), 0);
    assert_eq!(
        names(&root),
        ["d1", "d2", "b"],
        "a renamed entry moves to the end"
    );
    // Exchange: names keep their places.
    root.rename("b", &root, "d1", RENAME_EXCHANGE).unwrap();
    assert_eq!(names(&root), ["d1", "d2", "b"]);
    assert!(Arc::ptr_eq(&root.lookup("d1").unwrap(), &a));
    assert!(Arc::ptr_eq(&root.lookup("b").unwrap(), &d1));
    // A directory onto a non-empty one.
    d2.create("x", 0o644).unwrap();
    assert_eq!(root.rename("b", &root, "d2", 0), Err(Errno::ENOTEMPTY));
    // Moving a directory into another moves a link.
    root.rename("b", &d2, "sub", 0).unwrap();
    assert_eq!((root.getattr().nlink, d2.getattr().nlink), (3, 3));
    assert_eq!(d2.getattr().size, 40 + 2 * 20);
    // Onto an empty directory: it is replaced and gone.
    d2.mkdir("empty", 0o755).unwrap();
    let empty = d2.lookup("empty").unwrap();
    d2.rename("sub", &d2, "empty", 0).unwrap();
    assert_eq!(empty.getattr().nlink, 0);
    assert_eq!(d2.getattr().nlink, 3);
    // Exchange of a file and a directory across parents.
    root.rename("d1", &d2, "empty", RENAME_EXCHANGE).unwrap();
    assert_eq!((root.getattr().nlink, d2.getattr().nlink), (4, 2));
    assert!(root.lookup("d1").unwrap().file_type() == FileType::Dir);
    assert_eq!(root.rename("zz", &root, "y", 0), Err(Errno::ENOENT));
    assert_eq!(
        root.rename("d2", &root, "y", RENAME_WHITEOUT),
        Err(Errno::EINVAL)
    );
}

#[test]
fn tmpfile_and_links() {
    let pgdat = test_node();
    let sb = mount(pgdat, "");
    let root = sb.s_root.clone();
    let t = root.tmpfile(0o600).unwrap();
    assert_eq!(t.getattr().nlink, 0);
    write(&t, 0, b"tmp").unwrap();
    root.link("named", &t).unwrap();
    assert_eq!(t.getattr().nlink, 1);
    root.unlink("named").unwrap();
    assert_eq!(
        root.link("again", &t),
        Err(Errno::ENOENT),
        "unlinked, not linkable"
    );
    let f = root.create("f", 0o644).unwrap();
    root.link("g", &f).unwrap();
    assert_eq!(f.getattr().nlink, 2);
    assert_eq!(root.link("g", &f), Err(Errno::EEXIST));
}

#[test]
fn writer_memcg_is_charged_and_everything_returns() {
    let pgdat = test_node();
    let root_cg = MemCgroup::new(None);
    let cg = MemCgroup::new(Some(root_cg.clone()));
    let free0 = free_pages(pgdat);
    let sb = mount(pgdat, "");
    let f = sb.s_root.create("f", 0o644).unwrap();
    set_active_memcg(Some(cg.clone()));
    assert_eq!(write(&f, 0, &vec![5u8; 100 * 4096]), Ok(100 * 4096));
    set_active_memcg(None);
    assert_eq!(cg.page_state(NodeStatItem::NrShmem, false), 100);
    assert_eq!(cg.page_state(NodeStatItem::NrFilePages, false), 100);
    assert_eq!(
        cg.page_state(NodeStatItem::NrInactiveAnon, false)
            + cg.page_state(NodeStatItem::NrActiveAnon, false),
        100
    );
    // A rewrite by another task charges nothing new.
    assert_eq!(write(&f, 0, &[6u8; 4096]), Ok(4096));
    assert_eq!(cg.page_state(NodeStatItem::NrShmem, false), 100);
    sb.s_root.unlink("f").unwrap();
    drop(f);
    assert_eq!(cg.page_state(NodeStatItem::NrShmem, false), 0);
    assert_eq!(cg.page_state(NodeStatItem::NrFilePages, false), 0);
    drain_all_stock(&cg);
    assert_eq!(crate::mm::page_counter::page_counter_read(&cg.memory), 0);
    drop(sb);
    assert_eq!(free_pages(pgdat), free0);
}

#[test]
fn setattr_changes_owner_mode_and_times() {
    let pgdat = test_node();
    let sb = mount(pgdat, "");
    let f = sb.s_root.create("f", 0o644).unwrap();
    let t = Timespec64 { sec: 1000, nsec: 5 };
    f.setattr(&Iattr {
        mode: Some(0o4755),
        uid: Some(7),
        gid: Some(8),
        atime: Some(t),
        mtime: Some(Timespec64 { sec: 2000, nsec: 0 }),
        ..Iattr::default()
    })
    .unwrap();
    let st = f.getattr();
    assert_eq!((st.mode, st.uid, st.gid), (0o104755, 7, 8));
    assert_eq!((st.atime, st.mtime.sec), (t, 2000));
    // A set-group-ID directory hands its group down, and the bit to
    // subdirectories.
    sb.s_root.mkdir("g", 0o2775).unwrap();
    let g = sb.s_root.lookup("g").unwrap();
    g.setattr(&Iattr {
        gid: Some(50),
        ..Iattr::default()
    })
    .unwrap();
    g.mkdir("sub", 0o755).unwrap();
    let sub = g.lookup("sub").unwrap().getattr();
    assert_eq!((sub.gid, sub.mode), (50, 0o42755));
    assert_eq!(g.create("x", 0o644).unwrap().getattr().gid, 50);
}

/// `shmem_zero_setup()`'s file: its size from the start, no size= limit,
/// holes filled by faults, every page back when the last user goes.
#[test]
fn shared_anonymous_memory_is_an_unlimited_shmem_file() {
    let pgdat = test_node();
    let free0 = free_pages(pgdat);
    let file = shmem_zero_setup(pgdat, 3 * PAGE_SIZE);
    assert_eq!(&*file.path, "/dev/zero (deleted)");
    let mapping = file.mapping.clone();
    assert_eq!(mapping.size(), 3 * PAGE_SIZE);
    for index in 0..3 {
        let page = shmem_fault(&mapping, index).expect("a page for the hole");
        assert!(page.test(PageFlags::SWAPBACKED));
        __free_pages(pgdat, page, 0);
    }
    assert_eq!(
        shmem_fault(&mapping, 3).err(),
        Some(Errno::EINVAL),
        "past the end"
    );
    assert_eq!(mapping.nrpages(), 3);
    assert_eq!(pgdat.page_state(NodeStatItem::NrShmem), 3);
    assert_eq!(free_pages(pgdat), free0 - 3);
    drop(mapping);
    drop(file);
    assert_eq!(pgdat.page_state(NodeStatItem::NrShmem), 0);
    assert_eq!(free_pages(pgdat), free0);
}
