/* The lxfs store on disk: lxfs.log and data\<ino> in a Windows directory. Several picolx
   processes may use one store at once: each change is made under a byte-range lock of the
   log after applying what the others appended (lx_disk_begin), so they all see one
   sequence of records. Cleaning up (cutting a torn tail, deleting orphan data files,
   compacting) happens only when a process opens the log while no other has it open. */
#include <stdio.h>
#include "core/errors.h"
#include "core/px.h"
#include "fs/lxfs/lxfs_disk.h"
#include "host/host_fileinfo.h"
#include "host/host_sync.h"
#include "host/host_thread.h"
#include "host/host_time.h"

#define LOCK_OFFSET_HIGH 0x40000000u /* a byte far past any log: the lock, not data */
#define COMPACT_MIN_RECORDS 4096

lx_time lx_time_now(void)
{
    int64_t t = px_host_time_now() - 116444736000000000LL;
    lx_time r = {.sec = t / 10000000, .nsec = (uint32_t)(t % 10000000) * 100};
    return r;
}

static wchar_t *join(const wchar_t *dir, const wchar_t *name)
{
    size_t n = wcslen(dir) + wcslen(name) + 2;
    wchar_t *p = px_alloc(n * sizeof *p);
    if (p) swprintf(p, n, L"%ls\\%ls", dir, name);
    return p;
}

wchar_t *lx_disk_data_path(const lx_disk *d, uint64_t ino)
{
    wchar_t name[48];
    swprintf(name, PX_ARRAY_LEN(name), LX_DATA_DIR L"\\%llx", (unsigned long long)ino);
    return join(d->dir, name);
}

/* --- writing a log file sequentially (snapshots) --- */

typedef struct seq_writer { px_host_handle h; uint8_t buf[65536]; size_t n; } seq_writer;

static int64_t seq_flush(seq_writer *w)
{
    if (w->n) {
        int64_t r = px_host_file_write(w->h, w->buf, w->n);
        if (r < 0) return r;
    }
    w->n = 0;
    return 0;
}

static int64_t seq_emit(void *io, const uint8_t *rec, size_t len)
{
    seq_writer *w = io;
    if (w->n + len > sizeof w->buf) {
        int64_t r = seq_flush(w);
        if (r < 0) return r;
    }
    if (len > sizeof w->buf) {
        int64_t r = px_host_file_write(w->h, rec, len);
        return r < 0 ? r : 0;
    }
    memcpy(w->buf + w->n, rec, len);
    w->n += len;
    return 0;
}

static int64_t write_snapshot_file(const lx_store *s, const wchar_t *path)
{
    seq_writer *w = px_alloc(sizeof *w);
    if (!w) return -LINUX_ENOMEM;
    w->n = 0;
    int64_t r = px_host_file_open_ex(path, PX_HOST_ACCESS_WRITE, 0, PX_HOST_DISP_CREATE_ALWAYS, PX_HOST_OPEN_NORMAL, &w->h);
    if (r < 0) { px_free(w); return r; }
    r = lx_store_snapshot(s, seq_emit, w);
    if (r == 0) r = seq_flush(w);
    if (r == 0) r = px_host_file_flush(w->h);
    px_host_close(w->h);
    px_free(w);
    if (r < 0) px_host_file_delete(path);
    return r;
}

int64_t lx_disk_write_snapshot(const lx_store *s, const wchar_t *dir)
{
    wchar_t *path = join(dir, LX_LOG_NAME);
    if (!path) return -LINUX_ENOMEM;
    int64_t r = write_snapshot_file(s, path);
    px_free(path);
    return r;
}

/* --- appending, catching up --- */

static int64_t disk_append(void *io, const uint8_t *rec, size_t len)
{
    lx_disk *d = io;
    /* One write per record: a process killed here leaves all of it or a torn tail that
       fails its checksum. No flush: a killed process loses nothing the OS has. */
    int64_t put = px_host_file_pwrite(d->log, rec, len, d->log_end);
    if (put < 0) return put;
    if ((size_t)put != len) return -LINUX_EIO;
    d->log_end += len;
    return 0;
}

