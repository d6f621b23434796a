/* The lxfs type: path operations on an installed distro's store, and its open files.
   Names, types, modes, owners, times and links live in the store (lxstore.c); a regular
   file's bytes live in data\<ino>, opened directly for reads and writes. Every operation
   runs between lx_disk_begin and lx_disk_end, so it sees what other picolx processes of
   the same distro changed. */
#include <wctype.h>
#include "core/errors.h"
#include "core/px.h"
#include "fs/fs_internal.h"
#include "fs/lxfs/lxfs.h"
#include "fs/lxfs/lxfs_disk.h"
#include "fs/fd_handoff.h"
#include "fs/fifo.h"
#include "fs/pseudo/pseudo.h"
#include "core/cred.h"
#include "host/host_fileinfo.h"

#define MAX_IO_CHUNK 0x7ffff000u
#define EXT4_SUPER_MAGIC 0xef53 /* what statfs reports: programs treat it as a plain Linux disk */

static lx_disk *disk_of(px_mount *m) { return m->data; }
static bool is_type(const lx_inode *i, uint32_t fmt) { return (i->mode & LINUX_S_IFMT) == fmt; }
static struct linux_timespec ts_of(lx_time t) { return (struct linux_timespec){t.sec, t.nsec}; }

/* Permission bits for the caller: want is a mask of 4 (read), 2 (write), 1 (execute). */
static bool may(const lx_inode *i, uint32_t want)
{
    uint32_t uid = px_current_fsuid();
    if (uid == 0) /* root: everything, but executing needs some x bit (directories: search) */
        return !(want & 1) || is_type(i, LINUX_S_IFDIR) || (i->mode & 0111);
    uint32_t bits = uid == i->uid ? i->mode >> 6 : px_current_fsgid() == i->gid ? i->mode >> 3 : i->mode;
    return ((bits & 7) & want) == want;
}

static int64_t data_size(lx_disk *d, uint64_t ino)
{
    wchar_t *p = lx_disk_data_path(d, ino);
    px_host_file_attrs fa;
    bool ok = p && px_host_path_info(p, &fa) == 0;
    px_free(p);
    return ok ? fa.size : 0;
}

static void fill_stat(px_mount *m, const lx_inode *i, int64_t size, px_stat_info *st)
{
    memset(st, 0, sizeof *st);
    st->dev = m->dev;
    st->ino = i->ino;
    st->nlink = i->nlink;
    st->mode = i->mode;
    st->uid = i->uid;
    st->gid = i->gid;
    st->rdev = i->rdev;
    st->blksize = 4096;
    st->atime = ts_of(i->atime);
    st->mtime = ts_of(i->mtime);
    st->ctime = ts_of(i->ctime);
    if (is_type(i, LINUX_S_IFDIR) && disk_of(m)->tmpfs_sizes) {
        size = (int64_t)(i->entries + 2) * 20; /* tmpfs counts 20 bytes an entry, no blocks */
    } else if (is_type(i, LINUX_S_IFDIR)) {
        /* as ext4: a block, and more as the entries grow */
        size = (int64_t)PX_ALIGN_UP(48 + i->entries * 24 + 1, 4096);
        st->blocks = size / 512;
    } else if (is_type(i, LINUX_S_IFLNK)) {
        size = i->target ? (int64_t)strlen(i->target) : 0;
    } else if (is_type(i, LINUX_S_IFREG)) {
        st->blocks = (int64_t)PX_ALIGN_UP((uint64_t)size, 4096) / 512;
    } else {
        size = 0;
    }
    st->size = size;
}

/* Walks rel; *i is NULL if only the last component is missing (then *dir is its directory). */
typedef struct where {
    lx_inode *i, *dir;
    const char *name;
    size_t len;
} where;

static int64_t find(lx_disk *d, const char *rel, where *w)
{
    memset(w, 0, sizeof *w);
    int64_t r = lx_walk(&d->st, rel, &w->i, &w->dir, &w->name, &w->len);
    if (r == -LINUX_ENOENT && w->dir && w->len) return 0; /* the last one is missing */
    if (r < 0) return r;
    return 0;
}

/* May the caller add or remove names in dir (and remove victim, with the sticky bit)? */
static int64_t may_change_dir(const lx_inode *dir, const lx_inode *victim)
{
    if (!may(dir, 2 | 1)) return -LINUX_EACCES;
    uint32_t uid = px_current_fsuid();
    if (victim && (dir->mode & LINUX_S_ISVTX) && uid != 0 && uid != dir->uid && uid != victim->uid)
        return -LINUX_EPERM;
    return 0;
}

static lx_attr new_attr(const lx_inode *dir, uint32_t mode)
{
    lx_time now = lx_time_now();
    lx_attr a = {.mode = mode, .uid = px_current_fsuid(), .gid = px_current_fsgid(), .atime = now, .mtime = now, .ctime = now};
    if (dir->mode & LINUX_S_ISGID) { /* BSD group semantics of a setgid directory */
        a.gid = dir->gid;
        if ((mode & LINUX_S_IFMT) == LINUX_S_IFDIR) a.mode |= LINUX_S_ISGID;
    }
    return a;
}

/* A directory's mtime and ctime follow changes of its entries, as on Linux. */
static void touch_dir(lx_disk *d, lx_inode *dir)
{
    lx_attr a = lx_attr_of(dir);
    a.mtime = a.ctime = lx_time_now();
    lx_store_setattr(&d->st, dir->ino, &a);
}

/* Creates a node (not a regular file: those need their data file) at rel. */
static int64_t make_node(px_mount *m, const char *rel, uint32_t mode, uint64_t rdev, const char *target)
{
    lx_disk *d = disk_of(m);
    int64_t r = lx_disk_begin(d);
    if (r < 0) return r;
    where w;
    if ((r = find(d, rel, &w)) == 0) {
        if (w.i) r = -LINUX_EEXIST;
        else if ((r = may_change_dir(w.dir, NULL)) == 0) {
            lx_attr a = new_attr(w.dir, mode);
            a.rdev = rdev;
            a.target = target;
            if (target) a.size_hint = strlen(target);
            r = lx_store_create(&d->st, w.dir->ino, w.name, w.len, &a, NULL);
            if (r == 0) touch_dir(d, w.dir);
        }
    }
    lx_disk_end(d);
    return r;
}

/* Creates an empty regular file: its data file first (an orphan if we die before the
   record), then the record. */
static int64_t make_regular(lx_disk *d, lx_inode *dir, const char *name, size_t len, uint32_t mode, uint64_t *ino)
{
    int64_t r = may_change_dir(dir, NULL);
    if (r < 0) return r;
    uint64_t next = d->st.max_ino + 1;
    wchar_t *p = lx_disk_data_path(d, next);
    if (!p) return -LINUX_ENOMEM;
    px_host_handle h;
    r = px_host_file_open_ex(p, PX_HOST_ACCESS_WRITE, PX_HOST_SHARE_ALL, PX_HOST_DISP_CREATE_ALWAYS, PX_HOST_OPEN_NORMAL, &h);
    if (r < 0) {
        px_free(p);
        return r;
    }
    px_host_close(h);
    lx_attr a = new_attr(dir, LINUX_S_IFREG | (mode & 07777));
    r = lx_store_create(&d->st, dir->ino, name, len, &a, ino);
    if (r < 0) px_host_file_delete(p);
    else touch_dir(d, dir);
    px_free(p);
    return r;
}

/* --- open files --- */

typedef struct lx_open {
    lx_disk *disk;
    uint64_t ino;
    bool written, dirty;       /* dirty: written since the mtime was last recorded */
    px_stat_info last;         /* what fstat says once the inode is gone (unlinked while open) */
} lx_open;

static void record_mtime(lx_open *o)
{
    if (lx_disk_begin(o->disk) < 0) return;
    lx_inode *i = lx_inode_get(&o->disk->st, o->ino);
    if (i) {
        lx_attr a = lx_attr_of(i);
        a.mtime = a.ctime = lx_time_now();
        /* Linux drops setuid (and setgid with group exec) when an unprivileged user writes */
        if (px_current_fsuid() != 0) a.mode &= ~(uint32_t)(LINUX_S_ISUID | ((a.mode & 010) ? LINUX_S_ISGID : 0));
        lx_store_setattr(&o->disk->st, o->ino, &a);
    }
    lx_disk_end(o->disk);
    o->dirty = false;
}

static int64_t lx_pread_direct(px_file *f, void *buf, uint64_t len, uint64_t offset)
{
    if (len > MAX_IO_CHUNK) len = MAX_IO_CHUNK;
    if (offset > INT64_MAX) return -LINUX_EINVAL;
    return px_host_file_pread(f->handle, buf, (size_t)len, offset); /* 0 at the end */
}

static int64_t lx_pwrite_direct(px_file *f, const void *buf, uint64_t len, uint64_t offset)
{
    lx_open *o = f->data;
    if (len > MAX_IO_CHUNK) len = MAX_IO_CHUNK;
    if (offset > INT64_MAX) return -LINUX_EINVAL;
    /* O_APPEND: at the end whatever the offset says, whole (append.c) */
    int64_t put = (f->status_flags & LINUX_O_APPEND) ? px_append_write(f->handle, buf, (size_t)len, NULL)
                                                      : px_host_file_pwrite(f->handle, buf, (size_t)len, offset);
    if (put < 0) return put;
    if (!o->written) { o->written = true; record_mtime(o); }
    else o->dirty = true;
    return put;
}

/* buf is the guest's: a bad page in it fails the whole Windows call, where Linux moves
   what comes before it (see px_pread_bounced) */
static int64_t lx_pread(px_file *f, void *buf, uint64_t len, uint64_t offset)
{
    int64_t r = lx_pread_direct(f, buf, len, offset);
    if (r == -LINUX_EFAULT) r = px_pread_bounced(f, (uint64_t)(uintptr_t)buf, len, offset, lx_pread_direct);
    return r;
}

static int64_t lx_pwrite(px_file *f, const void *buf, uint64_t len, uint64_t offset)
{
    int64_t r = lx_pwrite_direct(f, buf, len, offset);
    if (r < 0 && r != -LINUX_EINVAL)
        r = px_pwrite_bounced(f, (uint64_t)(uintptr_t)buf, len, offset, lx_pwrite_direct, r);
    return r;
}

static int64_t handle_size(px_file *f)
{
    uint64_t size;
    int64_t r = px_host_file_size(f->handle, &size);
    return r < 0 ? r : (int64_t)size;
}

