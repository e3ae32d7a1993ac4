# File semantics through the applets: times, modes, links, sparse files,
# fifos, device nodes, renames, readdir order, sizes in blocks.
cd $T
umask 027; touch u; mkdir ud; ls -ld u ud | cut -c1-10; umask 022
touch -d '2020-01-02 03:04:05' t; ls -l --full-time t | awk '{print $6, $7, $8, $9}'
touch -r t t2; [ t2 -nt u ] || echo not-newer; [ u -nt t ] && echo u-newer
date -u -r t +%s
chmod 4755 u; ls -l u | cut -c1-10; chmod u-s,g+w,o= u; ls -l u | cut -c1-10
chmod 1777 ud; ls -ld ud | cut -c1-10
chown 12:34 u; ls -ln u | awk '{print $3, $4}'
echo abc >h; ln h h2; ln h h3; ls -l h | awk '{print $2}'; rm h2; ls -l h | awk '{print $2}'
dd if=/dev/zero of=sparse bs=1 count=1 seek=1048575 2>/dev/null; wc -c <sparse
du -k sparse; ls -s sparse
truncate -s 100 sparse; wc -c <sparse; truncate -s 0 sparse; wc -c <sparse
echo 12345678 >nt; printf 'ab' | dd of=nt bs=1 seek=2 conv=notrunc 2>/dev/null; cat nt
printf 'ab' | dd of=nt bs=1 seek=2 2>/dev/null; cat nt; echo
# Named FIFOs: the listing, a writer in the background meeting a reader,
# a stream through one, and an O_RDWR descriptor talking to itself.
mkfifo p; ls -l p | cut -c1-10; stat -c '%F %s' p
(echo through > p &); cat p
seq 1000 > p & wc -l < p; wait
exec 3<>p; echo self >&3; read l <&3; echo $l; exec 3>&-
mknod null2 c 1 3; ls -l null2 | awk '{print $1, $5, $6}'; echo gone >null2; wc -c <null2
mknod zero2 c 1 5; head -c 4 zero2 | od -An -tx1
mkdir -p x/y; touch x/y/z; mv x x2; find x2 | sort
mv x2/y/z . ; ls z; mv z x2/y/z2; ls x2/y
# (find's unsorted order, tmpfs's readdir order, is in machine.sh.)
for i in 5 3 9 1 7; do touch ord$i; done
ls -t ord* | head -1 >/dev/null; ls -r ord* | tr '\n' ' '; echo
head -c 5000 /dev/zero >five; du -k five; ls -s five
ls -ld . | awk '{print $1, $2}'
mkdir e; ls -la e | awk '{print $1, $2, $5, $NF}'
readlink -f x2/../x2/./y; cd x2/y; pwd; cd ../..; ln -s x2/y ly; cd ly; pwd; pwd -P | sed "s|$T|T|"; cd $T
realpath ly | sed "s|$T|T|"
cp -a x2 x3; find x3 | sort; cp -a t t3; ls -l --full-time t3 | awk '{print $6, $7, $8, $9}'
sed -i 's/abc/xyz/' h; cat h h3; ls -l h | awk '{print $2}'
echo tee | tee tee1 tee2 >/dev/null; cat tee1 tee2
stat -c '%s %h %F %a' h five ud p null2 2>&1
find . -name 'ord*' -exec rm {} +; ls | grep -c ord
ln -s . self; ls self/self/self | head -1
