/* --trace: one strace-like line per guest syscall, written to a host handle
   of our own (the guest may close fd 2), and a strace -c style summary at exit. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "core/px.h"
#include "host/host_console.h"
#include "host/host_file.h"
#include "host/host_mem.h"
#include "host/host_process.h"
#include "host/host_sync.h"
#include "host/host_time.h"
#include "host/host_utf.h"
#include "spawn.h"
#include "rewrite/rewrite.h"
#include "trace/format.h"
#include "trace/trace.h"
#include "task/process.h"

/* Numbers at or past the table (or past this bound) share the last slot. */
#define STATS_SLOTS 1024

struct call_stats {
    uint64_t calls, errors, traps;
    int64_t ticks;  /* px_host_ticks spent in the handler */
};

static px_host_handle trace_handle; /* NULL: none */
static struct call_stats stats[STATS_SLOTS];
static int64_t qpc_frequency;
static px_host_rwlock stats_lock = PX_HOST_RWLOCK_INIT;

static px_host_handle open_trace_file(const char *path)
{
    wchar_t *wide = px_host_utf16_of_utf8(path);
    if (!wide) return NULL;
    /* Append-only: the launcher and the child that runs a fixed-address program (see
       docs/architecture.md) may both hold the file; neither overwrites the other, and
       only the first process empties it (a child after execve continues its trace). */
    px_host_handle h = NULL;
    if (px_host_file_open_append(wide, px_spawn_continues_parent(), &h) < 0) h = NULL;
    px_free(wide);
    return h;
}

int px_trace_open(const char *path)
{
    int64_t f = (int64_t)px_host_ticks_per_second();
    qpc_frequency = f > 0 ? f : 1;
    px_host_handle h;
    if (path) {
        h = open_trace_file(path);
    } else {
        /* A handle of our own, so that the guest closing fd 2 does not close the trace. */
        px_host_handle err = px_host_std_handle(PX_HOST_STDERR);
        if (!err) return -1;
        if (px_host_handle_dup(err, px_host_self(), false, &h) < 0) h = err;
    }
    if (!h) return -1;
    trace_handle = h;
    px_cfg.trace_handle = h;
    px_syscall_wrapper = px_trace_syscall;
    return 0;
}

static void write_out(const char *s, size_t n)
{
    if (trace_handle) px_host_file_write(trace_handle, s, n);
}

/* Reads guest memory without faulting: only committed, readable pages are touched. */
static size_t read_guest(uint64_t addr, void *dst, size_t len)
{
    size_t done = 0;
    while (done < len) {
        uint64_t at = addr + done, region_end;
        if (at < 0x10000 || !px_host_mem_readable((const void *)(uintptr_t)at, &region_end)) break;
        size_t n = len - done;
        if (at + n > region_end) n = (size_t)(region_end - at);
        memcpy((char *)dst + done, (const void *)(uintptr_t)at, n);
        done += n;
    }
    return done;
}

static const char *syscall_name(uint64_t nr)
{
    return nr < px_syscall_table_size ? px_syscall_table[nr].name : NULL;
}

static size_t stats_slot(uint64_t nr)
{
    return nr < STATS_SLOTS ? (size_t)nr : STATS_SLOTS - 1;
}

/* Calls that do not return to the caller: their line is written before they run. */
static bool never_returns(const char *name)
{
    return name && (!strcmp(name, "exit") || !strcmp(name, "exit_group"));
}

#define LINE_CAP (PX_TRACE_PATHLEN * 4 * 2 + 1024)

