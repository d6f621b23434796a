#!/usr/bin/env python3
"""Mount points in directory listings: under a root that has only bin/busybox, `ls -a /`
must show the mount points (dev, proc, sys, tmp) once each, as directories, and stat of
each must be its mounted root; under the host's root (which has those directories) no name
may be listed twice.

  gaps_root.py --picolx PATH/picolx.exe --top SOURCE_DIR"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile


def wine_env(top):
    env = dict(os.environ)
    env['WINEPREFIX'] = os.environ.get('PICOLX_WINEPREFIX') or os.path.join(top, 'build', 'wineprefix')
    env['WINEDEBUG'] = '-all'
    return env


def run(picolx, root, argv, env):
    p = subprocess.run(['wine', picolx, 'run', '--root', root, '--'] + argv, env=env,
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=90)
    return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--picolx', required=True)
    ap.add_argument('--top', required=True)
    a = ap.parse_args()
    env = wine_env(a.top)
    failures = []
    with tempfile.TemporaryDirectory(prefix='picolx-gaps-root-') as tmp:
        os.mkdir(os.path.join(tmp, 'bin'))
        shutil.copy('/bin/busybox', os.path.join(tmp, 'bin', 'busybox'))
        root = 'Z:' + tmp.replace('/', '\\')

        status, out, err = run(a.picolx, root, ['/bin/busybox', 'ls', '-a', '/'], env)
        print(f'ls -a / (status {status}):\n{out}{err}')
        if out.split() != ['.', '..', 'bin', 'dev', 'proc', 'sys', 'tmp']:
            failures.append('ls -a / of a bare root does not list bin, dev, proc, sys, tmp once each')

        # find -type d reads d_type (or stats): every mount point is a directory
        status, out, err = run(a.picolx, root, ['/bin/busybox', 'find', '/', '-maxdepth', '1', '-type', 'd'], env)
        print(f'find / -maxdepth 1 -type d (status {status}):\n{out}{err}')
        if sorted(out.split()) != ['/', '/bin', '/dev', '/proc', '/sys', '/tmp']:
            failures.append('find -type d does not see the mount points as directories')

        # stat of a mount point is its mounted root: proc's root has inode 1, the tmpfs is sticky
        status, out, err = run(a.picolx, root, ['/bin/busybox', 'stat', '-c', '%n %i %A', '/proc'], env)
        status2, out2, err2 = run(a.picolx, root, ['/bin/busybox', 'stat', '-c', '%n %A', '/tmp'], env)
        out += out2
        print(f'stat /proc /tmp (status {status} {status2}):\n{out}{err}{err2}')
        if out.split('\n')[:2] != ['/proc 1 dr-xr-xr-x', '/tmp drwxrwxrwt']:
            failures.append('stat of the mount points is not their mounted roots')

    status, out, err = run(a.picolx, 'Z:\\', ['/bin/busybox', 'ls', '-a', '/'], env)
    names = out.split()
    dups = sorted({n for n in names if names.count(n) > 1})
    print(f'ls -a / under Z:\\ (status {status}): {len(names)} names, listed twice: {dups}')
    if status != 0 or dups or not {'proc', 'dev', 'sys'} <= set(names):
        failures.append('ls -a / of the host root lists a name twice or misses proc')

    for f in failures:
        print('FAIL:', f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
