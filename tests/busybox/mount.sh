# mount and umount of a tmpfs of 4 MiB at $T/m, df of it before and after
# 1 MiB of data, a read-only remount, a bind mount, EBUSY, the unmounts.
# $1 is the side (host or tinymm); the host needs CAP_SYS_ADMIN in a
# private mount namespace, else this prints "mount: not permitted" only.
mkdir m b
if ! mount -t tmpfs -o size=4m,mode=750 bbtmp $T/m 2>/dev/null; then
	echo "mount: not permitted"; exit 0
fi
mount | grep " $T/m "; grep " $T/m " /proc/mounts
df $T/m; df -k $T/m | tail -1 | awk '{print $2, $3, $4}'
dd if=/dev/zero of=$T/m/one bs=1024 count=1024 2>/dev/null
df $T/m | tail -1; ls -ld $T/m | cut -c1-10
mount -o remount,ro $T/m; grep " $T/m " /proc/mounts | cut -d' ' -f4
touch $T/m/two 2>&1; echo touch=$?
mount -o remount,rw $T/m; touch $T/m/two; echo touch=$?
mount --bind $T/m $T/b; ls $T/b; grep -c "^bbtmp $T/[mb] " /proc/mounts
umount $T/b; grep -c "^bbtmp $T/[mb] " /proc/mounts
cd $T/m; umount $T/m 2>&1; echo busy=$?; cd $T
umount $T/m; echo umount=$?; grep -c " $T/m " /proc/mounts
umount $T/m 2>&1; echo again=$?
mount -t nosuchfs none $T/m 2>&1; echo nosuchfs=$?
ls $T/m | wc -l
