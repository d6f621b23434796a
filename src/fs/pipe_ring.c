/* Pipes the guest makes (pipe, pipe2): a ring in shared memory, so that bytes between
   picolx processes move without a wineserver round trip (under Wine every read and write
   of a Windows pipe is one: a stream ran at a tenth of native speed).

   One pipe is a set of named objects, "Local\picolx-pipe-<pid>-<n>-": a section holding
   ring_shared and the data (room for the largest capacity, RING_MAX; pages untouched stay
   free), and two semaphores, "r" (readers wait for bytes) and "w" (writers wait for room).
   - head and tail count the bytes ever written and read; the data is buf[tail..head)
     modulo the capacity. Writers serialise on write_lock, readers on read_lock (spin locks
     holding the pid; a dead holder's lock is taken over), so a write of up to PIPE_BUF
     bytes goes in whole, and a reader and a writer copy at the same time.
   - Wake-ups cost host calls only when someone sleeps: a waiter counts itself in
     read_waiters / write_waiters, checks again, and waits on the semaphore; whoever makes
     progress for the other side takes the count (exchange with 0) and releases that many.
     A waiter that left without being woken (a timeout, a signal, another fd of poll)
     leaves a stale count: one spurious wake-up later, which re-checks and waits again.
     Before sleeping a reader or writer spins a little, as the other side is usually
     copying on the other CPU right then.
   - readers and writers count the open ends in every process. They are never below the
     truth: an end handed to a new process (fork, execve into a new process) is counted
     by the sender before it goes (handoff save), and the receiver takes it over. A
     process that dies leaves its counts behind, so the truth is the token: an anonymous
     Windows pipe, whose read end every reader holds and write end every writer holds (the
     file's handle, duplicated into new processes with the rest). The kernel closes a dead
     process's handles, so "every write end closed" is "every writer gone". A waiter wakes
     every PEER_CHECK_NS and asks the token when the counts say the other side lives.
   The Windows pipe of the token never carries a byte. */
#include <stdio.h>
#include "core/cred.h"
#include "core/errors.h"
#include "fs/fd_handoff.h"
#include "fs/fs_internal.h"
#include "fs/pipe_ring.h"
#include "fs/shared_lock.h"
#include "host/host_mem.h"
#include "host/host_named.h"
#include "host/host_pipe.h"
#include "host/host_process.h"
#include "host/host_sem.h"
#include "host/host_sync.h"
#include "host/host_thread.h"
#include "host/host_time.h"

#define RING_MAX (1u << 20)      /* Linux's pipe-max-size: the most F_SETPIPE_SZ gives */
#define RING_HEADER 4096u        /* ring_shared's page; the data follows */
#define RING_ATOMIC 4096u        /* PIPE_BUF */
#define RING_PAGE 4096u
#define MAX_IO_CHUNK 0x7ffff000u
/* Spinning before a sleep: a sleep and its wake-up are two wineserver round trips (and
   ~2 ms on a loaded machine), the other side's copy of 64 KiB a few microseconds. Measured
   with a 128 MiB stream between two processes: no spinning 34 MiB/s, 4000 pauses with a
   yield every 256 (so a peer on the same CPU runs) 200-390 MiB/s, more spinning no better. */
#define SPIN_PAUSES 4000
#define SPIN_YIELD_MASK 255
#define PEER_CHECK_NS PX_PIPE_RING_PEER_CHECK_NS
#define PX_RING_EMPTY_RECORD (-0x10001) /* put: a record of 0 bytes went in */

typedef struct ring_shared {
    uint64_t head, tail;            /* __atomic: bytes ever written, read */
    uint32_t capacity;              /* changed with both locks held (F_SETPIPE_SZ) */
    uint32_t readers, writers;      /* __atomic: open ends in every process (see the top) */
    uint32_t read_waiters, write_waiters; /* __atomic: sleepers counted in, for the wakers */
    uint32_t read_lock, write_lock; /* __atomic: the holder's pid, 0 when free */
    uint32_t messages;              /* 1: records, each a 4-byte length and its bytes (datagram sockets) */
    uint64_t ino;
    uint64_t queued;                /* __atomic: records held (messages) */
    uint32_t shut[2];               /* __atomic: shutdown(2) of a socket's direction: [READERS] no more
                                       reading (writers get EPIPE), [WRITERS] no more writing (the end) */
    /* the semaphores' names where they are not <name>r and <name>w: a socket pair's two
       rings share one per end, so that an end waits for bytes and room on one object */
    char wake_names[2][48];
} ring_shared;
_Static_assert(sizeof(ring_shared) <= RING_HEADER, "the header fits its page");

/* One process's mapping of a pipe, shared by its files of that pipe (both ends after
   pipe(2)). */
typedef struct ring {
    int32_t refs;                    /* __atomic */
    ring_shared *sh;
    uint8_t *buf;
    px_host_handle section;
    px_host_handle sems[2];          /* [0] readers', [1] writers'; opened on first need; __atomic */
    bool sent;                       /* handed to a new process: the section outlives the ring (parked) */
    char name[48];                   /* the objects' common prefix */
} ring;

/* One end (f->data); f->handle is its token end. */
typedef struct ring_end {
    ring *r;
    bool reader;
    bool peer_gone;                  /* the token said so: for good (no end can be made again) */
    bool dropped;                    /* its count is gone already (the process exits); under ends_lock */
    int64_t peer_checked;            /* when the token was last asked (now_ns) */
    struct ring_end *prev, *next;    /* this process's ends; under ends_lock */
} ring_end;

