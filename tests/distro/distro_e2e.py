#!/usr/bin/env python3
"""A distro made from Debian's own packages, imported with `picolx import` and used under Wine.

  distro_e2e.py --picolx PATH/picolx.exe --top SOURCE_DIR --cache DIR --case NAME

The distro tree is built once per build directory (in --cache, under a lock, so that cases
running in parallel share it): `apt-get download` of a few packages (libc6, coreutils, bash
and the libraries they need), `dpkg-deb -x` of each into one tree, a few files of our own
(a data file, a home directory owned by 1000:1000 with mode 0700, a setuid file, a hard
link, a relative symlink, a file with a nanosecond mtime), then `tar --numeric-owner -czf`.
Each case imports the tarball into its own fresh picolx home (PICOLX_HOME), runs programs
of the distro with `picolx run -d NAME` (its own ld.so and libc: nothing from the host),
compares with the same programs run natively in `chroot TREE`, and unregisters.

Cases:
  ls-lan       /bin/ls -lan --time-style=full-iso of several directories, inside picolx vs
               the extracted source tree natively: owners, modes, sizes, link counts,
               nanosecond mtimes and symlink targets must match exactly (what is left out
               and why: see normalise_ls)
  programs     sort, cat, bash -c 'echo $((6*7))', stat, readlink -f, sha256sum, ls of the
               data: the distro's dynamic programs with the distro's libc, outputs compared
  write        files written inside persist across runs (cp, mkdir, touch, chmod, rm),
               seen by a later run of ls -lan, compared with the same done natively

Needs root natively (chroot, and extraction with owners), apt-get and dpkg-deb, and the
network to Debian's mirror the first time (a clear failure otherwise). Timeouts on all."""
import argparse
import difflib
import fcntl
import os
import re
import shutil
import subprocess
import sys
import tempfile

# coreutils needs libacl1, libattr1 (cp, mv), libselinux1 and libpcre2-8-0; bash libtinfo6
PACKAGES = ['libc6', 'libselinux1', 'libpcre2-8-0', 'libacl1', 'libattr1', 'libtinfo6', 'coreutils', 'bash',
            'python3.11-minimal', 'libpython3.11-minimal', 'libexpat1', 'zlib1g']
DIRS = ['/', '/bin', '/lib64', '/lib/x86_64-linux-gnu', '/usr/bin', '/etc', '/home', '/home/user', '/srv',
        '/usr/share/doc/bash']
FRUIT = b'banana 3\napple 10\ncherry 7\napple 10\ndate 1\n'
TIMEOUT = 120


def log(*a):
    print(*a, flush=True)


def run(argv, timeout=TIMEOUT, **kw):
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, **kw)
        return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')
    except subprocess.TimeoutExpired as e:
        return 'timeout', (e.stdout or b'').decode('utf-8', 'replace'), f'timed out after {timeout} s (killed)'


def win(path):
    return 'Z:' + path.replace('/', '\\')


def wine_env(top, home):
    env = dict(os.environ)
    env['WINEPREFIX'] = os.environ.get('PICOLX_WINEPREFIX') or os.path.join(top, 'build', 'wineprefix')
    env['WINEDEBUG'] = '-all'
    env['WINEARCH'] = 'win64'
    env['WINEDLLOVERRIDES'] = 'mscoree,mshtml='
    env['PICOLX_HOME'] = win(home)
    return env


# ---- the distro tarball ----

