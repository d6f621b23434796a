/* The stat family: what NT knows about a file (GetFileInformationByHandle(Ex)) turned
   into Linux's struct stat and struct statx; the handlers resolve through the VFS. */
#include "core/errors.h"
#include "fs/vfs.h"
#include "fs/drvfs_meta.h"
#include "core/cred.h"
#include "host/host_fileinfo.h"
#include "host/host_sync.h"
#include "host/host_system.h"
#include "host/host_time.h"

#define FILETIME_UNIX_EPOCH 116444736000000000LL /* 1970-01-01 in 100 ns units since 1601 */

static struct linux_timespec timespec_of_filetime(int64_t t)
{
    int64_t since_epoch = t - FILETIME_UNIX_EPOCH;
    int64_t sec = since_epoch / 10000000, rest = since_epoch % 10000000;
    if (rest < 0) {
        rest += 10000000;
        sec--;
    }
    return (struct linux_timespec){.tv_sec = sec, .tv_nsec = rest * 100};
}

struct linux_timespec px_timespec_of_filetime(int64_t filetime) { return timespec_of_filetime(filetime); }

static bool read_head_is_program(px_host_handle h);

/* Executable files (with no mode stored: drvfs_meta.c) are the ones that say so in
   their first bytes: ELF or a script. The read is the host's pread (no APC context:
   under Wine, ReadFile with an OVERLAPPED costs one more round trip, as long as opening
   the file, on every stat of a regular file). stat must not change the access time, which
   the read may (Linux's relatime moves it when it is not after the write time): a moved
   one is put back, which moves the host's change time instead (Linux's ctime), the
   least visible of the two. */
static bool starts_like_a_program(px_host_handle h, bool *atime_moved)
{
    px_host_file_facts before, after;
    bool know_atime = px_host_file_info(h, &before) == 0;
    bool r = read_head_is_program(h);
    *atime_moved = false;
    if (know_atime && px_host_file_info(h, &after) == 0 && after.attrs.access_time != before.attrs.access_time) {
        *atime_moved = true;
        px_host_handle w;
        if (px_host_file_reopen(h, PX_HOST_ACCESS_WRITE_ATTRIBUTES | PX_HOST_ACCESS_SYNCHRONIZE, PX_HOST_SHARE_ALL, 0, &w) == 0) {
            px_host_file_set_basic(w, 0, before.attrs.access_time, 0, 0, 0);
            px_host_close(w);
        }
    }
    return r;
}

static bool read_head_is_program(px_host_handle h)
{
    unsigned char head[4] = {0};
    /* A read at an explicit offset still moves a synchronous handle's file pointer, and
       a standard handle shares that pointer with the shell: put it back. */
    uint64_t position;
    bool restore = px_host_file_seek(h, 0, PX_HOST_SEEK_CUR, &position) == 0;
    int64_t r = px_host_file_pread(h, head, sizeof head, 0);
    if (restore) px_host_file_seek(h, (int64_t)position, PX_HOST_SEEK_SET, NULL);
    if (r < 0) return false;
    size_t got = (size_t)r;
    if (got >= 4 && !memcmp(head, "\x7f" "ELF", 4)) return true;
    return got >= 2 && head[0] == '#' && head[1] == '!';
}

/* The volume serial of the first file asked about, for every file: under Wine the one
   query that gives it (GetFileInformationByHandle) costs more than all the others
   together, and the root is one volume to Windows. */
static uint64_t volume_serial(px_host_handle h)
{
    static int64_t cached = -1;
    int64_t known = __atomic_load_n(&cached, __ATOMIC_SEQ_CST);
    if (known >= 0) return (uint64_t)known;
    uint32_t serial;
    if (px_host_file_volume(h, &serial) < 0) return 0;
    __atomic_store_n(&cached, (int64_t)serial, __ATOMIC_SEQ_CST);
    return serial;
}

uint64_t px_nt_volume_serial(void *h) { return volume_serial(h); }

/* A directory's st_nlink as Linux file systems give it: 2 + its subdirectories. That
   takes a listing of the directory (on a handle of its own: the guest's handle may be in
   the middle of getdents); when it cannot be had, 1, which fts and find read as "count
   unknown" (as on WSL's drvfs) rather than trust a wrong count to skip subdirectories. */
