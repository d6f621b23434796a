#!/bin/sh
# Futex ping-pong (bench/futex_pingpong.c), natively, under picolx and as the Wine floor
# in one run, ROUNDS rounds interleaved: private futexes between two threads (issue 9's
# target: picolx <= 2x native; the floor is WaitOnAddress between two Win32 threads,
# bench/futex_floor.c, what they are built on), then shared futexes between a process
# and its forked child (MAP_SHARED page; TRIPS/10 round trips); prints each side's best
# median round trip and the ratios.
# usage: bench/futex.sh [TRIPS] [ROUNDS]        (defaults: 2000 round trips, 3 rounds)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-2000}
rounds=${2:-3}
. "$top/bench/bench_env.sh"
gcc -O2 -static -pthread "$top/bench/futex_pingpong.c" -o "$work/pingpong"
x86_64-w64-mingw32-gcc -O2 "$top/bench/futex_floor.c" -o "$work/floor.exe" -lsynchronization
best() { # the smaller of the figure kept in $1 and the one printed in $2
    new=$(sed -n 's/.*_roundtrip_us=\([0-9.]*\).*/\1/p' "$2")
    old=$(cat "$1" 2>/dev/null || echo 1e12)
    awk -v a="$old" -v b="$new" 'BEGIN { print (b != "" && b + 0 < a + 0) ? b : a }' > "$1.tmp"
    mv "$1.tmp" "$1"
}
for r in $(seq "$rounds"); do
    "$work/pingpong" "$n" > "$work/out"
    best "$work/native" "$work/out"
    wine "$picolx" run --root 'Z:\' -- "$work/pingpong" "$n" > "$work/out"
    best "$work/picolx" "$work/out"
    wine "$work/floor.exe" "$n" > "$work/out"
    best "$work/floor" "$work/out"
    "$work/pingpong" $((n / 10)) procs > "$work/out"
    best "$work/native-procs" "$work/out"
    wine "$picolx" run --root 'Z:\' -- "$work/pingpong" $((n / 10)) procs > "$work/out"
    best "$work/picolx-procs" "$work/out"
done
native=$(cat "$work/native"); px=$(cat "$work/picolx")
echo "futex round trip between threads (us): native=$native picolx=$px"
awk -v n="$native" -v p="$px" 'BEGIN { printf "ratio picolx/native=%.2fx\n", p / n }'
floor=$(cat "$work/floor")
awk -v n="$native" -v f="$floor" -v p="$px" 'BEGIN { printf "Wine floor (WaitOnAddress between two threads)=%s floor/native=%.2fx picolx/floor=%.2fx\n", f, f / n, p / f }'
native=$(cat "$work/native-procs"); px=$(cat "$work/picolx-procs")
echo "shared futex round trip between processes (us): native=$native picolx=$px"
awk -v n="$native" -v p="$px" 'BEGIN { printf "ratio picolx/native=%.2fx\n", p / n }'
