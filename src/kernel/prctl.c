/* prctl(2): the options programs use at start-up. The thread name is the task's own
   (PR_SET_NAME / PR_GET_NAME, 16 bytes with the NUL); the other accepted options are
   ones whose effect cannot be seen here (no core dumps, no set-uid programs, no
   parent-death signal delivery yet) and are recorded in the process object so that
   their GET reads back and they survive execve. */
#include "core/px.h"
#include "fs/path_norm.h"
#include "mm/vm.h"
#include "core/uaccess.h"
#include "host/host_thread.h"
#include "kernel/kernel.h"
#include "task/process.h"
#include "task/ptable.h"

/* The task's name; a task that never set one has its program's file name, as Linux sets
   comm at exec. */
static void current_name(px_task *t, char out[PX_TASK_COMM_LEN])
{
    if (t->comm_set) {
        memcpy(out, t->comm, PX_TASK_COMM_LEN);
        return;
    }
    char exe[PX_PATH_MAX];
    px_vm_get_exe_path(exe, sizeof exe);
    const char *slash = strrchr(exe, '/');
    const char *base = slash ? slash + 1 : exe;
    size_t n = strlen(base);
    if (n > PX_TASK_COMM_LEN - 1) n = PX_TASK_COMM_LEN - 1;
    memset(out, 0, PX_TASK_COMM_LEN);
    memcpy(out, base, n);
}

void px_task_comm(char out[PX_TASK_COMM_LEN])
{
    px_task *t = px_current();
    if (t) current_name(t, out);
    else memset(out, 0, PX_TASK_COMM_LEN);
}

static int32_t get_atomic(int32_t *v) { return __atomic_load_n(v, __ATOMIC_RELAXED); }
static void set_atomic(int32_t *v, int32_t x) { __atomic_store_n(v, x, __ATOMIC_RELAXED); }

/* prctl(2) */
PX_SYSCALL(prctl)
{
    int32_t option = (int32_t)PX_ARG0;
    uint64_t arg2 = PX_ARG1;
    px_task *t = px_kernel_self();
    struct px_process *p = t->process;
    switch (option) {
    case LINUX_PR_SET_NAME: {
        char name[PX_TASK_COMM_LEN] = {0};
        /* "too long" comes back as 15: a longer name is cut to 15 bytes, as Linux does */
        int64_t n = px_string_in(name, arg2, sizeof name, PX_TASK_COMM_LEN - 1);
        if (n < 0) return n;
        name[PX_TASK_COMM_LEN - 1] = 0;
        memcpy(t->comm, name, sizeof name);
        t->comm_set = 1;
        if (t->tid == p->tgid) px_ptable_set_comm(p->tgid, name); /* the process's name, for ps */
        px_host_thread_set_name(name); /* Windows debuggers and profilers show it */
        return 0;
    }
    case LINUX_PR_GET_NAME: {
        char name[PX_TASK_COMM_LEN];
        current_name(t, name);
        return px_copy_out(arg2, name, sizeof name);
    }
    case LINUX_PR_GET_DUMPABLE:
        return get_atomic(&p->dumpable);
    case LINUX_PR_SET_DUMPABLE:
        if (arg2 > 1) return -LINUX_EINVAL;
        set_atomic(&p->dumpable, (int32_t)arg2);
        return 0;
    case LINUX_PR_SET_NO_NEW_PRIVS:
        if (arg2 != 1 || PX_ARG2 || PX_ARG3 || PX_ARG4) return -LINUX_EINVAL;
        set_atomic(&p->no_new_privs, 1); /* one-way, as on Linux */
        return 0;
    case LINUX_PR_GET_NO_NEW_PRIVS:
        if (arg2 || PX_ARG2 || PX_ARG3 || PX_ARG4) return -LINUX_EINVAL;
        return get_atomic(&p->no_new_privs);
    case LINUX_PR_SET_PDEATHSIG:
        if (arg2 > LINUX_NSIG) return -LINUX_EINVAL;
        set_atomic(&p->pdeathsig, (int32_t)arg2);
        return 0;
    case LINUX_PR_GET_PDEATHSIG: {
        int32_t sig = get_atomic(&p->pdeathsig);
        return px_copy_out(arg2, &sig, sizeof sig);
    }
    case LINUX_PR_SET_CHILD_SUBREAPER:
        set_atomic(&p->child_subreaper, arg2 != 0);
        px_ptable_set_subreaper(p->tgid, arg2 != 0); /* orphans are handed to it (ptable.c) */
        return 0;
    case LINUX_PR_GET_CHILD_SUBREAPER: {
        int32_t v = get_atomic(&p->child_subreaper);
        return px_copy_out(arg2, &v, sizeof v);
    }
    default:
        /* PR_SET_VMA (naming anonymous memory) and the rest: as a kernel built without them */
        return -LINUX_EINVAL;
    }
}