static int64_t lx_read(px_file *f, void *buf, uint64_t len)
{
    int64_t r = lx_pread(f, buf, len, f->pos);
    if (r > 0) f->pos += (uint64_t)r;
    return r;
}

static int64_t lx_write(px_file *f, const void *buf, uint64_t len)
{
    int64_t r = lx_pwrite(f, buf, len, f->pos);
    if (r < 0) return r;
    if (f->status_flags & LINUX_O_APPEND) {
        int64_t size = handle_size(f);
        if (size >= 0) f->pos = (uint64_t)size;
    } else {
        f->pos += (uint64_t)r;
    }
    return r;
}

static int64_t lx_lseek(px_file *f, int64_t offset, int whence)
{
    int64_t base;
    switch (whence) {
    case LINUX_SEEK_SET: base = 0; break;
    case LINUX_SEEK_CUR: base = (int64_t)f->pos; break;
    case LINUX_SEEK_END:
        if ((base = handle_size(f)) < 0) return base;
        break;
    default: return -LINUX_EINVAL;
    }
    if ((offset > 0 && base > INT64_MAX - offset) || base + offset < 0) return -LINUX_EINVAL;
    f->pos = (uint64_t)(base + offset);
    return (int64_t)f->pos;
}

static int64_t lx_fstat(px_file *f, px_stat_info *st)
{
    lx_open *o = f->data;
    if (o->dirty) record_mtime(o);
    int64_t r = lx_disk_begin(o->disk);
    if (r < 0) return r;
    lx_inode *i = lx_inode_get(&o->disk->st, o->ino);
    if (i) {
        fill_stat(f->mount, i, f->handle ? handle_size(f) : 0, st);
        o->last = *st;
    } else { /* unlinked while open */
        *st = o->last;
        st->nlink = 0;
        if (f->handle) {
            st->size = handle_size(f);
            st->blocks = (int64_t)PX_ALIGN_UP((uint64_t)st->size, 4096) / 512;
        }
    }
    lx_disk_end(o->disk);
    return 0;
}

static int64_t lx_fsync(px_file *f)
{
    lx_open *o = f->data;
    if (o->dirty) record_mtime(o);
    int64_t r = f->handle ? px_host_file_flush(f->handle) : 0;
    if (r < 0) return r;
    return px_host_file_flush(o->disk->log);
}

static int64_t lx_ftruncate(px_file *f, uint64_t len)
{
    if (len > INT64_MAX) return -LINUX_EINVAL;
    int64_t r = px_host_file_set_size(f->handle, len);
    if (r < 0) return r;
    lx_open *o = f->data;
    o->written = true;
    record_mtime(o);
    return 0;
}

static void lx_release(px_file *f)
{
    lx_open *o = f->data;
    if (o->dirty) record_mtime(o);
    if (f->handle) px_host_close(f->handle);
    px_free(o);
}

/* getdents64: "." is offset 1, ".." 2, entries their cookie (>= 3); f->pos is the offset
   of the last entry returned, so telldir/seekdir positions survive other entries coming
   and going. */
static bool put_dirent(uint8_t *buf, uint64_t len, uint64_t *used, uint64_t ino, uint64_t key,
                       uint8_t type, const char *name, size_t nlen)
{
    uint64_t reclen = PX_ALIGN_UP(19 + nlen + 1, 8);
    if (*used + reclen > len) return false;
    struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + *used);
    e->d_ino = ino;
    e->d_off = (int64_t)key;
    e->d_reclen = (uint16_t)reclen;
    e->d_type = type;
    memcpy(e->d_name, name, nlen);
    memset(e->d_name + nlen, 0, reclen - 19 - nlen);
    *used += reclen;
    return true;
}

static int64_t lx_getdents(px_file *f, void *buf, uint64_t len)
{
    lx_open *o = f->data;
    int64_t r = lx_disk_begin(o->disk);
    if (r < 0) return r;
    lx_inode *dir = lx_inode_get(&o->disk->st, o->ino);
    uint64_t used = 0;
    bool room = true;
    if (!dir) r = -LINUX_ENOENT;
    else {
        if (f->pos < 1 && (room = put_dirent(buf, len, &used, dir->ino, 1, 4, ".", 1))) f->pos = 1;
        if (room && f->pos < 2 && (room = put_dirent(buf, len, &used, dir->parent, 2, 4, "..", 2))) f->pos = 2;
        for (lx_dirent *d = dir->first; d && room; d = d->next) {
            if (d->cookie <= f->pos) continue;
            lx_inode *c = lx_inode_get(&o->disk->st, d->child);
            uint8_t type = c ? (uint8_t)((c->mode >> 12) & 15) : 0;
            if ((room = put_dirent(buf, len, &used, d->child, d->cookie, type, LX_DIRENT_NAME(d), d->name_len)))
                f->pos = d->cookie;
        }
        if (!room && used == 0) r = -LINUX_EINVAL; /* the buffer cannot hold one entry */
    }
    lx_disk_end(o->disk);
    return r < 0 ? r : (int64_t)used;
}

