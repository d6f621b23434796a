/* fs/shared_lock.h: a lock word between processes. */
#include "core/errors.h"
#include "fs/shared_lock.h"
#include "host/host_named.h"
#include "host/host_process.h"
#include "host/host_sync.h"
#include "host/host_thread.h"

static bool holder_gone(uint32_t pid)
{
    px_host_handle h;
    int64_t opened = px_host_process_open_checked(pid, &h);
    if (opened < 0) return opened == -LINUX_ESRCH;
    bool gone = px_host_wait(h, 0) == 0;
    px_host_close(h);
    return gone;
}

void px_shared_lock(uint32_t *l)
{
    uint32_t me = px_host_pid();
    for (uint32_t i = 1;; i++) {
        uint32_t expected = 0;
        if (__atomic_compare_exchange_n(l, &expected, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return;
        if (i < 200) __builtin_ia32_pause();
        else px_host_yield();
        /* the holder may have died inside its step: then the lock is free to take */
        if ((i & 0x3fff) == 0 && expected && expected != me && holder_gone(expected))
            __atomic_compare_exchange_n(l, &expected, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
    }
}

void px_shared_unlock(uint32_t *l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }
