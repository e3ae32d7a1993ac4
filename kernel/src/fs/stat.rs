//! `fstat` (fs/stat.c) and x86_64's `struct stat`.

use super::Inode;
use crate::mm::page::PAGE_SIZE;

/// x86_64 `struct stat` (arch/x86/include/uapi/asm/stat.h), 144 bytes.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub struct Stat {
    pub st_dev: u64,
    pub st_ino: u64,
    pub st_nlink: u64,
    pub st_mode: u32,
    pub st_uid: u32,
    pub st_gid: u32,
    pub __pad0: i32,
    pub st_rdev: u64,
    pub st_size: i64,
    pub st_blksize: i64,
    pub st_blocks: i64,
    pub st_times: [i64; 6],
    pub __unused: [i64; 3],
}

const _: () = assert!(core::mem::size_of::<Stat>() == 144);

/// `vfs_getattr()` → `cp_new_stat()`.
pub fn vfs_getattr(inode: &dyn Inode) -> Stat {
    let size = inode.size();
    Stat {
        st_ino: inode.ino(),
        st_nlink: 1,
        st_mode: inode.file_type().s_ifmt() | inode.mode(),
        st_size: size as i64,
        st_blksize: PAGE_SIZE as i64,
        st_blocks: size.div_ceil(512) as i64,
        ..Stat::default()
    }
}

impl Stat {
    /// The bytes user space sees.
    pub fn as_bytes(&self) -> [u8; 144] {
        let mut out = [0u8; 144];
        let words: [u64; 18] = [
            self.st_dev,
            self.st_ino,
            self.st_nlink,
            u64::from(self.st_mode) | (u64::from(self.st_uid) << 32),
            u64::from(self.st_gid) | ((self.__pad0 as u32 as u64) << 32),
            self.st_rdev,
            self.st_size as u64,
            self.st_blksize as u64,
            self.st_blocks as u64,
            self.st_times[0] as u64,
            self.st_times[1] as u64,
            self.st_times[2] as u64,
            self.st_times[3] as u64,
            self.st_times[4] as u64,
            self.st_times[5] as u64,
            self.__unused[0] as u64,
            self.__unused[1] as u64,
            self.__unused[2] as u64,
        ];
        for (chunk, w) in out.as_chunks_mut::<8>().0.iter_mut().zip(words) {
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        out
    }
}
