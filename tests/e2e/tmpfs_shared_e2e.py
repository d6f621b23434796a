#!/usr/bin/env python3
"""The tmpfs at /dev/shm is one file system for every process of a root: a holder process
(`sh -c 'shm_shared put ...; shm_shared wait ...'`) writes a file there and waits for
another; two more processes, started while it runs, read its file and write the one it
waits for. Run natively and under picolx (separate `wine picolx.exe run` processes of one
root: a directory with only busybox and the guest), the outputs compared. Then, under
picolx only: once no process of that root runs, its /dev/shm is empty again, as a tmpfs
is after a reboot. Last, advisory locks on a /dev/shm file seen across two processes
(tests/guest/locks.c's `hold` and `probe`, as locks_e2e.py runs them on drvfs).

  tmpfs_shared_e2e.py --picolx PATH/picolx.exe --top SOURCE_DIR --guest PATH/shm_shared
                      --locks PATH/locks"""

import argparse
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_diff  # noqa: E402  (wine_env, start_wineserver, diff, show, GUEST_ENV)
from locks_e2e import wait_for_line  # noqa: E402


def run_side(side, a, tmp):
    tag = f'picolx-tmpfs-e2e-{os.getpid()}'
    if side == 'native':
        prefix, env, sh, guest, locks = [], dict(run_diff.GUEST_ENV), shutil.which('busybox'), a.guest, a.locks
    else:
        root = os.path.join(tmp, 'root')
        os.makedirs(os.path.join(root, 'bin'))
        shutil.copy(shutil.which('busybox'), os.path.join(root, 'bin', 'busybox'))
        shutil.copy(a.guest, os.path.join(root, 'bin', 'shm_shared'))
        shutil.copy(a.locks, os.path.join(root, 'bin', 'locks'))
        env = run_diff.wine_env(a.top)
        run_diff.start_wineserver(env)
        prefix = ['wine', a.picolx, 'run', '--root', 'Z:' + root.replace('/', '\\'), '--']
        sh, guest, locks = '/bin/busybox', '/bin/shm_shared', '/bin/locks'

    def run(argv):
        p = subprocess.run(prefix + argv, cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=90)
        return b'--- %s (status %d) ---\n' % (' '.join(argv[1:]).encode(), p.returncode) + p.stdout

    failures = []
    hold_out = os.path.join(tmp, 'hold.out')
    script = (f'{guest} put /dev/shm {tag}-a from-the-holder && {guest} put /dev/shm {tag}-kept kept && echo held && '
              f'{guest} wait /dev/shm {tag}-b && {sh} rm /dev/shm/{tag}-a /dev/shm/{tag}-b')
    with open(hold_out, 'wb') as out:
        hold = subprocess.Popen(prefix + [sh, 'sh', '-c', script], cwd=tmp, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    text = b''
    try:
        if not wait_for_line(hold_out, b'held', hold, 60):
            failures.append(f'{side}: the holder never printed "held"')
        else:
            text += run([guest, 'get', '/dev/shm', f'{tag}-a'])
            text += run([guest, 'put', '/dev/shm', f'{tag}-b', 'from-another-process'])
        hold_status = hold.wait(timeout=90)
    except subprocess.TimeoutExpired:
        hold.kill()
        hold_status = hold.wait()
        failures.append(f'{side}: the holder timed out')
    with open(hold_out, 'rb') as f:
        text = b'--- holder (status %d) ---\n' % hold_status + f.read() + text
    if hold_status != 0:
        failures.append(f'{side}: the holder exited with {hold_status}')

    # every process of the root is gone: under picolx the next one finds an empty tmpfs
    after = run([guest, 'get', '/dev/shm', f'{tag}-kept'])
    if side == 'picolx' and not after.endswith(b'get: ENOENT\n'):
        failures.append(f'picolx: a file of the last session is still in /dev/shm: {after!r}')
    if side == 'native':
        os.unlink(f'/dev/shm/{tag}-kept')

    # locks: a holder takes POSIX, OFD and flock locks on a /dev/shm file; a probe in
    # another process sees them and waits for each
    locked = f'/dev/shm/{tag}-locked'
    lock_out = os.path.join(tmp, 'lock.out')
    with open(lock_out, 'wb') as out:
        hold = subprocess.Popen(prefix + [locks, 'hold', locked, '3'], cwd=tmp, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        probe = b''
        if not wait_for_line(lock_out, b'held', hold, 60):
            failures.append(f'{side}: the lock holder never printed "held"')
        else:
            probe = run([locks, 'probe', locked])
        hold_status = hold.wait(timeout=90)
    except subprocess.TimeoutExpired:
        hold.kill()
        hold_status = hold.wait()
        failures.append(f'{side}: the lock holder timed out')
    with open(lock_out, 'rb') as f:
        text += b'--- lock holder (status %d) ---\n' % hold_status + f.read() + probe
    if side == 'native' and os.path.exists(locked):
        os.unlink(locked)
    return text, failures


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--picolx', required=True)
    ap.add_argument('--top', required=True)
    ap.add_argument('--guest', required=True, help='the shm_shared guest program (static)')
    ap.add_argument('--locks', required=True, help='the locks guest program (static)')
    a = ap.parse_args()
    a.guest = os.path.abspath(a.guest)
    a.locks = os.path.abspath(a.locks)
    return run_diff.compare_sides(run_side, a, 'picolx-tmpfs')


if __name__ == '__main__':
    sys.exit(main())
