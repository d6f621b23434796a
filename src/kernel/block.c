/* The blocking primitive (block.h): one host wait on the caller's handles, the task's
   interrupt event and, for a deadline, the task's waitable timer. */
#include "host/host_sync.h"
#include "host/host_system.h"
#include "host/host_time.h"
#include "host/host_thread.h"
#include "kernel/block.h"
#include "kernel/kernel.h"

/* Makes *slot's object once; two threads racing keep the first one made. */
static px_host_handle install(void *volatile *slot, px_host_handle made)
{
    if (!made) return NULL;
    void *expected = NULL;
    if (!__atomic_compare_exchange_n(slot, &expected, made, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        px_host_close(made);
        return expected;
    }
    return made;
}

/* The interrupt event: made by whichever comes first, the task's wait or its interrupter. */
static px_host_handle interrupt_event_of(px_task *t)
{
    px_host_handle h = t->interrupt_event;
    return h ? h : install(&t->interrupt_event, px_host_event_new(true, false, false));
}

void px_task_interrupt(px_task *t)
{
    px_host_handle h = t ? interrupt_event_of(t) : NULL;
    if (!h) return;
    /* the flag first: a futex waiter that resets its word after the OR below finds it */
    __atomic_store_n(&t->interrupt_flag, 1, __ATOMIC_SEQ_CST);
    px_host_event_set(h);
    __atomic_or_fetch(&t->futex_word, PX_FUTEX_WORD_INTERRUPTED, __ATOMIC_SEQ_CST);
    px_host_word_wake(&t->futex_word);
}

bool px_task_interrupt_pending(px_task *t)
{
    return t && __atomic_load_n(&t->interrupt_flag, __ATOMIC_SEQ_CST);
}

void px_task_clear_interrupt(px_task *t)
{
    if (!t || !t->interrupt_event) return;
    __atomic_store_n(&t->interrupt_flag, 0, __ATOMIC_SEQ_CST);
    px_host_event_reset(t->interrupt_event);
}

/* The calling guest thread's task, or NULL on a runtime worker thread. */
static px_task *self_task(void)
{
    return px_teb_thread_slot ? px_kernel_self() : NULL;
}

volatile uint32_t *px_task_futex_word(void)
{
    px_task *t = self_task();
    if (!t) return NULL;
    __atomic_store_n(&t->futex_word, 0, __ATOMIC_SEQ_CST);
    return &t->futex_word;
}

void px_futex_word_wake(volatile uint32_t *word)
{
    __atomic_or_fetch(word, PX_FUTEX_WORD_WOKEN, __ATOMIC_SEQ_CST);
    px_host_word_wake(word);
}

/* How long a word wait looks at its word before it sleeps, with other processors to run
   the waker: a wake-up through WaitOnAddress costs Wine ~7 us each way (a Linux futex
   under it and the scheduler), where a ping-pong partner usually answers in less
   (bench/futex.sh). A few microseconds of a processor is what a sleep would cost. */
#define WORD_SPIN_US 4

static void spin_until_changed(volatile uint32_t *word, uint64_t ticks)
{
    uint32_t was = __atomic_load_n(word, __ATOMIC_ACQUIRE);
    uint64_t until = px_host_ticks() + ticks;
    for (;;) {
        for (int i = 0; i < 32; i++) {
            if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != was) return; /* woken or interrupted */
            __builtin_ia32_pause();
        }
        if (px_host_ticks() >= until) return;
    }
}

static void spin_for_word(volatile uint32_t *word)
{
    static uint64_t spin_ticks; /* 0: not known yet; 1: no spinning (one processor) */
    static uint32_t spinners_max;
    static int32_t spinners; /* no more than there are processors: more would only take turns */
    uint64_t ticks = __atomic_load_n(&spin_ticks, __ATOMIC_RELAXED);
    if (!ticks) {
        uint32_t cpus = px_host_cpu_count();
        __atomic_store_n(&spinners_max, cpus, __ATOMIC_RELAXED);
        ticks = cpus > 1 ? px_host_ticks_per_second() * WORD_SPIN_US / 1000000 + 2 : 1;
        __atomic_store_n(&spin_ticks, ticks, __ATOMIC_RELAXED);
    }
    if (ticks == 1) return;
    if ((uint32_t)__atomic_add_fetch(&spinners, 1, __ATOMIC_ACQ_REL) > __atomic_load_n(&spinners_max, __ATOMIC_RELAXED)) {
        __atomic_sub_fetch(&spinners, 1, __ATOMIC_ACQ_REL);
        return;
    }
    spin_until_changed(word, ticks);
    __atomic_sub_fetch(&spinners, 1, __ATOMIC_ACQ_REL);
}

