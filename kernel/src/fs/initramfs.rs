//! Unpacking the initramfs (init/initramfs.c): a cpio "newc" archive, the
//! format Linux uses, handed over by the bootloader as the ramdisk.
//! Directories, regular files, symbolic links and device nodes become the
//! ramfs root; file data stay in
//! the image and are read through the page cache.

use alloc::boxed::Box;
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

/// Linux's `error()` texts: the first one is what boot reports as
/// `Initramfs unpacking failed: <text>`.
pub type UnpackError = &'static str;

impl CpioError {
    /// Linux's texts: a header without magic is "no cpio magic"
    /// (`do_header()`); Linux has no word for the rest (its state machine
    /// just stops), so these say what went wrong.
    fn text(&self) -> UnpackError {
        match self {
            CpioError::BadMagic(_) => "no cpio magic",
            CpioError::Truncated(_) => "truncated cpio archive",
            CpioError::BadHeader(_) => "bad cpio header",
        }
    }
}

/// The gzip magic (RFC 1952 ID1 ID2), as `decompress_method()` matches it.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// How many bytes the buffer's gzip member inflates to: ISIZE, its last 4
/// bytes, read the way Linux's gunzip reads the output size of a
/// compressed kernel. The member is the one after the uncompressed
/// archives the buffer starts with (the image builder puts it last); 0
/// when there is none, or when the buffer is too short to hold one.
pub fn inflated_size(image: &[u8]) -> usize {
    let mut at = 0;
    while at < image.len() {
        if image[at] == 0 {
            at += 1;
        } else if image[at] == b'0' && at % 4 == 0 {
            match newc_len(&image[at..]) {
                Ok(len) => at += len,
                Err(_) => return 0,
            }
        } else if image[at..].starts_with(&GZIP_MAGIC) && image.len() - at >= 18 {
            let isize = &image[image.len() - 4..];
            return u32::from_le_bytes([isize[0], isize[1], isize[2], isize[3]]) as usize;
        } else {
            return 0;
        }
    }
    0
}

/// The length of the newc archive at the start of `image`, through its
/// `TRAILER!!!` entry and padding.
fn newc_len(image: &[u8]) -> Result<usize, CpioError> {
    let mut off = 0;
    loop {
        let hdr = image.get(off..off + 110).ok_or(CpioError::Truncated(off))?;
        if &hdr[..6] != b"070701" && &hdr[..6] != b"070702" {
            return Err(CpioError::BadMagic(off));
        }
        let field = |i: usize| hex8(&hdr[6 + 8 * i..14 + 8 * i]).ok_or(CpioError::BadHeader(off));
        let (filesize, namesize) = (field(6)? as usize, field(11)? as usize);
        let name = image
            .get(off + 110..off + 110 + namesize.saturating_sub(1))
            .ok_or(CpioError::Truncated(off))?;
        let end = align4(align4(off + 110 + namesize) + filesize);
        if end > image.len() && name != b"TRAILER!!!" {
            return Err(CpioError::Truncated(off));
        }
        off = end;
        if name == b"TRAILER!!!" {
            return Ok(off.min(image.len()));
        }
    }
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xedb88320) as gzip's
/// trailer has it (lib/crc32.c's `crc32_le`, with gzip's inversions).
fn crc32(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    !data.iter().fold(!0u32, |c, &b| {
        TABLE[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8)
    })
}

