/* Advisory locks: flock(2) and fcntl(2) record locks (F_GETLK, F_SETLK, F_SETLKW and the
   F_OFD_* forms), kept in one table shared by every picolx process of the session, so
   that two guests (two sqlite3 on one database, two flock(1)) exclude each other.

   The table is a named section on the paging file (TABLE_NAME) of fixed-size records,
   guarded by a named mutex. A record names the file by its identity as picolx's fstat
   gives it (st_dev, st_ino, plus a scope: 0 for drvfs, whose identity is the volume
   serial and the Windows file index; the store for lxfs, whose inodes are per store;
   the process for files only it can see, such as its tmpfs), the kind (POSIX, OFD,
   FLOCK), the owner (POSIX: the process; OFD and flock: the open file description,
   named by its creator's pid and a serial), the type and the range, and the process
   whose death drops it (the holder).

   Linux's rules: POSIX locks belong to the process (its own never conflict, ranges merge
   and split, closing any fd of the file drops them), OFD and flock locks to the open file
   description (dropped at its last close); flock and fcntl locks do not interact.

   A process that died keeps nothing: whoever finds one of its records in the way checks
   it (OpenProcess, its start time against pid reuse) and drops all of its records; a
   full table is swept the same way. The mutex may come back abandoned (a process died
   holding it): every update is made so that the table is valid at each step (a record
   is written whole before its `used` word is set; a freed record is one store), and the
   next owner checks it (repair). Waiters do not poll: each registers a waiter record and
   sleeps on an event of its own, which every change to that file's locks sets, and on
   the process holding the conflicting lock (its death wakes them); a timeout is the
   safety net. F_SETLKW between POSIX owners detects deadlocks (EDEADLK) by following
   the waiter records, as Linux does, up to DEADLOCK_DEPTH steps.

   For fork: a child that shares an open file description keeps its px_file_lock_state
   as is (the same owner: the OFD and flock locks are then the child's too, as on Linux),
   and its POSIX owner is its own pid. A record's holder is the process that set the
   lock, so a description's lock set by a parent that exits before the child goes with
   the parent: the process issue must give such records a holder per process (or keep
   a list of the processes holding each description). */
#include <string.h>
#include "fs/fs_internal.h"
#include "fs/vfs.h"
#include "core/uaccess.h"
#include "host/host_mem.h"
#include "host/host_named.h"
#include "host/host_process.h"
#include "host/host_sync.h"
#include "host/host_thread.h"

#define TABLE_NAME L"Local\\picolx-locks-v1"
#define MUTEX_NAME L"Local\\picolx-locks-v1-mutex"
#define WAKE_PREFIX L"Local\\picolx-locks-v1-wake-"
#define TABLE_MAGIC 0x3176736b636f6c70ull /* "plocksv1" */

enum {
    RECORD_CAPACITY = 4096,
    WAITER_CAPACITY = 256,
    WAIT_SAFETY_MS = 1000,  /* a wait re-checks at least this often, whatever it missed */
    DEADLOCK_DEPTH = 10,    /* Linux's MAX_DEADLK_ITERATIONS */
    POSIX_KEYS_MAX = 64,
};

typedef enum lock_kind { KIND_POSIX = 1, KIND_OFD, KIND_FLOCK } lock_kind;

/* A file's identity in the table. */
typedef px_lock_key lock_key;

#define SCOPE_STORE (1ull << 63)   /* lxfs: a hash of the store's directory */
#define SCOPE_PROCESS (1ull << 62) /* files of this process alone (tmpfs, pipes) */

/* id: the creator's pid << 32, | a serial for a description; time: the creator's start
   time (pids are reused) */
typedef px_lock_owner lock_owner;

typedef struct lock_record {
    volatile uint32_t used; /* set last when a record is made; one store frees it */
    uint8_t kind, type;     /* lock_kind; LINUX_F_RDLCK or LINUX_F_WRLCK */
    uint16_t reserved;
    lock_key key;
    lock_owner owner;
    int64_t start, end;     /* bytes [start, end]; end INT64_MAX: to the end of the file, always */
    uint32_t holder_pid, reserved2;
    uint64_t holder_time;
} lock_record;
_Static_assert(sizeof(lock_record) == 80, "lock_record is part of the shared table's layout");

