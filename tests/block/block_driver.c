/* The blocking primitive (src/kernel/block.c) for real, under Wine: a guest thread's
   px_block ends when another thread calls px_task_interrupt, at its deadline on either
   clock, or with a handle that is ready; a thread that is no guest's is not interruptible.
   Prints one line per check and exits 1 on the first failure. */
#include <windows.h>
#include <stdio.h>
#include "core/thread.h"
#include "kernel/block.h"
#include "kernel/kernel.h"

static int64_t qpc_ns(void)
{
    static LARGE_INTEGER f;
    LARGE_INTEGER c;
    if (!f.QuadPart) QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (c.QuadPart / f.QuadPart) * PX_NS_PER_SEC + (c.QuadPart % f.QuadPart) * PX_NS_PER_SEC / f.QuadPart;
}

/* The clocks block.c uses, as time.c makes them. */
int64_t px_clock_monotonic_ns(void) { return qpc_ns(); }
int64_t px_clock_realtime_ns(void)
{
    FILETIME ft;
    GetSystemTimePreciseAsFileTime(&ft);
    uint64_t t = ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
    return (int64_t)(t - PX_FILETIME_UNIX_EPOCH) * 100;
}

static int failures;

static void check(bool ok, const char *what, double ms)
{
    printf("%s %s (%.2f ms)\n", ok ? "ok  " : "FAIL", what, ms);
    if (!ok) failures++;
}

static px_task task;

static DWORD WINAPI interrupter(void *arg)
{
    Sleep(50);
    px_task_interrupt(&task);
    return 0;
}


static int block_without_task(void)
{
    px_deadline d = px_deadline_after(qpc_ns(), 20 * 1000000ll);
    return px_block(NULL, 0, &d);
}

static DWORD WINAPI no_task_thread(void *arg)
{
    *(int *)arg = block_without_task();
    return 0;
}

int main(void)
{
    if (px_thread_slots_init() != 0) return 2;
    px_thread_attach(&task);
    HANDLE never = CreateEventW(NULL, TRUE, FALSE, NULL);
    void *h = never;

    /* 1. blocked forever on an event nobody sets; another thread interrupts */
    int64_t t0 = qpc_ns();
    HANDLE th = CreateThread(NULL, 0, interrupter, NULL, 0, NULL);
    int r = px_block(&h, 1, NULL);
    double ms = (qpc_ns() - t0) / 1e6;
    check(r == PX_BLOCK_INTERRUPTED && ms >= 45, "a wait with no deadline ends when another thread interrupts it", ms);
    WaitForSingleObject(th, INFINITE);
    CloseHandle(th);

    /* 2. the interrupt stays pending until cleared: waits end at once */
    t0 = qpc_ns();
    px_deadline d = px_deadline_after(qpc_ns(), 1000 * 1000000ll);
    r = px_block(NULL, 0, &d);
    ms = (qpc_ns() - t0) / 1e6;
    check(r == PX_BLOCK_INTERRUPTED && ms < 500 && px_task_interrupt_pending(&task),
          "a pending interrupt ends the next wait at once", ms);

    /* 3. a ready handle is reported before a pending interrupt */
    HANDLE ready = CreateEventW(NULL, TRUE, TRUE, NULL);
    void *both[2] = {never, ready};
    r = px_block(both, 2, NULL);
    check(r == 1, "a ready handle wins over a pending interrupt", 0);
    px_task_clear_interrupt(&task);
    check(!px_task_interrupt_pending(&task), "clearing the interrupt", 0);

    /* 4. deadlines: relative on the monotonic clock, short ones not rounded to a tick */
    t0 = qpc_ns();
    d = px_deadline_after(t0, 30 * 1000000ll);
    r = px_block(&h, 1, &d);
    ms = (qpc_ns() - t0) / 1e6;
    check(r == PX_BLOCK_TIMEDOUT && ms >= 30, "a 30 ms monotonic deadline times out, not early", ms);
    t0 = qpc_ns();
    d = px_deadline_after(t0, 200000);
    r = px_block(NULL, 0, &d);
    ms = (qpc_ns() - t0) / 1e6;
    check(r == PX_BLOCK_TIMEDOUT && ms >= 0.2, "a 0.2 ms deadline times out, not early", ms);
    t0 = qpc_ns();
    d = (px_deadline){px_clock_realtime_ns() + 30 * 1000000ll, true};
    r = px_block(&h, 1, &d);
    ms = (qpc_ns() - t0) / 1e6;
    check(r == PX_BLOCK_TIMEDOUT && ms >= 29, "a realtime absolute deadline 30 ms ahead", ms);
    t0 = qpc_ns();
    d = (px_deadline){px_clock_realtime_ns() - 1000000000ll, true};
    r = px_block(&h, 1, &d);
    ms = (qpc_ns() - t0) / 1e6;
    check(r == PX_BLOCK_TIMEDOUT && ms < 100, "a deadline already passed: one look, then timed out", ms);

    /* 5. an auto-reset handle signalled meanwhile is returned and consumed */
    HANDLE autoev = CreateEventW(NULL, FALSE, TRUE, NULL);
    void *a = autoev;
    r = px_block(&a, 1, NULL);
    d = px_deadline_after(qpc_ns(), 10 * 1000000ll);
    int r2 = px_block(&a, 1, &d);
    check(r == 0 && r2 == PX_BLOCK_TIMEDOUT, "an auto-reset handle is consumed by the wait that returns it", 0);

    /* 6. a runtime worker (its TEB slot holds no task) is not interruptible */
    int worker_r = 99;
    px_task_interrupt(&task);
    th = CreateThread(NULL, 0, no_task_thread, &worker_r, 0, NULL);
    WaitForSingleObject(th, INFINITE);
    check(worker_r == PX_BLOCK_TIMEDOUT, "a thread without a task only times out", 0);
    px_task_clear_interrupt(&task);


    /* 7. the task's own objects are made once */
    check(px_task_sleep_timer() == task.sleep_timer && task.sleep_timer != NULL, "the sleep timer lives in the task", 0);

    /* 8. a futex wait on the task's word: woken, timed out, interrupted */
    volatile uint32_t *word = px_task_futex_word();
    check(word == &task.futex_word && *word == 0, "the futex word is the task's, reset", 0);
    px_futex_word_wake(word);
    check(px_block_word(word, NULL) == 0, "a woken word returns at once", 0);
    word = px_task_futex_word();
    d = px_deadline_after(qpc_ns(), 10 * 1000000ll);
    check(px_block_word(word, &d) == PX_BLOCK_TIMEDOUT, "a word wait times out", 0);
    px_task_interrupt(&task);
    check(px_block_word(px_task_futex_word(), NULL) == PX_BLOCK_INTERRUPTED, "an interrupt ends a word wait", 0);
    px_task_clear_interrupt(&task);
    return failures ? 1 : 0;
}
