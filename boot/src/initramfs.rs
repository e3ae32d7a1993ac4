//! The initramfs: a cpio "newc" archive, the format Linux unpacks at boot
//! (Documentation/driver-api/early-userspace/buffer-format.rst; written
//! the way usr/gen_init_cpio.c writes it: names without the leading `/`,
//! mtime 0, uid/gid 0). It holds the directory skeleton, the workload
//! programs as `/bin/<name>`, the files given with `--add`/`--gen` and,
//! with `--init busybox`, busybox with its links and `/init`
//! (busybox.rs).
//!
//! Each entry: a 110-byte ASCII header ("070701" and 13 eight-digit hex
//! fields), the NUL-terminated name padded to 4 bytes, the data padded to
//! 4 bytes. The archive ends with an entry named `TRAILER!!!`.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Directories every archive has: mount points and places for data.
pub const DIRS: [&str; 6] = ["/bin", "/data", "/dev", "/proc", "/sys", "/tmp"];

/// Device nodes every archive has, as Linux's default initramfs
/// (usr/default_cpio_list) has /dev/console: the kernel opens the console
/// for init before anything is mounted.
pub const NODES: [(&str, u32, u32, u32); 9] = [
    ("/dev/console", 0o600, 5, 1),
    ("/dev/full", 0o666, 1, 7),
    ("/dev/kmsg", 0o644, 1, 11),
    ("/dev/null", 0o666, 1, 3),
    ("/dev/random", 0o666, 1, 8),
    ("/dev/tty", 0o666, 5, 0),
    ("/dev/ttyS0", 0o660, 4, 64),
    ("/dev/urandom", 0o666, 1, 9),
    ("/dev/zero", 0o666, 1, 5),
];

const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFCHR: u32 = 0o020000;
const S_IFLNK: u32 = 0o120000;
/// newc sizes are 8 hex digits.
pub const MAX_FILE_SIZE: u64 = u32::MAX as u64;

/// Where a file's bytes come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A file on the host, copied as it is.
    Host(PathBuf),
    /// An ELF program on the host; the image builder packs it without
    /// debug info and symbols (see `image::strip_all`), else it is copied
    /// as is.
    Program(PathBuf),
    /// `size` bytes of [`generated`] content.
    Generated(u64),
    /// These bytes (the `/init` script the image builder writes).
    Text(Vec<u8>),
    /// A symbolic link to this target (`mode` is ignored: links are
    /// 0777, as Linux makes them).
    Symlink(String),
}

/// One regular file in the archive.
#[derive(Debug, Clone, PartialEq)]
pub struct GuestFile {
    /// Absolute guest path, e.g. `/data/big`.
    pub path: String,
    pub mode: u32,
    pub source: Source,
}

/// Checks that `path` is absolute and plain (no `.`/`..`/empty parts) and
/// not under a pseudo filesystem's mount point.
pub fn check_guest_path(path: &str) -> Result<(), String> {
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| format!("guest path `{path}` is not absolute"))?;
    if rest
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Err(format!("guest path `{path}` is not a plain path"));
    }
    if ["/proc", "/sys"]
        .iter()
        .any(|m| path == *m || path.starts_with(&format!("{m}/")))
    {
        return Err(format!(
            "guest path `{path}` is under a pseudo filesystem (/proc, /sys)"
        ));
    }
    Ok(())
}

