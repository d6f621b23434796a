#!/usr/bin/env python3
"""Runs tree_driver.exe CASE under Wine in the build's prefix with picolx.exe's Windows path;
its exit status is the test's."""
import os
import subprocess
import sys

top, driver, picolx, case = sys.argv[1:5]
env = dict(os.environ)
env['WINEPREFIX'] = os.environ.get('PICOLX_WINEPREFIX') or os.path.join(top, 'build', 'wineprefix')
env.setdefault('WINEDEBUG', '-all')
# Z: is the host's root in every Wine prefix
windows_path = 'Z:' + os.path.abspath(picolx).replace('/', '\\')
sys.exit(subprocess.run(['wine', driver, windows_path, case], env=env, stdin=subprocess.DEVNULL,
                        timeout=280).returncode)