static int64_t lx_dir_seek(px_file *f, int64_t offset, int whence)
{
    if (whence != LINUX_SEEK_SET || offset < 0) return whence == LINUX_SEEK_CUR && offset == 0 ? (int64_t)f->pos : -LINUX_EINVAL;
    f->pos = (uint64_t)offset;
    return offset;
}

/* A new process (fd_handoff.h): the data file's handle is duplicated; the inode and
   its last stat go along. Directories and O_PATH files are opened again by path. */
static const px_file_ops lx_file_ops;

typedef struct lx_handoff_state {
    uint64_t ino;
    uint8_t written;
    px_stat_info last;
} lx_handoff_state;
_Static_assert(sizeof(lx_handoff_state) <= PX_HANDOFF_STATE_MAX, "lxfs state fits");

static size_t lx_handoff_save(px_file *f, void *state)
{
    lx_open *o = f->data;
    if (o->dirty) record_mtime(o);
    lx_handoff_state s = {.ino = o->ino, .written = o->written, .last = o->last};
    memcpy(state, &s, sizeof s);
    return sizeof s;
}

static px_file *lx_handoff_rebuild(const px_handoff_file *hf)
{
    lx_handoff_state s;
    /* a mount of an lxfs store: a distro's, or a tmpfs made of one (its type has lxfs's open) */
    if (hf->state_len != sizeof s || !hf->mount || hf->mount->type->open != px_lxfs_type.open) return NULL;
    memcpy(&s, hf->state, sizeof s);
    lx_open *o = px_calloc(1, sizeof *o);
    px_file *f = o ? px_file_new(&lx_file_ops, hf->handle, hf->status_flags) : NULL;
    if (!f) {
        px_free(o);
        return NULL;
    }
    *o = (lx_open){.disk = disk_of(hf->mount), .ino = s.ino, .written = s.written, .last = s.last};
    f->data = o;
    return f;
}

const px_file_handoff px_lxfs_handoff = {.kind = PX_HANDOFF_LXFS, .save = lx_handoff_save, .rebuild = lx_handoff_rebuild};

static const px_file_ops lx_file_ops = {
    .read = lx_read,
    .write = lx_write,
    .pread = lx_pread,
    .pwrite = lx_pwrite,
    .lseek = lx_lseek,
    .stat = lx_fstat,
    .fsync = lx_fsync,
    .truncate = lx_ftruncate,
    .release = lx_release,
    .disk_data = true, /* the data file in the store */
    .handoff = &px_lxfs_handoff,
};

/* O_PATH files, directories, and nodes we keep only the metadata of */
static const px_file_ops lx_dir_ops = {
    .lseek = lx_dir_seek,
    .stat = lx_fstat,
    .getdents = lx_getdents,
    .fsync = lx_fsync,
    .release = lx_release,
    .handoff = &px_handoff_reopen,
};

static const px_file_ops lx_meta_ops = {
    .stat = lx_fstat,
    .release = lx_release,
    .handoff = &px_handoff_reopen,
};

static uint32_t access_of(uint32_t flags)
{
    static const uint32_t rows[4] = {PX_HOST_ACCESS_READ, PX_HOST_ACCESS_WRITE, PX_HOST_ACCESS_READ | PX_HOST_ACCESS_WRITE,
                                     PX_HOST_ACCESS_READ | PX_HOST_ACCESS_WRITE};
    return rows[flags & LINUX_O_ACCMODE] | ((flags & LINUX_O_TRUNC) ? PX_HOST_ACCESS_WRITE : 0) | PX_HOST_ACCESS_SYNCHRONIZE;
}

/* The FIFO of a store's inode is named after the store's directory and the inode, so
   every process of the distro opens the same one. */
static uint64_t fifo_space(const lx_disk *d)
{
    size_t n = wcslen(d->dir);
    wchar_t *lower = px_alloc((n + 1) * sizeof *lower);
    if (!lower) return px_fifo_space_of(d->dir, n * sizeof *d->dir);
    for (size_t i = 0; i < n; i++) lower[i] = (wchar_t)towlower(d->dir[i]); /* Windows paths ignore case */
    uint64_t space = px_fifo_space_of(lower, n * sizeof *lower);
    px_free(lower);
    return space;
}

/* A FIFO or character device node, opened: node is its metadata-only file (fstat), taken over. */
static int64_t open_special(lx_disk *d, px_file *node, uint32_t flags, px_file **out)
{
    lx_open *o = node->data;
    if ((o->last.mode & LINUX_S_IFMT) == LINUX_S_IFIFO)
        return px_fifo_open(fifo_space(d), o->ino, node, flags, out); /* may block: outside the store's lock */
    px_stat_info st = o->last;
    px_file_unref(node);
    return px_devfs_open_rdev(st.rdev, flags, &st, NULL, out);
}

