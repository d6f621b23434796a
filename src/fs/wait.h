/* "Would block": a file says so and hands back what to wait on; the handler blocks
   (gVisor: a file's readiness and its wait queue, then Task.Block). A backend never
   waits itself: it returns PX_WOULD_BLOCK from the operation, fills a px_wait_on when
   asked (px_file_ops wait_on, open_wait), and the handler waits through px_block with
   the task's interrupt event (kernel/block.h: px_block_on) and tries again. */
#ifndef PX_FS_WAIT_H
#define PX_FS_WAIT_H

#include <stdint.h>

/* An operation's result "not now, try again once the file's wait objects say so": never
   an errno (those are -1..-4095), never seen by the guest. */
#define PX_WOULD_BLOCK (-0x10000)

/* The most handles one wait names (px_block's, kernel/block.h). */
#define PX_WAIT_MAX_HANDLES 62

/* What a blocked operation waits on: any of handles turning signalled, or retry_ns
   passing, means "try again". The handles must stay valid until done has run. */
typedef struct px_wait_on {
    void *handles[PX_WAIT_MAX_HANDLES];
    uint32_t n;
    int64_t retry_ns;  /* also try again after this long; -1: only when a handle fires */
    /* Run once after the wait (NULL: nothing to do): fired is the index of the handle
       that ended it, or -1 (the retry time, the deadline, an interrupt). It closes what
       the file opened for this wait, and deals with what the wake-up says. */
    void (*done)(struct px_wait_on *w, int fired);
    void *arg;         /* the file's, for done */
} px_wait_on;

static inline void px_wait_on_add(px_wait_on *w, void *h)
{
    if (h && w->n < PX_WAIT_MAX_HANDLES) w->handles[w->n++] = h;
}

#endif
