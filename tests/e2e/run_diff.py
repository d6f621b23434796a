#!/usr/bin/env python3
"""Differential end-to-end test: runs one Linux program natively and under picolx and
compares what they did (stdout, exit status, and stderr where it is deterministic).

  run_diff.py --picolx PATH/picolx.exe --top SOURCE_DIR [options] -- PROGRAM [ARGS...]

Each side runs in a fresh, empty temporary directory (its cwd), prepared with the same
relative files, with the same environment for the guest and the same stdin. Natively a
death by signal N is reported as 128+N, as a shell does. On any mismatch both outputs are
printed as a diff and the exit status is 1. Standard library only."""

import argparse
import codecs
import difflib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

GUEST_ENV = {
    'PATH': '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'HOME': '/root',
    'TERM': 'xterm-256color',
    'LANG': 'C.UTF-8',
    'USER': 'root',
    'LOGNAME': 'root',
}


def unescape(text):
    """Arguments may spell bytes with Python escapes: 'a\\nb' is a, newline, b."""
    return codecs.decode(text.encode('utf-8'), 'unicode_escape').encode('latin-1')


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--picolx', required=True, help='path of picolx.exe')
    p.add_argument('--top', required=True, help='source tree (for the default Wine prefix)')
    p.add_argument('--stdin', help='data for the guest stdin (Python escapes); default: none (/dev/null)')
    p.add_argument('--stdin-file', action='store_true',
                   help='give --stdin as a regular file (program < file) instead of a pipe')
    p.add_argument('--text', action='append', default=[], metavar='REL=CONTENT',
                   help='create a file in the cwd (content with Python escapes)')
    p.add_argument('--mkdir', action='append', default=[], metavar='REL')
    p.add_argument('--copy', action='append', default=[], metavar='REL=SRC', help='copy a host file into the cwd')
    p.add_argument('--truncate', action='append', default=[], metavar='REL=N', help='keep the first N bytes')
    p.add_argument('--patch', action='append', default=[], metavar='REL=OFFSET:HEX', help='overwrite bytes')
    p.add_argument('--chmod', action='append', default=[], metavar='REL=OCTAL')
    p.add_argument('--touch', action='append', default=[], metavar='REL=EPOCH',
                   help='set the atime and mtime (done after all other preparation, in the order given)')
    p.add_argument('--pipe-to', metavar='SHELL_CMD',
                   help="pipe the program's stdout through SHELL_CMD in a real /bin/sh pipeline")
    p.add_argument('--trace', action='store_true', help='run picolx with --trace')
    p.add_argument('--no-stderr', action='store_true', help='do not compare stderr (not deterministic)')
    p.add_argument('--picolx-only', action='store_true', help='do not run natively: check expectations only')
    p.add_argument('--expect-status', type=int, help='exit status both sides must have')
    p.add_argument('--expect-stdout', help='stdout picolx must print (Python escapes)')
    p.add_argument('--expect-native-stdout', help='stdout the native run must print (instead of comparing the two)')
    p.add_argument('--stderr-regex', action='append', default=[], help="picolx's stderr must match (re.search)")
    p.add_argument('--stderr-one-line', action='store_true', help="picolx's stderr must be exactly one line")
    p.add_argument('--timeout', type=float, default=80.0,
                   help='seconds for the picolx run (the native run gets at most 30): both fit meson\'s 120')
    p.add_argument('--then', action='append', default=[], metavar='ARGV',
                   help='after the program, run this one too (a shell-quoted argv) on the same side, in the '
                        'same cwd; its status and output are appended to stdout')
    p.add_argument('--check', action='append', default=[], metavar='SHELL_CMD',
                   help='after the programs, run SHELL_CMD natively in /bin/sh in the cwd on both sides (to '
                        'look at the files they left); its output is appended to stdout')
    p.add_argument('command', nargs=argparse.REMAINDER)
    a = p.parse_args()
    if a.command and a.command[0] == '--':
        a.command = a.command[1:]
    if not a.command:
        p.error('no program given')
    return a


