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
#include "host/host_sync.h"

#define TABLE_VAR L"PICOLX_FPOS_TABLE"
#define TABLE_SIZE (64u << 10)
#define TABLE_MAGIC 0x736f7066786370ull /* "pcxfpos" */

typedef struct fpos_slot {
    volatile int64_t pos;
    volatile int32_t refs; /* 0: free */
    int32_t pad;
} fpos_slot;

typedef struct fpos_table {
    uint64_t magic;
    uint64_t pad;
    fpos_slot slots[];
} fpos_table;

#define SLOT_COUNT ((TABLE_SIZE - sizeof(fpos_table)) / sizeof(fpos_slot))

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

void px_fpos_prepare(void) { get_table(true); }

uint32_t px_fpos_share(px_file *f)
{
    fpos_table *t = get_table(true);
    if (!t) return 0;
    if (!f->pos_slot) {
        for (uint32_t i = 0; i < SLOT_COUNT; i++) {
            int32_t expect = 0;
            if (__atomic_compare_exchange_n(&t->slots[i].refs, &expect, 1, false, __ATOMIC_ACQ_REL,
                                            __ATOMIC_RELAXED)) {
                __atomic_store_n(&t->slots[i].pos, (int64_t)f->pos, __ATOMIC_RELEASE);
                f->pos_slot = i + 1;
                break;
            }
        }
        if (!f->pos_slot) return 0; /* full: this description's positions part from here */
    }
    px_fpos_store(f);
    __atomic_add_fetch(&t->slots[f->pos_slot - 1].refs, 1, __ATOMIC_ACQ_REL);
    return f->pos_slot;
}

void px_fpos_adopt(px_file *f, uint32_t slot)
{
    fpos_table *t = slot && slot <= SLOT_COUNT ? get_table(false) : NULL;
    if (!t) return;
    f->pos_slot = slot;
    px_fpos_load(f);
}

void px_fpos_load(px_file *f)
{
    f->pos = (uint64_t)__atomic_load_n(&table->slots[f->pos_slot - 1].pos, __ATOMIC_ACQUIRE);
}

void px_fpos_store(px_file *f)
{
    __atomic_store_n(&table->slots[f->pos_slot - 1].pos, (int64_t)f->pos, __ATOMIC_RELEASE);
}

void px_fpos_release(px_file *f)
{
    __atomic_sub_fetch(&table->slots[f->pos_slot - 1].refs, 1, __ATOMIC_ACQ_REL);
    f->pos_slot = 0;
}
