/* host_thread.h on Win32. */
#include <windows.h>
#include "core/errors.h"
#include "core/px.h"
#include "host/host_thread.h"

/* TEB64.TlsSlots begins at 0x1480: slot i is at gs:[0x1480 + 8 * i] for i < 64; slots
   past 64 live in a separately allocated array, not at a fixed gs offset. */
#define TEB_TLS_SLOTS 0x1480
#define TEB_TLS_SLOT_COUNT 64

typedef struct start { void (*fn)(void *); void *arg; } start;

static DWORD WINAPI thread_main(void *p)
{
    start s = *(start *)p;
    px_free(p);
    s.fn(s.arg);
    return 0;
}

static HANDLE start_thread(void (*fn)(void *arg), void *arg, size_t stack_reserve, DWORD flags, DWORD *id)
{
    start *s = px_alloc(sizeof *s);
    if (!s) return NULL;
    s->fn = fn;
    s->arg = arg;
    if (stack_reserve) flags |= STACK_SIZE_PARAM_IS_A_RESERVATION;
    HANDLE h = CreateThread(NULL, stack_reserve, thread_main, s, flags, id);
    if (!h) px_free(s);
    return h;
}

px_host_handle px_host_thread_start(void (*fn)(void *arg), void *arg, size_t stack_reserve)
{
    return start_thread(fn, arg, stack_reserve, 0, NULL);
}

px_host_handle px_host_thread_start_suspended(void (*fn)(void *arg), void *arg, size_t stack_reserve, uint32_t *id)
{
    DWORD tid = 0;
    HANDLE h = start_thread(fn, arg, stack_reserve, CREATE_SUSPENDED, &tid);
    if (h) *id = tid;
    return h;
}

int64_t px_host_thread_resume(px_host_handle thread)
{
    return ResumeThread(thread) == (DWORD)-1 ? px_err_last() : 0;
}

uint32_t px_host_thread_id(void) { return GetCurrentThreadId(); }
void px_host_yield(void) { SwitchToThread(); }
void px_host_sleep_ms(uint32_t ms) { Sleep(ms == PX_HOST_FOREVER ? INFINITE : ms); }

int64_t px_host_tls_slot_new(uint64_t *gs_offset)
{
    DWORD slot = TlsAlloc();
    if (slot == TLS_OUT_OF_INDEXES) return -LINUX_ENOSPC;
    if (slot >= TEB_TLS_SLOT_COUNT) {
        TlsFree(slot);
        return -LINUX_ENOSPC;
    }
    *gs_offset = TEB_TLS_SLOTS + 8 * (uint64_t)slot;
    return slot;
}

void px_host_tls_set(uint32_t slot, void *value) { TlsSetValue(slot, value); }
void *px_host_tls_get(uint32_t slot) { return TlsGetValue(slot); }
