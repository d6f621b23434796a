/* execve and execveat, for a single-threaded guest (there are no others until clone
   lands): the new program is read and validated while the old one can still get the
   error; only then the old image goes (close-on-exec fds, signal handlers, every guest
   mapping) and the syscall "returns" into the new program's entry. The handler runs on
   the runtime stack, so tearing down guest memory under it is safe.

   A program linked at a fixed range that Windows holds in this process (python3 at
   0x400000) continues in a new picolx process instead: started suspended with the range
   reserved (loader/spawn.c), it gets the task and every object it points at, each saved
   as its own record (px_task_save: tid, mask and pending signals with their infos; the
   process object's ids, rlimits, prctl state and ITIMER_REAL; the credentials; the signal actions; the fd table; the
   fs context's cwd, root and umask; src/fs/fd_handoff.c carries them), and this process
   waits for it and exits with its status. */
#include "core/errors.h"
#include "core/px.h"
#include "core/runtime.h"
#include "core/thread.h"
#include "kernel/thread_clone.h"
#include "fs/fd_handoff.h"
#include "fs/fs.h"
#include "kernel/identity.h"
#include "kernel/kernel.h"
#include "kernel/signal.h"
#include "core/uaccess.h"
#include "mm/vm.h"
#include "task/process.h"
#include "task/task.h"
#include "loader.h"

#define MAX_ARG_STRINGS 0x7fffffff
#define RFLAGS_START 0x202 /* IF and the always-one bit, as a new Linux process starts */

/* Linux's MAX_ARG_STRLEN: one argument or environment string, its NUL included. */
#define MAX_ARG_STRLEN (32 * 4096)

/* A runtime copy of a guest string: 0 and *out, or -LINUX_EFAULT, -LINUX_E2BIG (longer
   than too_long_at, with too_long), -LINUX_ENOMEM. */
static int64_t copy_string(uint64_t p, size_t cap, int64_t too_long, char **out)
{
    char *buf = px_alloc(cap);
    if (!buf) return -LINUX_ENOMEM;
    int64_t n = px_string_in(buf, p, cap, too_long);
    if (n < 0) {
        px_free(buf);
        return n;
    }
    *out = px_realloc(buf, (size_t)n + 1);
    if (!*out) *out = buf;
    return 0;
}

static void free_strings(char **v)
{
    for (size_t i = 0; v && v[i]; i++) px_free(v[i]);
    px_free(v);
}

/* A runtime copy of a guest NULL-terminated string array (NULL: an empty one).
   0 and *out, or -LINUX_EFAULT / -LINUX_E2BIG / -LINUX_ENOMEM. */
static int64_t copy_strings(uint64_t array, char ***out)
{
    size_t n = 0;
    if (array) {
        for (;; n++) {
            uint64_t slot;
            if (PX_GET(&slot, array + n * sizeof(uint64_t)) < 0) return -LINUX_EFAULT;
            if (!slot) break;
            if (n >= MAX_ARG_STRINGS) return -LINUX_E2BIG;
        }
    }
    char **v = px_calloc(n + 1, sizeof *v);
    if (!v) return -LINUX_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        uint64_t slot;
        int64_t r = PX_GET(&slot, array + i * sizeof(uint64_t));
        if (r == 0) r = copy_string(slot, MAX_ARG_STRLEN, -LINUX_E2BIG, &v[i]);
        if (r < 0) {
            free_strings(v);
            return r;
        }
    }
    *out = v;
    return 0;
}

/* The path execveat means: relative paths against dirfd, "" with AT_EMPTY_PATH is dirfd
   itself. A runtime string, or NULL with *err set. */
static char *exec_path(int dirfd, const char *path, int flags, int64_t *err)
{
    if (path[0] == '/' || (dirfd == LINUX_AT_FDCWD && path[0])) return px_strdup(path);
    if (!path[0] && !(flags & LINUX_AT_EMPTY_PATH)) {
        *err = -LINUX_ENOENT;
        return NULL;
    }
    char dir[4096];
    int64_t r = px_fs_fd_path(dirfd, dir, sizeof dir);
    if (r < 0) {
        *err = r == -LINUX_ENOENT ? -LINUX_EACCES : r;
        return NULL;
    }
    if (!path[0]) return px_strdup(dir);
    size_t nd = strlen(dir), np = strlen(path);
    char *s = px_alloc(nd + np + 2);
    if (!s) {
        *err = -LINUX_ENOMEM;
        return NULL;
    }
    memcpy(s, dir, nd);
    s[nd] = '/';
    memcpy(s + nd + 1, path, np + 1);
    return s;
}

/* What execve changes in the task and its objects, wherever the new program runs (the
   fds closed on exec are dropped before the hand-over or by the same-process path). */
