//! Directories; mirrors fs/ext2/dir.c of Linux 6.1 (`ext2_check_page`
//! with 6.1's messages, `ext2_get_page`, `ext2_last_byte`,
//! `ext2_validate_entry`, `ext2_readdir`, `ext2_find_entry`,
//! `ext2_inode_by_name`).
//!
//! A directory's blocks are read through its block map
//! ([`Ext2SbInfo::ext2_read_block`]) and checked on every read: Linux
//! checks a page once, when it enters the page cache (`PageChecked`);
//! tinymm's page-cache glue will do the same. Left out: adding,
//! deleting and changing entries (`ext2_add_link`, `ext2_delete_entry`,
//! `ext2_set_link`, `ext2_make_empty`, `ext2_empty_dir`), `ext2_dotdot`
//! and the lookup start cache (`i_dir_start_lookup`).

use alloc::format;
use alloc::vec::Vec;

use super::*;

/// `DT_*` (include/linux/fs_types.h): `fs_ftype_to_dtype()`'s table.
const FT_TO_DT: [u8; EXT2_FT_MAX as usize] = [0, 8, 4, 2, 6, 1, 12, 10];

/// `fs_ftype_to_dtype()`: DT_UNKNOWN for a type past the table.
pub fn fs_ftype_to_dtype(file_type: u8) -> u8 {
    FT_TO_DT.get(usize::from(file_type)).copied().unwrap_or(0)
}

/// An entry found by [`Ext2SbInfo::ext2_find_entry`]: its directory
/// page (block) and offset there, header and name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ext2DirEntryRef {
    pub page: u64,
    pub offset: usize,
    pub de: Ext2DirEntry2,
    pub name: Vec<u8>,
}

/// `ext2_rec_len_from_disk()` (4 KiB pages: the value as stored).
fn rec_len(kaddr: &[u8], offs: usize) -> usize {
    usize::from(u16::from_le_bytes([kaddr[offs + 4], kaddr[offs + 5]]))
}

impl Ext2SbInfo {
    /// `dir_pages()`: the pages (blocks) `i_size` spans.
    pub fn dir_pages(&self, dir: &Ext2InodeInfo) -> u64 {
        dir.i_size.div_ceil(EXT2_BLOCK_SIZE as u64)
    }

    /// `ext2_last_byte()`: the end of the valid bytes of page `n`.
    fn ext2_last_byte(&self, dir: &Ext2InodeInfo, n: u64) -> usize {
        let last = dir.i_size.saturating_sub(n * EXT2_BLOCK_SIZE as u64);
        last.min(EXT2_BLOCK_SIZE as u64) as usize
    }

