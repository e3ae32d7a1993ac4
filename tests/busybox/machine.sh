# What depends on the machine, each under its own === marker, checked for
# format against the host and for sane values on tinymm (tests/busybox.rs).
echo "=== free"
free; grep MemTotal /proc/meminfo
echo "=== ps"
echo "self $$"; ps
echo "=== top"
echo "self $$"; top -b -n1
echo "=== df"
df /tmp /proc; grep ' /tmp ' /proc/mounts
echo "=== mountlist"
mount; cat /proc/mounts
echo "=== dmesg"
if [ "$1" = tinymm ]; then echo "<7>bbspec: hello from $$" >/dev/kmsg; fi
dmesg | grep bbspec; dmesg | tail -1
echo "=== date"
date; date -u; date +%s; date -u '+%Y-%m-%d %H:%M:%S'
echo "=== readdir"
mkdir $T/ord; for i in 5 3 9 1 7; do touch $T/ord/f$i; done; find $T/ord -type f | sed 's|.*/||' | tr '\n' ' '; echo
echo "=== uptime"
uptime; cat /proc/uptime
