/* tmpfs: a file system in memory (files, directories, symlinks, device nodes and FIFOs
   as names), with Linux metadata, hard links, unlink of open files and renameat2. One
   lock per instance; directory positions are per-entry cookies, so entries removed or
   added while a directory is read never make readdir skip or repeat the others. */
#include "fs/pseudo/pseudo.h"
#include "core/cred.h"
#include "host/host_mem.h"
#include "host/host_process.h"
#include "host/host_sync.h"
#include "fs/fifo.h"

typedef struct tnode tnode;

/* An extended attribute: the name, a NUL, the value. The permission rules are the
   handlers' (attr_syscalls.c); this keeps names and values. */
typedef struct txattr {
    struct txattr *next;   /* by name, descending: the order Linux's tmpfs lists them in */
    uint32_t size;
    char data[];
} txattr;

typedef struct tdirent {
    char *name;
    tnode *node;
    uint64_t cookie; /* the directory position of this entry: ascending in the array */
} tdirent;

struct tnode {
    uint32_t mode, uid, gid;
    uint64_t nlink, ino, rdev;
    struct linux_timespec atime, mtime, ctime, btime;
    int64_t open_refs;     /* open files: the node lives while they do, even unlinked */
    tnode *parent;         /* directories: for ".." */
    tdirent *entries;      /* directories */
    size_t count, cap;
    uint64_t next_cookie;
    uint8_t *data;         /* regular files: px_alloc'd, or reserved address space (data_reserved) */
    uint64_t size, data_cap;
    uint64_t data_reserved; /* bytes of address space reserved at data (0: a heap block) */
    char *target;          /* symlinks */
    txattr *xattrs;
};

typedef struct tmpfs {
    px_host_rwlock lock;
    tnode *root;
    uint64_t next_ino;
} tmpfs;

#define FIRST_COOKIE 2 /* 0 and 1 are "." and ".." */

static bool is_dir(const tnode *n) { return (n->mode & LINUX_S_IFMT) == LINUX_S_IFDIR; }
static bool is_reg(const tnode *n) { return (n->mode & LINUX_S_IFMT) == LINUX_S_IFREG; }
static bool is_lnk(const tnode *n) { return (n->mode & LINUX_S_IFMT) == LINUX_S_IFLNK; }

static void free_data(tnode *n)
{
    if (n->data_reserved) px_host_mem_release(n->data);
    else px_free(n->data);
}

static tnode *node_new(tmpfs *fs, uint32_t mode)
{
    tnode *n = px_calloc(1, sizeof *n);
    if (!n) return NULL;
    n->mode = mode;
    n->uid = px_current_fsuid();
    n->gid = px_current_fsgid();
    n->nlink = (mode & LINUX_S_IFMT) == LINUX_S_IFDIR ? 2 : 1;
    n->ino = ++fs->next_ino;
    n->atime = n->mtime = n->ctime = n->btime = px_pseudo_now();
    n->next_cookie = FIRST_COOKIE;
    return n;
}

static void node_free(tnode *n)
{
    for (size_t i = 0; i < n->count; i++) px_free(n->entries[i].name);
    px_free(n->entries);
    free_data(n);
    px_free(n->target);
    for (txattr *x = n->xattrs, *next; x; x = next) {
        next = x->next;
        px_free(x);
    }
    px_free(n);
}

/* Frees n once no name and no open file refers to it. */
static void node_maybe_free(tnode *n)
{
    if (n->nlink == 0 && n->open_refs == 0) node_free(n);
}

static void touch_change(tnode *n) { n->ctime = px_pseudo_now(); }
static void touch_modify(tnode *n) { n->mtime = n->ctime = px_pseudo_now(); }

static tdirent *dir_find(tnode *dir, const char *name, size_t len)
{
    for (size_t i = 0; i < dir->count; i++)
        if (strlen(dir->entries[i].name) == len && !memcmp(dir->entries[i].name, name, len)) return &dir->entries[i];
    return NULL;
}

/* Makes room for one more entry, so that dir_insert cannot fail. */
static int64_t dir_reserve(tnode *dir)
{
    if (dir->count < dir->cap) return 0;
    size_t cap = dir->cap ? dir->cap * 2 : 8;
    tdirent *e = px_realloc(dir->entries, cap * sizeof *e);
    if (!e) return -LINUX_ENOMEM;
    dir->entries = e;
    dir->cap = cap;
    return 0;
}

/* Adds an entry (dir_reserve done) that takes over name. */
static void dir_insert(tnode *dir, char *name, tnode *n)
{
    dir->entries[dir->count++] = (tdirent){ .name = name, .node = n, .cookie = dir->next_cookie++ };
    if (is_dir(n)) {
        n->parent = dir;
        dir->nlink++;
    }
    touch_modify(dir);
}

static int64_t dir_add(tnode *dir, const char *name, tnode *n)
{
    char *copy = px_strdup(name);
    if (!copy || dir_reserve(dir) < 0) {
        px_free(copy);
        return -LINUX_ENOMEM;
    }
    dir_insert(dir, copy, n);
    return 0;
}

