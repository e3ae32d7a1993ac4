/* Path walking and the VFS's answers on files both Linux and tinymm
 * have: /, /proc, /proc/self, /dev/null, /sys. Symbolic links (the proc
 * ones), "..", trailing slashes, long names, O_NOFOLLOW/O_PATH/
 * O_DIRECTORY, the *at() calls' dirfd, getcwd/chdir/fchdir, stat/statx/
 * statfs fields, getdents64, readlink, and mount/umount2 errors that
 * change nothing. Nothing here writes to a file system. Names that are
 * removed or made sit on writable mounts (proc, sysfs) so the errors do
 * not depend on whether the root is read-only (EROFS comes first). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "check.h"

#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572

/* `struct statx` (include/uapi/linux/stat.h), declared here because
 * musl's headers may lack it; called through syscall(2). */
struct kstatx {
	unsigned int stx_mask, stx_blksize;
	unsigned long long stx_attributes;
	unsigned int stx_nlink, stx_uid, stx_gid;
	unsigned short stx_mode, pad1;
	unsigned long long stx_ino, stx_size, stx_blocks, stx_attributes_mask;
	struct {
		long long tv_sec;
		unsigned int tv_nsec;
		int pad;
	} stx_atime, stx_btime, stx_ctime, stx_mtime;
	unsigned int stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
	unsigned long long spare[14];
};
#define KSTATX_TYPE 0x1u
#define KSTATX_BASIC_STATS 0x7ffu

static int kstatx(int dfd, const char *p, int flags, unsigned mask, struct kstatx *b)
{
	return (int)syscall(SYS_statx, dfd, p, flags, mask, b);
}

/* errno of a call that must fail (0 if it succeeded). */
#define FAILS(call) ((call) == -1 ? errno : 0)

static int stat_mode(const char *p, int (*f)(const char *, struct stat *))
{
	struct stat st;
	return f(p, &st) == 0 ? (int)(st.st_mode & S_IFMT) : -errno;
}

static void check_stat(void)
{
	struct stat st;
	check(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) &&
		      major(st.st_rdev) == 1 && minor(st.st_rdev) == 3 &&
		      (st.st_mode & 0777) == 0666,
	      "stat_dev_null_char_1_3_0666");
	check(stat("/proc", &st) == 0 && S_ISDIR(st.st_mode) && st.st_nlink >= 2,
	      "stat_proc_dir");
	check(stat_mode("/proc/self", lstat) == S_IFLNK, "lstat_proc_self_link");
	check(stat_mode("/proc/self", stat) == S_IFDIR, "stat_proc_self_dir");
	check(stat_mode("/proc/self/../self/.", stat) == S_IFDIR, "stat_dot_dotdot");
	check(stat_mode("/dev/null/", stat) == -ENOTDIR, "stat_trailing_slash_enotdir");
	check(stat_mode("/dev/null/x", stat) == -ENOTDIR, "stat_through_file_enotdir");
	check(stat_mode("/nonexistent/x", stat) == -ENOENT, "stat_missing_enoent");
	check(stat_mode("", stat) == -ENOENT, "stat_empty_enoent");
	check(stat_mode("//proc///self//", stat) == S_IFDIR, "stat_many_slashes");
	check(stat_mode("/..", stat) == S_IFDIR && stat_mode("/../proc", stat) == S_IFDIR,
	      "stat_dotdot_above_root");

	static char longname[PATH_MAX + 10], comp[300];
	memset(longname, 'a', sizeof longname - 1);
	longname[0] = '/';
	check(stat_mode(longname, stat) == -ENAMETOOLONG, "stat_path_max_enametoolong");
	memset(comp, 'b', sizeof comp - 1);
	comp[0] = '/';
	check(stat_mode(comp, stat) == -ENAMETOOLONG, "stat_name_max_enametoolong");

	struct stat a, b;
	int fd = open("/dev/null", O_RDONLY);
	check(fd >= 0 && fstat(fd, &a) == 0 && stat("/dev/null", &b) == 0 &&
		      a.st_ino == b.st_ino && a.st_dev == b.st_dev && a.st_rdev == b.st_rdev,
	      "fstat_matches_stat");
	check(fstatat(fd, "", &a, AT_EMPTY_PATH) == 0 && S_ISCHR(a.st_mode),
	      "fstatat_empty_path");
	errno = 0;
	check(fstatat(fd, "", &a, 0) == -1 && errno == ENOENT, "fstatat_empty_without_flag");
	errno = 0;
	check(fstatat(AT_FDCWD, "/proc", &a, 0x40000000) == -1 && errno == EINVAL,
	      "fstatat_bad_flags_einval");
	close(fd);

	struct kstatx sx;
	check(kstatx(AT_FDCWD, "/dev/null", 0, KSTATX_BASIC_STATS, &sx) == 0 &&
		      (sx.stx_mask & KSTATX_BASIC_STATS) == KSTATX_BASIC_STATS &&
		      sx.stx_rdev_major == 1 && sx.stx_rdev_minor == 3 &&
		      S_ISCHR(sx.stx_mode) && sx.stx_nlink == 1,
	      "statx_dev_null");
	check(kstatx(AT_FDCWD, "/proc/self", AT_SYMLINK_NOFOLLOW, KSTATX_TYPE, &sx) == 0 &&
		      S_ISLNK(sx.stx_mode),
	      "statx_nofollow_link");
	errno = 0;
	check(kstatx(AT_FDCWD, "/proc", 0, 0x80000000u, &sx) == -1 && errno == EINVAL,
	      "statx_reserved_mask_einval");

	struct statfs sf;
	check(statfs("/proc", &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC &&
		      sf.f_namelen == 255,
	      "statfs_proc_magic");
	check(statfs("/sys", &sf) == 0 && sf.f_type == SYSFS_MAGIC, "statfs_sys_magic");
	fd = open("/proc/self", O_RDONLY | O_DIRECTORY);
	check(fd >= 0 && fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC,
	      "fstatfs_proc_magic");
	close(fd);
}

