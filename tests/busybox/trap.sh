# trap: EXIT in the shell and in subshells, signals sent to the shell itself.
trap 'echo caught USR1' USR1
kill -USR1 $$
echo after-usr1
trap 'echo caught TERM; trap - TERM' TERM
kill -TERM $$
echo after-term
( trap 'echo subshell exit' EXIT; echo in subshell )
sh -c 'trap "echo child exit \$?" EXIT; exit 3'; echo child=$?
trap 'echo INT ignored' INT
kill -INT $$; echo after-int
trap '' HUP; kill -HUP $$; echo hup-ignored
trap - USR1
trap
sh -c 'kill -USR1 $$; echo not reached'; echo killed=$?
trap 'echo main exit' EXIT
echo end
