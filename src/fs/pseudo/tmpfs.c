/* tmpfs (/dev/shm, and /tmp when the root has none): one file system for every picolx
   process of a root or distro, as a Linux machine has one /dev/shm, so a file one process
   writes there is there for the others (its forked children among them) and a MAP_SHARED
   mapping of it is one Windows file's section in all of them.

   It is an lxfs store (src/fs/lxfs/: full Linux metadata in a checksummed log beside
   data files named by inode, safe for several processes at once) in picolx's home,
   tmpfs\<hash of the root>-<mount>, used through lxfs's operations under tmpfs's name
   and statfs magic; its files hand over to new processes as lxfs files do, and its
   FIFOs are named after the store and the inode (fifo.c), so they are shared too.

   Like a tmpfs after boot it is empty when the first picolx process of a root opens it:
   every process keeps the store's log open for its life (lx_disk), so a process that can
   open the log exclusively is alone, and begins with a fresh store (lx_disk_open then
   deletes the old data files, which no inode owns any more). A named mutex per store
   makes that check and the open one step. */
#include <stdio.h>
#include "fs/pseudo/pseudo.h"
#include "core/home.h"
#include "fs/lxfs/lxfs.h"
#include "fs/lxfs/lxfs_disk.h"
#include "host/host_file.h"
#include "host/host_fileinfo.h"
#include "host/host_sync.h"

#define TMPFS_MAGIC 0x01021994
#define STORE_LOCK_WAIT_MS 30000 /* another process's open of the store: a moment */

/* lxfs's operations under tmpfs's name, filled in by the first px_tmpfs_new */
px_fs_type px_tmpfs_type;

static int64_t tmpfs_statfs(px_mount *m, const char *rel, struct linux_statfs *out)
{
    int64_t r = px_lxfs_type.statfs(m, rel, out);
    if (r == 0) out->f_type = TMPFS_MAGIC;
    return r;
}

static void init_type(void)
{
    px_tmpfs_type = px_lxfs_type;
    px_tmpfs_type.name = "tmpfs";
    px_tmpfs_type.magic = TMPFS_MAGIC;
    px_tmpfs_type.statfs = tmpfs_statfs;
}

/* The root's identity: its Windows directory (drvfs) or store (lxfs), case-folded as
   Windows paths are. */
static uint64_t root_hash(void)
{
    const px_mount *root = px_vfs_mount_at(0);
    const char *s = root && root->source ? root->source : "";
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (const char *t = root ? root->type->name : ""; *t; t++) h = (h ^ (uint8_t)*t) * 0x100000001b3ull;
    size_t n = strlen(s);
    while (n > 3 && (s[n - 1] == '\\' || s[n - 1] == '/')) n--; /* "C:\dir\" is "C:\dir" */
    for (size_t i = 0; i < n; i++) {
        char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i] == '/' ? '\\' : s[i];
        h = (h ^ (uint8_t)c) * 0x100000001b3ull;
    }
    return h;
}

static wchar_t *join(const wchar_t *dir, const wchar_t *name)
{
    size_t n = wcslen(dir) + wcslen(name) + 2;
    wchar_t *p = px_alloc(n * sizeof *p);
    if (p) swprintf(p, n, L"%ls\\%ls", dir, name);
    return p;
}

static int64_t write_record(void *h, const uint8_t *rec, size_t len)
{
    int64_t r = px_host_file_write(h, rec, len);
    return r < 0 ? r : (size_t)r == len ? 0 : -LINUX_EIO;
}

/* Writes an empty store into dir: the root directory (mode, owned by root), no files. */
static int64_t make_fresh_store(const wchar_t *dir, uint32_t root_mode)
{
    wchar_t *data = join(dir, LX_DATA_DIR);
    if (!data) return -LINUX_ENOMEM;
    int64_t r = px_host_dir_create(data);
    px_free(data);
    if (r < 0 && r != -LINUX_EEXIST) return r;
    lx_store st;
    lx_store_init(&st);
    lx_time now = lx_time_now();
    lx_attr root = {.mode = LINUX_S_IFDIR | root_mode, .atime = now, .mtime = now, .ctime = now};
    r = lx_store_make_root(&st, &root);
    wchar_t *log = r == 0 ? join(dir, LX_LOG_NAME) : NULL;
    px_host_handle h = NULL;
    if (r == 0 && !log) r = -LINUX_ENOMEM;
    if (r == 0) r = px_host_file_open_ex(log, PX_HOST_ACCESS_WRITE, 0, PX_HOST_DISP_CREATE_ALWAYS, PX_HOST_OPEN_NORMAL, &h);
    if (r == 0) { /* not flushed (lx_disk_write_snapshot's way): a tmpfs need not outlive a crash */
        r = lx_store_snapshot(&st, write_record, h);
        px_host_close(h);
    }
    px_free(log);
    lx_store_free(&st);
    return r;
}

