/* Futexes in memory that several processes map (futex.c hands them here): a word in a
   MAP_SHARED mapping, waited on or woken without FUTEX_PRIVATE_FLAG, as a
   PTHREAD_PROCESS_SHARED mutex or condvar, a sem_open semaphore (Python's
   multiprocessing) or a robust mutex in shared memory uses it.

   Linux keys such a futex by the object and the offset in it (get_futex_key), not by
   the address, so every process that maps the page meets the same queue. Here the key
   is mm's (px_vm_futex_key: a file's identity, or the session-wide name of a shared
   anonymous section) and the queue is one table shared by every picolx process of the
   session: a named section of waiter slots and a named mutex, as fs/lock.c keeps the
   session's locks. The compare of the word with the expected value happens with the
   table's mutex held, so a waker in another process that changes the word and then
   wakes (taking the same mutex) cannot be missed.

   A waiter sleeps on an event of its own, named by its Windows process and thread, made
   for the wait and closed after it; a waker sets it by name. The event exists only while
   its waiter does, so a waker that cannot open it knows the waiter died (killed while it
   waited) and frees the slot instead of counting a wake nobody took. A waiter always
   takes the mutex again to leave, and reads there whether it was woken.

   Wakes take the waiters in the order they came (a sequence number per slot), as Linux
   wakes its hash bucket's list.

   PI locks (a PTHREAD_PROCESS_SHARED mutex with PTHREAD_PRIO_INHERIT) keep futex.c's
   word protocol (px_futex_pi_take_word) with the table's mutex as the queue lock: a PI
   waiter's slot holds its Linux tid, and UNLOCK_PI writes the oldest one's into the word
   and marks its slot the owner's before it wakes it. futex_waitv's shared words each get
   a slot, all on the caller's one event. The requeue_pi pair stays within one process. */
#include "core/px.h"
#include "core/uaccess.h"
#include "host/host_named.h"
#include "host/host_process.h"
#include "host/host_sync.h"
#include "host/host_thread.h"
#include "kernel/block.h"
#include "kernel/futex.h"
#include "kernel/futex_shared.h"

#define TABLE_NAME L"Local\\picolx-futex-v2"
#define MUTEX_NAME L"Local\\picolx-futex-v2-mutex"
#define WAKE_PREFIX L"Local\\picolx-futex-v2-wake-"
#define TABLE_MAGIC 0x3276787475667870ull /* "pxfutxv2" */
#define NAME_CHARS 64

enum { SLOT_CAPACITY = 2048 };

enum slot_state {
    SLOT_FREE = 0,
    SLOT_WAITING,
    SLOT_WOKEN, /* a wake (for a PI waiter: look at the word again, its owner died) */
    SLOT_OWNER, /* a PI waiter made the word's owner by UNLOCK_PI */
};

enum slot_kind { SLOT_PLAIN = 0, SLOT_PI };

typedef struct futex_slot {
    volatile uint32_t state; /* enum slot_state */
    uint32_t pid, tid;       /* the waiter's Windows ids: its event is WAKE_PREFIX<pid>-<tid> */
    uint32_t bitset;
    uint64_t seq;            /* arrival order */
    px_vm_futex_key key;
    uint32_t kind;           /* enum slot_kind */
    int32_t linux_tid;       /* a PI waiter's, for the word when it is given the lock */
} futex_slot;
_Static_assert(sizeof(futex_slot) == 56, "futex_slot is part of the shared table's layout");

typedef struct futex_table {
    uint64_t magic;
    uint32_t capacity;
    volatile uint32_t limit; /* slots at and above it are free */
    uint64_t next_seq;
    futex_slot slots[SLOT_CAPACITY];
} futex_table;

static px_host_once table_once = PX_HOST_ONCE_INIT;
static futex_table *table;
static px_host_handle table_mutex;

