# Signals in a shell (issue 10), run by bash: traps, a job stopped and continued (its
# state as ps shows it, looked at until it changes: processes start slowly under Wine),
# timeout's statuses, SIGPIPE ending yes, a subshell's INT trap.
trap 'echo got USR1' USR1
kill -USR1 $$
echo after USR1
# The state printed is the one last seen (ps's errors included), not a fresh look that
# could differ; when it never matched, stderr shows what /proc said.
await_state() {
  for i in $(seq 100); do s=$(ps -o stat= -p $1 2>&1 | cut -c1); [ "$s" = $2 ] && break; sleep 0.1; done
  echo "$3: $s"
  [ "$s" = $2 ] || { echo "await_state $1: ps -o stat= says '$(ps -o stat= -p $1 2>&1)'"; cat /proc/$1/stat; } >&2
}
sleep 60 & p=$!
kill -STOP $p
await_state $p T "stopped job"
kill -CONT $p
await_state $p S "continued job"
kill -TERM $p
wait $p; echo "wait: $?"
timeout 1 sleep 5; echo "timeout: $?"
timeout -s KILL 1 sleep 5 2>/dev/null; echo "timeout -s KILL: $?"
yes | head -n 1
(trap 'echo sub got INT; exit 5' INT; kill -INT $BASHPID; sleep 1) ; echo "subshell: $?"
