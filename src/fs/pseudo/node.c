/* What the pseudo file systems share: text snapshots (contents generated at open, then
   read with positions as a regular file is), directory listings made at open, inode
   numbers and stat defaults. */
#include <stdio.h>
#include "fs/pseudo/pseudo.h"
#include "host/host_time.h"
#include "core/cred.h"

#define FILETIME_UNIX_EPOCH 116444736000000000ULL

/* --- text --- */

static bool text_reserve(px_text *t, size_t extra)
{
    if (t->oom) return false;
    if (t->len + extra + 1 <= t->cap) return true;
    size_t cap = t->cap ? t->cap : 256;
    while (cap < t->len + extra + 1) cap *= 2;
    char *d = px_realloc(t->data, cap);
    if (!d) {
        t->oom = true;
        return false;
    }
    t->data = d;
    t->cap = cap;
    return true;
}

void px_text_put(px_text *t, const void *s, size_t n)
{
    if (!text_reserve(t, n)) return;
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = 0;
}

void px_text_puts(px_text *t, const char *s) { px_text_put(t, s, strlen(s)); }

void px_text_printf(px_text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        px_text_put(t, small, (size_t)n);
        return;
    }
    if (!text_reserve(t, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(t->data + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

void px_text_free(px_text *t)
{
    px_free(t->data);
    memset(t, 0, sizeof *t);
}

/* --- names, inodes, stat --- */

uint64_t px_pseudo_ino(const px_mount *m, const char *rel)
{
    if (!rel[0]) return 1; /* the root of every pseudo file system, as Linux numbers proc's */
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (const char *p = rel; *p; p++) h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
    h ^= m->dev;
    return (h & 0x7fffffffffffull) | 0x1000; /* small enough for 32-bit stat users, clear of the root's */
}

char *px_pseudo_guest_path(const px_mount *m, const char *rel)
{
    size_t pl = strlen(m->point), rl = strlen(rel);
    bool slash = rl && !(pl == 1 && m->point[0] == '/');
    char *s = px_alloc(pl + rl + 2);
    if (!s) return NULL;
    memcpy(s, m->point, pl);
    if (slash) s[pl++] = '/';
    memcpy(s + pl, rel, rl + 1);
    return s;
}

struct linux_timespec px_pseudo_now(void)
{
    uint64_t t = (uint64_t)px_host_time_now() - FILETIME_UNIX_EPOCH;
    return (struct linux_timespec){ .tv_sec = (int64_t)(t / 10000000), .tv_nsec = (int64_t)(t % 10000000) * 100 };
}

/* Synthetic nodes carry the time picolx started: Linux's proc shows the time an inode was
   first looked at, which is no more meaningful. */
static struct linux_timespec start_time(void)
{
    static struct linux_timespec t;
    static int32_t ready; /* set (release) once t is whole; two racing first calls write the same kind of value */
    if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
        t = px_pseudo_now();
        __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    }
    return t;
}

void px_pseudo_stat_init(px_stat_info *st, const px_mount *m, const char *rel, uint32_t mode)
{
    memset(st, 0, sizeof *st);
    st->dev = m->dev;
    st->ino = px_pseudo_ino(m, rel);
    st->nlink = (mode & LINUX_S_IFMT) == LINUX_S_IFDIR ? 2 : 1;
    st->mode = mode;
    st->uid = px_current_fsuid();
    st->gid = px_current_fsgid();
    st->blksize = 1024;
    st->atime = st->mtime = st->ctime = start_time();
}

uint32_t px_pseudo_mode_of_type(uint8_t type)
{
    switch (type) {
    case LINUX_DT_DIR: return LINUX_S_IFDIR;
    case LINUX_DT_LNK: return LINUX_S_IFLNK;
    case LINUX_DT_CHR: return LINUX_S_IFCHR;
    case LINUX_DT_BLK: return LINUX_S_IFBLK;
    case LINUX_DT_FIFO: return LINUX_S_IFIFO;
    case LINUX_DT_SOCK: return LINUX_S_IFSOCK;
    default: return LINUX_S_IFREG;
    }
}

int64_t px_pseudo_check_open(uint32_t flags, bool is_dir, bool writable)
{
    uint32_t acc = flags & LINUX_O_ACCMODE;
    if ((flags & LINUX_O_CREAT) && (flags & LINUX_O_EXCL)) return -LINUX_EEXIST;
    if (flags & LINUX_O_PATH) return 0;
    if (is_dir) return acc != LINUX_O_RDONLY || (flags & LINUX_O_CREAT) ? -LINUX_EISDIR : 0;
    if (flags & LINUX_O_DIRECTORY) return -LINUX_ENOTDIR;
    if (acc != LINUX_O_RDONLY && !writable) return -LINUX_EACCES;
    return 0;
}

int64_t px_pseudo_copy_link(const char *target, char *buf, uint64_t size)
{
    size_t n = strlen(target);
    if (n > size) n = (size_t)size;
    memcpy(buf, target, n);
    return (int64_t)n;
}

/* --- text snapshots --- */

typedef struct text_file {
    px_text text;
    px_stat_info st;
} text_file;

static int64_t text_pread(px_file *f, void *buf, uint64_t len, uint64_t offset)
{
    text_file *tf = f->data;
    if (offset >= tf->text.len) return 0;
    uint64_t n = tf->text.len - offset;
    if (n > len) n = len;
    return px_copy_out_partial((uint64_t)(uintptr_t)buf, tf->text.data + offset, (size_t)n); /* buf: the reader's */
}

static int64_t text_read(px_file *f, void *buf, uint64_t len)
{
    int64_t n = text_pread(f, buf, len, f->pos);
    if (n > 0) f->pos += (uint64_t)n;
    return n;
}

static int64_t text_lseek(px_file *f, int64_t offset, int whence)
{
    text_file *tf = f->data;
    int64_t base;
    switch (whence) {
    case LINUX_SEEK_SET: base = 0; break;
    case LINUX_SEEK_CUR: base = (int64_t)f->pos; break;
    case LINUX_SEEK_END: base = (int64_t)tf->text.len; break;
    default: return -LINUX_EINVAL;
    }
    if (base + offset < 0) return -LINUX_EINVAL;
    f->pos = (uint64_t)(base + offset);
    return (int64_t)f->pos;
}

static int64_t text_stat(px_file *f, px_stat_info *st)
{
    text_file *tf = f->data;
    *st = tf->st;
    return 0;
}

static void text_release(px_file *f)
{
    text_file *tf = f->data;
    px_text_free(&tf->text);
    px_free(tf);
}

static const px_file_ops text_ops = {
    .read = text_read,
    .pread = text_pread,
    .lseek = text_lseek,
    .stat = text_stat,
    .release = text_release,
};

int64_t px_pseudo_open_text(px_mount *m, const char *rel, px_text *t, const px_stat_info *st, uint32_t flags,
                            px_file **out)
{
    if (t->oom) {
        px_text_free(t);
        return -LINUX_ENOMEM;
    }
    text_file *tf = px_calloc(1, sizeof *tf);
    char *path = px_pseudo_guest_path(m, rel);
    px_file *f = tf && path ? px_file_new(&text_ops, NULL, flags) : NULL;
    if (!f) {
        px_free(tf);
        px_free(path);
        px_text_free(t);
        return -LINUX_ENOMEM;
    }
    tf->text = *t;
    memset(t, 0, sizeof *t);
    tf->st = *st;
    f->data = tf;
    f->guest_path = path;
    *out = f;
    return 0;
}

/* --- listings --- */

void px_pseudo_list_add(px_pseudo_listing *l, const char *name, uint64_t ino, uint8_t type)
{
    if (l->oom) return;
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        px_pseudo_dirent *items = px_realloc(l->items, cap * sizeof *items);
        if (!items) {
            l->oom = true;
            return;
        }
        l->items = items;
        l->cap = cap;
    }
    char *copy = px_strdup(name);
    if (!copy) {
        l->oom = true;
        return;
    }
    l->items[l->count++] = (px_pseudo_dirent){ .name = copy, .ino = ino, .type = type };
}

void px_pseudo_list_free(px_pseudo_listing *l)
{
    for (size_t i = 0; i < l->count; i++) px_free(l->items[i].name);
    px_free(l->items);
    memset(l, 0, sizeof *l);
}

typedef struct listing_file {
    px_pseudo_listing list; /* "." and ".." at 0 and 1, then the entries */
    px_stat_info st;
    px_pseudo_list_fn *refill; /* contents that change (fd/): listed again at position 0 */
    px_mount *mount;
    char *rel;
    uint64_t parent_ino;
} listing_file;

static void make_list(listing_file *lf, px_pseudo_listing *entries)
{
    px_pseudo_list_free(&lf->list);
    px_pseudo_list_add(&lf->list, ".", lf->st.ino, LINUX_DT_DIR);
    px_pseudo_list_add(&lf->list, "..", lf->parent_ino, LINUX_DT_DIR);
    for (size_t i = 0; i < entries->count; i++)
        px_pseudo_list_add(&lf->list, entries->items[i].name, entries->items[i].ino, entries->items[i].type);
    if (entries->oom) lf->list.oom = true;
    px_pseudo_list_free(entries);
}

/* The position of a directory is the index of the next entry, as in dir.c. */
static int64_t listing_getdents(px_file *f, void *buf, uint64_t len)
{
    listing_file *lf = f->data;
    if (lf->refill && f->pos == 0) { /* a first reading or a rewind: what is there now (its own fd too) */
        px_pseudo_listing now = {0};
        lf->refill(lf->mount, lf->rel, &now);
        make_list(lf, &now);
    }
    if (lf->list.oom) return -LINUX_ENOMEM;
    uint8_t *out = buf;
    uint64_t used = 0;
    while (f->pos < lf->list.count) {
        const px_pseudo_dirent *e = &lf->list.items[f->pos];
        size_t name_len = strlen(e->name);
        uint64_t reclen = PX_ALIGN_UP(offsetof(struct linux_dirent64, d_name) + name_len + 1, 8);
        if (used + reclen > len) {
            if (used == 0) return -LINUX_EINVAL;
            break;
        }
        struct linux_dirent64 *d = (struct linux_dirent64 *)(out + used);
        d->d_ino = e->ino;
        d->d_off = (int64_t)(f->pos + 1);
        d->d_reclen = (uint16_t)reclen;
        d->d_type = e->type;
        memcpy(d->d_name, e->name, name_len);
        memset(d->d_name + name_len, 0, reclen - offsetof(struct linux_dirent64, d_name) - name_len);
        used += reclen;
        f->pos++;
    }
    return (int64_t)used;
}

int64_t px_pseudo_dir_lseek(px_file *f, int64_t offset, int whence)
{
    int64_t base;
    switch (whence) {
    case LINUX_SEEK_SET: base = 0; break;
    case LINUX_SEEK_CUR: base = (int64_t)f->pos; break;
    default: return -LINUX_EINVAL;
    }
    if (base + offset < 0) return -LINUX_EINVAL;
    f->pos = (uint64_t)(base + offset);
    return (int64_t)f->pos;
}

static int64_t listing_stat(px_file *f, px_stat_info *st)
{
    listing_file *lf = f->data;
    *st = lf->st;
    return 0;
}

static void listing_release(px_file *f)
{
    listing_file *lf = f->data;
    px_pseudo_list_free(&lf->list);
    px_free(lf->rel);
    px_free(lf);
}

static const px_file_ops listing_ops = {
    .lseek = px_pseudo_dir_lseek,
    .stat = listing_stat,
    .getdents = listing_getdents,
    .release = listing_release,
};

int64_t px_pseudo_open_listing(px_mount *m, const char *rel, px_pseudo_listing *l, const px_stat_info *st,
                               uint32_t flags, px_file **out)
{
    return px_pseudo_open_refilled_listing(m, rel, l, NULL, st, flags, out);
}

int64_t px_pseudo_open_refilled_listing(px_mount *m, const char *rel, px_pseudo_listing *l, px_pseudo_list_fn *refill,
                                        const px_stat_info *st, uint32_t flags, px_file **out)
{
    listing_file *lf = px_calloc(1, sizeof *lf);
    char *rel_copy = px_strdup(rel);
    char *path = px_pseudo_guest_path(m, rel);
    px_file *f = lf && rel_copy && path ? px_file_new(&listing_ops, NULL, flags) : NULL;
    if (!f) {
        px_pseudo_list_free(l);
        px_free(lf);
        px_free(rel_copy);
        px_free(path);
        return -LINUX_ENOMEM;
    }
    /* ".." of a mount's root is the directory the mount covers: its number is the core's
       to know; the root's own number stands in, as it does for "/". */
    const char *slash = strrchr(rel, '/');
    char parent[PX_PATH_MAX];
    size_t plen = slash ? (size_t)(slash - rel) : 0;
    memcpy(parent, rel, plen);
    parent[plen] = 0;
    lf->st = *st;
    lf->parent_ino = rel[0] ? px_pseudo_ino(m, parent) : st->ino;
    lf->refill = refill;
    lf->mount = m;
    lf->rel = rel_copy;
    make_list(lf, l);
    f->is_dir = true;
    f->data = lf;
    f->guest_path = path;
    *out = f;
    return 0;
}