static uint64_t count_directory_links(px_host_handle dir)
{
    px_host_handle h;
    if (px_host_file_reopen(dir, PX_HOST_ACCESS_READ_DATA | PX_HOST_ACCESS_SYNCHRONIZE, PX_HOST_SHARE_ALL,
                            PX_HOST_OPEN_DIRECTORIES, &h) < 0)
        return 1;
    uint64_t links = 2;
    _Alignas(8) unsigned char buf[16384];
    bool restart = true;
    int64_t r;
    while ((r = px_host_dir_read(h, restart, buf, sizeof buf)) == 1) {
        restart = false;
        for (size_t at = 0; at != SIZE_MAX;) {
            px_host_dir_entry e;
            px_host_dir_entry_at(buf, at, &e);
            bool dot = (e.name_len == 1 && e.name[0] == L'.') || (e.name_len == 2 && e.name[0] == L'.' && e.name[1] == L'.');
            if ((e.attributes & PX_HOST_ATTR_DIRECTORY) && !dot) links++;
            at = e.next;
        }
    }
    bool ok = r == 0; /* the end of the listing, not a failure (nor no entries at all) */
    px_host_close(h);
    return ok ? links : 1;
}

/* Counts remembered by directory identity and last write time: a directory's
   subdirectories change only with its entries, and every change of its entries moves its
   last write time (Linux's mtime, NTFS's LastWriteTime). `ls -lR` stats each directory
   twice (from its parent's listing, then fstat once opened): one count serves both. The
   creation time is in the key too, as Wine's file indexes are inode numbers, which
   repeat across the host file systems one drive letter spans. File systems stamp times
   from a coarse clock (Linux: a few ms), so two changes close together may leave the
   same write time: a count is kept only when the last change is older than
   DIR_LINKS_SETTLED, and this process's own changes (the stat cache's generation)
   drop every count. */
#define DIR_LINKS_SLOTS 1024
#define DIR_LINKS_SETTLED (100 * 10000) /* 100 ms in the host's 100 ns units */

typedef struct dir_links_slot {
    uint64_t ino;
    int64_t write_time, creation_time;
    uint64_t links; /* 0: empty */
    int32_t generation;
} dir_links_slot;

static dir_links_slot dir_links[DIR_LINKS_SLOTS];
static px_host_rwlock dir_links_lock; /* zero: unlocked */

static volatile int32_t stat_cache_generation; /* the stat cache's, below */

static dir_links_slot *dir_links_slot_of(uint64_t ino)
{
    return &dir_links[((ino * 0x9e3779b97f4a7c15ull) >> 32) % DIR_LINKS_SLOTS];
}

static void dir_links_remember(uint64_t ino, int64_t write_time, int64_t creation_time, uint64_t links,
                               int32_t generation)
{
    if (px_host_time_coarse() - write_time < DIR_LINKS_SETTLED) return;
    px_host_rwlock_lock(&dir_links_lock);
    *dir_links_slot_of(ino) = (dir_links_slot){.ino = ino, .write_time = write_time, .creation_time = creation_time,
                                               .links = links, .generation = generation};
    px_host_rwlock_unlock(&dir_links_lock);
}

static uint64_t directory_nlink(px_host_handle dir, uint64_t ino, int64_t write_time, int64_t creation_time)
{
    dir_links_slot *slot = dir_links_slot_of(ino);
    int32_t generation = stat_cache_generation;
    uint64_t links = 0;
    px_host_rwlock_lock_shared(&dir_links_lock);
    if (slot->links && slot->ino == ino && slot->write_time == write_time && slot->creation_time == creation_time &&
        slot->generation == generation)
        links = slot->links;
    px_host_rwlock_unlock_shared(&dir_links_lock);
    if (links) return links;
    links = count_directory_links(dir);
    if (links == 1) return links; /* unknown: asked again next time */
    dir_links_remember(ino, write_time, creation_time, links, generation);
    return links;
}

