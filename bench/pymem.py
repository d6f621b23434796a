#!/usr/bin/env python3
"""Memory of 4 concurrent `python3 -c 'import time; time.sleep(SECONDS)'` (issue 12): natively
and under picolx, side by side in one run.

Each side starts the 4 at once and samples every 0.1 s, until they end, the memory of
every process of the side (the pythons natively; under picolx the picolx.exe processes,
which are Linux processes of Wine's: their Wine code and data included, not the
wineserver, which all Wine programs share). The figure is the peak of the sum over the
4 of a sampling:
- private: Private_Clean + Private_Dirty of /proc/PID/smaps_rollup (pages only this
  process maps: what the 4 do not share; Windows' private working set is the nearest
  thing to it),
- rss: Rss (shared pages counted in every process).
The table gives both and picolx/native. PICOLX_EXE selects picolx.exe (default
build/picolx.exe); PICOLX_PRIVATE_VIEWS=off is passed through to compare. Not a test.
Usage: bench/pymem.py [--seconds 3] [--count 4]
"""
import argparse
import os
import subprocess
import sys
import time

import benchenv

TOP = benchenv.TOP


wine_env = benchenv.wine_env


def rollup(pid):
    """(private KiB, rss KiB) of pid, or None once it is gone."""
    try:
        with open(f'/proc/{pid}/smaps_rollup') as f:
            fields = dict(line.split(':', 1) for line in f if ':' in line and not line.startswith('0'))
    except OSError:
        return None
    kib = lambda k: int(fields.get(k, '0 kB').split()[0])
    return kib('Private_Clean') + kib('Private_Dirty'), kib('Rss')


def descendants(root):
    """pid and its descendants, from /proc's parent links."""
    children = {}
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open(f'/proc/{name}/stat') as f:
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def is_picolx(pid):
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            return b'picolx.exe' in f.read()
    except OSError:
        return False


def measure(argv, count, env, picolx):
    """Peak (private, rss) sums in KiB of count concurrent argv."""
    procs = [subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
             for _ in range(count)]
    peak = (0, 0)
    while any(p.poll() is None for p in procs):
        private = rss = 0
        for p in procs:
            pids = [q for q in descendants(p.pid) if is_picolx(q)] if picolx else [p.pid]
            for q in pids:
                r = rollup(q)
                if r:
                    private += r[0]
                    rss += r[1]
        if private > peak[0]:
            peak = (private, rss)
        time.sleep(0.1)
    bad = [p.returncode for p in procs if p.returncode != 0]
    if bad:
        sys.exit(f'picolx: {" ".join(argv)} failed: status {bad[0]}')
    return peak


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--seconds', type=float, default=3)
    ap.add_argument('--count', type=int, default=4)
    args = ap.parse_args()
    exe = os.environ.get('PICOLX_EXE', os.path.join(TOP, 'build', 'picolx.exe'))
    code = f'import time; time.sleep({args.seconds:g})'
    wenv = wine_env()
    # a warm wineserver, so that its start is not counted in the first run
    subprocess.run(['wine', exe, 'run', '--root', 'Z:\\', '--', '/bin/true'], env=wenv,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    native = measure(['/usr/bin/python3', '-c', code], args.count, dict(os.environ), False)
    picolx = measure(['wine', exe, 'run', '--root', 'Z:\\', '--', '/usr/bin/python3', '-c', code], args.count,
                     wenv, True)
    print(f'{args.count} x python3 -c "{code}", peak of the sum (KiB)')
    print('| metric | native | picolx | ratio |')
    print('|---|---|---|---|')
    for i, name in enumerate(('private (Private_Clean+Private_Dirty)', 'rss')):
        print(f'| {name} | {native[i]} | {picolx[i]} | {picolx[i] / native[i]:.2f}x |')


if __name__ == '__main__':
    main()
