/* Per-thread runtime state and the TEB slots that guest code reads it through. */
#include <windows.h>
#include "core/px.h"
#include "core/thread.h"

/* TEB64.TlsSlots begins at 0x1480: slot i is at gs:[0x1480 + 8 * i] for i < 64. */
#define TEB_TLS_SLOTS 0x1480
#define TEB_TLS_SLOT_COUNT 64

uint64_t px_teb_thread_slot;
uint64_t px_teb_fs_slot;
uint64_t px_teb_scratch_slot;
/* TLS indices: host facts of this Windows process, set once by px_thread_slots_init. */
static DWORD thread_index = TLS_OUT_OF_INDEXES, fs_index = TLS_OUT_OF_INDEXES;
static DWORD scratch_index = TLS_OUT_OF_INDEXES;
/* The root of the object graph for host threads without a task: set once at start-up
   (px_task_boot) and never freed, since the process's first task lives as long as it. */
static px_task *initial_task;

_Static_assert(sizeof(px_rwlock) == sizeof(SRWLOCK), "px_rwlock is an SRW lock");
void px_rwlock_read(px_rwlock *l) { AcquireSRWLockShared((SRWLOCK *)l); }
void px_rwlock_read_end(px_rwlock *l) { ReleaseSRWLockShared((SRWLOCK *)l); }
void px_rwlock_write(px_rwlock *l) { AcquireSRWLockExclusive((SRWLOCK *)l); }
void px_rwlock_write_end(px_rwlock *l) { ReleaseSRWLockExclusive((SRWLOCK *)l); }

int px_thread_slots_init(void)
{
    if (thread_index != TLS_OUT_OF_INDEXES) return 0;
    thread_index = TlsAlloc();
    fs_index = TlsAlloc();
    scratch_index = TlsAlloc();
    /* Slots past 64 live in a separately allocated array, not at a fixed gs offset. */
    if (thread_index >= TEB_TLS_SLOT_COUNT || fs_index >= TEB_TLS_SLOT_COUNT ||
        scratch_index >= TEB_TLS_SLOT_COUNT)
        return -1;
    px_teb_thread_slot = TEB_TLS_SLOTS + 8 * (uint64_t)thread_index;
    px_teb_fs_slot = TEB_TLS_SLOTS + 8 * (uint64_t)fs_index;
    px_teb_scratch_slot = TEB_TLS_SLOTS + 8 * (uint64_t)scratch_index;
    return 0;
}

void px_thread_attach(px_task *t)
{
    TlsSetValue(thread_index, t);
    TlsSetValue(fs_index, (void *)(uintptr_t)t->guest_fs);
}

px_task *px_self(void)
{
    return (px_task *)TlsGetValue(thread_index);
}

px_task *px_current(void)
{
    px_task *t = thread_index == TLS_OUT_OF_INDEXES ? NULL : (px_task *)TlsGetValue(thread_index);
    return t ? t : initial_task;
}

void px_thread_set_initial(px_task *t)
{
    initial_task = t;
}

void px_thread_set_fs(px_task *t, uint64_t base)
{
    t->guest_fs = base;
    TlsSetValue(fs_index, (void *)(uintptr_t)base);
}
