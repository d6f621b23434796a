# What a POSIX shell forks for (issue 8), run by bash, dash and busybox sh natively and
# under picolx (tests/e2e/fork/meson.build): pipelines, $(...) and backticks, subshells,
# & and wait, here-documents, xargs, find -exec, exec redirections, trap ... EXIT.
# Every line it prints is the same on each run: background jobs write to files that are
# printed once they have been waited for.

echo "== pipelines"
printf 'b\na\nc\na\n' | sort | uniq -c | sed 's/^ *//'
echo "one two three four" | tr ' ' '\n' | wc -l | tr -d ' '
seq 1 1000 | grep 7 | sort -rn | head -n 3
seq 1 5000 | cat | cat | cat | cksum
false | true; echo "false | true: $?"
true | false; echo "true | false: $?"
! true | true; echo "! true | true: $?"
f() { while read -r l; do echo "f got $l"; done; }
printf 'x\ny\n' | f

echo "== command substitution"
x=$(echo inner; echo second)
echo "dollar-paren: $x"
n=`echo backtick | wc -c | tr -d ' '`
echo "backticks: $n"
echo "nested: $(echo $(echo deep | tr a-z A-Z) and `echo back`)"
y=$(exit 4); echo "status of a substitution: $?"
echo "a builtin's output: $(printf '%s-' a b c)"
lines=$(seq 3 | while read -r i; do echo "line$i"; done)
echo "from a loop in a pipe:" $lines

echo "== subshells"
v=outer
(v=inner; echo "in the subshell: $v"; exit 3); echo "subshell status $?, v is still $v"
(cd / && echo "subshell cwd: $(pwd)"); [ "$(pwd)" = "$PWD" ] && echo "the outer cwd is kept"
( (echo "two levels down"; exit 6); echo "inner status $?" )
{ echo "a group runs in this shell"; v=grouped; }; echo "v after the group: $v"
echo "a pipeline's last part" | { read -r l; echo "read: $l"; }

echo "== background jobs and wait"
(exit 5) & p1=$!
(exit 6) & p2=$!
wait $p2; echo "wait for the second: $?"
wait $p1; echo "wait for the first: $?"
for i in 1 2 3; do (echo "job $i done" > job$i.out) & done
wait; echo "wait for all: $?"
cat job1.out job2.out job3.out
[ "$p1" != "$p2" ] && [ "$p1" != "$$" ] && echo "each job has its own pid"

echo "== here-documents"
cat <<END
unquoted: $v $(echo substituted) `echo too`
END
cat <<'END'
quoted: $v $(not run)
END
while read -r num word; do echo "$word=$num"; done <<END
1 one
2 two
END
tr a-z A-Z <<END | sed 's/^/piped: /'
through a pipeline
END

echo "== xargs"
printf '%s\n' c a b | xargs echo args:
printf '%s\n' 1 2 3 4 5 | xargs -n 2 echo pair:
printf 'x.txt\ny.txt\n' | xargs touch; ls x.txt y.txt

echo "== find -exec"
mkdir -p tree/sub tree/other
echo a > tree/a.txt; echo b > tree/sub/b.txt; echo c > tree/sub/c.log; echo d > tree/other/d.txt
find tree -name '*.txt' -exec echo found {} \; | sort
find tree -type f -exec cat {} + | sort | tr '\n' ' '; echo
find tree -name '*.log' -exec sh -c 'echo "sh -c on $1: $(cat "$1")"' sh {} \;

echo "== exec redirections"
exec 3>out.txt
echo "to fd 3" >&3
echo "more to fd 3" >&3
exec 3>&-
cat out.txt
exec 4<out.txt
read -r first <&4; echo "read from fd 4: $first"
read -r second <&4; echo "then: $second"
exec 4<&-
exec 5>&1 >redirected.txt
echo "while stdout is the file"
exec >&5 5>&-
echo "stdout back; the file says: $(cat redirected.txt)"
exec 6>>out.txt; echo "appended" >&6; exec 6>&-; tail -n 1 out.txt

echo "== traps"
( trap 'echo "EXIT trap of a subshell"' EXIT; echo "subshell body" )
( trap 'echo "EXIT trap after exit 9"' EXIT; exit 9 ); echo "its status: $?"
out=$( trap 'echo "EXIT trap inside \$(...)"' EXIT; echo "substituted body" ); echo "$out"
trap 'echo "EXIT trap of the script, status $?"' EXIT
echo "== end"
exit 0
