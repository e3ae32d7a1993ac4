# kill, sleep, timeout, sync, env, basename and friends.
sleep 0.1; echo slept=$?
# From /: timeout's watchdog outlives the command by up to a second, and
# should not keep $T busy.
cd /
timeout 1 sleep 5; echo timeout=$?
timeout -s KILL 1 sleep 5; echo timeout-kill=$?
timeout 5 true; echo timeout-ok=$?
cd $T
sync; echo sync=$?
env -i A=1 B=2 env | sort
env -i A=1 sh -c 'echo $A ${B:-unset}'
env -u HOME sh -c 'echo ${HOME:-nohome}'
X=in-env sh -c 'echo $X'; echo ${X:-not-in-shell}
export EXP=exported; sh -c 'echo $EXP'
basename /a/b/c.txt .txt; dirname /a/b/c.txt; true; echo true=$?; false; echo false=$?
sleep 10 & p=$!; kill -TERM $p; wait $p; echo killed=$?
kill -l | head -1 | tr -s ' \t' ' '
echo $(( $(date +%s) > 1000000000 ))
date -u -d @0; date -u -d @86399 +'%Y-%m-%d %H:%M:%S %j %a'
date -u -d '2024-02-29 12:34:56' +%s
