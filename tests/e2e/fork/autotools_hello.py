#!/usr/bin/env python3
"""`./configure && make` of GNU hello (issue 8), natively and under picolx, compared by
tests/e2e/run_diff.py: the tarball is unpacked, configured and built in each side's cwd,
the program run, and config.h compared (a --check, native sh on both sides' files).

  autotools_hello.py --cache DIR --run-diff PATH/run_diff.py RUN_DIFF_OPTIONS...

The tarball is Debian's hello source package (apt-get source --download-only), fetched
once into DIR. Each step is its own --then, so the native side's 30 s limit is per step."""

import argparse
import glob
import os
import re
import subprocess
import sys


def tarball(cache):
    found = sorted(glob.glob(os.path.join(cache, 'hello_*.orig.tar.gz')))
    if found:
        return found[-1], None
    os.makedirs(cache, exist_ok=True)
    try:
        r = subprocess.run(['apt-get', 'source', '--download-only', 'hello'], cwd=cache,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=300)
        why = r.stderr.decode(errors='replace').strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        why = str(e)
    found = sorted(glob.glob(os.path.join(cache, 'hello_*.orig.tar.gz')))
    return (found[-1], None) if found else (None, why)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--cache', required=True)
    p.add_argument('--run-diff', required=True)
    a, rest = p.parse_known_args()
    tar, why = tarball(a.cache)
    if not tar:
        print(f'apt-get source --download-only hello failed in {a.cache}: {why}')
        return 1
    version = re.match(r'hello_(.*)\.orig\.tar\.gz$', os.path.basename(tar)).group(1)
    src = f'hello-{version}'
    steps = [f"/bin/sh -c 'cd {src} && ./configure -q'",
             f"/bin/sh -c 'cd {src} && make -s'",
             f"{src}/hello",
             f"{src}/hello -g 'built by make under the same system'"]
    argv = [sys.executable, a.run_diff] + rest + ['--copy', f'hello.tar.gz={tar}', '--expect-status', '0']
    for step in steps:
        argv += ['--then', step]
    argv += ['--check', f'cat {src}/config.h', '--', '/bin/tar', 'xzf', 'hello.tar.gz']
    return subprocess.run(argv).returncode


if __name__ == '__main__':
    sys.exit(main())
