/* Per-thread runtime state and the TEB slots that guest code reads it through. */
#include "core/px.h"
#include "core/thread.h"
#include "host/host_thread.h"

uint64_t px_teb_thread_slot;
uint64_t px_teb_fs_slot;
uint64_t px_teb_scratch_slot;
/* TLS slots: host facts of this Windows process, set once by px_thread_slots_init
   (-1: not yet). */
static int64_t thread_index = -1, fs_index = -1, scratch_index = -1;
/* The root of the object graph for host threads without a task: set once at start-up
   (px_task_boot) and never freed, since the process's first task lives as long as it. */
static px_task *initial_task;

int px_thread_slots_init(void)
{
    if (thread_index >= 0) return 0;
    /* each at a fixed gs offset, which entry.S and rewritten %fs: code read */
    int64_t t = px_host_tls_slot_new(&px_teb_thread_slot);
    int64_t f = px_host_tls_slot_new(&px_teb_fs_slot);
    int64_t s = px_host_tls_slot_new(&px_teb_scratch_slot);
    if (t < 0 || f < 0 || s < 0) return -1;
    thread_index = t;
    fs_index = f;
    scratch_index = s;
    return 0;
}

void px_thread_attach(px_task *t)
{
    __atomic_store_n(&t->host_tid, px_host_thread_id(), __ATOMIC_RELEASE);
    px_host_tls_set((uint32_t)thread_index, t);
    px_host_tls_set((uint32_t)fs_index, (void *)(uintptr_t)t->guest_fs);
}

void px_thread_detach(void)
{
    px_host_tls_set((uint32_t)thread_index, NULL);
    px_host_tls_set((uint32_t)fs_index, NULL);
}

px_task *px_self(void)
{
    return (px_task *)px_host_tls_get((uint32_t)thread_index);
}

px_task *px_current(void)
{
    px_task *t = thread_index < 0 ? NULL : (px_task *)px_host_tls_get((uint32_t)thread_index);
    return t ? t : initial_task;
}

void px_thread_set_initial(px_task *t)
{
    initial_task = t;
}

px_task *px_thread_initial(void) { return initial_task; }

void px_thread_set_fs(px_task *t, uint64_t base)
{
    t->guest_fs = base;
    px_host_tls_set((uint32_t)fs_index, (void *)(uintptr_t)base);
}