static void disk_dropped(void *io, uint64_t ino, uint32_t mode)
{
    lx_disk *d = io;
    if ((mode & LINUX_S_IFMT) != LINUX_S_IFREG) return;
    wchar_t *p = lx_disk_data_path(d, ino);
    /* failing (another process still has it open on old Windows) leaves an orphan the
       next exclusive open deletes */
    if (p) px_host_file_delete(p);
    px_free(p);
}

static int64_t read_range(px_host_handle h, uint64_t from, uint64_t to, uint8_t **out)
{
    size_t n = (size_t)(to - from);
    uint8_t *buf = px_alloc(n ? n : 1);
    if (!buf) return -LINUX_ENOMEM;
    size_t got = 0;
    while (got < n) {
        uint64_t at = from + got;
        size_t chunk = n - got > (1u << 24) ? (1u << 24) : n - got;
        int64_t r = px_host_file_pread(h, buf + got, chunk, at);
        if (r <= 0) break;
        got += (size_t)r;
    }
    *out = buf;
    return (int64_t)got;
}

static int64_t catch_up(lx_disk *d)
{
    uint64_t size;
    int64_t r = px_host_file_size(d->log, &size);
    if (r < 0) return r;
    if (size <= d->log_end) return 0;
    uint8_t *buf;
    int64_t n = read_range(d->log, d->log_end, size, &buf);
    if (n < 0) return n;
    /* another process's changes: their data files are theirs to delete */
    void (*dropped)(void *, uint64_t, uint32_t) = d->st.dropped;
    d->st.dropped = NULL;
    d->log_end += lx_store_apply_records(&d->st, buf, (size_t)n);
    d->st.dropped = dropped;
    px_free(buf);
    return 0;
}

static int64_t lock_log(px_host_handle h)
{
    return px_host_file_lock(h, (uint64_t)LOCK_OFFSET_HIGH << 32, 1, true, true);
}

static void unlock_log(px_host_handle h)
{
    px_host_file_unlock(h, (uint64_t)LOCK_OFFSET_HIGH << 32, 1);
}

int64_t lx_disk_begin(lx_disk *d)
{
    px_host_rwlock_lock(d->lock);
    int64_t r = lock_log(d->log);
    if (r < 0) {
        px_host_rwlock_unlock(d->lock);
        return r;
    }
    r = catch_up(d);
    if (r < 0) lx_disk_end(d);
    return r;
}

void lx_disk_end(lx_disk *d)
{
    unlock_log(d->log);
    px_host_rwlock_unlock(d->lock);
}

/* --- opening --- */

/* Alone with the store (ex is the only handle of the log): delete the data files no inode
   owns. */
typedef struct orphan_search { lx_disk *d; const wchar_t *data; } orphan_search;

static bool delete_if_orphan(void *ctx, const wchar_t *name, uint32_t attrs)
{
    orphan_search *o = ctx;
    if (attrs & PX_HOST_ATTR_DIRECTORY) return true;
    wchar_t *end;
    uint64_t ino = wcstoull(name, &end, 16);
    lx_inode *i = *end ? NULL : lx_inode_get(&o->d->st, ino);
    if (!i || (i->mode & LINUX_S_IFMT) != LINUX_S_IFREG) {
        wchar_t *q = join(o->data, name);
        if (q) px_host_file_delete(q);
        px_free(q);
    }
    return true;
}

static void delete_orphans(lx_disk *d)
{
    wchar_t *data = join(d->dir, LX_DATA_DIR);
    orphan_search o = {d, data};
    if (data) px_host_dir_list(data, L"*", delete_if_orphan, &o);
    px_free(data);
}

/* Rewrites a long log as the live state: lxfs.log.new, then renamed over the log. Called
   right after the exclusive handle is closed; a process that opened the log in between
   makes the rename fail, and the old log stays (still right, only longer). */
static void compact(lx_disk *d, const wchar_t *log_path)
{
    uint64_t live = HASH_COUNT(d->st.inodes) + HASH_COUNT(d->st.dirents) + d->st.xattrs;
    if (d->st.records < COMPACT_MIN_RECORDS || d->st.records < 3 * live) return;
    wchar_t *tmp = join(d->dir, LX_LOG_NAME L".new");
    /* the atomic step: the old log or the new one, never a mix */
    if (tmp && write_snapshot_file(&d->st, tmp) == 0 &&
        px_host_path_move(tmp, log_path, PX_HOST_MOVE_REPLACE | PX_HOST_MOVE_WRITE_THROUGH) < 0)
        px_host_file_delete(tmp);
    px_free(tmp);
}

