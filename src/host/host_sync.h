/* Locks, one-time initialisation, events and waits, so that no Linux-layer file needs
   windows.h for SRWLOCK, INIT_ONCE or WaitForMultipleObjects. Atomics are C11/GCC
   builtins (__atomic_*), not host calls. */
#ifndef PX_HOST_SYNC_H
#define PX_HOST_SYNC_H

#include "host/host.h"

/* A reader-writer lock that is also the plain mutex (take it exclusively): one pointer,
   zero when free, no destruction (an SRW lock today). Not recursive. */
typedef struct px_host_rwlock { void *opaque; } px_host_rwlock;
#define PX_HOST_RWLOCK_INIT {0}
void px_host_rwlock_init(px_host_rwlock *l);
void px_host_rwlock_lock(px_host_rwlock *l);
void px_host_rwlock_unlock(px_host_rwlock *l);
void px_host_rwlock_lock_shared(px_host_rwlock *l);
void px_host_rwlock_unlock_shared(px_host_rwlock *l);
bool px_host_rwlock_try_lock(px_host_rwlock *l);

/* A condition variable used with a px_host_rwlock held exclusively. */
typedef struct px_host_cond { void *opaque; } px_host_cond;
#define PX_HOST_COND_INIT {0}
/* Releases l, sleeps until woken or timeout_ms passed, takes l again. false: timed out. */
bool px_host_cond_wait(px_host_cond *c, px_host_rwlock *l, uint32_t timeout_ms);
void px_host_cond_wake_one(px_host_cond *c);
void px_host_cond_wake_all(px_host_cond *c);

/* Runs init exactly once, however many threads arrive at once; the others wait for it. */
typedef struct px_host_once { void *opaque; } px_host_once;
#define PX_HOST_ONCE_INIT {0}
void px_host_once_run(px_host_once *o, void (*init)(void));

/* An event: manual_reset stays signalled until reset; else one wait takes the signal.
   inheritable: a child process started later gets it. NULL on failure. */
px_host_handle px_host_event_new(bool manual_reset, bool signalled, bool inheritable);
int64_t px_host_event_set(px_host_handle event);
int64_t px_host_event_reset(px_host_handle event);
/* Named objects, shared by the picolx processes of the session (fifo.c, lock.c): made,
   or opened when another process made them (*existed, if not NULL, says which). NULL on
   failure. A mutex is taken with px_host_wait (a dead holder's mutex is taken too). */
px_host_handle px_host_event_named(const wchar_t *name, bool manual_reset, bool *existed);
px_host_handle px_host_mutex_named(const wchar_t *name, bool *existed);
/* An existing named event, to set it (NULL: nobody made it, or its makers are gone). */
px_host_handle px_host_event_open(const wchar_t *name);
int64_t px_host_mutex_release(px_host_handle mutex);

/* A timer that wakes px_host_wait: due in 100 ns units, from now (relative) or on the
   wall clock (px_host_time_now's scale). NULL on failure. */
px_host_handle px_host_timer_new(void);
int64_t px_host_timer_set(px_host_handle timer, int64_t due, bool absolute);
/* Stops a timer that was set and has not fired (a later wait must not see it). */
void px_host_timer_cancel(px_host_handle timer);
/* Whether an event is signalled now, without taking it (for a manual-reset event). */
bool px_host_event_is_set(px_host_handle event);

/* Waits (on events, processes, threads, mutexes). */
#define PX_HOST_TIMED_OUT 1000   /* neither an index nor an error */
#define PX_HOST_WAIT_MAX 64      /* the most handles one wait takes */
/* 0 when h is signalled, PX_HOST_TIMED_OUT, or -LINUX_Exxx. */
int64_t px_host_wait(px_host_handle h, uint32_t timeout_ms);
/* The index of the first of the n handles signalled, PX_HOST_TIMED_OUT, or -LINUX_Exxx. */
int64_t px_host_wait_any(size_t n, const px_host_handle *handles, uint32_t timeout_ms);
/* 0 once all n are signalled, PX_HOST_TIMED_OUT, or -LINUX_Exxx. */
int64_t px_host_wait_all(size_t n, const px_host_handle *handles, uint32_t timeout_ms);

/* Waits on a 32-bit word of this process's memory (ntdll's RtlWaitOnAddress, built on a
   Linux futex under Wine: a wait and wake cost what a native futex does, no wineserver
   round trip). Returns at once when *word != unchanged; else sleeps until a wake on the
   word (a wake may come for a reason that is not the caller's: check the word again)
   or timeout_100ns passed (< 0: never). 0, or PX_HOST_TIMED_OUT. Threads of one process
   only: it does not wake across processes. */
int64_t px_host_word_wait(volatile uint32_t *word, uint32_t unchanged, int64_t timeout_100ns);
/* Wakes every thread in px_host_word_wait on word. */
void px_host_word_wake(volatile uint32_t *word);

#endif
