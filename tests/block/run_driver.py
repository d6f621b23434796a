#!/usr/bin/env python3
"""Runs a Windows test driver under Wine in the build's prefix; its exit status is the test's."""
import os
import subprocess
import sys

top, driver = sys.argv[1], sys.argv[2]
env = dict(os.environ)
env['WINEPREFIX'] = os.environ.get('PICOLX_WINEPREFIX') or os.path.join(top, 'build', 'wineprefix')
env.setdefault('WINEDEBUG', '-all')
sys.exit(subprocess.run(['wine', driver], env=env, stdin=subprocess.DEVNULL, timeout=300).returncode)
