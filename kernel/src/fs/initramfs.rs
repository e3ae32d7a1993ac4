//! Unpacking the initramfs (init/initramfs.c): a cpio "newc" archive, the
//! format Linux uses, handed over by the bootloader as the ramdisk.
//! Directories, regular files, symbolic links and device nodes become the
//! ramfs root; file data stay in
//! the image and are read through the page cache.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use core::str;

use super::ramfs::{RamAttr, RamDir, RamFile, RamSpecial, RamSymlink};
use super::{DevT, FileType, Inode};
use crate::mm::filemap::AddressSpace;
use crate::mm::mmzone::PglistData;

/// One archive member: its path (no leading `/` or `./`), mode, owner,
/// modification time, device number and data (a link's target).
#[derive(Debug, PartialEq, Eq)]
pub struct CpioEntry<'a> {
    pub name: &'a str,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: u32,
    pub rdev: DevT,
    pub data: &'a [u8],
}

#[derive(Debug, PartialEq, Eq)]
pub enum CpioError {
    BadMagic(usize),
    Truncated(usize),
    BadHeader(usize),
}

fn hex8(b: &[u8]) -> Option<u32> {
    u32::from_str_radix(str::from_utf8(b).ok()?, 16).ok()
}

fn align4(x: usize) -> usize {
    (x + 3) & !3
}

/// Iterate over a newc archive up to its `TRAILER!!!`.
pub fn parse_newc(image: &[u8]) -> impl Iterator<Item = Result<CpioEntry<'_>, CpioError>> {
    let mut off = 0;
    let mut done = false;
    core::iter::from_fn(move || {
        if done {
            return None;
        }
        let r = (|| {
            let hdr = image.get(off..off + 110).ok_or(CpioError::Truncated(off))?;
            if &hdr[..6] != b"070701" && &hdr[..6] != b"070702" {
                return Err(CpioError::BadMagic(off));
            }
            let field =
                |i: usize| hex8(&hdr[6 + 8 * i..14 + 8 * i]).ok_or(CpioError::BadHeader(off));
            let (mode, filesize, namesize) = (field(1)?, field(6)? as usize, field(11)? as usize);
            let (uid, gid, mtime) = (field(2)?, field(3)?, field(5)?);
            let rdev = DevT::new(field(9)?, field(10)?);
            let name_start = off + 110;
            let name = image
                .get(name_start..name_start + namesize.saturating_sub(1))
                .ok_or(CpioError::Truncated(off))?;
            let name = str::from_utf8(name).map_err(|_| CpioError::BadHeader(off))?;
            let data_start = align4(name_start + namesize);
            let data = image
                .get(data_start..data_start + filesize)
                .ok_or(CpioError::Truncated(off))?;
            off = align4(data_start + filesize);
            let name = name.trim_start_matches("./").trim_start_matches('/');
            Ok(CpioEntry {
                name,
                mode,
                uid,
                gid,
                mtime,
                rdev,
                data,
            })
        })();
        match r {
            Ok(e) if e.name == "TRAILER!!!" => None,
            Ok(e) => Some(Ok(e)),
            Err(e) => {
                done = true;
                Some(Err(e))
            }
        }
    })
}