def build_tree(work):
    """Downloads and extracts the packages into work/tree; returns (tree, tarball)."""
    debs = os.path.join(work, 'debs')
    os.makedirs(debs, exist_ok=True)
    rc, out, err = run(['apt-get', 'download'] + PACKAGES, timeout=300, cwd=debs)
    if rc != 0:
        probe_rc, _, probe_err = run(['apt-get', 'download', '--print-uris', 'libc6'], timeout=60)
        raise SystemExit('cannot download the Debian packages ' + ' '.join(PACKAGES) + ' with apt-get download '
                         f'(status {rc}):\n{err.strip()}\n'
                         + ('no package index: run `apt-get update` (scripts/build does)\n' if probe_rc != 0 else
                            "is the network to Debian's mirror (deb.debian.org) reachable?\n"))
    tree = os.path.join(work, 'tree')
    shutil.rmtree(tree, ignore_errors=True)
    os.mkdir(tree)
    for deb in sorted(os.listdir(debs)):
        rc, out, err = run(['dpkg-deb', '-x', os.path.join(debs, deb), tree])
        if rc != 0:
            raise SystemExit(f'dpkg-deb -x {deb} failed: {err}')
    # our own files, with metadata Windows cannot hold as it is
    os.makedirs(os.path.join(tree, 'srv/data'))
    with open(os.path.join(tree, 'srv/data/fruit.txt'), 'wb') as f:
        f.write(FRUIT)
    os.makedirs(os.path.join(tree, 'home/user'))
    with open(os.path.join(tree, 'home/user/notes'), 'wb') as f:
        f.write(b'private\n')
    os.chmod(os.path.join(tree, 'home/user/notes'), 0o600)
    os.chown(os.path.join(tree, 'home/user/notes'), 1000, 1000)
    os.chmod(os.path.join(tree, 'home/user'), 0o700)
    os.chown(os.path.join(tree, 'home/user'), 1000, 1000)
    os.makedirs(os.path.join(tree, 'tmp'))
    os.chmod(os.path.join(tree, 'tmp'), 0o1777)
    os.link(os.path.join(tree, 'srv/data/fruit.txt'), os.path.join(tree, 'srv/data/fruit.hard'))
    os.symlink('data/fruit.txt', os.path.join(tree, 'srv/fruit.link'))
    os.symlink('/nowhere/at/all', os.path.join(tree, 'srv/dangling'))
    shutil.copy(os.path.join(tree, 'bin/cat'), os.path.join(tree, 'srv/setuid-cat'))
    os.chown(os.path.join(tree, 'srv/setuid-cat'), 0, 50)  # first: chown clears setuid
    os.chmod(os.path.join(tree, 'srv/setuid-cat'), 0o6755)
    os.makedirs(os.path.join(tree, 'etc'), exist_ok=True)
    with open(os.path.join(tree, 'etc/passwd'), 'w') as f:
        f.write('root:x:0:0:root:/root:/bin/bash\nuser:x:1000:1000::/home/user:/bin/bash\n')
    with open(os.path.join(tree, 'etc/group'), 'w') as f:
        f.write('root:x:0:\nstaff:x:50:\nuser:x:1000:\n')
    os.utime(os.path.join(tree, 'srv/data/fruit.txt'), ns=(1700000000_123456789, 1700000000_123456789))
    os.utime(os.path.join(tree, 'etc/passwd'), ns=(1600000000_000000500, 1600000000_000000500))
    # the directories we made: fixed mtimes too (the packages' own keep theirs)
    for d in ['srv/data', 'srv', 'home/user', 'home', 'tmp']:
        os.utime(os.path.join(tree, d), ns=(1700000100_000000001, 1700000100_000000001), follow_symlinks=False)
    tarball = os.path.join(work, 'distro.tar.gz')
    # pax (posix) format: GNU's default format keeps whole seconds only
    rc, out, err = run(['tar', '--format=posix', '--numeric-owner', '-czf', tarball + '.part', '-C', tree, '.'],
                       timeout=300)
    if rc != 0:
        raise SystemExit(f'tar of the tree failed: {err}')
    os.rename(tarball + '.part', tarball)
    return tree, tarball


def distro(cache):
    """The tree and tarball, built once per cache directory (under a lock)."""
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, 'lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        tree, tarball = os.path.join(cache, 'tree'), os.path.join(cache, 'distro.tar.gz')
        stamp = os.path.join(cache, 'done-' + '-'.join(PACKAGES) + '-v3')
        if not os.path.exists(stamp):
            log('building the distro tarball from Debian packages:', ' '.join(PACKAGES))
            tree, tarball = build_tree(cache)
            open(stamp, 'w').close()
        return tree, tarball


# ---- comparing ----

def normalise_ls(text):
    """`ls -lan --time-style=full-iso` output, with what cannot match left out:
    - 'total N' lines: they sum st_blocks, which are the host file system's allocation
      natively (ext4) and the store's (NTFS / Wine's backing files) in picolx;
    - the size of directories: a directory's st_size is its file system's (4096 on ext4);
    - '.' and '..' of '/': natively the extraction directory itself and its parent (the
      host's /tmp-like directory), not part of the tree that was tarred;
    - dev, proc and sys in '/': picolx lists the pseudo file systems mounted there (as a
      booted Linux does); the native chroot has nothing mounted and the tree no such names.
    Everything else (modes, link counts, owners, sizes, nanosecond mtimes, names, targets)
    is compared as is."""
    out, current = [], None
    for line in text.splitlines():
        if not line.strip() or line.startswith('total '):
            continue
        if line.endswith(':') and not re.match(r'^[-dlcbps][-rwxsStT]{9}', line):
            current = line[:-1]
            out.append(current + ':')
            continue
        m = re.match(r'^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+(?:,\s*\d+)?)\s+(\S+ \S+ \S+) (.*)$', line)
        if not m:
            out.append('?? ' + line)
            continue
        perms, nlink, uid, gid, size, when, name = m.groups()
        if current == '/' and name in ('.', '..', 'dev', 'proc', 'sys'):
            continue
        if perms.startswith('d'):
            size = '<dir>'
        out.append(f'{perms} {nlink} {uid} {gid} {size} {when} {name}')
    return out