/// `gunzip()` (lib/decompress_inflate.c): one RFC 1952 member at the
/// start of `input` inflated into `out`. Returns the bytes of input the
/// member took (header, deflate data, the 8-byte trailer) and the bytes
/// written. Unlike Linux's, which trusts zlib's end of stream, this also
/// checks the trailer's CRC32 and ISIZE, with the texts of Linux's older
/// lib/inflate.c ("crc error", "length error").
#[inline(never)]
pub fn gunzip(input: &[u8], out: &mut [u8]) -> Result<(usize, usize), UnpackError> {
    use miniz_oxide::inflate::TINFLStatus;
    use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};

    const FHCRC: u8 = 0x02;
    const FEXTRA: u8 = 0x04;
    const FNAME: u8 = 0x08;
    const FCOMMENT: u8 = 0x10;
    // ID1 ID2 CM FLG MTIME(4) XFL OS.
    if input.len() < 10 || !input.starts_with(&GZIP_MAGIC) || input[2] != 8 {
        return Err("Not a gzip file");
    }
    let flg = input[3];
    if flg & 0xe0 != 0 {
        return Err("header error");
    }
    let mut at = 10;
    if flg & FEXTRA != 0 {
        let xlen = input.get(at..at + 2).ok_or("header error")?;
        at += 2 + usize::from(u16::from_le_bytes([xlen[0], xlen[1]]));
    }
    for flag in [FNAME, FCOMMENT] {
        if flg & flag != 0 {
            let text = input.get(at..).ok_or("header error")?;
            at += 1 + text.iter().position(|&b| b == 0).ok_or("header error")?;
        }
    }
    if flg & FHCRC != 0 {
        at += 2;
    }
    let deflate = input.get(at..).ok_or("header error")?;
    let mut inflater = Box::<DecompressorOxide>::default();
    let (status, used, written) = decompress(
        &mut inflater,
        deflate,
        out,
        0,
        inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
    );
    match status {
        TINFLStatus::Done => {}
        // Linux's `nofill()` has no more input to give.
        TINFLStatus::NeedsMoreInput | TINFLStatus::FailedCannotMakeProgress => {
            return Err("read error");
        }
        // More output than ISIZE promised (the buffer is ISIZE long).
        TINFLStatus::HasMoreOutput => return Err("length error"),
        _ => return Err("uncompression error"),
    }
    let trailer = deflate.get(used..used + 8).ok_or("read error")?;
    let word =
        |i: usize| u32::from_le_bytes([trailer[i], trailer[i + 1], trailer[i + 2], trailer[i + 3]]);
    if word(0) != crc32(&out[..written]) {
        return Err("crc error");
    }
    if word(4) as usize != written {
        return Err("length error");
    }
    Ok((at + used + 8, written))
}

/// Unpacking state shared by every archive in the buffer: directories by
/// path, so members can find their parent.
struct Unpacker {
    dirs: BTreeMap<&'static str, Arc<RamDir>>,
    node: &'static PglistData,
    count: usize,
}

impl Unpacker {
    /// `write_buffer()`: the newc archives and zero padding that make up
    /// `buf` (uncompressed, or a member's output). Returns how many bytes
    /// were archives or padding: parsing stops at the first byte that is
    /// neither.
    fn write_buffer(&mut self, buf: &'static [u8], mut at: usize) -> Result<usize, CpioError> {
        while at < buf.len() {
            if buf[at] == 0 {
                at += 1;
                continue;
            }
            if buf[at] != b'0' || at % 4 != 0 {
                break;
            }
            let archive = &buf[at..];
            let len = newc_len(archive)?;
            for entry in parse_newc(&archive[..len]) {
                self.do_name(entry?);
            }
            at += len;
        }
        Ok(at)
    }