    /// `ext2_check_page()`: every entry of directory page `n` has a
    /// record length of at least 12 bytes, 4-byte aligned, long enough
    /// for its name, inside its block, and an inode number within the
    /// file system; the entries end exactly at the page's valid bytes.
    pub fn ext2_check_page(&self, dir: &Ext2InodeInfo, n: u64, kaddr: &[u8]) -> Ext2Result<()> {
        const F: &str = "ext2_check_page";
        let chunk_size = EXT2_BLOCK_SIZE;
        let max_inumber = self.s_es.s_inodes_count;
        let base = n * EXT2_BLOCK_SIZE as u64;
        let mut limit = EXT2_BLOCK_SIZE;
        if dir.i_size >> EXT2_BLOCK_SIZE_BITS == n {
            limit = (dir.i_size & (EXT2_BLOCK_SIZE as u64 - 1)) as usize;
            if limit & (chunk_size - 1) != 0 {
                return Err(self.error(
                    F,
                    Errno::EIO,
                    &format!(
                        "size of directory #{} is not a multiple of chunk size",
                        dir.i_ino
                    ),
                ));
            }
            if limit == 0 {
                return Ok(());
            }
        }
        let mut offs = 0;
        while offs <= limit - ext2_dir_rec_len(1) {
            let de = Ext2DirEntry2::from_bytes(kaddr, offs);
            let rec_len = usize::from(de.rec_len);
            let error = if rec_len < ext2_dir_rec_len(1) {
                Some("rec_len is smaller than minimal")
            } else if rec_len & 3 != 0 {
                Some("unaligned directory entry")
            } else if rec_len < ext2_dir_rec_len(de.name_len.into()) {
                Some("rec_len is too small for name_len")
            } else if ((offs + rec_len - 1) ^ offs) & !(chunk_size - 1) != 0 {
                Some("directory entry across blocks")
            } else if de.inode > max_inumber {
                Some("inode out of bounds")
            } else {
                None
            };
            if let Some(error) = error {
                return Err(self.error(
                    F,
                    Errno::EIO,
                    &format!(
                        "bad entry in directory #{}: : {error} - offset={}, inode={}, \
                         rec_len={rec_len}, name_len={}",
                        dir.i_ino,
                        base + offs as u64,
                        de.inode,
                        de.name_len
                    ),
                ));
            }
            offs += rec_len;
        }
        if offs != limit {
            // offs is 4-aligned and below the page's end: its inode field
            // is inside the page, the rest of the header may not be.
            let inode = u32::from_le_bytes([
                kaddr[offs],
                kaddr[offs + 1],
                kaddr[offs + 2],
                kaddr[offs + 3],
            ]);
            return Err(self.error(
                F,
                Errno::EIO,
                &format!(
                    "entry in directory #{} spans the page boundaryoffset={}, inode={inode}",
                    dir.i_ino,
                    base + offs as u64
                ),
            ));
        }
        Ok(())
    }

    /// `ext2_get_page()`: directory page `n`, read and checked (EIO if
    /// the check fails).
    pub fn ext2_get_page(
        &self,
        dir: &Ext2InodeInfo,
        n: u64,
    ) -> Ext2Result<alloc::boxed::Box<[u8; EXT2_BLOCK_SIZE]>> {
        let page = self.ext2_read_block(dir, n)?;
        self.ext2_check_page(dir, n, &page[..])?;
        Ok(page)
    }

    /// `ext2_validate_entry()`: the start of the entry at or after
    /// `offset` in a checked page, walking from its block's start.
    fn ext2_validate_entry(kaddr: &[u8], offset: usize) -> usize {
        let mask = !(EXT2_BLOCK_SIZE - 1);
        let mut p = offset & mask;
        while p < offset {
            let r = rec_len(kaddr, p);
            if r == 0 {
                break;
            }
            p += r;
        }
        p
    }