typedef struct waiter_record {
    volatile uint32_t used;
    uint32_t pid, tid;      /* its wake event is WAKE_PREFIX<pid>-<tid> */
    uint32_t kind;
    lock_key key;
    lock_owner owner;       /* who waits */
    lock_owner blocked_on;  /* the owner of the lock it waits behind */
} waiter_record;
_Static_assert(sizeof(waiter_record) == 72, "waiter_record is part of the shared table's layout");

typedef struct lock_table {
    uint64_t magic;
    uint32_t record_capacity, waiter_capacity;
    volatile uint32_t record_limit;  /* records at and above it are free */
    volatile uint32_t waiter_limit;
    lock_record records[RECORD_CAPACITY];
    waiter_record waiters[WAITER_CAPACITY];
} lock_table;

static px_host_once table_once = PX_HOST_ONCE_INIT;
static lock_table *table;
static px_host_handle table_mutex;
static uint32_t self_pid;
static uint64_t self_time;
static uint32_t serial;

/* The files this process holds POSIX locks on, so that close need not visit the table
   for every other file (guarded by the table mutex; read without it only to skip). */
static lock_key posix_keys[POSIX_KEYS_MAX];
static volatile int posix_key_count;
static volatile bool posix_keys_overflow;

static bool key_eq(const lock_key *a, const lock_key *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->scope == b->scope;
}

static bool owner_eq(const lock_owner *a, const lock_owner *b) { return a->id == b->id && a->time == b->time; }

/* The Linux pid of this process (the process table's, task/ptable.c), which F_GETLK
   reports as a POSIX lock's l_pid; the Windows id until it is told. */
static volatile int32_t linux_pid;

void px_lock_set_pid(int32_t pid) { linux_pid = pid; }

static lock_owner posix_owner_self(void)
{
    uint32_t pid = linux_pid ? (uint32_t)linux_pid : self_pid;
    return (lock_owner){.id = (uint64_t)pid << 32, .time = self_time};
}

static uint64_t process_start_time(px_host_handle process)
{
    px_host_times t;
    if (px_host_process_times(process, &t) < 0) return 0;
    return (uint64_t)t.creation;
}

/* With the table's mutex held: a new table (all zeros) made empty; whether it is ours. */
static bool table_init(void *view)
{
    lock_table *t = view;
    if (t->magic == 0) {
        t->record_capacity = RECORD_CAPACITY;
        t->waiter_capacity = WAITER_CAPACITY;
        t->magic = TABLE_MAGIC;
    }
    return t->magic == TABLE_MAGIC && t->record_capacity == RECORD_CAPACITY && t->waiter_capacity == WAITER_CAPACITY;
}

static void table_open(void)
{
    self_pid = px_host_pid();
    self_time = process_start_time(px_host_self());
    px_host_handle mutex;
    lock_table *t = px_host_session_table_open(TABLE_NAME, MUTEX_NAME, sizeof(lock_table), table_init, &mutex);
    if (!t) return;
    table = t;
    table_mutex = mutex;
}

static bool table_ready(void)
{
    px_host_once_run(&table_once, table_open);
    return table != NULL;
}

/* --- records --- */

static void record_free(uint32_t i)
{
    table->records[i].used = 0;
    while (table->record_limit && !table->records[table->record_limit - 1].used) table->record_limit--;
}

/* Writes r whole into a free record, then marks it used. NULL: the table is full. */
static lock_record *record_add(const lock_record *r)
{
    for (uint32_t i = 0; i < RECORD_CAPACITY; i++) {
        lock_record *slot = &table->records[i];
        if (slot->used) continue;
        lock_record copy = *r;
        copy.used = 0;
        *slot = copy;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        slot->used = 1;
        if (i >= table->record_limit) table->record_limit = i + 1;
        return slot;
    }
    return NULL;
}

