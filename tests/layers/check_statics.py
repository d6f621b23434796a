#!/usr/bin/env python3
"""The process-state check (issue 7): the Linux layers keep no process state in file-scope
   variables.

   A Linux process's, thread's or file's state lives in its object (px_task, px_process,
   px_mm, the fd table, the fs context, px_sighand, px_cred, px_file), which clone shares
   or copies and execve and fork hand over. What may still sit at file scope in the Linux
   layers (mm, vfs, tasks, handlers, and the per-thread "current" layer) is listed below,
   each variable with its kind:
     cache      derived from state kept elsewhere; losing it costs time, not meaning
     host       this Windows process's handle, mapping or identity on the host (a Windows
                process runs one Linux thread group: the host's per-process facts are its)
     index      a lookup of objects that keep their own state (which file a watch is on)
     counter    a source of unique numbers (inode numbers of pipes, names)
     namespace  the one mount namespace (CLONE_NEWNS is refused), as Linux's init_mnt_ns
     guard      a lock or a once-flag of the variables above
     config     the runtime's settings, set once at start-up (tracing, the rewriter's)
     stats      the runtime's own measurements (the trace summary, rewrite counts)
   A file-scope variable that is not listed fails the check, and so does a listed one that
   is gone: a new piece of state goes into its object, or into this list with a reason.
   Thread-local variables (__thread) fail unless listed too: per-thread state is the task's.

   Usage: check_statics.py [--root DIR]      (DIR: the source tree; default: this checkout)
          check_statics.py --self-test        (a fake tree with each kind of violation)"""
import os, re, sys
from tree_check import fake_tree, main, self_test_verdict

# The Linux layers, as check_layers.py draws them (its mm, vfs, current, tasks and
# handlers layers): the folders and files scanned here.
SCANNED = ["src/mm/", "src/fs/", "src/kernel/", "src/task/", "src/net/", "src/core/thread.c",
           "src/core/dispatch.c", "src/core/fault.c", "src/trace/trace.c", "src/rewrite/rewrite.c",
           "src/rewrite/image_cache.c"]

KINDS = {"cache", "host", "index", "counter", "namespace", "guard", "config", "stats"}

