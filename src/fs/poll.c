/* Readiness for poll, ppoll, select and pselect6 (their handlers: poll_syscalls.c).
   Each fd's backend says what is ready now (ops->poll) and, when nothing is, hands over
   a host object that turns signalled once its readiness may have changed
   (ops->poll_handle: a pipe's ready event, a FIFO's events, a console's input handle):
   the handler blocks on those. Only a file with no such object (a FIFO open for both
   ends, a FIFO reader that has seen no writer) or more objects than one wait takes is
   re-checked after short sleeps. */
#include "fs/fs_internal.h"

/* What a file without a poll op reports: Linux's DEFAULT_POLLMASK. */
#define DEFAULT_READY (LINUX_POLLIN | LINUX_POLLOUT | LINUX_POLLRDNORM | LINUX_POLLWRNORM)

#define RECHECK_NS 1000000 /* the re-check period of files without a wake-up object */

int64_t px_poll_check(px_poll_entry *e, size_t n)
{
    int64_t ready = 0;
    for (size_t i = 0; i < n; i++) {
        if (e[i].closed) {
            e[i].revents = LINUX_POLLNVAL;
        } else if (!e[i].file) {
            e[i].revents = 0;
        } else {
            px_file *f = e[i].file;
            uint32_t now = f->ops->poll ? f->ops->poll(f, e[i].events) : DEFAULT_READY;
            e[i].revents = now & (e[i].events | LINUX_POLLERR | LINUX_POLLHUP);
        }
        if (e[i].revents) ready++;
    }
    return ready;
}

void px_poll_wait_on(px_poll_entry *e, size_t n, px_wait_on *w)
{
    /* each file's wake-up object, armed now, after the check; a change in between
       leaves the object set, so no wake-up is lost */
    *w = (px_wait_on){.retry_ns = -1};
    bool all_waitable = true;
    for (size_t i = 0; i < n; i++) {
        if (!e[i].file) continue;
        void *h = e[i].file->ops->poll_handle ? e[i].file->ops->poll_handle(e[i].file) : NULL;
        if (h && w->n < PX_WAIT_MAX_HANDLES) w->handles[w->n++] = h;
        else all_waitable = false;
        int64_t recheck = e[i].file->ops->poll_recheck_ns;
        if (recheck > 0 && (w->retry_ns < 0 || recheck < w->retry_ns)) w->retry_ns = recheck;
    }
    if (!all_waitable) w->retry_ns = RECHECK_NS; /* something can only be re-checked */
}