/* Takes the entry out of dir without touching its node's link count. */
static void dir_remove(tnode *dir, tdirent *e)
{
    if (is_dir(e->node)) dir->nlink--;
    px_free(e->name);
    size_t i = (size_t)(e - dir->entries);
    memmove(&dir->entries[i], &dir->entries[i + 1], (dir->count - i - 1) * sizeof *e);
    dir->count--;
    touch_modify(dir);
}

/* The node at rel, or an error. */
static int64_t walk(tmpfs *fs, const char *rel, tnode **out)
{
    tnode *n = fs->root;
    while (*rel) {
        const char *end = strchr(rel, '/');
        size_t len = end ? (size_t)(end - rel) : strlen(rel);
        if (!is_dir(n)) return -LINUX_ENOTDIR;
        if (len > PX_NAME_MAX) return -LINUX_ENAMETOOLONG;
        tdirent *e = dir_find(n, rel, len);
        if (!e) return -LINUX_ENOENT;
        n = e->node;
        rel += len;
        if (*rel == '/') rel++;
    }
    *out = n;
    return 0;
}

/* The directory that would hold rel, and rel's last name. rel must not be "". */
static int64_t walk_parent(tmpfs *fs, const char *rel, tnode **dir, const char **name)
{
    if (!rel[0]) return -LINUX_EBUSY; /* the root itself */
    const char *slash = strrchr(rel, '/');
    char parent[PX_PATH_MAX];
    size_t plen = slash ? (size_t)(slash - rel) : 0;
    if (plen >= sizeof parent) return -LINUX_ENAMETOOLONG;
    memcpy(parent, rel, plen);
    parent[plen] = 0;
    int64_t r = walk(fs, parent, dir);
    if (r < 0) return r;
    if (!is_dir(*dir)) return -LINUX_ENOTDIR;
    *name = slash ? slash + 1 : rel;
    if (strlen(*name) > PX_NAME_MAX) return -LINUX_ENAMETOOLONG;
    return 0;
}

static void fill_stat(const px_mount *m, const tnode *n, px_stat_info *st)
{
    memset(st, 0, sizeof *st);
    st->dev = m->dev;
    st->ino = n->ino;
    st->nlink = n->nlink;
    st->rdev = n->rdev;
    st->mode = n->mode;
    st->uid = n->uid;
    st->gid = n->gid;
    st->size = is_reg(n) ? (int64_t)n->size : is_lnk(n) ? (int64_t)strlen(n->target)
             : is_dir(n) ? (int64_t)(n->count + 2) * 20 : 0; /* tmpfs counts 20 bytes a directory entry */
    st->blksize = 4096;
    st->blocks = (int64_t)(PX_ALIGN_UP(is_reg(n) ? n->size : 0, 4096) / 512);
    st->atime = n->atime;
    st->mtime = n->mtime;
    st->ctime = n->ctime;
    st->btime = n->btime;
    st->has_btime = true;
}

/* Permission bits for the caller (root passes all but execute without any x bit). */
static int64_t check_access(const tnode *n, int mode)
{
    uint32_t uid = px_current_fsuid();
    if (uid == 0) return (mode & LINUX_X_OK) && !is_dir(n) && !(n->mode & 0111) ? -LINUX_EACCES : 0;
    uint32_t bits = uid == n->uid ? (n->mode >> 6) & 7 : px_current_fsgid() == n->gid ? (n->mode >> 3) & 7 : n->mode & 7;
    return ((uint32_t)mode & 7) & ~bits ? -LINUX_EACCES : 0;
}

/* A file's bytes stay contiguous (pread/pwrite copy straight from and to them). Small
   files grow on the heap by doubling. Past HEAP_DATA_LIMIT a file moves to reserved
   address space that is committed as it grows, in place: growing by realloc copied the
   whole file at each doubling and touched fresh pages each time (a 256 MiB write ran at
   2.5x native). Only outgrowing the reservation copies, and the next one is 4x larger. */
#define HEAP_DATA_LIMIT (1u << 20)
#define DATA_COMMIT_UNIT (64u << 10)      /* the host's allocation granularity (Windows) */
#define DATA_MIN_RESERVE (64ull << 20)

static int64_t ensure_capacity(tnode *n, uint64_t size)
{
    if (size <= n->data_cap) return 0;
    if (size > (uint64_t)PTRDIFF_MAX / 4) return -LINUX_EFBIG;
    if (!n->data_reserved && size <= HEAP_DATA_LIMIT) {
        uint64_t cap = n->data_cap ? n->data_cap : 4096;
        while (cap < size) cap *= 2;
        uint8_t *d = px_realloc(n->data, (size_t)cap);
        if (!d) return -LINUX_ENOSPC; /* tmpfs out of memory is a full file system */
        n->data = d;
        n->data_cap = cap;
        return 0;
    }
    /* headroom: half the size again, so that commits stay few */
    uint64_t want = n->data_cap + n->data_cap / 2;
    uint64_t commit = PX_ALIGN_UP(size > want ? size : want, DATA_COMMIT_UNIT);
    if (n->data_reserved && commit > n->data_reserved) commit = PX_ALIGN_UP(size, DATA_COMMIT_UNIT);
    if (n->data_reserved && commit <= n->data_reserved) {
        if (px_host_mem_commit(n->data + n->data_cap, (size_t)(commit - n->data_cap), PX_HOST_PROT_READ | PX_HOST_PROT_WRITE) < 0)
            return -LINUX_ENOSPC;
        n->data_cap = commit;
        return 0;
    }
    uint64_t reserve = PX_ALIGN_UP(commit * 4 > DATA_MIN_RESERVE ? commit * 4 : DATA_MIN_RESERVE, DATA_COMMIT_UNIT);
    uint8_t *d = px_host_mem_reserve(NULL, (size_t)reserve);
    if (!d) return -LINUX_ENOSPC;
    if (px_host_mem_commit(d, (size_t)commit, PX_HOST_PROT_READ | PX_HOST_PROT_WRITE) < 0) {
        px_host_mem_release(d);
        return -LINUX_ENOSPC;
    }
    if (n->size) memcpy(d, n->data, (size_t)n->size);
    free_data(n);
    n->data = d;
    n->data_cap = commit;
    n->data_reserved = reserve;
    return 0;
}

