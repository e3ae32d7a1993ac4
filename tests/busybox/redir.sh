# Redirections: 2>&1 and its order, appends, exec 3<>file, read.
f=$T/f
{ echo out; echo err >&2; } >$f 2>&1; cat $f
{ echo out; echo err >&2; } 2>&1 >$f | sed 's/^/piped: /'; cat $f
echo one >$f; echo two >>$f; cat $f
echo 'line1
line2
line3' >$f
exec 3<>$f
read -r l <&3; echo "read: $l"
read -r l <&3; echo "read: $l"
echo appended >&3
exec 3>&-
cat $f
exec 4<$f; read a <&4; read b <&4; exec 4<&-; echo "$a|$b"
printf 'a:b:c\n' | { IFS=: read x y z; echo "$z $y $x"; }
printf 'one\\ two\n' | { read -r v; echo "raw [$v]"; }
printf 'one\\ two\n' | { read v; echo "cooked [$v]"; }
printf 'no newline' | { read v; echo "status $? [$v]"; }
printf '  lead  trail  \n' | { read v; echo "[$v]"; }
printf 'abcdef' | { read -n 3 v; echo "n3 [$v]"; }
cat <$f >$f.2; cmp $f $f.2 && echo same
echo nope 2>/dev/null >/nonexistent/x; echo status=$?
ls /nonexistent 2>&1 | sed 's/^/err: /'
exec 5>$f.5; echo via5 >&5; exec 5>&-; cat $f.5
: >$f; wc -c <$f
echo x >| $f; cat $f
cat <<EOT >$f
heredoc to file
EOT
cat $f
