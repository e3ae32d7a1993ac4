# Errors as the applets report them: each is Linux's errno, in strerror's
# words.
cd $T
mkdir d; echo x >f
cat d; echo cat-dir=$?
rmdir d/none; echo rmdir=$?
mkdir none/sub; echo mkdir=$?
cd f; echo cd-file=$?
rm d; echo rm-dir=$?
cat /dev/null >f/x; echo under-file=$?
ln -s l1 l2; ln -s l2 l1; cat l1; echo loop=$?
touch $(printf 'n%.0s' $(seq 1 256)); echo name-max=$?
ln f d/f; ln f d/f; echo ln-exists=$?
mv d d/sub; echo mv-into-self=$?
echo data >/dev/full; echo full=$?
rmdir .; echo rmdir-dot=$?
cat /proc/self/nonexistent; echo proc-enoent=$?
echo x >/proc/version; echo proc-write=$?
mkdir d2; touch d2/a; rmdir d2; echo notempty=$?
mv f d2/a/b; echo mv-enotdir=$?
ls -d d/f/; echo trailing-slash=$?
exec 7<f; exec 7>&-; cat <&7; echo closed-fd=$?