static bool table_init(void *view)
{
    futex_table *t = view;
    if (t->magic == 0) {
        t->capacity = SLOT_CAPACITY;
        t->magic = TABLE_MAGIC;
    }
    return t->magic == TABLE_MAGIC && t->capacity == SLOT_CAPACITY;
}

static void table_open(void)
{
    px_host_handle mutex;
    futex_table *t = px_host_session_table_open(TABLE_NAME, MUTEX_NAME, sizeof(futex_table), table_init, &mutex);
    if (!t) return;
    table_mutex = mutex;
    table = t;
}

bool px_futex_shared_ready(void)
{
    px_host_once_run(&table_once, table_open);
    return table != NULL;
}

static bool key_eq(const px_vm_futex_key *a, const px_vm_futex_key *b)
{
    return a->object == b->object && a->offset == b->offset && a->volume == b->volume;
}

static void slot_free(uint32_t i)
{
    table->slots[i].state = SLOT_FREE;
    while (table->limit && table->slots[table->limit - 1].state == SLOT_FREE) table->limit--;
}

/* After an abandoned mutex: a dead holder may have stopped between any two stores. */
static void repair(void)
{
    uint32_t limit = 0;
    for (uint32_t i = 0; i < SLOT_CAPACITY; i++) {
        futex_slot *s = &table->slots[i];
        if (s->state > SLOT_OWNER) s->state = SLOT_FREE;
        if (s->state != SLOT_FREE) limit = i + 1;
    }
    table->limit = limit;
}

static bool table_enter(void) { return px_host_table_enter(table_mutex, repair); }

static void table_leave(void) { px_host_mutex_release(table_mutex); }

static void wake_name(wchar_t *out, const futex_slot *s) { px_host_name_pid_tid(out, NAME_CHARS, WAKE_PREFIX, s->pid, s->tid); }

/* Frees the slots whose waiter is gone (its event no longer opens). Table held. */
static void sweep_dead(void)
{
    for (uint32_t i = 0; i < table->limit; i++) {
        futex_slot *s = &table->slots[i];
        if (s->state == SLOT_FREE) continue;
        wchar_t name[NAME_CHARS];
        wake_name(name, s);
        px_host_handle ev = px_host_event_open(name);
        if (ev) px_host_close(ev);
        else slot_free(i);
    }
}

/* A free slot filled with the calling thread's wait on key (its state set last), or -1
   (table full). Table held. */
static int32_t slot_add(const px_vm_futex_key *key, uint32_t bitset, uint32_t kind, int32_t linux_tid)
{
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < SLOT_CAPACITY; i++) {
            futex_slot *s = &table->slots[i];
            if (s->state != SLOT_FREE) continue;
            s->pid = px_host_pid();
            s->tid = px_host_thread_id();
            s->bitset = bitset;
            s->seq = table->next_seq++;
            s->key = *key;
            s->kind = kind;
            s->linux_tid = linux_tid;
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            s->state = SLOT_WAITING;
            if (i >= table->limit) table->limit = i + 1;
            return (int32_t)i;
        }
        sweep_dead();
    }
    return -1;
}

/* The oldest waiting slot on key whose bitset meets bitset (only PI waiters: pi_only),
   or -1. Table held. */
static int32_t oldest_of(const px_vm_futex_key *key, uint32_t bitset, bool pi_only)
{
    int32_t best = -1;
    for (uint32_t i = 0; i < table->limit; i++) {
        const futex_slot *s = &table->slots[i];
        if (s->state != SLOT_WAITING || !(s->bitset & bitset) || !key_eq(&s->key, key)) continue;
        if (pi_only && s->kind != SLOT_PI) continue;
        if (best < 0 || s->seq < table->slots[best].seq) best = (int32_t)i;
    }
    return best;
}

static int32_t oldest_waiter(const px_vm_futex_key *key, uint32_t bitset) { return oldest_of(key, bitset, false); }

/* Wakes up to max waiters on key, oldest first: the number woken. A waiter whose event
   is gone died waiting; its slot goes and it does not count. Table held. */