static void check_links(const char *argv0)
{
	char buf[PATH_MAX], want[32];
	ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
	snprintf(want, sizeof want, "%d", getpid());
	check(n > 0 && (buf[n] = 0, strcmp(buf, want) == 0), "readlink_proc_self_pid");
	char *real = realpath(argv0, NULL);
	n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	checkf(n > 0 && real && (buf[n] = 0, strcmp(buf, real) == 0), "readlink_proc_self_exe",
	       "%s vs %s", n > 0 ? buf : "?", real ? real : "?");
	free(real);
	n = readlink("/proc/self/exe", buf, 3);
	check(n == 3, "readlink_truncates_without_nul");
	errno = 0;
	check(readlink("/dev/null", buf, sizeof buf) == -1 && errno == EINVAL,
	      "readlink_not_a_link_einval");
	errno = 0;
	check(syscall(SYS_readlink, "/proc/self", buf, 0) == -1 && errno == EINVAL,
	      "readlink_bufsiz_0_einval");
	check(getcwd(buf, sizeof buf) && (n = readlink("/proc/self/cwd", want, sizeof want)) > 0,
	      "readlink_proc_self_cwd");
	int fd = open("/proc/self/exe", O_RDONLY);
	check(fd >= 0, "open_through_proc_self_exe");
	close(fd);
}

static void check_open(void)
{
	check(FAILS(open("/proc/self", O_RDONLY | O_NOFOLLOW)) == ELOOP, "open_nofollow_eloop");
	int fd = open("/proc/self", O_PATH | O_NOFOLLOW);
	struct stat st;
	check(fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode), "open_path_nofollow_link");
	char c;
	check(FAILS(read(fd, &c, 1)) == EBADF, "read_o_path_ebadf");
	close(fd);
	check(FAILS(open("/dev/null", O_RDONLY | O_DIRECTORY)) == ENOTDIR,
	      "open_directory_on_file_enotdir");
	check(FAILS(open("/proc", O_WRONLY)) == EISDIR, "open_dir_for_write_eisdir");
	check(FAILS(open("/proc", O_RDWR)) == EISDIR, "open_dir_rdwr_eisdir");
	fd = open("/proc", O_RDONLY);
	check(fd >= 0 && FAILS(read(fd, &c, 1)) == EISDIR, "read_dir_eisdir");
	close(fd);
	check(FAILS(open("/nonexistent", O_RDONLY)) == ENOENT, "open_missing_enoent");
	check(FAILS(open("/proc/self/", O_CREAT | O_WRONLY, 0644)) == EISDIR,
	      "open_creat_dir_eisdir");

	int dir = open("/proc", O_RDONLY | O_DIRECTORY);
	fd = openat(dir, "self/status", O_RDONLY);
	check(dir >= 0 && fd >= 0, "openat_relative_to_dirfd");
	close(fd);
	fd = openat(99999, "/proc/self/status", O_RDONLY);
	check(fd >= 0, "openat_absolute_ignores_dirfd");
	close(fd);
	check(FAILS(openat(99999, "self", O_RDONLY)) == EBADF, "openat_bad_dirfd_ebadf");
	int null = open("/dev/null", O_RDONLY);
	check(FAILS(openat(null, "x", O_RDONLY)) == ENOTDIR, "openat_file_dirfd_enotdir");
	close(null);
	close(dir);
}

