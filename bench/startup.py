#!/usr/bin/env python3
"""The start-up benchmark of issue 12: each command (/bin/true, busybox true, python3 twice,
perl, git) natively, Wine's floor (an empty Win32
program, ../shared/bench/wine-floor/nop.c, started the same way), picolx with an empty
image cache and picolx with a warm one, interleaved in one run, the median of --starts runs
each; the table gives the ratios.

The empty-cache runs each get a fresh PICOLX_HOME (nothing cached, and the entries they
store are thrown away); the warm runs share one that a first run filled.

  bench/startup.py [--starts 7]
PICOLX_EXE selects picolx.exe (default: build/picolx.exe). Not a test: it prints figures.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import benchenv

TOP = benchenv.TOP
# the shared/ folder beside the clone (beside /work/main for a worktree under /work/wt/)
FLOOR_SRC = next((p for p in (os.path.join(TOP, '..', 'shared', 'bench', 'wine-floor'),
                              os.path.join(TOP, '..', '..', 'shared', 'bench', 'wine-floor')) if os.path.isdir(p)),
                 os.path.join(TOP, '..', 'shared', 'bench', 'wine-floor'))
NATIVE_ENV = {'PATH': '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME': '/root',
              'TERM': 'xterm-256color', 'LANG': 'C.UTF-8', 'USER': 'root', 'LOGNAME': 'root'}
COMMANDS = [
    ['/bin/true'],
    ['/bin/busybox', 'true'],  # static, linked at a fixed address
    ['/usr/bin/python3', '-c', 'pass'],
    ['/usr/bin/python3', '-c', 'import json,sqlite3,hashlib,decimal'],
    ['/usr/bin/perl', '-e', '1'],
    ['/usr/bin/git', '--version'],
]


def die(msg):
    print(f'picolx: {msg}', file=sys.stderr)
    sys.exit(1)


def wine_env(home=None):
    """The cache as it is by default (on), in picolx's home at home when given."""
    home_env = {'PICOLX_HOME': 'Z:' + home.replace('/', '\\')} if home else {}
    return benchenv.wine_env(PICOLX_IMAGE_CACHE=None, **home_env)


def run(argv, env=None):
    start = time.perf_counter()
    p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=300)
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        die(f'{" ".join(argv)} failed with status {p.returncode}: {p.stderr.decode(errors="replace")[-400:]}')
    return elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--starts', type=int, default=7)
    args = ap.parse_args()
    exe = os.environ.get('PICOLX_EXE', os.path.join(TOP, 'build', 'picolx.exe'))
    if not os.path.isfile(exe):
        die(f'{exe} is missing: run scripts/build')
    work = tempfile.mkdtemp(prefix='pxstart.', dir='/dev/shm')
    keeper = None
    try:
        subprocess.run(['x86_64-w64-mingw32-gcc-posix', '-O2', os.path.join(FLOOR_SRC, 'nop.c'), '-o',
                        f'{work}/nop.exe'], check=True)
        with open(f'{work}/keep.c', 'w') as fh:
            fh.write('#include <windows.h>\nint main(void){Sleep(INFINITE);return 0;}\n')
        subprocess.run(['x86_64-w64-mingw32-gcc-posix', '-O2', f'{work}/keep.c', '-o', f'{work}/keep.exe'],
                       check=True)
        base = wine_env()
        for argv in (['wineserver', '-p10'], ['wine', 'cmd', '/c', 'exit']):
            subprocess.run(argv, env=base, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True, timeout=120)
        # keeps one wineserver up for the whole run
        keeper = subprocess.Popen(['wine', f'{work}/keep.exe'], env=base, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        warm_home = os.path.join(work, 'warm-home')
        os.mkdir(warm_home)
        warm = wine_env(warm_home)
        picolx = ['wine', exe, 'run', '--root', 'Z:\\', '--']
        load_before = os.getloadavg()
        for cmd in COMMANDS:  # fills the warm cache, warms the page cache
            run(picolx + cmd, env=warm)
            run(cmd)
        samples = {}
        floor = []
        for i in range(args.starts):
            floor.append(run(['wine', f'{work}/nop.exe'], env=base))
            for cmd in COMMANDS:
                key = ' '.join(cmd[:1] + [repr(a) if ' ' in a or ',' in a else a for a in cmd[1:]])
                s = samples.setdefault(key, {'native': [], 'empty': [], 'warm': []})
                s['native'].append(run(['env', '-i', *[f'{k}={v}' for k, v in NATIVE_ENV.items()], *cmd]))
                cold_home = os.path.join(work, f'cold-{i}')
                os.mkdir(cold_home)
                s['empty'].append(run(picolx + cmd, env=wine_env(cold_home)))
                shutil.rmtree(cold_home)
                s['warm'].append(run(picolx + cmd, env=warm))
        load_after = os.getloadavg()
        fl = statistics.median(floor)
        cache_mib = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(warm_home) for f in fs) / 2**20
        print(f'picolx.exe: {exe}; median of {args.starts} starts; load average {load_before[0]:.1f} before, '
              f'{load_after[0]:.1f} after; warm cache {cache_mib:.1f} MiB')
        print(f'Wine floor (wine nop.exe): {fl * 1000:.1f} ms\n')
        print('| command | native | picolx, empty cache | picolx, warm cache | warm / floor | warm / native '
              '| empty / warm |')
        print('|---|---|---|---|---|---|---|')
        for key, s in samples.items():
            n, e, w = (statistics.median(s[k]) for k in ('native', 'empty', 'warm'))
            print(f'| `{key}` | {n * 1000:.1f} ms | {e * 1000:.1f} ms | {w * 1000:.1f} ms | {w / fl:.2f}x '
                  f'| {w / n:.1f}x | {e / w:.2f}x |')
    finally:
        if keeper:
            keeper.kill()
            keeper.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
