/* The kernel log from user space: syslog(2)'s actions and errors, the
 * `<level>[    s.uuuuuu] text` lines READ_ALL and READ return, and
 * /dev/kmsg's records (`prefix,seq,usec,-;text`), writes with `<N>`,
 * escaping, EINVAL for a short buffer, EAGAIN at the end, lseek, the
 * writers' rate limit. Nothing destructive for the host's log: no CLEAR,
 * and console levels are put back. Needs CAP_SYSLOG (root). READ moves
 * the one system-wide reader position: run one at a time. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

#define BAD ((void *)8)
#define KERNEL_ADDR ((void *)0xffff888000000000UL)

static char buf[1 << 21];

static long sys_syslog(int type, void *b, long len)
{
	return syscall(SYS_syslog, type, b, len);
}

/* errno of a call that must fail, or 0 if it did not. */
#define ERRNO_OF(call) ((call) == -1 ? errno : 0)

/* Is `s` (up to a newline) `<N>[%5lu.%06lu] `, as Linux prints with
 * printk.time=1? Returns the text after it, or NULL. */
static const char *syslog_line_text(const char *s, int *prefix)
{
	int n = 0;
	unsigned long secs, usecs;
	char open, close, space;
	if (sscanf(s, "<%d>%c%lu.%lu%c%c%n", prefix, &open, &secs, &usecs,
		   &close, &space, &n) != 6 || open != '[' || close != ']' ||
	    space != ' ')
		return NULL;
	const char *dot = memchr(s, '.', n);
	/* six digits of microseconds, seconds right-aligned in 5 columns */
	if (!dot || s + n - dot != 9 || dot - strchr(s, '[') < 6)
		return NULL;
	return s + n;
}

/* The last line of `log` (len bytes) whose text is `text`, or NULL. */
static const char *find_line(const char *log, long len, const char *text)
{
	const char *found = NULL;
	for (const char *l = log; l < log + len;) {
		const char *nl = memchr(l, '\n', log + len - l);
		if (!nl)
			break;
		int prefix;
		const char *t = syslog_line_text(l, &prefix);
		if (t && (size_t)(nl - t) == strlen(text) &&
		    memcmp(t, text, nl - t) == 0)
			found = l;
		l = nl + 1;
	}
	return found;
}

static void check_syslog_errors(void)
{
	errno = 0;
	check(ERRNO_OF(sys_syslog(11, NULL, 0)) == EINVAL, "syslog_bad_type_einval");
	check(ERRNO_OF(sys_syslog(-1, NULL, 0)) == EINVAL, "syslog_negative_type_einval");
	check(sys_syslog(0, NULL, 0) == 0, "syslog_close_0");
	check(sys_syslog(1, NULL, 0) == 0, "syslog_open_0");
	/* Not READ_CLEAR (4): it would clear the host's log. */
	for (int type = 2; type <= 3; type++) {
		char name[64];
		snprintf(name, sizeof name, "syslog_%d_null_einval", type);
		check(ERRNO_OF(sys_syslog(type, NULL, 10)) == EINVAL, name);
		snprintf(name, sizeof name, "syslog_%d_negative_len_einval", type);
		check(ERRNO_OF(sys_syslog(type, buf, -1)) == EINVAL, name);
		snprintf(name, sizeof name, "syslog_%d_len_0_is_0", type);
		check(sys_syslog(type, buf, 0) == 0, name);
		snprintf(name, sizeof name, "syslog_%d_kernel_buffer_efault", type);
		check(ERRNO_OF(sys_syslog(type, KERNEL_ADDR, 100)) == EFAULT, name);
	}
	check(ERRNO_OF(sys_syslog(3, BAD, 100000)) == EFAULT, "syslog_read_all_unmapped_efault");
	check(ERRNO_OF(sys_syslog(8, NULL, 0)) == EINVAL, "syslog_console_level_0_einval");
	check(ERRNO_OF(sys_syslog(8, NULL, 9)) == EINVAL, "syslog_console_level_9_einval");
	long size = sys_syslog(10, NULL, 0);
	checkf(size >= 4096 && (size & (size - 1)) == 0, "syslog_size_buffer_power_of_2",
	       "%ld", size);
	check(sys_syslog(9, NULL, 0) >= 0, "syslog_size_unread_ok");
}