def show_diff(title, want, got):
    log(f'*** {title} differs (- native, + picolx):')
    for line in difflib.unified_diff(want, got, 'native', 'picolx', n=2, lineterm=''):
        log(line)


class Case:
    def __init__(self, a):
        self.a = a
        self.failed = 0
        self.tmp = tempfile.mkdtemp(prefix=f'picolx-distro-{a.case}-')
        self.home = os.path.join(self.tmp, 'home')
        os.mkdir(self.home)
        self.env = wine_env(a.top, self.home)
        self.name = f'debian-{a.case}'
        self.tree, self.tarball = distro(a.cache)

    def picolx(self, *args, timeout=TIMEOUT):
        return run(['wine', self.a.picolx] + list(args), timeout=timeout, env=self.env)

    def guest(self, argv, env=()):
        extra = []
        for kv in ('TZ=UTC', 'LC_ALL=C') + tuple(env):
            extra += ['--env', kv]
        return self.picolx('run', '-d', self.name, *extra, '--', *argv)

    def native(self, argv, tree=None, env=()):
        e = {'PATH': '/usr/bin:/bin', 'TZ': 'UTC', 'LC_ALL': 'C', 'HOME': '/root'}
        e.update(kv.split('=', 1) for kv in env)
        return run([shutil.which('chroot') or '/usr/sbin/chroot', tree or self.tree] + list(argv), env=e, timeout=30)

    def check(self, title, ok, detail=''):
        if ok:
            log(f'ok   {title}')
        else:
            self.failed += 1
            log(f'FAIL {title}')
            if detail:
                log(detail.rstrip('\n'))

    def compare(self, title, argv, normalise=None, env=(), tree=None):
        """Runs argv inside the distro and natively in the tree; compares status, stdout
        and stderr (normalised for ls)."""
        g_rc, g_out, g_err = self.guest(argv, env)
        n_rc, n_out, n_err = self.native(argv, tree, env)
        if normalise:
            g, n = normalise(g_out), normalise(n_out)
        else:
            g, n = g_out.splitlines(), n_out.splitlines()
        same = g == n and g_rc == n_rc and g_err == n_err
        detail = ''
        if not same:
            log(f'--- {title}: {" ".join(argv)}')
            if g != n:
                show_diff('stdout', n, g)
            if g_err != n_err:
                show_diff('stderr', n_err.splitlines(), g_err.splitlines())
            detail = f'  exit status: native {n_rc}, picolx {g_rc}'
        self.check(f'{title} ({len(n)} lines)', same and len(n) > 0 or (same and not n_out and not g_out), detail)
        return same

    def setup(self):
        store = os.path.join(self.tmp, 'store')
        rc, out, err = self.picolx('import', self.name, win(store), win(self.tarball), timeout=300)
        self.check(f'picolx import {self.name} (a {os.path.getsize(self.tarball) // 1024} KiB .tar.gz)', rc == 0,
                   f'status {rc}\n{out}{err}')
        rc, out, err = self.picolx('list')
        self.check('picolx list shows it', rc == 0 and any(l.split('\t')[0] == self.name for l in out.splitlines()),
                   out + err)
        return self.failed == 0

    def teardown(self):
        rc, out, err = self.picolx('unregister', self.name)
        self.check(f'picolx unregister {self.name}', rc == 0, err)
        shutil.rmtree(self.tmp, ignore_errors=True)


def case_ls_lan(c):
    c.compare('ls -lan --time-style=full-iso', ['/bin/ls', '-lan', '--time-style=full-iso'] + DIRS, normalise_ls)
    c.compare('ls -lanR of /srv', ['/bin/ls', '-lanR', '--time-style=full-iso', '/srv'], normalise_ls)
    c.compare('stat of links, setuid, owners',
              ['/usr/bin/stat', '-c', '%n %F %a %u %g %h %s %y', '/srv/data/fruit.txt', '/srv/data/fruit.hard',
               '/srv/fruit.link', '/srv/dangling', '/srv/setuid-cat', '/home/user/notes', '/tmp',
               '/lib64/ld-linux-x86-64.so.2', '/etc/passwd'])


