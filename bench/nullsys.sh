#!/usr/bin/env bash
# The syscall-path microbenchmark: builds ../shared/bench/nullsys.c as a static Linux
# program, runs it natively and under picolx in the same run (interleaved, best of
# several rounds), and prints each figure and the ratio picolx/native.
#   bench/nullsys.sh [ITERATIONS] [ROUNDS]     (defaults: 1000000, 3)
# PICOLX_EXE selects picolx.exe (default: build/picolx.exe). Not a test: it prints figures.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
iterations=${1:-1000000}
rounds=${2:-3}
exe=${PICOLX_EXE:-$top/build/picolx.exe}
src=$top/../shared/bench/nullsys.c
[[ -f $src ]] || die "$src is missing (the shared/ folder beside the clone)"
[[ -f $exe ]] || die "$exe is missing: run scripts/build"
ensure_wineprefix

work=$(mktemp -d /tmp/picolx-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
gcc -O2 -static "$src" -o "$work/nullsys"
cd "$work"

native_env=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
  TERM=xterm-256color LANG=C.UTF-8 USER=root LOGNAME=root)
for ((r = 1; r <= rounds; r++)); do
  timeout 300 "${native_env[@]}" "$work/nullsys" "$iterations" >"native.$r" </dev/null ||
    die "the native run failed"
  timeout 600 wine "$exe" run --root 'Z:\' -- "$work/nullsys" "$iterations" >"picolx.$r" </dev/null ||
    die "the picolx run failed (status $?): $(cat "picolx.$r")"
done

# best (lowest) figure of the rounds, per side and metric
python3 - "$rounds" <<'PY'
import sys
rounds = int(sys.argv[1])
targets = {'getppid_ns': 0.15, 'close_ebadf_ns': 0.15, 'malloc_free_ns': 1.2}  # issue 7's
best = {}
for side in ('native', 'picolx'):
    for r in range(1, rounds + 1):
        for line in open(f'{side}.{r}'):
            parts = line.split()
            if len(parts) >= 2 and parts[0] in targets:
                v = float(parts[1])
                key = (side, parts[0])
                best[key] = min(best.get(key, v), v)
print(f'{"metric":<16} {"native ns":>10} {"picolx ns":>10} {"ratio":>7}  target')
for m, target in targets.items():
    n, p = best.get(('native', m)), best.get(('picolx', m))
    if n is None or p is None:
        print(f'{m:<16} {"-" if n is None else f"{n:.1f}":>10} {"-" if p is None else f"{p:.1f}":>10} {"-":>7}  <= {target}x')
        continue
    ratio = p / n
    mark = 'ok' if ratio <= target else 'over'
    print(f'{m:<16} {n:>10.1f} {p:>10.1f} {ratio:>6.2f}x  <= {target}x {mark}')
PY