static void check_cwd(void)
{
	char buf[PATH_MAX];
	char *start = getcwd(NULL, 0);
	check(chdir("/proc") == 0 && getcwd(buf, sizeof buf) && strcmp(buf, "/proc") == 0,
	      "chdir_getcwd");
	check(chdir("self") == 0 && getcwd(buf, sizeof buf) && strncmp(buf, "/proc/", 6) == 0 &&
		      strcmp(buf, "/proc/self") != 0,
	      "chdir_through_link_names_target");
	check(chdir("..") == 0 && getcwd(buf, sizeof buf) && strcmp(buf, "/proc") == 0,
	      "chdir_dotdot");
	check(chdir("/..") == 0 && getcwd(buf, sizeof buf) && strcmp(buf, "/") == 0,
	      "chdir_root_dotdot");
	check(FAILS(chdir("/dev/null")) == ENOTDIR, "chdir_file_enotdir");
	check(FAILS(chdir("/nonexistent")) == ENOENT, "chdir_missing_enoent");
	errno = 0;
	check(syscall(SYS_getcwd, buf, 1) == -1 && errno == ERANGE, "getcwd_small_erange");
	check(syscall(SYS_getcwd, buf, 2) == 2 && strcmp(buf, "/") == 0,
	      "getcwd_returns_length_with_nul");
	int fd = open("/proc", O_RDONLY | O_DIRECTORY);
	check(fchdir(fd) == 0 && getcwd(buf, sizeof buf) && strcmp(buf, "/proc") == 0,
	      "fchdir");
	close(fd);
	fd = open("/dev/null", O_RDONLY);
	check(FAILS(fchdir(fd)) == ENOTDIR, "fchdir_file_enotdir");
	close(fd);
	check(chdir("/proc") == 0 && stat_mode("self/../self", stat) == S_IFDIR,
	      "relative_walk_from_cwd");
	check(start && chdir(start) == 0, "chdir_back");
	free(start);
}

static void check_getdents(void)
{
	DIR *d = opendir("/proc/self");
	int dot = 0, dotdot = 0, exe = 0, status = 0, n = 0, first_two_dots = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (n < 2 && e->d_name[0] == '.')
			first_two_dots++;
		n++;
		dot += strcmp(e->d_name, ".") == 0 && e->d_type == DT_DIR;
		dotdot += strcmp(e->d_name, "..") == 0 && e->d_type == DT_DIR;
		exe += strcmp(e->d_name, "exe") == 0 && e->d_type == DT_LNK;
		status += strcmp(e->d_name, "status") == 0 && e->d_type == DT_REG;
	}
	check(d && dot == 1 && dotdot == 1 && first_two_dots == 2, "getdents_dots_first");
	check(exe == 1 && status == 1, "getdents_types");
	rewinddir(d);
	int again = 0;
	while ((e = readdir(d)))
		again++;
	check(again == n, "rewinddir_lists_again");
	closedir(d);

	int fd = open("/proc/self", O_RDONLY | O_DIRECTORY);
	char small[8];
	errno = 0;
	check(syscall(SYS_getdents64, fd, small, sizeof small) == -1 && errno == EINVAL,
	      "getdents64_small_buffer_einval");
	close(fd);
	fd = open("/dev/null", O_RDONLY);
	char buf[512];
	errno = 0;
	check(syscall(SYS_getdents64, fd, buf, sizeof buf) == -1 && errno == ENOTDIR,
	      "getdents64_file_enotdir");
	close(fd);
}

static void check_namespace_errors(void)
{
	check(FAILS(mkdir("/", 0755)) == EEXIST, "mkdir_root_eexist");
	check(FAILS(mkdir("/proc", 0755)) == EEXIST, "mkdir_existing_eexist");
	check(FAILS(mkdir("/dev/null/x", 0755)) == ENOTDIR, "mkdir_under_file_enotdir");
	check(FAILS(rmdir("/sys/fs/cgroup")) == EBUSY, "rmdir_mountpoint_ebusy");
	check(FAILS(rmdir("/proc/self/.")) == EINVAL, "rmdir_dot_einval");
	check(FAILS(unlink("/sys/fs")) == EISDIR, "unlink_dir_eisdir");
	check(FAILS(rmdir("/proc/self")) == ENOTDIR, "rmdir_link_enotdir");
	check(FAILS(mkdir("/sys/x", 0755)) == EPERM, "mkdir_sysfs_eperm");
	check(FAILS(mount("none", "/proc", "tinymm-nosuchfs", 0, NULL)) == ENODEV,
	      "mount_unknown_type_enodev");
	check(FAILS(mount("none", "/nonexistent", "proc", 0, NULL)) == ENOENT,
	      "mount_missing_target_enoent");
	check(FAILS(umount2("/proc/self", 0)) == EINVAL, "umount_not_a_mount_einval");
	check(FAILS(umount2("/proc", 0x80000000)) == EINVAL, "umount_bad_flags_einval");
	check(FAILS(access("/dev/null", 8)) == EINVAL, "access_bad_mode_einval");
	check(access("/dev/null", R_OK | W_OK) == 0, "access_dev_null_rw");
	check(access("/proc/self/exe", X_OK) == 0, "access_exe_x");
	check(FAILS(faccessat(AT_FDCWD, "/proc", F_OK, 0x10000)) == EINVAL,
	      "faccessat_bad_flags_einval");
	check(FAILS(access("/nonexistent", F_OK)) == ENOENT, "access_missing_enoent");
}

int main(int argc, char **argv)
{
	(void)argc;
	checks_begin();
	check_stat();
	check_links(argv[0]);
	check_open();
	check_cwd();
	check_getdents();
	check_namespace_errors();
	return checks_end();
}
