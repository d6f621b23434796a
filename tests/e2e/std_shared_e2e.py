#!/usr/bin/env python3
"""stdout and stderr as one file (`> log 2>&1`): the shell's fd 2 is a dup of its fd 1,
one open file description with one offset, so the lines of a process and its forked
children land in the order written. The same shell script runs natively and under
picolx with both streams in one file; the files must be the same.

  std_shared_e2e.py --picolx PATH/picolx.exe --top SOURCE_DIR"""

import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_diff  # noqa: E402  (wine_env, start_wineserver, GUEST_ENV)

SCRIPT = ('echo "out 1"; echo "err 1" >&2; (echo "child out"; echo "child err" >&2); '
          '/bin/echo "exec out"; /bin/sh -c \'echo "exec err" >&2\'; echo "out 2"; echo "err 2" >&2; exit 3')


def side(prefix, env, cwd):
    path = os.path.join(cwd, 'log')
    with open(path, 'wb') as log:
        p = subprocess.run(prefix + ['/bin/sh', '-c', SCRIPT], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                           stdout=log, stderr=subprocess.STDOUT, timeout=300)
    with open(path, 'rb') as log:
        return p.returncode, log.read()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--picolx', required=True)
    ap.add_argument('--top', required=True)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix='picolx-std-') as tmp:
        os.mkdir(os.path.join(tmp, 'native'))
        os.mkdir(os.path.join(tmp, 'picolx'))
        native = side([], dict(run_diff.GUEST_ENV), os.path.join(tmp, 'native'))
        env = run_diff.wine_env(a.top)
        env.update(run_diff.GUEST_ENV)
        run_diff.start_wineserver(env)
        picolx = side(['wine', a.picolx, 'run', '--root', 'Z:\\', '--'], env, os.path.join(tmp, 'picolx'))
    print('native: status %d\n%s' % (native[0], native[1].decode(errors='replace')))
    print('picolx: status %d\n%s' % (picolx[0], picolx[1].decode(errors='replace')))
    if native != picolx:
        print('FAIL: the logs or statuses differ')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