static uint32_t free_record_count(void)
{
    uint32_t used = 0;
    for (uint32_t i = 0; i < table->record_limit; i++) used += table->records[i].used != 0;
    return RECORD_CAPACITY - used;
}

static void waiter_free(uint32_t i)
{
    table->waiters[i].used = 0;
    while (table->waiter_limit && !table->waiters[table->waiter_limit - 1].used) table->waiter_limit--;
}

static void wake_name(wchar_t *out, uint32_t pid, uint32_t tid)
{
    px_host_name_pid_tid(out, 64, WAKE_PREFIX, pid, tid);
}

/* Sets the wake events of the waiters on key (every waiter: key NULL). A waiter whose
   event is gone died waiting: its record goes. */
static void wake_waiters(const lock_key *key)
{
    for (uint32_t i = 0; i < table->waiter_limit; i++) {
        waiter_record *w = &table->waiters[i];
        if (!w->used || (key && !key_eq(&w->key, key))) continue;
        wchar_t name[64];
        wake_name(name, w->pid, w->tid);
        if (!px_host_event_set_named(name)) waiter_free(i);
    }
}

/* Whether the process (pid, start time) still runs. One we may not open counts as alive. */
static bool process_alive(uint32_t pid, uint64_t time)
{
    if (pid == self_pid && time == self_time) return true;
    px_host_handle h;
    int64_t opened = px_host_process_open_checked(pid, &h);
    if (opened < 0) return opened == -LINUX_EACCES;
    uint64_t started = process_start_time(h);
    bool alive = px_host_wait(h, 0) == PX_HOST_TIMED_OUT && (started == 0 || time == 0 || started == time);
    px_host_close(h);
    return alive;
}

/* Drops every record a dead process held and the waits it was in. */
static void purge_holder(uint32_t pid, uint64_t time)
{
    for (uint32_t i = 0; i < table->record_limit; i++) {
        lock_record *e = &table->records[i];
        if (e->used && e->holder_pid == pid && e->holder_time == time) record_free(i);
    }
    for (uint32_t i = 0; i < table->waiter_limit; i++) {
        waiter_record *w = &table->waiters[i];
        if (w->used && w->pid == pid && w->owner.time == time) waiter_free(i);
    }
    wake_waiters(NULL);
}

/* Checks every holder in the table once (a full table, or after an abandoned mutex). */
static void sweep_dead(void)
{
    for (uint32_t i = 0; i < table->record_limit; i++) {
        lock_record *e = &table->records[i];
        if (!e->used) continue;
        uint32_t pid = e->holder_pid;
        uint64_t time = e->holder_time;
        bool seen = false; /* an earlier record of the same holder was checked already */
        for (uint32_t j = 0; j < i && !seen; j++)
            seen = table->records[j].used && table->records[j].holder_pid == pid && table->records[j].holder_time == time;
        if (!seen && !process_alive(pid, time)) purge_holder(pid, time);
    }
}

/* After an abandoned mutex: the dead owner may have stopped between any two stores.
   Records beyond the limit may be used, and any record it was writing must be valid. */
static void repair(void)
{
    uint32_t limit = 0;
    for (uint32_t i = 0; i < RECORD_CAPACITY; i++) {
        lock_record *e = &table->records[i];
        if (!e->used) continue;
        bool valid = e->kind >= KIND_POSIX && e->kind <= KIND_FLOCK &&
                     (e->type == LINUX_F_RDLCK || e->type == LINUX_F_WRLCK) && e->start >= 0 && e->start <= e->end;
        if (valid) limit = i + 1;
        else e->used = 0;
    }
    table->record_limit = limit;
    limit = 0;
    for (uint32_t i = 0; i < WAITER_CAPACITY; i++)
        if (table->waiters[i].used) limit = i + 1;
    table->waiter_limit = limit;
    sweep_dead();
}

static bool table_enter(void) { return px_host_table_enter(table_mutex, repair); }

static void table_leave(void) { px_host_mutex_release(table_mutex); }

