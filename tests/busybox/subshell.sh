# Subshells: no leak of variables, cd or exit; status; grouping.
x=1; (x=2; echo inner $x); echo outer $x
(cd /; pwd); pwd | sed "s|^$T\$|T|"
(exit 4); echo status=$?
{ echo grouped; echo lines; } | wc -l
( ( ( echo nested 3 ) ) )
echo $( (echo sub; echo shell) | tr '\n' ' ')
(set -e; false; echo not reached); echo set-e-subshell=$?
( echo out; echo err >&2 ) 2>&1 | sort
