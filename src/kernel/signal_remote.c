/* Signals to other picolx processes. Each process publishes in the session's process
   table which signals it catches and which it ignores (px_signal_publish, from signal.c
   whenever its actions change); a sender in another process can then do what the
   target's kernel would for the default action: end it with the signal's status
   (px_host_process_terminate with PX_EXIT_SIGNALED | sig: its parent's wait reads that),
   or nothing for the signals whose default is to be ignored. A signal the target
   catches needs delivery into it, which comes with the signals issue: ENOSYS until then,
   never a pretended success. Stop signals are not acted on yet (a later issue). */
#include "core/errors.h"
#include "core/px.h"
#include "host/host_process.h"
#include "kernel/kernel.h"
#include "kernel/signal.h"
#include "task/process.h"
#include "task/ptable.h"

#define BIT(sig) (1ull << ((sig) - 1))

static bool default_ignores(int sig)
{
    return sig == LINUX_SIGCHLD || sig == LINUX_SIGURG || sig == LINUX_SIGWINCH || sig == LINUX_SIGCONT;
}

static bool default_stops(int sig)
{
    return sig == LINUX_SIGSTOP || sig == LINUX_SIGTSTP || sig == LINUX_SIGTTIN || sig == LINUX_SIGTTOU;
}

int64_t px_signal_send_remote(const px_ptable_entry *e, int sig)
{
    if (sig == 0 || e->state == PX_PTABLE_ZOMBIE) return 0; /* a zombie takes signals and does nothing */
    bool by_default = sig == LINUX_SIGKILL || !((e->sig_caught | e->sig_ignored) & BIT(sig));
    if (!by_default) return (e->sig_ignored & BIT(sig)) ? 0 : -LINUX_ENOSYS;
    if (default_ignores(sig) || default_stops(sig)) return 0;
    px_host_handle p = px_host_process_open_to_end(e->host_pid);
    if (!p) return -LINUX_ESRCH; /* it ended meanwhile */
    int64_t r = px_host_process_terminate(p, PX_EXIT_SIGNALED | (uint32_t)sig);
    px_host_close(p);
    return r < 0 ? -LINUX_ESRCH : 0;
}

void px_signal_publish(uint64_t caught, uint64_t ignored)
{
    px_ptable_set_signals(px_ptable_self(), caught, ignored);
}
