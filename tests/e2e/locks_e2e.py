#!/usr/bin/env python3
"""Advisory locks across processes (tests/guest/locks.c): `locks hold FILE SECONDS` takes
POSIX, OFD and flock locks and sleeps; once it has printed "held", `locks probe FILE`, a
second process, reports what conflicts and waits for each lock. Both run natively, then
both under picolx (two separate `wine picolx.exe run` processes sharing one file on
drvfs), and the four outputs and exit statuses are compared. Then `locks deadlock FILE 1`
and `locks deadlock FILE 2` make a cycle of two F_SETLKW waits: the second gets EDEADLK.

  locks_e2e.py --picolx PATH/picolx.exe --top SOURCE_DIR --guest PATH/locks [--seconds N]"""

import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_diff  # noqa: E402  (wine_env, start_wineserver, diff, show)


def wait_for_line(path, line, proc, limit):
    """Polls the file proc writes its stdout to until it holds `line`; False on exit or timeout."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with open(path, 'rb') as f:
            if line in f.read().splitlines():
                return True
        if proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def run_side(side, a, cwd):
    data = os.path.join(cwd, 'locked.dat')
    with open(data, 'wb') as f:
        f.write(b'x' * 200)
    if side == 'native':
        prefix, env = [], dict(run_diff.GUEST_ENV)
    else:
        env = run_diff.wine_env(a.top)
        run_diff.start_wineserver(env)
        prefix = ['wine', a.picolx, 'run', '--root', 'Z:\\', '--']
    hold_out = os.path.join(cwd, 'hold.out')
    failures = []
    with open(hold_out, 'wb') as out:
        hold = subprocess.Popen(prefix + [a.guest, 'hold', data, str(a.seconds)], cwd=cwd, env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        if not wait_for_line(hold_out, b'held', hold, 60):
            failures.append(f'{side}: the holder never printed "held"')
            probe_status, probe_out = -1, b''
        else:
            try:
                p = subprocess.run(prefix + [a.guest, 'probe', data], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
                probe_status, probe_out = p.returncode, p.stdout
            except subprocess.TimeoutExpired as e:
                failures.append(f'{side}: the probe timed out')
                probe_status, probe_out = -1, e.stdout or b''
        hold_status = hold.wait(timeout=60)
    except subprocess.TimeoutExpired:
        hold.kill()
        hold_status = hold.wait()
        failures.append(f'{side}: the holder timed out')
    with open(hold_out, 'rb') as f:
        hold_text = f.read()
    text = b'--- hold (status %d) ---\n' % hold_status + hold_text + b'--- probe (status %d) ---\n' % probe_status + probe_out
    if hold_status != 0 or probe_status != 0:
        failures.append(f'{side}: exit statuses hold {hold_status}, probe {probe_status} (expected 0, 0)')

    # the deadlock pair: each waits (polling F_GETLK) for the other's first lock
    data = os.path.join(cwd, 'deadlock.dat')
    with open(data, 'wb') as f:
        f.write(b'y' * 8)
    first_out = os.path.join(cwd, 'first.out')
    with open(first_out, 'wb') as out:
        first = subprocess.Popen(prefix + [a.guest, 'deadlock', data, '1'], cwd=cwd, env=env,
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        p = subprocess.run(prefix + [a.guest, 'deadlock', data, '2'], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        second_status, second_out = p.returncode, p.stdout
        first_status = first.wait(timeout=60)
    except subprocess.TimeoutExpired:
        first.kill()
        first.wait()
        failures.append(f'{side}: the deadlock pair timed out')
        second_status = first_status = -1
        second_out = b''
    with open(first_out, 'rb') as f:
        text += b'--- deadlock 1 (status %d) ---\n' % first_status + f.read()
    text += b'--- deadlock 2 (status %d) ---\n' % second_status + second_out
    if first_status != 0 or second_status != 0:
        failures.append(f'{side}: exit statuses deadlock 1 {first_status}, 2 {second_status} (expected 0, 0)')
    return text, failures


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--picolx', required=True)
    ap.add_argument('--top', required=True)
    ap.add_argument('--guest', required=True, help='the locks guest program')
    ap.add_argument('--seconds', type=int, default=3, help='how long the holder keeps each set of locks')
    a = ap.parse_args()
    a.guest = os.path.abspath(a.guest)
    return run_diff.compare_sides(run_side, a, 'picolx-locks')


if __name__ == '__main__':
    sys.exit(main())