static int64_t set_size(tnode *n, uint64_t len)
{
    if (len > n->size) {
        int64_t r = ensure_capacity(n, len);
        if (r < 0) return r;
        memset(n->data + n->size, 0, (size_t)(len - n->size));
    }
    n->size = len;
    touch_modify(n);
    return 0;
}

/* --- open files --- */

typedef struct tfile {
    tmpfs *fs;
    tnode *node;
    px_mount *mount;
} tfile;

static int64_t tf_pread(px_file *f, void *buf, uint64_t len, uint64_t offset)
{
    tfile *tf = f->data;
    px_host_rwlock_lock_shared(&tf->fs->lock);
    tnode *n = tf->node;
    int64_t got = 0;
    if (offset < n->size) {
        uint64_t avail = n->size - offset;
        got = (int64_t)(len < avail ? len : avail);
        got = px_copy_out_partial((uint64_t)(uintptr_t)buf, n->data + offset, (size_t)got); /* buf: the reader's */
    }
    px_host_rwlock_unlock_shared(&tf->fs->lock);
    return got;
}

static int64_t tf_pwrite(px_file *f, const void *buf, uint64_t len, uint64_t offset)
{
    tfile *tf = f->data;
    px_host_rwlock_lock(&tf->fs->lock);
    tnode *n = tf->node;
    if (f->status_flags & LINUX_O_APPEND) offset = n->size;
    int64_t r = offset + len < offset ? -LINUX_EFBIG : ensure_capacity(n, offset + len);
    if (r == 0) {
        if (offset > n->size) memset(n->data + n->size, 0, (size_t)(offset - n->size));
        r = px_copy_in_partial(n->data + offset, (uint64_t)(uintptr_t)buf, (size_t)len); /* buf: the writer's */
        if (r > 0 && offset + (uint64_t)r > n->size) n->size = offset + (uint64_t)r;
        if (r > 0) touch_modify(n);
    }
    px_host_rwlock_unlock(&tf->fs->lock);
    return r;
}

static int64_t tf_read(px_file *f, void *buf, uint64_t len)
{
    int64_t r = tf_pread(f, buf, len, f->pos);
    if (r > 0) f->pos += (uint64_t)r;
    return r;
}

static int64_t tf_write(px_file *f, const void *buf, uint64_t len)
{
    tfile *tf = f->data;
    int64_t r = tf_pwrite(f, buf, len, f->pos);
    if (r > 0) f->pos = (f->status_flags & LINUX_O_APPEND) ? tf->node->size : f->pos + (uint64_t)r;
    return r;
}

static int64_t tf_lseek(px_file *f, int64_t offset, int whence)
{
    tfile *tf = f->data;
    int64_t base;
    switch (whence) {
    case LINUX_SEEK_SET: base = 0; break;
    case LINUX_SEEK_CUR: base = (int64_t)f->pos; break;
    case LINUX_SEEK_END: base = (int64_t)tf->node->size; break;
    default: return -LINUX_EINVAL;
    }
    if (base + offset < 0) return -LINUX_EINVAL;
    f->pos = (uint64_t)(base + offset);
    return (int64_t)f->pos;
}

static int64_t tf_stat(px_file *f, px_stat_info *st)
{
    tfile *tf = f->data;
    px_host_rwlock_lock_shared(&tf->fs->lock);
    fill_stat(tf->mount, tf->node, st);
    px_host_rwlock_unlock_shared(&tf->fs->lock);
    return 0;
}

static int64_t tf_truncate(px_file *f, uint64_t len)
{
    tfile *tf = f->data;
    px_host_rwlock_lock(&tf->fs->lock);
    int64_t r = set_size(tf->node, len);
    px_host_rwlock_unlock(&tf->fs->lock);
    return r;
}

static int64_t tf_fsync(px_file *f) { return 0; } /* memory is as durable as tmpfs gets */

static void tf_release(px_file *f)
{
    tfile *tf = f->data;
    px_host_rwlock_lock(&tf->fs->lock);
    tf->node->open_refs--;
    node_maybe_free(tf->node);
    px_host_rwlock_unlock(&tf->fs->lock);
    px_free(tf);
}

