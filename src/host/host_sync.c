/* host_sync.h on Win32: SRW locks, condition variables, INIT_ONCE, events, waits. */
#include <windows.h>
#include "core/errors.h"
#include "core/px.h"
#include "host/host_sync.h"

_Static_assert(sizeof(px_host_rwlock) == sizeof(SRWLOCK), "px_host_rwlock is an SRWLOCK");
_Static_assert(sizeof(px_host_cond) == sizeof(CONDITION_VARIABLE), "px_host_cond is a CONDITION_VARIABLE");
_Static_assert(sizeof(px_host_once) == sizeof(INIT_ONCE), "px_host_once is an INIT_ONCE");
_Static_assert(PX_HOST_WAIT_MAX == MAXIMUM_WAIT_OBJECTS, "one wait takes MAXIMUM_WAIT_OBJECTS handles");

int64_t px_host_close(px_host_handle h)
{
    if (!h) return 0;
    return CloseHandle(h) ? 0 : px_err_last();
}

void px_host_rwlock_init(px_host_rwlock *l) { InitializeSRWLock((SRWLOCK *)l); }
void px_host_rwlock_lock(px_host_rwlock *l) { AcquireSRWLockExclusive((SRWLOCK *)l); }
void px_host_rwlock_unlock(px_host_rwlock *l) { ReleaseSRWLockExclusive((SRWLOCK *)l); }
void px_host_rwlock_lock_shared(px_host_rwlock *l) { AcquireSRWLockShared((SRWLOCK *)l); }
void px_host_rwlock_unlock_shared(px_host_rwlock *l) { ReleaseSRWLockShared((SRWLOCK *)l); }
bool px_host_rwlock_try_lock(px_host_rwlock *l) { return TryAcquireSRWLockExclusive((SRWLOCK *)l) != 0; }

bool px_host_cond_wait(px_host_cond *c, px_host_rwlock *l, uint32_t timeout_ms)
{
    return SleepConditionVariableSRW((CONDITION_VARIABLE *)c, (SRWLOCK *)l,
                                     timeout_ms == PX_HOST_FOREVER ? INFINITE : timeout_ms, 0) != 0;
}

void px_host_cond_wake_one(px_host_cond *c) { WakeConditionVariable((CONDITION_VARIABLE *)c); }
void px_host_cond_wake_all(px_host_cond *c) { WakeAllConditionVariable((CONDITION_VARIABLE *)c); }

static BOOL CALLBACK run_once(PINIT_ONCE once, void *init, void **context)
{
    (void)once, (void)context;
    ((void (*)(void))init)();
    return TRUE;
}

void px_host_once_run(px_host_once *o, void (*init)(void))
{
    InitOnceExecuteOnce((INIT_ONCE *)o, run_once, (void *)init, NULL);
}

px_host_handle px_host_event_new(bool manual_reset, bool signalled, bool inheritable)
{
    SECURITY_ATTRIBUTES inherit = {.nLength = sizeof inherit, .bInheritHandle = TRUE};
    return CreateEventW(inheritable ? &inherit : NULL, manual_reset, signalled, NULL);
}

int64_t px_host_event_set(px_host_handle event) { return SetEvent(event) ? 0 : px_err_last(); }
int64_t px_host_event_reset(px_host_handle event) { return ResetEvent(event) ? 0 : px_err_last(); }

px_host_handle px_host_event_named(const wchar_t *name, bool manual_reset, bool *existed)
{
    HANDLE h = CreateEventW(NULL, manual_reset, FALSE, name);
    if (existed) *existed = h && GetLastError() == ERROR_ALREADY_EXISTS;
    return h;
}

px_host_handle px_host_mutex_named(const wchar_t *name, bool *existed)
{
    HANDLE h = CreateMutexW(NULL, FALSE, name);
    if (existed) *existed = h && GetLastError() == ERROR_ALREADY_EXISTS;
    return h;
}

px_host_handle px_host_event_open(const wchar_t *name) { return OpenEventW(EVENT_MODIFY_STATE, FALSE, name); }

int64_t px_host_mutex_release(px_host_handle mutex) { return ReleaseMutex(mutex) ? 0 : px_err_last(); }

#ifndef CREATE_WAITABLE_TIMER_HIGH_RESOLUTION
#define CREATE_WAITABLE_TIMER_HIGH_RESOLUTION 0x00000002 /* Windows 10 1803; not in older mingw headers */
#endif

