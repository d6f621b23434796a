/* The stat memo: what a drvfs stat needs a handle for, remembered across runs.

   A Windows directory holds no inode numbers, link counts or exec bits where a name
   query can see them: a full stat opens the file, queries it, reads its first bytes
   (ELF or `#!`: the exec bit) and closes it, three wineserver round trips under Wine
   (~150 µs) where the by-name query NtQueryFullAttributesFile costs ~8 µs. The memo
   keeps, per host path, the inode, device, link count and exec bit, keyed by what the
   by-name query returns: creation, change and write times and the size. Any change of
   those facts moves the change time (link and unlink of other names, chmod, writes), as
   a new file under an old name has another creation or change time; so a record whose
   key still matches is still true. Like git's index, a record is written only once the
   file's times are older than MEMO_SETTLED: a later change then gets a later time even
   on a file system with a coarse clock. File systems with no change time (FAT) are
   never memoised.

   The memo is a file in picolx's home mapped by every picolx process: a table of
   MEMO_SLOTS fixed-size records in sets of MEMO_WAYS, each with a checksum. Writers race without
   locks; a torn or overwritten record fails its checksum or its key and is a miss, so
   a crash or two processes writing at once cost a stat, never a wrong answer. */
#include "core/home.h"
#include "fs/drvfs_meta.h"
#include "fs/fs_internal.h"
#include "host/host_env.h"
#include "host/host_file.h"
#include "host/host_mem.h"
#include "host/host_sync.h"
#include "host/host_time.h"

#define MEMO_SLOTS (1u << 17) /* 10 MiB: 131,072 files in sets of 4 */
#define MEMO_WAYS 4
#define MEMO_MAGIC 0x316f6d6574617473ull /* "statemo1" */
#define MEMO_SETTLED (1 * 10000000LL)     /* 1 s in FILETIME units */
#define MEMO_FLAG_DIR 1u
#define MEMO_FLAG_PROGRAM 2u

typedef struct memo_record {
    uint64_t path_hash;
    int64_t creation_time, change_time, write_time, size; /* the key, with path_hash */
    uint64_t ino, dev, nlink;
    uint32_t flags, reserved;
    uint64_t check; /* 0: empty */
} memo_record;
_Static_assert(sizeof(memo_record) == 80, "memo records are fixed-size slots");

typedef struct memo_header {
    uint64_t magic, slots, record_size;
    unsigned char pad[sizeof(memo_record) - 24];
} memo_header;
_Static_assert(sizeof(memo_header) == sizeof(memo_record), "the header takes slot 0");

static px_host_once memo_once = PX_HOST_ONCE_INIT;
static memo_record *memo_table; /* slot 0 is the header; NULL: no memo */

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull; /* FNV-1a */
    return h;
}

static uint64_t record_check(const memo_record *r)
{
    uint64_t h = hash_bytes(1469598103934665603ull ^ MEMO_MAGIC, r, offsetof(memo_record, check));
    return h ? h : 1;
}

static uint64_t path_hash(const wchar_t *path)
{
    uint64_t h = hash_bytes(1469598103934665603ull, path, wcslen(path) * sizeof *path);
    return h ^ (h >> 29);
}

static bool memo_disabled(void)
{
    char value[16];
    return px_host_env_get("PICOLX_STAT_MEMO", value, sizeof value) > 0 &&
           (!strcmp(value, "off") || !strcmp(value, "0"));
}

static void open_memo(void)
{
    if (memo_disabled()) return;
    wchar_t *path = px_home_path(L"stat-memo.bin", true);
    if (!path) return;
    px_host_handle file;
    int64_t opened = px_host_file_open(path, PX_HOST_FILE_READ | PX_HOST_FILE_WRITE, PX_HOST_OPEN_ALWAYS, 0, &file);
    px_free(path);
    if (opened < 0) return;
    const uint64_t bytes = (uint64_t)MEMO_SLOTS * sizeof(memo_record);
    uint64_t size = 0;
    /* a file of another size or layout is an older memo: it starts over */
    if (px_host_file_size(file, &size) < 0 || size != bytes) {
        px_host_file_set_size(file, 0);
        px_host_file_set_size(file, bytes);
    }
    px_host_handle mapping = px_host_section_new(file, 0, true, false, NULL, NULL);
    px_host_close(file);
    if (!mapping) return;
    memo_record *table = px_host_view_map(mapping, 0, bytes, NULL, true);
    px_host_close(mapping);
    if (!table) return;
    memo_header *header = (memo_header *)table;
    if (header->magic != MEMO_MAGIC || header->slots != MEMO_SLOTS || header->record_size != sizeof(memo_record)) {
        memset(table, 0, bytes);
        header->slots = MEMO_SLOTS;
        header->record_size = sizeof(memo_record);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        header->magic = MEMO_MAGIC;
    }
    memo_table = table;
}