/* What the host says of a file, as px_nt_attrs. */
static px_nt_attrs attrs_of(const px_host_file_attrs *info)
{
    return (px_nt_attrs){
        .creation_time = info->creation_time,
        .access_time = info->access_time,
        .write_time = info->write_time,
        .change_time = info->change_time,
        .allocation_size = info->allocation_size,
        .size = info->size,
        .attributes = info->attributes,
    };
}

void px_nt_fill_stat(px_stat_info *st, const px_nt_attrs *a, uint64_t dev, uint64_t ino, uint64_t nlink,
                     bool is_program)
{
    memset(st, 0, sizeof *st);
    st->dev = dev;
    /* Wine's file index is the Linux inode number, so outputs can match native ones */
    st->ino = ino;
    st->nlink = nlink;
    px_drvfs_meta_default_owner(&st->uid, &st->gid); /* with nothing stored (drvfs_meta.h) */
    st->size = a->size;
    st->blksize = 4096;
    st->blocks = (a->allocation_size + 511) / 512;
    st->atime = timespec_of_filetime(a->access_time);
    st->mtime = timespec_of_filetime(a->write_time);
    st->ctime = timespec_of_filetime(a->change_time ? a->change_time : a->write_time);
    st->btime = timespec_of_filetime(a->creation_time);
    st->has_btime = a->creation_time != 0;
    /* Windows has no Linux modes: directories are 0755, files 0644, programs 0755, and
       the read-only attribute takes the write bits away */
    if (a->attributes & PX_HOST_ATTR_DIRECTORY) {
        st->mode = LINUX_S_IFDIR | 0755;
        /* NTFS reports 0 bytes for a directory; Linux file systems one block or more:
           ext4's 4096 so that ls -l and du look as they do on Linux */
        st->size = 4096;
        st->blocks = 8;
        /* the count came from a memo or a listing: fstat of the open directory reuses it */
        if (nlink >= 2) dir_links_remember(ino, a->write_time, a->creation_time, nlink, stat_cache_generation);
    } else {
        st->mode = LINUX_S_IFREG | (is_program ? 0755 : 0644);
        if (a->attributes & PX_HOST_ATTR_READONLY) st->mode &= ~0222u;
    }
    px_drvfs_meta_overlay(st, a); /* what picolx keeps of the file's Linux metadata */
}

int64_t px_nt_stat_handle(void *handle, bool may_read, px_stat_info *st)
{
    /* FileBasicInfo, not FileNetworkOpenInformation: Wine refuses the latter on a handle
       without FILE_READ_ATTRIBUTES access (a std handle the shell opened for writing) */
    px_host_file_facts info;
    int64_t r = px_host_file_info(handle, &info);
    if (r < 0) return r;
    px_nt_attrs a = attrs_of(&info.attrs);
    uint64_t ino = info.index, nlink = info.links;
    bool is_dir = (a.attributes & PX_HOST_ATTR_DIRECTORY) != 0, is_program = false;
    uint64_t dev = volume_serial(handle);
    dm_meta meta;
    bool have_meta = px_drvfs_meta_in_use(handle) && px_drvfs_meta_of(handle, dev, ino, &meta);
    if (is_dir) nlink = directory_nlink(handle, ino, a.write_time, a.creation_time);
    else if (!have_meta || !(meta.have & DM_HAVE_MODE)) {
        bool moved = false;
        if (!have_meta || !px_drvfs_meta_sniff_known(&meta, &a, &is_program)) {
            is_program = may_read && a.size >= 2 && starts_like_a_program(handle, &moved);
            if (moved) {
                px_drvfs_meta_sniffed(dev, ino, &a, is_program); /* not read again (drvfs_meta.h) */
                /* the put-back moved the change time: this stat says the new one, so the
                   next (tar's after reading) does not see a change */
                if (px_host_file_info(handle, &info) == 0) a = attrs_of(&info.attrs);
            }
        }
    }
    px_nt_fill_stat(st, &a, dev, ino, nlink, is_program);
    if (have_meta) px_drvfs_meta_apply(st, &a, &meta); /* the EAs' (the store's is in already) */
    return 0;
}


/* The last answer of the by-name query, for the one that very likely follows it: the
   VFS asks about a drvfs path (is a link file on it? linkfile.c) and the operation then
   asks about the same path again. Taken once, within LAST_QUERY_TTL_MS, while this
   process changed no name (the stat cache's generation). */