static int64_t lxfs_open(px_mount *m, const char *rel, uint32_t flags, uint32_t mode, px_file **out)
{
    lx_disk *d = disk_of(m);
    int64_t r = lx_disk_begin(d);
    if (r < 0) return r;
    where w;
    uint64_t ino = 0;
    bool created = false, special = false;
    uint32_t acc = flags & LINUX_O_ACCMODE;
    px_file *f = NULL;
    if ((r = find(d, rel, &w)) < 0) goto done;
    if (!w.i) {
        if (!(flags & LINUX_O_CREAT)) { r = -LINUX_ENOENT; goto done; }
        if (flags & LINUX_O_DIRECTORY) { r = -LINUX_EINVAL; goto done; }
        if ((r = make_regular(d, w.dir, w.name, w.len, mode, &ino)) < 0) goto done;
        w.i = lx_inode_get(&d->st, ino);
        created = true;
    } else {
        ino = w.i->ino;
        if ((flags & (LINUX_O_CREAT | LINUX_O_EXCL)) == (LINUX_O_CREAT | LINUX_O_EXCL)) { r = -LINUX_EEXIST; goto done; }
        if (is_type(w.i, LINUX_S_IFLNK) && !(flags & LINUX_O_PATH)) { r = -LINUX_ELOOP; goto done; }
        if ((flags & LINUX_O_DIRECTORY) && !is_type(w.i, LINUX_S_IFDIR)) { r = -LINUX_ENOTDIR; goto done; }
        if (is_type(w.i, LINUX_S_IFDIR) && (acc != LINUX_O_RDONLY || (flags & LINUX_O_TRUNC)) && !(flags & LINUX_O_PATH)) {
            r = -LINUX_EISDIR;
            goto done;
        }
        if (!(flags & LINUX_O_PATH)) {
            uint32_t want = (acc == LINUX_O_RDONLY ? 4 : acc == LINUX_O_WRONLY ? 2 : 6) | ((flags & LINUX_O_TRUNC) ? 2 : 0);
            if (!may(w.i, want)) { r = -LINUX_EACCES; goto done; }
            /* a FIFO opens the pipe all processes of the distro share (fifo.c), a
               character device node the device of its number; block devices and
               sockets have no driver here (ENXIO, as Linux without one) */
            special = is_type(w.i, LINUX_S_IFIFO) || is_type(w.i, LINUX_S_IFCHR);
            if (!special && !is_type(w.i, LINUX_S_IFREG) && !is_type(w.i, LINUX_S_IFDIR)) { r = -LINUX_ENXIO; goto done; }
        }
    }
    px_host_handle h = NULL;
    if (is_type(w.i, LINUX_S_IFREG) && !(flags & LINUX_O_PATH)) {
        wchar_t *p = lx_disk_data_path(d, ino);
        r = p ? px_host_file_open_ex(p, access_of(flags), PX_HOST_SHARE_ALL, PX_HOST_DISP_OPEN_EXISTING,
                                     PX_HOST_OPEN_NORMAL, &h)
              : -LINUX_ENOMEM;
        px_free(p);
        if (r < 0) goto done;
    }
    lx_open *o = px_calloc(1, sizeof *o);
    const px_file_ops *ops = h ? &lx_file_ops : is_type(w.i, LINUX_S_IFDIR) && !(flags & LINUX_O_PATH) ? &lx_dir_ops : &lx_meta_ops;
    f = o ? px_file_new(ops, h, flags) : NULL;
    if (!f) {
        px_free(o);
        if (h) px_host_close(h);
        r = -LINUX_ENOMEM;
        goto done;
    }
    o->disk = d;
    o->ino = ino;
    f->data = o;
    f->mount = m;
    f->is_dir = is_type(w.i, LINUX_S_IFDIR);
    fill_stat(m, w.i, 0, &o->last);
    if (h && (flags & LINUX_O_TRUNC) && !created) {
        px_host_file_set_size(h, 0);
        lx_disk_end(d);
        o->written = true;
        record_mtime(o);
        *out = f;
        return 0;
    }
    *out = f;
    r = 0;
done:
    lx_disk_end(d);
    if (r == 0 && special) return open_special(d, f, flags, out);
    return r;
}

/* --- path operations --- */

static int64_t lxfs_stat(px_mount *m, const char *rel, px_stat_info *st)
{
    lx_disk *d = disk_of(m);
    int64_t r = lx_disk_begin(d);
    if (r < 0) return r;
    lx_inode *i;
    if ((r = lx_walk(&d->st, rel, &i, NULL, NULL, NULL)) == 0)
        fill_stat(m, i, is_type(i, LINUX_S_IFREG) ? data_size(d, i->ino) : 0, st);
    lx_disk_end(d);
    return r;
}

static int64_t lxfs_readlink(px_mount *m, const char *rel, char *buf, uint64_t size)
{
    lx_disk *d = disk_of(m);
    int64_t r = lx_disk_begin(d);
    if (r < 0) return r;
    lx_inode *i;
    if ((r = lx_walk(&d->st, rel, &i, NULL, NULL, NULL)) == 0) {
        if (!is_type(i, LINUX_S_IFLNK) || !i->target) r = -LINUX_EINVAL;
        else {
            size_t n = strlen(i->target);
            if (n > size) n = (size_t)size;
            memcpy(buf, i->target, n);
            r = (int64_t)n;
        }
    }
    lx_disk_end(d);
    return r;
}

static int64_t lxfs_access(px_mount *m, const char *rel, int mode)
{
    lx_disk *d = disk_of(m);
    int64_t r = lx_disk_begin(d);
    if (r < 0) return r;
    lx_inode *i;
    if ((r = lx_walk(&d->st, rel, &i, NULL, NULL, NULL)) == 0 && mode && !may(i, (uint32_t)mode & 7)) r = -LINUX_EACCES;
    lx_disk_end(d);
    return r;
}

