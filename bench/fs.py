#!/usr/bin/env python3
"""The file-system benchmark of issue 3: start-up, ls -lR, tar x, sequential I/O.

Each workload runs natively, under picolx (wine picolx.exe run --root 'Z:\\' -- ...) and,
where one exists, as a plain Win32 program doing the same work under Wine (the "floor":
../shared/bench/wine-floor/*.c, which no translation layer on Wine can beat). Native,
floor and picolx runs are interleaved, rounds keep the best figure (start-up keeps the
median of many runs), and the table gives picolx/native and picolx/floor.

All data lives on the host's /dev/shm (tmpfs). The guest reaches it as /run/shm (the
host's symlink to /dev/shm), because under --root 'Z:\\' the guest's own /dev/shm is
picolx's in-memory tmpfs, which is another thing (see --guest-tmpfs).

  bench/fs.py [--rounds 3] [--starts 10] [--only start,ls,tar,rw] [--guest-tmpfs]
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
FLOOR_SRC = os.path.join(TOP, '..', 'shared', 'bench', 'wine-floor')
NATIVE_ENV = {'PATH': '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME': '/root',
              'TERM': 'xterm-256color', 'LANG': 'C.UTF-8', 'USER': 'root', 'LOGNAME': 'root'}


def die(msg):
    print(f'picolx: {msg}', file=sys.stderr)
    sys.exit(1)


wine_env = benchenv.wine_env


def run(argv, env=None, timeout=600, capture=False):
    """Runs argv with stdin and (unless captured) stdout on /dev/null; returns (seconds, stdout)."""
    start = time.perf_counter()
    p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, timeout=timeout,
                       stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        die(f'{" ".join(argv)} failed with status {p.returncode}: {p.stderr.decode(errors="replace")[-400:]}')
    return elapsed, (p.stdout.decode() if capture else '')


def floor_seconds(out):
    """The last figure a wine-floor program prints: 'win32 ...: 0.123 s'."""
    return [float(line.rsplit(':', 1)[1].split()[0]) for line in out.splitlines() if line.endswith(' s')]


def guest_figures(out):
    return {k: float(v) for k, v in (line.split() for line in out.splitlines() if len(line.split()) == 2)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--starts', type=int, default=10, help='runs per start-up figure (median)')
    ap.add_argument('--only', default='start,ls,tar,rw')
    ap.add_argument('--guest-tmpfs', action='store_true',
                    help="also run the 256 MiB write/read on the guest's /dev/shm (picolx's own tmpfs)")
    args = ap.parse_args()
    only = set(args.only.split(','))

    exe = os.environ.get('PICOLX_EXE', os.path.join(TOP, 'build', 'picolx.exe'))
    if not os.path.isfile(exe):
        die(f'{exe} is missing: run scripts/build')
    if not os.path.isdir(FLOOR_SRC):
        die(f'{FLOOR_SRC} is missing (the shared/ folder beside the clone)')
    if os.path.realpath('/run/shm') != '/dev/shm':
        die('/run/shm is not a link to /dev/shm: the guest has no way to the host tmpfs')
    wenv = wine_env()
    picolx = ['wine', exe, 'run', '--root', 'Z:\\', '--']

    work = tempfile.mkdtemp(prefix='pxbench.', dir='/dev/shm')
    keeper = None
    guest_work = '/run/shm/' + os.path.basename(work)  # the same directory, seen by the guest
    win_work = 'Z:' + work.replace('/', '\\')           # and by the Win32 floor programs
    try:
        # the programs
        run(['gcc', '-O2', '-static', os.path.join(TOP, 'bench', 'rw_guest.c'), '-o', f'{work}/rw_guest'])
        for name in ('mkfiles', 'walk', 'rw', 'nop'):
            run(['x86_64-w64-mingw32-gcc-posix', '-O2', os.path.join(FLOOR_SRC, f'{name}.c'),
                 '-o', f'{work}/{name}.exe'])
        # the tree: 100 directories x 100 files of 100 bytes, and its tarball
        os.mkdir(f'{work}/tree')
        for d in range(100):
            os.mkdir(f'{work}/tree/d{d:03d}')
            for f in range(100):
                with open(f'{work}/tree/d{d:03d}/f{f:03d}', 'wb') as fh:
                    fh.write(b'x' * 100)
        run(['tar', 'cf', f'{work}/tree.tar', '-C', work, 'tree'])

        # A Win32 program that waits for the end of the run keeps a wineserver up: one that
        # exits whenever the prefix has no process (other users' runs may start it so)
        # would otherwise be started again between runs, in the timings.
        with open(f'{work}/keep.c', 'w') as fh:
            fh.write('#include <windows.h>\nint main(void){Sleep(INFINITE);return 0;}\n')
        run(['x86_64-w64-mingw32-gcc-posix', '-O2', f'{work}/keep.c', '-o', f'{work}/keep.exe'])
        # the wineserver and Wine's services (started with the first program after the
        # server) must hold none of our pipes: started by a program whose output is
        # captured, they keep that pipe open and the capture waits for them
        for argv in (['wineserver', '-p10'], ['wine', 'cmd', '/c', 'exit']):
            subprocess.run(argv, env=wenv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True, timeout=120)
        keeper = subprocess.Popen(['wine', f'{work}/keep.exe'], env=wenv, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        load_before = os.getloadavg()
        # warm Wine (wineserver, the prefix) and the page cache
        run(picolx + ['/bin/true'], env=wenv)
        run(['wine', f'{work}/nop.exe'], env=wenv)

        rows = []  # (work, native, floor, picolx raw, picolx net of start-up)
        start_true = nop_median = None
        if 'start' in only or only & {'ls', 'tar'}:
            samples = {k: [] for k in ('py_native', 'py_picolx', 'true_native', 'true_picolx', 'nop_wine')}
            for _ in range(args.starts if 'start' in only else max(3, args.starts // 2)):
                if 'start' in only:
                    samples['py_native'].append(run(['env', '-i', *[f'{k}={v}' for k, v in NATIVE_ENV.items()],
                                                     '/usr/bin/python3', '-c', 'pass'])[0])
                    samples['py_picolx'].append(run(picolx + ['/usr/bin/python3', '-c', 'pass'], env=wenv)[0])
                    samples['true_native'].append(run(['/bin/true'])[0])
                    samples['nop_wine'].append(run(['wine', f'{work}/nop.exe'], env=wenv)[0])
                samples['true_picolx'].append(run(picolx + ['/bin/true'], env=wenv)[0])
            med = {k: statistics.median(v) for k, v in samples.items() if v}
            nop_median = med.get('nop_wine')
            start_true = med['true_picolx']
            if 'start' in only:
                rows.append(('start: python3 -c pass', med['py_native'], None, med['py_picolx'], None))
                rows.append(('start: /bin/true (wine + picolx)', med['true_native'], med['nop_wine'],
                             med['true_picolx'], None))
                rows.append(('start: python3, less /bin/true', med['py_native'] - med['true_native'], None,
                             med['py_picolx'] - med['true_picolx'], None))

        best = {}

        def keep(key, v):
            best[key] = min(best.get(key, v), v)

        for r in range(args.rounds):
            if 'ls' in only:
                keep('ls_native', run(['ls', '-lR', f'{work}/tree'])[0])
                keep('ls_floor', floor_seconds(run(['wine', f'{work}/walk.exe', f'{win_work}\\tree'],
                                                   env=wenv, capture=True)[1])[0])
                keep('ls_picolx', run(picolx + ['/bin/ls', '-lR', f'{guest_work}/tree'], env=wenv)[0])
                # without the stat memo: every file seen for the first time (a handle per stat)
                keep('ls_picolx_cold', run(picolx + ['/bin/ls', '-lR', f'{guest_work}/tree'],
                                           env=dict(wenv, PICOLX_STAT_MEMO='off'))[0])
            if 'tar' in only:
                for side in ('native', 'floor', 'picolx'):
                    dest = f'{work}/x-{side}'
                    os.mkdir(dest)
                    if side == 'native':
                        keep('tar_native', run(['tar', 'xf', f'{work}/tree.tar', '-C', dest])[0])
                    elif side == 'floor':
                        keep('tar_floor', floor_seconds(run(['wine', f'{work}/mkfiles.exe', f'{win_work}\\x-floor'],
                                                            env=wenv, capture=True)[1])[0])
                    else:
                        keep('tar_picolx', run(picolx + ['/bin/tar', 'xf', f'{guest_work}/tree.tar', '-C',
                                                         f'{guest_work}/x-picolx'], env=wenv)[0])
                        if sum(len(fs) for _, _, fs in os.walk(dest)) != 10000:
                            die('tar under picolx did not extract 10,000 files')
                    shutil.rmtree(dest)
            if 'rw' in only:
                g = guest_figures(run([f'{work}/rw_guest', f'{work}/rw-native'], capture=True)[1])
                keep('write_native', g['write_s']); keep('read_native', g['read_s'])
                os.unlink(f'{work}/rw-native')
                w, rd = floor_seconds(run(['wine', f'{work}/rw.exe', f'{win_work}\\rw-floor'], env=wenv,
                                          capture=True)[1])
                keep('write_floor', w); keep('read_floor', rd)
                os.unlink(f'{work}/rw-floor')
                g = guest_figures(run(picolx + [f'{guest_work}/rw_guest', f'{guest_work}/rw-picolx'],
                                      env=wenv, capture=True)[1])
                keep('write_picolx', g['write_s']); keep('read_picolx', g['read_s'])
                os.unlink(f'{work}/rw-picolx')
            if args.guest_tmpfs:
                # picolx's own tmpfs (the guest's /dev/shm) lives in the guest process; ls and tar
                # would need a guest shell around them, and picolx has no fork yet
                g = guest_figures(run(picolx + [f'{guest_work}/rw_guest', '/dev/shm/rw'], env=wenv, capture=True)[1])
                keep('tmpfs_write', g['write_s']); keep('tmpfs_read', g['read_s'])

        # less the start-up, when that is smaller (a restarted wineserver makes one run slow)
        net = lambda v: v - start_true if start_true is not None and v > start_true else None
        if 'ls' in only:
            rows.append(('ls -lR, 10,000 files (floor: walk)', best['ls_native'], best['ls_floor'],
                         best['ls_picolx'], net(best['ls_picolx'])))
            rows.append(('ls -lR, first sight (PICOLX_STAT_MEMO=off)', best['ls_native'], best['ls_floor'],
                         best['ls_picolx_cold'], net(best['ls_picolx_cold'])))
        if 'tar' in only:
            rows.append(('tar xf, 10,000 files (floor: mkfiles)', best['tar_native'], best['tar_floor'],
                         best['tar_picolx'], net(best['tar_picolx'])))
        if 'rw' in only:
            rows.append(('write 256 MiB, 1 MiB blocks (in-guest clock)', best['write_native'],
                         best['write_floor'], best['write_picolx'], None))
            rows.append(('read 256 MiB, 1 MiB blocks (in-guest clock)', best['read_native'],
                         best['read_floor'], best['read_picolx'], None))
        if args.guest_tmpfs:
            for k in ('write', 'read'):
                rows.append((f"{k} 256 MiB, guest /dev/shm (picolx tmpfs)", best.get(f'{k}_native'), None,
                             best[f'tmpfs_{k}'], None))
        load_after = os.getloadavg()
    finally:
        if keeper:
            keeper.terminate()
            keeper.wait()
        shutil.rmtree(work, ignore_errors=True)

    def fmt(v):
        return '-' if v is None else f'{v:.3f}'

    def ratio(a, b):
        return '-' if a is None or not b else f'{a / b:.2f}x'

    print(f'picolx.exe: {exe}; rounds {args.rounds} (best), start-up median of {args.starts}; '
          f'load {load_before[0]:.2f} before, {load_after[0]:.2f} after; {os.cpu_count()} CPUs')
    if nop_median is not None and nop_median > 0.5:
        print(f'WARNING: starting an empty Win32 program took {nop_median:.2f} s (warm: ~0.02 s): the wineserver '
              'was restarting during the run (another user of the Wine prefix?); these figures are not valid')
    print('seconds; "picolx net" is picolx less its start-up (the median picolx /bin/true run);'
          ' ratios use net where there is one')
    hdr = f'{"work":<46} {"native":>7} {"floor":>7} {"picolx":>7} {"net":>7} {"px/nat":>7} {"px/floor":>8} {"floor/nat":>9}'
    print(hdr)
    for name, n, f, p, pn in rows:
        px = pn if pn is not None else p
        print(f'{name:<46} {fmt(n):>7} {fmt(f):>7} {fmt(p):>7} {fmt(pn):>7} {ratio(px, n):>7} '
              f'{ratio(px, f):>8} {ratio(f, n):>9}')


if __name__ == '__main__':
    main()
