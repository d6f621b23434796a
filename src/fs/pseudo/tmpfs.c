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

/* Writes an empty store into dir: the root directory (mode, owned by root), no files. */
static int64_t make_fresh_store(const wchar_t *dir, uint32_t root_mode)
{
    size_t n = wcslen(dir) + 8;
    wchar_t *data = px_alloc(n * sizeof *data);
    if (!data) return -LINUX_ENOMEM;
    swprintf(data, n, L"%ls\\" LX_DATA_DIR, dir);
    int64_t r = px_host_dir_create(data);
    px_free(data);
    if (r < 0 && r != -LINUX_EEXIST) return r;
    lx_store st;
    lx_store_init(&st);
    lx_time now = lx_time_now();
    lx_attr root = {.mode = LINUX_S_IFDIR | root_mode, .atime = now, .mtime = now, .ctime = now};
    r = lx_store_make_root(&st, &root);
    if (r == 0) r = lx_disk_write_snapshot(&st, dir);
    lx_store_free(&st);
    return r;
}

/* Opens the store in dir, first making it afresh when no other process has it open. */
static int64_t open_store(const wchar_t *dir, uint64_t key, uint32_t root_mode, lx_disk **out)
{
    wchar_t name[64];
    swprintf(name, PX_ARRAY_LEN(name), L"Local\\picolx-tmpfs-%016llx", (unsigned long long)key);
    px_host_handle mutex = px_host_mutex_named(name, NULL);
    if (!mutex) return -LINUX_ENOMEM;
    int64_t w = px_host_wait(mutex, STORE_LOCK_WAIT_MS); /* 0 also when a dead holder left it */
    if (w != 0) {
        px_host_close(mutex);
        return w < 0 ? w : -LINUX_EBUSY;
    }
    size_t n = wcslen(dir) + 16;
    wchar_t *log = px_alloc(n * sizeof *log);
    int64_t r = log ? 0 : -LINUX_ENOMEM;
    if (log) {
        swprintf(log, n, L"%ls\\" LX_LOG_NAME, dir);
        px_host_handle probe;
        r = px_host_file_open_ex(log, PX_HOST_ACCESS_READ | PX_HOST_ACCESS_WRITE, 0, PX_HOST_DISP_OPEN_EXISTING, 0, &probe);
        if (r == 0) px_host_close(probe);
        if (r == 0 || r == -LINUX_ENOENT) r = make_fresh_store(dir, root_mode); /* alone, or the first ever */
        else if (r == -LINUX_EBUSY) r = 0; /* others hold it: their files stay */
        px_free(log);
    }
    if (r == 0) r = lx_disk_open(dir, out);
    px_host_mutex_release(mutex);
    px_host_close(mutex);
    return r;
}

void *px_tmpfs_new(const char *point, uint32_t root_mode)
{
    if (!px_tmpfs_type.name) init_type(); /* at start-up, one thread */
    char leaf[64]; /* "/dev/shm": "dev-shm" */
    size_t k = 0;
    for (const char *p = point + (point[0] == '/'); *p && k + 1 < sizeof leaf; p++) leaf[k++] = *p == '/' ? '-' : *p;
    leaf[k] = 0;
    uint64_t root = root_hash();
    wchar_t sub[96];
    swprintf(sub, PX_ARRAY_LEN(sub), L"tmpfs\\%016llx-%hs", (unsigned long long)root, leaf);
    wchar_t *top = px_home_path(L"tmpfs", true);
    wchar_t *dir = px_home_path(sub, true);
    lx_disk *d = NULL;
    int64_t r = top && dir ? 0 : -LINUX_ENOENT;
    if (r == 0) {
        px_host_dir_create(top);
        r = px_host_dir_create(dir);
        if (r == -LINUX_EEXIST) r = 0;
    }
    uint64_t key = root;
    for (const char *p = leaf; *p; p++) key = (key ^ (uint8_t)*p) * 0x100000001b3ull;
    if (r == 0) r = open_store(dir, key, root_mode, &d);
    if (r == 0) d->tmpfs_sizes = true;
    else px_log("picolx: cannot open the store of the tmpfs at %s: error %lld", point, (long long)-r);
    px_free(top);
    px_free(dir);
    return d;
}
