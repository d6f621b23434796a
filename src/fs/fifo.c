/* The FIFO backend: a named pipe of a file system node, shared by every picolx process
   that opens the node (fifo(7), pipe(7)).

   One FIFO is a set of named Windows objects, "Local\picolx-fifo-<space>-<ino>-...":
   - a section holding fifo_shared: the ring buffer (65536 bytes, as Linux), the reader
     and writer counts, the counters of opens, and a table of the ends each process holds;
   - a mutex guarding it (an abandoned one is taken over: the counts stay right, see below);
   - two manual-reset events whose state is kept equal, under the mutex, to "a read would
     not block" and "a write of PIPE_BUF bytes would not block": blocked readers and
     writers wait on them, and poll uses them as its wake-up handle;
   - for an opener waiting for its partner, an event named after the counter it waits
     to change ("or<n>": a reader's open number n+1 happens). Its waiters create it under
     the mutex; the partner's open sets it once and it is never reset, so no wake-up is
     lost and the object goes away with its last waiter.
   The objects live while some process has the FIFO open, as a pipe's buffer on Linux.
   A process that dies holding ends leaves its counts behind: each process's share is in
   the table with its pid and creation time, and an opener, or a blocked reader or
   writer woken by the death of a process in the table, drops the rows of processes that
   are gone. */
#include <inttypes.h>
#include <stdio.h>
#include "core/errors.h"
#include "fs/fd_handoff.h"
#include "fs/fifo.h"
#include "fs/vfs.h"
#include "host/host_mem.h"
#include "host/host_named.h"
#include "host/host_process.h"
#include "host/host_sync.h"

#define FIFO_CAPACITY 65536 /* Linux's default pipe size */
#define FIFO_ATOMIC 4096    /* PIPE_BUF: writes up to this size are not interleaved */
#define FIFO_MAX_PROCS 64   /* processes holding the same FIFO open at once */
#define MAX_IO_CHUNK 0x7ffff000u

typedef struct fifo_proc {
    uint32_t pid;            /* 0: a free row */
    uint32_t readers, writers;
    uint32_t pad;
    uint64_t birth;          /* the process's creation time: a reused pid is another process */
} fifo_proc;

typedef struct fifo_shared {
    uint32_t head, used;                 /* the oldest byte at buf[head], used bytes from there (wrapping) */
    uint32_t readers, writers;           /* ends open in every process */
    uint32_t r_counter, w_counter;       /* opens so far: what a waiting opener watches */
    uint32_t readable_set, writable_set; /* the events' states, as last set */
    fifo_proc procs[FIFO_MAX_PROCS];
    uint8_t buf[FIFO_CAPACITY];
} fifo_shared;

typedef struct fifo {
    fifo_shared *sh;
    px_host_handle section, mutex, readable, writable;
    uint64_t space, ino;    /* what names it (px_fifo_open) */
    char name[64];          /* "Local\picolx-fifo-<space>-<ino>": the objects' common prefix */
    uint32_t hup_counter;   /* Linux's f_version: no POLLHUP before a writer was seen */
    /* an opener waiting for its partner: the event named after the counter's value it
       waits to change, and which counter (NULL: the open is complete) */
    px_host_handle partner_event;
    const uint32_t *partner_counter;
    uint32_t partner_old;
    px_file *node;          /* answers fstat */
    struct fifo *prev, *next; /* this process's open FIFOs (open_fifos), under open_lock */
} fifo;

/* Every FIFO this process holds ends of: at its exit its rows go (px_fifo_process_exit). */
static px_host_rwlock open_lock = PX_HOST_RWLOCK_INIT;
static fifo *open_fifos;

static uint32_t self_pid(void) { return px_host_pid(); }

static uint64_t birth_of(px_host_handle process)
{
    px_host_times t;
    if (px_host_process_times(process, &t) < 0) return 0;
    return (uint64_t)t.creation;
}

static uint64_t self_birth(void)
{
    static uint64_t birth;
    if (!birth) birth = birth_of(px_host_self());
    return birth;
}

