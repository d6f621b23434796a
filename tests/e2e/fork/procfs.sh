# The process table as /proc, procps and kill -0 show it (issue 8): a child of this
# shell (cat, reading a FIFO the shell holds open) is in /proc with its cmdline, exe and
# parent, ps and pgrep find it, kill -0 says it exists; once the FIFO closes it exits,
# and after wait it is gone from all of them. Run by bash.
mkfifo f
cat f > /dev/null &
p=$!
exec 5>f     # opens once cat has opened its end
[ -d /proc/$p ] && echo "/proc/<pid> exists"
echo "cmdline: $(tr '\0' ' ' < /proc/$p/cmdline)"
echo "exe: $(readlink /proc/$p/exe)"
stat=$(cat /proc/$p/stat)
set -- ${stat##*) }
[ "$2" = "$$" ] && echo "stat: state ${1/[RSD]/running or sleeping}, ppid is the shell"
grep -q "^PPid:[[:space:]]*$$\$" /proc/$p/status && echo "status: PPid is the shell"
read -r ppid comm <<<"$(ps -o ppid=,comm= -p $p)"
[ "$ppid" = "$$" ] && echo "ps -p: ppid is the shell, comm $comm"
ps -ef | grep -q "[c]at f" && echo "ps -ef lists it"
[ "$(pgrep -P $$ -x cat)" = "$p" ] && echo "pgrep -P finds it"
ls /proc | grep -qx "$p" && echo "ls /proc lists it"
kill -0 $p && echo "kill -0: it exists"
exec 5>&-    # EOF for cat
wait $p; echo "cat's status: $?"
kill -0 $p 2>/dev/null || echo "kill -0: gone once reaped"
[ -d /proc/$p ] || echo "/proc/<pid> gone"
pgrep -P $$ -x cat >/dev/null || echo "pgrep: no such child left"