# "file: variable" -> (kind, why)
ALLOWED = {
    # mm
    "src/mm/vm.c: vm_lock": ("guard", "px_mm_host's lock: one host address space per Windows process"),
    "src/mm/vm.c: vm_lock_holder": ("guard", "the recursive lock's holder"),
    "src/mm/vm.c: vm_lock_depth": ("guard", "the recursive lock's depth, the holder's"),
    "src/mm/vm.c: interned_paths": ("cache", "the file names mappings share, interned once"),
    "src/mm/shared.c: exit_hook": ("host", "the atexit hook of this Windows process, registered once"),
    "src/mm/vm.c: px_mm_host": ("host", "the address space of this Windows process (a px_mm: tasks point at it)"),
    "src/mm/mm_lazy.c: lazy": ("host", "the memory a vfork child of this Windows process borrows"),
    "src/rewrite/rewrite.c: px_rewrite_stats": ("stats", "what the rewriter did"),
    "src/rewrite/rewrite.c: pools": ("host", "the trampoline pools of this process's code"),
    "src/rewrite/rewrite.c: rewrite_lock": ("guard", "one region rewritten at a time"),
    "src/rewrite/rewrite.c: traps": ("index", "the trap sites of rewritten code, by address"),
    "src/rewrite/rewrite.c: traps_lock": ("guard", "their lock"),
    "src/rewrite/rewrite.c: verify_tramps": ("config", "PICOLX_REWRITE_VERIFY"),
    "src/rewrite/rewrite.c: config": ("config", "where trampolines reach the thread pointer and the entry"),
    # vfs
    "src/fs/vfs.c: mounts": ("namespace", "the mount table"),
    "src/fs/vfs.c: mount_count": ("namespace", "its length"),
    "src/fs/vfs.c: any_symlinks": ("cache", "some mounted type has symlinks"),
    "src/fs/vfs.c: mount_lock": ("guard", "the mount table's lock"),
    "src/fs/dnotify_syscalls.c: lock": ("guard", "the watches' lock"),
    "src/fs/dnotify_syscalls.c: watches": ("index", "the F_NOTIFY watch of each watched open file"),
    "src/fs/drvfs_meta.c: owner_known": ("cache", "whether the volume owner was read"),
    "src/fs/drvfs_meta.c: owner_uid": ("cache", "the drvfs volume's owner, read once"),
    "src/fs/drvfs_meta.c: owner_gid": ("cache", "the drvfs volume's group, read once"),
    "src/fs/fifo.c: open_lock": ("guard", "open_fifos' lock"),
    "src/fs/fifo.c: open_fifos": ("index", "the FIFOs open in this Windows process, by inode"),
    "src/fs/fpos.c: table": ("host", "the session's shared file-position table, mapped"),
    "src/fs/fpos.c: table_lock": ("guard", "its mapping's lock"),
    "src/fs/lock.c: table_once": ("guard", "the lock table's mapping, made once"),
    "src/fs/lock.c: table": ("host", "the session's shared lock table, mapped"),
    "src/fs/lock.c: table_mutex": ("host", "its named mutex"),
    "src/fs/lock.c: self_pid": ("host", "this Windows process's id, a lock owner's key"),
    "src/fs/lock.c: self_time": ("host", "its start time (a reused id is another owner)"),
    "src/fs/lock.c: serial": ("counter", "OFD lock owners' numbers"),
    "src/fs/lock.c: posix_keys": ("cache", "the files whose POSIX locks the table holds for this process"),
    "src/fs/lock.c: posix_key_count": ("cache", "their count"),
    "src/fs/lock.c: posix_keys_overflow": ("cache", "too many to list: close visits the table"),
    "src/fs/lock.c: linux_pid": ("host", "the Linux pid this Windows process runs (l_pid of its locks)"),
    "src/fs/memfd.c: ops_lock": ("guard", "the ops table's set-up"),
    "src/fs/memfd.c: ops_ready": ("guard", "the ops table is set up"),
    "src/fs/memfd.c: memfd_ops": ("cache", "memfd files' ops: tmpfs's with memfd's own calls, built once"),
    "src/fs/pipe.c: next_pipe_ino": ("counter", "host pipes' inode numbers"),
    "src/fs/pipe_ring.c: ends_lock": ("guard", "ends' lock"),
    "src/fs/pty.c: jobs": ("config", "the task layer's job control, set once at start"),
    "src/fs/pty.c: ends_lock": ("guard", "ends' lock"),
    "src/fs/pty.c: ends": ("index", "the pty ends open in this Windows process (opening /dev/pts/N)"),
    "src/fs/pipe_ring.c: ends": ("index", "the pipe ends open in this Windows process"),
    "src/fs/pipe_ring.c: parked": ("cache", "spare host events, reused"),
    "src/fs/pipe_ring.c: parked_next": ("cache", "their count"),
    "src/fs/pipe_ring.c: parked_lock": ("guard", "their lock"),
    "src/fs/pipe_ring.c: next_ino": ("counter", "pipes' inode numbers"),
    "src/net/inet.c: next_ino": ("counter", "the inode numbers of sockets (st_ino, /proc/self/fd's socket:[n])"),
    "src/net/unix_named.c: next_ino": ("counter", "the inode numbers of unconnected AF_UNIX sockets"),
    "src/fs/pipe_ring.c: next_name": ("counter", "pipe sections' names"),
    "src/fs/drvfs_names.c: mark_cache": ("cache", "directories lately seen marked or not (1 s)"),
    "src/fs/stat.c: dir_links": ("cache", "directories' link counts"),
    "src/fs/stat.c: dir_links_lock": ("guard", "their lock"),
    "src/fs/stat.c: stat_cache": ("cache", "recent stat results"),
    "src/fs/stat.c: stat_cache_generation": ("cache", "bumped by every name change: older results are stale"),
    "src/fs/stat.c: stat_cache_lock": ("guard", "the stat cache's lock"),
    "src/fs/stat.c: last_query": ("cache", "a thread's last by-name query, for the one that follows (2 ms)"),
    "src/fs/stat_memo.c: memo_table": ("cache", "stat results memoized by path"),
    "src/fs/stat_prefetch.c: workers": ("host", "the prefetch worker threads"),
    "src/fs/stat_prefetch.c: listing": ("cache", "the regular files of the directory listed last"),
    "src/fs/pseudo/proc.c: signal_source": ("config", "the signal layer's callback for status's signal lines"),
    "src/fs/pseudo/proc.c: thread_source": ("config", "the tasks layer's callbacks that list a process's threads"),
    "src/fs/pseudo/proc_pids.c: source": ("config", "the tasks layer's callbacks that list the session's pids"),
    "src/fs/pseudo/tmpfs.c: px_tmpfs_type": ("cache", "lxfs's operations under tmpfs's name, filled once"),
    "src/fs/stat_memo.c: memo_once": ("guard", "the memo's set-up"),
    "src/fs/stat_prefetch.c: lock": ("guard", "the prefetch queue's lock"),
    "src/fs/stat_prefetch.c: work_ready": ("guard", "its workers' wake-up"),
    "src/fs/stat_prefetch.c: workers_started": ("guard", "its workers started"),
    "src/fs/stat_prefetch.c: stopping": ("guard", "its workers stop"),
    "src/fs/stat_prefetch.c: is_worker": ("host", "a prefetch worker's own thread (not a guest task's)"),
    # tasks and handlers
    "src/kernel/futex.c: buckets": ("index", "the waiters of private futexes, hashed by address (Linux's futex_queues)"),
    "src/kernel/futex_shared.c: table_once": ("guard", "the shared futex table's mapping, made once"),
    "src/kernel/futex_shared.c: table": ("host", "the session's shared futex table, mapped"),
    "src/kernel/futex_shared.c: table_mutex": ("host", "its named mutex"),
    "src/kernel/identity.c: identity_ready": ("guard", "the host identity below is read"),
    "src/kernel/identity.c: host_pid": ("host", "this Windows process's id"),
    "src/kernel/identity.c: host_ppid": ("host", "its parent's"),
    "src/kernel/identity.c: host_uid_value": ("host", "the Windows user, as a uid"),
    "src/kernel/identity.c: host_gid_value": ("host", "its group, as a gid"),
    "src/kernel/identity.c: identity_user_name": ("host", "the Windows user's name"),
    "src/kernel/identity.c: identity_home_dir": ("host", "its home"),
    "src/kernel/sigframe.c: px_xstate": ("host", "the CPU's xsave layout and features"),
    "src/kernel/time.c: qpc_frequency": ("host", "the performance counter's frequency"),
    "src/kernel/wait.c: child_event": ("host", "the event SIGCHLD sets: a child of this process changed"),
    "src/kernel/sigbell.c: bell": ("host", "the event other processes ring for a signal to this one"),
    "src/kernel/sigbell.c: receiving": ("guard", "the bell's receiver"),
    "src/task/ptable.c: table_once": ("guard", "the process table's mapping, made once"),
    "src/task/ptable.c: table": ("host", "the session's process table, mapped"),
    "src/task/ptable.c: table_mutex": ("host", "its named mutex"),
    "src/task/ptable.c: host_self_pid": ("host", "this Windows process's id"),
    "src/task/ptable.c: host_self_time": ("host", "its start time"),
    "src/task/ptable.c: self_pid": ("host", "the Linux pid this Windows process runs"),
    "src/task/ptable.c: self_index": ("host", "its slot in the table"),
    "src/task/ptable.c: rows": ("host", "the table's rows as the rules (ptable_rules.c) see them"),
    "src/task/ptable.c: bell_ring": ("config", "how to ring another process's doorbell (sigbell.c's), set once"),
    # the per-thread layer, dispatch, the tracer
    "src/core/thread.c: px_teb_thread_slot": ("host", "the TEB offset of the task pointer (entry.S reads it)"),
    "src/core/thread.c: px_teb_fs_slot": ("host", "the TEB offset of the guest's FS base"),
    "src/core/thread.c: px_teb_scratch_slot": ("host", "the TEB offset of the entry's scratch word"),
    "src/core/thread.c: thread_index": ("host", "the TLS slot of the task pointer"),
    "src/core/thread.c: fs_index": ("host", "the TLS slot of the FS base"),
    "src/core/thread.c: scratch_index": ("host", "the TLS slot of the scratch word"),
    "src/core/thread.c: initial_task": ("host", "the first task: the object graph's root for host threads"),
    "src/core/dispatch.c: px_syscall_wrapper": ("config", "the tracer's wrapper of the dispatch, or NULL"),
    "src/trace/trace.c: trace_handle": ("config", "the --trace file"),
    "src/trace/trace.c: stats": ("stats", "calls and time per syscall, for the summary"),
    "src/trace/trace.c: qpc_frequency": ("host", "the performance counter's frequency"),
    "src/trace/trace.c: stats_lock": ("guard", "the stats' lock"),
}