/* --- the lock rules --- */

/* Whether a lock of (kind, owner) may coexist with e. POSIX and OFD locks are one family. */
static bool conflicts(const lock_record *e, lock_kind kind, const lock_owner *owner, int type, int64_t start,
                      int64_t end)
{
    if ((e->kind == KIND_FLOCK) != (kind == KIND_FLOCK)) return false;
    if (owner_eq(&e->owner, owner)) return false;
    if (e->type == LINUX_F_RDLCK && type == LINUX_F_RDLCK) return false;
    return e->start <= end && start <= e->end;
}

/* The first live lock in the way, dropping the locks of dead holders met on the way. */
static lock_record *find_conflict(const lock_key *key, lock_kind kind, const lock_owner *owner, int type,
                                  int64_t start, int64_t end)
{
    for (uint32_t i = 0; i < table->record_limit; i++) {
        lock_record *e = &table->records[i];
        if (!e->used || !key_eq(&e->key, key) || !conflicts(e, kind, owner, type, start, end)) continue;
        if (process_alive(e->holder_pid, e->holder_time)) return e;
        purge_holder(e->holder_pid, e->holder_time);
        i = (uint32_t)-1; /* from the start again: the records moved under the limit */
    }
    return NULL;
}

/* Takes [start, end] away from owner's locks of this kind on key (splitting a lock that
   straddles it). The caller made sure that one record is free for a split. */
static bool carve(const lock_key *key, lock_kind kind, const lock_owner *owner, int64_t start, int64_t end)
{
    bool changed = false;
    for (uint32_t i = 0; i < table->record_limit; i++) {
        lock_record *e = &table->records[i];
        if (!e->used || !key_eq(&e->key, key) || e->kind != kind || !owner_eq(&e->owner, owner) || e->end < start ||
            e->start > end)
            continue;
        changed = true;
        if (e->start < start && e->end > end) { /* the hole is inside: the right piece first */
            lock_record right = *e;
            right.start = end + 1;
            record_add(&right);
            e->end = start - 1;
        } else if (e->start < start) {
            e->end = start - 1;
        } else if (e->end > end) {
            e->start = end + 1;
        } else {
            record_free(i);
        }
    }
    return changed;
}

/* Adds owner's lock [start, end], merged with its locks of the same type that touch it,
   as Linux merges them. The range is free of owner's locks (carved). */
static void add_merged(const lock_record *r)
{
    lock_record merged = *r;
    uint32_t absorbed[2];
    int n = 0;
    for (uint32_t i = 0; i < table->record_limit && n < 2; i++) {
        lock_record *e = &table->records[i];
        if (!e->used || !key_eq(&e->key, &r->key) || e->kind != r->kind || !owner_eq(&e->owner, &r->owner) ||
            e->type != r->type)
            continue;
        if (e->end != INT64_MAX && e->end + 1 == r->start) {
            merged.start = e->start;
            absorbed[n++] = i;
        } else if (r->end != INT64_MAX && e->start == r->end + 1) {
            merged.end = e->end;
            absorbed[n++] = i;
        }
    }
    record_add(&merged); /* the new record first: a death in between leaves an overlap of one owner */
    for (int k = 0; k < n; k++) record_free(absorbed[k]);
}

static bool owner_has_locks(const lock_key *key, lock_kind kind, const lock_owner *owner)
{
    for (uint32_t i = 0; i < table->record_limit; i++) {
        const lock_record *e = &table->records[i];
        if (e->used && e->kind == kind && key_eq(&e->key, key) && owner_eq(&e->owner, owner)) return true;
    }
    return false;
}

/* Keeps posix_keys in step with whether this process holds POSIX locks on key. */
static void track_posix_key(const lock_key *key)
{
    lock_owner self = posix_owner_self();
    bool holds = owner_has_locks(key, KIND_POSIX, &self);
    int count = posix_key_count;
    for (int i = 0; i < count; i++) {
        if (!key_eq(&posix_keys[i], key)) continue;
        if (!holds) {
            posix_keys[i] = posix_keys[count - 1];
            posix_key_count = count - 1;
        }
        return;
    }
    if (!holds) return;
    if (count == POSIX_KEYS_MAX) posix_keys_overflow = true;
    else {
        posix_keys[count] = *key;
        posix_key_count = count + 1;
    }
}