static int64_t wake_locked(const px_vm_futex_key *key, uint32_t bitset, int64_t max)
{
    int64_t woken = 0;
    while (woken < max) {
        int32_t i = oldest_waiter(key, bitset);
        if (i < 0) break;
        futex_slot *s = &table->slots[i];
        wchar_t name[NAME_CHARS];
        wake_name(name, s);
        if (px_host_event_set_named(name)) {
            s->state = SLOT_WOKEN;
            woken++;
        } else {
            slot_free((uint32_t)i);
        }
    }
    return woken;
}

px_host_handle px_futex_shared_own_event(void)
{
    wchar_t name[NAME_CHARS];
    px_host_name_pid_tid(name, NAME_CHARS, WAKE_PREFIX, px_host_pid(), px_host_thread_id());
    return px_host_event_named(name, false, NULL);
}

static int64_t block_error(int got)
{
    if (got == PX_BLOCK_INTERRUPTED) return -LINUX_EINTR;
    if (got == PX_BLOCK_FAILED) return -LINUX_EINVAL;
    return -LINUX_ETIMEDOUT;
}

int64_t px_futex_shared_queue(const px_vm_futex_key *key, uint64_t uaddr, uint32_t expected, uint32_t bitset)
{
    if (!table_enter()) return -LINUX_ENOMEM;
    uint32_t now_value;
    int64_t r = PX_GET(&now_value, uaddr);
    if (r == 0 && now_value != expected) r = -LINUX_EAGAIN;
    if (r == 0 && (r = slot_add(key, bitset, SLOT_PLAIN, 0)) < 0) r = -LINUX_ENOMEM; /* 2048 waiters in the session */
    table_leave();
    return r;
}

bool px_futex_shared_unqueue(int32_t slot)
{
    /* the slot is ours until we free it: nobody else frees a slot whose event opens */
    if (!table_enter()) return false;
    bool woken = table->slots[slot].state == SLOT_WOKEN;
    slot_free((uint32_t)slot);
    table_leave();
    return woken;
}

int64_t px_futex_shared_wait(const px_vm_futex_key *key, uint64_t uaddr, uint32_t expected, uint32_t bitset,
                             const px_deadline *deadline)
{
    px_host_handle ev = px_futex_shared_own_event();
    if (!ev) return -LINUX_ENOMEM;
    int64_t slot = px_futex_shared_queue(key, uaddr, expected, bitset);
    if (slot < 0) {
        px_host_close(ev);
        return slot;
    }
    int got = px_block(&ev, 1, deadline);
    bool woken = px_futex_shared_unqueue((int32_t)slot);
    px_host_close(ev);
    if (woken || got >= 0) return 0; /* a wake beats the timeout or signal that came with it */
    return block_error(got);
}

int64_t px_futex_shared_wake(const px_vm_futex_key *key, uint32_t bitset, int64_t max)
{
    if (!table_enter()) return -LINUX_ENOMEM;
    int64_t n = wake_locked(key, bitset, max);
    table_leave();
    return n;
}

int64_t px_futex_shared_requeue(const px_vm_futex_key *key, const px_vm_futex_key *key2, uint64_t uaddr,
                                int64_t nr_wake, int64_t nr_requeue, bool compare, uint32_t expected)
{
    if (!table_enter()) return -LINUX_ENOMEM;
    uint32_t now_value = 0;
    int64_t r = compare ? PX_GET(&now_value, uaddr) : 0;
    if (r == 0 && compare && now_value != expected) r = -LINUX_EAGAIN;
    if (r < 0) {
        table_leave();
        return r;
    }
    int64_t done = wake_locked(key, LINUX_FUTEX_BITSET_MATCH_ANY, nr_wake), moved = 0;
    /* the moved waiters go behind those already on key2, in their order */
    while (moved < nr_requeue && !key_eq(key, key2)) {
        int32_t i = oldest_waiter(key, LINUX_FUTEX_BITSET_MATCH_ANY);
        if (i < 0) break;
        table->slots[i].key = *key2;
        table->slots[i].seq = table->next_seq++;
        moved++;
    }
    table_leave();
    return done + moved;
}

