#!/usr/bin/env python3
"""Ctrl-C (issue 10): a shell whose INT trap prints and exits, spinning in a loop without
system calls, gets SIGINT from outside: natively by kill -INT of its process, under picolx
by kill -INT of the Windows process from the Linux side (Wine makes it CTRL_C_EVENT, as
a Ctrl-C typed in the console is). The outputs and exit statuses must be the same, and
picolx must not let Windows end the process first.

  ctrl_c_e2e.py --picolx PATH/picolx.exe --top SOURCE_DIR"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_diff  # noqa: E402  (wine_env, start_wineserver, GUEST_ENV)
from locks_e2e import wait_for_line  # noqa: E402


def windows_process(tag):
    """The Linux pid of the Wine process whose command line is picolx.exe's with tag."""
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open(f'/proc/{pid}/cmdline', 'rb') as f:
                cmd = f.read()
        except OSError:
            continue
        if cmd.startswith(b'Z:') and b'picolx.exe' in cmd and tag.encode() in cmd:
            return int(pid)
    return None


def run_side(side, a, tmp):
    tag = f'ctrl-c-{os.getpid()}'
    script = 'trap "echo got INT; exit 3" INT; echo ready; while :; do :; done'  # $0 is the tag
    if side == 'native':
        argv, env = ['busybox', 'sh', '-c', script, tag], dict(run_diff.GUEST_ENV)
    else:
        env = run_diff.wine_env(a.top)
        run_diff.start_wineserver(env)
        argv = ['wine', a.picolx, 'run', '--root', 'Z:\\', '--', '/bin/busybox', 'sh', '-c', script, tag]
    out_path = os.path.join(tmp, side + '.out')
    with open(out_path, 'wb') as out:
        p = subprocess.Popen(argv, cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)
    try:
        if not wait_for_line(out_path, b'ready', p, 90):
            with open(out_path, 'rb') as f:
                return None, f'{side}: never ready: {f.read()[:500]!r}'
        target = p.pid if side == 'native' else None
        for _ in range(100):
            target = target or windows_process(tag)
            if target:
                break
            time.sleep(0.1)
        if not target:
            return None, f'{side}: no Windows process found'
        time.sleep(0.5)  # into the loop
        os.kill(target, signal.SIGINT)
        status = p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        return None, f'{side}: no end after SIGINT'
    with open(out_path, 'rb') as f:
        text = f.read()
    return b'--- status %d ---\n' % status + text, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--picolx', required=True)
    ap.add_argument('--top', required=True)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        native, err = run_side('native', a, tmp)
        if err:
            print(err)
            return 1
        picolx, err = run_side('picolx', a, tmp)
        if err:
            print(err)
            return 1
    print('native:\n' + native.decode(errors='replace') + 'picolx:\n' + picolx.decode(errors='replace'))
    if native != picolx:
        print('*** outputs differ')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