def case_programs(c):
    c.compare('sort', ['/usr/bin/sort', '-k2,2n', '-k1,1', '/srv/data/fruit.txt'])
    c.compare('cat of a hard link and a symlink', ['/bin/cat', '-n', '/srv/data/fruit.hard', '/srv/fruit.link'])
    c.compare('bash arithmetic', ['/bin/bash', '-c', 'echo $((6*7)); x=(a b c); echo "${#x[@]} ${x[1]}"; '
                                  'printf "%05d|%-4s|\\n" 42 ab; [[ abc == a* ]] && echo glob'])
    c.compare('bash reads a file', ['/bin/bash', '-c', 'n=0; while read w k; do n=$((n + k)); done < /srv/data/fruit.txt; '
                                    'echo "total $n"; echo "${BASH_VERSION%%.*}"'])  # no pipes: they fork
    c.compare('readlink -f', ['/bin/readlink', '-f', '/lib64/ld-linux-x86-64.so.2', '/srv/fruit.link', '/usr/bin/../bin/.'])
    c.compare('sha256sum', ['/usr/bin/sha256sum', '/srv/data/fruit.txt', '/bin/ls'])
    c.compare('ls -l with names from /etc/passwd', ['/bin/ls', '-l', '--time-style=+%s', '/home/user', '/srv/data'],
              lambda t: [l for l in t.splitlines() if not l.startswith('total ')])
    c.compare('a dangling symlink: an error', ['/bin/cat', '/srv/dangling'])
    c.compare('id from the distro', ['/usr/bin/id', '-u'])
    # the distro's own python (ET_EXEC at 0x400000: a second picolx process), its stdlib
    c.compare('python3.11 from the distro', ['/usr/bin/python3.11', '-c',
              'import os, sys, re\n'
              'total = sum(int(l.split()[1]) for l in open("/srv/data/fruit.txt"))\n'
              'print(sys.version_info[:2], total, re.sub("a", "o", "banana"), sorted(os.listdir("/srv")))\n'
              'st = os.lstat("/srv/fruit.link"); print(oct(st.st_mode), os.readlink("/srv/fruit.link"))'])


def case_write(c):
    """Changes made inside persist across runs; the same changes done natively in a copy
    of the tree give the same ls -lan (mtimes of what was changed are now, so only the
    files we give a time are compared with their times)."""
    native_tree = os.path.join(c.tmp, 'native-tree')
    rc, _, err = run(['cp', '-a', c.tree, native_tree], timeout=120)
    if rc != 0:
        c.check('copy of the tree for the native side', False, err)
        return
    steps = [
        ['/bin/mkdir', '-p', '/srv/new/deeper'],
        ['/bin/cp', '/srv/data/fruit.txt', '/srv/new/copy.txt'],
        ['/bin/chmod', '2750', '/srv/new'],
        ['/bin/chown', '1000:50', '/srv/new/copy.txt'],
        ['/bin/touch', '-d', '2001-02-03 04:05:06.5', '/srv/new/copy.txt', '/srv/new/deeper', '/srv/new'],
        ['/bin/ln', '-s', '../data/fruit.txt', '/srv/new/deeper/link'],
        ['/bin/touch', '-h', '-d', '2002-03-04 05:06:07.25', '/srv/new/deeper/link'],  # the link's own time
        ['/bin/ln', '/srv/new/copy.txt', '/srv/new/hard'],
        ['/bin/mv', '/srv/data/fruit.hard', '/srv/data/renamed'],
        ['/bin/rm', '/srv/dangling'],
        ['/usr/bin/sort', '-o', '/srv/data/sorted', '/srv/data/fruit.txt'],
        ['/bin/touch', '-d', '2001-02-03 04:05:06.5', '/srv/new/deeper', '/srv/new', '/srv/data/sorted', '/srv/data',
         '/srv'],
    ]
    for st in steps:
        g_rc, _, g_err = c.guest(st)
        n_rc, _, n_err = c.native(st, native_tree)
        c.check(f'inside: {" ".join(st)}', g_rc == n_rc == 0, f'picolx {g_rc}: {g_err}native {n_rc}: {n_err}')
    c.compare('ls -lanR of /srv after the changes (a later run)', ['/bin/ls', '-lanR', '--time-style=full-iso', '/srv'],
              normalise_ls, tree=native_tree)
    c.compare('cat of what was written', ['/bin/cat', '/srv/new/hard', '/srv/data/sorted', '/srv/new/deeper/link'],
              tree=native_tree)


CASES = {'ls-lan': case_ls_lan, 'programs': case_programs, 'write': case_write}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--picolx', required=True)
    ap.add_argument('--top', required=True)
    ap.add_argument('--cache', required=True, help='where the distro tree and tarball are kept between runs')
    ap.add_argument('--case', required=True, choices=sorted(CASES))
    a = ap.parse_args()
    if os.geteuid() != 0:
        log('SKIP: needs root (chroot into the native tree, and extraction with owners)')
        return 77
    for tool in ('apt-get', 'dpkg-deb', 'chroot', 'tar', 'wine'):
        if not shutil.which(tool):
            log(f'FAIL: {tool} is not installed')
            return 1
    c = Case(a)
    try:
        if c.setup():
            CASES[a.case](c)
    finally:
        c.teardown()
    log('FAILED' if c.failed else 'PASSED', f'({c.failed} failed)' if c.failed else '')
    return 1 if c.failed else 0


if __name__ == '__main__':
    sys.exit(main())