int64_t px_trace_syscall(px_regs *regs, uint64_t nr)
{
    const uint64_t args[6] = {regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8, regs->r9};
    const px_syscall_desc *d = nr < px_syscall_table_size ? &px_syscall_table[nr] : NULL;
    const char *name = d ? d->name : NULL;
    int nargs = d ? d->nargs : 6;

    /* The arguments are formatted before the call (the call may change the memory they
       point to); buffers the call fills wait for its result. */
    static __thread char line_storage[LINE_CAP];
    px_tbuf line;
    px_tbuf_init(&line, line_storage, sizeof line_storage);
    /* several processes write one trace after a fork, several threads once there are: as
       strace -f, each line names its thread then (threads' count read without the lock:
       a line at the moment one starts or ends may go either way) */
    px_task *self = px_current();
    bool many = self && self->process &&
                (self->process->forked || self->tid != self->process->tgid ||
                 __atomic_load_n(&self->process->thread_count, __ATOMIC_RELAXED) > 0);
    if (many) px_tbuf_printf(&line, "[pid %5d] ", self->tid);
    if (name) px_tbuf_puts(&line, name);
    else px_tbuf_printf(&line, "syscall_%llu", (unsigned long long)nr);
    px_tbuf_puts(&line, "(");
    size_t rbuf_at[6];
    int rbuf_count = 0, rbuf_index[6];
    for (int i = 0; i < nargs; i++) {
        int fmt = d ? d->args[i] : PX_ARG_X;
        /* open's mode means something only with O_CREAT or O_TMPFILE: strace omits it. */
        if (fmt == PX_ARG_O && i > 0 && d->args[i - 1] == PX_ARG_OFLAGS &&
            !(args[i - 1] & LINUX_O_CREAT) && (args[i - 1] & LINUX_O_TMPFILE) != LINUX_O_TMPFILE)
            continue;
        if (i) px_tbuf_puts(&line, ", ");
        if (fmt == PX_ARG_RBUF) {
            rbuf_at[rbuf_count] = line.len;
            rbuf_index[rbuf_count++] = i;
            continue;
        }
        px_trace_format_arg(&line, fmt, args, i, nargs, 0, false, read_guest);
    }

    size_t slot = stats_slot(nr);
    if (never_returns(name)) {
        px_tbuf_puts(&line, ")");
        px_tbuf_puts(&line, " ");
        while (line.len < 40) px_tbuf_puts(&line, " ");
        px_tbuf_puts(&line, "= ?\n");
        write_out(line.data, line.len);
        px_host_rwlock_lock(&stats_lock);
        stats[slot].calls++;
        px_host_rwlock_unlock(&stats_lock);
        return px_syscall_run(regs, nr);
    }

    uint64_t t0 = px_host_ticks();
    int64_t result = px_syscall_run(regs, nr);
    uint64_t t1 = px_host_ticks();

    px_host_rwlock_lock(&stats_lock);
    stats[slot].calls++;
    stats[slot].ticks += (int64_t)(t1 - t0);
    if (LINUX_IS_ERR(result)) stats[slot].errors++;
    px_host_rwlock_unlock(&stats_lock);

    /* Splice the filled buffers in, last first so the earlier offsets stay valid. */
    if (rbuf_count) {
        static __thread char tail_storage[LINE_CAP];
        for (int k = rbuf_count - 1; k >= 0; k--) {
            px_tbuf tail;
            px_tbuf_init(&tail, tail_storage, sizeof tail_storage);
            px_trace_format_arg(&tail, PX_ARG_RBUF, args, rbuf_index[k], nargs, result, true, read_guest);
            size_t at = rbuf_at[k], rest = line.len - at;
            size_t room = line.cap - 1 - line.len;
            size_t add = tail.len < room ? tail.len : room;
            memmove(line.data + at + add, line.data + at, rest);
            memcpy(line.data + at, tail.data, add);
            line.len += add;
            line.data[line.len] = 0;
        }
    }
    px_tbuf_puts(&line, ")");
    px_trace_format_result(&line, name, result);
    if (line.overflow && line.len + 5 > line.cap) line.len = line.cap - 5;
    px_tbuf_puts(&line, "\n");
    if (line.data[line.len - 1] != '\n') {
        line.data[line.len - 1] = '\n';
    }
    write_out(line.data, line.len);
    return result;
}