static void exec_reset(px_task *t)
{
    px_signal_exec_reset();                /* handlers go back to SIG_DFL, ignored signals stay */
    px_posix_timers_exec();                /* timer_create's timers go */
    t->altstack_sp = t->altstack_size = 0; /* the old stack is gone */
    t->altstack_flags = LINUX_SS_DISABLE;
    t->comm_set = 0;                       /* the name is the new program's */
    /* begin_new_exec: dumpable again (no set-uid programs here); no_new_privs, pdeathsig,
       child_subreaper and the rlimits are kept */
    __atomic_store_n(&t->process->dumpable, 1, __ATOMIC_RELAXED);
}

/* ---- execve in a new process ---- */

/* Copies s with its NUL to at; returns the byte after it. */
static char *put_string(char *at, const char *s)
{
    size_t n = strlen(s) + 1;
    memcpy(at, s, n);
    return at + n;
}

/* The exec record: argc, envc, then the path, argv and envp as NUL-terminated strings. */
static bool put_exec_record(px_handoff *h, const char *path, char **argv, char **envp)
{
    uint32_t counts[2] = {0, 0};
    size_t size = sizeof counts + strlen(path) + 1;
    for (; argv[counts[0]]; counts[0]++) size += strlen(argv[counts[0]]) + 1;
    for (; envp[counts[1]]; counts[1]++) size += strlen(envp[counts[1]]) + 1;
    char *rec = px_alloc(size), *at = rec;
    if (!rec) return false;
    memcpy(at, counts, sizeof counts);
    at += sizeof counts;
    at = put_string(at, path);
    for (uint32_t i = 0; i < counts[0]; i++) at = put_string(at, argv[i]);
    for (uint32_t i = 0; i < counts[1]; i++) at = put_string(at, envp[i]);
    bool ok = px_handoff_put(h, PX_HANDOFF_TAG_EXEC, rec, size);
    px_free(rec);
    return ok;
}

/* n strings from *at (inside end) as a runtime array, NULL-terminated; NULL if malformed. */
static char **take_strings(const char **at, const char *end, uint32_t n)
{
    char **v = px_calloc((size_t)n + 1, sizeof *v);
    for (uint32_t i = 0; v && i < n; i++) {
        const char *nul = *at < end ? memchr(*at, 0, (size_t)(end - *at)) : NULL;
        if (!nul || !(v[i] = px_strdup(*at))) {
            free_strings(v);
            return NULL;
        }
        *at = nul + 1;
    }
    return v;
}

static bool send_state(void *process, void *ctx)
{
    return px_handoff_send_end(ctx, process) == 0;
}

/* Runs program in a new process with this one's state and exits with its status; or
   returns -LINUX_ENOMEM (nothing changed) when that process cannot be made. */
static int64_t exec_in_new_process(px_exec_program *program, const char *path, char **argv, char **envp)
{
    px_handoff *h = px_handoff_new();
    if (!h) return -LINUX_ENOMEM;
    int64_t r = put_exec_record(h, path, argv, envp) && px_task_save(px_kernel_self(), h) ? 0 : -LINUX_ENOMEM;
    px_spawn_spare_discard(); /* this runtime forks no more: the new process has its own */
    px_spawn_set_program(path, (const char *const *)argv); /* its Windows command line, and ours */
    px_spawn_env_lock();
    if (r == 0) r = px_handoff_send_begin(h);
    void *process = NULL;
    if (r == 0 && px_loader_exec_spawn(program, send_state, h, &process) != 0) {
        px_handoff_send_end(h, NULL); /* if the child was never made: the section and the variable */
        r = -LINUX_ENOMEM;
    }
    px_spawn_env_unlock();
    px_handoff_free(h);
    if (r < 0) return r;

    /* The point of no return: the new program runs. This process only waits for it, its
       files closed (a pipe's reader must see the end when the new program closes it). */
    px_process_vfork_release(); /* a vfork parent goes on at our execve */
    px_fd_handoff_close_all();
    /* a forked process passes the code on whole: its parent reads a wait status in it */
    if (px_kernel_self()->process->forked) px_process_exit_code(px_loader_exec_wait_code(process));
    int status = px_loader_exec_wait(program, process);
    px_process_exit(status);
}