/* getdents: f->pos is the cookie of the next entry to return. */
static int64_t td_getdents(px_file *f, void *buf, uint64_t len)
{
    tfile *tf = f->data;
    px_host_rwlock_lock_shared(&tf->fs->lock);
    tnode *dir = tf->node;
    uint8_t *out = buf;
    uint64_t used = 0;
    int64_t r = 0;
    for (;;) {
        const char *name;
        uint64_t ino, cookie;
        uint8_t type;
        if (f->pos < FIRST_COOKIE) {
            if (dir->nlink == 0) break; /* removed: Linux lists nothing, not even "." */
            name = f->pos == 0 ? "." : "..";
            ino = f->pos == 0 ? dir->ino : (dir->parent ? dir->parent->ino : dir->ino);
            type = LINUX_DT_DIR;
            cookie = f->pos;
        } else {
            const tdirent *e = NULL;
            for (size_t i = 0; i < dir->count; i++) /* the first entry at or after the position */
                if (dir->entries[i].cookie >= f->pos) {
                    e = &dir->entries[i];
                    break;
                }
            if (!e) break;
            name = e->name;
            ino = e->node->ino;
            type = (uint8_t)((e->node->mode & LINUX_S_IFMT) >> 12); /* DT_* is the S_IFMT nibble */
            cookie = e->cookie;
        }
        size_t name_len = strlen(name);
        uint64_t reclen = PX_ALIGN_UP(offsetof(struct linux_dirent64, d_name) + name_len + 1, 8);
        if (used + reclen > len) {
            if (used == 0) r = -LINUX_EINVAL;
            break;
        }
        struct linux_dirent64 *d = (struct linux_dirent64 *)(out + used);
        d->d_ino = ino;
        d->d_off = (int64_t)(cookie + 1);
        d->d_reclen = (uint16_t)reclen;
        d->d_type = type;
        memcpy(d->d_name, name, name_len);
        memset(d->d_name + name_len, 0, reclen - offsetof(struct linux_dirent64, d_name) - name_len);
        used += reclen;
        f->pos = cookie + 1;
    }
    px_host_rwlock_unlock_shared(&tf->fs->lock);
    return r < 0 ? r : (int64_t)used;
}

static const px_file_ops tmpfs_file_ops = {
    .read = tf_read,
    .write = tf_write,
    .pread = tf_pread,
    .pwrite = tf_pwrite,
    .lseek = tf_lseek,
    .stat = tf_stat,
    .fsync = tf_fsync,
    .truncate = tf_truncate,
    .release = tf_release,
};

static const px_file_ops tmpfs_dir_ops = {
    .lseek = px_pseudo_dir_lseek,
    .stat = tf_stat,
    .getdents = td_getdents,
    .fsync = tf_fsync,
    .release = tf_release,
};

/* An O_PATH file, a symlink opened with O_PATH|O_NOFOLLOW: stat only. */
static const px_file_ops tmpfs_path_ops = {
    .stat = tf_stat,
    .release = tf_release,
};

/* --- the type's operations --- */

static int64_t create_node(tmpfs *fs, const char *rel, uint32_t mode, tnode **out)
{
    tnode *dir;
    const char *name;
    if (!rel[0]) return -LINUX_EEXIST; /* the root: mkdir -p of the mount point */
    int64_t r = walk_parent(fs, rel, &dir, &name);
    if (r < 0) return r;
    if (dir_find(dir, name, strlen(name))) return -LINUX_EEXIST;
    if ((r = check_access(dir, LINUX_W_OK | LINUX_X_OK)) < 0) return r;
    tnode *n = node_new(fs, mode);
    if (!n) return -LINUX_ENOMEM;
    /* a setgid directory hands its group down, and its setgid bit to subdirectories */
    if (dir->mode & LINUX_S_ISGID) {
        n->gid = dir->gid;
        if (is_dir(n)) n->mode |= LINUX_S_ISGID;
    }
    r = dir_add(dir, name, n);
    if (r < 0) {
        node_free(n);
        return r;
    }
    *out = n;
    return 0;
}

static bool is_special(const tnode *n)
{
    uint32_t type = n->mode & LINUX_S_IFMT;
    return type == LINUX_S_IFIFO || type == LINUX_S_IFCHR;
}

/* A FIFO or a character device node: node is its stat-only file, taken over. A tmpfs
   lives in one process, so its FIFOs are named after the process and the instance. */
static int64_t open_special(tmpfs *fs, px_file *node, uint32_t flags, px_file **out)
{
    tfile *tf = node->data;
    px_stat_info st;
    tf_stat(node, &st);
    if ((st.mode & LINUX_S_IFMT) == LINUX_S_IFIFO) {
        uint64_t who[2] = {px_host_pid(), (uint64_t)(uintptr_t)fs};
        return px_fifo_open(px_fifo_space_of(&who, sizeof who), tf->node->ino, node, flags, out);
    }
    int64_t r = px_devfs_open_rdev(st.rdev, flags, &st, node->guest_path, out);
    px_file_unref(node);
    return r;
}