static int read_levels(int v[4])
{
	char text[64] = { 0 };
	int fd = open("/proc/sys/kernel/printk", O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	char t1, t2, t3, nl;
	if (n <= 0 || sscanf(text, "%d%c%d%c%d%c%d%c", &v[0], &t1, &v[1], &t2,
			     &v[2], &t3, &v[3], &nl) != 8 ||
	    t1 != '\t' || t2 != '\t' || t3 != '\t' || nl != '\n')
		return -1;
	return 0;
}

static int write_levels(const char *text)
{
	int fd = open("/proc/sys/kernel/printk", O_WRONLY);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void check_console_levels(void)
{
	int v[4], w[4];
	if (!check(read_levels(v) == 0, "proc_sys_kernel_printk_four_tab_separated"))
		return;
	char saved[64];
	snprintf(saved, sizeof saved, "%d %d %d %d\n", v[0], v[1], v[2], v[3]);
	check(sys_syslog(6, NULL, 0) == 0 && read_levels(w) == 0 && w[0] == v[2],
	      "syslog_console_off_sets_minimum");
	check(sys_syslog(7, NULL, 0) == 0 && read_levels(w) == 0 && w[0] == v[0],
	      "syslog_console_on_restores");
	check(sys_syslog(8, NULL, 8) == 0 && read_levels(w) == 0 && w[0] == 8,
	      "syslog_console_level_8");
	check(write_levels("6\n") == 0 && read_levels(w) == 0 && w[0] == 6 &&
		      w[1] == v[1],
	      "proc_sys_kernel_printk_write_first");
	errno = 0;
	check(write_levels("x\n") == -1 && errno == EINVAL,
	      "proc_sys_kernel_printk_write_junk_einval");
	check(write_levels(saved) == 0 && read_levels(w) == 0 &&
		      memcmp(v, w, sizeof v) == 0,
	      "proc_sys_kernel_printk_write_all_four");
}

/* Reads one /dev/kmsg record into `rec`; its prefix, seq and text out
 * (text NULL if the record is not in the `prefix,seq,usec,-;` shape). */
static ssize_t read_record(int fd, char *rec, size_t size, int *prefix,
			   unsigned long long *seq, const char **text)
{
	ssize_t n = read(fd, rec, size - 1);
	if (n < 0)
		return n;
	rec[n] = 0;
	unsigned long long usec;
	char flag;
	int at = 0;
	if (sscanf(rec, "%d,%llu,%llu,%c;%n", prefix, seq, &usec, &flag, &at) != 4 ||
	    flag != '-' || at == 0)
		*text = NULL;
	else
		*text = rec + at;
	return n;
}

/* This run's records start with `tag: ` (tag = "kt" and the pid, also
 * the task's name), so runs side by side, and the host's own messages,
 * do not disturb the checks. */
static char tag[16];

/* `fmt` with `%s` for the tag, formatted into a static buffer. */
static const char *tagged(const char *fmt)
{
	static char out[256];
	snprintf(out, sizeof out, fmt, tag);
	return out;
}

/* The next record of this run on `r` (others skipped; printk's own
 * about this task count), as read_record;
 * -1 with EAGAIN when there is none. */
static ssize_t next_mine(int r, char *rec, size_t size, int *prefix,
			 unsigned long long *seq, const char **text)
{
	for (;;) {
		ssize_t n = read_record(r, rec, size, prefix, seq, text);
		if (n < 0)
			return n;
		const char *t = *text;
		if (t && strncmp(t, "printk: ", 8) == 0)
			t += 8;
		if (t && strncmp(t, tag, strlen(tag)) == 0 && t[strlen(tag)] == ':')
			return n;
	}
}

static void check_devkmsg(void)
{
	char rec[8192];
	int prefix;
	unsigned long long seq, seq2;
	const char *text;

	int r = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	int w = open("/dev/kmsg", O_WRONLY);
	if (!check(r >= 0 && w >= 0, "devkmsg_open"))
		return;
	check(lseek(r, 0, SEEK_END) == 0, "devkmsg_seek_end_0");
	errno = 0;
	check(next_mine(r, rec, sizeof rec, &prefix, &seq, &text) == -1 && errno == EAGAIN,
	      "devkmsg_end_eagain");

	char m[256];
	snprintf(m, sizeof m, "<12>%s: hello\n", tag);
	check(write(w, m, strlen(m)) == (ssize_t)strlen(m), "devkmsg_write_returns_len");
	ssize_t n = next_mine(r, rec, sizeof rec, &prefix, &seq, &text);
	checkf(n > 0 && prefix == 12 && strcmp(text, tagged("%s: hello\n")) == 0 &&
		       n == (ssize_t)strlen(rec),
	       "devkmsg_read_one_record", "%zd %s", n, rec);

	/* Every write ends in a newline: Linux's readers see a record
	 * without one only once the next arrives (it might be continued). */
	snprintf(m, sizeof m, "<165>%s: tab\there\\\n", tag);
	write(w, m, strlen(m));
	n = next_mine(r, rec, sizeof rec, &prefix, &seq2, &text);
	checkf(n > 0 && prefix == 165 && seq2 > seq &&
		       strcmp(text, tagged("%s: tab\\x09here\\x5c\n")) == 0,
	       "devkmsg_facility_and_escapes", "%s", rec);

	snprintf(m, sizeof m, "%s: plain\n", tag);
	write(w, m, strlen(m));
	n = next_mine(r, rec, sizeof rec, &prefix, &seq2, &text);
	/* LOG_USER with default_message_loglevel (4 on both). */
	checkf(n > 0 && prefix == 12 && strcmp(text, tagged("%s: plain\n")) == 0,
	       "devkmsg_default_user_warning", "%s", rec);

	lseek(r, 0, SEEK_END);
	write(w, m, strlen(m));
	errno = 0;
	check(read(r, rec, 10) == -1 && errno == EINVAL, "devkmsg_short_buffer_einval");
	errno = 0;
	check(next_mine(r, rec, sizeof rec, &prefix, &seq2, &text) == -1 && errno == EAGAIN,
	      "devkmsg_short_read_skips_the_record");

	static char big[2000];
	memset(big, 'b', sizeof big);
	errno = 0;
	check(write(w, big, sizeof big) == -1 && errno == EINVAL, "devkmsg_write_too_long_einval");

	errno = 0;
	check(lseek(r, 1, SEEK_SET) == -1 && errno == ESPIPE, "devkmsg_seek_offset_espipe");
	errno = 0;
	check(lseek(r, 0, SEEK_CUR) == -1 && errno == EINVAL, "devkmsg_seek_cur_einval");
	check(lseek(r, 0, SEEK_SET) == 0, "devkmsg_seek_set_0");
	n = read_record(r, rec, sizeof rec, &prefix, &seq2, &text);
	check(n > 0 && text && seq2 <= seq, "devkmsg_seek_set_reads_the_oldest");
	check(lseek(r, 0, SEEK_DATA) == 0, "devkmsg_seek_data_0");

	/* The syslog view of the same records. */
	long len = sys_syslog(3, buf, sizeof buf);
	const char *line = len > 0 ? find_line(buf, len, tagged("%s: hello")) : NULL;
	check(line && strncmp(line, "<12>[", 5) == 0, "syslog_read_all_has_the_write");
	line = len > 0 ? find_line(buf, len, tagged("%s: tab\there\\")) : NULL;
	check(line && strncmp(line, "<165>[", 6) == 0, "syslog_read_all_raw_text");
	int all_prefixed = len > 0 && buf[len - 1] == '\n';
	for (const char *l = buf; all_prefixed && l < buf + len;) {
		int p;
		all_prefixed = syslog_line_text(l, &p) != NULL;
		l = strchr(l, '\n') + 1;
	}
	checkf(all_prefixed, "syslog_read_all_every_line_prefixed", "%ld", len);

	/* A burst: 10 lines in 5 s per open file, then the rest dropped and
	 * counted, under the task's name, when it is closed. */
	int b = open("/dev/kmsg", O_WRONLY);
	lseek(r, 0, SEEK_END);
	int written = 0;
	snprintf(m, sizeof m, "%s: burst\n", tag);
	for (int i = 0; i < 12; i++)
		written += write(b, m, strlen(m)) == (ssize_t)strlen(m);
	close(b);
	int bursts = 0, suppressed = 0;
	while (next_mine(r, rec, sizeof rec, &prefix, &seq2, &text) > 0) {
		bursts += prefix == 12 && strcmp(text, m) == 0;
		suppressed += prefix == 4 &&
			strcmp(text, tagged("printk: %s: 2 output lines suppressed due to ratelimiting\n")) == 0;
	}
	checkf(written == 12 && bursts == 10 && suppressed == 1, "devkmsg_write_ratelimit",
	       "written %d bursts %d suppressed %d", written, bursts, suppressed);
	close(r);
	close(w);
}

static void kmsg_write(const char *line)
{
	int w = open("/dev/kmsg", O_WRONLY);
	write(w, line, strlen(line));
	close(w);
}

/* READ: destructive, record by record, a record too big for the buffer
 * returned in parts. */
static void check_syslog_read(void)
{
	long unread = sys_syslog(9, NULL, 0);
	if (!checkf(unread > 0, "syslog_size_unread_positive", "%ld", unread))
		return;
	long n = sys_syslog(2, buf, sizeof buf);
	checkf(n > 0 && n >= unread, "syslog_read_returns_all_unread", "%ld %ld", n, unread);
	check(sys_syslog(9, NULL, 0) == 0, "syslog_read_leaves_nothing_unread");

	kmsg_write(tagged("<14>%s: read\n"));
	long u = sys_syslog(9, NULL, 0);
	n = sys_syslog(2, buf, 64);
	checkf(n == u && n > 0 && n < 64 && find_line(buf, n, tagged("%s: read")) == buf &&
		       strncmp(buf, "<14>[", 5) == 0,
	       "syslog_read_returns_the_new_line", "%ld %ld %.*s", u, n, (int)n, buf);

	kmsg_write(tagged("<14>%s: in two parts\n"));
	u = sys_syslog(9, NULL, 0);
	n = sys_syslog(2, buf, 10);
	long left = sys_syslog(9, NULL, 0);
	long rest = sys_syslog(2, buf + 10, 1000);
	checkf(n == 10 && left == u - 10 && rest == left &&
		       find_line(buf, n + rest, tagged("%s: in two parts")) == buf,
	       "syslog_read_a_record_in_parts", "%ld %ld %ld %ld", u, n, left, rest);
}

int main(void)
{
	checks_begin();
	snprintf(tag, sizeof tag, "kt%d", (int)getpid());
	prctl(PR_SET_NAME, tag);
	check_syslog_errors();
	check_console_levels();
	check_devkmsg();
	check_syslog_read();
	return checks_end();
}
