/* pidfds: a file that stands for a process (pidfd_open, clone's CLONE_PIDFD). It polls
   readable once the process has ended (its host process handle is signalled then), and
   waitid(P_PIDFD) and pidfd_send_signal name the process by it. The file holds its own
   handle to the host process, so it works after the process is reaped too. */
#include "core/errors.h"
#include "core/px.h"
#include "core/uaccess.h"
#include "fs/fs_internal.h"
#include "fs/pseudo/pseudo.h"
#include "fs/vfs.h"
#include "host/host_process.h"
#include "host/host_sync.h"
#include "kernel/kernel.h"
#include "kernel/pidfd.h"
#include "kernel/signal.h"
#include "task/process.h"
#include "task/ptable.h"

#define PIDFD_NONBLOCK LINUX_O_NONBLOCK

typedef struct pidfd_state {
    int32_t pid;
} pidfd_state;

static bool ended(px_file *f) { return px_host_wait(f->handle, 0) == 0; }

static uint32_t pidfd_poll(px_file *f, uint32_t events)
{
    (void)events;
    return ended(f) ? LINUX_POLLIN | LINUX_POLLRDNORM : 0;
}

static void *pidfd_poll_handle(px_file *f) { return f->handle; } /* manual: stays signalled */

static void pidfd_release(px_file *f)
{
    px_host_close(f->handle);
    px_free(f->data);
}

static const px_file_ops pidfd_ops = {
    .stat = px_anon_file_stat, .poll = pidfd_poll, .poll_handle = pidfd_poll_handle, .release = pidfd_release,
};

int64_t px_pidfd_new(int32_t pid, void *process, uint32_t flags)
{
    px_host_handle own = NULL;
    if (px_host_handle_dup(process, px_host_self(), false, &own) < 0) return -LINUX_ENOMEM;
    pidfd_state *ps = px_calloc(1, sizeof *ps);
    px_file *f = ps ? px_file_new(&pidfd_ops, own, LINUX_O_RDWR | (flags & PIDFD_NONBLOCK)) : NULL;
    if (!f) {
        px_free(ps);
        px_host_close(own);
        return -LINUX_ENOMEM;
    }
    ps->pid = pid;
    f->data = ps;
    f->guest_path = px_strdup("anon_inode:[pidfd]");
    return px_fd_install(f, 0, true); /* pidfds are close-on-exec */
}

int32_t px_pidfd_pid(int fd)
{
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int32_t pid = f->ops == &pidfd_ops ? ((pidfd_state *)f->data)->pid : -LINUX_EINVAL;
    px_file_unref(f);
    return pid;
}

/* The host process of pid: one of our children's (duplicated), else any process's. */
static px_host_handle process_of(int32_t pid)
{
    struct px_process *p = px_kernel_self()->process;
    px_host_handle h = NULL;
    px_host_rwlock_lock_shared(&p->lock);
    for (size_t i = 0; i < p->child_count && !h; i++)
        if (p->children[i].pid == pid && px_host_handle_dup(p->children[i].process, px_host_self(), false, &h) < 0)
            h = NULL;
    px_host_rwlock_unlock_shared(&p->lock);
    if (!h && pid == p->tgid) px_host_handle_dup(px_host_self(), px_host_self(), false, &h);
    px_ptable_entry e; /* another picolx process: the Windows process that runs it now */
    if (!h && px_ptable_lookup(pid, &e) == 0 && e.state != PX_PTABLE_ZOMBIE) h = px_host_process_open(e.host_pid);
    return h;
}

/* pidfd_open(2) */
PX_SYSCALL(pidfd_open)
{
    int32_t pid = (int32_t)PX_ARG0;
    uint32_t flags = (uint32_t)PX_ARG1;
    if (flags & ~(uint32_t)PIDFD_NONBLOCK) return -LINUX_EINVAL;
    if (pid <= 0) return -LINUX_EINVAL;
    px_host_handle h = process_of(pid);
    if (!h) return -LINUX_ESRCH;
    int64_t r = px_pidfd_new(pid, h, flags);
    px_host_close(h);
    return r;
}

/* pidfd_send_signal(2): as kill(2) to the pidfd's process, or with the caller's siginfo
   as rt_sigqueueinfo(2) (its si_signo must be sig). */
/* Linux's tgid_pidfd_to_pid: an open /proc/<pid> directory names its process as a pidfd
   does (0: f is no such directory). */
static int32_t proc_dir_pid(const px_file *f)
{
    if (!f->is_dir || !f->mount || f->mount->type != &px_proc_fs_type || !f->guest_path) return 0;
    const char *rel = f->guest_path + f->mount->point_len;
    if (*rel++ != '/' || !*rel) return 0;
    int64_t pid = 0;
    for (; *rel; rel++) {
        if (*rel < '0' || *rel > '9' || pid > PX_PTABLE_PID_MAX) return 0;
        pid = pid * 10 + (*rel - '0');
    }
    return (int32_t)pid;
}

PX_SYSCALL(pidfd_send_signal)
{
    int fd = (int)PX_ARG0, sig = (int)PX_ARG1;
    uint64_t info = PX_ARG2;
    uint32_t flags = (uint32_t)PX_ARG3;
    if (flags) return -LINUX_EINVAL;
    if (sig < 0 || sig > LINUX_NSIG) return -LINUX_EINVAL;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    bool is_pidfd = f->ops == &pidfd_ops;
    int32_t pid = is_pidfd ? ((pidfd_state *)f->data)->pid : proc_dir_pid(f);
    bool gone = is_pidfd && ended(f);
    px_file_unref(f);
    if (!pid) return -LINUX_EBADF;
    struct linux_siginfo si;
    if (info && px_copy_in(&si, info, sizeof si) < 0) return -LINUX_EFAULT;
    if (info && si.si_signo != sig) return -LINUX_EINVAL;
    if (gone) return -LINUX_ESRCH;
    return info ? px_signal_queue_info(pid, &si) : px_signal_kill(pid, sig);
}
