#!/usr/bin/env python3
"""Start-up phase by phase (issue 12): PICOLX_TIMING=1 reports of commands under two
picolx.exe builds (before and after a change), interleaved, the median of each phase.

A phase is the time between two marks of src/core/timing.c's report ("runtime start",
"program found and read", "first guest instruction", ..., "exit"), in the process that
runs the guest; a fixed-address program runs in a second process (loader/spawn.c), whose
report counts from the first process's creation, so "total" is the first process's exit.
The work lines ("mm: mmap file (all)", "rewrite: scan region", ...) are summed per kind.
Usage: bench/phases.py BEFORE_EXE AFTER_EXE [--rounds 3]
Not a test: it prints figures.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

import benchenv

TOP = benchenv.TOP
COMMANDS = [['/bin/true'], ['/bin/busybox', 'true'], ['/usr/bin/python3', '-c', 'pass'], ['/usr/bin/perl', '-e', '1']]
WORK = ['loader: read file', 'mm: mmap file (all)', 'mm: mmap file, commit+read',
        'mm: private view made private memory', 'rewrite: scan region']


def wine_env():
    return benchenv.wine_env(PICOLX_TIMING='1')


def parse(text):
    """{phase or work name: ms} of one run's reports."""
    reports = text.split('picolx timing, pid ')[1:]
    out = {}
    guest = None
    for r in reports:  # the guest's report is the one with a first guest instruction
        if 'first guest instruction' in r:
            guest = r
    first = reports[-1] if reports else ''
    if guest:
        marks = [(float(t), name) for t, name in re.findall(r'^\s+([\d.]+)  (\S.*)$', guest, re.M)
                 if not re.match(r'^[\d.]+ ', name)]
        for (t0, _), (t1, name) in zip(marks, marks[1:]):
            out['-> ' + name] = out.get('-> ' + name, 0) + t1 - t0
        for r in reports:
            for name in WORK:
                m = re.search(r'^  ' + re.escape(name) + r'\s+\d+\s+\d+\s+([\d.]+)$', r, re.M)
                if m:
                    out[name] = out.get(name, 0) + float(m.group(1))
    ends = re.findall(r'^\s+([\d.]+)  exit$', first, re.M)
    if ends:
        out['total (first process exit)'] = float(ends[-1])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('before')
    ap.add_argument('after')
    ap.add_argument('--rounds', type=int, default=3)
    args = ap.parse_args()
    env = wine_env()
    samples = {}
    subprocess.run(['wine', args.after, 'run', '--root', 'Z:\\', '--', '/bin/true'], env=env,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(args.rounds):
        for cmd in COMMANDS:
            for side, exe in (('before', args.before), ('after', args.after)):
                p = subprocess.run(['wine', exe, 'run', '--root', 'Z:\\', '--'] + cmd, env=env,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   timeout=300)
                if p.returncode != 0:
                    sys.exit(f'picolx: {" ".join(cmd)} failed under {exe}: {p.returncode}')
                for k, v in parse(p.stderr.decode(errors='replace')).items():
                    samples.setdefault((' '.join(cmd), k), {}).setdefault(side, []).append(v)
    print('| command | phase or work | before ms | after ms |')
    print('|---|---|---|---|')
    for cmd in COMMANDS:
        name = ' '.join(cmd)
        for (c, k), sides in samples.items():
            if c != name:
                continue
            med = {s: statistics.median(v) for s, v in sides.items()}
            print(f'| {name} | {k} | {med.get("before", 0):.1f} | {med.get("after", 0):.1f} |')


if __name__ == '__main__':
    main()