static bool posix_key_tracked(const lock_key *key)
{
    if (posix_keys_overflow) return true;
    for (int i = 0; i < posix_key_count; i++)
        if (key_eq(&posix_keys[i], key)) return true;
    return false;
}

/* Whether waiting behind `blocker` (a POSIX owner) closes a circle of POSIX waiters back
   to this process. */
static bool would_deadlock(lock_owner blocker)
{
    lock_owner self = posix_owner_self();
    for (int depth = 0; depth < DEADLOCK_DEPTH; depth++) {
        const waiter_record *found = NULL;
        for (uint32_t i = 0; i < table->waiter_limit && !found; i++) {
            const waiter_record *w = &table->waiters[i];
            if (w->used && w->kind == KIND_POSIX && owner_eq(&w->owner, &blocker)) found = w;
        }
        if (!found) return false;
        if (owner_eq(&found->blocked_on, &self)) return true;
        blocker = found->blocked_on;
    }
    return false;
}

/* --- identity --- */

static uint64_t hash_store(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a, case-folded: Windows paths */
    for (; s && *s; s++) {
        char c = *s >= 'A' && *s <= 'Z' ? (char)(*s + 32) : *s == '/' ? '\\' : *s;
        h = (h ^ (uint8_t)c) * 0x100000001b3ull;
    }
    return h;
}

/* The scope of f's (st_dev, st_ino): who else can see the same file by that identity. */
static uint64_t scope_of(px_file *f)
{
    const char *type = f->mount ? f->mount->type->name : NULL;
    if (type ? strcmp(type, "drvfs") == 0 : f->ops->disk_data) return 0; /* volume serial + file index */
    if (type && strcmp(type, "lxfs") == 0) return SCOPE_STORE | (hash_store(f->mount->source) >> 2);
    if (type && strcmp(type, "tmpfs") == 0) { /* one store per root and mount point (pseudo/tmpfs.c) */
        const px_mount *root = px_vfs_mount_at(0);
        return SCOPE_STORE | ((hash_store(root ? root->source : NULL) * 31 ^ hash_store(f->mount->point)) >> 2);
    }
    return SCOPE_PROCESS | ((self_time * 0x9e3779b97f4a7c15ull ^ self_pid) >> 2);
}

static int64_t identify(px_file *f, lock_key *key)
{
    if (!f->lock.identified) {
        if (!f->ops->stat) return -LINUX_EINVAL;
        px_stat_info st;
        int64_t r = f->ops->stat(f, &st);
        if (r < 0) return r;
        f->lock.dev = st.dev;
        f->lock.ino = st.ino;
        f->lock.scope = scope_of(f);
        f->lock.identified = true;
    }
    *key = (lock_key){.dev = f->lock.dev, .ino = f->lock.ino, .scope = f->lock.scope};
    return 0;
}

