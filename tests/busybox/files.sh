# File applets: dd, ls -l, mkdir -p, rm -r, cp, mv, ln -s, find, xargs.
cd $T
mkdir dir0
mkdir -p a/b/c a/d; echo x >a/b/c/file; echo yy >a/d/two; : >a/empty
find a | sort; find a -type f | sort; find a -name 'tw*'; find a -type d -name c
find a -type f -size +0 | sort; find a -empty | sort; find a -maxdepth 1 | sort
find a -newer a/b/c/file -type f | sort; find a -path '*b*' -type f
find a -type f -exec cat {} \; | sort; find a -type f | xargs cat | wc -c
seq 1 10 | xargs; seq 1 10 | xargs -n 3; echo a b c | xargs -n1 echo arg
printf 'x\0y z\0' | xargs -0 -n1 echo; echo 1 2 | xargs -I% echo [%]
dd if=/dev/zero of=zero bs=1024 count=16 2>dd.err; wc -c <zero; head -2 dd.err
dd if=$T/a/d/two bs=1 skip=1 count=1 2>/dev/null; echo
seq 1 1000 | dd bs=100 count=3 2>/dev/null | wc -c
dd if=/dev/zero bs=512 count=3 conv=sync 2>/dev/null | wc -c
printf 'abcdef' | dd bs=2 skip=1 count=2 2>/dev/null; echo
cp a/d/two copy; cat copy; cp -r a b; find b | sort
cp -p a/d/two keep; cmp a/d/two keep && echo cp-p
mv copy moved; [ -e copy ] || echo moved-away; cat moved
mv b a/bcopy; ls a; mv a/b/c/file a/file2; ls a/b/c | wc -l
ln -s a/d/two link; cat link; readlink link; ln -s /nonexistent dangling; [ -L dangling ] && echo dangling-link
ln a/d/two hard; ls -l hard | awk '{print $2}'; ln -sf a/empty link; readlink link
ls; ls -a a | head -3; ls -1 a/d; ls -d a; ls -R a/b | head -3
ls -l a/d/two link hard dangling; ls -ld a a/d dir0 2>&1
ls -l /dev/null /dev/zero; ls -ln a/d
mkdir dir; chmod 700 dir; ls -ld dir | awk '{print $1}'; chmod 644 moved; ls -l moved | cut -c1-10
rm -r a; [ -e a ] || echo a-removed; rm -rf nothere; echo rm-f=$?
rm nothere 2>&1; echo rm=$?
mkdir -p x/y/z; rmdir x/y/z; rmdir x 2>&1 | sed 's/^rmdir: //'; rm -r x
mkdir x 2>/dev/null; mkdir x 2>&1; echo mkdir=$?
touch t1; ls t1; rm t1 t2 2>&1; echo rm2=$?
echo data >src; cp src dst; echo more >>src; cmp src dst; echo cmp=$?