CONST_OBJECT = re.compile(r"^\s*(static\s+)?(const\b|static\s+const\b)")


def strip(text):
    """Comments, strings and preprocessor lines blanked, line count kept."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r'"(\\.|[^"\\\n])*"', '""', text)
    text = re.sub(r"'(\\.|[^'\\\n])*'", "''", text)
    out = []
    continued = False
    for line in text.split("\n"):
        is_pp = continued or line.lstrip().startswith("#")
        continued = is_pp and line.rstrip().endswith("\\")
        out.append("" if is_pp else line)
    return "\n".join(out)


def declared_name(decl):
    """The variable a file-scope declaration makes, or None when it makes none (a function,
       a type, an extern, a const object)."""
    d = " ".join(decl.split())
    if re.match(r"^(typedef|extern)\b", d) or not d:
        return None
    if re.match(r"^(static\s+)?(inline\s+)?(struct|union|enum)\s+\w*\s*\{.*\}\s*;?$", d):
        return None  # a type's definition only
    head = d.split("=", 1)[0].rstrip().rstrip(";").rstrip()
    head = re.sub(r"\{.*\}", "{}", head)  # struct x { ... } name: the body goes, the name stays
    if re.search(r"\(\s*\*\s*\w+\s*\)", head):  # a function pointer variable: (*name)
        m = re.search(r"\(\s*\*\s*(\w+)\s*\)", head)
        return None if CONST_OBJECT.match(d) and "* const" not in head else m.group(1)
    if "(" in head:
        return None  # a function's declaration
    if CONST_OBJECT.match(d) and not re.search(r"\*\s*(?!const)\w+\s*(\[|$)", head.replace("const *", "")):
        return None  # a const object (its pointers point at const too)
    m = re.search(r"(\w+)\s*(\[[^\]]*\]\s*)*;?\s*$", head.rstrip().rstrip(";"))
    return m.group(1) if m else None


def file_scope_variables(text):
    """(name, line) of each variable declared at file scope."""
    text = strip(text)
    found = []
    depth, start, i = 0, 0, 0
    stmt_line = 1
    line = 1
    in_function = False
    while i < len(text):
        c = text[i]
        if c == "\n":
            line += 1
        if depth == 0 and not text[start:i].strip():
            stmt_line = line
        if c == "{":
            if depth == 0:
                before = " ".join(text[start:i].split())
                in_function = before.endswith(")") or bool(re.search(r"\)\s*(__attribute__\s*\(\(.*\)\))?$", before))
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0 and in_function:
                start, in_function = i + 1, False
        elif c == ";" and depth == 0:
            decl = text[start:i + 1]
            for part in split_declarators(decl):
                name = declared_name(part)
                if name:
                    found.append((name, stmt_line))
            start = i + 1
        i += 1
    return found


def split_declarators(decl):
    """`static int a, b = 2;` as `static int a;` and `static int b = 2;` (commas inside
       braces or parentheses stay)."""
    parts, depth, cur = [], 0, ""
    for c in decl:
        if c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
        if c == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        cur += c
    parts.append(cur)
    if len(parts) == 1:
        return parts
    first = parts[0]
    m = re.match(r"^(.*?)(\**\s*\w+\s*(\[[^\]]*\])*\s*(=.*)?)$", first.strip(), flags=re.S)
    base = m.group(1) if m else ""
    return [first + ";"] + [base + " " + p.strip().rstrip(";") + ";" for p in parts[1:]]


def scanned_files(root):
    for entry in SCANNED:
        full = os.path.join(root, entry)
        if entry.endswith("/"):
            for d, dirs, files in os.walk(full):
                dirs.sort()
                for f in sorted(files):
                    if f.endswith(".c"):
                        yield os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/")
        elif os.path.isfile(full):
            yield entry


def check(root, allowed):
    problems, seen = [], set()
    for path in scanned_files(root):
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            text = f.read()
        for name, line in file_scope_variables(text):
            key = f"{path}: {name}"
            if key in allowed:
                seen.add(key)
            else:
                problems.append(f"{path}:{line}: file-scope variable '{name}': process state goes into its "
                                f"object; a cache, host fact, index, counter or guard goes into ALLOWED in {__file__}")
    for key, (kind, why) in allowed.items():
        if kind not in KINDS or not why:
            problems.append(f"{key}: listed with kind '{kind}', which is none of {sorted(KINDS)}, or no reason")
        if key not in seen:
            problems.append(f"{key}: listed in ALLOWED but no longer there: remove its line")
    return problems, seen


def self_test():
    failures = []

    def run(files, allowed):
        with fake_tree(files) as d:
            return check(d, allowed)[0]

    clean = {"src/fs/a.c": (
        "#include <x.h>\n#define M(a, b) \\\n  static int hidden;\n"
        "typedef struct t { int x; } t;\nstruct s { int y; };\n"
        "static const int table[] = {1, 2};\nstatic const char *const names[] = {\"a;\", \"b\"};\n"
        "static const px_ops ops = {.f = g, .h = NULL};\nextern int outside;\n"
        "static int f(int a) { static int inside; return a; }\nint g(void);\n"
        "static void (*const hook)(void) = 0;\n/* static int commented; */\n")}
    expect = [
        ("clean tree", clean, {}, False),
        ("a mutable static", {**clean, "src/fs/b.c": "static int count;\n"}, {}, True),
        ("listed", {**clean, "src/fs/b.c": "static int count;\n"}, {"src/fs/b.c: count": ("counter", "ids")}, False),
        ("a listed one gone", clean, {"src/fs/b.c: count": ("counter", "ids")}, True),
        ("a bad kind", {**clean, "src/fs/b.c": "static int count;\n"}, {"src/fs/b.c: count": ("state", "x")}, True),
        ("a global", {**clean, "src/fs/b.c": "int shared_count = 3;\n"}, {}, True),
        ("a second declarator", {**clean, "src/fs/b.c": "static int a, b;\n"},
         {"src/fs/b.c: a": ("counter", "x")}, True),
        ("a thread-local", {**clean, "src/fs/b.c": "static __thread int mine;\n"}, {}, True),
        ("a struct variable", {**clean, "src/fs/b.c": "static struct { int x; } state;\n"}, {}, True),
        ("a pointer to const", {**clean, "src/fs/b.c": "static const char *last_name;\n"}, {}, True),
        ("a function pointer", {**clean, "src/fs/b.c": "static void (*hook)(void);\n"}, {}, True),
        ("an array of pointers", {**clean, "src/fs/b.c": "static px_file *open_files[8];\n"}, {}, True),
        ("after a function", {**clean, "src/fs/b.c": "static int f(void)\n{\n    return 1;\n}\nstatic int n = 1;\n"},
         {}, True),
    ]
    for what, files, allowed, want in expect:
        problems = run(files, allowed)
        if bool(problems) != want:
            failures.append(f"{what}: expected {'a failure' if want else 'a pass'}, got {problems}")
    return self_test_verdict(failures)


def check_tree(root):
    problems, seen = check(root, ALLOWED)
    for p in problems:
        print(p)
    kinds = {}
    for key in seen:
        kinds[ALLOWED[key][0]] = kinds.get(ALLOWED[key][0], 0) + 1
    print(f"{len(seen)} file-scope variables in the Linux layers, none of them process state: " +
          ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(__doc__, __file__, self_test, check_tree))
