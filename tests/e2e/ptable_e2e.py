#!/usr/bin/env python3
"""The session's process table (src/task/ptable.c) seen from two processes
(tests/guest/ptable.c): `ptable wait FILE` prints "ready PID" and waits; while it waits,
`ptable probe PID`, a second process, reports what kill(pid, 0), getpgid, getsid,
setpgid, setsid and /proc/PID say about it; a second waiter is killed (SIGKILL) and
`ptable gone PID` checks that nothing knows it any more. With --procps, procps's ps and pgrep look
for the waiting process too (`ps -o pid,pgid,sid,comm -p PID`, the waiter's line of
`ps -ef`, `pgrep -f`). Both processes are started as session leaders natively (a first
picolx process leads its own session). Natively, then under picolx (separate
`wine picolx.exe run` processes), outputs and exit statuses compared; pids are replaced
by PEER.

  ptable_e2e.py --picolx PATH/picolx.exe --top SOURCE_DIR --guest PATH/ptable [--procps]"""

import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_diff  # noqa: E402  (wine_env, start_wineserver, diff, show)


def ready_pid(path):
    with open(path, 'rb') as f:
        for line in f.read().splitlines():
            if line.startswith(b'ready '):
                return int(line.split()[1])
    return None


def wait_for_ready(path, proc, limit):
    import time
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if ready_pid(path) is not None:
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def normalize(out, peer, cwd):
    """Pids as PEER, the temporary directory as TMP, runs of blanks as one."""
    text = out.decode('utf-8', 'replace').replace(cwd, 'TMP')
    text = re.sub(r'\b%d\b' % peer, 'PEER', text)
    return '\n'.join(' '.join(line.split()) for line in text.splitlines()).encode() + b'\n'


def run_side(side, a, cwd):
    release = os.path.join(cwd, 'release')
    if side == 'native':
        prefix, env = [], dict(run_diff.GUEST_ENV)
    else:
        env = run_diff.wine_env(a.top)
        run_diff.start_wineserver(env)
        prefix = ['wine', a.picolx, 'run', '--root', 'Z:\\', '--']
    wait_out = os.path.join(cwd, 'wait.out')
    failures = []
    text = b''

    def one(title, argv):
        return one_as(title, peer, argv)

    def one_as(title, pid, argv):
        nonlocal text
        try:
            p = subprocess.run(prefix + argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=120, start_new_session=True)
            status, out = p.returncode, p.stdout
        except subprocess.TimeoutExpired as e:
            failures.append(f'{side}: {title} timed out')
            status, out = -1, e.stdout or b''
        text += b'--- %s (status %d) ---\n' % (title.encode(), status) + normalize(out, pid, cwd)
        return status

    with open(wait_out, 'wb') as out:
        waiter = subprocess.Popen(prefix + [a.guest, 'wait', release], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        if not wait_for_ready(wait_out, waiter, 120):
            failures.append(f'{side}: the waiter never printed "ready"')
            peer = -1
        else:
            peer = ready_pid(wait_out)
            if one('probe', [a.guest, 'probe', str(peer)]) != 0:
                failures.append(f'{side}: the probe failed')
            if a.procps:
                one('ps -o pid,pgid,sid,comm -p PEER', ['/bin/ps', '-o', 'pid,pgid,sid,comm', '-p', str(peer)])
                try:
                    p = subprocess.run(prefix + ['/bin/ps', '-ef'], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
                    lines = [l for l in p.stdout.splitlines() if len(l.split()) > 1 and l.split()[1] == b'%d' % peer]
                    # UID PID PPID C STIME TTY TIME CMD: the user, the pid and the command
                    shown = [b' '.join(l.split()[:2] + l.split()[7:]) for l in lines]
                    text += b'--- ps -ef, the waiter\'s line (status %d) ---\n' % p.returncode
                    text += normalize(b'\n'.join(shown), peer, cwd)
                except subprocess.TimeoutExpired:
                    failures.append(f'{side}: ps -ef timed out')
                one('pgrep -f RELEASE', ['/usr/bin/pgrep', '-f', release])
            # a second waiter killed from outside (SIGKILL: under picolx its Windows process
            # ends without an exit) while the first still runs, so the table stays: the
            # next process that looks finds nothing of it
            second_out = os.path.join(cwd, 'second.out')
            with open(second_out, 'wb') as out:
                victim = subprocess.Popen(prefix + [a.guest, 'wait', release + '-never'], cwd=cwd, env=env,
                                          stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                          start_new_session=True)
            ready = wait_for_ready(second_out, victim, 120)
            victim.kill()
            victim.wait()
            if not ready:
                failures.append(f'{side}: the second waiter never printed "ready"')
            elif one_as('gone', ready_pid(second_out), [a.guest, 'gone', str(ready_pid(second_out))]) != 0:
                failures.append(f'{side}: the killed waiter is still seen')
        with open(release, 'wb'):
            pass
        wait_status = waiter.wait(timeout=120)
    except subprocess.TimeoutExpired:
        waiter.kill()
        wait_status = waiter.wait()
        failures.append(f'{side}: the waiter timed out')
    with open(wait_out, 'rb') as f:
        waited = b'\n'.join(l for l in f.read().splitlines() if not l.startswith(b'ready ')) + b'\n'
    text = b'--- wait (status %d) ---\n' % wait_status + waited + text
    if wait_status != 0:
        failures.append(f'{side}: the waiter ended with {wait_status}')
    return text, failures


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--picolx', required=True)
    ap.add_argument('--top', required=True)
    ap.add_argument('--guest', required=True, help='the ptable guest program')
    ap.add_argument('--procps', action='store_true', help="also procps's ps and pgrep")
    a = ap.parse_args()
    a.guest = os.path.abspath(a.guest)
    return run_diff.compare_sides(run_side, a, 'picolx-ptable', real_cwd=True)


if __name__ == '__main__':
    sys.exit(main())