/// The seed of a generated file: FNV-1a 64 of its guest path.
pub fn seed_for(path: &str) -> u64 {
    path.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Generated content: the little-endian words of xorshift64 (13, 7, 17)
/// seeded with [`seed_for`] the guest path (a zero seed becomes
/// 0x9e3779b97f4a7c15, as in `user::parse::XorShift64`), truncated to the
/// size. Deterministic, so tests compute the expected checksum on the host.
pub struct Generated {
    state: u64,
    left: u64,
    /// Bytes of the current word not handed out yet.
    word: [u8; 8],
    word_used: usize,
}

pub fn generated(path: &str, size: u64) -> Generated {
    let seed = seed_for(path);
    Generated {
        state: if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        },
        left: size,
        word: [0; 8],
        word_used: 8,
    }
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        for byte in &mut buf[..n] {
            if self.word_used == 8 {
                let mut x = self.state;
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                self.state = x;
                self.word = x.to_le_bytes();
                self.word_used = 0;
            }
            *byte = self.word[self.word_used];
            self.word_used += 1;
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// The wrapping u64 sum of a generated file's bytes, as the guest's
/// `fileread` prints it.
pub fn checksum(path: &str, size: u64) -> io::Result<u64> {
    let mut data = generated(path, size);
    let mut buf = vec![0u8; 1 << 16];
    let mut sum = 0u64;
    loop {
        let n = data.read(&mut buf)?;
        if n == 0 {
            return Ok(sum);
        }
        sum = buf[..n]
            .iter()
            .fold(sum, |s, &b| s.wrapping_add(u64::from(b)));
    }
}

/// Streams a newc archive into `out`.
pub struct CpioWriter<W: Write> {
    out: W,
    next_ino: u32,
    written: u64,
}

impl<W: Write> CpioWriter<W> {
    pub fn new(out: W) -> Self {
        Self::with_first_ino(out, 1)
    }

    /// An archive whose inode numbers start at `ino`, so that the
    /// archives of one initramfs share none (newc marks hard links by a
    /// repeated inode number).
    pub fn with_first_ino(out: W, ino: u32) -> Self {
        Self {
            out,
            next_ino: ino,
            written: 0,
        }
    }

    fn header(&mut self, name: &str, mode: u32, nlink: u32, size: u64) -> io::Result<()> {
        self.header_rdev(name, mode, nlink, size, (0, 0))
    }

    fn header_rdev(
        &mut self,
        name: &str,
        mode: u32,
        nlink: u32,
        size: u64,
        (rmajor, rminor): (u32, u32),
    ) -> io::Result<()> {
        let size = u32::try_from(size).map_err(|_| {
            io::Error::other(format!(
                "{name}: {size} bytes is too large for cpio newc (max {MAX_FILE_SIZE})"
            ))
        })?;
        let namesize = name.len() + 1;
        let ino = self.next_ino;
        self.next_ino += 1;
        // ino mode uid gid nlink mtime filesize devmajor devminor
        // rdevmajor rdevminor namesize check
        let header = format!(
            "070701{ino:08x}{mode:08x}{:08x}{:08x}{nlink:08x}{:08x}{size:08x}{:08x}{:08x}{rmajor:08x}{rminor:08x}{namesize:08x}{:08x}",
            0, 0, 0, 0, 0, 0
        );
        debug_assert_eq!(header.len(), 110);
        self.put(header.as_bytes())?;
        self.put(name.as_bytes())?;
        self.put(&[0])?;
        self.pad()
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    fn pad(&mut self) -> io::Result<()> {
        let pad = (4 - self.written % 4) % 4;
        self.put(&[0; 3][..pad as usize])
    }

    /// A directory; `path` is absolute.
    pub fn dir(&mut self, path: &str, perm: u32) -> io::Result<()> {
        self.header(archive_name(path), S_IFDIR | perm, 2, 0)
    }

    /// A character device node (gen_init_cpio's `nod PATH MODE 0 0 c
    /// MAJOR MINOR`), e.g. `/dev/console` (5, 1) for an initramfs whose
    /// kernel does not mount devtmpfs before starting init.
    pub fn char_dev(&mut self, path: &str, perm: u32, major: u32, minor: u32) -> io::Result<()> {
        self.header_rdev(archive_name(path), S_IFCHR | perm, 1, 0, (major, minor))
    }

    /// A symbolic link (gen_init_cpio's `slink PATH TARGET 777 0 0`): the
    /// entry's data is the target, without a NUL.
    pub fn symlink(&mut self, path: &str, target: &str) -> io::Result<()> {
        self.header(archive_name(path), S_IFLNK | 0o777, 1, target.len() as u64)?;
        self.put(target.as_bytes())?;
        self.pad()
    }

    /// A regular file of exactly `size` bytes read from `data`.
    pub fn file(&mut self, path: &str, perm: u32, size: u64, data: impl Read) -> io::Result<()> {
        self.header(archive_name(path), S_IFREG | perm, 1, size)?;
        let copied = io::copy(&mut data.take(size), &mut Counting(self))?;
        if copied != size {
            return Err(io::Error::other(format!(
                "{path}: expected {size} bytes, got {copied} (did the file change?)"
            )));
        }
        self.pad()
    }

    pub fn finish(mut self) -> io::Result<W> {
        self.header("TRAILER!!!", 0, 1, 0)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Counts bytes copied into the archive (for padding).
struct Counting<'a, W: Write>(&'a mut CpioWriter<W>);

impl<W: Write> Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.0.out.write(buf)?;
        self.0.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.out.flush()
    }
}

/// `/bin/anon` → `bin/anon`, as gen_init_cpio names entries.
fn archive_name(path: &str) -> &str {
    path.trim_start_matches('/')
}

/// Writes the archive for `files` to `out` (a path on the host), as
/// Linux's initramfs buffer format allows (init/initramfs.c
/// `unpack_to_rootfs`: archives and compressed members in a row): first,
/// if there are any, the generated files (large and incompressible) with
/// their parent directories, uncompressed; then one gzip member (gzip -9)
/// holding the skeleton [`DIRS`], any parent directories the files need,
/// [`NODES`] and every other file. The member comes last so that its
/// ISIZE is the buffer's last 4 bytes, where the kernel reads how much
/// memory to reserve for it. Without `gzip` that second part is a plain
/// archive too (the PVH boot: QEMU loads the initrd by fw_cfg DMA, so
/// inflating it under TCG would cost more than its size).
pub fn write_archive(out: &Path, files: &[GuestFile], gzip: bool) -> Result<(), String> {
    let file = File::create(out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    let mut out_file = BufWriter::with_capacity(1 << 20, file);
    let io_err = |e: io::Error| format!("writing {}: {e}", out.display());

    let mut dirs: BTreeSet<String> = DIRS.iter().map(|d| d.to_string()).collect();
    let mut names = BTreeSet::new();
    for file in files {
        check_guest_path(&file.path)?;
        if !names.insert(file.path.as_str()) {
            return Err(format!("{} is in the initramfs twice", file.path));
        }
        dirs.extend(parents(&file.path));
    }
    if let Some(clash) = files.iter().find(|f| dirs.contains(&f.path)) {
        return Err(format!("{} is a directory in the initramfs", clash.path));
    }
    let (generated_files, packed): (Vec<&GuestFile>, Vec<&GuestFile>) = files
        .iter()
        .partition(|f| matches!(f.source, Source::Generated(_)));

    let mut next_ino = 1;
    if !generated_files.is_empty() {
        let mut cpio = CpioWriter::with_first_ino(&mut out_file, next_ino);
        let gen_dirs: BTreeSet<String> = generated_files
            .iter()
            .flat_map(|f| parents(&f.path))
            .collect();
        // BTreeSet order puts every parent before its children.
        for dir in &gen_dirs {
            cpio.dir(dir, 0o755).map_err(io_err)?;
        }
        for file in &generated_files {
            write_file(&mut cpio, file).map_err(io_err)?;
        }
        next_ino = cpio.next_ino;
        cpio.finish().map_err(io_err)?;
    }
    if gzip {
        let gz = flate2::write::GzEncoder::new(&mut out_file, flate2::Compression::best());
        let cpio = CpioWriter::with_first_ino(gz, next_ino);
        write_packed(cpio, &dirs, &packed)
            .and_then(|gz| gz.finish())
            .map_err(io_err)?;
    } else {
        let cpio = CpioWriter::with_first_ino(&mut out_file, next_ino);
        write_packed(cpio, &dirs, &packed).map_err(io_err)?;
    }
    out_file.flush().map_err(io_err)?;
    Ok(())
}

/// The skeleton, `dirs`, [`NODES`] and `packed` as one archive; returns
/// the writer it went to.
fn write_packed<W: Write>(
    mut cpio: CpioWriter<W>,
    dirs: &BTreeSet<String>,
    packed: &[&GuestFile],
) -> io::Result<W> {
    for dir in dirs {
        cpio.dir(dir, 0o755)?;
    }
    for (path, perm, major, minor) in NODES {
        cpio.char_dev(path, perm, major, minor)?;
    }
    for file in packed {
        write_file(&mut cpio, file)?;
    }
    cpio.finish()
}

/// The directories above `path` (absolute), but not `/`.
fn parents(path: &str) -> impl Iterator<Item = String> + '_ {
    Path::new(path)
        .ancestors()
        .skip(1)
        .filter(|d| *d != Path::new("/"))
        .map(|d| d.to_string_lossy().into_owned())
}

/// One entry of `files` into `cpio`; errors name the host file.
fn write_file<W: Write>(cpio: &mut CpioWriter<W>, file: &GuestFile) -> io::Result<()> {
    match &file.source {
        Source::Host(host) | Source::Program(host) => {
            let with_name = |e: io::Error| {
                io::Error::new(e.kind(), format!("cannot read {}: {e}", host.display()))
            };
            let data = File::open(host).map_err(with_name)?;
            let size = data.metadata().map_err(with_name)?.len();
            cpio.file(&file.path, file.mode, size, data)
        }
        Source::Generated(size) => {
            cpio.file(&file.path, file.mode, *size, generated(&file.path, *size))
        }
        Source::Text(bytes) => cpio.file(&file.path, file.mode, bytes.len() as u64, &bytes[..]),
        Source::Symlink(target) => cpio.symlink(&file.path, target),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One parsed newc entry.
    #[derive(Debug, PartialEq)]
    struct Entry {
        name: String,
        ino: u32,
        mode: u32,
        nlink: u32,
        rdev: (u32, u32),
        data: Vec<u8>,
    }

    /// A minimal newc reader: checks magic, alignment and the trailer.
    fn parse(archive: &[u8]) -> Vec<Entry> {
        let (entries, end) = parse_one(archive);
        assert_eq!(end, archive.len(), "bytes after the trailer");
        entries
    }

    /// An initramfs as `write_archive` writes it: the uncompressed
    /// archive of generated files, if `raw`, then one gzip member.
    fn parse_initramfs(bytes: &[u8], raw: bool) -> (Vec<Entry>, Vec<Entry>) {
        let (generated_entries, end) = if raw {
            parse_one(bytes)
        } else {
            (Vec::new(), 0)
        };
        let member = &bytes[end..];
        assert_eq!(&member[..3], [0x1f, 0x8b, 8], "gzip magic");
        let mut gz = flate2::read::GzDecoder::new(member);
        let mut cpio = Vec::new();
        gz.read_to_end(&mut cpio).unwrap();
        assert!(gz.into_inner().is_empty(), "bytes after the member");
        let isize = u32::from_le_bytes(bytes[bytes.len() - 4..].try_into().unwrap());
        assert_eq!(isize as usize, cpio.len());
        (generated_entries, parse(&cpio))
    }

    /// One newc archive at the start of `archive` and where it ends.
    fn parse_one(archive: &[u8]) -> (Vec<Entry>, usize) {
        let field = |h: &[u8], i: usize| {
            let text = std::str::from_utf8(&h[6 + 8 * i..14 + 8 * i]).unwrap();
            u32::from_str_radix(text, 16).unwrap()
        };
        let align = |n: usize| n.div_ceil(4) * 4;
        let mut entries = Vec::new();
        let mut at = 0;
        loop {
            assert_eq!(at % 4, 0, "header at {at} not aligned");
            let header = &archive[at..at + 110];
            assert_eq!(&header[..6], b"070701");
            let namesize = field(header, 11) as usize;
            let size = field(header, 6) as usize;
            let name_bytes = &archive[at + 110..at + 110 + namesize];
            assert_eq!(name_bytes.last(), Some(&0), "name not NUL-terminated");
            let name = std::str::from_utf8(&name_bytes[..namesize - 1])
                .unwrap()
                .to_string();
            let data_at = align(at + 110 + namesize);
            assert!(
                archive[at + 110 + namesize..data_at]
                    .iter()
                    .all(|&b| b == 0)
            );
            let data = archive[data_at..data_at + size].to_vec();
            at = align(data_at + size);
            if name == "TRAILER!!!" {
                return (entries, at);
            }
            assert_eq!(field(header, 2), 0, "uid");
            assert_eq!(field(header, 5), 0, "mtime");
            entries.push(Entry {
                name,
                ino: field(header, 0),
                mode: field(header, 1),
                nlink: field(header, 4),
                rdev: (field(header, 9), field(header, 10)),
                data,
            });
        }
    }

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("tinymm-initramfs-{}-{name}", std::process::id()))
    }

    #[test]
    fn archive_round_trips() {
        let host = temp("host");
        std::fs::write(&host, b"hello, tinymm\n").unwrap();
        let files = vec![
            GuestFile {
                path: "/bin/prog".into(),
                mode: 0o755,
                source: Source::Host(host.clone()),
            },
            GuestFile {
                path: "/data/deep/er/gen".into(),
                mode: 0o644,
                source: Source::Generated(10_001),
            },
            GuestFile {
                path: "/tmp/empty".into(),
                mode: 0o600,
                source: Source::Generated(0),
            },
        ];
        let out = temp("archive");
        write_archive(&out, &files, true).unwrap();
        let archive = std::fs::read(&out).unwrap();
        std::fs::remove_file(&out).unwrap();

        let (raw, entries) = parse_initramfs(&archive, true);
        let names: Vec<&str> = raw.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "data",
                "data/deep",
                "data/deep/er",
                "tmp",
                "data/deep/er/gen",
                "tmp/empty"
            ]
        );
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "bin",
                "data",
                "data/deep",
                "data/deep/er",
                "dev",
                "proc",
                "sys",
                "tmp",
                "dev/console",
                "dev/full",
                "dev/kmsg",
                "dev/null",
                "dev/random",
                "dev/tty",
                "dev/ttyS0",
                "dev/urandom",
                "dev/zero",
                "bin/prog",
            ]
        );
        for dir in &entries[..8] {
            assert_eq!(dir.mode, 0o040755, "{}", dir.name);
            assert_eq!(dir.nlink, 2);
            assert!(dir.data.is_empty());
        }
        assert_eq!((entries[8].mode, entries[8].rdev), (0o020600, (5, 1)));
        assert_eq!((entries[10].mode, entries[10].rdev), (0o020644, (1, 11)));
        assert_eq!((entries[11].mode, entries[11].rdev), (0o020666, (1, 3)));
        let prog = &entries[17];
        assert_eq!(prog.mode, 0o100755);
        assert_eq!(prog.nlink, 1);
        assert_eq!(prog.data, b"hello, tinymm\n");
        for dir in &raw[..4] {
            assert_eq!((dir.mode, dir.nlink), (0o040755, 2), "{}", dir.name);
        }
        let generated_file = &raw[4];
        assert_eq!(generated_file.mode, 0o100644);
        assert_eq!(generated_file.data.len(), 10_001);
        let mut expected = Vec::new();
        generated("/data/deep/er/gen", 10_001)
            .read_to_end(&mut expected)
            .unwrap();
        assert_eq!(generated_file.data, expected);
        assert_eq!(raw[5].mode, 0o100600);
        assert!(raw[5].data.is_empty());
        // Inode numbers are unique across both archives.
        let inos: BTreeSet<u32> = raw.iter().chain(&entries).map(|e| e.ino).collect();
        assert_eq!(inos.len(), raw.len() + entries.len());

        // Without gzip: the same two archives, both plain.
        write_archive(&out, &files, false).unwrap();
        let plain = std::fs::read(&out).unwrap();
        let (raw2, end) = parse_one(&plain);
        let (entries2, end2) = parse_one(&plain[end..]);
        assert_eq!(end + end2, plain.len(), "bytes after the second archive");
        assert_eq!(raw2, raw);
        assert_eq!(entries2, entries);

        // Without generated files there is only the member.
        write_archive(&out, &files[..1], true).unwrap();
        let archive = std::fs::read(&out).unwrap();
        std::fs::remove_file(&out).unwrap();
        std::fs::remove_file(&host).unwrap();
        let (raw, entries) = parse_initramfs(&archive, false);
        assert!(raw.is_empty());
        assert_eq!(entries.len(), DIRS.len() + NODES.len() + 1);
    }

    #[test]
    fn generated_content_is_xorshift_of_the_path() {
        let mut bytes = Vec::new();
        generated("/data/f", 20).read_to_end(&mut bytes).unwrap();
        let mut x = seed_for("/data/f");
        let mut expected = Vec::new();
        for _ in 0..3 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            expected.extend_from_slice(&x.to_le_bytes());
        }
        expected.truncate(20);
        assert_eq!(bytes, expected);
        // Chunked reads give the same stream.
        let mut chunked = Vec::new();
        let mut reader = generated("/data/f", 20);
        let mut buf = [0u8; 3];
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            chunked.extend_from_slice(&buf[..n]);
        }
        assert_eq!(chunked, expected);
        // FNV-1a test vector: "a".
        assert_eq!(seed_for("a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn bad_archives_are_refused() {
        let out = temp("bad");
        let gen_file = |path: &str| GuestFile {
            path: path.into(),
            mode: 0o644,
            source: Source::Generated(1),
        };
        for path in [
            "data/x",
            "/data/../x",
            "/data//x",
            "/proc/x",
            "/sys/fs/cgroup/x",
            "/",
        ] {
            assert!(
                write_archive(&out, &[gen_file(path)], true).is_err(),
                "{path}"
            );
        }
        assert!(write_archive(&out, &[gen_file("/data/x"), gen_file("/data/x")], true).is_err());
        assert!(write_archive(&out, &[gen_file("/tmp")], true).is_err());
        assert!(write_archive(&out, &[gen_file("/data/d/x"), gen_file("/data/d")], true).is_err());
        let missing = GuestFile {
            path: "/data/m".into(),
            mode: 0o644,
            source: Source::Host("/nonexistent/tinymm".into()),
        };
        let err = write_archive(&out, &[missing], true).unwrap_err();
        assert!(err.contains("/nonexistent/tinymm"), "{err}");
        let _ = std::fs::remove_file(&out);
    }

    #[test]
    fn device_nodes() {
        let mut cpio = CpioWriter::new(Vec::new());
        cpio.dir("/dev", 0o755).unwrap();
        cpio.char_dev("/dev/console", 0o600, 5, 1).unwrap();
        let entries = parse(&cpio.finish().unwrap());
        assert_eq!(entries[1].name, "dev/console");
        assert_eq!(entries[1].mode, 0o020600);
        assert_eq!((entries[1].nlink, entries[1].rdev), (1, (5, 1)));
        assert!(entries[1].data.is_empty());
        assert_eq!(entries[0].rdev, (0, 0));
    }
}