uint64_t px_fifo_space_of(const void *bytes, size_t len)
{
    const uint8_t *p = bytes;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static void object_name(const fifo *q, const char *suffix, wchar_t *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = q->name; *p && n + 1 < cap; p++) out[n++] = (wchar_t)*p;
    if (n + 1 < cap) out[n++] = L'-';
    for (const char *p = suffix; *p && n + 1 < cap; p++) out[n++] = (wchar_t)*p;
    out[n] = 0;
}

/* --- the lock and the events --- */

static void lock(fifo *q)
{
    /* abandoned: the holder died; the counts are fixed by the table's sweep */
    px_host_wait(q->mutex, PX_HOST_FOREVER);
}

static void unlock(fifo *q) { px_host_mutex_release(q->mutex); }

static uint32_t free_space(const fifo_shared *s) { return FIFO_CAPACITY - s->used; }

/* Brings the two events in line with the state (called under the lock after a change). */
static void update_events(fifo *q)
{
    fifo_shared *s = q->sh;
    uint32_t readable = s->used > 0 || s->writers == 0;
    uint32_t writable = free_space(s) >= FIFO_ATOMIC || s->readers == 0;
    if (readable != s->readable_set) {
        if (readable) px_host_event_set(q->readable);
        else px_host_event_reset(q->readable);
        s->readable_set = readable;
    }
    if (writable != s->writable_set) {
        if (writable) px_host_event_set(q->writable);
        else px_host_event_reset(q->writable);
        s->writable_set = writable;
    }
}

/* --- the table of processes --- */

static bool process_gone(uint32_t pid, uint64_t birth)
{
    px_host_handle h;
    int64_t opened = px_host_process_open_checked(pid, &h);
    if (opened < 0) return opened == -LINUX_ESRCH; /* no such process (access denied: alive) */
    bool gone = px_host_wait(h, 0) == 0 || birth_of(h) != birth;
    px_host_close(h);
    return gone;
}

/* Drops the ends of processes that no longer exist (under the lock). */
static void sweep(fifo *q)
{
    fifo_shared *s = q->sh;
    for (size_t i = 0; i < FIFO_MAX_PROCS; i++) {
        fifo_proc *p = &s->procs[i];
        if (!p->pid || (p->pid == self_pid() && p->birth == self_birth())) continue;
        if (!process_gone(p->pid, p->birth)) continue;
        s->readers -= p->readers <= s->readers ? p->readers : s->readers;
        s->writers -= p->writers <= s->writers ? p->writers : s->writers;
        memset(p, 0, sizeof *p);
    }
}

static fifo_proc *my_row(fifo *q, bool add)
{
    fifo_shared *s = q->sh;
    fifo_proc *free_row = NULL;
    for (size_t i = 0; i < FIFO_MAX_PROCS; i++) {
        fifo_proc *p = &s->procs[i];
        if (p->pid == self_pid() && p->birth == self_birth()) return p;
        if (!p->pid && !free_row) free_row = p;
    }
    if (!add || !free_row) return NULL;
    *free_row = (fifo_proc){.pid = self_pid(), .birth = self_birth()};
    return free_row;
}

/* After a wait (fifo_wait): closes the process handles opened for it; unless our own
   event ended it, a process holding ends may have died: its rows are swept. */
static void fifo_wait_done(px_wait_on *w, int fired)
{
    fifo *q = w->arg;
    for (uint32_t i = 1; i < w->n; i++) px_host_close(w->handles[i]);
    if (fired != 0) {
        lock(q);
        sweep(q);
        update_events(q);
        unlock(q);
    }
}

/* What a blocked reader, writer or opener waits on (under the lock): ev, or the death
   of a process holding ends of the FIFO. */
static void fifo_wait(fifo *q, px_host_handle ev, px_wait_on *w)
{
    w->n = 0;
    px_wait_on_add(w, ev);
    for (size_t i = 0; i < FIFO_MAX_PROCS && w->n < PX_WAIT_MAX_HANDLES; i++) {
        fifo_proc *p = &q->sh->procs[i];
        if (!p->pid || p->pid == self_pid()) continue;
        px_wait_on_add(w, px_host_process_open(p->pid));
    }
    w->done = fifo_wait_done;
    w->arg = q;
}

/* An opener that must wait for its partner: until the counter at *counter moves on.
   tag is "or" (waiting for a reader) or "ow" (a writer). Called under the lock: the
   event exists before the partner can look for it. */
