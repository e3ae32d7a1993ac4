# Functions: arguments, local, return status, recursion, redirection.
greet() { echo "hello $1 ($#)"; }
greet world a b
fact() { if [ "$1" -le 1 ]; then echo 1; else echo $(( $1 * $(fact $(( $1 - 1 ))) )); fi; }
fact 10
scope() { local x=inner; y=global; echo "in: $x"; }
x=outer; scope; echo "out: $x $y"
status() { return $1; }
status 7; echo ret=$?
fib() { local n=$1; [ $n -lt 2 ] && { echo $n; return; }; echo $(( $(fib $((n-1))) + $(fib $((n-2))) )); }
fib 12
out() { echo to-stderr >&2; echo to-stdout; }
out 2>/dev/null
out 2>&1 >/dev/null
shifty() { shift 2; echo "$@"; }
shifty 1 2 3 4
type greet | head -1