/* Every end this process holds: at its exit their counts go (px_pipe_ring_process_exit). */
static px_host_rwlock ends_lock = PX_HOST_RWLOCK_INIT;
static ring_end *ends;

enum { READERS = 0, WRITERS = 1 };

static void relax(void) { __builtin_ia32_pause(); }

static int64_t now_ns(void)
{
    static uint64_t rate;
    if (!rate) rate = px_host_ticks_per_second();
    uint64_t t = px_host_ticks();
    return (int64_t)(t / rate * 1000000000ull + t % rate * 1000000000ull / rate);
}

/* --- names and wake-ups --- */

static void object_name(const ring *r, const char *suffix, wchar_t *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = r->name; *p && n + 1 < cap; p++) out[n++] = (wchar_t)*p;
    for (const char *p = suffix; *p && n + 1 < cap; p++) out[n++] = (wchar_t)*p;
    out[n] = 0;
}

static px_host_handle sem_of(ring *r, int which)
{
    px_host_handle h = __atomic_load_n(&r->sems[which], __ATOMIC_ACQUIRE);
    if (h) return h;
    wchar_t name[80];
    const char *shared_name = r->sh->wake_names[which];
    if (shared_name[0]) {
        size_t n = 0;
        for (; shared_name[n] && n + 1 < PX_ARRAY_LEN(name) && n + 1 < sizeof r->sh->wake_names[which]; n++)
            name[n] = (wchar_t)shared_name[n];
        name[n] = 0;
    } else {
        object_name(r, which == READERS ? "r" : "w", name, PX_ARRAY_LEN(name));
    }
    px_host_handle made = px_host_semaphore_named(name, NULL);
    if (!made) return NULL;
    void *expected = NULL;
    if (!__atomic_compare_exchange_n(&r->sems[which], &expected, made, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        px_host_close(made);
        return expected;
    }
    return made;
}

static uint32_t *waiters_of(ring *r, int which) { return which == READERS ? &r->sh->read_waiters : &r->sh->write_waiters; }

/* Progress for the other side: wakes whoever sleeps there (a host call only then). */
static void wake(ring *r, int which)
{
    uint32_t *w = waiters_of(r, which);
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the change before the look (the waiter: count in, then look) */
    if (!__atomic_load_n(w, __ATOMIC_RELAXED)) return;
    uint32_t n = __atomic_exchange_n(w, 0, __ATOMIC_SEQ_CST);
    px_host_handle sem = n ? sem_of(r, which) : NULL;
    if (sem) px_host_semaphore_release(sem, n);
}

static void enlist(ring *r, int which) { __atomic_add_fetch(waiters_of(r, which), 1, __ATOMIC_SEQ_CST); }

static uint64_t used_of(const ring_shared *s)
{
    /* the tail first: a later head is never behind it */
    uint64_t tail = __atomic_load_n(&s->tail, __ATOMIC_ACQUIRE);
    uint64_t used = __atomic_load_n(&s->head, __ATOMIC_ACQUIRE) - tail;
    return used < RING_MAX ? used : RING_MAX;
}

/* Whether the other side has an end open: its count, and, at most every PEER_CHECK_NS
   while the count says yes, the token (a dead process's count stays). */
static bool peer_open(px_file *f)
{
    ring_end *e = f->data;
    ring_shared *s = e->r->sh;
    if (e->peer_gone || !__atomic_load_n(e->reader ? &s->writers : &s->readers, __ATOMIC_ACQUIRE) ||
        __atomic_load_n(&s->shut[e->reader ? WRITERS : READERS], __ATOMIC_ACQUIRE))
        return false;
    int64_t now = now_ns();
    if (now - e->peer_checked < PEER_CHECK_NS) return true;
    e->peer_checked = now;
    bool open;
    if (e->reader) {
        bool writers_gone = false;
        int64_t avail = px_host_pipe_available(f->handle, &writers_gone);
        open = !(avail < 0 && writers_gone);
    } else {
        open = px_host_pipe_connected(f->handle);
    }
    if (!open) e->peer_gone = true;
    return open;
}

/* --- reading and writing --- */

/* n bytes between the ring at byte pos (modulo the capacity) and buf, the caller's or
   the guest's memory: the count moved, up to the first bad page, or -LINUX_EFAULT. */
static int64_t ring_copy_out(ring *r, uint64_t pos, void *buf, uint64_t n)
{
    uint32_t cap = r->sh->capacity, off = (uint32_t)(pos % cap);
    uint64_t first = n < cap - off ? n : cap - off;
    int64_t got = first ? px_copy_out_partial((uint64_t)(uintptr_t)buf, r->buf + off, (size_t)first) : 0;
    if (got == (int64_t)first && n > first) {
        int64_t more = px_copy_out_partial((uint64_t)(uintptr_t)buf + first, r->buf, (size_t)(n - first));
        if (more > 0) got += more;
    }
    return got;
}

static int64_t ring_copy_in(ring *r, uint64_t pos, const void *buf, uint64_t n)
{
    uint32_t cap = r->sh->capacity, off = (uint32_t)(pos % cap);
    uint64_t first = n < cap - off ? n : cap - off;
    int64_t got = first ? px_copy_in_partial(r->buf + off, (uint64_t)(uintptr_t)buf, (size_t)first) : 0;
    if (got == (int64_t)first && n > first) {
        int64_t more = px_copy_in_partial(r->buf, (uint64_t)(uintptr_t)buf + first, (size_t)(n - first));
        if (more > 0) got += more;
    }
    return got;
}

/* A record's length word at pos (runtime memory both sides: cannot fault). */
static uint32_t record_length_at(ring *r, uint64_t pos)
{
    uint32_t len;
    ring_copy_out(r, pos, &len, sizeof len);
    return len;
}

/* Up to len bytes out of the ring into buf (peek: left there): the count (0: it is
   empty) or -LINUX_EFAULT. */
static int64_t take(ring *r, void *buf, uint64_t len, bool peek)
{
    ring_shared *s = r->sh;
    px_shared_lock(&s->read_lock);
    uint64_t tail = __atomic_load_n(&s->tail, __ATOMIC_RELAXED);
    uint64_t used = __atomic_load_n(&s->head, __ATOMIC_ACQUIRE) - tail;
    if (!used) {
        px_shared_unlock(&s->read_lock);
        return 0;
    }
    uint64_t n = len < used ? len : used;
    int64_t got = ring_copy_out(r, tail, buf, n);
    if (got > 0 && !peek) __atomic_store_n(&s->tail, tail + (uint64_t)got, __ATOMIC_RELEASE);
    px_shared_unlock(&s->read_lock);
    if (got > 0 && !peek) {
        wake(r, WRITERS);
        if ((uint64_t)got < used) wake(r, READERS); /* bytes left for another reader, as Linux wakes the next */
    }
    return got;
}

/* The next record, up to len of its bytes into buf, the rest of it dropped (peek: all
   left there): the count copied, *whole its length; *found false when there is none.
   A bad buffer leaves the record (-LINUX_EFAULT). */
static int64_t take_record(ring *r, void *buf, uint64_t len, bool peek, uint64_t *whole, bool *found)
{
    ring_shared *s = r->sh;
    px_shared_lock(&s->read_lock);
    uint64_t tail = __atomic_load_n(&s->tail, __ATOMIC_RELAXED);
    *found = __atomic_load_n(&s->head, __ATOMIC_ACQUIRE) != tail;
    if (!*found) {
        px_shared_unlock(&s->read_lock);
        return 0;
    }
    uint32_t record = record_length_at(r, tail);
    *whole = record;
    uint64_t n = len < record ? len : record;
    int64_t got = n ? ring_copy_out(r, tail + 4, buf, n) : 0;
    if (got < (int64_t)n) got = -LINUX_EFAULT;
    bool consumed = got >= 0 && !peek;
    if (consumed) {
        __atomic_store_n(&s->tail, tail + 4 + record, __ATOMIC_RELEASE);
        __atomic_sub_fetch(&s->queued, 1, __ATOMIC_ACQ_REL);
    }
    bool more = __atomic_load_n(&s->head, __ATOMIC_ACQUIRE) != tail + 4 + record;
    px_shared_unlock(&s->read_lock);
    if (consumed) {
        wake(r, WRITERS);
        if (more) wake(r, READERS);
    }
    return got;
}

/* The receiving half of read(2) and recv(2) on an end that reads: the count (records:
   the bytes copied of the next one, *whole its length), 0 at the end (*ended: the
   writers are gone and nothing is left), -LINUX_EAGAIN (PX_RING_NONBLOCK), -LINUX_EFAULT,
   or PX_WOULD_BLOCK (wait_on POLLIN, then again). */
static int64_t ring_recv(px_file *f, void *buf, uint64_t len, unsigned flags, uint64_t *whole, bool *ended)
{
    ring_end *e = f->data;
    ring *r = e->r;
    bool records = r->sh->messages != 0, peek = (flags & PX_RING_PEEK) != 0;
    *ended = false;
    *whole = 0;
    if (len == 0 && !records) return 0;
    if (len > MAX_IO_CHUNK) len = MAX_IO_CHUNK;
    bool enlisted = false;
    for (uint32_t spin = 0;; spin++) {
        bool found = false;
        int64_t got = records ? take_record(r, buf, len, peek, whole, &found) : take(r, buf, len, peek);
        if (records ? found : got != 0) {
            if (!records && got > 0) *whole = (uint64_t)got;
            return got;
        }
        if (!peer_open(f) || __atomic_load_n(&r->sh->shut[READERS], __ATOMIC_ACQUIRE)) { /* what is left, then the end */
            got = records ? take_record(r, buf, len, peek, whole, &found) : take(r, buf, len, peek);
            if (records ? found : got != 0) {
                if (!records && got > 0) *whole = (uint64_t)got;
                return got;
            }
            *ended = true;
            return 0;
        }
        if (flags & PX_RING_NONBLOCK) return -LINUX_EAGAIN;
        if (enlisted) return PX_WOULD_BLOCK; /* the handler waits: ring_wait_on */
        if (spin < SPIN_PAUSES) {
            relax();
            if ((spin & SPIN_YIELD_MASK) == SPIN_YIELD_MASK) px_host_yield();
            continue;
        }
        enlist(r, READERS); /* then one more look: a writer that came meanwhile saw us */
        enlisted = true;
    }
}

static int64_t ring_read(px_file *f, void *buf, uint64_t len)
{
    uint64_t whole;
    bool ended;
    return ring_recv(f, buf, len, (f->status_flags & LINUX_O_NONBLOCK) ? PX_RING_NONBLOCK : 0, &whole, &ended);
}

/* Puts up to len bytes of buf in (at least need, else nothing; record: as one record of
   len bytes): the count, 0 when there is not room for need, or -LINUX_EFAULT. */
static int64_t put(ring *r, const void *buf, uint64_t len, uint64_t need, bool record)
{
    ring_shared *s = r->sh;
    px_shared_lock(&s->write_lock);
    uint64_t head = __atomic_load_n(&s->head, __ATOMIC_RELAXED);
    uint64_t room = s->capacity - (head - __atomic_load_n(&s->tail, __ATOMIC_ACQUIRE));
    if (room < need) {
        px_shared_unlock(&s->write_lock);
        return 0;
    }
    int64_t got;
    if (record) {
        uint32_t word = (uint32_t)len;
        ring_copy_in(r, head, &word, sizeof word);
        got = len ? ring_copy_in(r, head + 4, buf, len) : 0;
        if (got < (int64_t)len) got = -LINUX_EFAULT; /* a record goes whole or not at all */
        if (got >= 0) {
            __atomic_add_fetch(&s->queued, 1, __ATOMIC_ACQ_REL);
            __atomic_store_n(&s->head, head + 4 + len, __ATOMIC_RELEASE);
        }
    } else {
        got = ring_copy_in(r, head, buf, len < room ? len : room);
        /* a short copy of an atomic write (a bad page) still goes in: Linux copies page by page too */
        if (got > 0) __atomic_store_n(&s->head, head + (uint64_t)got, __ATOMIC_RELEASE);
    }
    px_shared_unlock(&s->write_lock);
    if (got > 0 || (record && got == 0)) wake(r, READERS);
    return record && got == 0 ? PX_RING_EMPTY_RECORD : got;
}

/* The sending half of write(2) and send(2): the count, -LINUX_EPIPE (no reader left),
   -LINUX_EAGAIN, -LINUX_EMSGSIZE (a record larger than the ring), -LINUX_EFAULT or
   PX_WOULD_BLOCK. */
static int64_t ring_send(px_file *f, const void *buf, uint64_t len, unsigned flags)
{
    ring_end *e = f->data;
    ring *r = e->r;
    bool records = r->sh->messages != 0;
    if (len == 0 && !records) return 0;
    if (records && len + 4 > r->sh->capacity) return -LINUX_EMSGSIZE;
    if (len > MAX_IO_CHUNK) len = MAX_IO_CHUNK;
    /* up to PIPE_BUF bytes go in at once or not at all; more go in as room appears (the
       handler writes the rest of a blocking write, px_file_write_blocking); a record whole */
    uint64_t need = records ? len + 4 : len <= RING_ATOMIC ? len : 1;
    bool enlisted = false;
    for (uint32_t spin = 0;; spin++) {
        if (!peer_open(f) || __atomic_load_n(&r->sh->shut[WRITERS], __ATOMIC_ACQUIRE))
            return -LINUX_EPIPE; /* SIGPIPE: the handler */
        int64_t put_n = put(r, buf, len, need, records);
        if (put_n == PX_RING_EMPTY_RECORD) return 0;
        if (put_n != 0) return put_n;
        if (flags & PX_RING_NONBLOCK) return -LINUX_EAGAIN;
        if (enlisted) return PX_WOULD_BLOCK;
        if (spin < SPIN_PAUSES) {
            relax();
            if ((spin & SPIN_YIELD_MASK) == SPIN_YIELD_MASK) px_host_yield();
            continue;
        }
        enlist(r, WRITERS);
        enlisted = true;
    }
}

static int64_t ring_write(px_file *f, const void *buf, uint64_t len)
{
    return ring_send(f, buf, len, (f->status_flags & LINUX_O_NONBLOCK) ? PX_RING_NONBLOCK : 0);
}

/* What a blocked read (POLLIN) or write waits on: its semaphore, and the token now and
   then (peer_open). */
static int64_t ring_wait_on(px_file *f, uint32_t events, px_wait_on *w)
{
    ring_end *e = f->data;
    px_host_handle sem = sem_of(e->r, events == LINUX_POLLIN ? READERS : WRITERS);
    if (!sem) return -LINUX_ENOMEM;
    px_wait_on_add(w, sem);
    w->retry_ns = PEER_CHECK_NS;
    return 0;
}

static int64_t ring_readable_bytes(px_file *f) { return px_pipe_ring_queued(f, false); }

int64_t px_pipe_ring_queued(px_file *f, bool first_record)
{
    ring_end *e = f->data;
    ring *r = e->r;
    ring_shared *s = r->sh;
    if (!s->messages) return (int64_t)used_of(s);
    if (!first_record) { /* the records' bytes, less their length words */
        uint64_t used = used_of(s), words = 4 * __atomic_load_n(&s->queued, __ATOMIC_ACQUIRE);
        return used > words ? (int64_t)(used - words) : 0;
    }
    px_shared_lock(&s->read_lock);
    uint64_t tail = s->tail;
    int64_t n = __atomic_load_n(&s->head, __ATOMIC_ACQUIRE) != tail ? record_length_at(r, tail) : 0;
    px_shared_unlock(&s->read_lock);
    return n;
}

/* Linux's pipe_poll: readable with bytes, POLLHUP once every writer is gone; writable
   with room for PIPE_BUF bytes, POLLERR (and writable) once every reader is gone. */
static uint32_t ring_poll(px_file *f, uint32_t events)
{
    ring_end *e = f->data;
    ring_shared *s = e->r->sh;
    uint32_t ready = 0;
    uint64_t used = used_of(s);
    if (e->reader) {
        if (used) ready |= LINUX_POLLIN | LINUX_POLLRDNORM;
        if (!peer_open(f)) ready |= LINUX_POLLHUP;
    } else {
        /* with every reader gone a write fails at once (EPIPE): writable, whatever a
           writer put in before it saw a killed reader go (Linux never took those bytes) */
        bool readers = peer_open(f);
        if (!readers || s->capacity - used >= RING_ATOMIC) ready |= LINUX_POLLOUT | LINUX_POLLWRNORM;
        if (!readers) ready |= LINUX_POLLERR;
    }
    return ready;
}

/* poll's wake-up object: this end's semaphore, with us counted in (the poll handler
   re-checks every PEER_CHECK_NS too: the file's poll_recheck_ns). */
static void *ring_poll_handle(px_file *f)
{
    ring_end *e = f->data;
    ring *r = e->r;
    int which = e->reader ? READERS : WRITERS;
    px_host_handle sem = sem_of(r, which);
    if (!sem) return NULL;
    enlist(r, which);
    /* a change between poll's check and our counting in saw no waiter: wake ourselves */
    if (ring_poll(f, LINUX_POLLIN | LINUX_POLLOUT)) px_host_semaphore_release(sem, 1);
    return sem;
}

static int64_t ring_stat(px_file *f, px_stat_info *st)
{
    ring_end *e = f->data;
    memset(st, 0, sizeof *st);
    st->mode = LINUX_S_IFIFO | 0600;
    st->dev = 0xc; /* pipefs */
    st->ino = e->r->sh->ino;
    st->nlink = 1;
    st->uid = px_current_fsuid();
    st->gid = px_current_fsgid();
    st->blksize = 4096;
    return 0;
}

static int64_t ring_ioctl(px_file *f, uint64_t request, uint64_t arg) { return -LINUX_ENOTTY; }

/* Sections of rings handed to a new process, kept a while after the ring went here: the
   receiver opens the section by name, and an execve into a new process closes the
   sender's files before the receiver runs (a fork's parent waits for its child). The
   oldest goes when the table is full. */
#define PARKED_MAX 64
static px_host_handle parked[PARKED_MAX];
static uint32_t parked_next;
static px_host_rwlock parked_lock = PX_HOST_RWLOCK_INIT;

static void park(px_host_handle section)
{
    px_host_rwlock_lock(&parked_lock);
    px_host_handle old = parked[parked_next];
    parked[parked_next] = section;
    parked_next = (parked_next + 1) % PARKED_MAX;
    px_host_rwlock_unlock(&parked_lock);
    if (old) px_host_close(old);
}

static void ring_unref(ring *r)
{
    if (__atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL)) return;
    if (r->sh) px_host_view_unmap(r->sh);
    if (__atomic_load_n(&r->sent, __ATOMIC_ACQUIRE)) park(r->section);
    else px_host_close(r->section);
    px_host_close(r->sems[0]);
    px_host_close(r->sems[1]);
    px_free(r);
}