/// `unpack_to_rootfs()`: build the tree under `root`: directories,
/// regular files, symbolic links and device nodes. Entries whose parent
/// directory is not in the archive, and hard links (which newc marks by
/// a repeated inode number; the image builder makes none), are skipped
/// with a warning.
pub fn unpack_to_rootfs(
    root: &Arc<RamDir>,
    image: &'static [u8],
    node: &'static PglistData,
) -> Result<usize, CpioError> {
    // Directories by path, so members can find their parent.
    let mut dirs: BTreeMap<&str, Arc<RamDir>> = BTreeMap::new();
    dirs.insert("", root.clone());
    let mut count = 0;
    for entry in parse_newc(image) {
        let entry = entry?;
        if entry.name.is_empty() || entry.name == "." {
            continue;
        }
        let (parent_path, name) = entry.name.rsplit_once('/').unwrap_or(("", entry.name));
        let Some(parent) = dirs.get(parent_path).cloned() else {
            log::warn!("initramfs: {}: parent directory missing", entry.name);
            continue;
        };
        let attr = RamAttr::new(entry.mode, entry.uid, entry.gid, i64::from(entry.mtime));
        let ftype = FileType::from_mode(entry.mode);
        let inode: Arc<dyn Inode> = match ftype {
            Some(FileType::Dir) => {
                let dir = RamDir::new(attr);
                dirs.insert(entry.name, dir.clone());
                dir
            }
            Some(FileType::Reg) => RamFile::new(attr, AddressSpace::new(node, entry.data)),
            Some(FileType::Lnk) => match core::str::from_utf8(entry.data) {
                Ok(target) if !target.is_empty() => RamSymlink::new(attr, target),
                _ => {
                    log::warn!("initramfs: {}: bad link target", entry.name);
                    continue;
                }
            },
            Some(t) => RamSpecial::new(attr, t, entry.rdev),
            None => {
                log::warn!(
                    "initramfs: {}: unsupported file type {:o}",
                    entry.name,
                    entry.mode
                );
                continue;
            }
        };
        parent.insert(name, inode);
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::dcache::{Dentry, Path};
    use crate::fs::namespace::VfsMount;
    use crate::fs::ramfs::rootfs_sb;
    use crate::fs::{FileType, S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG};
    use crate::mm::testing::node;
    use alloc::string::String;
    use alloc::vec::Vec;

    /// A newc archive as Linux's gen_init_cpio writes it.
    pub fn newc(entries: &[(&str, u32, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut push = |name: &str, mode: u32, data: &[u8]| {
            let hdr = alloc::format!(
                "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
                1,
                mode,
                0,
                0,
                1,
                0,
                data.len(),
                0,
                0,
                0,
                0,
                name.len() + 1,
                0
            );
            out.extend_from_slice(hdr.as_bytes());
            out.extend_from_slice(name.as_bytes());
            out.push(0);
            while out.len() % 4 != 0 {
                out.push(0);
            }
            out.extend_from_slice(data);
            while out.len() % 4 != 0 {
                out.push(0);
            }
        };
        for &(n, m, d) in entries {
            push(n, m, d);
        }
        push("TRAILER!!!", 0, b"");
        out
    }

    #[test]
    fn unpacks_dirs_and_files() {
        let image = newc(&[
            ("bin", S_IFDIR | 0o755, b""),
            ("bin/anon", S_IFREG | 0o755, b"\x7fELF..."),
            ("./data", S_IFDIR | 0o755, b""),
            ("data/f", S_IFREG | 0o644, b"hello"),
            ("orphan/x", S_IFREG | 0o644, b"x"),
            ("dev-node", S_IFCHR | 0o644, b""),
            ("bin/sh", S_IFLNK | 0o777, b"anon"),
            ("bad-link", S_IFLNK | 0o777, b""),
        ]);
        let image: &'static [u8] = image.leak();
        let names: Vec<&str> = parse_newc(image).map(|e| e.unwrap().name).collect();
        assert_eq!(
            names,
            [
                "bin", "bin/anon", "data", "data/f", "orphan/x", "dev-node", "bin/sh", "bad-link"
            ]
        );
        let (pgdat, _) = node(&[(0x1000, 8 << 20)], &[]);
        let pgdat: &'static PglistData = Box::leak(Box::new(pgdat));
        let root = RamDir::new(RamAttr::new(0o755, 0, 0, 0));
        assert_eq!(unpack_to_rootfs(&root, image, pgdat), Ok(6));
        let names: Vec<String> = root
            .readdir()
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["bin", "data", "dev-node"].map(String::from));
        let node = root.lookup("dev-node").unwrap();
        assert_eq!(
            (node.file_type(), node.getattr().mode),
            (FileType::Chr, S_IFCHR | 0o644)
        );
        let sh = root.lookup("bin").unwrap().lookup("sh").unwrap();
        assert_eq!(
            (sh.file_type(), sh.readlink()),
            (FileType::Lnk, Ok(String::from("anon")))
        );
        let f = root.lookup("data").unwrap().lookup("f").unwrap();
        assert_eq!(
            (f.file_type(), f.size(), f.mode()),
            (FileType::Reg, 5, 0o644)
        );
        let mut buf = [0u8; 8];
        let ops = f.open(0).unwrap();
        let mnt = VfsMount::kern_mount(rootfs_sb(root.clone()));
        let path = Path {
            dentry: Dentry::root(f.clone()),
            mnt,
        };
        let file = crate::fs::file::File::new(path, ops.clone(), 0);
        assert_eq!(ops.read(&file, 1, &mut buf), Ok(4));
        assert_eq!(&buf[..4], b"ello");
    }

    #[test]
    fn truncated_or_garbage_archives_are_errors() {
        let image = newc(&[("a", S_IFREG | 0o644, b"abcdef")]);
        let cut = &image[..115];
        assert_eq!(parse_newc(cut).next(), Some(Err(CpioError::Truncated(0))));
        assert_eq!(
            parse_newc(b"garbage garbage").next(),
            Some(Err(CpioError::Truncated(0)))
        );
        let mut bad = image.clone();
        bad[0] = b'1';
        assert_eq!(parse_newc(&bad).next(), Some(Err(CpioError::BadMagic(0))));
    }
}
