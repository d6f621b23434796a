/* The lxfs store on disk: lxfs.log and data\<ino> in a Windows directory. Several picolx
   processes may use one store at once: each change is made under a byte-range lock of the
   log after applying what the others appended (lx_disk_begin), so they all see one
   sequence of records. Cleaning up (cutting a torn tail, deleting orphan data files,
   compacting) happens only when a process opens the log while no other has it open. */
#include <windows.h>
#include <stdio.h>
#include "core/errors.h"
#include "core/px.h"
#include "fs/lxfs/lxfs_disk.h"

#define LOCK_OFFSET_HIGH 0x40000000u /* a byte far past any log: the lock, not data */
#define COMPACT_MIN_RECORDS 4096

lx_time lx_time_now(void)
{
    FILETIME ft;
    GetSystemTimePreciseAsFileTime(&ft);
    int64_t t = (int64_t)(((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime) - 116444736000000000LL;
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

typedef struct seq_writer { HANDLE h; uint8_t buf[65536]; size_t n; } seq_writer;

static int64_t seq_flush(seq_writer *w)
{
    DWORD put;
    if (w->n && (!WriteFile(w->h, w->buf, (DWORD)w->n, &put, NULL) || put != w->n)) return px_err_last();
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
        DWORD put;
        if (!WriteFile(w->h, rec, (DWORD)len, &put, NULL) || put != len) return px_err_last();
        return 0;
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
    w->h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (w->h == INVALID_HANDLE_VALUE) { px_free(w); return px_err_last(); }
    int64_t r = lx_store_snapshot(s, seq_emit, w);
    if (r == 0) r = seq_flush(w);
    if (r == 0 && !FlushFileBuffers(w->h)) r = px_err_last();
    CloseHandle(w->h);
    px_free(w);
    if (r < 0) DeleteFileW(path);
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
    OVERLAPPED ov = {.Offset = (DWORD)d->log_end, .OffsetHigh = (DWORD)(d->log_end >> 32)};
    DWORD put = 0;
    /* One write per record: a process killed here leaves all of it or a torn tail that
       fails its checksum. No flush: a killed process loses nothing the OS has. */
    if (!WriteFile(d->log, rec, (DWORD)len, &put, &ov) || put != len) return px_err_last();
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
    if (p) DeleteFileW(p);
    px_free(p);
}

static int64_t read_range(HANDLE h, uint64_t from, uint64_t to, uint8_t **out)
{
    size_t n = (size_t)(to - from);
    uint8_t *buf = px_alloc(n ? n : 1);
    if (!buf) return -LINUX_ENOMEM;
    size_t got = 0;
    while (got < n) {
        uint64_t at = from + got;
        OVERLAPPED ov = {.Offset = (DWORD)at, .OffsetHigh = (DWORD)(at >> 32)};
        DWORD chunk = n - got > (1u << 24) ? (1u << 24) : (DWORD)(n - got), r = 0;
        if (!ReadFile(h, buf + got, chunk, &r, &ov) || r == 0) break;
        got += r;
    }
    *out = buf;
    return (int64_t)got;
}

static int64_t catch_up(lx_disk *d)
{
    LARGE_INTEGER size;
    if (!GetFileSizeEx(d->log, &size)) return px_err_last();
    if ((uint64_t)size.QuadPart <= d->log_end) return 0;
    uint8_t *buf;
    int64_t n = read_range(d->log, d->log_end, (uint64_t)size.QuadPart, &buf);
    if (n < 0) return n;
    /* another process's changes: their data files are theirs to delete */
    void (*dropped)(void *, uint64_t, uint32_t) = d->st.dropped;
    d->st.dropped = NULL;
    d->log_end += lx_store_apply_records(&d->st, buf, (size_t)n);
    d->st.dropped = dropped;
    px_free(buf);
    return 0;
}

static bool lock_log(HANDLE h)
{
    OVERLAPPED ov = {.Offset = 0, .OffsetHigh = LOCK_OFFSET_HIGH};
    return LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, &ov);
}

static void unlock_log(HANDLE h)
{
    OVERLAPPED ov = {.Offset = 0, .OffsetHigh = LOCK_OFFSET_HIGH};
    UnlockFileEx(h, 0, 1, 0, &ov);
}

int64_t lx_disk_begin(lx_disk *d)
{
    AcquireSRWLockExclusive((SRWLOCK *)d->lock);
    if (!lock_log(d->log)) {
        int64_t r = px_err_last();
        ReleaseSRWLockExclusive((SRWLOCK *)d->lock);
        return r;
    }
    int64_t r = catch_up(d);
    if (r < 0) lx_disk_end(d);
    return r;
}

void lx_disk_end(lx_disk *d)
{
    unlock_log(d->log);
    ReleaseSRWLockExclusive((SRWLOCK *)d->lock);
}

/* --- opening --- */

/* Alone with the store (ex is the only handle of the log): delete the data files no inode
   owns. */
static void delete_orphans(lx_disk *d)
{
    wchar_t *data = join(d->dir, LX_DATA_DIR);
    wchar_t *pattern = data ? join(data, L"*") : NULL;
    WIN32_FIND_DATAW fd;
    HANDLE fh = pattern ? FindFirstFileW(pattern, &fd) : INVALID_HANDLE_VALUE;
    if (fh != INVALID_HANDLE_VALUE) {
        do {
            if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) continue;
            wchar_t *end;
            uint64_t ino = wcstoull(fd.cFileName, &end, 16);
            lx_inode *i = *end ? NULL : lx_inode_get(&d->st, ino);
            if (!i || (i->mode & LINUX_S_IFMT) != LINUX_S_IFREG) {
                wchar_t *q = join(data, fd.cFileName);
                if (q) DeleteFileW(q);
                px_free(q);
            }
        } while (FindNextFileW(fh, &fd));
        FindClose(fh);
    }
    px_free(pattern);
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
        !MoveFileExW(tmp, log_path, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
        DeleteFileW(tmp);
    px_free(tmp);
}

static int64_t load(lx_disk *d, HANDLE h)
{
    LARGE_INTEGER size;
    if (!GetFileSizeEx(h, &size)) return px_err_last();
    uint8_t *buf;
    int64_t n = read_range(h, 0, (uint64_t)size.QuadPart, &buf);
    if (n < 0) return n;
    lx_store_free(&d->st);
    lx_store_init(&d->st);
    int64_t valid = lx_store_replay(&d->st, buf, (size_t)n);
    px_free(buf);
    if (valid < 0 || !lx_inode_get(&d->st, LX_ROOT_INO)) return -LINUX_EUCLEAN;
    d->log_end = (uint64_t)valid;
    return (int64_t)size.QuadPart;
}

int64_t lx_disk_open(const wchar_t *dir, lx_disk **out)
{
    lx_disk *d = px_calloc(1, sizeof *d);
    SRWLOCK *lock = px_calloc(1, sizeof *lock);
    if (!d || !lock) { px_free(d); px_free(lock); return -LINUX_ENOMEM; }
    InitializeSRWLock(lock);
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
    HANDLE ex = CreateFileW(log_path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    int64_t r = 0;
    if (ex != INVALID_HANDLE_VALUE) {
        int64_t size = load(d, ex);
        if (size < 0) {
            CloseHandle(ex);
            r = size;
        } else {
            if ((uint64_t)size > d->log_end) {
                LARGE_INTEGER at = {.QuadPart = (LONGLONG)d->log_end};
                SetFilePointerEx(ex, at, NULL, FILE_BEGIN);
                SetEndOfFile(ex);
            }
            delete_orphans(d);
            CloseHandle(ex);
            compact(d, log_path);
        }
    } else if (GetLastError() != ERROR_SHARING_VIOLATION) {
        r = px_err_last();
    }
    if (r == 0) {
        /* another process may be in its exclusive moment above (replay, cutting a torn
           tail, compaction): a sharing violation lasts only that long */
        for (DWORD waited = 0;; waited += 10) {
            d->log = CreateFileW(log_path, GENERIC_READ | GENERIC_WRITE,
                                 FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING, 0, NULL);
            if (d->log != INVALID_HANDLE_VALUE || GetLastError() != ERROR_SHARING_VIOLATION || waited >= 10000) break;
            Sleep(10);
        }
        if (d->log == INVALID_HANDLE_VALUE) {
            d->log = NULL;
            r = px_err_last();
        } else if (lock_log(d->log)) {
            int64_t size = load(d, d->log);
            unlock_log(d->log);
            if (size < 0) r = size;
        } else {
            r = px_err_last();
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
    if (d->log) CloseHandle(d->log);
    lx_store_free(&d->st);
    px_free(d->dir);
    px_free(d->lock);
    px_free(d);
}