    /// `do_name()`: one member into the tree. Entries whose parent
    /// directory is not in the archive, and hard links (which newc marks
    /// by a repeated inode number; the image builder makes none), are
    /// skipped with a warning. A directory unpacked before (an earlier
    /// archive had it) keeps its entries and takes the new attributes,
    /// as Linux's `mkdir` fails and `chmod`/`chown` apply.
    fn do_name(&mut self, entry: CpioEntry<'static>) {
        if entry.name.is_empty() || entry.name == "." {
            return;
        }
        let (parent_path, name) = entry.name.rsplit_once('/').unwrap_or(("", entry.name));
        let Some(parent) = self.dirs.get(parent_path).cloned() else {
            log::warn!("initramfs: {}: parent directory missing", entry.name);
            return;
        };
        let attr = RamAttr::new(entry.mode, entry.uid, entry.gid, i64::from(entry.mtime));
        let ftype = FileType::from_mode(entry.mode);
        let inode: Arc<dyn Inode> = match ftype {
            Some(FileType::Dir) => {
                let dir = RamDir::new(attr);
                if let Some(old) = self.dirs.get(entry.name) {
                    for child in old.readdir().unwrap_or_default() {
                        if let Ok(inode) = old.lookup(&child.name) {
                            dir.insert(&child.name, inode);
                        }
                    }
                }
                self.dirs.insert(entry.name, dir.clone());
                dir
            }
            Some(FileType::Reg) => RamFile::new(attr, AddressSpace::new(self.node, entry.data)),
            Some(FileType::Lnk) => match core::str::from_utf8(entry.data) {
                Ok(target) if !target.is_empty() => RamSymlink::new(attr, target),
                _ => {
                    log::warn!("initramfs: {}: bad link target", entry.name);
                    return;
                }
            },
            Some(t) => RamSpecial::new(attr, t, entry.rdev),
            None => {
                log::warn!(
                    "initramfs: {}: unsupported file type {:o}",
                    entry.name,
                    entry.mode
                );
                return;
            }
        };
        parent.insert(name, inode);
        self.count += 1;
    }
}

