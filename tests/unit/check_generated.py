#!/usr/bin/env python3
"""Fails when docs/syscalls.md differs from what abi/gen_syscalls.py makes of the table.
   Usage: check_generated.py GEN_SYSCALLS TABLE DOC"""
import subprocess, sys, tempfile, os

gen, table, doc = sys.argv[1:4]
with tempfile.TemporaryDirectory() as d:
    out = os.path.join(d, "syscalls.md")
    subprocess.run([sys.executable, gen, "md", table, out], check=True)
    if open(out, encoding="utf-8").read() != open(doc, encoding="utf-8").read():
        print(f"{doc} is out of date: run `python3 abi/gen_syscalls.py md abi/syscalls.tbl docs/syscalls.md`")
        sys.exit(1)
print("docs/syscalls.md matches abi/syscalls.tbl")
