# Command substitution, nested, in both forms; arithmetic; parameter expansion.
echo "outer $(echo "middle $(echo "inner $(echo deepest)")")"
echo `echo back\`echo tick\``
n=$(seq 1 10 | wc -l); echo "n=$n"
echo $(( $(seq 1 10 | wc -l) * $(echo 3) + 2 ))
x=$(printf 'a\nb\n\n\n'); echo "[$x]"
v=hello.tar.gz
echo ${v%.*} ${v%%.*} ${v#*.} ${v##*.} ${#v}
echo ${unset:-default} ${unset:=assigned} $unset
echo ${v:+set} ${empty:+set}x
echo $((7 / 2)) $((7 % 3)) $((1 << 10)) $((0x10 + 010)) $((-5 / 2)) $((3 > 2 && 1))
a=5; : $((a += 10)); echo a=$a
set -- one "two words" three; echo $# "$2"; for w in "$@"; do echo "<$w>"; done
echo "$(echo '$HOME' "\$(x)")"