/* Takes the end out of the counts: true when it was the last of its side. */
static bool drop_count(ring_end *e)
{
    ring_shared *s = e->r->sh;
    uint32_t *count = e->reader ? &s->readers : &s->writers;
    uint32_t left = __atomic_load_n(count, __ATOMIC_ACQUIRE);
    while (left && !__atomic_compare_exchange_n(count, &left, left - 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    }
    return left == 1;
}

static void ring_release(px_file *f)
{
    ring_end *e = f->data;
    ring *r = e->r;
    px_host_rwlock_lock(&ends_lock);
    bool last = !e->dropped && drop_count(e);
    e->dropped = true;
    if (e->prev) e->prev->next = e->next;
    else ends = e->next;
    if (e->next) e->next->prev = e->prev;
    px_host_rwlock_unlock(&ends_lock);
    px_host_close(f->handle); /* the token: before the wake-up, so a woken peer that asks it knows */
    if (last) wake(r, e->reader ? WRITERS : READERS); /* the last one: EPIPE or end of file for the other side */
    ring_unref(r);
    px_free(e);
}

void px_pipe_ring_process_exit(void)
{
    /* the process does not close its files as it ends: its ends leave the counts here,
       before its parent can see it gone, so a pipeline's reader sees the end at once */
    px_host_rwlock_lock(&ends_lock);
    for (ring_end *e = ends; e; e = e->next) {
        if (e->dropped) continue;
        e->dropped = true;
        if (drop_count(e)) wake(e->r, e->reader ? WRITERS : READERS);
    }
    px_host_rwlock_unlock(&ends_lock);
}

/* --- making and handing over --- */

static const px_file_ops ring_ops;

static px_file *end_file(ring *r, px_host_handle token, bool reader, uint32_t status_flags)
{
    ring_end *e = px_calloc(1, sizeof *e);
    px_file *f = e ? px_file_new(&ring_ops, token, status_flags) : NULL;
    if (!f) {
        px_free(e);
        return NULL;
    }
    __atomic_add_fetch(&r->refs, 1, __ATOMIC_ACQ_REL);
    e->r = r;
    e->reader = reader;
    e->peer_checked = now_ns();
    f->data = e;
    px_host_rwlock_lock(&ends_lock);
    e->next = ends;
    if (ends) ends->prev = e;
    ends = e;
    px_host_rwlock_unlock(&ends_lock);
    return f;
}

/* Maps the section into a new ring (refs 0: the files take theirs). */
static ring *ring_map(px_host_handle section, const char *name)
{
    ring *r = px_calloc(1, sizeof *r);
    if (!r) return NULL;
    r->section = section;
    snprintf(r->name, sizeof r->name, "%s", name);
    r->sh = px_host_view_map(section, 0, RING_HEADER + RING_MAX, NULL, true);
    if (!r->sh) {
        px_free(r);
        return NULL;
    }
    r->buf = (uint8_t *)r->sh + RING_HEADER;
    return r;
}

static uint64_t next_ino = 200000;
static uint32_t next_name;

/* How a new ring is made: its capacity, records or a byte stream, and its semaphores'
   names when they are not its own (NULL). */
typedef struct ring_setup {
    const char *prefix;       /* the objects' names start so: "Local\picolx-<kind>-" */
    uint32_t capacity;
    bool records;
    const char *wake_names[2];
} ring_setup;

static int64_t ring_new(px_file **read_end, px_file **write_end, uint32_t status_flags, const ring_setup *setup)
{
    px_host_handle tr, tw;
    int64_t made = px_host_pipe_new(&tr, &tw, 0);
    if (made < 0) return made;
    px_host_handle section = NULL;
    char name[48];
    for (int tries = 0; tries < 8 && !section; tries++) {
        snprintf(name, sizeof name, "%s%x-%x-", setup->prefix, px_host_pid(),
                 __atomic_add_fetch(&next_name, 1, __ATOMIC_RELAXED));
        wchar_t wname[80];
        size_t n = 0;
        for (const char *p = name; *p; p++) wname[n++] = (wchar_t)*p;
        memcpy(wname + n, L"s", 2 * sizeof(wchar_t));
        bool existed = false;
        section = px_host_section_new(NULL, RING_HEADER + RING_MAX, true, false, wname, &existed);
        if (section && existed) { /* a pid's objects of an earlier life, still held somewhere */
            px_host_close(section);
            section = NULL;
        }
    }
    ring *r = section ? ring_map(section, name) : NULL;
    if (!r) {
        if (section) px_host_close(section);
        px_host_close(tr);
        px_host_close(tw);
        return -LINUX_ENOMEM;
    }
    r->sh->capacity = setup->capacity;
    r->sh->messages = setup->records;
    for (int i = 0; i < 2; i++)
        if (setup->wake_names[i]) snprintf(r->sh->wake_names[i], sizeof r->sh->wake_names[i], "%s", setup->wake_names[i]);
    r->sh->readers = r->sh->writers = 1;
    r->sh->ino = __atomic_add_fetch(&next_ino, 1, __ATOMIC_RELAXED);
    r->refs = 1; /* ours until both files hold theirs */
    *read_end = end_file(r, tr, true, LINUX_O_RDONLY | status_flags);
    *write_end = *read_end ? end_file(r, tw, false, LINUX_O_WRONLY | status_flags) : NULL;
    if (!*write_end) {
        if (*read_end) px_file_unref(*read_end); else px_host_close(tr);
        px_host_close(tw);
        ring_unref(r);
        return -LINUX_ENOMEM;
    }
    ring_unref(r);
    return 0;
}

int64_t px_pipe_ring_create(px_file **read_end, px_file **write_end, uint32_t status_flags)
{
    ring_setup setup = {.prefix = "Local\\picolx-pipe-", .capacity = PX_PIPE_CAPACITY};
    return ring_new(read_end, write_end, status_flags, &setup);
}

int64_t px_pipe_ring_create_crossed(px_file *rx[2], px_file *tx[2], bool records, uint32_t capacity)
{
    char wake[2][48];
    uint32_t serial = __atomic_add_fetch(&next_name, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < 2; i++) snprintf(wake[i], sizeof wake[i], "Local\\picolx-sock-%x-%x-e%d", px_host_pid(), serial, i);
    /* ring a goes from end 0 to end 1, ring b back: end i sleeps on wake[i] for both */
    ring_setup a = {.prefix = "Local\\picolx-sock-", .capacity = capacity, .records = records,
                    .wake_names = {wake[1], wake[0]}};
    ring_setup b = a;
    b.wake_names[0] = wake[0];
    b.wake_names[1] = wake[1];
    int64_t r = ring_new(&rx[1], &tx[0], 0, &a);
    if (r < 0) return r;
    r = ring_new(&rx[0], &tx[1], 0, &b);
    if (r < 0) {
        px_file_unref(rx[1]);
        px_file_unref(tx[0]);
    }
    return r;
}

int64_t px_pipe_ring_recv(px_file *rx, void *buf, uint64_t len, unsigned flags, uint64_t *whole, bool *ended)
{
    return ring_recv(rx, buf, len, flags, whole, ended);
}

int64_t px_pipe_ring_send(px_file *tx, const void *buf, uint64_t len, unsigned flags)
{
    return ring_send(tx, buf, len, flags);
}

void px_pipe_ring_shut(px_file *end)
{
    ring_end *e = end->data;
    __atomic_store_n(&e->r->sh->shut[e->reader ? READERS : WRITERS], 1, __ATOMIC_RELEASE);
    wake(e->r, READERS); /* both sides see it: the end, or EPIPE */
    wake(e->r, WRITERS);
}

bool px_pipe_ring_side_shut(px_file *end)
{
    ring_end *e = end->data;
    return __atomic_load_n(&e->r->sh->shut[e->reader ? READERS : WRITERS], __ATOMIC_ACQUIRE) != 0;
}

bool px_pipe_ring_shut_by_peer(px_file *end)
{
    ring_end *e = end->data;
    return __atomic_load_n(&e->r->sh->shut[e->reader ? WRITERS : READERS], __ATOMIC_ACQUIRE) != 0;
}

void px_pipe_ring_wake_readers(px_file *end) { wake(((ring_end *)end->data)->r, READERS); }

bool px_pipe_ring_empty(px_file *rx) { return used_of(((ring_end *)rx->data)->r->sh) == 0; }

bool px_pipe_ring_peer_open(px_file *end) { return peer_open(end); }

bool px_pipe_ring_has_room(px_file *tx)
{
    ring_end *e = tx->data;
    ring_shared *s = e->r->sh;
    return s->capacity - used_of(s) >= (s->messages ? s->capacity / 4 : RING_ATOMIC);
}

uint64_t px_pipe_ring_ino(px_file *end) { return ((ring_end *)end->data)->r->sh->ino; }

void *px_pipe_ring_poll_handle_crossed(px_file *rx, px_file *tx, bool hangs_up)
{
    ring_end *er = rx->data, *et = tx->data;
    px_host_handle sem = sem_of(er->r, READERS); /* the end's one semaphore: tx's writers' too */
    if (!sem) return NULL;
    enlist(er->r, READERS);
    bool ready = used_of(er->r->sh) || px_pipe_ring_side_shut(rx) || (hangs_up && !peer_open(rx));
    if (!px_pipe_ring_has_room(tx)) {
        enlist(et->r, WRITERS);
        ready = ready || px_pipe_ring_has_room(tx) || !peer_open(tx);
    }
    /* a change between poll's check and our counting in saw no waiter: wake ourselves */
    if (ready) px_host_semaphore_release(sem, 1);
    return sem;
}

/* A new process (fd_handoff.h): the token is duplicated, the section opened there by its
   name. The end is counted now, for the receiver: the sender may close its own before the
   receiver runs (execve into a new process). */
typedef struct ring_handoff_state {
    char name[48];
    uint8_t reader;
} ring_handoff_state;

static size_t ring_handoff_save(px_file *f, void *state)
{
    ring_end *e = f->data;
    ring_handoff_state s = {.reader = e->reader};
    memcpy(s.name, e->r->name, sizeof s.name);
    __atomic_add_fetch(e->reader ? &e->r->sh->readers : &e->r->sh->writers, 1, __ATOMIC_ACQ_REL);
    __atomic_store_n(&e->r->sent, true, __ATOMIC_RELEASE);
    memcpy(state, &s, sizeof s);
    return sizeof s;
}

static px_file *ring_handoff_rebuild(const px_handoff_file *hf)
{
    ring_handoff_state s;
    if (hf->state_len != sizeof s || !hf->handle) return NULL;
    memcpy(&s, hf->state, sizeof s);
    s.name[sizeof s.name - 1] = 0;
    ring probe = {0};
    snprintf(probe.name, sizeof probe.name, "%s", s.name);
    wchar_t wname[80];
    object_name(&probe, "s", wname, PX_ARRAY_LEN(wname));
    px_host_handle section = px_host_section_open(wname, true);
    ring *r = section ? ring_map(section, s.name) : NULL;
    if (!r) {
        if (section) px_host_close(section);
        return NULL;
    }
    r->refs = 1;
    px_file *f = end_file(r, hf->handle, s.reader != 0, hf->status_flags); /* the sender counted it */
    ring_unref(r);
    return f;
}

const px_file_handoff px_pipe_ring_handoff = {
    .kind = PX_HANDOFF_PIPE_RING, .save = ring_handoff_save, .rebuild = ring_handoff_rebuild};

size_t px_pipe_ring_save_ends(px_file *rx, px_file *tx, void *out, uint32_t lens[2])
{
    /* each end's state is small (a name and a side): both fit a record */
    lens[0] = (uint32_t)ring_handoff_save(rx, out);
    lens[1] = (uint32_t)ring_handoff_save(tx, (uint8_t *)out + lens[0]);
    return (size_t)lens[0] + lens[1];
}

int64_t px_pipe_ring_park_ends(px_file *rx, px_file *tx, px_host_handle keeper, px_ring_parcel *out)
{
    _Static_assert(2 * sizeof(ring_handoff_state) <= sizeof out->states, "both states fit a parcel");
    memset(out, 0, sizeof *out);
    px_file *ends[2] = {rx, tx};
    for (int i = 0; i < 2; i++) {
        px_host_handle token, section;
        if (px_host_handle_dup(ends[i]->handle, keeper, false, &token) < 0) goto failed;
        out->tokens[i] = (uint64_t)(uintptr_t)token;
        if (px_host_handle_dup(((ring_end *)ends[i]->data)->r->section, keeper, false, &section) < 0) goto failed;
        out->sections[i] = (uint64_t)(uintptr_t)section;
    }
    px_pipe_ring_save_ends(rx, tx, out->states, out->lens); /* counted as sent: the taker's */
    return 0;
failed:
    px_pipe_ring_drop_parcel(out, keeper);
    return -LINUX_ENOMEM;
}

void px_pipe_ring_drop_parcel(const px_ring_parcel *p, px_host_handle keeper)
{
    for (int i = 0; i < 2; i++) {
        if (p->tokens[i]) px_host_handle_close_in(keeper, p->tokens[i]);
        if (p->sections[i]) px_host_handle_close_in(keeper, p->sections[i]);
    }
}

int64_t px_pipe_ring_unpark_ends(const px_ring_parcel *p, px_host_handle keeper, px_file **rx, px_file **tx)
{
    px_host_handle tokens[2] = {NULL, NULL};
    int64_t r = 0;
    int tried = 0; /* a take closes the keeper's handle even when it fails */
    for (; tried < 2 && r == 0; tried++) r = px_host_handle_take(keeper, p->tokens[tried], &tokens[tried]);
    px_handoff_file hf = {.handle = tokens[0], .aux_handle = tokens[1]};
    /* the sections stay open in the keeper until the ends here have opened theirs */
    if (r == 0 && !px_pipe_ring_rebuild_ends(&hf, p->states, p->lens, rx, tx)) r = -LINUX_ENOMEM;
    if (r < 0) {
        for (int i = 0; i < 2; i++)
            if (tokens[i]) px_host_close(tokens[i]);
        for (int i = tried; i < 2; i++) px_host_handle_close_in(keeper, p->tokens[i]);
    }
    for (int i = 0; i < 2; i++) px_host_handle_close_in(keeper, p->sections[i]);
    return r;
}

bool px_pipe_ring_rebuild_ends(const px_handoff_file *hf, const void *states, const uint32_t lens[2], px_file **rx,
                               px_file **tx)
{
    px_handoff_file rx_hf = {.handle = hf->handle, .status_flags = LINUX_O_RDONLY, .state = states, .state_len = lens[0]};
    px_handoff_file tx_hf = {.handle = hf->aux_handle, .status_flags = LINUX_O_WRONLY,
                             .state = (const uint8_t *)states + lens[0], .state_len = lens[1]};
    *rx = ring_handoff_rebuild(&rx_hf);
    *tx = *rx ? ring_handoff_rebuild(&tx_hf) : NULL;
    if (*tx) return true;
    if (*rx) { /* its handle is the caller's to close */
        (*rx)->handle = NULL;
        px_file_unref(*rx);
        *rx = NULL;
    }
    return false;
}

static const px_file_ops ring_ops = {
    .read = ring_read,
    .write = ring_write,
    .stat = ring_stat,
    .ioctl = ring_ioctl,
    .readable_bytes = ring_readable_bytes,
    .poll = ring_poll,
    .poll_handle = ring_poll_handle,
    .poll_recheck_ns = PEER_CHECK_NS,
    .wait_on = ring_wait_on,
    .release = ring_release,
    .handoff = &px_pipe_ring_handoff,
};

bool px_pipe_is_ring(const px_file *f) { return f->ops == &ring_ops; }

int64_t px_pipe_ring_set_capacity(px_file *f, uint32_t capacity)
{
    ring_end *e = f->data;
    ring *r = e->r;
    ring_shared *s = r->sh;
    if (capacity > RING_MAX) return -LINUX_ENOMEM; /* the section has room for pipe-max-size */
    px_shared_lock(&s->write_lock);
    px_shared_lock(&s->read_lock);
    uint64_t tail = s->tail, used = s->head - tail;
    int64_t res = capacity;
    uint8_t *held = used ? px_alloc((size_t)used) : NULL;
    if (used > capacity) res = -LINUX_EBUSY;
    else if (used && !held) res = -LINUX_ENOMEM;
    else if (capacity != s->capacity) {
        /* the bytes held move to where the new capacity puts them */
        for (uint64_t i = 0; i < used; i++) held[i] = r->buf[(tail + i) % s->capacity];
        for (uint64_t i = 0; i < used; i++) r->buf[(tail + i) % capacity] = held[i];
        s->capacity = capacity;
    }
    px_shared_unlock(&s->read_lock);
    px_shared_unlock(&s->write_lock);
    px_free(held);
    if (res > 0) wake(r, WRITERS);
    return res;
}

uint32_t px_pipe_ring_capacity(px_file *f)
{
    ring_end *e = f->data;
    return __atomic_load_n(&e->r->sh->capacity, __ATOMIC_RELAXED);
}

bool px_pipe_ring_same(const px_file *a, const px_file *b)
{
    return ((const ring_end *)a->data)->r->sh == ((const ring_end *)b->data)->r->sh ||
           !strcmp(((const ring_end *)a->data)->r->name, ((const ring_end *)b->data)->r->name);
}

int64_t px_pipe_ring_tee(px_file *in, px_file *out, uint64_t len, bool nonblock, bool *wait_for_room)
{
    ring *ri = ((ring_end *)in->data)->r, *ro = ((ring_end *)out->data)->r;
    ring_shared *si = ri->sh, *so = ro->sh;
    *wait_for_room = false;
    if (len > RING_MAX) len = RING_MAX;
    for (bool enlisted = false;; enlisted = true) {
        uint64_t used = used_of(si);
        uint64_t room = so->capacity - used_of(so);
        if (!peer_open(out)) return -LINUX_EPIPE;
        if (used && room) {
            uint64_t n = len < used ? len : used;
            if (n > room) n = room;
            uint8_t *tmp = px_alloc((size_t)n);
            if (!tmp) return -LINUX_ENOMEM;
            /* a look at in's bytes, under its readers' lock so none is taken meanwhile */
            px_shared_lock(&si->read_lock);
            uint64_t tail = si->tail;
            uint32_t cap = si->capacity;
            uint64_t now_used = __atomic_load_n(&si->head, __ATOMIC_ACQUIRE) - tail;
            if (n > now_used) n = now_used;
            for (uint64_t i = 0; i < n;) {
                uint32_t off = (uint32_t)((tail + i) % cap);
                uint64_t step = n - i < cap - off ? n - i : cap - off;
                memcpy(tmp + i, ri->buf + off, (size_t)step);
                i += step;
            }
            px_shared_unlock(&si->read_lock);
            int64_t put_n = n ? put(ro, tmp, n, 1, false) : 0;
            px_free(tmp);
            if (put_n != 0) return put_n;
            continue; /* it changed under us: look again */
        }
        if (!used && !peer_open(in)) return 0;
        if (nonblock) return -LINUX_EAGAIN;
        if (enlisted) {
            *wait_for_room = used != 0;
            return PX_WOULD_BLOCK;
        }
        enlist(used ? ro : ri, used ? WRITERS : READERS);
    }
}