static int64_t expect_partner(fifo *q, const char *tag, const uint32_t *counter)
{
    char suffix[24];
    wchar_t wname[96];
    q->partner_old = *counter;
    snprintf(suffix, sizeof suffix, "%s%u", tag, q->partner_old);
    object_name(q, suffix, wname, PX_ARRAY_LEN(wname));
    q->partner_event = px_host_event_named(wname, true, NULL);
    if (!q->partner_event) return px_err_last();
    q->partner_counter = counter;
    return 0;
}

/* An open happened: wakes the openers waiting for counter to leave old. */
static void wake_partners(fifo *q, const char *tag, uint32_t old)
{
    char suffix[24];
    wchar_t wname[96];
    snprintf(suffix, sizeof suffix, "%s%u", tag, old);
    object_name(q, suffix, wname, PX_ARRAY_LEN(wname));
    px_host_handle ev = px_host_event_open(wname);
    if (ev) {
        px_host_event_set(ev);
        px_host_close(ev);
    }
}

/* --- the file operations --- */

static bool nonblocking(const px_file *f) { return (f->status_flags & LINUX_O_NONBLOCK) != 0; }

static int64_t fifo_read(px_file *f, void *buf, uint64_t len)
{
    fifo *q = f->data;
    if (len == 0) return 0;
    if (len > MAX_IO_CHUNK) len = MAX_IO_CHUNK;
    lock(q);
    fifo_shared *s = q->sh;
    int64_t r;
    for (;;) {
        if (s->used > 0) {
            uint32_t n = len < s->used ? (uint32_t)len : s->used;
            uint32_t first = FIFO_CAPACITY - s->head < n ? FIFO_CAPACITY - s->head : n;
            memcpy(buf, s->buf + s->head, first);
            memcpy((uint8_t *)buf + first, s->buf, n - first);
            s->head = (s->head + n) % FIFO_CAPACITY;
            s->used -= n;
            if (s->used == 0) s->head = 0;
            update_events(q);
            r = n;
            break;
        }
        if (s->writers == 0) { r = 0; break; } /* every writer is gone: end of file */
        r = nonblocking(f) ? -LINUX_EAGAIN : PX_WOULD_BLOCK; /* the handler waits: fifo_wait_on */
        break;
    }
    unlock(q);
    return r;
}

static void put_bytes(fifo_shared *s, const uint8_t *src, uint32_t n)
{
    uint32_t tail = (s->head + s->used) % FIFO_CAPACITY;
    uint32_t first = FIFO_CAPACITY - tail < n ? FIFO_CAPACITY - tail : n;
    memcpy(s->buf + tail, src, first);
    memcpy(s->buf, src + first, n - first);
    s->used += n;
}

static int64_t fifo_write(px_file *f, const void *buf, uint64_t len)
{
    fifo *q = f->data;
    if (len == 0) return 0;
    if (len > MAX_IO_CHUNK) len = MAX_IO_CHUNK;
    /* up to PIPE_BUF bytes go in at once or not at all; more go in as room appears */
    uint32_t at_least = len <= FIFO_ATOMIC ? (uint32_t)len : 1;
    uint64_t done = 0;
    lock(q);
    fifo_shared *s = q->sh;
    int64_t r;
    for (;;) {
        if (s->readers == 0) { r = done ? (int64_t)done : -LINUX_EPIPE; break; } /* SIGPIPE comes with signal delivery */
        uint32_t room = free_space(s);
        if (room >= at_least) {
            uint32_t n = len - done < room ? (uint32_t)(len - done) : room;
            put_bytes(s, (const uint8_t *)buf + done, n);
            done += n;
            update_events(q);
            if (done == len) { r = (int64_t)done; break; }
            continue;
        }
        /* blocking: the handler waits (fifo_wait_on) and writes the rest */
        r = done ? (int64_t)done : nonblocking(f) ? -LINUX_EAGAIN : PX_WOULD_BLOCK;
        break;
    }
    unlock(q);
    return r;
}

static int64_t fifo_readable_bytes(px_file *f)
{
    fifo *q = f->data;
    lock(q);
    int64_t n = q->sh->used;
    unlock(q);
    return n;
}

/* Linux's pipe_poll: readable with bytes, POLLHUP once the writers are gone (after one
   was seen); writable with room for PIPE_BUF bytes, POLLERR with no reader. */
