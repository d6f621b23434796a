/* Signals to other picolx processes. A process whose doorbell runs (sigbell.c; the table
   says so) takes every signal but SIGKILL itself: the sender posts it there, with its
   siginfo, and the target acts as Linux's kernel would for it (its handler, its mask,
   its default action, stopping and continuing). SIGKILL, which must end a process even
   inside a Windows call, and signals to a process without a doorbell (one that is just
   starting) are taken by the sender as the default action says, from what the target
   publishes in the table about its actions (px_signal_publish): it is ended with the
   signal's status (px_host_process_terminate with PX_EXIT_SIGNALED | sig: its parent's
   wait reads that), or nothing happens for the signals whose default is to be ignored;
   a signal it catches then gives ENOSYS, never a pretended success.

   SIGCHLD to the parent goes into the parent's queue in the same process-table step that
   changes what its wait sees (px_signal_job_changed, px_signal_process_ends), from the
   child itself, or from whoever found it ended from outside (px_ptable_end_dead). */
#include "core/errors.h"
#include "core/px.h"
#include "core/cred.h"
#include "host/host_process.h"
#include "host/host_sync.h"
#include "host/host_thread.h"
#include "kernel/identity.h"
#include "kernel/kernel.h"
#include "kernel/signal.h"
#include "task/process.h"
#include "task/ptable.h"

#define BIT(sig) (1ull << ((sig) - 1))

static int64_t send_remote(const px_ptable_entry *e, int32_t tid, const struct linux_siginfo *info);

static bool default_ignores(int sig)
{
    return sig == LINUX_SIGCHLD || sig == LINUX_SIGURG || sig == LINUX_SIGWINCH || sig == LINUX_SIGCONT;
}

static bool default_stops(int sig)
{
    return sig == LINUX_SIGSTOP || sig == LINUX_SIGTSTP || sig == LINUX_SIGTTIN || sig == LINUX_SIGTTOU;
}

/* The SIGCHLD that process pid of entry e sends its parent (status: si_status). */
static struct linux_siginfo sigchld_info(const px_ptable_entry *e, int32_t pid, int code, int32_t status)
{
    struct linux_siginfo info = {.si_signo = LINUX_SIGCHLD, .si_code = code};
    info.sigchld.pid = pid;
    info.sigchld.uid = e->uid;
    info.sigchld.status = status;
    return info;
}

/* The SIGCHLD of a wait status (wait4's encoding). */
static struct linux_siginfo exit_info(const px_ptable_entry *e, int32_t wait_status)
{
    int32_t status;
    int code = px_sigchld_code_of_wait_status(wait_status, &status);
    return sigchld_info(e, e->pid, code, status);
}

int64_t px_signal_send_remote(const px_ptable_entry *e, const struct linux_siginfo *info)
{
    return send_remote(e, 0, info);
}

int64_t px_signal_send_remote_thread(const px_ptable_entry *e, int32_t tid, const struct linux_siginfo *info)
{
    /* the main thread's tid is the pid; the others' are their Windows threads' ids */
    if (tid != e->pid && (e->state == PX_PTABLE_ZOMBIE || px_host_thread_process((uint32_t)tid) != e->host_pid))
        return -LINUX_ESRCH;
    return send_remote(e, tid, info);
}

/* Either of the above: tid 0 for the process. */
static int64_t send_remote(const px_ptable_entry *e, int32_t tid, const struct linux_siginfo *info)
{
    px_ptable_entry now;
    int sig = info->si_signo;
    if (sig == 0 || e->state == PX_PTABLE_ZOMBIE) return 0; /* a zombie takes signals and does nothing */
    /* a fork's child still starting: its Windows process is not yet its own (the table
       names the forking one), so even SIGKILL waits in its queue for it */
    if (e->state == PX_PTABLE_STARTING || (sig != LINUX_SIGKILL && (e->flags & PX_PTABLE_SIGBELL))) {
        int64_t r = px_sigbell_post(e->pid, tid, info);
        if (r != -LINUX_ESRCH) return r;
        /* ended, or it left STARTING (or is an execve's successor) without its doorbell yet:
           what the table says now, its Windows process too, decides */
        if (px_ptable_lookup(e->pid, &now) < 0) return -LINUX_ESRCH;
        if (now.state == PX_PTABLE_ZOMBIE) return 0;
        e = &now;
    }
    bool by_default = sig == LINUX_SIGKILL || !((e->sig_caught | e->sig_ignored) & BIT(sig));
    if (!by_default) return (e->sig_ignored & BIT(sig)) ? 0 : -LINUX_ENOSYS;
    if (default_ignores(sig) || default_stops(sig)) return 0;
    px_host_handle p = px_host_process_open_to_end(e->host_pid);
    if (!p) return -LINUX_ESRCH; /* it ended meanwhile */
    int64_t r = px_host_process_terminate(p, PX_EXIT_SIGNALED | (uint32_t)sig);
    /* its parent's handler may wait for it at once: told once it has ended */
    if (r >= 0) px_host_wait(p, 5000);
    px_host_close(p);
    if (r < 0) return -LINUX_ESRCH;
    /* its end, and its parent's SIGCHLD with it, unless its parent's watch or another
       finder was first (which queued the SIGCHLD then) */
    uint32_t parent_host_pid;
    if (px_ptable_end_dead(e->pid, sig, &parent_host_pid) && parent_host_pid) px_sigbell_ring(parent_host_pid);
    return 0;
}

void px_signal_publish(uint64_t caught, uint64_t ignored)
{
    px_ptable_set_signals(px_ptable_self(), caught, ignored);
}

void px_signal_job_changed(int32_t stop_sig)
{
    px_ptable_entry e;
    bool known = px_ptable_lookup(px_ptable_self(), &e) == 0;
    struct linux_siginfo info = known ? sigchld_info(&e, e.pid, stop_sig ? LINUX_CLD_STOPPED : LINUX_CLD_CONTINUED,
                                                     stop_sig ? stop_sig : LINUX_SIGCONT)
                                      : (struct linux_siginfo){0};
    px_sigbell_job(stop_sig, known ? &info : NULL);
}

/* sig from the kernel (SI_KERNEL, as SEND_SIG_PRIV) to every live member of group pgid. */
static void send_to_group_from_kernel(int32_t pgid, int sig)
{
    struct linux_siginfo info = {.si_signo = sig, .si_code = LINUX_SI_KERNEL};
    int32_t cursor = 0;
    px_ptable_entry e;
    while (px_ptable_next(&cursor, &e))
        if (e.pgid == pgid && e.state != PX_PTABLE_ZOMBIE) send_remote(&e, 0, &info);
}

void px_signal_process_ends(int32_t wait_status, uint64_t peak_rss)
{
    px_ptable_entry e;
    bool known = px_ptable_lookup(px_ptable_self(), &e) == 0;
    struct linux_siginfo info = known ? exit_info(&e, wait_status) : (struct linux_siginfo){0};
    px_ptable_orphaned orphaned;
    px_sigbell_exit(wait_status, peak_rss, known ? &info : NULL, &orphaned);
    /* exit_notify's kill_orphaned_pgrp: a stopped job this exit orphaned is hung up and
       continued (its members are other processes: this one is a zombie now) */
    for (uint32_t i = 0; i < orphaned.count; i++) {
        send_to_group_from_kernel(orphaned.pgids[i], LINUX_SIGHUP);
        send_to_group_from_kernel(orphaned.pgids[i], LINUX_SIGCONT);
    }
}
