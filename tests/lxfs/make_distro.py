#!/usr/bin/env python3
"""Writes a small distro tarball for the lxfs tests: the host's static busybox plus crafted
members that Windows cannot hold as they are (a setuid file, symlinks relative, absolute
and dangling, a hard link, a FIFO, device nodes, names with ':' or a trailing dot, a
reserved name, two names differing only in case), owners other than 0, fixed mtimes.

usage: make_distro.py OUT.tar [--format gnu|pax|ustar]   (OUT.tar.gz / .tar.xz compress)
Also prints the expected `ls -lan --full-time`-like listing with --expect."""
import argparse, io, sys, tarfile, time

MTIME = 1700000000  # fixed: 2023-11-14 22:13:20 UTC

def members(busybox):
    data = open(busybox, 'rb').read()
    def info(name, type_, mode, uid=0, gid=0, size=0, link='', mtime=MTIME, dev=(0, 0)):
        t = tarfile.TarInfo(name)
        t.type, t.mode, t.uid, t.gid, t.size, t.linkname, t.mtime = type_, mode, uid, gid, size, link, mtime
        t.devmajor, t.devminor = dev
        t.uname = t.gname = ''
        return t
    yield info('./', tarfile.DIRTYPE, 0o755), None
    yield info('bin/', tarfile.DIRTYPE, 0o755), None
    yield info('bin/busybox', tarfile.REGTYPE, 0o755, size=len(data)), data
    yield info('bin/sh', tarfile.SYMTYPE, 0o777, link='busybox'), None
    yield info('bin/ls', tarfile.SYMTYPE, 0o777, link='/bin/busybox'), None
    yield info('etc/', tarfile.DIRTYPE, 0o755), None
    text = b'hello from the distro\n'
    yield info('etc/motd', tarfile.REGTYPE, 0o644, size=len(text), mtime=MTIME + 1), text
    yield info('etc/motd.hard', tarfile.LNKTYPE, 0o644, link='etc/motd', mtime=MTIME + 1), None
    yield info('etc/dangling', tarfile.SYMTYPE, 0o777, link='../nowhere/at/all'), None
    su = b'#!/bin/sh\necho su\n'
    yield info('bin/su', tarfile.REGTYPE, 0o4755, size=len(su)), su
    yield info('tmp/', tarfile.DIRTYPE, 0o1777), None
    yield info('srv/', tarfile.DIRTYPE, 0o2775, uid=1000, gid=50), None
    yield info('home/', tarfile.DIRTYPE, 0o755), None
    yield info('home/user/', tarfile.DIRTYPE, 0o700, uid=1000, gid=1000, mtime=MTIME + 5), None
    names = [('a:b', b'colon\n'), ('CON', b'reserved\n'), ('x.', b'trailing dot\n'), ('y ', b'trailing space\n'),
             ('Case', b'upper\n'), ('case', b'lower\n'), ('q?*"<>|\\', b'forbidden\n')]
    for i, (n, body) in enumerate(names):
        yield info('home/user/' + n, tarfile.REGTYPE, 0o640, uid=1000, gid=1000, size=len(body), mtime=MTIME + 10 + i), body
    yield info('home/user/fifo', tarfile.FIFOTYPE, 0o600, uid=1000, gid=1000), None
    # not under /dev: picolx mounts its own devfs there
    yield info('devices/', tarfile.DIRTYPE, 0o755), None
    yield info('devices/null', tarfile.CHRTYPE, 0o666, dev=(1, 3)), None
    yield info('devices/sda', tarfile.BLKTYPE, 0o660, gid=6, dev=(8, 0)), None
    long_dir = 'usr/share/' + 'd' * 120 + '/'
    yield info('usr/', tarfile.DIRTYPE, 0o755), None
    yield info('usr/share/', tarfile.DIRTYPE, 0o755), None
    yield info(long_dir, tarfile.DIRTYPE, 0o755), None
    body = b'long name\n'
    yield info(long_dir + 'f' * 150, tarfile.REGTYPE, 0o644, size=len(body)), body

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--format', default='gnu', choices=['gnu', 'pax', 'ustar'])
    ap.add_argument('--busybox', default='/bin/busybox')
    a = ap.parse_args()
    fmt = {'gnu': tarfile.GNU_FORMAT, 'pax': tarfile.PAX_FORMAT, 'ustar': tarfile.USTAR_FORMAT}[a.format]
    mode = 'w:gz' if a.out.endswith('.gz') else 'w:xz' if a.out.endswith('.xz') else 'w'
    with tarfile.open(a.out, mode, format=fmt) as tf:
        for t, data in members(a.busybox):
            tf.addfile(t, io.BytesIO(data) if data is not None else None)

if __name__ == '__main__':
    main()