#define LAST_QUERY_TTL_MS 2
static __thread struct {
    wchar_t *path;
    px_nt_attrs attrs;
    int64_t err;
    bool path_not_found;
    uint64_t ms;
    int32_t generation;
} last_query;

static bool take_last_query(const wchar_t *host_path, px_nt_attrs *a, int64_t *err, bool *path_not_found)
{
    if (!last_query.path) return false;
    bool hit = last_query.generation == stat_cache_generation &&
               px_host_uptime_ms() - last_query.ms <= LAST_QUERY_TTL_MS && !wcscmp(last_query.path, host_path);
    if (hit) {
        *a = last_query.attrs;
        *err = last_query.err;
        *path_not_found = last_query.path_not_found;
    }
    px_free(last_query.path);
    last_query.path = NULL;
    return hit;
}

static void keep_last_query(const wchar_t *host_path, const px_nt_attrs *a, int64_t err, bool path_not_found)
{
    px_free(last_query.path);
    last_query.path = px_alloc((wcslen(host_path) + 1) * sizeof(wchar_t));
    if (!last_query.path) return;
    wcscpy(last_query.path, host_path);
    last_query.attrs = *a;
    last_query.err = err;
    last_query.path_not_found = path_not_found;
    last_query.ms = px_host_uptime_ms();
    last_query.generation = stat_cache_generation;
}

int64_t px_nt_query_attrs(const wchar_t *host_path, px_nt_attrs *a, bool *path_not_found)
{
    int64_t err;
    bool missing_path = false;
    if (!take_last_query(host_path, a, &err, &missing_path)) {
        /* drvfs paths are \\?\ paths, which the host's by-name query takes */
        px_host_file_attrs info;
        err = px_host_path_query(host_path, &info, &missing_path);
        if (err == 0) *a = attrs_of(&info);
        keep_last_query(host_path, a, err, missing_path);
    }
    if (path_not_found) *path_not_found = missing_path;
    return err;
}

/* A short-lived cache of path stats. `ls -l` stats every name twice (once while listing,
   once while printing), and a full stat opens a handle (~150 µs under Wine) where the
   by-name query takes ~8 µs. A cached answer is reused only while it
   is young (STAT_CACHE_TTL_MS), no name was created, removed or renamed by this process
   since (the generation), and the path query still shows the same attributes, size and
   mtime: what it may miss is another process changing the link count or replacing the
   file with one of the same size and mtime within that time. */
#define STAT_CACHE_SLOTS 8192 /* direct-mapped by a hash of the path */
#define STAT_CACHE_TTL_MS 2000

typedef struct stat_cache_slot {
    const void *mount;
    char *path;
    px_stat_info st;
    uint64_t stored_ms;
    int32_t generation;
} stat_cache_slot;

static stat_cache_slot *stat_cache;
static px_host_rwlock stat_cache_lock; /* zero: unlocked */

static size_t stat_cache_index(const void *mount, const char *path)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)(uintptr_t)mount; /* FNV-1a */
    for (; *path; path++) h = (h ^ (unsigned char)*path) * 1099511628211ull;
    return (size_t)(h % STAT_CACHE_SLOTS);
}

void px_stat_cache_invalidate(void)
{
    __atomic_add_fetch(&stat_cache_generation, 1, __ATOMIC_SEQ_CST);
}