static uint32_t fifo_poll(px_file *f, uint32_t events)
{
    fifo *q = f->data;
    uint32_t acc = f->status_flags & LINUX_O_ACCMODE, ready = 0;
    lock(q);
    fifo_shared *s = q->sh;
    if (acc != LINUX_O_WRONLY) {
        if (s->used) ready |= LINUX_POLLIN | LINUX_POLLRDNORM;
        if (!s->writers && s->w_counter != q->hup_counter) ready |= LINUX_POLLHUP;
    }
    if (acc != LINUX_O_RDONLY) {
        if (free_space(s) >= FIFO_ATOMIC) ready |= LINUX_POLLOUT | LINUX_POLLWRNORM;
        if (!s->readers) ready |= LINUX_POLLERR;
    }
    unlock(q);
    return ready;
}

/* The event that turns when this end's readiness may have: a reader's or a writer's.
   NULL (poll re-checks) when neither tells: both ends (O_RDWR), or a reader that opened
   with no writer and so sees neither data nor POLLHUP while its event stays set. */
static void *fifo_poll_handle(px_file *f)
{
    fifo *q = f->data;
    uint32_t acc = f->status_flags & LINUX_O_ACCMODE;
    if (acc == LINUX_O_WRONLY) return q->writable;
    if (acc == LINUX_O_RDWR) return NULL;
    lock(q);
    bool quiet = q->sh->writers == 0 && q->sh->w_counter == q->hup_counter;
    unlock(q);
    return quiet ? NULL : q->readable;
}

static int64_t fifo_stat(px_file *f, px_stat_info *st)
{
    fifo *q = f->data;
    return q->node->ops->stat ? q->node->ops->stat(q->node, st) : -LINUX_EINVAL;
}

static int64_t fifo_ioctl(px_file *f, uint64_t request, uint64_t arg) { return -LINUX_ENOTTY; }

static void close_objects(fifo *q)
{
    px_host_rwlock_lock(&open_lock);
    if (q->prev) q->prev->next = q->next;
    else if (open_fifos == q) open_fifos = q->next;
    if (q->next) q->next->prev = q->prev;
    px_host_rwlock_unlock(&open_lock);
    if (q->sh) px_host_view_unmap(q->sh);
    px_host_close(q->section);
    px_host_close(q->mutex);
    px_host_close(q->readable);
    px_host_close(q->writable);
    px_host_close(q->partner_event);
    px_file_unref(q->node);
    px_free(q);
}

/* Drops this end from the counts (under the lock). */
static void drop_end(fifo *q, uint32_t acc)
{
    fifo_shared *s = q->sh;
    fifo_proc *me = my_row(q, false);
    bool r = acc != LINUX_O_WRONLY, w = acc != LINUX_O_RDONLY;
    if (r && s->readers) s->readers--;
    if (w && s->writers) s->writers--;
    if (me) {
        if (r && me->readers) me->readers--;
        if (w && me->writers) me->writers--;
        if (!me->readers && !me->writers) memset(me, 0, sizeof *me);
    }
    if (s->readers == 0 && s->writers == 0) s->head = s->used = 0; /* Linux frees the buffer */
    update_events(q);
}

static void fifo_release(px_file *f)
{
    fifo *q = f->data;
    lock(q);
    drop_end(q, f->status_flags & LINUX_O_ACCMODE);
    unlock(q);
    close_objects(q);
}

static int64_t fifo_wait_on(px_file *f, uint32_t events, px_wait_on *w)
{
    fifo *q = f->data;
    lock(q);
    fifo_wait(q, events == LINUX_POLLIN ? q->readable : q->writable, w);
    unlock(q);
    return 0;
}

/* The open's wait for its partner (expect_partner): done once the counter moved on. */
static int64_t fifo_open_wait(px_file *f, px_wait_on *w)
{
    fifo *q = f->data;
    if (!q->partner_event) return 0;
    lock(q);
    bool waiting = *q->partner_counter == q->partner_old;
    if (waiting) fifo_wait(q, q->partner_event, w);
    unlock(q);
    if (waiting) return PX_WOULD_BLOCK;
    px_host_close(q->partner_event);
    q->partner_event = NULL;
    return 0;
}