int64_t px_futex_shared_wake_op(const px_vm_futex_key *key, const px_vm_futex_key *key2, int64_t nr_wake,
                                int64_t nr_wake2, int64_t (*apply)(void *ctx, bool *hit), void *ctx)
{
    if (!table_enter()) return -LINUX_ENOMEM;
    bool hit = false;
    int64_t r = apply(ctx, &hit);
    if (r == 0) {
        r = wake_locked(key, LINUX_FUTEX_BITSET_MATCH_ANY, nr_wake);
        if (hit) r += wake_locked(key2, LINUX_FUTEX_BITSET_MATCH_ANY, nr_wake2);
    }
    table_leave();
    return r;
}

static bool has_pi_waiter(const px_vm_futex_key *key)
{
    return oldest_of(key, LINUX_FUTEX_BITSET_MATCH_ANY, true) >= 0;
}

int64_t px_futex_shared_lock_pi(const px_vm_futex_key *key, uint64_t uaddr, int32_t tid, const px_deadline *deadline,
                                bool trylock)
{
    px_host_handle ev = trylock ? NULL : px_futex_shared_own_event();
    if (!trylock && !ev) return -LINUX_ENOMEM;
    if (!table_enter()) {
        if (ev) px_host_close(ev);
        return -LINUX_ENOMEM;
    }
    int64_t r;
    for (;;) {
        r = px_futex_pi_take_word(uaddr, tid, has_pi_waiter(key), false);
        if (r != 0 || trylock) break;
        int32_t slot = slot_add(key, LINUX_FUTEX_BITSET_MATCH_ANY, SLOT_PI, tid);
        if (slot < 0) {
            r = -LINUX_ENOMEM;
            break;
        }
        table_leave();
        int got = px_block(&ev, 1, deadline);
        if (!table_enter()) { /* the host mutex failed: the slot stays until a sweep */
            px_host_close(ev);
            return -LINUX_ENOMEM;
        }
        uint32_t state = table->slots[slot].state;
        slot_free((uint32_t)slot);
        if (state == SLOT_OWNER) { /* UNLOCK_PI wrote our tid: ours even if the wait ended otherwise */
            r = 1;
            break;
        }
        if (state == SLOT_WOKEN || got >= 0) continue; /* its owner died, or a wake left from before: the word again */
        r = block_error(got);
        break;
    }
    table_leave();
    if (ev) px_host_close(ev);
    return r == 1 ? 0 : r == 0 ? -LINUX_EAGAIN : r;
}

int64_t px_futex_shared_unlock_pi(const px_vm_futex_key *key, uint64_t uaddr, int32_t tid)
{
    if (!table_enter()) return -LINUX_ENOMEM;
    uint32_t now;
    int64_t r = PX_GET(&now, uaddr) < 0 ? -LINUX_EFAULT : (now & PX_FUTEX_TID_MASK) != (uint32_t)tid ? -LINUX_EPERM : 0;
    if (r < 0) { /* nobody woken for nothing */
        table_leave();
        return r;
    }
    int32_t i;
    for (;;) {
        i = oldest_of(key, LINUX_FUTEX_BITSET_MATCH_ANY, true);
        if (i < 0) break;
        /* woken first (its state read only once we leave): a waiter whose event is gone
           died waiting and is passed over */
        wchar_t name[NAME_CHARS];
        wake_name(name, &table->slots[i]);
        if (px_host_event_set_named(name)) break;
        slot_free((uint32_t)i);
    }
    r = px_futex_pi_hand_word(uaddr, tid, i >= 0 ? table->slots[i].linux_tid : 0);
    if (r == 0 && i >= 0) table->slots[i].state = SLOT_OWNER;
    table_leave();
    return r;
}