static int64_t lxfs_mkdir(px_mount *m, const char *rel, uint32_t mode)
{
    return make_node(m, rel, LINUX_S_IFDIR | (mode & 07777), 0, NULL);
}

static int64_t lxfs_mknod(px_mount *m, const char *rel, uint32_t mode, uint64_t dev)
{
    uint32_t fmt = mode & LINUX_S_IFMT;
    if (fmt == 0) fmt = LINUX_S_IFREG;
    if ((fmt == LINUX_S_IFCHR || fmt == LINUX_S_IFBLK) && px_current_fsuid() != 0) return -LINUX_EPERM;
    if (fmt == LINUX_S_IFREG) {
        lx_disk *d = disk_of(m);
        int64_t r = lx_disk_begin(d);
        if (r < 0) return r;
        where w;
        if ((r = find(d, rel, &w)) == 0) r = w.i ? -LINUX_EEXIST : make_regular(d, w.dir, w.name, w.len, mode, NULL);
        lx_disk_end(d);
        return r;
    }
    if (fmt != LINUX_S_IFIFO && fmt != LINUX_S_IFCHR && fmt != LINUX_S_IFBLK && fmt != LINUX_S_IFSOCK) return -LINUX_EINVAL;
    return make_node(m, rel, fmt | (mode & 07777), fmt == LINUX_S_IFCHR || fmt == LINUX_S_IFBLK ? dev : 0, NULL);
}

static int64_t lxfs_symlink(px_mount *m, const char *target, const char *rel)
{
    if (!target[0]) return -LINUX_ENOENT;
    if (strlen(target) > LX_SYMLINK_MAX) return -LINUX_ENAMETOOLONG;
    return make_node(m, rel, LINUX_S_IFLNK | 0777, 0, target);
}

static int64_t remove_name(px_mount *m, const char *rel, bool want_dir)
{
    lx_disk *d = disk_of(m);
    if (!rel[0]) return want_dir ? -LINUX_EBUSY : -LINUX_EISDIR;
    int64_t r = lx_disk_begin(d);
    if (r < 0) return r;
    where w;
    if ((r = find(d, rel, &w)) == 0) {
        if (!w.i) r = -LINUX_ENOENT;
        else if (want_dir && !is_type(w.i, LINUX_S_IFDIR)) r = -LINUX_ENOTDIR;
        else if (!want_dir && is_type(w.i, LINUX_S_IFDIR)) r = -LINUX_EISDIR;
        else if ((r = may_change_dir(w.dir, w.i)) == 0 &&
                 (r = lx_store_unlink(&d->st, w.dir->ino, w.name, w.len)) == 0) {
            touch_dir(d, w.dir);
        }
    }
    lx_disk_end(d);
    return r;
}

static int64_t lxfs_unlink(px_mount *m, const char *rel) { return remove_name(m, rel, false); }
static int64_t lxfs_rmdir(px_mount *m, const char *rel) { return remove_name(m, rel, true); }

static int64_t lxfs_rename(px_mount *m, const char *from, const char *to, uint32_t flags)
{
    if (!from[0] || !to[0]) return -LINUX_EBUSY;
    lx_disk *d = disk_of(m);
    int64_t r = lx_disk_begin(d);
    if (r < 0) return r;
    where a, b;
    if ((r = find(d, from, &a)) == 0 && (r = find(d, to, &b)) == 0) {
        if (!a.i) r = -LINUX_ENOENT;
        else if ((r = may_change_dir(a.dir, a.i)) == 0 && (r = may_change_dir(b.dir, b.i)) == 0) {
            uint32_t f = ((flags & LINUX_RENAME_NOREPLACE) ? LX_RENAME_NOREPLACE : 0) |
                         ((flags & LINUX_RENAME_EXCHANGE) ? LX_RENAME_EXCHANGE : 0);
            if (flags & ~(uint32_t)(LINUX_RENAME_NOREPLACE | LINUX_RENAME_EXCHANGE)) r = -LINUX_EINVAL;
            else r = lx_store_rename(&d->st, a.dir->ino, a.name, a.len, b.dir->ino, b.name, b.len, f);
            if (r == 0) {
                touch_dir(d, a.dir);
                if (b.dir != a.dir) touch_dir(d, b.dir);
            }
        }
    }
    lx_disk_end(d);
    return r;
}

static int64_t lxfs_link(px_mount *m, const char *existing, const char *new_rel)
{
    lx_disk *d = disk_of(m);
    int64_t r = lx_disk_begin(d);
    if (r < 0) return r;
    where a, b;
    if ((r = find(d, existing, &a)) == 0 && (r = find(d, new_rel, &b)) == 0) {
        if (!a.i) r = -LINUX_ENOENT;
        else if (is_type(a.i, LINUX_S_IFDIR)) r = -LINUX_EPERM;
        else if (b.i) r = -LINUX_EEXIST;
        else if ((r = may_change_dir(b.dir, NULL)) == 0 &&
                 (r = lx_store_link(&d->st, a.i->ino, b.dir->ino, b.name, b.len)) == 0) {
            lx_attr at = lx_attr_of(a.i);
            at.ctime = lx_time_now();
            lx_store_setattr(&d->st, a.i->ino, &at);
            touch_dir(d, b.dir);
        }
    }
    lx_disk_end(d);
    return r;
}