int px_exec_continue(px_handoff *h)
{
    size_t len = 0;
    px_task *t = px_self(); /* the first task of this process (px_task_boot) */
    px_task_restore(t, h);
    exec_reset(t); /* what the execve itself changes, as in the same process */
    px_itimer_resume(); /* an ITIMER_REAL the old program armed runs on here */
    const char *rec = px_handoff_get(h, PX_HANDOFF_TAG_EXEC, 0, &len);
    uint32_t counts[2];
    char *path = NULL, **argv = NULL, **envp = NULL;
    if (rec && len > sizeof counts) {
        const char *at = rec + sizeof counts, *end = rec + len;
        memcpy(counts, rec, sizeof counts);
        const char *nul = memchr(at, 0, (size_t)(end - at));
        path = nul ? px_strdup(at) : NULL;
        at = nul ? nul + 1 : end;
        argv = take_strings(&at, end, counts[0]);
        envp = argv ? take_strings(&at, end, counts[1]) : NULL;
    }
    px_handoff_free(h);
    if (!path || !argv || !envp) {
        px_log("picolx: the program handed over by the parent process is unreadable");
        return 126;
    }
    px_exec_program *program = NULL;
    int64_t r = px_loader_exec_prepare(path, (const char *const *)argv, (const char *const *)envp, &program);
    if (r == 0 && px_loader_exec_needs_process(program)) r = -LINUX_ENOMEM; /* the reservations did not hold */
    if (r < 0) {
        const char *name = px_errno_name(-r);
        px_log("picolx: %s: cannot run it in the new process: %s", path, name ? name : "error");
        return r == -LINUX_ENOENT ? 127 : 126;
    }
    uint64_t entry, rsp;
    int status = px_loader_exec_start(program, &entry, &rsp);
    if (status) return status;
    px_loader_exec_free(program);
    free_strings(argv);
    free_strings(envp);
    px_free(path);

    return (int)px_enter_guest(t, entry, rsp);
}

/* ---- execve ---- */

static int64_t do_exec(px_regs *regs, int dirfd, uint64_t path_ptr, uint64_t argv_ptr, uint64_t envp_ptr, int flags)
{
    if (flags & ~(LINUX_AT_EMPTY_PATH | LINUX_AT_SYMLINK_NOFOLLOW)) return -LINUX_EINVAL;
    char *guest_path = NULL;
    int64_t r = copy_string(path_ptr, PX_PATH_MAX, -LINUX_ENAMETOOLONG, &guest_path);
    if (r < 0) return r;
    char **argv = NULL, **envp = NULL;
    r = copy_strings(argv_ptr, &argv);
    if (r == 0) r = copy_strings(envp_ptr, &envp);
    char *path = r == 0 ? exec_path(dirfd, guest_path, flags, &r) : NULL;
    px_free(guest_path);
    px_exec_program *program = NULL;
    if (path) r = px_loader_exec_prepare(path, (const char *const *)argv, (const char *const *)envp, &program);
    /* the program is good: the other threads go first, as Linux's de_thread */
    if (r == 0 && (r = px_thread_end_others()) < 0) {
        px_loader_exec_free(program);
        program = NULL;
    }
    if (r == 0 && px_loader_exec_needs_process(program)) {
        r = exec_in_new_process(program, path, argv, envp); /* returns only when it cannot */
        px_loader_exec_free(program);
    }
    if (r == 0) px_spawn_set_program(path, (const char *const *)argv); /* the Windows command line */
    px_free(path);
    if (r < 0) {
        free_strings(argv);
        free_strings(envp);
        return r;
    }

    /* The point of no return: from here a failure kills the process, as on Linux. */
    px_process_vfork_release(); /* the memory a vfork parent lent us goes back to it */
    px_fd_close_on_exec();
    px_task *t = px_kernel_self();
    exec_reset(t);
    px_thread_set_fs(t, 0);
    t->clear_child_tid = 0;
    t->robust_list = t->robust_list_len = 0;
    px_vm_reset();
    uint64_t entry, rsp;
    if (px_loader_exec_start(program, &entry, &rsp)) px_process_killed(LINUX_SIGSEGV);
    px_loader_exec_free(program); /* the new stack holds copies of the strings */
    free_strings(argv);
    free_strings(envp);

    memset(regs, 0, sizeof *regs);
    regs->rip = entry;
    regs->rsp = rsp;
    regs->rflags = RFLAGS_START;
    return 0;
}

/* execve(2) */
PX_SYSCALL(execve)
{
    uint64_t path = PX_ARG0, argv = PX_ARG1, envp = PX_ARG2;
    return do_exec(regs, LINUX_AT_FDCWD, path, argv, envp, 0);
}

/* execveat(2): AT_SYMLINK_NOFOLLOW is accepted but not enforced */
PX_SYSCALL(execveat)
{
    int dirfd = (int)PX_ARG0;
    uint64_t path = PX_ARG1, argv = PX_ARG2, envp = PX_ARG3;
    int flags = (int)PX_ARG4;
    return do_exec(regs, dirfd, path, argv, envp, flags);
}
