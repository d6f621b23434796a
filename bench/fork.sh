#!/usr/bin/env bash
# Processes (issue 8): how fast a process is made and how fast a pipe between two runs,
# natively, under picolx and the Wine floor, in one run (REPEATS rounds interleaved, the
# best figure of each side kept), with the ratios:
#   fork_8mib_ms     fork + _exit + waitpid, 8 MiB of heap touched     (bench/fork_guest.c)
#   fork_exec_ms     fork + execve(/bin/true) + waitpid                (bench/fork_guest.c)
#   spawn_ms         posix_spawn(/bin/true) + waitpid                  (bench/fork_guest.c)
#   bash_200_ms      bash -c 'for i in $(seq 200); do /bin/true; done'  (timed inside bash)
#   dd_cat_mib_s     dd if=/dev/zero bs=1M count=N | cat > /dev/null    (timed inside bash)
# The floor is ../shared/bench/wine-floor/spawn.c: CreateProcess + wait of an empty Win32
# program (nop.c); for bash_200_ms it is 200 of them. A part that fails under picolx
# (no fork yet) is reported as "failed", and the rest still runs.
#   bench/fork.sh [ROUNDS] [REPEATS]       (defaults: 20 rounds per figure, 3 repeats)
# PICOLX_EXE selects picolx.exe (default: build/picolx.exe), PICOLX_SHARED the shared/
# folder (default: beside the clone), FORK_BENCH_DD_MIB the size of the pipeline's stream
# (default 1024 MiB). Not a test: it prints figures.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
rounds=${1:-20}
repeats=${2:-3}
mib=${FORK_BENCH_DD_MIB:-1024}
exe=${PICOLX_EXE:-$top/build/picolx.exe}
# the shared/ folder beside the clone (for a worktree in wt/X, beside wt/); PICOLX_SHARED
shared=${PICOLX_SHARED:-$top/../shared}
[[ -d $shared || -n ${PICOLX_SHARED:-} ]] || shared=$top/../../shared
floor_src=$shared/bench/wine-floor
[[ -f $floor_src/spawn.c && -f $floor_src/nop.c ]] || die "$floor_src/spawn.c or nop.c is missing (the shared/ folder beside the clone)"
[[ -f $exe ]] || die "$exe is missing: run scripts/build"
ensure_wineprefix
ensure_wineserver

work=$(mktemp -d /tmp/picolx-bench-fork.XXXXXX)
trap 'rm -rf "$work"' EXIT
gcc -O2 -static "$top/bench/fork_guest.c" -o "$work/fork_guest"
# spawn.exe starts "nop.exe", found beside it
x86_64-w64-mingw32-gcc -O2 "$floor_src/spawn.c" -o "$work/spawn.exe"
x86_64-w64-mingw32-gcc -O2 "$floor_src/nop.c" -o "$work/nop.exe"
cd "$work"

# the two shell workloads, each timing itself with bash's $EPOCHREALTIME (no fork) and
# saying whether every command in it succeeded
loop='n=0; t0=${EPOCHREALTIME/./}; for i in $(seq 200); do /bin/true && n=$((n + 1)); done; t1=${EPOCHREALTIME/./}
if ((n == 200)); then echo "bash_200_ms $(((t1 - t0) / 1000)).$(((t1 - t0) % 1000 / 100))"; else echo "bash_200_ms failed: $n of 200 commands ran"; fi'
pipeline='t0=${EPOCHREALTIME/./}; dd if=/dev/zero bs=1M count='"$mib"' status=none | cat > /dev/null; s="${PIPESTATUS[*]}"; t1=${EPOCHREALTIME/./}
if [[ $s == "0 0" ]]; then echo "dd_cat_ms $(((t1 - t0) / 1000))"; else echo "dd_cat_ms failed: statuses $s"; fi'

native_env=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
  TERM=xterm-256color LANG=C.UTF-8 USER=root LOGNAME=root)
