# Text applets: cat head tail grep sed awk sort uniq wc cut tr seq printf
# test expr yes.
f=$T/words
printf 'pear 3\napple 10\nfig 7\napple 2\nkiwi 7\nbanana 1\n' >$f
cat -n $f | head -2
head -n 2 $f; head -c 5 $f; echo
tail -n 2 $f; tail -c 8 $f; tail -n +5 $f
seq 1 1000 >$T/n; tail -1 $T/n; head -3 $T/n | tail -1
grep apple $f; grep -c 7 $f; grep -v -e a -e i $f; grep -n '^f' $f
grep -E 'p{2}|^k' $f; grep -o '[0-9]\+' $f | tr '\n' ' '; echo
grep -i APPLE $f | head -1; grep -q nomatch $f; echo grep-q=$?
grep -w fig $f; grep -l pear $f | sed "s|$T|T|"
sed -n '2,3p' $f; sed 's/\([a-z]*\) \([0-9]*\)/\2:\1/' $f | head -2
sed -e '/apple/d' -e 's/7/seven/g' $f; sed '1!G;h;$!d' $f | head -2
sed -n '$=' $T/n; echo abc | sed 'y/abc/xyz/'; printf 'a\nb\n' | sed '1a\
inserted'
awk '{ n[$1] += $2 } END { for (k in n) print k, n[k] }' $f | sort
awk -F' ' 'NR % 2 == 0 { print NR": "$1 }' $f
awk 'BEGIN { printf "%5.2f|%-4s|%x|%c\n", 3.14159, "ab", 255, 65 }'
awk 'BEGIN { s = "hello world"; print length(s), substr(s, 7), index(s, "o"), toupper(s) }'
awk 'BEGIN { n = split("a:b:c", p, ":"); print n, p[3]; x = "aaa"; gsub(/a/, "b", x); print x }'
echo "3 4" | awk "{ print \$1 * \$2, \$1 / \$2, int(7 / 2), \$1 % \$2 }"
sort $f | head -2; sort -k2 -n $f | head -3; sort -r -k1,1 -k2n $f | head -2
sort -u -k1,1 $f | wc -l; printf '10\n9\n100\n' | sort -n | tr '\n' ' '; echo
printf 'b\na\nb\nc\n' | sort | uniq; printf 'a\na\nb\n' | uniq -c; printf 'a\na\nb\n' | uniq -d
printf 'x\nx\ny\n' | uniq -u
wc $f; wc -l <$f; wc -w <$f; wc -c <$f; printf 'abc' | wc -c
cut -d' ' -f2 $f | head -2; echo abcdef | cut -c2-4; echo a:b:c:d | cut -d: -f1,3-
echo hello | tr a-y b-z; echo 'a  b   c' | tr -s ' '; echo hello | tr -d l; echo abc | tr -c 'b\n' x
echo Hello | tr '[:lower:]' '[:upper:]'
seq 5 | tr '\n' ' '; echo; seq 2 3 11 | tr '\n' ' '; echo; seq -s, 3; seq 3 -1 1 | tr '\n' ' '; echo
seq -w 8 10 | tr '\n' ' '; echo
printf '%s-%d-%05.1f-%x-%o-%c|%5s|%-5s|\n' str 42 3.14159 255 8 zebra ab ab
printf '%s\n' a b c; printf '%%|%b|\n' 'tab\there'; printf '%3d|%-3d|%03d\n' 5 5 5
test 1 -lt 2 && echo lt; [ abc = abc ] && echo eq; [ -z "" ] && echo z; [ -n x ] && echo n
[ -f $f ] && echo file; [ -d $T ] && echo dir; [ -e $T/none ] || echo none
[ 3 -ge 3 -a 2 -ne 3 ] && echo and; [ ! -s $T/none ]; echo not-s=$?
test; echo empty=$?; [ x \< y ] && echo less; [ -x /bin/busybox ] && echo exec
expr 2 + 3 \* 4; expr 17 / 5; expr 17 % 5; expr length hello; expr substr hello 2 3
expr index hello l; expr hello : 'hel\(.*\)'; expr 5 \> 3; expr a = b; echo expr=$?
yes | head -3; yes abc def | head -2; yes | head -c 10 | wc -c