bool px_stat_cache_lookup(const void *mount, const char *rel, const px_nt_attrs *now, px_stat_info *st)
{
    if (!stat_cache) return false;
    size_t i = stat_cache_index(mount, rel);
    bool hit = false;
    px_host_rwlock_lock_shared(&stat_cache_lock);
    stat_cache_slot *slot = &stat_cache[i];
    if (slot->path && slot->mount == mount && slot->generation == stat_cache_generation && !strcmp(slot->path, rel) &&
        px_host_uptime_ms() - slot->stored_ms < STAT_CACHE_TTL_MS) {
        *st = slot->st;
        hit = true;
    }
    px_host_rwlock_unlock_shared(&stat_cache_lock);
    if (!hit) return false;
    struct linux_timespec mtime = timespec_of_filetime(now->write_time);
    bool is_dir = (now->attributes & PX_HOST_ATTR_DIRECTORY) != 0;
    bool read_only = (now->attributes & PX_HOST_ATTR_READONLY) != 0;
    if (is_dir != ((st->mode & LINUX_S_IFMT) == LINUX_S_IFDIR)) return false;
    if (!is_dir && read_only != !(st->mode & 0200)) return false;
    if (mtime.tv_sec != st->mtime.tv_sec || mtime.tv_nsec != st->mtime.tv_nsec) return false;
    if (!is_dir && now->size != st->size) return false;
    st->atime = timespec_of_filetime(now->access_time);
    px_drvfs_meta_overlay(st, now); /* another process may have changed what is stored */
    return true;
}