/* The named mutex of the store called name (its directory's name) */
static px_host_handle store_mutex(const wchar_t *name)
{
    wchar_t full[128];
    swprintf(full, PX_ARRAY_LEN(full), L"Local\\picolx-tmpfs-%ls", name);
    return px_host_mutex_named(full, NULL);
}

/* 1: no process has the store in dir open (its log opens exclusively, or there is none);
   0: some process has; or -LINUX_Exxx. Under the store's mutex. */
static int64_t store_unheld(const wchar_t *dir)
{
    wchar_t *log = join(dir, LX_LOG_NAME);
    if (!log) return -LINUX_ENOMEM;
    px_host_handle probe;
    int64_t r = px_host_file_open_ex(log, PX_HOST_ACCESS_READ | PX_HOST_ACCESS_WRITE, 0, PX_HOST_DISP_OPEN_EXISTING, 0, &probe);
    px_free(log);
    if (r == 0) px_host_close(probe);
    return r == 0 || r == -LINUX_ENOENT ? 1 : r == -LINUX_EBUSY ? 0 : r;
}

static bool delete_entry(void *dir, const wchar_t *name, uint32_t attrs)
{
    wchar_t *p = join(dir, name);
    if (p && (attrs & PX_HOST_ATTR_DIRECTORY)) px_host_dir_remove(p);
    else if (p) px_host_file_delete(p);
    px_free(p);
    return true;
}

/* Removes a store nobody holds: its data files, its log, its directory. */
static void remove_store(const wchar_t *dir)
{
    wchar_t *data = join(dir, LX_DATA_DIR);
    if (data) px_host_dir_list(data, L"*", delete_entry, data);
    px_free(data);
    px_host_dir_list(dir, L"*", delete_entry, (void *)dir);
    px_host_dir_remove(dir);
}

/* The stores of roots no process uses now (a test's temporary root): removed by the next
   process that begins a fresh store, so that they do not pile up in the home. A store
   whose mutex another process holds is skipped (it may be sweeping ours). */
typedef struct sweep { const wchar_t *top, *keep; } sweep;

static bool sweep_one(void *ctx, const wchar_t *name, uint32_t attrs)
{
    sweep *sw = ctx;
    if (!(attrs & PX_HOST_ATTR_DIRECTORY) || !wcscmp(name, sw->keep)) return true;
    px_host_handle mutex = store_mutex(name);
    if (!mutex) return true;
    if (px_host_wait(mutex, 0) == 0) {
        wchar_t *dir = join(sw->top, name);
        if (dir && store_unheld(dir) == 1) remove_store(dir);
        px_free(dir);
        px_host_mutex_release(mutex);
    }
    px_host_close(mutex);
    return true;
}

/* Opens the store called name in top, first making it afresh when no other process has
   it open. */
static int64_t open_store(const wchar_t *top, const wchar_t *name, uint32_t root_mode, lx_disk **out)
{
    wchar_t *dir = join(top, name);
    px_host_handle mutex = dir ? store_mutex(name) : NULL;
    if (!mutex) {
        px_free(dir);
        return -LINUX_ENOMEM;
    }
    int64_t r = px_host_wait(mutex, STORE_LOCK_WAIT_MS); /* 0 also when a dead holder left it */
    if (r == 0) {
        r = px_host_dir_create(dir);
        if (r == 0 || r == -LINUX_EEXIST) r = store_unheld(dir);
        if (r == 1) { /* alone, or the first ever */
            r = make_fresh_store(dir, root_mode);
            sweep sw = {top, name};
            if (r == 0) px_host_dir_list(top, L"*", sweep_one, &sw);
        }
        if (r == 0) r = lx_disk_open(dir, out);
        px_host_mutex_release(mutex);
    } else if (r > 0) {
        r = -LINUX_EBUSY;
    }
    px_host_close(mutex);
    px_free(dir);
    return r;
}

void *px_tmpfs_new(const char *point, uint32_t root_mode)
{
    if (!px_tmpfs_type.name) init_type(); /* at start-up, one thread */
    wchar_t name[96]; /* "<hash of the root>-dev-shm" */
    int n = swprintf(name, PX_ARRAY_LEN(name), L"%016llx-", (unsigned long long)root_hash());
    for (const char *p = point + (point[0] == '/'); *p && n + 1 < (int)PX_ARRAY_LEN(name); p++)
        name[n++] = *p == '/' ? L'-' : (wchar_t)(uint8_t)*p;
    name[n] = 0;
    wchar_t *top = px_home_path(L"tmpfs", true);
    lx_disk *d = NULL;
    int64_t r = top ? px_host_dir_create(top) : -LINUX_ENOENT;
    if (r == 0 || r == -LINUX_EEXIST) r = open_store(top, name, root_mode, &d);
    if (r == 0) d->tmpfs_sizes = true;
    else px_log("picolx: cannot open the store of the tmpfs at %s: error %lld", point, (long long)-r);
    px_free(top);
    return d;
}