static int64_t tmpfs_open(px_mount *m, const char *rel, uint32_t flags, uint32_t mode, px_file **out)
{
    tmpfs *fs = m->data;
    px_host_rwlock_lock(&fs->lock);
    tnode *n;
    int64_t r = walk(fs, rel, &n);
    uint32_t acc = flags & LINUX_O_ACCMODE;
    bool special = false;
    if (r == -LINUX_ENOENT && (flags & LINUX_O_CREAT) && !(flags & LINUX_O_DIRECTORY))
        r = create_node(fs, rel, LINUX_S_IFREG | (mode & 07777), &n);
    else if (r == 0 && (flags & LINUX_O_CREAT) && (flags & LINUX_O_EXCL))
        r = -LINUX_EEXIST;
    else if (r == 0 && is_lnk(n) && !(flags & LINUX_O_PATH))
        r = -LINUX_ELOOP; /* the VFS follows links before it opens: this is O_NOFOLLOW */
    else if (r == 0 && !(flags & LINUX_O_PATH)) {
        if (is_dir(n)) r = acc != LINUX_O_RDONLY || (flags & LINUX_O_CREAT) ? -LINUX_EISDIR : 0;
        else if (flags & LINUX_O_DIRECTORY) r = -LINUX_ENOTDIR;
        else if (is_special(n)) special = true; /* opened below, outside the lock */
        else if (!is_reg(n)) r = -LINUX_ENXIO; /* block devices and sockets: no driver, as on Linux */
        if (r == 0) {
            int want = (acc != LINUX_O_WRONLY ? LINUX_R_OK : 0) | (acc != LINUX_O_RDONLY ? LINUX_W_OK : 0);
            r = check_access(n, want);
        }
        if (r == 0 && is_reg(n) && (flags & LINUX_O_TRUNC) && acc != LINUX_O_RDONLY && n->size) r = set_size(n, 0);
    } else if (r == 0 && (flags & LINUX_O_DIRECTORY) && !is_dir(n))
        r = -LINUX_ENOTDIR;
    if (r < 0) {
        px_host_rwlock_unlock(&fs->lock);
        return r;
    }
    tfile *tf = px_calloc(1, sizeof *tf);
    char *path = px_pseudo_guest_path(m, rel);
    const px_file_ops *ops = (flags & LINUX_O_PATH) || special ? &tmpfs_path_ops : is_dir(n) ? &tmpfs_dir_ops : &tmpfs_file_ops;
    px_file *f = tf && path ? px_file_new(ops, NULL, flags) : NULL;
    if (!f) {
        px_host_rwlock_unlock(&fs->lock);
        px_free(tf);
        px_free(path);
        return -LINUX_ENOMEM;
    }
    n->open_refs++;
    px_host_rwlock_unlock(&fs->lock);
    *tf = (tfile){ .fs = fs, .node = n, .mount = m };
    f->data = tf;
    f->is_dir = is_dir(n);
    f->guest_path = path;
    if (special) return open_special(fs, f, flags, out);
    *out = f;
    return 0;
}

static int64_t tmpfs_stat(px_mount *m, const char *rel, px_stat_info *st)
{
    tmpfs *fs = m->data;
    px_host_rwlock_lock_shared(&fs->lock);
    tnode *n;
    int64_t r = walk(fs, rel, &n);
    if (r == 0) fill_stat(m, n, st);
    px_host_rwlock_unlock_shared(&fs->lock);
    return r;
}

static int64_t tmpfs_readlink(px_mount *m, const char *rel, char *buf, uint64_t size)
{
    tmpfs *fs = m->data;
    px_host_rwlock_lock_shared(&fs->lock);
    tnode *n;
    int64_t r = walk(fs, rel, &n);
    if (r == 0) r = is_lnk(n) ? px_pseudo_copy_link(n->target, buf, size) : -LINUX_EINVAL;
    px_host_rwlock_unlock_shared(&fs->lock);
    return r;
}

static int64_t tmpfs_access(px_mount *m, const char *rel, int mode)
{
    tmpfs *fs = m->data;
    px_host_rwlock_lock_shared(&fs->lock);
    tnode *n;
    int64_t r = walk(fs, rel, &n);
    if (r == 0) r = check_access(n, mode);
    px_host_rwlock_unlock_shared(&fs->lock);
    return r;
}

static int64_t make_node(px_mount *m, const char *rel, uint32_t mode, uint64_t rdev, const char *target)
{
    tmpfs *fs = m->data;
    char *copy = NULL;
    if (target && !(copy = px_strdup(target))) return -LINUX_ENOMEM;
    px_host_rwlock_lock(&fs->lock);
    tnode *n;
    int64_t r = create_node(fs, rel, mode, &n);
    if (r == 0) {
        n->rdev = rdev;
        n->target = copy;
        copy = NULL;
    }
    px_host_rwlock_unlock(&fs->lock);
    px_free(copy);
    return r;
}

static int64_t tmpfs_mkdir(px_mount *m, const char *rel, uint32_t mode)
{
    return make_node(m, rel, LINUX_S_IFDIR | (mode & 07777), 0, NULL);
}

