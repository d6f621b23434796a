#!/usr/bin/env python3
"""The image cache (issue 12: rewritten code kept in picolx's home), under picolx, each part
with a fresh PICOLX_HOME:

- changed file: a program run twice (the second run takes its code from the cache), then
  its code changed in the file (the constant answer() returns) with the size and the
  modification time kept: the next run prints the new constant, as Linux runs it, and
  stores a new entry; PICOLX_IMAGE_CACHE=off runs it without the cache;
- killed writer: a run that ends while it writes an entry (the test hook
  PICOLX_TEST_IMAGE_CACHE_DIE) leaves only a temporary file; the next run is correct and
  stores the entry; a damaged entry is never used;
- concurrent fillers: two runs of a dynamic program started at once on an empty cache
  (ld.so and libc.so.6 uncached; the program's own code is too small to be cached) both
  run correctly and leave one valid entry per region,
  as many as one run alone leaves, all of which a third run takes;
- the size limit: the least recently used entry goes when a new one does not fit; entries
  of another build of picolx go once unused for an hour.

  image_cache_e2e.py --picolx PATH/picolx.exe --top SOURCE_DIR --static PROG --dynamic PROG"""

import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_diff  # noqa: E402

OLD, NEW = bytes.fromhex('b834125a5a'), bytes.fromhex('b835125a5a')  # mov $0x5a5a1234/5, %eax
failures = []
part_log = threading.local()  # the parts run at once: each prints its lines at its end


def check(cond, what):
    part_log.lines.append(('ok: ' if cond else 'FAILED: ') + what)
    if not cond:
        failures.append(what)


def run_part(part, a, tmp):
    part_log.lines = [f'--- {part.__name__} ---']
    try:
        part(a, tmp)
    except Exception as e:  # a timeout or a missing file is a failure of that part
        check(False, f'{part.__name__} stopped: {e!r}')
    return '\n'.join(part_log.lines)


def winpath(p):
    return 'Z:' + p.replace('/', '\\')