    /// `ext2_readdir()`: calls `emit(name, ino, d_type)` for each entry
    /// from position `*pos` (a byte offset in the directory) on, advancing
    /// `*pos` past each entry emitted, until `emit` returns false (Linux's
    /// `dir_emit()`). d_type is DT_UNKNOWN without the filetype feature.
    /// A position inside an entry moves to the entry's end, as Linux does
    /// for a directory changed since the last call.
    #[inline(never)]
    pub fn ext2_readdir(
        &self,
        dir: &Ext2InodeInfo,
        pos: &mut u64,
        emit: &mut dyn FnMut(&[u8], u32, u8) -> bool,
    ) -> Ext2Result<()> {
        match dir.i_size.checked_sub(ext2_dir_rec_len(1) as u64) {
            Some(last) if *pos <= last => {}
            _ => return Ok(()),
        }
        let has_filetype = self.has_incompat_feature(EXT2_FEATURE_INCOMPAT_FILETYPE);
        let mut offset = (*pos & (EXT2_BLOCK_SIZE as u64 - 1)) as usize;
        let npages = self.dir_pages(dir);
        let mut n = *pos >> EXT2_BLOCK_SIZE_BITS;
        while n < npages {
            let page = match self.ext2_get_page(dir, n) {
                Ok(p) => p,
                Err(e) => {
                    self.error(
                        "ext2_readdir",
                        e.errno,
                        &format!("bad page in #{}", dir.i_ino),
                    );
                    *pos += (EXT2_BLOCK_SIZE - offset) as u64;
                    return Err(e);
                }
            };
            if offset != 0 {
                offset = Self::ext2_validate_entry(&page[..], offset);
                *pos = (n << EXT2_BLOCK_SIZE_BITS) + offset as u64;
            }
            let limit = self.ext2_last_byte(dir, n) as isize - ext2_dir_rec_len(1) as isize;
            let mut de = offset;
            while de as isize <= limit {
                let d = Ext2DirEntry2::from_bytes(&page[..], de);
                if d.rec_len == 0 {
                    return Err(self.error(
                        "ext2_readdir",
                        Errno::EIO,
                        "zero-length directory entry",
                    ));
                }
                if d.inode != 0 {
                    let d_type = if has_filetype {
                        fs_ftype_to_dtype(d.file_type)
                    } else {
                        0
                    };
                    // In bounds in a checked page; EIO rather than trust it.
                    let Some(name) = page.get(de + 8..de + 8 + usize::from(d.name_len)) else {
                        return Err(Ext2Error::silent(Errno::EIO));
                    };
                    if !emit(name, d.inode, d_type) {
                        return Ok(());
                    }
                }
                *pos += u64::from(d.rec_len);
                de += usize::from(d.rec_len);
            }
            n += 1;
            offset = 0;
        }
        Ok(())
    }

    /// `ext2_find_entry()`: the entry called `name` in `dir`, ENOENT if
    /// there is none; EIO from a page that fails its check.
    #[inline(never)]
    pub fn ext2_find_entry(&self, dir: &Ext2InodeInfo, name: &[u8]) -> Ext2Result<Ext2DirEntryRef> {
        const F: &str = "ext2_find_entry";
        let reclen = ext2_dir_rec_len(name.len()) as isize;
        let npages = self.dir_pages(dir);
        let mut n = 0;
        while n < npages {
            let page = self.ext2_get_page(dir, n)?;
            let end = self.ext2_last_byte(dir, n) as isize - reclen;
            let mut de = 0usize;
            while de as isize <= end {
                let d = Ext2DirEntry2::from_bytes(&page[..], de);
                if d.rec_len == 0 {
                    self.error(F, Errno::ENOENT, "zero-length directory entry");
                    return Err(Ext2Error::silent(Errno::ENOENT));
                }
                // ext2_match(): an unused entry never matches.
                let len = usize::from(d.name_len);
                if len == name.len() && d.inode != 0 && &page[de + 8..de + 8 + len] == name {
                    return Ok(Ext2DirEntryRef {
                        page: n,
                        offset: de,
                        name: name.to_vec(),
                        de: d,
                    });
                }
                de += usize::from(d.rec_len);
            }
            n += 1;
            if n < npages && n > dir.i_blocks >> (EXT2_BLOCK_SIZE_BITS - 9) {
                self.error(
                    F,
                    Errno::ENOENT,
                    &format!(
                        "dir {} size {} exceeds block count {}",
                        dir.i_ino, dir.i_size, dir.i_blocks
                    ),
                );
                break;
            }
        }
        Err(Ext2Error::silent(Errno::ENOENT))
    }

    /// `ext2_inode_by_name()` with `ext2_lookup()`'s ENAMETOOLONG: the
    /// inode number `name` stands for in `dir`.
    pub fn ext2_inode_by_name(&self, dir: &Ext2InodeInfo, name: &[u8]) -> Ext2Result<u32> {
        if name.len() > EXT2_NAME_LEN {
            return Err(Ext2Error::silent(Errno::ENAMETOOLONG));
        }
        Ok(self.ext2_find_entry(dir, name)?.de.inode)
    }
}
