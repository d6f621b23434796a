# pseudo-terminals through script(1): the terminal a command sees, its settings, raw mode,
# typed input with echo, and an interactive bash reading commands from it
script -qc 'tty | sed "s/[0-9]*\$/N/"; stty -g; stty -a | head -4 | tail -3' /dev/null < /dev/null
script -qc 'stty raw -echo; stty -g; printf "a\nb\n"' /dev/null < /dev/null
printf 'typed line\n' | script -qc 'read x; echo "got: $x"' /dev/null
printf 'echo one $((6*7))\nexit 3\n' | script -qec 'bash --norc --noprofile -i' /dev/null; echo "status $?"
