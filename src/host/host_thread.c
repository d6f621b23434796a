/* host_thread.h on Win32. */
#include <windows.h>
#include "core/errors.h"
#include "core/px.h"
#include "host/host_sync.h"
#include "host/host_thread.h"

/* TEB64.TlsSlots begins at 0x1480: slot i is at gs:[0x1480 + 8 * i] for i < 64; slots
   past 64 live in a separately allocated array, not at a fixed gs offset. */
#define TEB_TLS_SLOTS 0x1480
#define TEB_TLS_SLOT_COUNT 64

typedef struct start { void (*fn)(void *); void *arg; bool counted; } start;

/* Threads made to run at once that have not reached thread_main yet: Wine prints "wine
   client error: ... sendmsg: Socket operation on non-socket" for a thread still in its
   start-up when the process exits (px_host_threads_await_started). */
static volatile long starting_threads;

static DWORD WINAPI thread_main(void *p)
{
    start s = *(start *)p;
    px_free(p);
    if (s.counted) InterlockedDecrement(&starting_threads);
    s.fn(s.arg);
    return 0;
}

static HANDLE start_thread(void (*fn)(void *arg), void *arg, size_t stack_reserve, DWORD flags, DWORD *id)
{
    start *s = px_alloc(sizeof *s);
    if (!s) return NULL;
    s->fn = fn;
    s->arg = arg;
    s->counted = !(flags & CREATE_SUSPENDED); /* a suspended one is its resumer's to wait for */
    if (stack_reserve) flags |= STACK_SIZE_PARAM_IS_A_RESERVATION;
    if (s->counted) InterlockedIncrement(&starting_threads);
    HANDLE h = CreateThread(NULL, stack_reserve, thread_main, s, flags, id);
    if (!h) {
        if (s->counted) InterlockedDecrement(&starting_threads);
        px_free(s);
    }
    return h;
}

void px_host_threads_await_started(uint32_t max_ms)
{
    for (uint32_t waited = 0; waited < max_ms && InterlockedCompareExchange(&starting_threads, 0, 0) > 0; waited++)
        Sleep(1);
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

bool px_host_thread_alive(uint32_t id) { return px_host_thread_process(id) != 0; }

uint32_t px_host_thread_process(uint32_t id)
{
    HANDLE h = OpenThread(THREAD_QUERY_LIMITED_INFORMATION, FALSE, id);
    if (!h) return 0;
    DWORD code = 0;
    uint32_t pid = GetExitCodeThread(h, &code) && code == STILL_ACTIVE ? GetProcessIdOfThread(h) : 0;
    CloseHandle(h);
    return pid;
}

int64_t px_host_thread_set_affinity(px_host_handle thread, uint64_t mask)
{
    return SetThreadAffinityMask(thread ? thread : GetCurrentThread(), (DWORD_PTR)mask) ? 0 : px_err_last();
}

typedef HRESULT(WINAPI *set_description_fn)(HANDLE, PCWSTR);
static set_description_fn set_description;
static px_host_once set_description_once = PX_HOST_ONCE_INIT;

static void find_set_description(void)
{
    set_description = (set_description_fn)(void (*)(void))GetProcAddress(GetModuleHandleW(L"kernel32.dll"),
                                                                         "SetThreadDescription");
}

void px_host_thread_set_name(const char *name)
{
    /* Windows 10 1607 and later (and Wine): looked up, so older Windows still runs us */
    px_host_once_run(&set_description_once, find_set_description);
    wchar_t wide[64];
    if (set_description && MultiByteToWideChar(CP_UTF8, 0, name, -1, wide, 64) > 0)
        set_description(GetCurrentThread(), wide);
}

void px_host_process_barrier(void) { FlushProcessWriteBuffers(); }

bool px_host_thread_end_if(px_host_handle thread, bool (*may_end)(uint64_t rip, void *arg), void *arg)
{
    if (SuspendThread(thread) == (DWORD)-1) return false;
    CONTEXT c;
    memset(&c, 0, sizeof c);
    c.ContextFlags = CONTEXT_CONTROL;
    bool end = GetThreadContext(thread, &c) && may_end(c.Rip, arg);
    if (end) end = TerminateThread(thread, 0) != 0;
    if (!end) ResumeThread(thread);
    return end;
}

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

px_host_handle px_host_thread_open(uint32_t host_tid)
{
    return OpenThread(THREAD_QUERY_LIMITED_INFORMATION, FALSE, host_tid);
}

px_host_handle px_host_thread_self_handle(void)
{
    HANDLE h = NULL;
    if (!DuplicateHandle(GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(), &h,
                         THREAD_SUSPEND_RESUME | THREAD_GET_CONTEXT | THREAD_SET_CONTEXT |
                             THREAD_QUERY_LIMITED_INFORMATION, FALSE, 0))
        return NULL;
    return h;
}

bool px_host_thread_redirect(px_host_handle thread, bool (*may_redirect)(uint64_t rip, void *arg),
                             px_regs *saved, uint64_t entry, uint64_t stack, void *arg)
{
    if (SuspendThread(thread) == (DWORD)-1) return false;
    CONTEXT c;
    memset(&c, 0, sizeof c);
    c.ContextFlags = CONTEXT_CONTROL | CONTEXT_INTEGER;
    bool done = false;
    if (GetThreadContext(thread, &c) && may_redirect(c.Rip, arg)) {
        saved->rax = c.Rax; saved->rbx = c.Rbx; saved->rcx = c.Rcx; saved->rdx = c.Rdx;
        saved->rsi = c.Rsi; saved->rdi = c.Rdi; saved->rbp = c.Rbp; saved->rsp = c.Rsp;
        saved->r8 = c.R8; saved->r9 = c.R9; saved->r10 = c.R10; saved->r11 = c.R11;
        saved->r12 = c.R12; saved->r13 = c.R13; saved->r14 = c.R14; saved->r15 = c.R15;
        saved->rip = c.Rip; saved->rflags = c.EFlags;
        c.Rip = entry;
        c.Rsp = stack;
        c.Rcx = (DWORD64)arg;
        c.ContextFlags = CONTEXT_CONTROL | CONTEXT_INTEGER;
        done = SetThreadContext(thread, &c) != 0;
    }
    ResumeThread(thread);
    return done;
}
