# What bash adds to tests/e2e/fork/shell_posix.sh (issue 8): set -o pipefail and
# PIPESTATUS, wait -n, process substitution <(...) and >(...), coproc, $BASHPID.

echo "== pipefail"
false | true; echo "without pipefail, false | true: $? (PIPESTATUS ${PIPESTATUS[*]})"
true | (exit 3) | true | cat; echo "PIPESTATUS ${PIPESTATUS[*]}"
set -o pipefail
false | true; echo "pipefail, false | true: $?"
(exit 3) | (exit 4) | true; echo "pipefail, 3 | 4 | true: $?"
true | true; echo "pipefail, true | true: $?"
if ! seq 100 | grep -q 50 | false; then echo "pipefail in an if: failed as it should"; fi
set +o pipefail

echo "== wait -n"
(exit 3) & (exit 5) & (exit 7) &
wait -n; a=$?; wait -n; b=$?; wait -n; c=$?
echo "wait -n three times: sum $((a + b + c)) product $((a * b * c))"
wait -n; echo "wait -n with no jobs left: $?"
(exit 11) & p=$!
wait -n $p; echo "wait -n for one pid: $?"

echo "== process substitution"
diff <(printf 'a\nb\nc\n') <(printf 'a\nB\nc\n'); echo "diff status $?"
paste <(seq 3) <(seq 4 6) <(echo x; echo y; echo z)
while read -r l; do echo "read from <(...): $l"; done < <(printf 'one\ntwo\n')
echo "written into >(...)" > >(tr a-z A-Z > upper.txt); wait $!
cat upper.txt
cat <(cat <(echo nested process substitution))

echo "== coproc"
coproc UPPER { tr a-z A-Z; }
echo "through a coprocess" >&"${UPPER[1]}"
exec {UPPER[1]}>&-
read -r l <&"${UPPER[0]}"; echo "$l"
wait $UPPER_PID; echo "coproc status $?"

echo "== subshell pids"
outer=$BASHPID
( [ "$BASHPID" != "$outer" ] && [ "$$" = "$outer" ] && echo "a subshell has its own BASHPID, the same \$\$" )
echo "$(echo $BASHPID)" | { read -r sub; [ "$sub" != "$outer" ] && echo "so has a substitution"; }
echo "== end"
