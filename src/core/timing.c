/* The start-up timing report (PICOLX_TIMING=1): marks and timed work, printed at exit.
   Everything is recorded only when the report is on; the hooks cost a branch otherwise. */
#include <stdio.h>
#include <wchar.h>
#include "core/px.h"
#include "core/timing.h"
#include "host/host_env.h"
#include "host/host_process.h"
#include "host/host_sync.h"
#include "host/host_time.h"

#define MAX_MARKS 48
#define MAX_KINDS 24
#define MAX_LISTED 256
/* Work shorter than this is summed, not listed. */
#define LISTED_MS 0.2

bool px_timing_on;

static uint64_t origin;       /* QPC ticks of the time line's zero */
static double ticks_per_ms;
static bool in_child;
static px_host_rwlock lock = PX_HOST_RWLOCK_INIT;
static int reported;

static struct { const char *what; uint64_t at; } marks[MAX_MARKS];
static size_t nmarks;
static struct { const char *what; uint64_t count, bytes, ticks; } kinds[MAX_KINDS];
static size_t nkinds;
static struct { const char *what; uint64_t addr, bytes, start, ticks; } listed[MAX_LISTED];
static size_t nlisted, unlisted;

static uint64_t qpc(void) { return px_host_ticks(); }

uint64_t px_timing_now(void) { return px_timing_on ? qpc() : 0; }

/* This process's creation, on the counter's time line (wall clock: 100 ns units). */
static uint64_t creation_ticks(uint64_t now, uint64_t freq)
{
    px_host_times times;
    if (px_host_process_times(px_host_self(), &times) < 0) return now;
    uint64_t c = (uint64_t)times.creation;
    uint64_t n = (uint64_t)px_host_time_now();
    if (n <= c) return now;
    uint64_t ago = (uint64_t)((double)(n - c) * (double)freq / 1e7);
    return ago < now ? now - ago : now;
}

void px_timing_init(void)
{
    char on[8];
    int64_t n = px_host_env_get("PICOLX_TIMING", on, sizeof on);
    wchar_t parent[32];
    int64_t pn = px_host_env_get_w(PX_TIMING_ORIGIN_VAR, parent, PX_ARRAY_LEN(parent));
    if (pn != -LINUX_ENOENT) px_host_env_set_w(PX_TIMING_ORIGIN_VAR, NULL);
    if (n <= 0 || !strcmp(on, "0")) return;
    uint64_t now = qpc();
    uint64_t freq = px_host_ticks_per_second();
    ticks_per_ms = (double)freq / 1000.0;
    uint64_t created = creation_ticks(now, freq);
    origin = created;
    if (pn > 0) {
        origin = wcstoull(parent, NULL, 16);
        in_child = true;
    }
    px_timing_on = true;
    marks[nmarks].what = "process created";
    marks[nmarks++].at = created;
    px_timing_mark("runtime start (PxRun)");
}

bool px_timing_origin_value(wchar_t *value, size_t size)
{
    if (!px_timing_on) return false;
    swprintf(value, size, L"%llx", (unsigned long long)origin);
    return true;
}

void px_timing_mark(const char *what)
{
    if (!px_timing_on) return;
    uint64_t now = qpc();
    px_host_rwlock_lock(&lock);
    if (nmarks < MAX_MARKS) {
        marks[nmarks].what = what;
        marks[nmarks++].at = now;
    }
    px_host_rwlock_unlock(&lock);
}

void px_timing_work(const char *what, uint64_t addr, uint64_t bytes, uint64_t since)
{
    if (!px_timing_on || !since) return;
    uint64_t ticks = qpc() - since;
    px_host_rwlock_lock(&lock);
    size_t k = 0;
    while (k < nkinds && kinds[k].what != what) k++;
    if (k == nkinds && nkinds < MAX_KINDS) kinds[nkinds++].what = what;
    if (k < nkinds) {
        kinds[k].count++;
        kinds[k].bytes += bytes;
        kinds[k].ticks += ticks;
    }
    if (nlisted < MAX_LISTED) {
        listed[nlisted].what = what;
        listed[nlisted].addr = addr;
        listed[nlisted].bytes = bytes;
        listed[nlisted].start = since;
        listed[nlisted++].ticks = ticks;
    } else {
        unlisted++;
    }
    px_host_rwlock_unlock(&lock);
}

void px_timing_add(const char *what, uint64_t count, uint64_t bytes, uint64_t ticks)
{
    if (!px_timing_on) return;
    px_host_rwlock_lock(&lock);
    size_t k = 0;
    while (k < nkinds && kinds[k].what != what) k++;
    if (k == nkinds && nkinds < MAX_KINDS) kinds[nkinds++].what = what;
    if (k < nkinds) {
        kinds[k].count += count;
        kinds[k].bytes += bytes;
        kinds[k].ticks += ticks;
    }
    px_host_rwlock_unlock(&lock);
}

static double ms_at(uint64_t t) { return (double)(int64_t)(t - origin) / ticks_per_ms; }
static double ms_of(uint64_t ticks) { return (double)ticks / ticks_per_ms; }

/* One line at a time to stderr: the report may be long, px_log's buffer is not. */
#define LINE(...) do { char line_[256]; snprintf(line_, sizeof line_, __VA_ARGS__); px_log("%s", line_); } while (0)

void px_timing_report(void)
{
    if (!px_timing_on || __atomic_exchange_n(&reported, 1, __ATOMIC_SEQ_CST)) return;
    px_timing_mark("exit");
    px_host_rwlock_lock(&lock);
    LINE("picolx timing, pid %u%s: ms since %s was created", px_host_pid(),
         in_child ? " (the child process for a fixed-address program)" : "",
         in_child ? "the first process" : "this process");
    for (size_t i = 0; i < nmarks; i++)
        LINE("  %9.2f  %s", ms_at(marks[i].at), marks[i].what);
    if (nkinds) LINE("  work                        count        KiB        ms");
    for (size_t k = 0; k < nkinds; k++)
        LINE("  %-26s %6llu %10.0f %9.2f", kinds[k].what, (unsigned long long)kinds[k].count,
             (double)kinds[k].bytes / 1024.0, ms_of(kinds[k].ticks));
    if (nlisted) LINE("  one by one, %.1f ms or more: start ms, ms, what, address, KiB", LISTED_MS);
    for (size_t i = 0; i < nlisted; i++)
        if (ms_of(listed[i].ticks) >= LISTED_MS) LINE("  %9.2f %8.3f  %-26s 0x%llx %.0f", ms_at(listed[i].start), ms_of(listed[i].ticks), listed[i].what,
             (unsigned long long)listed[i].addr, (double)listed[i].bytes / 1024.0);
    if (unlisted) LINE("  (%zu more not listed)", unlisted);
    px_host_rwlock_unlock(&lock);
}
