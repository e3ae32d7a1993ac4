# Volume through pipes and files: larger than a pipe's buffer, a page,
# the page cache's pieces.
seq 1 200000 | sort -rn | head -1
seq 1 200000 | tail -1
seq 1 100000 | md5sum
seq 1 100000 >$T/n; md5sum <$T/n; wc -c $T/n | awk '{print $1}'
cat $T/n $T/n $T/n | wc -l
dd if=/dev/zero bs=65536 count=64 2>/dev/null | wc -c
dd if=/dev/zero bs=1048576 count=8 2>/dev/null | md5sum
head -c 3000000 /dev/urandom | wc -c
yes abcdefghij | head -c 2000000 | md5sum
dd if=$T/n of=$T/copy bs=4097 2>/dev/null; cmp $T/n $T/copy && echo same
dd if=$T/n bs=1000 skip=100 count=2 2>/dev/null | md5sum
tail -c 10 $T/n; head -c 10 $T/n | tail -1
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "%d %s\n", i % 97, "x" i }' | sort -n -k1,1 -s | head -3
sed 's/1/one/g' $T/n | grep -c one
grep -c 99 $T/n
seq 1 5000 | xargs -n 100 echo | wc -l
seq 1 30000 | xargs echo | wc -c
i=0; while [ $i -lt 500 ]; do echo $i; i=$((i+1)); done | tail -1
cat /dev/zero | head -c 100000 | wc -c
(seq 1 100000; echo end) | tail -1
