#!/bin/sh
# Thread costs (issue 9), natively, under picolx and as the Wine floor in one run:
# pthread_create + join (target: <= 1.2x the floor of CreateThread + wait of an empty
# Win32 thread, bench/thread_floor.c), an uncontended mutex (target 1.0x native: no
# syscall) and one contended by 4 threads (bench/threads_guest.c).
# usage: bench/threads.sh [CREATES]        (default 200)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-200}
. "$top/bench/bench_env.sh"
gcc -O2 -static -pthread "$top/bench/threads_guest.c" -o "$work/threads"
x86_64-w64-mingw32-gcc -O2 "$top/bench/thread_floor.c" -o "$work/floor.exe"
"$work/threads" "$n" > "$work/native"
wine "$picolx" run --root 'Z:\' -- "$work/threads" "$n" > "$work/picolx"
wine "$work/floor.exe" "$n" > "$work/floor"
get() { sed -n "s/^$2=\\([0-9.]*\\).*/\\1/p" "$1"; }
for k in create_join_us uncontended_ns contended4_ns; do
    nv=$(get "$work/native" $k); pv=$(get "$work/picolx" $k)
    awk -v k="$k" -v n="$nv" -v p="$pv" 'BEGIN { printf "%s: native=%s picolx=%s ratio=%.2fx\n", k, n, p, p / n }'
done
fv=$(get "$work/floor" create_join_us); pv=$(get "$work/picolx" create_join_us)
awk -v f="$fv" -v p="$pv" 'BEGIN { printf "create_join_us: Wine floor (CreateThread + wait)=%s picolx/floor=%.2fx\n", f, p / f }'
