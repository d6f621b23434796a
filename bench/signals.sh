#!/bin/sh
# Signal delivery (bench/signals_guest.c), natively and under picolx in one run, ROUNDS
# rounds interleaved: raise to a handler and back (issue 10's target: picolx <= 3x
# native), kill to another process and its handler's answer by a pipe, and a SIGSEGV
# handler that fixes the fault; prints each side's best figure and the ratios.
# usage: bench/signals.sh [N] [ROUNDS]        (defaults: 20000, 3 rounds)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-20000}
rounds=${2:-3}
. "$top/bench/bench_env.sh"
gcc -O2 -static -I"$top/bench" "$top/bench/signals_guest.c" -o "$work/signals"
best() { # keeps in $1.<name> the smaller of the figure kept there and the one in $2
    for name in raise kill segv; do
        new=$(sed -n "s/.*${name}_us=\([-0-9.]*\).*/\1/p" "$2")
        old=$(cat "$1.$name" 2>/dev/null || echo 1e12)
        awk -v a="$old" -v b="$new" 'BEGIN { print (b != "" && b + 0 < a + 0) ? b : a }' > "$1.$name.tmp"
        mv "$1.$name.tmp" "$1.$name"
    done
}
for r in $(seq "$rounds"); do
    "$work/signals" "$n" > "$work/out"
    best "$work/native" "$work/out"
    wine "$picolx" run --root 'Z:\' -- "$work/signals" "$n" > "$work/out"
    best "$work/picolx" "$work/out"
done
for name in raise kill segv; do
    native=$(cat "$work/native.$name"); px=$(cat "$work/picolx.$name")
    awk -v m="$name" -v n="$native" -v p="$px" \
        'BEGIN { printf "%-6s native %9.3f us  picolx %9.3f us  ratio %.2fx\n", m, n, p, p / n }'
done