/* The MEMO_WAYS slots a path may take: a small set, so that two paths of one run rarely
   push each other out (direct-mapped, 10,000 files lost one in seven). */
static memo_record *memo_set(uint64_t hash)
{
    px_host_once_run(&memo_once, open_memo);
    if (!memo_table) return NULL;
    return &memo_table[1 + (hash % ((MEMO_SLOTS - 1) / MEMO_WAYS)) * MEMO_WAYS];
}

static bool key_matches(const memo_record *r, uint64_t hash, const px_nt_attrs *a)
{
    return r->path_hash == hash && r->creation_time == a->creation_time && r->change_time == a->change_time &&
           r->write_time == a->write_time && r->size == a->size &&
           !!(r->flags & MEMO_FLAG_DIR) == !!(a->attributes & PX_HOST_ATTR_DIRECTORY);
}

/* Files that are not plain files or directories to Windows (reparse points: links,
   junctions, cloud placeholders) are left to the full stat. */
static bool memoisable(const px_nt_attrs *a)
{
    return a->change_time != 0 && !(a->attributes & PX_HOST_ATTR_REPARSE_POINT) && !px_drvfs_meta_maybe_ea_volume();
}

bool px_stat_memo_lookup(const wchar_t *host_path, const px_nt_attrs *a, px_stat_info *st)
{
    if (!memoisable(a)) return false;
    uint64_t hash = path_hash(host_path);
    memo_record *set = memo_set(hash);
    if (!set) return false;
    memo_record r;
    int way = 0;
    for (; way < MEMO_WAYS; way++) {
        r = *(volatile memo_record *)&set[way];
        if (r.check && r.check == record_check(&r) && key_matches(&r, hash, a)) break;
    }
    if (way == MEMO_WAYS) return false;
    px_nt_fill_stat(st, a, r.dev, r.ino, r.nlink, (r.flags & MEMO_FLAG_PROGRAM) != 0);
    return true;
}

void px_stat_memo_remember(const wchar_t *host_path, const px_nt_attrs *a, const px_stat_info *st)
{
    if (!memoisable(a)) return;
    bool is_dir = (a->attributes & PX_HOST_ATTR_DIRECTORY) != 0;
    if (is_dir ? st->nlink < 2 : st->nlink < 1) return; /* a count that was not known */
    int64_t now = px_host_time_coarse();
    int64_t latest = a->change_time > a->write_time ? a->change_time : a->write_time;
    if (now - latest < MEMO_SETTLED) return;
    uint64_t hash = path_hash(host_path);
    memo_record *set = memo_set(hash);
    if (!set) return;
    /* the path's own slot, else an empty or broken one, else one chosen by the clock */
    memo_record *slot = NULL;
    for (int way = 0; way < MEMO_WAYS && !slot; way++)
        if (set[way].path_hash == hash) slot = &set[way];
    for (int way = 0; way < MEMO_WAYS && !slot; way++) {
        memo_record old = *(volatile memo_record *)&set[way];
        if (!old.check || old.check != record_check(&old)) slot = &set[way];
    }
    if (!slot) slot = &set[now % MEMO_WAYS];
    memo_record r = {
        .path_hash = hash,
        .creation_time = a->creation_time,
        .change_time = a->change_time,
        .write_time = a->write_time,
        .size = a->size,
        .ino = st->ino,
        .dev = st->dev,
        .nlink = st->nlink,
        .flags = (is_dir ? MEMO_FLAG_DIR : 0) | ((st->mode & 0111) ? MEMO_FLAG_PROGRAM : 0),
    };
    r.check = record_check(&r);
    /* the check goes last: a reader between the stores sees a record that fails it */
    volatile memo_record *out = slot;
    out->check = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    memcpy((void *)out, &r, offsetof(memo_record, check));
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    out->check = r.check;
}