void px_trace_count_trap(uint64_t nr)
{
    px_host_rwlock_lock(&stats_lock);
    stats[stats_slot(nr)].traps++;
    px_host_rwlock_unlock(&stats_lock);
}

static int by_time_then_calls(const void *a, const void *b)
{
    const struct call_stats *x = &stats[*(const uint16_t *)a], *y = &stats[*(const uint16_t *)b];
    if (x->ticks != y->ticks) return x->ticks < y->ticks ? 1 : -1;
    if (x->calls != y->calls) return x->calls < y->calls ? 1 : -1;
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static void summary_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void summary_line(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
    write_out(buf, (size_t)n);
}

void px_trace_summary(void)
{
    static uint16_t order[STATS_SLOTS];
    size_t used = 0;
    uint64_t total_calls = 0, total_errors = 0, total_traps = 0;
    int64_t total_ticks = 0;
    px_host_rwlock_lock_shared(&stats_lock);
    for (size_t i = 0; i < STATS_SLOTS; i++) {
        if (!stats[i].calls && !stats[i].traps) continue;
        order[used++] = (uint16_t)i;
        total_calls += stats[i].calls;
        total_errors += stats[i].errors;
        total_traps += stats[i].traps;
        total_ticks += stats[i].ticks;
    }
    if (!used) {
        /* No guest ran here: the launcher of a child process, whose child writes its own. */
        px_host_rwlock_unlock_shared(&stats_lock);
        return;
    }
    qsort(order, used, sizeof order[0], by_time_then_calls);

    const char *rule = "------ ----------- ----------- --------- --------- --------- ----------------\n";
    summary_line("%% time     seconds  usecs/call     calls    errors     traps syscall\n");
    summary_line("%s", rule);
    for (size_t k = 0; k < used; k++) {
        const struct call_stats *s = &stats[order[k]];
        double seconds = (double)s->ticks / (double)qpc_frequency;
        double percent = total_ticks ? 100.0 * (double)s->ticks / (double)total_ticks : 0.0;
        uint64_t usecs = s->calls ? (uint64_t)(seconds * 1e6 / (double)s->calls) : 0;
        char errors[24] = "", traps[24] = "", name_buf[32];
        if (s->errors) snprintf(errors, sizeof errors, "%llu", (unsigned long long)s->errors);
        if (s->traps) snprintf(traps, sizeof traps, "%llu", (unsigned long long)s->traps);
        const char *name = order[k] == STATS_SLOTS - 1 ? "(other)" : syscall_name(order[k]);
        if (!name) {
            snprintf(name_buf, sizeof name_buf, "syscall_%u", (unsigned)order[k]);
            name = name_buf;
        }
        summary_line("%6.2f %11.6f %11llu %9llu %9s %9s %s\n", percent, seconds,
                     (unsigned long long)usecs, (unsigned long long)s->calls, errors, traps, name);
    }
    summary_line("%s", rule);
    double total_seconds = (double)total_ticks / (double)qpc_frequency;
    uint64_t total_usecs = total_calls ? (uint64_t)(total_seconds * 1e6 / (double)total_calls) : 0;
    char errors[24] = "", traps[24] = "";
    if (total_errors) snprintf(errors, sizeof errors, "%llu", (unsigned long long)total_errors);
    if (total_traps) snprintf(traps, sizeof traps, "%llu", (unsigned long long)total_traps);
    summary_line("100.00 %11.6f %11llu %9llu %9s %9s total\n", total_seconds,
                 (unsigned long long)total_usecs, (unsigned long long)total_calls, errors, traps);
    px_host_rwlock_unlock_shared(&stats_lock);
    const px_rewrite_counters *r = &px_rewrite_stats;
    summary_line("rewriter: %llu syscall sites, %llu %%fs sites, %llu patched, %llu trapped, %llu trap hits\n",
                 (unsigned long long)r->syscall_sites, (unsigned long long)r->fs_sites,
                 (unsigned long long)r->patched_sites, (unsigned long long)r->trap_sites,
                 (unsigned long long)r->trap_hits);
}
