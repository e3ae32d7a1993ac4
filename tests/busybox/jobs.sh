# & / wait / kill: statuses of background jobs, wait for all, signals.
# ash prints "Terminated" for a background job only when `wait` reaps it;
# a job that dies (and is reaped at the end of the `kill` builtin) first
# is silent, which is timing, so those waits' stderr goes to /dev/null.
sleep 10 & p=$!
kill $p; wait $p 2>/dev/null; echo term=$?
sleep 10 & p=$!
kill -9 $p; wait $p 2>/dev/null; echo kill9=$?
# A foreground job's death is always reported.
sh -c 'kill $$'; echo fg-term=$?
sh -c 'kill -9 $$'; echo fg-kill9=$?
sh -c 'kill -PIPE $$'; echo fg-pipe=$?
sh -c 'exit 5' & a=$!
sh -c 'exit 6' & b=$!
wait $a; echo a=$?
wait $b; echo b=$?
(for i in 3 1 2; do (sleep 0.$i; echo job $i) & done; wait; echo all done) | sort
kill -0 $$; echo self=$?
kill -l 9; kill -l 15; kill -l 143
sleep 10 & p=$!
kill -s USR1 $p; wait $p 2>/dev/null; echo usr1=$?
kill -0 99999 2>/dev/null; echo nopid=$?
kill 99999; echo kill-esrch=$?
(sleep 0.2; echo bg) & wait $!; echo waited=$?
sleep 10 & sleep 10 & kill %1 %2; wait; echo jobs-killed=$?
wait 12345; echo unknown=$?
