/* tmpfs's file semantics: create/O_EXCL/O_TRUNC/O_APPEND, read/write,
 * pread/pwrite, holes and st_blocks, truncation, rename (overwrite,
 * RENAME_NOREPLACE, RENAME_EXCHANGE, ENOTEMPTY, EINVAL), unlink of an
 * open file, hard links, symbolic links, mkdir/rmdir errors, getdents64
 * over 10000 files (deleting while reading), O_TMPFILE, statfs,
 * utimensat.
 *
 * usage: tmpfs DIR -- DIR must not exist; its parent must be on a tmpfs
 * (Linux: /dev/shm; tinymm: /tmp). The program makes it, works in it and
 * removes it.
 *
 * Helpers for scenario scripts (tinymm's shell has no dd, rm or mount):
 *   tmpfs fill FILE BYTES   writes BYTES (K/M suffix) in 64 KiB writes:
 *                           "fill: wrote N" and, on an error, "fill: errno E"
 *   tmpfs unlink FILE       "unlink: 0" or "unlink: errno E"
 *   tmpfs stat PATH         "stat: mode M rdev MAJ:MIN nlink N" (mode in octal)
 *   tmpfs mount DIR OPTS [TYPE]  mounts a tmpfs (or TYPE):
 *                           "mount: 0" or "mount: errno E" */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "check.h"

#define TMPFS_MAGIC 0x01021994
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif
#define NFILES 10000

static long renameat2_(const char *old, const char *new, unsigned flags)
{
	return syscall(SYS_renameat2, AT_FDCWD, old, AT_FDCWD, new, flags);
}

/* errno of a call that should fail, or 0 if it succeeded. */
#define ERR(call) ((call) < 0 ? errno : 0)

static void put(const char *name, const char *text)
{
	int fd = open(name, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			perror("write");
		close(fd);
	}
}

