# Pipelines of five and more stages, with their statuses.
seq 1 20 | grep -v 3 | sed 's/^/n/' | tr n N | sort -r | head -5
seq 1 100 | awk '{s+=$1} END {print s}'
printf 'b a\nc b\na c\nb a\n' | tr ' ' '\n' | sort | uniq -c | sort -rn | awk '{print $2 "=" $1}' | head -3
yes tinymm | head -1000 | cat | cat | cat | cat | wc -l
seq 10 | false | true; echo status=$?
seq 10 | true | false; echo status=$?
! seq 3 | grep -q 4; echo negated=$?
echo one two three | { read a b c; echo "$c $b $a"; }
i=0; seq 5 | while read n; do i=$((i + n)); done; echo subshell-i=$i
