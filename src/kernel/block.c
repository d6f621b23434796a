/* The blocking primitive (block.h): one host wait on the caller's handles, the task's
   interrupt event and, for a deadline, the task's waitable timer. */
#include <windows.h>
#include "kernel/block.h"
#include "kernel/kernel.h"

#ifndef CREATE_WAITABLE_TIMER_HIGH_RESOLUTION
#define CREATE_WAITABLE_TIMER_HIGH_RESOLUTION 0x00000002
#endif

/* Makes *slot's object once; two threads racing keep the first one made. */
static HANDLE install(void *volatile *slot, HANDLE made)
{
    if (!made) return NULL;
    HANDLE old = InterlockedCompareExchangePointer((PVOID volatile *)slot, made, NULL);
    if (old) {
        CloseHandle(made);
        return old;
    }
    return made;
}

/* The interrupt event: made by whichever comes first, the task's wait or its interrupter. */
static HANDLE interrupt_event_of(px_task *t)
{
    HANDLE h = t->interrupt_event;
    return h ? h : install(&t->interrupt_event, CreateEventW(NULL, TRUE, FALSE, NULL));
}

void px_task_interrupt(px_task *t)
{
    HANDLE h = t ? interrupt_event_of(t) : NULL;
    if (h) SetEvent(h);
}

bool px_task_interrupt_pending(px_task *t)
{
    HANDLE h = t ? t->interrupt_event : NULL;
    return h && WaitForSingleObject(h, 0) == WAIT_OBJECT_0;
}

void px_task_clear_interrupt(px_task *t)
{
    if (t && t->interrupt_event) ResetEvent(t->interrupt_event);
}

/* The calling guest thread's task, or NULL on a runtime worker thread. */
static px_task *self_task(void)
{
    return px_teb_thread_slot ? px_kernel_self() : NULL;
}

void *px_task_futex_event(void)
{
    px_task *t = self_task();
    if (!t) return NULL;
    HANDLE h = t->futex_event;
    return h ? h : install(&t->futex_event, CreateEventW(NULL, FALSE, FALSE, NULL));
}

void *px_task_sleep_timer(void)
{
    px_task *t = self_task();
    if (!t) return NULL;
    HANDLE h = t->sleep_timer;
    if (h) return h;
    h = CreateWaitableTimerExW(NULL, NULL, CREATE_WAITABLE_TIMER_HIGH_RESOLUTION, TIMER_ALL_ACCESS);
    if (!h) h = CreateWaitableTimerExW(NULL, NULL, 0, TIMER_ALL_ACCESS);
    return install(&t->sleep_timer, h);
}

int64_t px_deadline_now(const px_deadline *d)
{
    return d->realtime ? px_clock_realtime_ns() : px_clock_monotonic_ns();
}

int px_block(void *const *handles, size_t n, const px_deadline *deadline)
{
    if (n > PX_BLOCK_MAX_HANDLES) return PX_BLOCK_FAILED;
    HANDLE set[PX_BLOCK_MAX_HANDLES + 2];
    for (size_t i = 0; i < n; i++) set[i] = handles[i];
    DWORD count = (DWORD)n;
    px_task *t = self_task();
    HANDLE interrupt = t ? interrupt_event_of(t) : NULL;
    int interrupt_at = -1, timer_at = -1;
    if (interrupt) {
        interrupt_at = (int)count;
        set[count++] = interrupt;
    }
    DWORD ms = INFINITE;
    if (deadline && deadline->at != PX_DEADLINE_NONE) {
        int64_t now = px_deadline_now(deadline);
        int64_t due = px_timer_due(deadline, now, (int64_t)PX_FILETIME_UNIX_EPOCH);
        if (due == 0) {
            ms = 0; /* passed: one look at the handles */
        } else {
            /* a timer keeps sub-millisecond sleeps short and absolute realtime deadlines
               true to clock changes; without one, the wait's own timeout, rounded up */
            HANDLE timer = t ? px_task_sleep_timer() : NULL;
            LARGE_INTEGER li;
            li.QuadPart = due;
            if (timer && SetWaitableTimer(timer, &li, 0, NULL, NULL, FALSE)) {
                timer_at = (int)count;
                set[count++] = timer;
            } else {
                ms = px_timeout_ms(px_deadline_left(deadline, now));
            }
        }
    }
    DWORD r = count ? WaitForMultipleObjects(count, set, FALSE, ms) : SleepEx(ms, FALSE) == 0 ? WAIT_TIMEOUT : WAIT_FAILED;
    if (timer_at >= 0 && r != WAIT_OBJECT_0 + (DWORD)timer_at) CancelWaitableTimer(set[timer_at]);
    if (r == WAIT_TIMEOUT) return PX_BLOCK_TIMEDOUT;
    /* an abandoned mutex is still the caller's handle, now owned */
    DWORD index = r >= WAIT_ABANDONED_0 && r < WAIT_ABANDONED_0 + count ? r - WAIT_ABANDONED_0 : r - WAIT_OBJECT_0;
    if (r == WAIT_FAILED || index >= count) return PX_BLOCK_FAILED;
    if ((int)index == interrupt_at) return PX_BLOCK_INTERRUPTED;
    if ((int)index == timer_at) return PX_BLOCK_TIMEDOUT;
    return (int)index;
}