/// `unpack_to_rootfs()`: build the tree under `root` from the buffer, a
/// sequence of newc archives (zero padding between them) and gzip
/// members holding such archives: directories, regular files, symbolic
/// links and device nodes. A member inflates into `out`, memory reserved
/// for ever (its files' page cache is backed by it), [`inflated_size`]
/// bytes long: one member fits; None when it could not be reserved. Returns the number of entries, or Linux's
/// text for the first error; what was unpacked before it stays.
pub fn unpack_to_rootfs(
    root: &Arc<RamDir>,
    image: &'static [u8],
    mut out: Option<&'static mut [u8]>,
    node: &'static PglistData,
) -> Result<usize, UnpackError> {
    let mut unpacker = Unpacker {
        dirs: BTreeMap::new(),
        node,
        count: 0,
    };
    unpacker.dirs.insert("", root.clone());
    let mut at = 0;
    loop {
        at = unpacker.write_buffer(image, at).map_err(|e| e.text())?;
        if at == image.len() {
            return Ok(unpacker.count);
        }
        // `decompress_method()`: gzip is the one method built in.
        if !image[at..].starts_with(&GZIP_MAGIC) {
            return Err("invalid magic at start of compressed archive");
        }
        let buf = out
            .take()
            .ok_or("Out of memory while allocating output buffer")?;
        let (used, written) = gunzip(&image[at..], buf)?;
        let (inflated, _) = <[u8]>::split_at_mut(buf, written);
        let inflated: &'static [u8] = inflated;
        // `flush_buffer()`: an archive the member cuts short leaves the
        // cpio state machine mid-entry.
        let parsed = unpacker.write_buffer(inflated, 0).map_err(|e| match e {
            CpioError::Truncated(_) => "junk at the end of compressed archive",
            e => e.text(),
        })?;
        if parsed != written {
            return Err("junk within compressed archive");
        }
        at += used;
    }
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
        assert_eq!(unpack_to_rootfs(&root, image, None, pgdat), Ok(6));
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

    /// A gzip member of `data` as gzip(1) writes it (flate2), with a
    /// file name in the header.
    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut gz = flate2::GzBuilder::new()
            .filename("initramfs.cpio")
            .write(Vec::new(), flate2::Compression::best());
        gz.write_all(data).unwrap();
        gz.finish().unwrap()
    }

    fn leak(n: usize) -> Option<&'static mut [u8]> {
        Some(alloc::vec![0u8; n].leak())
    }

    fn unpack(
        image: Vec<u8>,
        out: Option<&'static mut [u8]>,
    ) -> (Arc<RamDir>, Result<usize, UnpackError>) {
        let (pgdat, _) = node(&[(0x1000, 8 << 20)], &[]);
        let pgdat: &'static PglistData = Box::leak(Box::new(pgdat));
        let root = RamDir::new(RamAttr::new(0o755, 0, 0, 0));
        let res = unpack_to_rootfs(&root, image.leak(), out, pgdat);
        (root, res)
    }

    fn read_all(inode: &Arc<dyn Inode>) -> Vec<u8> {
        let ops = inode.open(0).unwrap();
        let mnt = VfsMount::kern_mount(rootfs_sb(RamDir::new(RamAttr::new(0o755, 0, 0, 0))));
        let path = Path {
            dentry: Dentry::root(inode.clone()),
            mnt,
        };
        let file = crate::fs::file::File::new(path, ops.clone(), 0);
        let mut buf = alloc::vec![0u8; inode.size() as usize + 1];
        let n = ops.read(&file, 0, &mut buf).unwrap();
        buf.truncate(n);
        buf
    }

    #[test]
    fn crc32_check_value() {
        // The CRC-32 check value (the catalogue's "123456789").
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn gzip_member_round_trips() {
        let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let cpio = newc(&[
            ("bin", S_IFDIR | 0o755, b""),
            ("bin/busybox", S_IFREG | 0o755, &big),
            ("bin/sh", S_IFLNK | 0o777, b"busybox"),
        ]);
        let member = gzip(&cpio);
        assert!(member.len() < cpio.len() / 10, "{}", member.len());
        assert_eq!(inflated_size(&member), cpio.len());
        let mut out = alloc::vec![0u8; cpio.len()];
        assert_eq!(gunzip(&member, &mut out), Ok((member.len(), cpio.len())));
        assert_eq!(out, cpio);

        let (root, res) = unpack(member, leak(cpio.len()));
        assert_eq!(res, Ok(3));
        let bin = root.lookup("bin").unwrap();
        let busybox = bin.lookup("busybox").unwrap();
        assert_eq!((busybox.size(), busybox.mode()), (100_000, 0o755));
        assert_eq!(read_all(&busybox), big);
        assert_eq!(
            bin.lookup("sh").unwrap().readlink(),
            Ok(String::from("busybox"))
        );
    }

    /// A member by hand: one stored deflate block (BFINAL=1, BTYPE=00,
    /// LEN, NLEN), every optional header field, then CRC32 and ISIZE.
    #[test]
    fn stored_block_member_with_every_header_field() {
        let data = newc(&[("f", S_IFREG | 0o644, b"stored")]);
        let mut member = vec![0x1f, 0x8b, 8, 0x02 | 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 3];
        member.extend_from_slice(&[3, 0, b'x', b'y', b'z']); // FEXTRA
        member.extend_from_slice(b"name\0comment\0");
        member.extend_from_slice(&[0xaa, 0xbb]); // FHCRC (not checked, as gzip(1))
        let len = data.len() as u16;
        member.push(1);
        member.extend_from_slice(&len.to_le_bytes());
        member.extend_from_slice(&(!len).to_le_bytes());
        member.extend_from_slice(&data);
        member.extend_from_slice(&crc32(&data).to_le_bytes());
        member.extend_from_slice(&(data.len() as u32).to_le_bytes());
        let mut out = alloc::vec![0u8; data.len()];
        assert_eq!(gunzip(&member, &mut out), Ok((member.len(), data.len())));
        assert_eq!(out, data);
        let (root, res) = unpack(member, leak(data.len()));
        assert_eq!(res, Ok(1));
        assert_eq!(read_all(&root.lookup("f").unwrap()), b"stored");
    }

    /// What the image builder writes: the generated files uncompressed,
    /// with their directories, then a member with everything else (its
    /// directories again: they keep what the first archive put in them).
    #[test]
    fn raw_archive_then_gzip_member() {
        let raw = newc(&[
            ("data", S_IFDIR | 0o755, b""),
            ("data/gen", S_IFREG | 0o644, b"incompressible"),
        ]);
        let cpio = newc(&[
            ("bin", S_IFDIR | 0o755, b""),
            ("data", S_IFDIR | 0o700, b""),
            ("data/init.txt", S_IFREG | 0o644, b"compressed"),
        ]);
        let mut image = raw.clone();
        image.extend_from_slice(&[0; 8]); // padding between archives
        let member = gzip(&cpio);
        image.extend_from_slice(&member);
        assert_eq!(inflated_size(&image), cpio.len());
        let (root, res) = unpack(image, leak(cpio.len()));
        assert_eq!(res, Ok(5));
        let data = root.lookup("data").unwrap();
        assert_eq!(data.mode(), 0o700);
        assert_eq!(read_all(&data.lookup("gen").unwrap()), b"incompressible");
        assert_eq!(read_all(&data.lookup("init.txt").unwrap()), b"compressed");
        assert!(root.lookup("bin").is_ok());
        // Uncompressed only: nothing to reserve.
        assert_eq!(inflated_size(&raw), 0);
        // A raw archive after the member is unpacked too.
        let mut image = member;
        image.extend_from_slice(&raw);
        let (root, res) = unpack(image, leak(cpio.len() + 64));
        assert_eq!(res, Ok(5));
        assert!(root.lookup("data").unwrap().lookup("gen").is_ok());
    }

    #[test]
    fn corrupt_gzip_is_an_error_with_linux_text() {
        let cpio = newc(&[
            ("d", S_IFDIR | 0o755, b""),
            ("d/f", S_IFREG | 0o644, &[7u8; 5000]),
        ]);
        let member = gzip(&cpio);
        let n = cpio.len();
        let run = |image: Vec<u8>, out| unpack(image, out).1;

        // CRC32 in the trailer is wrong.
        let mut bad_crc = member.clone();
        let at = bad_crc.len() - 8;
        bad_crc[at] ^= 1;
        assert_eq!(run(bad_crc, leak(n)), Err("crc error"));
        // Cut short in the deflate data, and in the trailer.
        assert_eq!(
            run(member[..member.len() / 2].to_vec(), leak(n)),
            Err("read error")
        );
        assert_eq!(
            run(member[..member.len() - 3].to_vec(), leak(n)),
            Err("read error")
        );
        // Garbage that is neither cpio nor gzip.
        assert_eq!(
            run(b"PK\x03\x04 not an initramfs".to_vec(), leak(n)),
            Err("invalid magic at start of compressed archive")
        );
        // gzip magic with another compression method.
        let mut bad_cm = member.clone();
        bad_cm[2] = 7;
        assert_eq!(run(bad_cm, leak(n)), Err("Not a gzip file"));
        // ISIZE lies: more than the data (the reservation is ISIZE).
        let mut big_isize = member.clone();
        let at = big_isize.len() - 4;
        big_isize[at..].copy_from_slice(&(n as u32 + 100).to_le_bytes());
        assert_eq!(inflated_size(&big_isize), n + 100);
        assert_eq!(run(big_isize, leak(n + 100)), Err("length error"));
        // ... and less.
        let mut small_isize = member.clone();
        small_isize[at..].copy_from_slice(&(n as u32 - 100).to_le_bytes());
        assert_eq!(run(small_isize, leak(n - 100)), Err("length error"));
        // Corrupt deflate data (a reserved block type, BTYPE=11).
        let mut bad_block = member.clone();
        let deflate_at = 10 + "initramfs.cpio".len() + 1;
        bad_block[deflate_at] = 0x07;
        assert_eq!(run(bad_block, leak(n)), Err("uncompression error"));
        // No memory was reserved.
        assert_eq!(
            run(member.clone(), None),
            Err("Out of memory while allocating output buffer")
        );
        // The member ends mid-archive.
        let cut = gzip(&cpio[..cpio.len() - 120]);
        assert_eq!(
            run(cut, leak(n)),
            Err("junk at the end of compressed archive")
        );
        // Junk after the archive inside the member.
        let mut junk = cpio.clone();
        junk.extend_from_slice(b"junk");
        assert_eq!(
            run(gzip(&junk), leak(n + 4)),
            Err("junk within compressed archive")
        );
        // What came before the error stays unpacked.
        let mut image = newc(&[("early", S_IFREG | 0o644, b"x")]);
        image.extend_from_slice(&member[..40]);
        let (root, res) = unpack(image, leak(n));
        assert_eq!(res, Err("read error"));
        assert!(root.lookup("early").is_ok());
    }
}