/* The owner of f's OFD and flock locks, named on first use. */
static lock_owner description_owner(px_file *f)
{
    if (!f->lock.owner) { /* two threads naming it at once agree on the first name */
        f->lock.owner_time = self_time;
        uint64_t id = (uint64_t)self_pid << 32 | __atomic_add_fetch(&serial, 1, __ATOMIC_SEQ_CST);
        uint64_t none = 0;
        __atomic_compare_exchange_n(&f->lock.owner, &none, id, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    }
    return (lock_owner){.id = f->lock.owner, .time = f->lock.owner_time};
}

/* --- setting and waiting --- */

static bool own_waiter(int32_t slot)
{
    const waiter_record *w = &table->waiters[slot];
    return w->used && w->pid == self_pid && w->tid == px_host_thread_id() && w->owner.time == self_time;
}

/* After a wait: the holder's process handle, opened for it, is closed. */
static void lock_wait_done(px_wait_on *w, int fired)
{
    (void)fired;
    if (w->n > 1) px_host_close(w->handles[1]);
}

/* What lc waits on behind c: a change to its file's locks (its event), the death of c's
   holder, or the safety timeout. Its waiter record is made on the first wait and kept
   to the end of the call, so that a deadlock is seen by whoever closes the circle (as
   Linux, which checks only the new request). Called inside the table; leaves it. */
static void prepare_wait(px_lock_call *lc, const lock_record *c, px_wait_on *w)
{
    uint32_t pid = c->holder_pid;
    px_host_handle holder = pid == self_pid ? NULL : px_host_process_open(pid);
    if (lc->slot >= 0 && own_waiter(lc->slot)) {
        table->waiters[lc->slot].blocked_on = c->owner;
    } else {
        lc->slot = -1;
        for (uint32_t i = 0; i < WAITER_CAPACITY; i++) {
            waiter_record *wr = &table->waiters[i];
            if (wr->used) continue;
            *wr = (waiter_record){.pid = self_pid, .tid = px_host_thread_id(), .kind = (uint32_t)lc->kind,
                                  .key = lc->key, .owner = lc->owner, .blocked_on = c->owner};
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            wr->used = 1;
            if (i >= table->waiter_limit) table->waiter_limit = i + 1;
            lc->slot = (int32_t)i;
            break;
        }
    }
    table_leave();
    *w = (px_wait_on){.done = lock_wait_done};
    px_wait_on_add(w, lc->wake);
    px_wait_on_add(w, holder);
    /* with no waiter record free, nobody sets our event: the timeout alone */
    w->retry_ns = (lc->slot < 0 ? 10 : WAIT_SAFETY_MS) * 1000000ll;
}

/* The end of a call: its event closed (its waiter record is freed inside the table). */
static int64_t call_end(px_lock_call *lc, int64_t r)
{
    if (lc->wake) px_host_close(lc->wake);
    lc->wake = NULL;
    return r;
}

/* One try of lc: sets (type F_RDLCK/F_WRLCK) or removes (F_UNLCK) the lock, or, when
   a conflict is to be waited for, PX_WOULD_BLOCK with w filled (prepare_wait). */
int64_t px_lock_retry(px_lock_call *lc, px_wait_on *w)
{
    const lock_key *key = &lc->key;
    const lock_owner *owner = &lc->owner;
    lock_kind kind = (lock_kind)lc->kind;
    int type = lc->type;
    int64_t start = lc->start, end = lc->end;
    if (!table_enter()) return call_end(lc, -LINUX_ENOLCK); /* our waiter record, if any, goes with the process */
    int64_t r;
    lock_record *c = type == LINUX_F_UNLCK ? NULL : find_conflict(key, kind, owner, type, start, end);
    if (c) {
        r = -LINUX_EAGAIN;
        if (lc->wait && !lc->wake && kind == KIND_POSIX && c->kind == KIND_POSIX && would_deadlock(c->owner))
            r = -LINUX_EDEADLK;
        if (lc->wait && r == -LINUX_EAGAIN) {
            if (!lc->wake) {
                wchar_t name[64];
                wake_name(name, self_pid, px_host_thread_id());
                lc->wake = px_host_event_named(name, false, NULL);
                if (!lc->wake) r = -LINUX_ENOLCK;
            }
            if (lc->wake) {
                prepare_wait(lc, c, w);
                return PX_WOULD_BLOCK;
            }
        }
    } else if (free_record_count() < 2 && (sweep_dead(), free_record_count() < 2)) {
        /* room for a split and the new lock is made sure of first: nothing fails half-way */
        r = -LINUX_ENOLCK;
    } else {
        bool changed = carve(key, kind, owner, start, end);
        if (type != LINUX_F_UNLCK) {
            lock_record e = {.kind = (uint8_t)kind, .type = (uint8_t)type, .key = *key, .owner = *owner,
                             .start = start, .end = end, .holder_pid = self_pid, .holder_time = self_time};
            add_merged(&e);
        }
        if (changed) wake_waiters(key);
        if (kind == KIND_POSIX) track_posix_key(key);
        r = 0;
    }
    if (lc->slot >= 0 && own_waiter(lc->slot)) waiter_free((uint32_t)lc->slot);
    table_leave();
    return call_end(lc, r);
}

void px_lock_abandon(px_lock_call *lc)
{
    /* interrupted: give up the waiter record (the handler fails with EINTR) */
    if (table_enter()) {
        if (lc->slot >= 0 && own_waiter(lc->slot)) waiter_free((uint32_t)lc->slot);
        table_leave();
    }
    call_end(lc, 0);
}

/* A call of key's lock and its first try. */
static int64_t set_lock(px_lock_call *lc, const lock_key *key, lock_kind kind, const lock_owner *owner, int type,
                        int64_t start, int64_t end, bool wait, px_wait_on *w)
{
    *lc = (px_lock_call){.key = *key, .owner = *owner, .kind = kind, .type = type, .start = start, .end = end,
                         .wait = wait, .slot = -1};
    return px_lock_retry(lc, w);
}

int64_t px_lock_flock(px_file *f, uint32_t op, px_lock_call *call, px_wait_on *w)
{
    static const int type_of_op[] = {[LINUX_LOCK_SH] = LINUX_F_RDLCK, [LINUX_LOCK_EX] = LINUX_F_WRLCK,
                                     [LINUX_LOCK_UN] = LINUX_F_UNLCK};
    uint32_t base = op & ~(uint32_t)LINUX_LOCK_NB;
    lock_key key;
    if (base != LINUX_LOCK_SH && base != LINUX_LOCK_EX && base != LINUX_LOCK_UN) return -LINUX_EINVAL;
    if (f->status_flags & LINUX_O_PATH) return -LINUX_EBADF;
    if (!table_ready()) return -LINUX_ENOLCK;
    int64_t r = identify(f, &key);
    if (r < 0) return r;
    lock_owner owner = description_owner(f);
    /* a conversion drops the old lock first, as Linux does (not atomic there either) */
    if (base != LINUX_LOCK_UN) set_lock(call, &key, KIND_FLOCK, &owner, LINUX_F_UNLCK, 0, INT64_MAX, false, w);
    return set_lock(call, &key, KIND_FLOCK, &owner, type_of_op[base], 0, INT64_MAX, !(op & LINUX_LOCK_NB), w);
}

/* The byte range [start, end] of a struct flock, as Linux computes it. */
static int64_t range_of(px_file *f, const struct linux_flock *fl, int64_t *start, int64_t *end)
{
    int64_t base;
    switch (fl->l_whence) {
    case LINUX_SEEK_SET: base = 0; break;
    case LINUX_SEEK_CUR: base = (int64_t)f->pos; break;
    case LINUX_SEEK_END: {
        px_stat_info st;
        int64_t r = f->ops->stat ? f->ops->stat(f, &st) : -LINUX_EINVAL;
        if (r < 0) return r;
        base = st.size;
        break;
    }
    default: return -LINUX_EINVAL;
    }
    if (fl->l_start > 0 && base > INT64_MAX - fl->l_start) return -LINUX_EOVERFLOW;
    int64_t s = base + fl->l_start;
    if (s < 0) return -LINUX_EINVAL;
    if (fl->l_len > 0) {
        if (fl->l_len - 1 > INT64_MAX - s) return -LINUX_EOVERFLOW;
        *start = s;
        *end = s + fl->l_len - 1;
    } else if (fl->l_len < 0) { /* the bytes before start */
        if (s + fl->l_len < 0) return -LINUX_EINVAL;
        *start = s + fl->l_len;
        *end = s - 1;
    } else {
        *start = s;
        *end = INT64_MAX;
    }
    return 0;
}

int64_t px_lock_fcntl(px_file *f, int cmd, uint64_t ufl, px_lock_call *call, px_wait_on *w)
{
    struct linux_flock lfl, *fl = &lfl;
    if (PX_GET(fl, ufl) < 0) return -LINUX_EFAULT;
    bool ofd = cmd == LINUX_F_OFD_GETLK || cmd == LINUX_F_OFD_SETLK || cmd == LINUX_F_OFD_SETLKW;
    if (ofd && fl->l_pid != 0) return -LINUX_EINVAL;
    if (fl->l_type != LINUX_F_RDLCK && fl->l_type != LINUX_F_WRLCK && fl->l_type != LINUX_F_UNLCK) return -LINUX_EINVAL;
    if (f->status_flags & LINUX_O_PATH) return -LINUX_EBADF;
    bool get = cmd == LINUX_F_GETLK || cmd == LINUX_F_OFD_GETLK;
    uint32_t acc = f->status_flags & LINUX_O_ACCMODE;
    if (!get && fl->l_type == LINUX_F_RDLCK && acc == LINUX_O_WRONLY) return -LINUX_EBADF;
    if (!get && fl->l_type == LINUX_F_WRLCK && acc == LINUX_O_RDONLY) return -LINUX_EBADF;
    int64_t start, end;
    int64_t r = range_of(f, fl, &start, &end);
    if (r < 0) return r;
    if (!table_ready()) return -LINUX_ENOLCK;
    lock_key key;
    r = identify(f, &key);
    if (r < 0) return r;
    lock_kind kind = ofd ? KIND_OFD : KIND_POSIX;
    lock_owner owner = ofd ? description_owner(f) : posix_owner_self();
    if (get) {
        if (fl->l_type == LINUX_F_UNLCK) return -LINUX_EINVAL;
        if (!table_enter()) return -LINUX_ENOLCK;
        const lock_record *c = find_conflict(&key, kind, &owner, fl->l_type, start, end);
        if (c) {
            fl->l_type = (int16_t)c->type;
            fl->l_whence = LINUX_SEEK_SET;
            fl->l_start = c->start;
            fl->l_len = c->end == INT64_MAX ? 0 : c->end - c->start + 1;
            fl->l_pid = c->kind == KIND_OFD ? -1 : (int32_t)(c->owner.id >> 32);
        } else {
            fl->l_type = LINUX_F_UNLCK;
        }
        table_leave();
        return PX_PUT(ufl, fl); /* outside the table: a fault there is only EFAULT */
    }
    bool wait = cmd == LINUX_F_SETLKW || cmd == LINUX_F_OFD_SETLKW;
    return set_lock(call, &key, kind, &owner, fl->l_type, start, end, wait, w);
}

void px_lock_release_file(px_file *f)
{
    if (!f->lock.owner || !table || !table_enter()) return;
    lock_owner owner = {.id = f->lock.owner, .time = f->lock.owner_time};
    bool changed = false;
    for (uint32_t i = 0; i < table->record_limit; i++) {
        lock_record *e = &table->records[i];
        if (e->used && e->kind != KIND_POSIX && owner_eq(&e->owner, &owner)) {
            record_free(i);
            changed = true;
        }
    }
    if (changed) wake_waiters(f->lock.identified ? &(lock_key){f->lock.dev, f->lock.ino, f->lock.scope} : NULL);
    table_leave();
}

void px_lock_release_posix(px_file *f)
{
    if (!table || (!posix_key_count && !posix_keys_overflow)) return;
    lock_key key;
    if (identify(f, &key) < 0 || !posix_key_tracked(&key) || !table_enter()) return;
    lock_owner self = posix_owner_self();
    if (carve(&key, KIND_POSIX, &self, 0, INT64_MAX)) wake_waiters(&key);
    track_posix_key(&key);
    table_leave();
}

void px_lock_release_process(void)
{
    if (!table || !table_enter()) return;
    for (uint32_t i = 0; i < table->record_limit; i++) {
        lock_record *e = &table->records[i];
        if (e->used && e->holder_pid == self_pid && e->holder_time == self_time) record_free(i);
    }
    wake_waiters(NULL);
    table_leave();
}