static int64_t tmpfs_mknod(px_mount *m, const char *rel, uint32_t mode, uint64_t dev)
{
    uint32_t type = mode & LINUX_S_IFMT;
    if (type == 0) type = LINUX_S_IFREG;
    if (type == LINUX_S_IFDIR || type == LINUX_S_IFLNK) return -LINUX_EINVAL;
    bool device = type == LINUX_S_IFCHR || type == LINUX_S_IFBLK;
    if (device && px_current_fsuid() != 0) return -LINUX_EPERM;
    return make_node(m, rel, type | (mode & 07777), device ? dev : 0, NULL);
}

static int64_t tmpfs_symlink(px_mount *m, const char *target, const char *rel)
{
    if (!target[0]) return -LINUX_ENOENT;
    return make_node(m, rel, LINUX_S_IFLNK | 0777, 0, target);
}

/* Drops one name of n (the caller took the entry out). */
static void drop_link(tnode *n)
{
    n->nlink = is_dir(n) ? 0 : n->nlink - 1;
    touch_change(n);
    node_maybe_free(n);
}

/* The sticky bit: only the owner of the file or of the directory (or root) removes it. */
static int64_t check_sticky(const tnode *dir, const tnode *n)
{
    uint32_t uid = px_current_fsuid();
    if (!(dir->mode & LINUX_S_ISVTX) || uid == 0 || uid == n->uid || uid == dir->uid) return 0;
    return -LINUX_EPERM;
}

static int64_t remove_name(px_mount *m, const char *rel, bool want_dir)
{
    tmpfs *fs = m->data;
    px_host_rwlock_lock(&fs->lock);
    tnode *dir;
    const char *name;
    int64_t r = walk_parent(fs, rel, &dir, &name);
    tdirent *e = NULL;
    if (r == 0 && !(e = dir_find(dir, name, strlen(name)))) r = -LINUX_ENOENT;
    if (r == 0) r = check_access(dir, LINUX_W_OK | LINUX_X_OK);
    if (r == 0) r = check_sticky(dir, e->node);
    if (r == 0) {
        tnode *n = e->node;
        if (want_dir && !is_dir(n)) r = -LINUX_ENOTDIR;
        else if (!want_dir && is_dir(n)) r = -LINUX_EISDIR;
        else if (want_dir && n->count) r = -LINUX_ENOTEMPTY;
        else {
            dir_remove(dir, e);
            drop_link(n);
        }
    }
    px_host_rwlock_unlock(&fs->lock);
    return r;
}

static int64_t tmpfs_unlink(px_mount *m, const char *rel) { return remove_name(m, rel, false); }
static int64_t tmpfs_rmdir(px_mount *m, const char *rel) { return remove_name(m, rel, true); }

static int64_t tmpfs_link(px_mount *m, const char *existing, const char *new_rel)
{
    tmpfs *fs = m->data;
    px_host_rwlock_lock(&fs->lock);
    tnode *n, *dir;
    const char *name;
    int64_t r = walk(fs, existing, &n);
    if (r == 0 && is_dir(n)) r = -LINUX_EPERM;
    if (r == 0) r = walk_parent(fs, new_rel, &dir, &name);
    if (r == 0 && dir_find(dir, name, strlen(name))) r = -LINUX_EEXIST;
    if (r == 0) r = check_access(dir, LINUX_W_OK | LINUX_X_OK);
    if (r == 0) r = dir_add(dir, name, n);
    if (r == 0) {
        n->nlink++;
        touch_change(n);
    }
    px_host_rwlock_unlock(&fs->lock);
    return r;
}

/* True if a is d or lies below it. */
static bool inside(const tnode *a, const tnode *d)
{
    for (; a; a = a->parent)
        if (a == d) return true;
    return false;
}

