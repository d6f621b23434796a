# Python's ways of making processes (issue 8), run natively and under picolx by
# tests/e2e/fork/meson.build: subprocess.run, check_output, Popen with pipes (and a
# pipeline of two), os.fork + os.waitpid, os.system, and multiprocessing with the fork
# start method (a Pool of 2, a Process with a Queue). stdout is line-buffered so that no
# buffered line is printed twice by a fork. A part that raises says so, and the next runs.
import multiprocessing
import os
import subprocess
import sys

sys.stdout.reconfigure(line_buffering=True)


def square(n):
    return n * n


def worker(q, base):
    q.put(sum(range(base, base + 100)))


def with_subprocess():
    r = subprocess.run(['echo', 'hello from run'], capture_output=True, text=True)
    print('run:', r.returncode, repr(r.stdout))
    r = subprocess.run('echo to stderr >&2; exit 3', shell=True, capture_output=True, text=True)
    print('run shell:', r.returncode, repr(r.stdout), repr(r.stderr))
    r = subprocess.run(['cat'], input=b'fed through stdin\n', stdout=subprocess.PIPE)
    print('run with input:', r.stdout)
    print('check_output:', repr(subprocess.check_output(['sh', '-c', 'echo out; echo err >&2'],
                                                        stderr=subprocess.STDOUT, text=True)))
    try:
        subprocess.check_output(['false'])
    except subprocess.CalledProcessError as e:
        print('check_output of false raised, returncode', e.returncode)
    try:
        subprocess.run(['picolx-no-such-program'])
    except FileNotFoundError as e:
        print('a missing program:', type(e).__name__, e.errno)
    p = subprocess.Popen(['sort'], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out, _ = p.communicate(b'pear\napple\nfig\n')
    print('Popen sort:', out, p.returncode)
    p1 = subprocess.Popen(['seq', '1', '10000'], stdout=subprocess.PIPE)
    p2 = subprocess.Popen(['wc', '-l'], stdin=p1.stdout, stdout=subprocess.PIPE)
    p1.stdout.close()
    out, _ = p2.communicate()
    print('Popen pipeline seq | wc -l:', out.strip(), p1.wait(), p2.returncode)
    p = subprocess.Popen(['sh', '-c', 'read -r l; echo "got $l"; exit 5'], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    p.stdin.write('a line\n')
    p.stdin.close()
    print('Popen line by line:', repr(p.stdout.read()), p.wait())
    p = subprocess.Popen(['sh', '-c', 'exit 0'], close_fds=True, cwd='/', env={'X': '1'})
    print('Popen with cwd and env:', p.wait())


def with_fork():
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    wpid, st = os.waitpid(pid, 0)
    print('fork + waitpid:', wpid == pid, os.WIFEXITED(st), os.WEXITSTATUS(st))
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.write(w, b'from the child, ppid ok=%d' % (os.getppid() != 0))
        os._exit(0)
    os.close(w)
    data = b''
    while True:
        chunk = os.read(r, 100)
        if not chunk:
            break
        data += chunk
    os.close(r)
    print('fork + pipe:', data, os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
    value = [1]
    pid = os.fork()
    if pid == 0:
        value[0] = 2
        os._exit(value[0] * 10)
    print('child memory is its own:', value[0], os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))


def with_system():
    st = os.system('echo from os.system; exit 2')
    print('os.system status:', os.waitstatus_to_exitcode(st))


def with_multiprocessing():
    ctx = multiprocessing.get_context('fork')
    with ctx.Pool(2) as pool:
        print('Pool(2) sum of squares below 1000:', sum(pool.map(square, range(1000))))
        print('Pool(2) apply_async:', pool.apply_async(square, (12,)).get(timeout=120))
    q = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(q, b)) for b in (0, 100)]
    for p in procs:
        p.start()
    results = sorted(q.get(timeout=120) for _ in procs)
    for p in procs:
        p.join()
    print('Process + Queue:', results, [p.exitcode for p in procs])


def main():
    failed = 0
    for title, part in (('subprocess', with_subprocess), ('os.fork', with_fork), ('os.system', with_system),
                        ('multiprocessing (fork)', with_multiprocessing)):
        print('==', title)
        try:
            part()
        except Exception as e:   # say it and go on with the next part
            print(f'{title} failed: {type(e).__name__}: {e}')
            failed += 1
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