px_host_handle px_host_timer_new(void)
{
    /* a high-resolution timer where the host has one (Windows 10 1803+), else a plain one */
    HANDLE h = CreateWaitableTimerExW(NULL, NULL, CREATE_WAITABLE_TIMER_HIGH_RESOLUTION, TIMER_ALL_ACCESS);
    return h ? h : CreateWaitableTimerExW(NULL, NULL, 0, TIMER_ALL_ACCESS);
}

int64_t px_host_timer_set(px_host_handle timer, int64_t due, bool absolute)
{
    LARGE_INTEGER when = {.QuadPart = absolute ? due : -due}; /* negative: relative */
    return SetWaitableTimer(timer, &when, 0, NULL, NULL, FALSE) ? 0 : px_err_last();
}

void px_host_timer_cancel(px_host_handle timer)
{
    CancelWaitableTimer(timer);
}

bool px_host_event_is_set(px_host_handle event)
{
    return WaitForSingleObject(event, 0) == WAIT_OBJECT_0;
}

static DWORD wait_ms(uint32_t timeout_ms) { return timeout_ms == PX_HOST_FOREVER ? INFINITE : timeout_ms; }

static int64_t wait_result(DWORD r, size_t n)
{
    if (r < WAIT_OBJECT_0 + n) return (int64_t)(r - WAIT_OBJECT_0);
    /* a mutex whose holder died: it is ours now, and its data may be half-changed; the
       users (lock.c, fifo.c) check their records anyway */
    if (r >= WAIT_ABANDONED_0 && r < WAIT_ABANDONED_0 + n) return (int64_t)(r - WAIT_ABANDONED_0);
    if (r == WAIT_TIMEOUT) return PX_HOST_TIMED_OUT;
    return px_err_last();
}

int64_t px_host_wait(px_host_handle h, uint32_t timeout_ms)
{
    return wait_result(WaitForSingleObject(h, wait_ms(timeout_ms)), 1);
}

int64_t px_host_wait_any(size_t n, const px_host_handle *handles, uint32_t timeout_ms)
{
    if (n == 0 || n > PX_HOST_WAIT_MAX) return -LINUX_EINVAL;
    return wait_result(WaitForMultipleObjects((DWORD)n, handles, FALSE, wait_ms(timeout_ms)), n);
}

int64_t px_host_wait_all(size_t n, const px_host_handle *handles, uint32_t timeout_ms)
{
    if (n == 0 || n > PX_HOST_WAIT_MAX) return -LINUX_EINVAL;
    int64_t r = wait_result(WaitForMultipleObjects((DWORD)n, handles, TRUE, wait_ms(timeout_ms)), n);
    return r >= 0 && r < (int64_t)n ? 0 : r;
}

/* ntdll's address waits, found once: kernel32's WaitOnAddress takes whole milliseconds,
   ntdll's takes a 100 ns timeout (and is what WaitOnAddress calls). */
typedef LONG(WINAPI *wait_on_address_fn)(const volatile void *, const void *, SIZE_T, const LARGE_INTEGER *);
typedef void(WINAPI *wake_address_fn)(const void *);
static wait_on_address_fn wait_on_address;
static wake_address_fn wake_address_all;
static px_host_once address_wait_once = PX_HOST_ONCE_INIT;

static void address_wait_init(void)
{
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    wait_on_address = (wait_on_address_fn)(void *)GetProcAddress(ntdll, "RtlWaitOnAddress");
    wake_address_all = (wake_address_fn)(void *)GetProcAddress(ntdll, "RtlWakeAddressAll");
}

int64_t px_host_word_wait(volatile uint32_t *word, uint32_t unchanged, int64_t timeout_100ns)
{
    px_host_once_run(&address_wait_once, address_wait_init);
    if (!wait_on_address) { /* not on this host (before Windows 8): a short sleep, the caller looks again */
        if (*word != unchanged) return 0;
        Sleep(1);
        return 0;
    }
    LARGE_INTEGER rel = {.QuadPart = -timeout_100ns};
    LONG status = wait_on_address(word, &unchanged, sizeof unchanged, timeout_100ns < 0 ? NULL : &rel);
    return status == 0x102 /* STATUS_TIMEOUT */ ? PX_HOST_TIMED_OUT : 0;
}

void px_host_word_wake(volatile uint32_t *word)
{
    px_host_once_run(&address_wait_once, address_wait_init);
    if (wake_address_all) wake_address_all((const void *)word);
}