class Picolx:
    def __init__(self, a, home):
        self.a, self.home = a, home
        os.makedirs(home, exist_ok=True)

    def env(self, extra):
        env = run_diff.wine_env(self.a.top)
        env['PICOLX_HOME'] = winpath(self.home)
        env.pop('PICOLX_IMAGE_CACHE', None)
        env.update(extra)
        return env

    def start(self, prog, extra=None):
        return subprocess.Popen(['wine', self.a.picolx, 'run', '--root', 'Z:\\', '--', prog],
                                env=self.env(dict(extra or {}, PICOLX_TIMING='1')), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def run(self, prog, extra=None):
        p = self.start(prog, extra)
        out, err = p.communicate(timeout=60)
        return p.returncode, out.decode(), err.decode()

    def cache(self, *args):
        p = subprocess.run(['wine', self.a.picolx, 'cache', *args], env=self.env({}), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        return p.returncode, p.stdout.decode()

    def files(self, suffix):
        d = os.path.join(self.home, 'image-cache')
        return sorted(f for f in os.listdir(d) if f.endswith(suffix)) if os.path.isdir(d) else []


def native(prog):
    return subprocess.run(['env', '-i', prog], stdout=subprocess.PIPE, timeout=30).stdout.decode()


def timing_count(err, what):
    """The count column of PICOLX_TIMING's summary line for what (0 when absent)."""
    m = re.search(r'^  ' + re.escape(what) + r' +(\d+) ', err, re.M)
    return int(m.group(1)) if m else 0


def hits(err):
    return timing_count(err, 'rewrite: from image cache')


def misses(err):
    return timing_count(err, 'rewrite: image cache lookup (miss)')


def changed_file(a, tmp):
    px = Picolx(a, os.path.join(tmp, 'home1'))
    prog = os.path.join(tmp, 'prog')
    shutil.copy(a.static, prog)
    want_old = native(prog)
    st, out, err = px.run(prog)
    check(st == 0 and out == want_old, f'first run prints {want_old!r} (got {st}, {out!r})')
    check(misses(err) >= 1 and hits(err) == 0, f'first run: misses only ({misses(err)} misses, {hits(err)} hits)')
    entries = px.files('.pxc')
    check(len(entries) >= 1, f'the first run stored entries ({len(entries)})')
    rc, listing = px.cache()
    check(rc == 0 and f'{len(entries)} entries' in listing, f'picolx cache lists them: {listing.splitlines()[-1:]}')
    st, out, err = px.run(prog)
    check(st == 0 and out == want_old and hits(err) >= 1 and misses(err) == 0,
          f'second run takes the code from the cache ({hits(err)} hits, {misses(err)} misses, {out!r})')

    data = open(prog, 'rb').read()
    check(data.count(OLD) == 1, 'the constant is in the code once')
    before = os.stat(prog)
    with open(prog, 'r+b') as f:
        f.seek(data.index(OLD))
        f.write(NEW)
    os.utime(prog, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(prog)
    check(after.st_size == before.st_size and after.st_mtime_ns == before.st_mtime_ns, 'same size and mtime')
    want_new = native(prog)
    check(want_new != want_old and '5a5a1235' in want_new, f'natively the new code prints {want_new!r}')
    st, out, err = px.run(prog)
    check(st == 0 and out == want_new, f'the run after the change prints the new constant ({out!r})')
    check(misses(err) >= 1, f'... having missed the cache for the changed code ({misses(err)} misses)')
    st, out, err = px.run(prog)
    check(st == 0 and out == want_new and misses(err) == 0, f'and the next run takes the new code from the cache')

    count = len(px.files('.pxc'))
    st, out, err = px.run(prog, {'PICOLX_IMAGE_CACHE': 'off'})
    check(st == 0 and out == want_new and hits(err) + misses(err) == 0 and len(px.files('.pxc')) == count,
          'PICOLX_IMAGE_CACHE=off runs it without the cache')
    rc, _ = px.cache('clear')
    rc2, listing = px.cache()
    check(rc == 0 and px.files('.pxc') == [] and '0 entries' in listing, 'picolx cache clear empties it')


def killed_writer(a, tmp):
    px = Picolx(a, os.path.join(tmp, 'home2'))
    want = native(a.static)
    st, out, err = px.run(a.static, {'PICOLX_TEST_IMAGE_CACHE_DIE': '1'})
    check(st != 0 and px.files('.pxc') == [] and len(px.files('.tmp')) == 1,
          f'a run ended while writing leaves no entry, one temporary file (status {st}, {px.files("")})')
    st, out, err = px.run(a.static)
    check(st == 0 and out == want and misses(err) >= 1, f'the next run is correct and rewrites ({out!r})')
    entries = px.files('.pxc')
    check(len(entries) >= 1, 'and stores the entry')
    # a damaged entry (cut short, or bytes changed) fails its checks and is replaced
    for e in entries:
        path = os.path.join(px.home, 'image-cache', e)
        body = open(path, 'rb').read()
        open(path, 'wb').write(body[:-7] + bytes(b ^ 0x55 for b in body[-7:]))
    st, out, err = px.run(a.static)
    check(st == 0 and out == want and hits(err) == 0 and misses(err) >= 1, 'a damaged entry is not used')
    st, out, err = px.run(a.static)
    check(st == 0 and out == want and hits(err) >= 1 and misses(err) == 0, 'and is stored again')


def evicted(a, tmp):
    """Three programs of one size, each with an entry of its own, under a limit that holds two:
    storing the third evicts the one used least recently, not the one used again."""
    px = Picolx(a, os.path.join(tmp, 'home5'))
    progs = []
    for n in range(3):
        prog = os.path.join(tmp, f'lru{n}')
        data = open(a.static, 'rb').read()
        open(prog, 'wb').write(data.replace(OLD, bytes.fromhex('b8') + bytes([0x34 + n]) + OLD[2:]))
        os.chmod(prog, 0o755)
        progs.append(prog)
    st, out, err = px.run(progs[0])
    size = sum(os.path.getsize(os.path.join(px.home, 'image-cache', f)) for f in px.files('.pxc'))
    # room for two entries and a half: eviction goes down to 90% of the limit
    with open(os.path.join(px.home, 'image-cache-limit'), 'w') as f:
        f.write(f'{(size * 5 // 2) >> 10}K\n')
    # entries of another build of picolx (a name this one never makes): one unused for two
    # hours, one just used
    stale, recent = (os.path.join(px.home, 'image-cache', f'00000000-{n * 32}.pxc') for n in '12')
    for path in (stale, recent):
        open(path, 'wb').write(b'another build')
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    names = {0: [f for f in px.files('.pxc') if not f.startswith('00000000-')]}
    for n, prog in ((1, progs[1]), (0, progs[0]), (2, progs[2])):
        before = set(px.files('.pxc'))
        st, out, err = px.run(prog)
        check(st == 0 and out == native(prog), f'lru{n} runs ({out!r})')
        names.setdefault(n, sorted(set(px.files('.pxc')) - before) or names.get(n))
        if n == 1:  # a store within the limit
            check(not os.path.exists(stale) and os.path.exists(recent),
                  "storing swept another build's entry unused for two hours, kept the one just used")
            os.unlink(recent)
        time.sleep(0.1)
    left = set(px.files('.pxc'))
    check(names.get(1) and not set(names[1]) & left, f'the least recently used entry (lru1) was evicted')
    check(names.get(0) and set(names[0]) <= left and names.get(2) and set(names[2]) <= left,
          'the one used again (lru0) and the new one (lru2) are kept')
    rc, listing = px.cache()
    check(rc == 0 and f'{len(left)} entries' in listing and f'limit {(size * 5 // 2) >> 10 << 10} bytes' in listing,
          f'picolx cache shows them and the limit: {listing.splitlines()[-1:]}')


def concurrent_fillers(a, tmp):
    alone = Picolx(a, os.path.join(tmp, 'home3'))
    want = native(a.dynamic)
    st, out, err = alone.run(a.dynamic)
    single = len(alone.files('.pxc'))
    check(st == 0 and out == want and single >= 2, f'one run of the dynamic program stores {single} entries')
    px = Picolx(a, os.path.join(tmp, 'home4'))
    procs = [px.start(a.dynamic) for _ in range(2)]
    results = [(p.wait(timeout=60), p.stdout.read().decode()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    check(all(st == 0 and out == want for st, out in results), f'two runs at once both print {want!r}: {results}')
    check(len(px.files('.pxc')) == single and px.files('.tmp') == [],
          f'they leave {single} entries and no temporary file ({len(px.files(".pxc"))}, {px.files(".tmp")})')
    st, out, err = px.run(a.dynamic)
    check(st == 0 and out == want and misses(err) == 0 and hits(err) >= 2,
          f'a third run takes every region from the cache ({hits(err)} hits, {misses(err)} misses)')
    # perl maps more libraries, and libc.so.6 lands elsewhere: its entry is taken, moved
    script = 'print join(",", map { $_ * 2 } 1..5), "\\n"; exit 3'
    want = subprocess.run(['env', '-i', '/usr/bin/perl', '-e', script], stdout=subprocess.PIPE, timeout=30)
    p = subprocess.Popen(['wine', a.picolx, 'run', '--root', 'Z:\\', '--', '/usr/bin/perl', '-e', script],
                         env=px.env({'PICOLX_TIMING': '1'}), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    out, err = p.communicate(timeout=60)
    check(p.returncode == want.returncode == 3 and out == want.stdout and hits(err.decode()) >= 2,
          f'perl, with ld.so and libc.so.6 from the cache where it maps them, prints {out!r} '
          f'({hits(err.decode())} hits)')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--picolx', required=True)
    ap.add_argument('--top', required=True)
    ap.add_argument('--static', required=True)
    ap.add_argument('--dynamic', required=True)
    a = ap.parse_args()
    run_diff.start_wineserver(run_diff.wine_env(a.top))
    with tempfile.TemporaryDirectory(prefix='picolx-imgcache-') as tmp:
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            parts = [pool.submit(run_part, part, a, tmp) for part in (changed_file, concurrent_fillers, killed_writer,
                                                                       evicted)]
            for p in parts:
                print(p.result())
    print(f'{len(failures)} failed' if failures else 'all passed')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