static int64_t load(lx_disk *d, px_host_handle h)
{
    uint64_t size;
    int64_t r = px_host_file_size(h, &size);
    if (r < 0) return r;
    uint8_t *buf;
    int64_t n = read_range(h, 0, size, &buf);
    if (n < 0) return n;
    lx_store_free(&d->st);
    lx_store_init(&d->st);
    int64_t valid = lx_store_replay(&d->st, buf, (size_t)n);
    px_free(buf);
    if (valid < 0 || !lx_inode_get(&d->st, LX_ROOT_INO)) return -LINUX_EUCLEAN;
    d->log_end = (uint64_t)valid;
    return (int64_t)size;
}

int64_t lx_disk_open(const wchar_t *dir, lx_disk **out)
{
    lx_disk *d = px_calloc(1, sizeof *d);
    px_host_rwlock *lock = px_calloc(1, sizeof *lock);
    if (!d || !lock) { px_free(d); px_free(lock); return -LINUX_ENOMEM; }
    px_host_rwlock_init(lock);
    d->lock = lock;
    lx_store_init(&d->st);
    size_t n = wcslen(dir);
    d->dir = px_alloc((n + 8) * sizeof(wchar_t));
    if (!d->dir) { lx_disk_close(d); return -LINUX_ENOMEM; }
    if (wcsncmp(dir, L"\\\\?\\", 4) == 0 || !(n >= 2 && dir[1] == L':')) wcscpy(d->dir, dir);
    else swprintf(d->dir, n + 8, L"\\\\?\\%ls", dir);
    for (wchar_t *p = d->dir + 4; *p; p++) if (*p == L'/') *p = L'\\';
    n = wcslen(d->dir);
    while (n > 7 && d->dir[n - 1] == L'\\') d->dir[--n] = 0;
    wchar_t *log_path = join(d->dir, LX_LOG_NAME);
    if (!log_path) { lx_disk_close(d); return -LINUX_ENOMEM; }

    /* alone? then a torn tail can be cut and orphans deleted */
    px_host_handle ex;
    int64_t r = px_host_file_open_ex(log_path, PX_HOST_ACCESS_READ | PX_HOST_ACCESS_WRITE, 0,
                                     PX_HOST_DISP_OPEN_EXISTING, 0, &ex);
    if (r == 0) {
        int64_t size = load(d, ex);
        if (size < 0) {
            px_host_close(ex);
            r = size;
        } else {
            if ((uint64_t)size > d->log_end) px_host_file_set_size(ex, d->log_end);
            delete_orphans(d);
            px_host_close(ex);
            compact(d, log_path);
        }
    } else if (r == -LINUX_EBUSY) { /* a sharing violation: others have it open */
        r = 0;
    }
    if (r == 0) {
        /* another process may be in its exclusive moment above (replay, cutting a torn
           tail, compaction): a sharing violation lasts only that long */
        for (uint32_t waited = 0;; waited += 10) {
            r = px_host_file_open_ex(log_path, PX_HOST_ACCESS_READ | PX_HOST_ACCESS_WRITE, PX_HOST_SHARE_ALL,
                                     PX_HOST_DISP_OPEN_EXISTING, 0, &d->log);
            if (r != -LINUX_EBUSY || waited >= 10000) break;
            px_host_sleep_ms(10);
        }
        if (r < 0) {
            d->log = NULL;
        } else if ((r = lock_log(d->log)) == 0) {
            int64_t size = load(d, d->log);
            unlock_log(d->log);
            if (size < 0) r = size;
        }
    }
    px_free(log_path);
    if (r < 0) {
        lx_disk_close(d);
        return r;
    }
    d->st.append = disk_append;
    d->st.dropped = disk_dropped;
    d->st.io = d;
    *out = d;
    return 0;
}

void lx_disk_close(lx_disk *d)
{
    if (!d) return;
    if (d->log) px_host_close(d->log);
    lx_store_free(&d->st);
    px_free(d->dir);
    px_free(d->lock);
    px_free(d);
}