def prepare(cwd, a):
    for rel in a.mkdir:
        os.makedirs(os.path.join(cwd, rel), exist_ok=True)
    for spec in a.text:
        rel, _, content = spec.partition('=')
        path = os.path.join(cwd, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as f:
            f.write(unescape(content))
    for spec in a.copy:
        rel, _, src = spec.partition('=')
        shutil.copyfile(src, os.path.join(cwd, rel))
        shutil.copymode(src, os.path.join(cwd, rel))
    for spec in a.truncate:
        rel, _, n = spec.partition('=')
        os.truncate(os.path.join(cwd, rel), int(n))
    for spec in a.patch:
        rel, _, rest = spec.partition('=')
        offset, _, hexbytes = rest.partition(':')
        with open(os.path.join(cwd, rel), 'r+b') as f:
            f.seek(int(offset, 0))
            f.write(bytes.fromhex(hexbytes))
    for spec in a.chmod:
        rel, _, mode = spec.partition('=')
        os.chmod(os.path.join(cwd, rel), int(mode, 8))
    for spec in a.touch:
        rel, _, when = spec.partition('=')
        os.utime(os.path.join(cwd, rel), (int(when), int(when)))


def wine_env(top):
    env = dict(os.environ)
    env['WINEPREFIX'] = os.environ.get('PICOLX_WINEPREFIX') or os.path.join(top, 'build', 'wineprefix')
    env['WINEDEBUG'] = '-all'
    env['WINEARCH'] = 'win64'
    env['WINEDLLOVERRIDES'] = 'mscoree,mshtml='
    return env


def run(argv, cwd, env, stdin_data, stdin_is_file, pipe_to, timeout):
    """Runs argv (or 'argv | pipe_to' in /bin/sh) in its own process group; returns
    (status, stdout, stderr, timed_out). A death by signal N becomes 128+N. stdin is
    /dev/null, or stdin_data through a pipe (as `producer | program`), or from a file
    (as `program < file`). Output goes to files, not pipes: a process that outlives the
    program and inherits its output (a wineserver started by this wine) must not keep
    us waiting for an EOF."""
    if pipe_to:
        argv = ['/bin/sh', '-c', shlex.join(argv) + ' | ' + pipe_to]
    with tempfile.TemporaryFile() as out_f, tempfile.TemporaryFile() as err_f, \
            tempfile.TemporaryFile() as in_f:
        stdin = subprocess.DEVNULL
        if stdin_data is not None:
            if stdin_is_file:
                in_f.write(stdin_data)
                in_f.flush()
                in_f.seek(0)
                stdin = in_f
            else:
                stdin = subprocess.PIPE
        proc = subprocess.Popen(argv, cwd=cwd, env=env, start_new_session=True,
                                stdin=stdin, stdout=out_f, stderr=err_f)
        if stdin is subprocess.PIPE:
            def feed():
                try:
                    proc.stdin.write(stdin_data)
                except OSError:   # the program did not read it all
                    pass
                finally:
                    try:
                        proc.stdin.close()
                    except OSError:
                        pass
            threading.Thread(target=feed, daemon=True).start()
        try:
            proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            timed_out = True
        out_f.seek(0)
        err_f.seek(0)
        out, err = out_f.read(), err_f.read()
    status = proc.returncode
    if status < 0:
        status = 128 - status
    return status, out, err, timed_out


WINE_CLIENT_ERROR = b'wine client error:'


def start_wineserver(env):
    """Starts the prefix's wineserver (if none runs) detached from our output, so that
    no wineserver holds a pipe of the program under test open."""
    try:
        subprocess.run(['wineserver', '-p10'], env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       start_new_session=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        pass


def show(title, data):
    text = data.decode('utf-8', 'replace')
    print(f'--- {title} ({len(data)} bytes) ---')
    print(text if text.endswith('\n') or not text else text + '\n[no newline at end]', end='' if text else '\n')


def diff(title, native, picolx):
    a = native.decode('utf-8', 'replace').splitlines(keepends=True)
    b = picolx.decode('utf-8', 'replace').splitlines(keepends=True)
    print(f'*** {title} differs (- native, + picolx):')
    sys.stdout.writelines(line if line.endswith('\n') else line + '\n'
                          for line in difflib.unified_diff(a, b, 'native', 'picolx', n=3))



def compare_sides(run_side, a, prefix, real_cwd=False):
    """The two-process drivers' main loop: run_side(side, a, cwd) -> (text, failures)
    natively and under picolx (natively only with PICOLX_E2E_NATIVE_ONLY=1), each in a
    fresh directory, then the outputs compared. The exit status."""
    sides = ['native'] if os.environ.get('PICOLX_E2E_NATIVE_ONLY') == '1' else ['native', 'picolx']
    outputs, failures = {}, []
    for side in sides:
        with tempfile.TemporaryDirectory(prefix=f'{prefix}-{side}-') as cwd:
            if real_cwd:
                cwd = os.path.realpath(cwd)
            outputs[side], side_failures = run_side(side, a, cwd)
            failures += side_failures
        show(side, outputs[side])
    if 'picolx' in outputs and outputs['native'] != outputs['picolx']:
        diff('the outputs', outputs['native'], outputs['picolx'])
        failures.append('native and picolx outputs differ')
    for f in failures:
        print('FAIL:', f)
    print('ok' if not failures else f'{len(failures)} failure(s)')
    return 1 if failures else 0

def main():
    a = parse_args()
    program, args = a.command[0], a.command[1:]
    stdin_data = unescape(a.stdin) if a.stdin is not None else None
    prefix = wine_env(a.top)['WINEPREFIX']
    if os.environ.get('PICOLX_E2E_NATIVE_ONLY') != '1' and not os.path.isfile(os.path.join(prefix, 'system.reg')):
        print(f'the Wine prefix {prefix} is not prepared: run scripts/build first')
        return 1
    # A relative program names a file the options prepare in the cwd (bad-input cases),
    # or else a path relative to where the runner was started (meson's build directory).
    prepared = {spec.partition('=')[0] for spec in a.text + a.copy} | set(a.mkdir)
    if not program.startswith('/') and program not in prepared:
        program = os.path.abspath(program)
    failures = []
    results = {}
    sides = ['picolx'] if a.picolx_only else ['native', 'picolx']
    if os.environ.get('PICOLX_E2E_NATIVE_ONLY') == '1':
        # Checks the tests themselves on Linux: only the native side and its expectations.
        if a.picolx_only:
            print('picolx-only case: nothing to check natively')
            return 0
        sides = ['native']
    queue, native_said, started_again = list(sides), False, False
    while queue:
        side = queue.pop(0)
        with tempfile.TemporaryDirectory(prefix=f'picolx-e2e-{side}-') as cwd:
            prepare(cwd, a)
            prog = program if program.startswith('/') else os.path.join(cwd, program)
            if side == 'native':
                argv = ['env', '-i'] + [f'{k}={v}' for k, v in GUEST_ENV.items()] + [prog] + args
                env = dict(GUEST_ENV)
            else:
                start_wineserver(wine_env(a.top))
                argv = ['wine', a.picolx, 'run', '--root', 'Z:\\'] + (['--trace'] if a.trace else []) + ['--', prog] + args
                env = wine_env(a.top)
            limit = min(30.0, a.timeout) if side == 'native' else a.timeout
            status, out, err, timed_out = run(argv, cwd, env, stdin_data, a.stdin_file, a.pipe_to, limit)
            if side != 'native' and err.startswith(WINE_CLIENT_ERROR) and not out:
                # Wine itself could not reach its server (one that was just exiting): the
                # guest never started. That is the environment, not picolx: start once more.
                print(f'note: {err.decode(errors="replace").strip()}: starting wine again')
                start_wineserver(env)
                status, out, err, timed_out = run(argv, cwd, env, stdin_data, a.stdin_file, a.pipe_to, limit)
            if side == 'native':
                native_said = bool(out or err)
            elif not (out or err or timed_out or started_again) and native_said:
                # Not a word where Linux said something: under Wine a process now and then
                # ends in Wine's own start-up, before picolx runs (seen about once in ten
                # runs of the suite). Once more in a fresh directory, and say so; a picolx
                # that says nothing fails again.
                print(f'note: picolx ended with status {status} and no output: once more')
                started_again = True
                queue.insert(0, side)
                continue
            if timed_out:
                failures.append(f'{side}: timed out after {limit:.0f} s (killed)')
            for then in a.then:
                words = shlex.split(then)
                if side == 'native':
                    then_argv = ['env', '-i'] + [f'{k}={v}' for k, v in GUEST_ENV.items()] + words
                else:
                    then_argv = ['wine', a.picolx, 'run', '--root', 'Z:\\'] + (['--trace'] if a.trace else []) + ['--'] + words
                t_status, t_out, t_err, t_timed_out = run(then_argv, cwd, env, None, False, None, limit)
                if t_timed_out:
                    failures.append(f'{side}: {then} timed out after {limit:.0f} s (killed)')
                out += f'--- then: {then} (exit status {t_status}) ---\n'.encode() + t_out
                err += t_err
            for check in a.check:
                c_status, c_out, c_err, c_timed_out = run(['/bin/sh', '-c', check], cwd, dict(GUEST_ENV, LC_ALL='C'),
                                                          None, False, None, 30.0)
                if c_timed_out:
                    failures.append(f'{side}: check {check!r} timed out (killed)')
                out += f'--- check: {check} (exit status {c_status}) ---\n'.encode() + c_out + c_err
            results[side] = (status, out, err)

    if 'picolx' not in results:
        n_status, n_out, n_err = results['native']
        if a.expect_status is not None and n_status != a.expect_status:
            failures.append(f'native exit status {n_status}, expected {a.expect_status}')
        if a.expect_native_stdout is not None and n_out != unescape(a.expect_native_stdout):
            failures.append('native stdout is not the expected one')
        results['picolx'] = (n_status, n_out, n_err)   # for the printout below
        a.expect_status = a.expect_stdout = None
        a.stderr_regex, a.stderr_one_line = [], False
        sides = ['native']
    p_status, p_out, p_err = results['picolx']
    if 'native' in results and 'picolx' in sides:
        n_status, n_out, n_err = results['native']
        if a.expect_native_stdout is not None:
            if n_out != unescape(a.expect_native_stdout):
                failures.append('native stdout is not the expected one')
                diff('native stdout vs expected', unescape(a.expect_native_stdout), n_out)
        else:
            if n_out != p_out:
                failures.append('stdout differs')
                diff('stdout', n_out, p_out)
            if n_status != p_status:
                failures.append(f'exit status differs: native {n_status}, picolx {p_status}')
        if not a.no_stderr and not a.trace and n_err != p_err:
            failures.append('stderr differs')
            diff('stderr', n_err, p_err)
        if a.expect_status is not None and n_status != a.expect_status:
            failures.append(f'native exit status {n_status}, expected {a.expect_status}')
    if a.expect_status is not None and p_status != a.expect_status:
        failures.append(f'picolx exit status {p_status}, expected {a.expect_status}')
    if a.expect_stdout is not None and p_out != unescape(a.expect_stdout):
        failures.append('picolx stdout is not the expected one')
        diff('picolx stdout vs expected', unescape(a.expect_stdout), p_out)
    err_text = p_err.decode('utf-8', 'replace')
    for rx in a.stderr_regex:
        if not re.search(rx, err_text, re.MULTILINE):
            failures.append(f'picolx stderr does not match /{rx}/')
    if a.stderr_one_line and (err_text.count('\n') != 1 or not err_text.endswith('\n')):
        failures.append('picolx stderr is not exactly one line')

    print('command:', shlex.join(a.command) + (f' | {a.pipe_to}' if a.pipe_to else ''))
    for then in a.then:
        print('then:', then)
    for check in a.check:
        print('check (native sh, on both sides):', check)
    for side in sides:
        status, out, err = results[side]
        print(f'== {side}: exit status {status}')
        show(f'{side} stdout', out)
        show(f'{side} stderr', err)
    if failures:
        print('FAILED:\n  ' + '\n  '.join(failures))
        return 1
    print('PASSED')
    return 0


if __name__ == '__main__':
    sys.exit(main())