static int64_t tmpfs_rename(px_mount *m, const char *from, const char *to, uint32_t flags)
{
    if (flags & ~(uint32_t)(LINUX_RENAME_NOREPLACE | LINUX_RENAME_EXCHANGE)) return -LINUX_EINVAL;
    if ((flags & LINUX_RENAME_NOREPLACE) && (flags & LINUX_RENAME_EXCHANGE)) return -LINUX_EINVAL;
    tmpfs *fs = m->data;
    px_host_rwlock_lock(&fs->lock);
    tnode *from_dir, *to_dir;
    const char *from_name, *to_name;
    tdirent *src = NULL, *dst = NULL;
    int64_t r = walk_parent(fs, from, &from_dir, &from_name);
    if (r == 0 && !(src = dir_find(from_dir, from_name, strlen(from_name)))) r = -LINUX_ENOENT;
    if (r == 0) r = walk_parent(fs, to, &to_dir, &to_name);
    if (r == 0) dst = dir_find(to_dir, to_name, strlen(to_name));
    if (r == 0) r = check_access(from_dir, LINUX_W_OK | LINUX_X_OK);
    if (r == 0) r = check_access(to_dir, LINUX_W_OK | LINUX_X_OK);
    if (r == 0) r = check_sticky(from_dir, src->node);
    if (r == 0 && dst) r = check_sticky(to_dir, dst->node);
    if (r < 0) goto out;
    tnode *sn = src->node, *dn = dst ? dst->node : NULL;
    if (flags & LINUX_RENAME_EXCHANGE) {
        if (!dn) {
            r = -LINUX_ENOENT;
        } else if ((is_dir(sn) && inside(to_dir, sn)) || (is_dir(dn) && inside(from_dir, dn))) {
            r = -LINUX_EINVAL;
        } else if (sn != dn) { /* swap what the two names point at */
            src->node = dn;
            dst->node = sn;
            if (is_dir(sn)) from_dir->nlink--, to_dir->nlink++, sn->parent = to_dir;
            if (is_dir(dn)) to_dir->nlink--, from_dir->nlink++, dn->parent = from_dir;
            touch_modify(from_dir);
            touch_modify(to_dir);
            touch_change(sn);
            touch_change(dn);
        }
        goto out;
    }
    if (dn && (flags & LINUX_RENAME_NOREPLACE)) {
        r = -LINUX_EEXIST;
        goto out;
    }
    if (is_dir(sn) && inside(to_dir, sn)) { /* into itself */
        r = -LINUX_EINVAL;
        goto out;
    }
    if (dn == sn) goto out; /* two names of one file: nothing happens, as POSIX says */
    if (dn) {
        if (is_dir(sn) && !is_dir(dn)) r = -LINUX_ENOTDIR;
        else if (!is_dir(sn) && is_dir(dn)) r = -LINUX_EISDIR;
        else if (is_dir(dn) && dn->count) r = -LINUX_ENOTEMPTY;
        if (r < 0) goto out;
    }
    /* get the memory first: when it runs out nothing has changed */
    char *name_copy = px_strdup(to_name);
    if (!name_copy || dir_reserve(to_dir) < 0) {
        px_free(name_copy);
        r = -LINUX_ENOMEM;
        goto out;
    }
    if (dn) {
        dir_remove(to_dir, dst);
        drop_link(dn);
    }
    src = dir_find(from_dir, from_name, strlen(from_name)); /* dir_remove may have moved it */
    dir_remove(from_dir, src);
    dir_insert(to_dir, name_copy, sn);
    touch_change(sn);
out:
    px_host_rwlock_unlock(&fs->lock);
    return r;
}

static int64_t tmpfs_chmod(px_mount *m, const char *rel, uint32_t mode)
{
    tmpfs *fs = m->data;
    px_host_rwlock_lock(&fs->lock);
    tnode *n;
    int64_t r = walk(fs, rel, &n);
    uint32_t uid = px_current_fsuid();
    if (r == 0 && uid != 0 && uid != n->uid) r = -LINUX_EPERM;
    if (r == 0) {
        n->mode = (n->mode & LINUX_S_IFMT) | (mode & 07777);
        touch_change(n);
    }
    px_host_rwlock_unlock(&fs->lock);
    return r;
}

static int64_t tmpfs_chown(px_mount *m, const char *rel, uint32_t uid, uint32_t gid)
{
    tmpfs *fs = m->data;
    px_host_rwlock_lock(&fs->lock);
    tnode *n;
    int64_t r = walk(fs, rel, &n);
    uint32_t me = px_current_fsuid();
    /* without privilege: no owner change, and only to one's own group */
    if (r == 0 && me != 0 &&
        ((uid != (uint32_t)-1 && uid != n->uid) || me != n->uid || (gid != (uint32_t)-1 && gid != px_current_fsgid() && gid != n->gid)))
        r = -LINUX_EPERM;
    if (r == 0) {
        if (uid != (uint32_t)-1) n->uid = uid;
        if (gid != (uint32_t)-1) n->gid = gid;
        if (!is_dir(n) && (uid != (uint32_t)-1 || gid != (uint32_t)-1)) n->mode &= ~(uint32_t)(LINUX_S_ISUID | LINUX_S_ISGID);
        touch_change(n);
    }
    px_host_rwlock_unlock(&fs->lock);
    return r;
}

static int64_t tmpfs_utimens(px_mount *m, const char *rel, const struct linux_timespec times[2])
{
    tmpfs *fs = m->data;
    px_host_rwlock_lock(&fs->lock);
    tnode *n;
    int64_t r = walk(fs, rel, &n);
    if (r == 0) {
        struct linux_timespec now = px_pseudo_now();
        struct linux_timespec *slots[2] = {&n->atime, &n->mtime};
        for (int i = 0; i < 2; i++) {
            if (times[i].tv_nsec == LINUX_UTIME_OMIT) continue;
            *slots[i] = times[i].tv_nsec == LINUX_UTIME_NOW ? now : times[i];
        }
        n->ctime = now;
    }
    px_host_rwlock_unlock(&fs->lock);
    return r;
}

static int64_t tmpfs_truncate(px_mount *m, const char *rel, uint64_t len)
{
    tmpfs *fs = m->data;
    px_host_rwlock_lock(&fs->lock);
    tnode *n;
    int64_t r = walk(fs, rel, &n);
    if (r == 0 && is_dir(n)) r = -LINUX_EISDIR;
    else if (r == 0 && !is_reg(n)) r = -LINUX_EINVAL;
    if (r == 0) r = check_access(n, LINUX_W_OK);
    if (r == 0) r = set_size(n, len);
    px_host_rwlock_unlock(&fs->lock);
    return r;
}

/* --- extended attributes --- */

/* The attribute called name, and the link that points to it (or to where it would go
   in the list's order). */