/* Changes an inode's attributes with change(attr, inode) (returns 0 or an errno). */
static int64_t change_attr(px_mount *m, const char *rel, int64_t (*change)(lx_attr *, const lx_inode *, const void *), const void *arg)
{
    lx_disk *d = disk_of(m);
    int64_t r = lx_disk_begin(d);
    if (r < 0) return r;
    lx_inode *i;
    if ((r = lx_walk(&d->st, rel, &i, NULL, NULL, NULL)) == 0) {
        lx_attr a = lx_attr_of(i);
        if ((r = change(&a, i, arg)) == 0) r = lx_store_setattr(&d->st, i->ino, &a);
    }
    lx_disk_end(d);
    return r;
}

static int64_t do_chmod(lx_attr *a, const lx_inode *i, const void *arg)
{
    uint32_t mode = *(const uint32_t *)arg, uid = px_current_fsuid();
    if (uid != 0 && uid != i->uid) return -LINUX_EPERM;
    if (uid != 0 && i->gid != px_current_fsgid() && !is_type(i, LINUX_S_IFDIR)) mode &= ~(uint32_t)LINUX_S_ISGID;
    a->mode = (i->mode & LINUX_S_IFMT) | (mode & 07777);
    a->ctime = lx_time_now();
    return 0;
}

static int64_t lxfs_chmod(px_mount *m, const char *rel, uint32_t mode) { return change_attr(m, rel, do_chmod, &mode); }

static int64_t do_chown(lx_attr *a, const lx_inode *i, const void *arg)
{
    const uint32_t *ids = arg;
    uint32_t uid = px_current_fsuid();
    if (uid != 0) { /* the owner may only give the file to a group of his own */
        if ((ids[0] != UINT32_MAX && ids[0] != i->uid) || uid != i->uid) return -LINUX_EPERM;
        if (ids[1] != UINT32_MAX && ids[1] != px_current_fsgid()) return -LINUX_EPERM;
    }
    if (ids[0] != UINT32_MAX) a->uid = ids[0];
    if (ids[1] != UINT32_MAX) a->gid = ids[1];
    if ((ids[0] != UINT32_MAX || ids[1] != UINT32_MAX) && !is_type(i, LINUX_S_IFDIR) && !is_type(i, LINUX_S_IFLNK)) {
        /* as Linux: ownership changes drop setuid, and setgid when it means "executable" */
        a->mode &= ~(uint32_t)LINUX_S_ISUID;
        if (a->mode & 010) a->mode &= ~(uint32_t)LINUX_S_ISGID;
    }
    a->ctime = lx_time_now();
    return 0;
}

static int64_t lxfs_chown(px_mount *m, const char *rel, uint32_t uid, uint32_t gid)
{
    uint32_t ids[2] = {uid, gid};
    return change_attr(m, rel, do_chown, ids);
}

static int64_t do_utimens(lx_attr *a, const lx_inode *i, const void *arg)
{
    const struct linux_timespec *t = arg;
    lx_time now = lx_time_now();
    uint32_t uid = px_current_fsuid();
    bool explicit_time = t && ((t[0].tv_nsec != LINUX_UTIME_NOW && t[0].tv_nsec != LINUX_UTIME_OMIT) ||
                               (t[1].tv_nsec != LINUX_UTIME_NOW && t[1].tv_nsec != LINUX_UTIME_OMIT));
    if (uid != 0 && uid != i->uid && (explicit_time || !may(i, 2))) return explicit_time ? -LINUX_EPERM : -LINUX_EACCES;
    lx_time *slots[2] = {&a->atime, &a->mtime};
    for (int k = 0; k < 2; k++) {
        if (!t || t[k].tv_nsec == LINUX_UTIME_NOW) *slots[k] = now;
        else if (t[k].tv_nsec != LINUX_UTIME_OMIT) *slots[k] = (lx_time){t[k].tv_sec, (uint32_t)t[k].tv_nsec};
    }
    a->ctime = now;
    return 0;
}

static int64_t lxfs_utimens(px_mount *m, const char *rel, const struct linux_timespec times[2])
{
    return change_attr(m, rel, do_utimens, times);
}

static int64_t lxfs_truncate(px_mount *m, const char *rel, uint64_t len)
{
    px_file *f;
    int64_t r = lxfs_open(m, rel, LINUX_O_WRONLY, 0, &f);
    if (r < 0) return r;
    r = f->ops->truncate ? f->ops->truncate(f, len) : -LINUX_EINVAL;
    px_file_unref(f);
    return r;
}

static int64_t lxfs_statfs(px_mount *m, const char *rel, struct linux_statfs *out)
{
    lx_disk *d = disk_of(m);
    uint64_t avail, total, free_bytes;
    memset(out, 0, sizeof *out);
    out->f_type = EXT4_SUPER_MAGIC;
    out->f_bsize = out->f_frsize = 4096;
    out->f_namelen = LX_NAME_MAX;
    if (px_host_disk_space(d->dir, &avail, &total, &free_bytes) == 0) {
        out->f_blocks = total / 4096;
        out->f_bfree = free_bytes / 4096;
        out->f_bavail = avail / 4096;
    }
    int64_t r = lx_disk_begin(d);
    if (r < 0) return r;
    out->f_files = HASH_COUNT(d->st.inodes) + out->f_bfree;
    out->f_ffree = out->f_bfree;
    lx_disk_end(d);
    out->f_fsid[0] = (int32_t)m->dev;
    return 0;
}

