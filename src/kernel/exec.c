/* execve and execveat in the running Windows process, for a single-threaded guest (there
   are no others until clone lands): the new program is read and validated while the old
   one can still get the error; only then the old image goes (close-on-exec fds, signal
   handlers, every guest mapping) and the syscall "returns" into the new program's entry.
   The handler runs on the runtime stack, so tearing down guest memory under it is safe. */
#include "core/px.h"
#include "core/runtime.h"
#include "core/thread.h"
#include "fs/fs.h"
#include "kernel/kernel.h"
#include "kernel/signal.h"
#include "mm/vm.h"
#include "loader.h"

#define MAX_ARG_STRINGS 0x7fffffff
#define RFLAGS_START 0x202 /* IF and the always-one bit, as a new Linux process starts */

static bool bad_guest(uint64_t p)
{
    return px_kernel_bad_ptr(p) || !px_vm_contains(p);
}

/* A runtime copy of a guest string, or NULL when it is not readable guest memory. */
static char *copy_string(uint64_t p)
{
    return bad_guest(p) ? NULL : px_strdup((const char *)(uintptr_t)p);
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
            uint64_t slot = array + n * sizeof(uint64_t);
            if (bad_guest(slot)) return -LINUX_EFAULT;
            if (!*(const uint64_t *)(uintptr_t)slot) break;
            if (n >= MAX_ARG_STRINGS) return -LINUX_E2BIG;
        }
    }
    char **v = px_calloc(n + 1, sizeof *v);
    if (!v) return -LINUX_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        v[i] = copy_string(((const uint64_t *)(uintptr_t)array)[i]);
        if (!v[i]) {
            free_strings(v);
            return -LINUX_EFAULT;
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

static int64_t do_exec(px_regs *regs, int dirfd, uint64_t path_ptr, uint64_t argv_ptr, uint64_t envp_ptr, int flags)
{
    if (flags & ~(LINUX_AT_EMPTY_PATH | LINUX_AT_SYMLINK_NOFOLLOW)) return -LINUX_EINVAL;
    char *guest_path = copy_string(path_ptr);
    if (!guest_path) return -LINUX_EFAULT;
    char **argv = NULL, **envp = NULL;
    int64_t r = copy_strings(argv_ptr, &argv);
    if (r == 0) r = copy_strings(envp_ptr, &envp);
    char *path = r == 0 ? exec_path(dirfd, guest_path, flags, &r) : NULL;
    px_free(guest_path);
    px_exec_program *program = NULL;
    if (path) r = px_loader_exec_prepare(path, (const char *const *)argv, (const char *const *)envp, &program);
    px_free(path);
    if (r < 0) {
        free_strings(argv);
        free_strings(envp);
        return r;
    }

    /* The point of no return: from here a failure kills the process, as on Linux. */
    px_fd_close_on_exec();
    px_signal_exec_reset();
    px_thread *t = px_kernel_self();
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
