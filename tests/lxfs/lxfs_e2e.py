#!/usr/bin/env python3
"""lxfs end to end, under Wine.

--picolx EXE: builds a distro tarball (make_distro.py), imports it (.tar.gz, a pax .tar
and .tar.xz, plus an .xz with several blocks, SHA-256 and the x86 filter), compares `busybox ls -lan --full-time` inside picolx with the same listing of the
tarball extracted natively, runs programs inside it, checks that files written persist,
that corrupt or truncated tarballs are refused with one line and leave nothing behind,
and that list/unregister work.
--crash DRIVER: runs the crash test (crash_driver.c) on a fresh store.
--xattr-guest PROG (with --picolx): extended attributes: a pax tarball made by GNU tar
--xattrs carries them into the store (read inside); a value set inside persists; PROG's
checks (tests/guest/xattr.c) in the distro's /dev/shm and in its own /tmp print what they
print natively on /dev/shm.
--fifo-guest PROG (with --picolx): FIFOs and device nodes in a distro (fifo_tests).
--mapunlink-guest PROG (with --picolx): mapped files unlinked and renamed over in a distro
(mapunlink_tests).
Prints 'N passed, M failed'."""
import argparse, io, os, re, shutil, subprocess, sys, tarfile, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DIRS = ['/', '/bin', '/etc', '/home/user', '/devices', '/srv', '/usr/share']


def wine_env(top, home):
    env = dict(os.environ)
    env['WINEPREFIX'] = os.environ.get('PICOLX_WINEPREFIX') or os.path.join(top, 'build', 'wineprefix')
    env['WINEDEBUG'] = '-all'
    env['WINEDLLOVERRIDES'] = 'mscoree,mshtml='
    if home:
        env['PICOLX_HOME'] = win(home)
    return env


def home_env(a, tmp, own_wineserver=False):
    """A fresh picolx home in tmp and the Wine environment that uses it. With own_wineserver,
    the prefix's server is started first, detached: a server started by one of the wine
    commands would hold their output pipes open (and keep run() waiting) until it exits."""
    home = os.path.join(tmp, 'home')
    os.mkdir(home)
    env = wine_env(a.top, home)
    if own_wineserver:
        subprocess.run(['wineserver', '-p30'], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, start_new_session=True, timeout=60)
    return env


def win(path):
    return 'Z:' + path.replace('/', '\\')


class Checker:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, ok, detail=''):
        if ok:
            self.passed += 1
            print(f'ok   {name}')
        else:
            self.failed += 1
            print(f'FAIL {name}\n{detail}')


def run(argv, env, timeout=120):
    p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    if p.returncode != 0 and not p.stdout and not p.stderr and len(argv) > 2 and argv[0] == 'wine':
        # picolx's import/list/unregister say why whenever they fail, and so do the guests
        # run here, so a failure with no word at all came before picolx's code ran: Wine's
        # process ended in its start-up (seen twice in about twenty runs of the suite).
        # Once more, and say so.
        print(f'note: {argv[2]} ended with status {p.returncode} and no output before picolx ran: once more')
        p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')


def normalise_ls(text):
    """ls -lan --full-time lines as tuples; directory sizes dropped (they depend on the
    file system), 'total' lines dropped, '..' of '/' dropped."""
    out, current = [], None
    for line in text.splitlines():
        if not line.strip() or line.startswith('total '):
            continue
        if line.endswith(':') and not line.startswith(('d', '-', 'l', 'c', 'b', 'p', 's')):
            current = line[:-1]
            out.append(('dir', current))
            continue
        f = line.split(None, 8)
        if len(f) < 9:
            out.append(('raw', line))
            continue
        perms, nlink, uid, gid = f[0], f[1], f[2], f[3]
        rest = line.split(None, 4)[4]
        m = re.match(r'(\d+,\s*\d+|\d+)\s+(\S+ \S+ \S+) (.*)$', rest)
        if not m:
            out.append(('raw', line))
            continue
        size, when, name = m.group(1), m.group(2), m.group(3)
        if perms.startswith('d'):
            size = 'dir'
        if name in ('.', '..'):
            if current == '/' and name == '..':
                continue
            # the store directory's own entry has the import time when the tarball has no './'
        size = re.sub(r',\s+', ',', size)
        out.append((perms, nlink, uid, gid, size, when, name))
    return out