void px_stat_cache_store(const void *mount, const char *rel, const px_stat_info *st)
{
    if (!stat_cache) {
        stat_cache_slot *fresh = px_calloc(STAT_CACHE_SLOTS, sizeof *fresh);
        if (!fresh) return;
        stat_cache_slot *none = NULL;
        if (!__atomic_compare_exchange_n(&stat_cache, &none, fresh, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            px_free(fresh);
    }
    char *path = px_strdup(rel);
    if (!path) return;
    px_host_rwlock_lock(&stat_cache_lock);
    stat_cache_slot *slot = &stat_cache[stat_cache_index(mount, rel)];
    px_free(slot->path);
    slot->mount = mount;
    slot->path = path;
    slot->st = *st;
    slot->stored_ms = px_host_uptime_ms();
    slot->generation = stat_cache_generation;
    px_host_rwlock_unlock(&stat_cache_lock);
}

void px_stat_to_linux(const px_stat_info *in, struct linux_stat *out)
{
    memset(out, 0, sizeof *out);
    out->st_dev = in->dev;
    out->st_ino = in->ino;
    out->st_nlink = in->nlink;
    out->st_mode = in->mode;
    out->st_uid = in->uid;
    out->st_gid = in->gid;
    out->st_rdev = in->rdev;
    out->st_size = in->size;
    out->st_blksize = in->blksize;
    out->st_blocks = in->blocks;
    out->st_atime_sec = (uint64_t)in->atime.tv_sec;
    out->st_atime_nsec = (uint64_t)in->atime.tv_nsec;
    out->st_mtime_sec = (uint64_t)in->mtime.tv_sec;
    out->st_mtime_nsec = (uint64_t)in->mtime.tv_nsec;
    out->st_ctime_sec = (uint64_t)in->ctime.tv_sec;
    out->st_ctime_nsec = (uint64_t)in->ctime.tv_nsec;
}

static struct linux_statx_timestamp statx_time(struct linux_timespec t)
{
    return (struct linux_statx_timestamp){.tv_sec = t.tv_sec, .tv_nsec = (uint32_t)t.tv_nsec};
}

static void stat_to_statx(const px_stat_info *in, struct linux_statx *out)
{
    memset(out, 0, sizeof *out);
    out->stx_mask = LINUX_STATX_BASIC_STATS | (in->has_btime ? LINUX_STATX_BTIME : 0);
    out->stx_blksize = (uint32_t)in->blksize;
    out->stx_nlink = (uint32_t)in->nlink;
    out->stx_uid = in->uid;
    out->stx_gid = in->gid;
    out->stx_mode = (uint16_t)in->mode;
    out->stx_ino = in->ino;
    out->stx_size = (uint64_t)in->size;
    out->stx_blocks = (uint64_t)in->blocks;
    out->stx_atime = statx_time(in->atime);
    out->stx_btime = in->has_btime ? statx_time(in->btime) : (struct linux_statx_timestamp){0};
    out->stx_ctime = statx_time(in->ctime);
    out->stx_mtime = statx_time(in->mtime);
    out->stx_rdev_major = (uint32_t)((in->rdev >> 8) & 0xfff);
    out->stx_rdev_minor = (uint32_t)((in->rdev & 0xff) | ((in->rdev >> 12) & 0xfff00));
    out->stx_dev_major = (uint32_t)((in->dev >> 8) & 0xfff);
    out->stx_dev_minor = (uint32_t)((in->dev & 0xff) | ((in->dev >> 12) & 0xfff00));
}

static int64_t stat_fd(int fd, px_stat_info *st)
{
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r = f->ops->stat ? f->ops->stat(f, st) : -LINUX_EINVAL;
    px_file_unref(f);
    return r;
}

/* The *at forms: a path relative to dirfd, or with AT_EMPTY_PATH and "" the fd itself. */
static int64_t stat_at(int dirfd, uint64_t guest_path, uint32_t flags, px_stat_info *st)
{
    char path[PX_PATH_MAX];
    int64_t r = px_path_in(path, guest_path);
    if (r < 0) return r;
    if (!path[0] && (flags & LINUX_AT_EMPTY_PATH) && dirfd != LINUX_AT_FDCWD) return stat_fd(dirfd, st);
    px_vfs_path *vp = px_alloc(sizeof *vp);
    if (!vp) return -LINUX_ENOMEM;
    int resolve = (flags & LINUX_AT_SYMLINK_NOFOLLOW) ? 0 : PX_VFS_FOLLOW | PX_VFS_MAGIC;
    if (flags & LINUX_AT_EMPTY_PATH) resolve |= PX_VFS_EMPTY_OK;
    r = px_vfs_resolve(dirfd, path, resolve, vp);
    if (r == 0) r = px_vfs_stat(vp, st);
    px_free(vp);
    return r;
}

static int64_t put_stat(int64_t r, const px_stat_info *st, uint64_t guest_buf)
{
    if (r < 0) return r;
    struct linux_stat out;
    px_stat_to_linux(st, &out);
    return PX_PUT(guest_buf, &out);
}

/* stat(2) */
PX_SYSCALL(stat)
{
    uint64_t path = PX_ARG0;
    uint64_t buf = PX_ARG1;
    px_stat_info st;
    return put_stat(stat_at(LINUX_AT_FDCWD, path, 0, &st), &st, buf);
}

/* lstat(2) */
PX_SYSCALL(lstat)
{
    uint64_t path = PX_ARG0;
    uint64_t buf = PX_ARG1;
    px_stat_info st;
    return put_stat(stat_at(LINUX_AT_FDCWD, path, LINUX_AT_SYMLINK_NOFOLLOW, &st), &st, buf);
}

/* fstat(2) */
PX_SYSCALL(fstat)
{
    int fd = (int)PX_ARG0;
    uint64_t buf = PX_ARG1;
    px_stat_info st;
    return put_stat(stat_fd(fd, &st), &st, buf);
}

/* newfstatat(2), glibc's fstatat */
PX_SYSCALL(newfstatat)
{
    int dirfd = (int)PX_ARG0;
    uint64_t path = PX_ARG1;
    uint64_t buf = PX_ARG2;
    uint32_t flags = (uint32_t)PX_ARG3;
    if (flags & ~(uint32_t)(LINUX_AT_SYMLINK_NOFOLLOW | LINUX_AT_EMPTY_PATH | LINUX_AT_NO_AUTOMOUNT)) return -LINUX_EINVAL;
    px_stat_info st;
    return put_stat(stat_at(dirfd, path, flags, &st), &st, buf);
}

/* statx(2) */
PX_SYSCALL(statx)
{
    int dirfd = (int)PX_ARG0;
    uint64_t path = PX_ARG1;
    uint32_t flags = (uint32_t)PX_ARG2;
    uint64_t buf = PX_ARG4;
    if (flags & ~(uint32_t)(LINUX_AT_SYMLINK_NOFOLLOW | LINUX_AT_EMPTY_PATH | LINUX_AT_NO_AUTOMOUNT |
                            LINUX_AT_STATX_SYNC_TYPE))
        return -LINUX_EINVAL;
    if ((flags & LINUX_AT_STATX_SYNC_TYPE) == LINUX_AT_STATX_SYNC_TYPE) return -LINUX_EINVAL;
    px_stat_info st;
    int64_t r = stat_at(dirfd, path, flags, &st);
    if (r < 0) return r;
    struct linux_statx out;
    stat_to_statx(&st, &out);
    return PX_PUT(buf, &out);
}