picolx=(timeout 900 wine "$exe" run --root 'Z:\' --)

# run FILE CMD...: the command's stdout into FILE, its stderr into FILE.err; a failure or
# a timeout adds a line saying so (the parser shows the part as failed)
run() {
  local file=$1
  shift
  local status=0
  "$@" >"$file" 2>"$file.err" </dev/null || status=$?
  if ((status)); then
    echo "run failed: status $status" >>"$file"
    sed -n '1,3s/^/  /p' "$file.err" >>"$file"
  fi
}

for ((r = 1; r <= repeats; r++)); do
  say "round $r of $repeats"
  run "native.$r" "${native_env[@]}" "$work/fork_guest" "$rounds"
  run "picolx.$r" "${picolx[@]}" "$work/fork_guest" "$rounds"
  run "floor.$r" timeout 300 wine "$work/spawn.exe"
  run "native-sh.$r" "${native_env[@]}" /bin/bash -c "$loop"
  run "picolx-sh.$r" "${picolx[@]}" /bin/bash -c "$loop"
  run "native-dd.$r" "${native_env[@]}" /bin/bash -c "$pipeline"
  run "picolx-dd.$r" "${picolx[@]}" /bin/bash -c "$pipeline"
done

python3 - "$repeats" "$mib" "$rounds" <<'PY'
import re, sys
repeats, mib, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

def lines(side, kind=''):
    for r in range(1, repeats + 1):
        try:
            yield from open(f'{side}{kind}.{r}')
        except FileNotFoundError:
            pass

def best(side, kind, metric, field):
    """The smallest figure of the metric over the repeats, or the first failure said."""
    value, failure = None, None
    for line in lines(side, kind):
        words = line.split()
        if words and words[0] == metric:
            if words[1].startswith('failed'):
                failure = failure or ' '.join(words[2:])
                continue
            v = float(words[words.index(field) + 1]) if field else float(words[1])
            value = v if value is None else min(value, v)
        elif words and words[0] == 'run':
            failure = failure or line.strip()
    if value is None and failure is None:
        failure = 'no figure printed'
    if value is None:
        try:   # what the last repeat said on stderr
            err = open(f'{side}{kind}.{repeats}.err').read().strip().splitlines()
            if err:
                failure += f' (stderr: {err[0][:120]})'
        except FileNotFoundError:
            pass
    return value, failure

floor_ms, floor_fail = None, None
for line in lines('floor'):
    m = re.search(r'CreateProcess\+wait: ([0-9.]+) ms', line)
    if m:
        floor_ms = min(floor_ms or 1e18, float(m.group(1)))
    elif line.startswith('run failed'):
        floor_fail = line.strip()

if floor_ms is None:
    floor_fail = floor_fail or 'no figure printed'
rows = []   # name, native, picolx, picolx failure, floor, unit, target
for metric in ('fork_8mib_ms', 'fork_exec_ms', 'spawn_ms'):
    n, nf = best('native', '', metric, 'median')
    p, pf = best('picolx', '', metric, 'median')
    target = {'fork_8mib_ms': '<= 1.0x floor', 'spawn_ms': '<= 1.0x floor'}.get(metric, '')
    rows.append((metric + ' (median)', n, nf, p, pf, floor_ms, 'ms', target))
n, nf = best('native', '-sh', 'bash_200_ms', None)
p, pf = best('picolx', '-sh', 'bash_200_ms', None)
rows.append(('bash_200_ms (200 /bin/true)', n, nf, p, pf, floor_ms * 200 if floor_ms else None, 'ms', ''))
n, nf = best('native', '-dd', 'dd_cat_ms', None)
p, pf = best('picolx', '-dd', 'dd_cat_ms', None)
to_rate = lambda ms: mib * 1000.0 / ms if ms else None
rows.append((f'dd_cat_mib_s ({mib} MiB)', to_rate(n), nf, to_rate(p), pf, None, 'MiB/s', '>= 0.5x native'))

def fmt(v, fail):
    return f'{v:.2f}' if v is not None else 'failed' if fail else '-' 

print(f'fork benchmark: {rounds} rounds per figure, best of {repeats} repeats; '
      f'Wine floor (CreateProcess + wait of an empty program): ' + (f'{floor_ms:.2f} ms' if floor_ms else 'failed'))
print(f'{"metric":<30} {"unit":>6} {"native":>9} {"picolx":>9} {"floor":>9} {"px/native":>10} {"px/floor":>9}  target')
for name, n, nf, p, pf, f, unit, target in rows:
    if unit == 'MiB/s':
        ratio_n = f'{p / n:.2f}x' if n and p else '-'
        ok = ('ok' if p / n >= 0.5 else 'under') if n and p else ''
        ratio_f = '-'
    else:
        ratio_n = f'{p / n:.1f}x' if n and p else '-'
        ratio_f = f'{p / f:.2f}x' if f and p else '-'
        ok = ('ok' if p / f <= 1.0 else 'over') if target and f and p else ''
    has_floor = unit == 'ms'
    print(f'{name:<30} {unit:>6} {fmt(n, nf):>9} {fmt(p, pf):>9} {fmt(f, has_floor and floor_fail):>9} {ratio_n:>10} {ratio_f:>9}  {target} {ok}'.rstrip())
if floor_ms is None:
    print(f'floor: failed: {floor_fail}')
for name, n, nf, p, pf, f, unit, target in rows:
    if n is None:
        print(f'native: {name}: failed: {nf}')
    if p is None:
        print(f'picolx: {name}: failed: {pf}')
PY