static txattr *xattr_find(tnode *n, const char *name, txattr ***link)
{
    txattr **pp = &n->xattrs;
    while (*pp && strcmp((*pp)->data, name) > 0) pp = &(*pp)->next;
    if (link) *link = pp;
    return *pp && !strcmp((*pp)->data, name) ? *pp : NULL;
}

static int64_t tmpfs_getxattr(px_mount *m, const char *rel, const char *name, void *value, uint64_t size)
{
    tmpfs *fs = m->data;
    px_host_rwlock_lock_shared(&fs->lock);
    tnode *n;
    int64_t r = walk(fs, rel, &n);
    txattr *x = r == 0 ? xattr_find(n, name, NULL) : NULL;
    if (r == 0 && !x) r = -LINUX_ENODATA;
    else if (r == 0 && size && size < x->size) r = -LINUX_ERANGE;
    else if (r == 0) {
        if (size) memcpy(value, x->data + strlen(name) + 1, x->size);
        r = x->size;
    }
    px_host_rwlock_unlock_shared(&fs->lock);
    return r;
}

static int64_t tmpfs_setxattr(px_mount *m, const char *rel, const char *name, const void *value, uint64_t size, int flags)
{
    size_t nlen = strlen(name);
    txattr *x = px_alloc(sizeof *x + nlen + 1 + (size_t)size);
    if (!x) return -LINUX_ENOMEM;
    x->size = (uint32_t)size;
    memcpy(x->data, name, nlen + 1);
    if (size) memcpy(x->data + nlen + 1, value, (size_t)size);
    tmpfs *fs = m->data;
    px_host_rwlock_lock(&fs->lock);
    tnode *n;
    txattr **link;
    int64_t r = walk(fs, rel, &n);
    txattr *old = r == 0 ? xattr_find(n, name, &link) : NULL;
    if (r == 0 && old && (flags & LINUX_XATTR_CREATE)) r = -LINUX_EEXIST;
    else if (r == 0 && !old && (flags & LINUX_XATTR_REPLACE)) r = -LINUX_ENODATA;
    if (r == 0) {
        x->next = old ? old->next : *link;
        *link = x;
        px_free(old);
        touch_change(n);
    }
    px_host_rwlock_unlock(&fs->lock);
    if (r < 0) px_free(x);
    return r;
}

static int64_t tmpfs_listxattr(px_mount *m, const char *rel, char *list, uint64_t size)
{
    tmpfs *fs = m->data;
    px_host_rwlock_lock_shared(&fs->lock);
    tnode *n;
    int64_t r = walk(fs, rel, &n);
    if (r == 0) {
        uint64_t need = 0;
        for (txattr *x = n->xattrs; x; x = x->next) need += strlen(x->data) + 1;
        if (size && size < need) r = -LINUX_ERANGE;
        else {
            r = (int64_t)need;
            for (txattr *x = n->xattrs; size && x; x = x->next) {
                size_t len = strlen(x->data) + 1;
                memcpy(list, x->data, len);
                list += len;
            }
        }
    }
    px_host_rwlock_unlock_shared(&fs->lock);
    return r;
}

static int64_t tmpfs_removexattr(px_mount *m, const char *rel, const char *name)
{
    tmpfs *fs = m->data;
    px_host_rwlock_lock(&fs->lock);
    tnode *n;
    txattr **link;
    int64_t r = walk(fs, rel, &n);
    txattr *old = r == 0 ? xattr_find(n, name, &link) : NULL;
    if (r == 0 && !old) r = -LINUX_ENODATA;
    if (r == 0) {
        *link = old->next;
        px_free(old);
        touch_change(n);
    }
    px_host_rwlock_unlock(&fs->lock);
    return r;
}

void *px_tmpfs_new(uint32_t root_mode)
{
    tmpfs *fs = px_calloc(1, sizeof *fs);
    if (!fs) return NULL;
    px_host_rwlock_init(&fs->lock);
    fs->next_ino = 1; /* the root is 2, as on Linux's tmpfs... and ext4 */
    fs->root = node_new(fs, LINUX_S_IFDIR | root_mode);
    if (!fs->root) {
        px_free(fs);
        return NULL;
    }
    fs->root->uid = fs->root->gid = 0;
    return fs;
}

const px_fs_type px_tmpfs_type = {
    .name = "tmpfs",
    .has_symlinks = true,
    .magic = 0x01021994, /* TMPFS_MAGIC */
    .open = tmpfs_open,
    .stat = tmpfs_stat,
    .readlink = tmpfs_readlink,
    .access = tmpfs_access,
    .mkdir = tmpfs_mkdir,
    .mknod = tmpfs_mknod,
    .unlink = tmpfs_unlink,
    .rmdir = tmpfs_rmdir,
    .rename = tmpfs_rename,
    .link = tmpfs_link,
    .symlink = tmpfs_symlink,
    .chmod = tmpfs_chmod,
    .chown = tmpfs_chown,
    .utimens = tmpfs_utimens,
    .truncate = tmpfs_truncate,
    .getxattr = tmpfs_getxattr,
    .setxattr = tmpfs_setxattr,
    .listxattr = tmpfs_listxattr,
    .removexattr = tmpfs_removexattr,
};