static const px_file_ops fifo_ops = {
    .read = fifo_read,
    .write = fifo_write,
    .stat = fifo_stat,
    .ioctl = fifo_ioctl,
    .readable_bytes = fifo_readable_bytes,
    .poll = fifo_poll,
    .poll_handle = fifo_poll_handle,
    .wait_on = fifo_wait_on,
    .open_wait = fifo_open_wait,
    .release = fifo_release,
    .handoff = &px_fifo_handoff,
};

/* --- open --- */

static int64_t open_objects(fifo *q)
{
    wchar_t wname[96];
    object_name(q, "s", wname, PX_ARRAY_LEN(wname));
    q->section = px_host_section_new(NULL, sizeof(fifo_shared), true, false, wname, NULL);
    if (!q->section) return px_err_last();
    /* a new section is zero-filled: an empty FIFO with no ends */
    q->sh = px_host_view_map(q->section, 0, sizeof(fifo_shared), NULL, true);
    if (!q->sh) return px_err_last();
    object_name(q, "m", wname, PX_ARRAY_LEN(wname));
    if (!(q->mutex = px_host_mutex_named(wname, NULL))) return px_err_last();
    /* created unset, as readable_set and writable_set are in a new section */
    object_name(q, "r", wname, PX_ARRAY_LEN(wname));
    if (!(q->readable = px_host_event_named(wname, true, NULL))) return px_err_last();
    object_name(q, "w", wname, PX_ARRAY_LEN(wname));
    if (!(q->writable = px_host_event_named(wname, true, NULL))) return px_err_last();
    return 0;
}

/* The FIFO (space, ino) with its objects open, node its fstat answer (taken over). */
static int64_t fifo_objects(uint64_t space, uint64_t ino, px_file *node, fifo **out)
{
    fifo *q = px_calloc(1, sizeof *q);
    if (!q) {
        px_file_unref(node);
        return -LINUX_ENOMEM;
    }
    q->node = node;
    q->space = space;
    q->ino = ino;
    snprintf(q->name, sizeof q->name, "Local\\picolx-fifo-%016" PRIx64 "-%" PRIx64, space, ino);
    int64_t r = open_objects(q);
    if (r < 0) {
        close_objects(q);
        return r;
    }
    px_host_rwlock_lock(&open_lock);
    q->next = open_fifos;
    if (open_fifos) open_fifos->prev = q;
    open_fifos = q;
    px_host_rwlock_unlock(&open_lock);
    *out = q;
    return 0;
}

void px_fifo_process_exit(void)
{
    /* the process does not close its files as it ends: its rows leave the counts here,
       so a reader sees the end of its last writer at once (not at a sweep that a wait
       armed before this process took its ends would never make) */
    px_host_rwlock_lock(&open_lock);
    for (fifo *q = open_fifos; q; q = q->next) {
        lock(q);
        fifo_proc *me = my_row(q, false);
        if (me) {
            fifo_shared *s = q->sh;
            s->readers -= me->readers <= s->readers ? me->readers : s->readers;
            s->writers -= me->writers <= s->writers ? me->writers : s->writers;
            memset(me, 0, sizeof *me);
            update_events(q);
        }
        unlock(q);
    }
    px_host_rwlock_unlock(&open_lock);
}

/* The open file of q's end acc (counted already): its guest path and mount the node's.
   On failure the end is dropped and q closed. */
static int64_t fifo_file(fifo *q, uint32_t flags, px_file **out)
{
    px_file *node = q->node;
    px_file *f = px_file_new(&fifo_ops, NULL, flags & ~(uint32_t)(LINUX_O_CREAT | LINUX_O_EXCL | LINUX_O_TRUNC | LINUX_O_NOCTTY));
    char *path = node->guest_path ? px_strdup(node->guest_path) : NULL;
    if (!f || (node->guest_path && !path)) {
        px_free(path);
        if (f) px_free(f);
        lock(q);
        drop_end(q, flags & LINUX_O_ACCMODE);
        unlock(q);
        close_objects(q);
        return -LINUX_ENOMEM;
    }
    f->data = q;
    f->guest_path = path;
    f->mount = node->mount;
    *out = f;
    return 0;
}