def root_rows(rows):
    """The entries of '/' in a normalise_ls listing."""
    current, out = None, []
    for r in rows:
        if r[0] == 'dir':
            current = r[1]
        elif current == '/' and len(r) == 7:
            out.append(r)
    return out


def import_tests(a, c):
    tmp = tempfile.mkdtemp(prefix='picolx-lxfs-')
    try:
        env = home_env(a, tmp)
        exe = a.picolx
        gz, pax, xz = (os.path.join(tmp, n) for n in ('distro.tar.gz', 'distro.tar', 'distro.tar.xz'))
        for out, fmt in ((gz, 'gnu'), (pax, 'pax'), (xz, 'gnu')):
            subprocess.run([sys.executable, os.path.join(HERE, 'make_distro.py'), out, '--format', fmt], check=True)

        # the native tree: extracted as root with owners, modes and device nodes
        native = os.path.join(tmp, 'native')
        os.mkdir(native)
        ext = subprocess.run(['tar', '-xpzf', gz, '-C', native, '--numeric-owner'], capture_output=True)
        can_compare = ext.returncode == 0
        if not can_compare:
            print('note: cannot extract natively (not root?):', ext.stderr.decode()[:200])

        for label, tarball in (('gz', gz), ('pax', pax), ('xz', xz)):
            name, store = f'e2e-{label}', os.path.join(tmp, f'store-{label}')
            rc, out, err = run(['wine', exe, 'import', name, win(store), win(tarball)], env)
            c.check(f'import {label}: status 0', rc == 0, err)
            rc, out, err = run(['wine', exe, 'list'], env)
            c.check(f'list shows {name}', rc == 0 and any(l.split('\t')[0] == name for l in out.splitlines()), out + err)
            rc, out, err = run(['wine', exe, 'run', '-d', name, '--', '/bin/busybox', 'ls', '-lan', '--full-time'] + DIRS, env)
            got = normalise_ls(out)
            if can_compare:
                nenv = dict(os.environ, TZ='UTC', LC_ALL='C')
                nat = subprocess.run(['chroot', native, '/bin/busybox', 'ls', '-lan', '--full-time'] + DIRS,
                                     capture_output=True, env=nenv)
                want = normalise_ls(nat.stdout.decode('utf-8', 'replace'))
                # the root directory itself: the native one is the extraction directory
                strip = lambda rows: [r for r in rows if not (len(r) == 7 and r[6] in ('.', '..'))]
                g, w = strip(got), strip(want)
                # picolx mounts its own /dev, /proc and /sys; where the tarball has no such
                # directory, the mount point is listed in / all the same (the native tree lacks it)
                native_root = {r[6] for r in root_rows(w)}
                pseudo = [r for r in root_rows(g) if r[6] in ('dev', 'proc', 'sys') and r[6] not in native_root]
                g = [r for r in g if not any(r is p for p in pseudo)]
                detail = '\n'.join(f'  picolx: {x}\n  native: {y}' for x, y in zip(g, w) if x != y)
                if len(g) != len(w):
                    detail += f'\n  {len(g)} rows from picolx, {len(w)} native\n' + out + err
                c.check(f'{label}: ls -lan --full-time matches the native tree ({len(w)} rows)', g == w and len(w) > 20, detail)
            rc, out, err = run(['wine', exe, 'run', '-d', name, '--', '/bin/busybox', 'cat', '/etc/motd.hard', '/home/user/a:b',
                                '/home/user/Case', '/home/user/case', '/home/user/CON'], env)
            c.check(f'{label}: a program inside reads the hard link, a:b, Case, case, CON',
                    rc == 0 and out == 'hello from the distro\ncolon\nupper\nlower\nreserved\n', f'{rc}\n{out}\n{err}')
            script = ('echo written > /home/user/new.txt; read line < /home/user/new.txt; echo "read: $line"; '
                      'echo more >> /home/user/x.; read l2 < /home/user/x.; echo "$l2"')
            rc, out, err = run(['wine', exe, 'run', '-d', name, '--', '/bin/busybox', 'sh', '-c', script], env)
            c.check(f'{label}: sh writes and reads files inside', rc == 0 and out == 'read: written\ntrailing dot\n', f'{rc}\n{out}\n{err}')
            ops = [['mkdir', '/srv/newdir'], ['ln', '-s', '../etc/motd', '/srv/rel'], ['ln', '/etc/motd', '/srv/hard'],
                   ['chmod', '4711', '/home/user/new.txt'], ['mv', '/home/user/y ', '/srv/moved'], ['rm', '/home/user/Case'],
                   ['mkfifo', '/srv/fifo2'], ['touch', '-d', '2001-02-03 04:05:06', '/srv/moved']]
            for op in ops:
                rc, out, err = run(['wine', exe, 'run', '-d', name, '--', '/bin/busybox'] + op, env)
                c.check(f'{label}: {" ".join(op)}', rc == 0, f'{rc}\n{out}\n{err}')
            rc, out, err = run(['wine', exe, 'run', '-d', name, '--', '/bin/busybox', 'ls', '-lan', '--full-time', '/srv', '/home/user'], env)
            rows = {r[6]: r for r in normalise_ls(out) if len(r) == 7}
            expect = {
                'newdir': lambda r: r[0] == 'drwxr-sr-x' and r[3] == '50' and r[1] == '2',  # setgid /srv: inherited
                'rel -> ../etc/motd': lambda r: r[0] == 'lrwxrwxrwx',
                'hard': lambda r: r[1] == '3' and r[4] == '22',
                'new.txt': lambda r: r[0] == '-rws--x--x' and r[4] == '8',
                'moved': lambda r: r[5].startswith('2001-02-03 04:05:06') and r[4] == '15',
                'fifo2': lambda r: r[0].startswith('p'),
            }
            for k, ok in expect.items():
                c.check(f'{label}: after the changes, {k}', k in rows and ok(rows[k]), out + err)
            c.check(f'{label}: Case removed, case kept', 'Case' not in rows and 'case' in rows, out)

        # the xz tool's own output: several blocks, a SHA-256 check, the x86 BCJ filter before LZMA2
        xz2 = os.path.join(tmp, 'blocks.tar.xz')
        with open(pax, 'rb') as src, open(xz2, 'wb') as dst:
            subprocess.run(['xz', '-c', '--check=sha256', '--block-size=200000', '--x86', '--lzma2=preset=6'],
                           stdin=src, stdout=dst, check=True)
        rc, out, err = run(['wine', exe, 'import', 'e2e-xz2', win(os.path.join(tmp, 'store-xz2')), win(xz2)], env)
        c.check('import xz (blocks, sha256, x86 filter): status 0', rc == 0, err)
        rc, out, err = run(['wine', exe, 'run', '-d', 'e2e-xz2', '--', '/bin/busybox', 'cat', '/etc/motd.hard', '/home/user/case'], env)
        c.check('xz (blocks, sha256, x86 filter): a program inside reads files', rc == 0 and out == 'hello from the distro\nlower\n',
                f'{rc}\n{out}\n{err}')

        # corrupt, truncated, not a tarball: refused, one line, nothing left behind
        data = open(gz, 'rb').read()
        xzdata = open(xz, 'rb').read()
        xzflip = bytearray(xzdata)
        xzflip[len(xzflip) // 2] ^= 0x55  # inside the LZMA2 data
        xzcheck = bytearray(xzdata)
        xzcheck[-20] ^= 0x01  # in the index after the block: the stream's bookkeeping is wrong
        plain = bytearray(open(pax, 'rb').read())
        plain[100] ^= 0x5a  # the first header's mode field: its checksum no longer matches
        bad = {
            'truncated.tar.gz': data[:len(data) // 2],
            'flipped.tar': bytes(plain),
            'garbage.tar': b'this is not a tarball at all\n' * 40,
            'cut.tar': open(pax, 'rb').read()[:5000],
            'truncated.tar.xz': xzdata[:len(xzdata) // 2],
            'cut-end.tar.xz': xzdata[:-8],  # all the tar, but not the stream footer
            'flipped.tar.xz': bytes(xzflip),
            'index.tar.xz': bytes(xzcheck),
        }
        for fname, content in bad.items():
            path = os.path.join(tmp, fname)
            open(path, 'wb').write(content)
            store = os.path.join(tmp, 'bad-' + fname.replace('.', '-'))
            rc, out, err = run(['wine', exe, 'import', 'bad', win(store), win(path)], env)
            lines = [l for l in err.splitlines() if l.strip()]
            left = [n for n in os.listdir(tmp) if 'picolx-import' in n or n == os.path.basename(store)]
            rc2, lst, _ = run(['wine', exe, 'list'], env)
            c.check(f'{fname}: refused with one line, nothing installed', rc != 0 and len(lines) == 1 and not left and
                    'bad\t' not in lst, f'rc={rc} stderr={err!r} left={left}')
            print('     ', lines[0] if lines else '')

        rc, out, err = run(['wine', exe, 'import', 'e2e-gz', win(os.path.join(tmp, 'again')), win(gz)], env)
        c.check('import of a taken name is refused', rc != 0 and 'already' in err, err)
        for name in ('e2e-gz', 'e2e-pax', 'e2e-xz', 'e2e-xz2'):
            rc, out, err = run(['wine', exe, 'unregister', name], env)
            c.check(f'unregister {name}', rc == 0 and not os.path.exists(os.path.join(tmp, 'store-' + name[4:])),
                    f'rc={rc}\n{out}{err}')
        rc, out, err = run(['wine', exe, 'list'], env)
        c.check('list is empty afterwards', rc == 0 and out.strip() == '', out)
        rc, out, err = run(['wine', exe, 'run', '-d', 'e2e-gz', '--', '/bin/busybox', 'true'], env)
        c.check('run -d of an unknown distro fails', rc != 0 and 'no distro' in err, err)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def xattr_tests(a, c):
    tmp = tempfile.mkdtemp(prefix='picolx-xattr-')
    try:
        env = home_env(a, tmp)
        exe, guest = a.picolx, a.xattr_guest
        tree = os.path.join(tmp, 'tree')
        for d in ('bin', 'etc', 'tmp'):
            os.makedirs(os.path.join(tree, d))
        os.chmod(os.path.join(tree, 'tmp'), 0o1777)
        shutil.copy(guest, os.path.join(tree, 'bin', 'xattr'))
        tagged = os.path.join(tree, 'etc', 'tagged')
        open(tagged, 'w').write('tagged\n')
        caps = bytes([0, 0, 0, 2, 0, 0x20, 0, 0] + [0] * 12)  # v2: cap_net_bind_service permitted
        try:
            os.setxattr(tagged, 'user.tag', b'hello from a pax header')
            os.setxattr(tagged, 'security.capability', caps)
            os.setxattr(os.path.join(tree, 'etc'), 'user.dir', b'on a directory')
        except OSError as e:
            print('note: cannot set xattrs natively, the import check is skipped:', e)
            tree = None
        name = 'e2e-xattr'
        if tree:
            tarball = os.path.join(tmp, 'xattr.tar')
            subprocess.run(['tar', '--xattrs', '--xattrs-include=*', '--format=posix', '--numeric-owner',
                            '-C', tree, '-cf', tarball, '.'], check=True)
            rc, out, err = run(['wine', exe, 'import', name, win(os.path.join(tmp, 'store')), win(tarball)], env)
            c.check('xattr: import of a pax tarball with xattrs (GNU tar --xattrs): status 0', rc == 0, err)
            inside = lambda *args: run(['wine', exe, 'run', '-d', name, '--', '/bin/xattr'] + list(args), env)
            rc, out, err = inside('get', '/etc/tagged', 'user.tag')
            c.check('xattr: user.tag from the pax header is read inside', out == "user.tag: 23 'hello from a pax header'\n",
                    f'{rc}\n{out}\n{err}')
            rc, out, err = inside('get', '/etc/tagged', 'security.capability')
            want = 'security.capability: 20 \'' + ''.join(chr(b) if 32 <= b < 127 else f'\\x{b:02x}' for b in caps) + "'\n"
            c.check('xattr: security.capability from the pax header is read inside', out == want, f'{rc}\n{out!r}\n{want!r}\n{err}')
            rc, out, err = inside('get', '/etc', 'user.dir')
            c.check("xattr: a directory's xattr from the pax header", out == "user.dir: 14 'on a directory'\n", f'{rc}\n{out}\n{err}')
            rc, out, err = inside('list', '/etc/tagged')
            c.check('xattr: listxattr inside', out == 'list: 29 [user.tag,security.capability]\n', f'{rc}\n{out}\n{err}')
            rc, out, err = inside('set', '/etc/tagged', 'user.new', 'persisted')
            c.check('xattr: setxattr inside', rc == 0, f'{rc}\n{out}\n{err}')
            rc, out, err = inside('get', '/etc/tagged', 'user.new')
            c.check('xattr: the value set persists to the next run (the store log)', out == "user.new: 9 'persisted'\n",
                    f'{rc}\n{out}\n{err}')
            # the same checks natively on /dev/shm, in the distro's /dev/shm (tmpfs) and /tmp (lxfs)
            nat = subprocess.run([guest, 'test', '/dev/shm'], capture_output=True)
            native_out = nat.stdout.decode('utf-8', 'replace')
            c.check('xattr: the checks pass natively on /dev/shm', nat.returncode == 0, native_out)
            for where in ('/dev/shm', '/tmp'):
                rc, out, err = inside('test', where)
                detail = ''.join(f'  picolx: {x}\n  native: {y}\n' for x, y in zip(out.splitlines(), native_out.splitlines()) if x != y)
                c.check(f'xattr: the checks in the distro\'s {where} print what native /dev/shm prints', rc == 0 and out == native_out,
                        f'{rc}\n{detail}{err}')
            rc, out, err = run(['wine', exe, 'unregister', name], env)
            c.check('xattr: unregister', rc == 0, err)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fifo_tests(a, c):
    """FIFOs and device nodes in a distro: tests/guest/fifo.c's checks in the distro's /tmp
    (lxfs) against native /dev/shm; an imported FIFO used by two picolx processes, reader
    first and writer first; character device nodes open picolx's devices, others ENXIO."""
    import time
    tmp = tempfile.mkdtemp(prefix='picolx-fifo-')
    try:
        env = home_env(a, tmp, own_wineserver=True)
        exe, guest = a.picolx, a.fifo_guest
        tarball = os.path.join(tmp, 'fifo.tar')
        with tarfile.open(tarball, 'w', format=tarfile.GNU_FORMAT) as tar:
            def add(name, type_, mode, data=None, dev=(0, 0)):
                t = tarfile.TarInfo(name)
                t.type, t.mode, t.mtime = type_, mode, 1700000000
                t.devmajor, t.devminor = dev
                t.size = len(data) if data is not None else 0
                tar.addfile(t, io.BytesIO(data) if data is not None else None)
            for d, mode in (('bin/', 0o755), ('tmp/', 0o1777), ('srv/', 0o755), ('devices/', 0o755)):
                add(d, tarfile.DIRTYPE, mode)
            add('bin/busybox', tarfile.REGTYPE, 0o755, open('/bin/busybox', 'rb').read())
            add('bin/fifo', tarfile.REGTYPE, 0o755, open(guest, 'rb').read())
            add('srv/pipe', tarfile.FIFOTYPE, 0o666)
            add('devices/null', tarfile.CHRTYPE, 0o666, dev=(1, 3))
            add('devices/zero', tarfile.CHRTYPE, 0o666, dev=(1, 5))
            add('devices/sda', tarfile.BLKTYPE, 0o660, dev=(8, 0))
            add('devices/nodriver', tarfile.CHRTYPE, 0o666, dev=(42, 42))
        name = 'e2e-fifo'
        rc, out, err = run(['wine', exe, 'import', name, win(os.path.join(tmp, 'store')), win(tarball)], env)
        c.check('fifo: import', rc == 0, err)
        inside = ['wine', exe, 'run', '-d', name, '--']

        nat = subprocess.run([guest, 'test', '/dev/shm'], capture_output=True)
        native_out = nat.stdout.decode('utf-8', 'replace')
        c.check('fifo: the checks pass natively on /dev/shm', nat.returncode == 0, native_out)
        rc, out, err = run(inside + ['/bin/fifo', 'test', '/tmp'], env)
        detail = ''.join(f'  picolx: {x}\n  native: {y}\n' for x, y in zip(out.splitlines(), native_out.splitlines()) if x != y)
        c.check("fifo: the checks in the distro's /tmp (lxfs) print what native /dev/shm prints", rc == 0 and out == native_out,
                f'{rc}\n{detail}{err}')
        rc, out, err = run(inside + ['/bin/busybox', 'ls', '-ln', '/srv/pipe'], env)
        c.check('fifo: the imported FIFO is listed as one', rc == 0 and out.startswith('prw-rw-rw-'), out + err)

        # two processes on one FIFO of the store: each open blocks until the other comes
        text = 'from another process'
        want_reader = f'{text}\nreader: {len(text)} bytes, last read 0\n'
        for first in ('reader', 'writer'):
            argv = {'reader': inside + ['/bin/fifo', 'reader', '/srv/pipe'],
                    'writer': inside + ['/bin/fifo', 'writer', '/srv/pipe', text]}
            second = 'writer' if first == 'reader' else 'reader'
            out_f, err_f = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # files: see the wineserver above
            p = subprocess.Popen(argv[first], env=env, stdin=subprocess.DEVNULL, stdout=out_f, stderr=err_f)
            time.sleep(2)  # let it block in open
            if p.poll() not in (None, 0) and os.fstat(out_f.fileno()).st_size == 0 and os.fstat(err_f.fileno()).st_size == 0:
                print(f'note: the {first} ended with status {p.returncode} and no output before picolx ran: once more')
                p = subprocess.Popen(argv[first], env=env, stdin=subprocess.DEVNULL, stdout=out_f, stderr=err_f)
                time.sleep(2)
            still_blocked = p.poll() is None
            try:
                rc2, out2, err2 = run(argv[second], env, timeout=60)
            except subprocess.TimeoutExpired:
                rc2, out2, err2 = -1, '', 'timed out'
                p.kill()
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            out_f.seek(0)
            err_f.seek(0)
            out1, err1 = out_f.read().decode('utf-8', 'replace'), err_f.read().decode('utf-8', 'replace')
            out_f.close()
            err_f.close()
            reader_out = out1 if first == 'reader' else out2
            writer_out = out2 if first == 'reader' else out1
            c.check(f'fifo: two processes, {first} first: it blocks in open until the other comes',
                    still_blocked and p.returncode == 0 and rc2 == 0 and reader_out == want_reader and
                    writer_out == f'writer: wrote {len(text)}\n',
                    f'blocked={still_blocked} rc={p.returncode},{rc2}\n{out1}{err1}\n{out2}{err2}')

        # a writer killed while it holds its end: the blocked reader gets what was written,
        # then EOF (the dead process's count is dropped). The guest must run in the first
        # process (static-pie) for the kill to reach it.
        rc, out, err = run(inside + ['/bin/busybox', 'mkfifo', '/tmp/held'], env)
        files = [tempfile.TemporaryFile() for _ in range(4)]
        reader = subprocess.Popen(inside + ['/bin/fifo', 'reader', '/tmp/held'], env=env, stdin=subprocess.DEVNULL,
                                  stdout=files[0], stderr=files[1])
        holder = subprocess.Popen(inside + ['/bin/fifo', 'hold', '/tmp/held', 'before the kill'], env=env,
                                  stdin=subprocess.DEVNULL, stdout=files[2], stderr=files[3])
        for _ in range(600):  # until the holder has opened and written (a loaded machine starts it slowly)
            files[2].seek(0)
            if b'holding' in files[2].read() or holder.poll() is not None:
                break
            time.sleep(0.1)
        time.sleep(0.5)
        reader_waits = reader.poll() is None
        holder.kill()
        holder.wait()
        try:
            reader.wait(timeout=60)
        except subprocess.TimeoutExpired:
            reader.kill()
            reader.wait()
        files[0].seek(0)
        got = files[0].read().decode('utf-8', 'replace')
        files[1].seek(0)
        reader_err = files[1].read().decode('utf-8', 'replace')
        for f in files:
            f.close()
        c.check('fifo: a writer killed holding its end: the reader reads, then EOF',
                reader_waits and reader.returncode == 0 and got == 'before the kill\nreader: 15 bytes, last read 0\n',
                f'waited={reader_waits} rc={reader.returncode}\n{got}{reader_err}')

        # character device nodes open picolx's devices; block devices and unknown ones have no driver
        rc, out, err = run(inside + ['/bin/busybox', 'od', '-An', '-tx1', '-N4', '/devices/zero'], env)
        c.check('fifo: a 1:5 node reads zeros', rc == 0 and out.split() == ['00'] * 4, f'{rc}\n{out}{err}')
        rc, out, err = run(inside + ['/bin/busybox', 'sh', '-c', 'echo gone > /devices/null && echo ok'], env)
        rc2, out2, err2 = run(inside + ['/bin/busybox', 'cat', '/devices/null'], env)
        c.check('fifo: a 1:3 node discards and reads EOF', rc == 0 and out == 'ok\n' and rc2 == 0 and out2 == '',
                f'{rc}\n{out}{err}\n{rc2}\n{out2}{err2}')
        rc, out, err = run(inside + ['/bin/busybox', 'mknod', '/tmp/ur', 'c', '1', '9'], env)
        rc2, out2, err2 = run(inside + ['/bin/busybox', 'od', '-An', '-tx1', '-N8', '/tmp/ur'], env)
        c.check('fifo: a 1:9 node made inside reads random bytes', rc == 0 and rc2 == 0 and len(out2.split()) == 8,
                f'{rc}\n{out}{err}\n{rc2}\n{out2}{err2}')
        for node in ('sda', 'nodriver'):
            rc, out, err = run(inside + ['/bin/busybox', 'cat', '/devices/' + node], env)
            c.check(f'fifo: /devices/{node} has no driver: ENXIO', rc != 0 and 'No such device or address' in err, f'{rc}\n{out}{err}')
        rc, out, err = run(['wine', exe, 'unregister', name], env)
        c.check('fifo: unregister', rc == 0, err)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def mapunlink_tests(a, c):
    """tests/guest/mapunlink.c in the distro's /tmp (lxfs: data files named by inode)
    prints what it prints natively; nothing is left in /tmp afterwards."""
    tmp = tempfile.mkdtemp(prefix='picolx-mapunlink-')
    try:
        env = home_env(a, tmp, own_wineserver=True)
        tarball = os.path.join(tmp, 'mapunlink.tar')
        with tarfile.open(tarball, 'w', format=tarfile.GNU_FORMAT) as tar:
            def add(name, type_, mode, data=None):
                t = tarfile.TarInfo(name)
                t.type, t.mode, t.mtime = type_, mode, 1700000000
                t.size = len(data) if data is not None else 0
                tar.addfile(t, io.BytesIO(data) if data is not None else None)
            for d, mode in (('bin/', 0o755), ('tmp/', 0o1777)):
                add(d, tarfile.DIRTYPE, mode)
            add('bin/busybox', tarfile.REGTYPE, 0o755, open('/bin/busybox', 'rb').read())
            add('bin/mapunlink', tarfile.REGTYPE, 0o755, open(a.mapunlink_guest, 'rb').read())
        name = 'e2e-mapunlink'
        rc, out, err = run(['wine', a.picolx, 'import', name, win(os.path.join(tmp, 'store')), win(tarball)], env)
        c.check('mapunlink: import', rc == 0, err)
        native_dir = os.path.join(tmp, 'native')
        os.mkdir(native_dir)
        nat = subprocess.run([a.mapunlink_guest, native_dir], capture_output=True)
        native_out = nat.stdout.decode('utf-8', 'replace')
        c.check('mapunlink: the checks pass natively', nat.returncode == 0, native_out)
        inside = ['wine', a.picolx, 'run', '-d', name, '--']
        rc, out, err = run(inside + ['/bin/mapunlink', '/tmp'], env)
        detail = ''.join(f'  picolx: {x}\n  native: {y}\n' for x, y in zip(out.splitlines(), native_out.splitlines()) if x != y)
        c.check("mapunlink: the checks in the distro's /tmp (lxfs) print what they print natively",
                rc == 0 and out == native_out, f'{rc}\n{detail}{err}')
        rc, out, err = run(inside + ['/bin/busybox', 'ls', '-A', '/tmp'], env)
        c.check("mapunlink: the distro's /tmp is empty afterwards", rc == 0 and out == '', out + err)
        rc, out, err = run(['wine', a.picolx, 'unregister', name], env)
        c.check('mapunlink: unregister', rc == 0, err)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def crash_tests(a, c):
    tmp = tempfile.mkdtemp(prefix='picolx-crash-')
    try:
        env = wine_env(a.top, None)
        rc, out, err = run(['wine', a.crash, win(os.path.join(tmp, 'store')), str(a.rounds)], env, timeout=540)
        print(out, end='')
        print(err, end='', file=sys.stderr)
        c.check(f'{a.rounds} kills of a worker changing the store leave it consistent', rc == 0, '')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--picolx')
    ap.add_argument('--crash')
    ap.add_argument('--xattr-guest')
    ap.add_argument('--fifo-guest')
    ap.add_argument('--mapunlink-guest')
    ap.add_argument('--rounds', type=int, default=30)
    ap.add_argument('--top', required=True)
    a = ap.parse_args()
    c = Checker()
    if a.crash:
        crash_tests(a, c)
    if a.picolx and a.mapunlink_guest:
        mapunlink_tests(a, c)
    elif a.picolx and a.fifo_guest:
        fifo_tests(a, c)
    elif a.picolx and a.xattr_guest:
        xattr_tests(a, c)
    elif a.picolx:
        import_tests(a, c)
    print(f'{c.passed} passed, {c.failed} failed')
    return 1 if c.failed or not c.passed else 0


if __name__ == '__main__':
    sys.exit(main())