int px_block_word(volatile uint32_t *word, const px_deadline *deadline)
{
    px_task *t = self_task();
    spin_for_word(word);
    for (;;) {
        uint32_t now = __atomic_load_n(word, __ATOMIC_SEQ_CST);
        if (now & PX_FUTEX_WORD_WOKEN) return 0;
        if (px_task_interrupt_pending(t)) return PX_BLOCK_INTERRUPTED;
        int64_t timeout = -1; /* 100 ns units */
        if (deadline && deadline->at != PX_DEADLINE_NONE) {
            int64_t left = px_deadline_left(deadline, px_deadline_now(deadline));
            if (left == 0) return PX_BLOCK_TIMEDOUT;
            timeout = left / 100 + (left % 100 != 0);
        }
        px_host_word_wait(word, now, timeout); /* then look again: woken, interrupted or late */
    }
}

void *px_task_sleep_timer(void)
{
    px_task *t = self_task();
    if (!t) return NULL;
    px_host_handle h = t->sleep_timer;
    return h ? h : install(&t->sleep_timer, px_host_timer_new());
}

int64_t px_deadline_now(const px_deadline *d)
{
    return d->realtime ? px_clock_realtime_ns() : px_clock_monotonic_ns();
}

int px_block(void *const *handles, size_t n, const px_deadline *deadline)
{
    if (n > PX_BLOCK_MAX_HANDLES) return PX_BLOCK_FAILED;
    px_host_handle set[PX_BLOCK_MAX_HANDLES + 2];
    for (size_t i = 0; i < n; i++) set[i] = handles[i];
    size_t count = n;
    px_task *t = self_task();
    px_host_handle interrupt = t ? interrupt_event_of(t) : NULL;
    int64_t interrupt_at = -1, timer_at = -1;
    if (interrupt) {
        interrupt_at = (int64_t)count;
        set[count++] = interrupt;
    }
    uint32_t ms = PX_HOST_FOREVER;
    if (deadline && deadline->at != PX_DEADLINE_NONE) {
        int64_t now = px_deadline_now(deadline);
        int64_t due = px_timer_due(deadline, now, (int64_t)PX_FILETIME_UNIX_EPOCH);
        if (due == 0) {
            ms = 0; /* passed: one look at the handles */
        } else {
            /* a timer keeps sub-millisecond sleeps short and absolute realtime deadlines
               true to clock changes; without one, the wait's own timeout, rounded up */
            px_host_handle timer = t ? px_task_sleep_timer() : NULL;
            if (timer && px_host_timer_set(timer, due < 0 ? -due : due, due > 0) == 0) {
                timer_at = (int64_t)count;
                set[count++] = timer;
            } else {
                ms = px_timeout_ms(px_deadline_left(deadline, now));
            }
        }
    }
    int64_t r;
    if (count) {
        r = px_host_wait_any(count, set, ms);
    } else {
        px_host_sleep_ms(ms);
        r = PX_HOST_TIMED_OUT;
    }
    if (timer_at >= 0 && r != timer_at) px_host_timer_cancel(set[timer_at]);
    if (r == PX_HOST_TIMED_OUT) return PX_BLOCK_TIMEDOUT;
    if (r < 0 || r >= (int64_t)count) return PX_BLOCK_FAILED;
    if (r == interrupt_at) return PX_BLOCK_INTERRUPTED;
    if (r == timer_at) return PX_BLOCK_TIMEDOUT;
    return (int)r; /* an abandoned mutex counts as taken: px_host_wait_any says so */
}

int px_block_on(px_wait_on *w, const px_deadline *deadline)
{
    px_deadline until = deadline ? *deadline : px_deadline_never();
    bool retry_first = false;
    if (w->retry_ns >= 0) {
        px_deadline soon = px_deadline_after(px_clock_monotonic_ns(), w->retry_ns);
        if (until.realtime || soon.at < until.at) {
            until = soon;
            retry_first = true;
        }
    }
    int r = px_block(w->handles, w->n, &until);
    if (w->done) w->done(w, r >= 0 ? r : -1);
    if (r >= 0) return 0;
    if (r == PX_BLOCK_TIMEDOUT && retry_first) {
        /* the retry time; the deadline too, if it has passed meanwhile */
        bool passed = deadline && px_deadline_left(deadline, px_deadline_now(deadline)) == 0;
        return passed ? PX_BLOCK_TIMEDOUT : 0;
    }
    return r;
}
