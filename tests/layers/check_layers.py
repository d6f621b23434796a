#!/usr/bin/env python3
"""The layering check (issue 7): picolx's layers, as data, and the includes that must
   respect them.

   A file may include headers of its own layer and of lower ones, never of a higher one;
   only the host layer (src/host/) includes windows.h and the other Windows SDK headers.
   Two explicit lists say what today's tree still does otherwise. They may only shrink:
   an entry that no longer applies fails the check too, so a fix removes its line.

   Usage: check_layers.py [--root DIR]      (DIR: the source tree; default: this checkout)
          check_layers.py --self-test        (a fake tree with each kind of violation)"""
import fnmatch, os, re, sys
from tree_check import fake_tree, main, self_test_verdict

# The layers, lowest first. A file's layer is that of the most specific pattern that
# matches its path (an exact path beats a glob, a longer prefix a shorter one).
LAYERS = [
    ("abi", "Linux ABI definitions only", [
        "abi/"]),
    ("base", "host-neutral helpers every layer uses: the heap, errno translation, guest-memory "
             "access, and the pure halves that have native unit tests", [
        "src/core/px.h", "src/core/syscall.h", "src/core/alloc.c", "src/core/errors.h", "src/core/errors.c",
        "src/core/uaccess.h", "src/core/uaccess.S",
        "loader/elf.h", "loader/elf.c", "loader/stack.h", "loader/stack.c",
        "src/rewrite/rewrite_core.h", "src/rewrite/rewrite_core.c", "src/rewrite/rewrite_trap.h",
        "src/mm/vma.h", "src/mm/vma.c",
        "src/fs/path_norm.h", "src/fs/path_norm.c",
        "src/fs/lxfs/lxstore.h", "src/fs/lxfs/lxstore.c",
        "src/import/tar.h", "src/import/tar.c",
        "src/trace/format.h", "src/trace/format.c"]),
    ("host", "the only layer that calls Win32 and NT (later: the kernel helper, a fake for tests)", [
        "src/host/", "src/core/errors_win.c"]),
    ("services", "picolx's own messages, its per-user directory and the image cache's files in it, the "
                 "PICOLX_TIMING report and the utsname record (uname's and /proc's), built on the host", [
        "src/core/log.c", "src/core/home.h", "src/core/home.c", "src/core/image_store.h", "src/core/image_store.c",
        "src/core/timing.h", "src/core/timing.c",
        "src/core/utsname.h", "src/core/utsname.c"]),
    ("current", "the per-thread task struct that every layer above reaches as the caller's own "
                "(Linux's current): its objects are opaque here but for the credentials, which "
                "every layer above reads", [
        "src/core/thread.h", "src/core/thread.c", "src/core/cred.h"]),
    ("mm", "the guest address space, and the rewriter that makes its code safe", [
        "src/mm/", "src/rewrite/"]),
    ("vfs", "mounts, path resolution, open file descriptions and their backends", [
        "src/fs/"]),
    ("tasks", "tasks, their shared objects and signals; the program loader and the vDSO image", [
        "src/core/runtime.h", "src/kernel/*.h", "src/kernel/block.c", "src/task/", "loader/",
        "src/vdso/"]),
    ("handlers", "the syscall handlers, their dispatch, the fault path and the tracer", [
        "src/kernel/", "src/net/", "src/fs/*_syscalls.c", "src/mm/mmap.c", "src/mm/brk.c",
        "src/core/dispatch.c", "src/core/fault.c",
        "src/core/entry.S", "src/trace/"]),
    ("api", "the embedding API (libpicolx's exports) and its clients", [
        "include/", "src/core/runtime.c", "src/import/", "src/cli/"]),
]

# Where the build looks for quoted includes (meson.build's runtime_inc), after the
# including file's own directory.
INCLUDE_DIRS = ["include", "abi", "src", "loader"]
SCANNED = ["abi", "include", "loader", "src"]
SOURCE_SUFFIXES = (".c", ".h", ".S")

# Windows SDK headers: only the host layer includes these.
HOST_HEADERS = {"windows.h", "winternl.h", "ntstatus.h", "bcrypt.h", "psapi.h", "winioctl.h", "ntdef.h",
                "winbase.h", "winnt.h", "winerror.h", "winsock2.h", "ws2tcpip.h", "mswsock.h", "lmcons.h",
                "sddl.h", "aclapi.h", "shlobj.h", "userenv.h", "tlhelp32.h", "processthreadsapi.h",
                "synchapi.h", "memoryapi.h", "fileapi.h", "handleapi.h", "wincrypt.h", "ntsecapi.h",
                "securitybaseapi.h", "sysinfoapi.h", "consoleapi.h", "libloaderapi.h", "intrin.h"}

# Not yet moved to the host layer (issue 7): files outside src/host that still include a
# Windows header. Each move removes its line; the check fails on a line that is no
# longer true.
NOT_YET_MOVED = [
]

# Includes of a higher layer not yet fixed (issue 7): "file -> header". The same rule:
# each fix removes its line.
UPWARD_INCLUDES = [
]


def layer_index(name):
    return [l[0] for l in LAYERS].index(name)


def classify(path, layers=None):
    """The layer index of path (relative, '/'-separated), or None when no pattern matches."""
    best = None  # (specificity, index)
    for index, (_, _, patterns) in enumerate(layers or LAYERS):
        for p in patterns:
            if p.endswith("/"):
                hit, score = path.startswith(p), (1, len(p))
            elif any(c in p for c in "*?["):
                hit, score = fnmatch.fnmatchcase(path, p) and "/" not in path[len(p.split("*")[0]):], (2, len(p))
            else:
                hit, score = path == p, (3, len(p))
            if hit and (best is None or score > best[0]):
                best = (score, index)
    return best[1] if best else None


INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def includes(text):
    """(kind, name) of each #include outside comments: kind '<' or '"'."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    for line in text.splitlines():
        m = INCLUDE_RE.match(line)
        if m:
            yield m.group(1), m.group(2)


def resolve(root, including, name):
    for d in [os.path.dirname(including)] + INCLUDE_DIRS:
        candidate = os.path.normpath(os.path.join(d, name)).replace(os.sep, "/")
        if os.path.isfile(os.path.join(root, candidate)):
            return candidate
    return None  # a system or dependency header (uthash.h, Zydis, mimalloc.h)


def source_files(root):
    for top in SCANNED:
        for d, dirs, files in os.walk(os.path.join(root, top)):
            dirs.sort()
            for f in sorted(files):
                if f.endswith(SOURCE_SUFFIXES):
                    yield os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/")


def check(root, layers=None, not_yet_moved=(), upward_includes=()):
    """Returns (problems, windows_files_left, upward_left): problems is a list of lines."""
    layers = layers or LAYERS
    names = [l[0] for l in layers]
    host = names.index("host")
    problems, windows_left, upward_left = [], set(), set()
    for path in source_files(root):
        mine = classify(path, layers)
        if mine is None:
            problems.append(f"{path}: in no layer: add its folder (or the file) to LAYERS in {__file__}")
            continue
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            text = f.read()
        for kind, name in includes(text):
            if kind == "<" and name.lower() in HOST_HEADERS and mine != host:
                if path in not_yet_moved:
                    windows_left.add(path)
                else:
                    problems.append(f"{path}: includes <{name}>, which only the host layer (src/host) may")
                continue
            target = resolve(root, path, name)
            if target is None:
                continue
            theirs = classify(target, layers)
            if theirs is not None and theirs > mine:
                edge = f"{path} -> {target}"
                if edge in upward_includes:
                    upward_left.add(edge)
                else:
                    problems.append(f"{path} ({names[mine]}) includes {target} of a higher layer ({names[theirs]})")
    for path in not_yet_moved:
        if path not in windows_left:
            problems.append(f"{path}: listed in NOT_YET_MOVED but includes no Windows header (or is gone): "
                            "remove its line")
    for edge in upward_includes:
        if edge not in upward_left:
            problems.append(f"{edge}: listed in UPWARD_INCLUDES but no longer there: remove its line")
    return problems, windows_left, upward_left


def self_test():
    """A tiny fake tree: clean, then with each violation; the check must tell them apart."""
    layers = [("abi", "", ["abi/"]), ("base", "", ["src/core/"]), ("host", "", ["src/host/"]),
              ("mm", "", ["src/mm/"]), ("vfs", "", ["src/fs/"]), ("handlers", "", ["src/fs/*_syscalls.*"])]
    failures = []

    clean = {
        "abi/linux.h": "",
        "src/core/px.h": '#include "linux.h"\n',
        "src/host/host_mem.h": '#include "core/px.h"\n',
        "src/host/mem.c": '#include <windows.h>\n#include "host/host_mem.h"\n',
        "src/mm/vm.h": "",
        "src/mm/vm.c": '#include "host/host_mem.h"\n#include "mm/vm.h"\n/* #include "fs/vfs.h" in a comment */\n',
        "src/fs/vfs.h": '#include "mm/vm.h"\n',
        "src/fs/open_syscalls.c": '#include "fs/vfs.h"\n',
    }

    def expect(what, files, want_problems, **lists):
        with fake_tree(files) as d:
            problems, _, _ = check(d, layers, **lists)
        if bool(problems) != want_problems:
            failures.append(f"{what}: expected {'a failure' if want_problems else 'a pass'}, got {problems}")

    expect("clean tree", clean, False)
    expect("upward include", {**clean, "src/mm/vm.c": '#include "fs/vfs.h"\n'}, True)
    expect("a backend including a handler file's header",
           {**clean, "src/fs/open_syscalls.h": "", "src/fs/vfs.c": '#include "fs/open_syscalls.h"\n'}, True)
    expect("windows.h outside the host", {**clean, "src/mm/vm.c": "#include <windows.h>\n"}, True)
    expect("winternl.h outside the host", {**clean, "src/fs/vfs.c": "#include  <winternl.h>\n"}, True)
    expect("listed as not yet moved", {**clean, "src/mm/vm.c": "#include <windows.h>\n"}, False,
           not_yet_moved=["src/mm/vm.c"])
    expect("stale not-yet-moved entry", clean, True, not_yet_moved=["src/mm/vm.c"])
    expect("listed upward include", {**clean, "src/mm/vm.c": '#include "fs/vfs.h"\n'}, False,
           upward_includes=["src/mm/vm.c -> src/fs/vfs.h"])
    expect("stale upward entry", clean, True, upward_includes=["src/mm/vm.c -> src/fs/vfs.h"])
    expect("a file in no layer", {**clean, "src/net/sock.c": ""}, True)
    return self_test_verdict(failures)


def check_tree(root):
    problems, windows_left, upward_left = check(root, LAYERS, NOT_YET_MOVED, UPWARD_INCLUDES)
    for p in problems:
        print(p)
    print(f"{len(windows_left)} files outside src/host still include a Windows header (NOT_YET_MOVED); "
          f"{len(upward_left)} includes of a higher layer left (UPWARD_INCLUDES)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(__doc__, __file__, self_test, check_tree))