static int64_t lxfs_host_path(px_mount *m, const char *rel, wchar_t **out)
{
    lx_disk *d = disk_of(m);
    int64_t r = lx_disk_begin(d);
    if (r < 0) return r;
    lx_inode *i;
    if ((r = lx_walk(&d->st, rel, &i, NULL, NULL, NULL)) == 0) {
        if (!is_type(i, LINUX_S_IFREG)) r = -LINUX_EACCES;
        else if (!(*out = lx_disk_data_path(d, i->ino))) r = -LINUX_ENOMEM;
    }
    lx_disk_end(d);
    return r;
}

/* --- extended attributes: kept in the store, one record per change (the handlers in
   attr_syscalls.c decided who may) --- */

/* Runs op on the inode at rel inside the store's lock. */
typedef int64_t (*xattr_op)(lx_store *s, lx_inode *i, const void *arg);

static int64_t on_inode(px_mount *m, const char *rel, xattr_op op, const void *arg)
{
    lx_disk *d = disk_of(m);
    int64_t r = lx_disk_begin(d);
    if (r < 0) return r;
    lx_inode *i;
    if ((r = lx_walk(&d->st, rel, &i, NULL, NULL, NULL)) == 0) r = op(&d->st, i, arg);
    lx_disk_end(d);
    return r;
}

typedef struct xattr_args {
    const char *name;
    void *value;
    const void *in;
    uint64_t size;
    uint32_t flags;
} xattr_args;

static int64_t get_op(lx_store *s, lx_inode *i, const void *arg)
{
    const xattr_args *a = arg;
    return lx_store_getxattr(s, i->ino, a->name, a->value, (size_t)a->size);
}

static int64_t set_op(lx_store *s, lx_inode *i, const void *arg)
{
    const xattr_args *a = arg;
    return lx_store_setxattr(s, i->ino, a->name, a->in, (size_t)a->size, a->flags, lx_time_now());
}

static int64_t list_op(lx_store *s, lx_inode *i, const void *arg)
{
    const xattr_args *a = arg;
    return lx_store_listxattr(s, i->ino, a->value, (size_t)a->size);
}

static int64_t remove_op(lx_store *s, lx_inode *i, const void *arg)
{
    const xattr_args *a = arg;
    return lx_store_removexattr(s, i->ino, a->name, lx_time_now());
}

static int64_t lxfs_getxattr(px_mount *m, const char *rel, const char *name, void *value, uint64_t size)
{
    xattr_args a = {.name = name, .value = value, .size = size};
    return on_inode(m, rel, get_op, &a);
}

static int64_t lxfs_setxattr(px_mount *m, const char *rel, const char *name, const void *value, uint64_t size, int flags)
{
    xattr_args a = {.name = name, .in = value, .size = size,
                    .flags = ((flags & LINUX_XATTR_CREATE) ? LX_XATTR_CREATE : 0) |
                             ((flags & LINUX_XATTR_REPLACE) ? LX_XATTR_REPLACE : 0)};
    return on_inode(m, rel, set_op, &a);
}

static int64_t lxfs_listxattr(px_mount *m, const char *rel, char *list, uint64_t size)
{
    xattr_args a = {.value = list, .size = size};
    return on_inode(m, rel, list_op, &a);
}

static int64_t lxfs_removexattr(px_mount *m, const char *rel, const char *name)
{
    xattr_args a = {.name = name};
    return on_inode(m, rel, remove_op, &a);
}

const px_fs_type px_lxfs_type = {
    .name = "lxfs",
    .has_symlinks = true,
    .magic = EXT4_SUPER_MAGIC,
    .open = lxfs_open,
    .stat = lxfs_stat,
    .readlink = lxfs_readlink,
    .access = lxfs_access,
    .mkdir = lxfs_mkdir,
    .mknod = lxfs_mknod,
    .unlink = lxfs_unlink,
    .rmdir = lxfs_rmdir,
    .rename = lxfs_rename,
    .link = lxfs_link,
    .symlink = lxfs_symlink,
    .chmod = lxfs_chmod,
    .chown = lxfs_chown,
    .utimens = lxfs_utimens,
    .truncate = lxfs_truncate,
    .statfs = lxfs_statfs,
    .getxattr = lxfs_getxattr,
    .setxattr = lxfs_setxattr,
    .listxattr = lxfs_listxattr,
    .removexattr = lxfs_removexattr,
    .host_path = lxfs_host_path,
};

int64_t px_lxfs_new(const char *store_dir, void **data)
{
    wchar_t *w = px_utf16_of_utf8(store_dir);
    if (!w) return -LINUX_ENOMEM;
    lx_disk *d;
    int64_t r = lx_disk_open(w, &d);
    px_free(w);
    if (r == 0) *data = d;
    return r;
}

int64_t px_lxfs_mount_root(const char *store_dir)
{
    void *data = NULL;
    int64_t r = px_lxfs_new(store_dir, &data);
    if (r < 0) return r;
    return px_vfs_mount("/", &px_lxfs_type, store_dir, data);
}