/* The file's text (up to 63 bytes), or "" if it cannot be read. */
static const char *get(const char *name)
{
	static char buf[64];
	int fd = open(name, O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof buf - 1);
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

static struct stat st_of(const char *name)
{
	struct stat st;
	memset(&st, 0, sizeof st);
	lstat(name, &st);
	return st;
}

static void check_files(void)
{
	char buf[64];
	int fd = open("f", O_CREAT | O_EXCL | O_RDWR, 0644);
	check(fd >= 0, "create_excl");
	check(ERR(open("f", O_CREAT | O_EXCL | O_RDWR, 0644)) == EEXIST,
	      "create_excl_again_eexist");
	check(write(fd, "hello world", 11) == 11, "write_11");
	check(lseek(fd, 0, SEEK_SET) == 0, "lseek_0");
	memset(buf, 0, sizeof buf);
	check(read(fd, buf, sizeof buf) == 11 && !strcmp(buf, "hello world"),
	      "read_back");
	check(read(fd, buf, sizeof buf) == 0, "read_at_eof_0");
	memset(buf, 0, sizeof buf);
	check(pread(fd, buf, 5, 6) == 5 && !strcmp(buf, "world"), "pread");
	check(pwrite(fd, "HELLO", 5, 0) == 5, "pwrite");
	check(lseek(fd, 0, SEEK_CUR) == 11, "pwrite_keeps_position");
	close(fd);
	check(!strcmp(get("f"), "HELLO world"), "pwrite_data");

	fd = open("f", O_WRONLY | O_APPEND);
	check(lseek(fd, 0, SEEK_SET) == 0 && write(fd, "!!", 2) == 2 &&
		      lseek(fd, 0, SEEK_CUR) == 13,
	      "append_writes_at_end");
	close(fd);
	check(!strcmp(get("f"), "HELLO world!!"), "append_data");
	struct stat st = st_of("f");
	check(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644 &&
		      st.st_nlink == 1 && st.st_size == 13,
	      "stat_regular_file");
	check(st.st_blocks == 8 && st.st_blksize == 4096, "stat_blocks_one_page");
	fd = open("f", O_RDWR | O_TRUNC);
	st = st_of("f");
	check(fd >= 0 && st.st_size == 0 && st.st_blocks == 0, "o_trunc_empties");
	close(fd);
	check(ERR(open("nothere", O_RDONLY)) == ENOENT, "open_missing_enoent");
	check(ERR(open("f/x", O_RDONLY)) == ENOTDIR, "open_below_file_enotdir");
	unlink("f");
}

static void check_holes_and_truncate(void)
{
	char buf[8192];
	int fd = open("h", O_CREAT | O_RDWR, 0644);
	check(pwrite(fd, "x", 1, 1 << 20) == 1, "write_past_hole");
	struct stat st;
	fstat(fd, &st);
	checkf(st.st_size == (1 << 20) + 1 && st.st_blocks == 8,
	       "hole_not_allocated", "size %ld blocks %ld", (long)st.st_size,
	       (long)st.st_blocks);
	memset(buf, 1, sizeof buf);
	int zero = pread(fd, buf, sizeof buf, 4096) == sizeof buf;
	for (size_t i = 0; i < sizeof buf; i++)
		zero &= buf[i] == 0;
	check(zero, "hole_reads_zeroes");
	fstat(fd, &st);
	check(st.st_blocks == 8, "hole_read_allocates_nothing");

	memset(buf, 'a', sizeof buf);
	check(pwrite(fd, buf, sizeof buf, 0) == sizeof buf, "write_two_pages");
	fstat(fd, &st);
	check(st.st_blocks == 24, "three_pages_blocks");
	check(ftruncate(fd, 100) == 0, "ftruncate_shrink");
	fstat(fd, &st);
	check(st.st_size == 100 && st.st_blocks == 8, "truncate_frees_pages");
	check(ftruncate(fd, 8192) == 0, "ftruncate_grow");
	fstat(fd, &st);
	check(st.st_size == 8192 && st.st_blocks == 8, "grow_allocates_nothing");
	memset(buf, 1, sizeof buf);
	int ok = pread(fd, buf, sizeof buf, 0) == sizeof buf;
	for (int i = 0; i < 8192; i++)
		ok &= buf[i] == (i < 100 ? 'a' : 0);
	check(ok, "truncate_zeroes_partial_page");
	check(truncate("h", 0) == 0, "truncate_path");
	fstat(fd, &st);
	check(st.st_size == 0 && st.st_blocks == 0, "truncate_to_zero");
	check(ERR(ftruncate(fd, -1)) == EINVAL, "ftruncate_negative_einval");
	close(fd);
	fd = open("h", O_RDONLY);
	check(ERR(ftruncate(fd, 0)) == EINVAL, "ftruncate_readonly_einval");
	close(fd);
	check(ERR(truncate(".", 0)) == EISDIR, "truncate_dir_eisdir");
	unlink("h");
}

static void check_rename(void)
{
	put("a", "A");
	put("b", "B");
	check(rename("a", "b") == 0 && !strcmp(get("b"), "A") &&
		      ERR(access("a", F_OK)) == ENOENT,
	      "rename_overwrites");
	put("a", "A2");
	check(ERR(renameat2_("a", "b", RENAME_NOREPLACE)) == EEXIST,
	      "rename_noreplace_eexist");
	check(renameat2_("a", "c", RENAME_NOREPLACE) == 0 &&
		      !strcmp(get("c"), "A2"),
	      "rename_noreplace_new_name");
	check(renameat2_("b", "c", RENAME_EXCHANGE) == 0 &&
		      !strcmp(get("b"), "A2") && !strcmp(get("c"), "A"),
	      "rename_exchange_swaps");
	check(ERR(renameat2_("b", "zz", RENAME_EXCHANGE)) == ENOENT,
	      "rename_exchange_missing_enoent");
	check(ERR(renameat2_("b", "c", RENAME_EXCHANGE | RENAME_NOREPLACE)) ==
		      EINVAL,
	      "rename_exchange_noreplace_einval");
	mkdir("d1", 0755);
	mkdir("d2", 0755);
	put("d2/x", "x");
	check(ERR(rename("d1", "d2")) == ENOTEMPTY, "rename_dir_onto_nonempty_enotempty");
	mkdir("d1/sub", 0755);
	check(ERR(rename("d1", "d1/sub/deeper")) == EINVAL,
	      "rename_dir_into_itself_einval");
	check(ERR(rename("b", "d1")) == EISDIR, "rename_file_onto_dir_eisdir");
	check(ERR(rename("d1", "b")) == ENOTDIR, "rename_dir_onto_file_enotdir");
	mkdir("empty", 0755);
	check(rename("d1", "empty") == 0 && st_of("empty/sub").st_nlink == 2,
	      "rename_dir_onto_empty_dir");
	check(st_of(".").st_nlink == 4, "rename_dir_parent_nlink");
	check(renameat2_("d2", "b", RENAME_EXCHANGE) == 0 &&
		      S_ISDIR(st_of("b").st_mode) && !strcmp(get("b/x"), "x") &&
		      !strcmp(get("d2"), "A2"),
	      "rename_exchange_file_and_dir");
	check(rename("c", "c") == 0 && !strcmp(get("c"), "A"), "rename_to_itself");
	unlink("b/x");
	rmdir("b");
	rmdir("empty/sub");
	rmdir("empty");
	unlink("c");
	unlink("d2");
}

static void check_unlink_open_and_links(void)
{
	char buf[16];
	struct statfs before, during, after;
	char page[4096];
	memset(page, 'p', sizeof page);
	int fd = open("open", O_CREAT | O_RDWR, 0644);
	for (int i = 0; i < 4; i++)
		if (write(fd, page, sizeof page) != sizeof page)
			perror("write");
	statfs(".", &before);
	check(unlink("open") == 0, "unlink_open_file");
	struct stat st;
	fstat(fd, &st);
	check(st.st_nlink == 0 && st.st_size == 4 * 4096, "unlinked_nlink_0");
	memset(buf, 0, sizeof buf);
	check(pread(fd, buf, 4, 0) == 4 && !strcmp(buf, "pppp"),
	      "unlinked_still_readable");
	statfs(".", &during);
	check(during.f_bfree == before.f_bfree, "unlinked_pages_kept_while_open");
	close(fd);
	statfs(".", &after);
	checkf(after.f_bfree == before.f_bfree + 4 &&
		       after.f_ffree == before.f_ffree + 1,
	       "pages_and_inode_freed_on_close", "bfree %ld -> %ld ffree %ld -> %ld",
	       (long)before.f_bfree, (long)after.f_bfree, (long)before.f_ffree,
	       (long)after.f_ffree);

	put("l1", "linked");
	check(link("l1", "l2") == 0, "link");
	struct stat s1 = st_of("l1"), s2 = st_of("l2");
	check(s1.st_nlink == 2 && s2.st_nlink == 2 && s1.st_ino == s2.st_ino,
	      "link_nlink_2_same_inode");
	check(ERR(link("l1", "l2")) == EEXIST, "link_exists_eexist");
	mkdir("ld", 0755);
	check(ERR(link("ld", "ld2")) == EPERM, "link_dir_eperm");
	check(unlink("l1") == 0 && st_of("l2").st_nlink == 1 &&
		      !strcmp(get("l2"), "linked"),
	      "unlink_one_link");
	unlink("l2");
	rmdir("ld");
}

static void check_symlinks(void)
{
	char buf[64];
	put("target", "T");
	check(symlink("target", "sl") == 0, "symlink");
	memset(buf, 0, sizeof buf);
	check(readlink("sl", buf, sizeof buf) == 6 && !strcmp(buf, "target"),
	      "readlink");
	struct stat st = st_of("sl");
	check(S_ISLNK(st.st_mode) && st.st_size == 6 && st.st_blocks == 0 &&
		      (st.st_mode & 0777) == 0777,
	      "lstat_symlink");
	check(!strcmp(get("sl"), "T"), "open_through_symlink");
	check(ERR(open("sl", O_RDONLY | O_NOFOLLOW)) == ELOOP, "o_nofollow_eloop");
	check(symlink("nowhere", "dangling") == 0 &&
		      ERR(stat("dangling", &st)) == ENOENT &&
		      lstat("dangling", &st) == 0,
	      "dangling_symlink_enoent");
	symlink("loop2", "loop1");
	symlink("loop1", "loop2");
	check(ERR(open("loop1", O_RDONLY)) == ELOOP, "symlink_loop_eloop");
	check(ERR(readlink("target", buf, sizeof buf)) == EINVAL,
	      "readlink_regular_einval");
	check(ERR(symlink("x", "target")) == EEXIST, "symlink_exists_eexist");
	unlink("sl");
	unlink("dangling");
	unlink("loop1");
	unlink("loop2");
	unlink("target");
}

static void check_dirs(void)
{
	struct stat st;
	check(mkdir("d", 0755) == 0, "mkdir");
	st = st_of("d");
	check(S_ISDIR(st.st_mode) && st.st_nlink == 2 && st.st_size == 40 &&
		      st.st_blocks == 0,
	      "new_dir_nlink_2_size_40");
	check(ERR(mkdir("d", 0755)) == EEXIST, "mkdir_exists_eexist");
	check(ERR(mkdir("nothere/d", 0755)) == ENOENT, "mkdir_missing_parent_enoent");
	mkdir("d/s1", 0755);
	mkdir("d/s2", 0755);
	put("d/f", "f");
	st = st_of("d");
	check(st.st_nlink == 4 && st.st_size == 40 + 3 * 20, "dir_nlink_and_size");
	check(ERR(rmdir("d")) == ENOTEMPTY, "rmdir_nonempty_enotempty");
	check(ERR(rmdir("d/f")) == ENOTDIR, "rmdir_file_enotdir");
	check(ERR(rmdir("d/zz")) == ENOENT, "rmdir_missing_enoent");
	check(ERR(unlink("d/s1")) == EISDIR, "unlink_dir_eisdir");
	check(ERR(rmdir("d/s1/.")) == EINVAL, "rmdir_dot_einval");
	check(rmdir("d/s1") == 0 && st_of("d").st_nlink == 3, "rmdir_drops_parent_link");
	unlink("d/f");
	rmdir("d/s2");
	check(rmdir("d") == 0 && ERR(stat("d", &st)) == ENOENT, "rmdir_empty");
	check(mknod("fifo", S_IFIFO | 0644, 0) == 0 && S_ISFIFO(st_of("fifo").st_mode),
	      "mknod_fifo");
	st = st_of("fifo");
	check(st.st_blocks == 0 && st.st_size == 0, "fifo_no_blocks");
	check(mknod("null", S_IFCHR | 0666, makedev(1, 3)) == 0 &&
		      S_ISCHR(st_of("null").st_mode) &&
		      st_of("null").st_rdev == makedev(1, 3),
	      "mknod_char_device");
	unlink("fifo");
	unlink("null");
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Reads the whole directory once; with `remove`, unlinks each entry as
 * soon as it is returned. Counts entries (without . and ..) and marks
 * each fNNNNN seen. */
static int list_dir(const char *dir, unsigned char *seen, int remove, int *dups)
{
	static char buf[4096];
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	int count = 0;
	long n;
	*dups = 0;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
		for (long at = 0; at < n;) {
			struct linux_dirent64 *d = (void *)(buf + at);
			at += d->d_reclen;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				continue;
			count++;
			int i = atoi(d->d_name + 1);
			if (d->d_name[0] == 'f' && i >= 0 && i < NFILES) {
				*dups += seen[i];
				seen[i] = 1;
			}
			if (remove) {
				char path[64];
				snprintf(path, sizeof path, "%s/%s", dir, d->d_name);
				unlink(path);
			}
		}
	}
	close(fd);
	return n < 0 ? -1 : count;
}

static void check_getdents(void)
{
	static unsigned char seen[NFILES];
	char path[64];
	int made = 0, dups;
	mkdir("many", 0755);
	for (int i = 0; i < NFILES; i++) {
		snprintf(path, sizeof path, "many/f%05d", i);
		int fd = open(path, O_CREAT | O_WRONLY, 0644);
		if (fd >= 0) {
			made++;
			close(fd);
		}
	}
	check(made == NFILES, "create_10000_files");
	check(st_of("many").st_size == 40 + NFILES * 20, "dir_size_10000");
	memset(seen, 0, sizeof seen);
	int count = list_dir("many", seen, 0, &dups);
	int all = 1;
	for (int i = 0; i < NFILES; i++)
		all &= seen[i];
	checkf(count == NFILES && all && !dups, "getdents_lists_all", "count %d dups %d",
	       count, dups);
	memset(seen, 0, sizeof seen);
	count = list_dir("many", seen, 1, &dups);
	all = 1;
	for (int i = 0; i < NFILES; i++)
		all &= seen[i];
	checkf(count == NFILES && all && !dups, "getdents_while_deleting_sees_all",
	       "count %d dups %d", count, dups);
	memset(seen, 0, sizeof seen);
	check(list_dir("many", seen, 0, &dups) == 0, "all_deleted");
	check(rmdir("many") == 0, "rmdir_after_delete");
}

static void check_tmpfile_statfs_utimes(void)
{
	struct statfs s0, s1;
	check(statfs(".", &s0) == 0 && s0.f_type == TMPFS_MAGIC, "statfs_tmpfs_magic");
	check(s0.f_bsize == 4096 && s0.f_namelen == 255, "statfs_bsize_namelen");
	int fd = open(".", O_TMPFILE | O_RDWR, 0600);
	check(fd >= 0, "o_tmpfile");
	char page[4096];
	memset(page, 't', sizeof page);
	check(write(fd, page, sizeof page) == sizeof page, "o_tmpfile_write");
	struct stat st;
	fstat(fd, &st);
	check(st.st_nlink == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600,
	      "o_tmpfile_unnamed");
	statfs(".", &s1);
	check(s1.f_bfree == s0.f_bfree - 1 && s1.f_ffree == s0.f_ffree - 1,
	      "statfs_counts_blocks_and_inodes");
	check(linkat(fd, "", AT_FDCWD, "named", AT_EMPTY_PATH) == 0 &&
		      st_of("named").st_size == 4096 && st_of("named").st_nlink == 1,
	      "o_tmpfile_linkat");
	close(fd);
	check(ERR(open(".", O_TMPFILE | O_RDONLY, 0600)) == EINVAL,
	      "o_tmpfile_rdonly_einval");

	struct timespec ts[2] = {{1000, 500}, {2000, 0}};
	check(utimensat(AT_FDCWD, "named", ts, 0) == 0, "utimensat");
	st = st_of("named");
	check(st.st_atim.tv_sec == 1000 && st.st_atim.tv_nsec == 500 &&
		      st.st_mtim.tv_sec == 2000 && st.st_mtim.tv_nsec == 0,
	      "utimensat_times");
	struct timespec omit[2] = {{0, UTIME_OMIT}, {3000, 0}};
	check(utimensat(AT_FDCWD, "named", omit, 0) == 0 &&
		      st_of("named").st_atim.tv_sec == 1000 &&
		      st_of("named").st_mtim.tv_sec == 3000,
	      "utimensat_omit");
	struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
	check(ERR(utimensat(AT_FDCWD, "named", bad, 0)) == EINVAL,
	      "utimensat_bad_nsec_einval");
	fd = open("named", O_WRONLY);
	check(write(fd, "w", 1) == 1 && st_of("named").st_mtim.tv_sec != 3000,
	      "write_updates_mtime");
	close(fd);
	struct timespec old[2] = {{1000, 0}, {1000, 0}};
	utimensat(AT_FDCWD, ".", old, 0);
	put("new", "n");
	check(st_of(".").st_mtim.tv_sec != 1000, "create_updates_dir_mtime");
	check(chmod("new", 0600) == 0 && (st_of("new").st_mode & 07777) == 0600,
	      "chmod");
	check(chown("new", 12, 34) == 0 && st_of("new").st_uid == 12 &&
		      st_of("new").st_gid == 34,
	      "chown");
	unlink("new");
	unlink("named");
}

/* The helpers' commands; -1 if argv names none. */
static int helper(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "fill")) {
		char *end;
		long long want = strtoll(argv[3], &end, 10);
		want <<= *end == 'M' ? 20 : *end == 'K' ? 10 : 0;
		static char buf[65536];
		memset(buf, 'f', sizeof buf);
		int fd = open(argv[2], O_CREAT | O_WRONLY | O_TRUNC, 0644);
		long long done = 0;
		int err = fd < 0 ? errno : 0;
		while (!err && done < want) {
			long long left = want - done;
			size_t n = left < (long long)sizeof buf ? (size_t)left : sizeof buf;
			ssize_t w = write(fd, buf, n);
			if (w < 0)
				err = errno;
			else
				done += w;
		}
		printf("fill: wrote %lld\n", done);
		if (err)
			printf("fill: errno %d\n", err);
		if (fd >= 0)
			close(fd);
		return err ? 1 : 0;
	}
	if (argc == 3 && !strcmp(argv[1], "unlink")) {
		int r = unlink(argv[2]);
		printf(r ? "unlink: errno %d\n" : "unlink: 0\n", errno);
		return r ? 1 : 0;
	}
	if (argc == 3 && !strcmp(argv[1], "stat")) {
		struct stat st;
		int r = lstat(argv[2], &st);
		if (r)
			printf("stat: errno %d\n", errno);
		else
			printf("stat: mode %o rdev %u:%u nlink %lu\n", (unsigned)st.st_mode,
			       major(st.st_rdev), minor(st.st_rdev),
			       (unsigned long)st.st_nlink);
		return r ? 1 : 0;
	}
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "mount")) {
		const char *type = argc == 5 ? argv[4] : "tmpfs";
		int r = mount("none", argv[2], type, 0, argv[3]);
		printf(r ? "mount: errno %d\n" : "mount: 0\n", errno);
		return r ? 1 : 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	checks_begin();
	int h = helper(argc, argv);
	if (h >= 0)
		return h;
	if (argc != 2) {
		printf("usage: tmpfs DIR\n");
		return 2;
	}
	check(mkdir(argv[1], 0755) == 0 && chdir(argv[1]) == 0, "work_dir");
	check_files();
	check_holes_and_truncate();
	check_rename();
	check_unlink_open_and_links();
	check_symlinks();
	check_dirs();
	check_getdents();
	check_tmpfile_statfs_utimes();
	check(chdir("/") == 0 && rmdir(argv[1]) == 0, "work_dir_removed");
	return checks_end();
}
