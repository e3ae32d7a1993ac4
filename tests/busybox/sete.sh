# set -e, set -u, set -x style behaviour in child shells.
sh -ec 'echo one; false; echo two'; echo e=$?
sh -ec 'false || echo rescued; echo after'; echo e=$?
sh -ec 'if false; then :; fi; echo if-ok'; echo e=$?
sh -ec 'f() { false; echo in-f; }; f; echo after-f'; echo e=$?
sh -ec '! true; echo negation-ok'; echo e=$?
sh -ec 'x=$(false); echo not-here'; echo e=$?
sh -uc 'echo $undefined_var' 2>&1 | sed 's/^sh: //'; echo u
sh -c 'set -e; trap "echo trap \$?" EXIT; false'; echo e=$?
sh -xc 'a=1; echo $a' 2>&1
