#!/bin/sh
# Poll wake-up latency: the time from a write into a pipe to the return of a poll
# blocked on its read end (bench/pollwake.c), in one run, ROUNDS rounds interleaved:
# - native: a native writer piping into a native reader;
# - picolx: the reader under picolx, its stdin an anonymous Windows pipe written by a
#   Win32 program (bench/pollwake_feed.c): the guest cannot fork a writer yet;
# - the Wine floor: the same Win32 writer feeding a Win32 reader blocked in ReadFile
#   (bench/pollwake_floor.c; Win32 has no poll on an anonymous pipe).
# Prints each side's best median and the ratios.
# usage: bench/pollwake.sh [STAMPS] [ROUNDS]        (defaults: 100 stamps, 3 rounds)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-100}
rounds=${2:-3}
gap=10000
picolx=${PICOLX_EXE:-$top/build/picolx.exe}
export WINEPREFIX=${PICOLX_WINEPREFIX:-$top/build/wineprefix}
export WINEDEBUG=${WINEDEBUG:--all}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -static "$top/bench/pollwake.c" -o "$work/pollwake"
x86_64-w64-mingw32-gcc -O2 -static "$top/bench/pollwake_floor.c" -o "$work/floor.exe"
x86_64-w64-mingw32-gcc -O2 -static "$top/bench/pollwake_feed.c" -o "$work/feed.exe"
wpicolx=$(winepath -w "$picolx")
wfloor=$(winepath -w "$work/floor.exe")

keep_best() { # the smaller median of the one kept in $1 and the one printed in $2
    new=$(sed -n 's/.*median_us=\([0-9.]*\).*/\1/p' "$2")
    old=$(cat "$1" 2>/dev/null || echo 1e12)
    awk -v a="$old" -v b="$new" 'BEGIN { print (b != "" && b + 0 < a + 0) ? b : a }' > "$1.tmp"
    mv "$1.tmp" "$1"
}

for r in $(seq "$rounds"); do
    "$work/pollwake" write "$n" "$gap" | "$work/pollwake" read "$n" > "$work/out"
    keep_best "$work/native" "$work/out"
    wine "$work/feed.exe" "$n" "$gap" "$wpicolx" run --root 'Z:\' -- "$work/pollwake" read "$n" > "$work/out"
    keep_best "$work/picolx" "$work/out"
    wine "$work/feed.exe" "$n" "$gap" "$wfloor" "$n" > "$work/out"
    keep_best "$work/floor" "$work/out"
done
native=$(cat "$work/native"); px=$(cat "$work/picolx"); floor=$(cat "$work/floor")
echo "pollwake median latency (us): native=$native picolx=$px wine_floor=$floor"
awk -v n="$native" -v p="$px" -v f="$floor" \
    'BEGIN { printf "ratio picolx/native=%.1fx picolx/floor=%.2fx floor/native=%.1fx\n", p / n, p / f, f / n }'
