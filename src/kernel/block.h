/* The one way a guest thread blocks (gVisor's Task.Block, Linux's interruptible sleep).

   A blocking call waits on the thing itself (host handles that turn signalled when what it
   waits for may have happened: an event of a wait queue, a pipe's readiness event, a
   process) AND on its task's interrupt event, with an optional deadline. Nothing else in
   the Linux layers calls a host wait that can block a guest thread: a wait that is not
   interruptible by design cannot be made so later (a thread redirected inside a Windows
   wait returns garbage, see shared/notes/processes-on-wine.md).

   The interrupt event is manual-reset and stays set until the cause is dealt with
   (px_task_clear_interrupt: signal delivery on the syscall exit path), so every wait made
   meanwhile returns PX_BLOCK_INTERRUPTED at once, as Linux's signal_pending() does. */
#ifndef PX_KERNEL_BLOCK_H
#define PX_KERNEL_BLOCK_H

#include <stddef.h>
#include <stdint.h>
#include "core/thread.h"
#include "fs/wait.h"
#include "kernel/deadline.h"

enum {
    PX_BLOCK_TIMEDOUT = -1,     /* the deadline passed */
    PX_BLOCK_INTERRUPTED = -2,  /* the task's interrupt event fired: the call returns EINTR (later: restarts) */
    PX_BLOCK_FAILED = -3,       /* the host wait failed (a bad handle): a runtime bug */
};

/* Most handles a wait may name besides its own interrupt event and timer. */
#define PX_BLOCK_MAX_HANDLES 62
_Static_assert(PX_WAIT_MAX_HANDLES <= PX_BLOCK_MAX_HANDLES, "a file's wait fits one px_block");

/* Waits until one of handles[0..n) is signalled (returns its index), the deadline passes
   (PX_BLOCK_TIMEDOUT; NULL deadline: never) or the calling task is interrupted
   (PX_BLOCK_INTERRUPTED). n may be 0: a plain interruptible sleep. An auto-reset handle
   that is returned was consumed, as by any wait. A thread that is no guest's (a worker)
   cannot be interrupted. */
int px_block(void *const *handles, size_t n, const px_deadline *deadline);

/* The handler's half of "would block" (fs/wait.h): waits on what a file handed back,
   until one of its handles, its retry time, the deadline (NULL: never) or an interrupt;
   then runs w->done. Returns 0 (try the operation again), PX_BLOCK_TIMEDOUT (the
   deadline passed), PX_BLOCK_INTERRUPTED or PX_BLOCK_FAILED. */
int px_block_on(px_wait_on *w, const px_deadline *deadline);

/* The handlers' read, write and open of a file whose operation may say PX_WOULD_BLOCK:
   tried, and between tries px_block_on what the file hands back, until done. An
   interrupted wait gives -LINUX_EINTR (a write: the count already written, if any). */
struct px_file;
int64_t px_file_read_blocking(struct px_file *f, void *buf, uint64_t len);
/* One wait for an operation of f that said PX_WOULD_BLOCK (events LINUX_POLLIN: a read,
   LINUX_POLLOUT: a write). 0, or -LINUX_ERESTARTSYS (interrupted: the exit path restarts
   the call or makes it EINTR). */
int64_t px_file_wait(struct px_file *f, uint32_t events);
int64_t px_file_write_blocking(struct px_file *f, const void *buf, uint64_t len);
/* After the type's open gave f: its open_wait until the open is complete. 0, or -errno
   with f dropped. */
int64_t px_file_open_blocking(struct px_file *f);

/* The clocks of deadlines (time.c): CLOCK_MONOTONIC, and the one d is measured on. */
int64_t px_clock_monotonic_ns(void);
int64_t px_deadline_now(const px_deadline *d);

/* Sets t's interrupt event: its current or next px_block returns PX_BLOCK_INTERRUPTED.
   Any thread may call it (the signal sender). */
void px_task_interrupt(px_task *t);
/* True while t's interrupt event is set. */
bool px_task_interrupt_pending(px_task *t);
/* Resets t's interrupt event (whoever consumed its cause). */
void px_task_clear_interrupt(px_task *t);

/* The calling task's own high-resolution waitable timer for deadlines, made on first use
   and kept for the task's life (NULL when it cannot be made). */
void *px_task_sleep_timer(void);

/* Futex waits (futex.c) sleep on a word of their task rather than on a host event: a
   wake is then a store and a host address wake, as fast as a native futex (no
   wineserver round trip). */
#define PX_FUTEX_WORD_WOKEN 1u       /* ORed in by the waker */
#define PX_FUTEX_WORD_INTERRUPTED 2u /* ORed in by px_task_interrupt */
/* The calling task's futex word, reset to 0 (before the waiter is queued), or NULL on a
   thread that is no guest's. */
volatile uint32_t *px_task_futex_word(void);
/* Sets PX_FUTEX_WORD_WOKEN in a waiter's word and wakes it (any thread may call it). */
void px_futex_word_wake(volatile uint32_t *word);
/* Sleeps until the word (px_task_futex_word's) has PX_FUTEX_WORD_WOKEN (0), the deadline
   passes (PX_BLOCK_TIMEDOUT; NULL: never) or the task is interrupted
   (PX_BLOCK_INTERRUPTED). */
int px_block_word(volatile uint32_t *word, const px_deadline *deadline);

#endif
