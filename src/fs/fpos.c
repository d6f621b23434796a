/* Shared file positions (fpos.h). The table is a pagefile section made by the first
   process that shares a description, inheritable, named in the Windows environment
   (PICOLX_FPOS_TABLE, its handle value) so that every later picolx process of the tree,
   which inherits both, finds it. Slots are taken and given back with atomic operations
   on the shared memory (a slot's refs: the processes whose description uses it). */
#include <stdio.h>
#include <wchar.h>
#include "core/px.h"
#include "fs/fpos.h"
#include "host/host.h"
#include "host/host_env.h"
#include "host/host_mem.h"
#include "host/host_process.h"
#include "host/host_sync.h"
#include "host/host_thread.h"

#define TABLE_VAR L"PICOLX_FPOS_TABLE"
#define TABLE_SIZE (64u << 10)
#define TABLE_MAGIC 0x736f7066786370ull /* "pcxfpos" */

typedef struct fpos_slot {
    volatile int64_t pos;
    volatile int32_t refs;         /* 0: free */
    volatile uint32_t status_flags; /* the F_SETFL ones (PX_SETFL_MASK): the description's too */
    volatile uint32_t owner;       /* the host pid in a syscall on it now (0: none), as Linux's f_pos_lock */
    uint32_t pad;
} fpos_slot;

typedef struct fpos_table {
    uint64_t magic;
    uint64_t pad;
    fpos_slot slots[];
} fpos_table;

#define SLOT_COUNT ((TABLE_SIZE - sizeof(fpos_table)) / sizeof(fpos_slot))
/* How long a syscall waits for another process's syscall on the same description before
   it goes on anyway: long enough for any read or write, short enough that a process
   blocked inside a syscall on it (a lock wait) cannot hold the others for good. */
#define OWNER_WAIT_MS 200

/* This process's view of the table: host state of the Windows process (one per process,
   set once under the lock, read without it after). */
static fpos_table *table;
static px_host_rwlock table_lock = PX_HOST_RWLOCK_INIT;

/* The table: the inherited one, or (create) a new one. NULL if there is none. */
static fpos_table *get_table(bool create)
{
    if (__atomic_load_n(&table, __ATOMIC_ACQUIRE)) return table;
    px_host_rwlock_lock(&table_lock);
    if (!table) {
        wchar_t value[24];
        px_host_handle section = NULL;
        if (px_host_env_get_w(TABLE_VAR, value, PX_ARRAY_LEN(value)) > 0) {
            section = (px_host_handle)(uintptr_t)wcstoull(value, NULL, 16);
        } else if (create) {
            section = px_host_section_new(NULL, TABLE_SIZE, true, true, NULL, NULL);
            if (section) {
                swprintf(value, PX_ARRAY_LEN(value), L"%llx", (unsigned long long)(uintptr_t)section);
                px_host_env_set_w(TABLE_VAR, value);
            }
        }
        fpos_table *t = section ? px_host_view_map(section, 0, TABLE_SIZE, NULL, true) : NULL;
        if (t && t->magic == 0) t->magic = TABLE_MAGIC; /* a new table is all zeros */
        if (t && t->magic == TABLE_MAGIC) __atomic_store_n(&table, t, __ATOMIC_RELEASE);
        /* the section handle stays open for the process's life: children inherit it */
    }
    px_host_rwlock_unlock(&table_lock);
    return table;
}

static void load(px_file *f)
{
    fpos_slot *sl = &table->slots[f->pos_slot - 1];
    f->pos = (uint64_t)__atomic_load_n(&sl->pos, __ATOMIC_ACQUIRE);
    uint32_t flags = __atomic_load_n(&sl->status_flags, __ATOMIC_ACQUIRE);
    f->status_flags = (f->status_flags & ~PX_SETFL_MASK) | (flags & PX_SETFL_MASK);
}

static void store(px_file *f)
{
    fpos_slot *sl = &table->slots[f->pos_slot - 1];
    __atomic_store_n(&sl->pos, (int64_t)f->pos, __ATOMIC_RELEASE);
    __atomic_store_n(&sl->status_flags, f->status_flags & PX_SETFL_MASK, __ATOMIC_RELEASE);
}

void px_fpos_prepare(void) { get_table(true); }

uint32_t px_fpos_share(px_file *f)
{
    fpos_table *t = get_table(true);
    if (!t) return 0;
    if (!f->pos_slot && f->ops->position_shared) f->ops->position_shared(f);
    if (!f->pos_slot) {
        for (uint32_t i = 0; i < SLOT_COUNT; i++) {
            int32_t expect = 0;
            if (__atomic_compare_exchange_n(&t->slots[i].refs, &expect, 1, false, __ATOMIC_ACQ_REL,
                                            __ATOMIC_RELAXED)) {
                __atomic_store_n(&t->slots[i].pos, (int64_t)f->pos, __ATOMIC_RELEASE);
                __atomic_store_n(&t->slots[i].status_flags, f->status_flags & PX_SETFL_MASK, __ATOMIC_RELEASE);
                __atomic_store_n(&t->slots[i].owner, 0, __ATOMIC_RELEASE);
                f->pos_slot = i + 1;
                break;
            }
        }
        if (!f->pos_slot) return 0; /* full: this description's positions part from here */
    }
    store(f);
    __atomic_add_fetch(&t->slots[f->pos_slot - 1].refs, 1, __ATOMIC_ACQ_REL);
    return f->pos_slot;
}

void px_fpos_adopt(px_file *f, uint32_t slot)
{
    fpos_table *t = slot && slot <= SLOT_COUNT ? get_table(false) : NULL;
    if (!t) return;
    if (f->ops->position_shared) f->ops->position_shared(f);
    f->pos_slot = slot;
    load(f);
}

/* Takes the slot for this process's syscall: waits while another process has it, at
   most OWNER_WAIT_MS, and takes it from a process that is gone. */
static void take(fpos_slot *sl)
{
    uint32_t me = px_host_pid();
    for (uint32_t waited = 0;; waited++) {
        uint32_t expect = 0;
        if (__atomic_compare_exchange_n(&sl->owner, &expect, me, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) return;
        if (expect == me) return; /* ours already (another thread's syscall) */
        if (waited >= OWNER_WAIT_MS) return; /* go on without it */
        if (waited % 16 == 15) {
            px_host_handle p = px_host_process_open(expect);
            bool gone = !p || px_host_wait(p, 0) == 0;
            if (p) px_host_close(p);
            if (gone && __atomic_compare_exchange_n(&sl->owner, &expect, me, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
                return;
        }
        px_host_sleep_ms(1);
    }
}

void px_fpos_enter(px_file *f)
{
    if (__atomic_fetch_add(&f->pos_depth, 1, __ATOMIC_ACQ_REL) == 0) take(&table->slots[f->pos_slot - 1]);
    load(f);
}

void px_fpos_leave(px_file *f)
{
    uint32_t depth = __atomic_load_n(&f->pos_depth, __ATOMIC_ACQUIRE);
    if (depth == 0) return; /* a reference that no syscall took (the fd table's) */
    store(f);
    if (__atomic_sub_fetch(&f->pos_depth, 1, __ATOMIC_ACQ_REL) == 0) {
        uint32_t me = px_host_pid();
        __atomic_compare_exchange_n(&table->slots[f->pos_slot - 1].owner, &me, 0, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_RELAXED);
    }
}

int32_t px_fpos_release(px_file *f)
{
    int32_t left = __atomic_sub_fetch(&table->slots[f->pos_slot - 1].refs, 1, __ATOMIC_ACQ_REL);
    f->pos_slot = 0;
    return left;
}