int64_t px_fifo_open(uint64_t space, uint64_t ino, px_file *node, uint32_t flags, px_file **out)
{
    uint32_t acc = flags & LINUX_O_ACCMODE;
    if (acc == 3) { /* neither reading nor writing */
        px_file_unref(node);
        return -LINUX_EINVAL;
    }
    fifo *q;
    int64_t r = fifo_objects(space, ino, node, &q);
    if (r < 0) return r;
    lock(q);
    fifo_shared *s = q->sh;
    sweep(q);
    bool nonblock = (flags & LINUX_O_NONBLOCK) != 0;
    if (acc == LINUX_O_WRONLY && nonblock && s->readers == 0) r = -LINUX_ENXIO; /* no reader to write to */
    fifo_proc *me = r == 0 ? my_row(q, true) : NULL;
    if (r == 0 && !me) r = -LINUX_ENFILE; /* the table is full */
    if (r < 0) {
        update_events(q);
        unlock(q);
        close_objects(q);
        return r;
    }
    if (acc != LINUX_O_WRONLY) {
        s->readers++;
        me->readers++;
        wake_partners(q, "or", s->r_counter++);
    }
    if (acc != LINUX_O_RDONLY) {
        s->writers++;
        me->writers++;
        wake_partners(q, "ow", s->w_counter++);
    }
    update_events(q);
    /* O_RDWR never waits: it is both ends. A waiting open gives the file, whose
       open_wait the open handler calls until the partner came (fifo_open_wait). */
    if (acc == LINUX_O_RDONLY && s->writers == 0) {
        if (nonblock) q->hup_counter = s->w_counter; /* no POLLHUP until a writer has come and gone */
        else r = expect_partner(q, "ow", &s->w_counter);
    } else if (acc == LINUX_O_WRONLY && s->readers == 0) {
        r = expect_partner(q, "or", &s->r_counter);
    }
    if (r < 0) {
        drop_end(q, acc);
        unlock(q);
        close_objects(q);
        return r;
    }
    unlock(q);
    return fifo_file(q, flags, out);
}

/* --- a new process (fd_handoff.h) --- */

/* The end goes by name: the new process opens the same objects and counts an end of
   its own in them (fork's child before its parent goes on), as the description's
   reference Linux's fork adds. No open is repeated: no partner is waited for or woken. */
typedef struct fifo_handoff_state {
    uint64_t space, ino;
    uint32_t hup_counter, pad;
} fifo_handoff_state;
_Static_assert(sizeof(fifo_handoff_state) <= PX_HANDOFF_STATE_MAX, "fifo state fits");

static size_t fifo_handoff_save(px_file *f, void *state)
{
    fifo *q = f->data;
    fifo_handoff_state st = {.space = q->space, .ino = q->ino, .hup_counter = q->hup_counter};
    memcpy(state, &st, sizeof st);
    return sizeof st;
}

static px_file *fifo_handoff_rebuild(const px_handoff_file *hf)
{
    fifo_handoff_state st;
    uint32_t acc = hf->status_flags & LINUX_O_ACCMODE;
    if (hf->state_len != sizeof st || !hf->guest_path || acc == 3) return NULL;
    memcpy(&st, hf->state, sizeof st);
    px_file *node = NULL; /* fstat's answer: the node, by its path */
    if (px_vfs_open(LINUX_AT_FDCWD, hf->guest_path, LINUX_O_PATH, 0, &node) < 0) return NULL;
    fifo *q;
    if (fifo_objects(st.space, st.ino, node, &q) < 0) return NULL;
    q->hup_counter = st.hup_counter;
    lock(q);
    fifo_shared *s = q->sh;
    sweep(q);
    fifo_proc *me = my_row(q, true);
    if (me) {
        if (acc != LINUX_O_WRONLY) s->readers++, me->readers++;
        if (acc != LINUX_O_RDONLY) s->writers++, me->writers++;
        update_events(q);
    }
    unlock(q);
    if (!me) { /* the table is full */
        close_objects(q);
        return NULL;
    }
    px_file *f;
    return fifo_file(q, hf->status_flags, &f) == 0 ? f : NULL;
}

const px_file_handoff px_fifo_handoff = {.kind = PX_HANDOFF_FIFO, .no_handle = true, .save = fifo_handoff_save,
                                         .rebuild = fifo_handoff_rebuild};
