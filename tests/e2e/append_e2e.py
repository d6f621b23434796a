#!/usr/bin/env python3
"""O_APPEND from several processes (issue 11): PROCS writers (tests/guest/appender.c)
started at once append N lines each to one file, natively, as separate picolx processes
in a Windows directory (drvfs), and as separate picolx processes in an imported distro
(lxfs); then `appender check` counts every line exactly once. The three reports must
be the same (and say nothing was lost).

  append_e2e.py --picolx PATH/picolx.exe --top SOURCE_DIR --guest PATH/appender [--procs 8] [--lines 2000]

With --names PATH/fs_names instead, the same kind of distro runs tests/guest/fs_names.c
(`all`) in its / (lxfs), and the output must be native's."""

import argparse
import difflib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_diff  # noqa: E402  (wine_env, start_wineserver, GUEST_ENV)


def win(path):
    return 'Z:' + path.replace('/', '\\')


def race(prefix, guest, target, a, env, cwd):
    """Starts every writer, waits for all; then the check. Returns (report, failures)."""
    procs = [subprocess.Popen(prefix + [guest, 'write', target, str(i), str(a.lines)], cwd=cwd, env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for i in range(a.procs)]
    failures = []
    for i, p in enumerate(procs):
        out, _ = p.communicate(timeout=300)
        if p.returncode != 0:
            failures.append(f'writer {i}: status {p.returncode}: {out.decode(errors="replace")}')
    c = subprocess.run(prefix + [guest, 'check', target, str(a.procs), str(a.lines)], cwd=cwd, env=env,
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    return c.stdout.decode(errors='replace') + c.stderr.decode(errors='replace'), failures


def make_distro(tmp, programs):
    """A tarball of a distro with /bin/NAME for each (name, host path) and a /tmp."""
    tarball = os.path.join(tmp, 'distro.tar')
    with tarfile.open(tarball, 'w', format=tarfile.GNU_FORMAT) as tar:
        for d in ('bin/', 'tmp/'):
            t = tarfile.TarInfo(d)
            t.type, t.mode = tarfile.DIRTYPE, 0o1777
            tar.addfile(t)
        for name, path in programs:
            data = open(path, 'rb').read()
            t = tarfile.TarInfo('bin/' + name)
            t.mode, t.size = 0o755, len(data)
            tar.addfile(t, io.BytesIO(data))
    return tarball


def names_in_distro(a):
    tmp = tempfile.mkdtemp(prefix='picolx-names-')
    try:
        guest = os.path.abspath(a.names)
        os.mkdir(os.path.join(tmp, 'native'))
        native = subprocess.run([guest, 'all'], cwd=os.path.join(tmp, 'native'), capture_output=True, timeout=60)
        env = run_diff.wine_env(a.top)
        env['PICOLX_HOME'] = win(os.path.join(tmp, 'home'))
        os.mkdir(os.path.join(tmp, 'home'))
        run_diff.start_wineserver(env)
        tarball = make_distro(tmp, [('fs_names', guest)])
        r = subprocess.run(['wine', a.picolx, 'import', 'e2e-names', win(os.path.join(tmp, 'store')), win(tarball)],
                           env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
        if r.returncode != 0:
            print('import failed:', r.stderr.decode(errors='replace'))
            return 1
        p = subprocess.run(['wine', a.picolx, 'run', '-d', 'e2e-names', '--', '/bin/fs_names', 'all'], env=env,
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
        subprocess.run(['wine', a.picolx, 'unregister', 'e2e-names'], env=env, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=120)
        same = p.stdout == native.stdout and p.returncode == native.returncode == 0
        if not same:
            run_diff_lines = difflib.unified_diff(native.stdout.decode(errors='replace').splitlines(),
                                                  p.stdout.decode(errors='replace').splitlines(), 'native', 'picolx', lineterm='')
            print('\n'.join(run_diff_lines))
            print(p.stderr.decode(errors='replace'))
        print('ok' if same else 'FAIL')
        return 0 if same else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--picolx', required=True)
    ap.add_argument('--top', required=True)
    ap.add_argument('--guest')
    ap.add_argument('--names')
    ap.add_argument('--procs', type=int, default=8)
    ap.add_argument('--lines', type=int, default=2000)
    a = ap.parse_args()
    if a.names:
        return names_in_distro(a)
    a.guest = os.path.abspath(a.guest)
    tmp = tempfile.mkdtemp(prefix='picolx-append-')
    bad = 0
    try:
        native, f = race([], a.guest, 'out.txt', a, dict(run_diff.GUEST_ENV), tmp)
        print('native:', native, end='')
        bad += len(f)
        env = run_diff.wine_env(a.top)
        env['PICOLX_HOME'] = win(os.path.join(tmp, 'home'))
        os.mkdir(os.path.join(tmp, 'home'))
        run_diff.start_wineserver(env)
        drv = os.path.join(tmp, 'drvfs')
        os.mkdir(drv)
        drvfs, f = race(['wine', a.picolx, 'run', '--root', 'Z:\\', '--'], a.guest, 'out.txt', a, env, drv)
        print('picolx drvfs:', drvfs, end='')
        for x in f:
            print('  ' + x)
        bad += len(f) + (drvfs != native)
        tarball = make_distro(tmp, [('appender', a.guest)])
        r = subprocess.run(['wine', a.picolx, 'import', 'e2e-append', win(os.path.join(tmp, 'store')), win(tarball)],
                           env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
        if r.returncode != 0:
            print('import failed:', r.stderr.decode(errors='replace'))
            bad += 1
        else:
            lxfs, f = race(['wine', a.picolx, 'run', '-d', 'e2e-append', '--'], '/bin/appender', '/tmp/out.txt', a, env, tmp)
            print('picolx lxfs:', lxfs, end='')
            for x in f:
                print('  ' + x)
            bad += len(f) + (lxfs != native)
            subprocess.run(['wine', a.picolx, 'unregister', 'e2e-append'], env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=120)
        expected = f'lines expected {a.procs * a.lines}, exactly once {a.procs * a.lines}, missing 0, repeated 0, malformed 0\n'
        bad += native != expected
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print('FAIL' if bad else 'ok')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
