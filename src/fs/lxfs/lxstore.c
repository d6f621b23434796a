/* The lxfs metadata store in memory and its log records (see lxstore.h). Every change is
   validated first, then appended as one record, then applied: replaying the log applies
   the same records in the same order and reaches the same state. */
#include <string.h>
#include "core/px.h"
#include "fs/lxfs/lxstore.h"

/* --- CRC-32 (the IEEE polynomial, reflected) --- */

uint32_t lx_crc32(const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    static bool ready;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = true;
    }
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* --- record encoding: [u32 len][u32 crc][u8 type][payload], len and crc over type+payload --- */

#define REC_HEAD LX_REC_HEAD
#define REC_MAX (REC_HEAD + 1 + 128 + 2 * (2 + LX_NAME_MAX) + 2 + LX_SYMLINK_MAX + 2 * 8)
/* an xattr record: ino, op, flags, ctime, name, value */
#define REC_XATTR_MAX (REC_HEAD + 1 + 8 + 1 + 4 + 12 + 2 + LX_XATTR_NAME_MAX + 4 + LX_XATTR_SIZE_MAX)
#define REC_LIMIT (REC_XATTR_MAX > REC_MAX ? REC_XATTR_MAX : REC_MAX)

/* Records are built in small (on the stack), or in a heap buffer for xattr values. */
typedef struct enc { uint8_t *buf; size_t n; uint8_t small[REC_MAX]; } enc;

static void put(enc *e, const void *p, size_t n) { memcpy(e->buf + e->n, p, n); e->n += n; }
static void put8(enc *e, uint8_t v) { e->buf[e->n++] = v; }
static void put16(enc *e, uint16_t v) { for (int i = 0; i < 2; i++) put8(e, (uint8_t)(v >> (8 * i))); }
static void put32(enc *e, uint32_t v) { for (int i = 0; i < 4; i++) put8(e, (uint8_t)(v >> (8 * i))); }
static void put64(enc *e, uint64_t v) { for (int i = 0; i < 8; i++) put8(e, (uint8_t)(v >> (8 * i))); }
static void put_time(enc *e, lx_time t) { put64(e, (uint64_t)t.sec); put32(e, t.nsec); }
static void put_name(enc *e, const char *s, size_t n) { put16(e, (uint16_t)n); put(e, s, n); }

static void enc_begin_in(enc *e, uint8_t type, uint8_t *buf) { e->buf = buf; e->n = REC_HEAD; put8(e, type); }
static void enc_begin(enc *e, uint8_t type) { enc_begin_in(e, type, e->small); }
static void enc_end(enc *e)
{
    uint32_t len = (uint32_t)(e->n - REC_HEAD);
    uint32_t crc = lx_crc32(e->buf + REC_HEAD, len);
    for (int i = 0; i < 4; i++) e->buf[i] = (uint8_t)(len >> (8 * i));
    for (int i = 0; i < 4; i++) e->buf[4 + i] = (uint8_t)(crc >> (8 * i));
}

typedef struct dec { const uint8_t *p; size_t n, at; bool bad; } dec;

static bool need(dec *d, size_t n) { if (d->at + n > d->n) d->bad = true; return !d->bad; }
static uint64_t getn(dec *d, int bytes)
{
    uint64_t v = 0;
    if (!need(d, (size_t)bytes)) return 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)d->p[d->at + i] << (8 * i);
    d->at += (size_t)bytes;
    return v;
}
static lx_time get_time(dec *d) { lx_time t; t.sec = (int64_t)getn(d, 8); t.nsec = (uint32_t)getn(d, 4); return t; }
static const char *get_name(dec *d, size_t *len)
{
    *len = (size_t)getn(d, 2);
    if (!need(d, *len)) return NULL;
    const char *s = (const char *)d->p + d->at;
    d->at += *len;
    return s;
}

/* --- the tree --- */

void lx_store_init(lx_store *s) { memset(s, 0, sizeof *s); }

static void free_xattrs(lx_store *s, lx_inode *i)
{
    for (lx_xattr *x = i->xattrs, *next; x; x = next) {
        next = x->next;
        px_free(x);
        s->xattrs--;
    }
    i->xattrs = NULL;
}

static void free_inode(lx_store *s, lx_inode *i)
{
    free_xattrs(s, i);
    px_free(i->target);
    px_free(i);
}

void lx_store_free(lx_store *s)
{
    lx_dirent *d, *dt;
    HASH_ITER(hh, s->dirents, d, dt) { HASH_DEL(s->dirents, d); px_free(d); }
    lx_inode *i, *it;
    HASH_ITER(hh, s->inodes, i, it) { HASH_DEL(s->inodes, i); free_inode(s, i); }
}

lx_inode *lx_inode_get(const lx_store *s, uint64_t ino)
{
    lx_inode *i = NULL;
    HASH_FIND(hh, s->inodes, &ino, sizeof ino, i);
    return i;
}

static size_t make_key(char *key, uint64_t dir, const char *name, size_t len)
{
    memcpy(key, &dir, 8);
    memcpy(key + 8, name, len);
    return 8 + len;
}

lx_dirent *lx_dir_lookup(const lx_store *s, uint64_t dir, const char *name, size_t len)
{
    if (len == 0 || len > LX_NAME_MAX) return NULL;
    char key[8 + LX_NAME_MAX];
    size_t klen = make_key(key, dir, name, len);
    lx_dirent *d = NULL;
    HASH_FIND(hh, s->dirents, key, klen, d);
    return d;
}

static bool is_dir(const lx_inode *i) { return (i->mode & LINUX_S_IFMT) == LINUX_S_IFDIR; }

static bool valid_name(const char *name, size_t len)
{
    if (len == 0 || len > LX_NAME_MAX) return false;
    if (memchr(name, '/', len) || memchr(name, 0, len)) return false;
    return !(len == 1 && name[0] == '.') && !(len == 2 && name[0] == '.' && name[1] == '.');
}

static int64_t add_entry(lx_store *s, lx_inode *dir, const char *name, size_t len, lx_inode *child)
{
    lx_dirent *d = px_calloc(1, sizeof *d + 8 + len + 1);
    if (!d) return -LINUX_ENOMEM;
    d->parent = dir->ino;
    d->child = child->ino;
    d->name_len = (uint16_t)len;
    make_key(d->key, dir->ino, name, len);
    d->cookie = dir->next_cookie++;
    d->prev = dir->last;
    if (dir->last) dir->last->next = d; else dir->first = d;
    dir->last = d;
    dir->entries++;
    HASH_ADD(hh, s->dirents, key, 8 + len, d);
    child->nlink++;
    if (is_dir(child)) {
        child->parent = dir->ino;
        dir->nlink++;
    }
    return 0;
}

static void drop_inode(lx_store *s, lx_inode *i)
{
    if (s->dropped) s->dropped(s->io, i->ino, i->mode);
    HASH_DEL(s->inodes, i);
    free_inode(s, i);
}

/* Removes an entry; frees the inode when nothing keeps it (files: no entry left;
   directories: only their own "."). */
static void remove_entry(lx_store *s, lx_dirent *d)
{
    lx_inode *dir = lx_inode_get(s, d->parent), *child = lx_inode_get(s, d->child);
    if (dir) {
        if (d->prev) d->prev->next = d->next; else dir->first = d->next;
        if (d->next) d->next->prev = d->prev; else dir->last = d->prev;
        dir->entries--;
    }
    HASH_DEL(s->dirents, d);
    px_free(d);
    if (!child) return;
    child->nlink--;
    if (is_dir(child)) {
        if (dir) dir->nlink--;
        if (child->nlink <= 1 && child->parent == (dir ? dir->ino : 0)) drop_inode(s, child);
    } else if (child->nlink == 0) {
        drop_inode(s, child);
    }
}

static void set_attr(lx_inode *i, const lx_attr *a, bool keep_type)
{
    i->mode = keep_type ? (i->mode & LINUX_S_IFMT) | (a->mode & ~LINUX_S_IFMT) : a->mode;
    i->uid = a->uid;
    i->gid = a->gid;
    i->rdev = a->rdev;
    i->atime = a->atime;
    i->mtime = a->mtime;
    i->ctime = a->ctime;
    i->size_hint = a->size_hint;
}

static lx_inode *new_inode(lx_store *s, uint64_t ino, const lx_attr *a)
{
    lx_inode *i = px_calloc(1, sizeof *i);
    if (!i) return NULL;
    i->ino = ino;
    set_attr(i, a, false);
    if (a->target && !(i->target = px_strdup(a->target))) { px_free(i); return NULL; }
    i->next_cookie = 3; /* 1 and 2 are "." and ".." */
    if (is_dir(i)) i->nlink = 1; /* its "." */
    HASH_ADD(hh, s->inodes, ino, sizeof i->ino, i);
    if (ino > s->max_ino) s->max_ino = ino;
    return i;
}

/* Is ino the directory anc or below it? */
static bool is_below(const lx_store *s, uint64_t ino, uint64_t anc)
{
    for (int depth = 0; depth < 4096; depth++) {
        if (ino == anc) return true;
        lx_inode *i = lx_inode_get(s, ino);
        if (!i || ino == LX_ROOT_INO) return false;
        ino = i->parent;
    }
    return true; /* a cycle: refuse */
}

/* --- applying records: validate everything first, change nothing on error --- */

static int64_t apply_inode(lx_store *s, dec *d, bool dry)
{
    uint64_t ino = getn(d, 8), parent = getn(d, 8);
    lx_attr a = {0};
    a.mode = (uint32_t)getn(d, 4);
    a.uid = (uint32_t)getn(d, 4);
    a.gid = (uint32_t)getn(d, 4);
    a.rdev = getn(d, 8);
    a.atime = get_time(d);
    a.mtime = get_time(d);
    a.ctime = get_time(d);
    a.size_hint = getn(d, 8);
    size_t tlen, nlen;
    const char *target = get_name(d, &tlen);
    const char *name = get_name(d, &nlen);
    if (d->bad || tlen > LX_SYMLINK_MAX || ino == 0) return -LINUX_EINVAL;
    char tbuf[LX_SYMLINK_MAX + 1];
    if ((a.mode & LINUX_S_IFMT) == LINUX_S_IFLNK) {
        memcpy(tbuf, target, tlen);
        tbuf[tlen] = 0;
        a.target = tbuf;
    }
    lx_inode *existing = lx_inode_get(s, ino);
    if (parent == 0) { /* change an inode's attributes, or make the root */
        if (!existing && ino != LX_ROOT_INO) return -LINUX_ENOENT;
        if (!existing && (a.mode & LINUX_S_IFMT) != LINUX_S_IFDIR) return -LINUX_ENOTDIR;
        if (dry) return 0;
        if (existing) {
            set_attr(existing, &a, true);
            if (a.target) {
                char *t = px_strdup(a.target);
                if (!t) return -LINUX_ENOMEM;
                px_free(existing->target);
                existing->target = t;
            }
            return 0;
        }
        lx_inode *root = new_inode(s, ino, &a);
        if (!root) return -LINUX_ENOMEM;
        root->nlink = 2;
        root->parent = ino;
        return 0;
    }
    if (existing) return -LINUX_EEXIST;
    lx_inode *dir = lx_inode_get(s, parent);
    if (!dir) return -LINUX_ENOENT;
    if (!is_dir(dir)) return -LINUX_ENOTDIR;
    if (!valid_name(name, nlen)) return -LINUX_EINVAL;
    if (lx_dir_lookup(s, parent, name, nlen)) return -LINUX_EEXIST;
    if (dry) return 0;
    lx_inode *i = new_inode(s, ino, &a);
    if (!i) return -LINUX_ENOMEM;
    int64_t r = add_entry(s, dir, name, nlen, i);
    if (r < 0) drop_inode(s, i);
    return r;
}

static int64_t apply_link(lx_store *s, dec *d, bool dry)
{
    uint64_t ino = getn(d, 8), parent = getn(d, 8);
    size_t nlen;
    const char *name = get_name(d, &nlen);
    if (d->bad) return -LINUX_EINVAL;
    lx_inode *i = lx_inode_get(s, ino), *dir = lx_inode_get(s, parent);
    if (!i || !dir) return -LINUX_ENOENT;
    if (!is_dir(dir)) return -LINUX_ENOTDIR;
    if (is_dir(i)) return -LINUX_EPERM; /* no hard links to directories */
    if (!valid_name(name, nlen)) return -LINUX_EINVAL;
    if (lx_dir_lookup(s, parent, name, nlen)) return -LINUX_EEXIST;
    if (i->nlink >= 65000) return -LINUX_EMLINK;
    if (dry) return 0;
    return add_entry(s, dir, name, nlen, i);
}

static int64_t apply_unlink(lx_store *s, dec *d, bool dry)
{
    uint64_t parent = getn(d, 8);
    size_t nlen;
    const char *name = get_name(d, &nlen);
    if (d->bad) return -LINUX_EINVAL;
    lx_dirent *e = lx_dir_lookup(s, parent, name, nlen);
    if (!e) return -LINUX_ENOENT;
    lx_inode *child = lx_inode_get(s, e->child);
    if (child && is_dir(child) && child->entries) return -LINUX_ENOTEMPTY;
    if (!dry) remove_entry(s, e);
    return 0;
}

static void exchange_child(lx_store *s, lx_dirent *e, uint64_t new_child)
{
    lx_inode *dir = lx_inode_get(s, e->parent), *child = lx_inode_get(s, new_child);
    e->child = new_child;
    if (child && is_dir(child) && child->parent != e->parent) {
        lx_inode *old_parent = lx_inode_get(s, child->parent);
        if (old_parent) old_parent->nlink--;
        if (dir) dir->nlink++;
        child->parent = e->parent;
    }
}

static int64_t apply_rename(lx_store *s, dec *d, bool dry)
{
    uint32_t flags = (uint32_t)getn(d, 4);
    uint64_t from_dir = getn(d, 8);
    size_t flen, tlen;
    const char *from = get_name(d, &flen);
    uint64_t to_dir = getn(d, 8);
    const char *to = get_name(d, &tlen);
    if (d->bad || (flags & ~(LX_RENAME_NOREPLACE | LX_RENAME_EXCHANGE)) ||
        flags == (LX_RENAME_NOREPLACE | LX_RENAME_EXCHANGE))
        return -LINUX_EINVAL;
    lx_dirent *src = lx_dir_lookup(s, from_dir, from, flen);
    if (!src) return -LINUX_ENOENT;
    lx_inode *tdir = lx_inode_get(s, to_dir);
    if (!tdir) return -LINUX_ENOENT;
    if (!is_dir(tdir)) return -LINUX_ENOTDIR;
    if (!valid_name(to, tlen)) return -LINUX_EINVAL;
    lx_inode *moving = lx_inode_get(s, src->child);
    if (!moving) return -LINUX_ENOENT;
    lx_dirent *dst = lx_dir_lookup(s, to_dir, to, tlen);
    lx_inode *target = dst ? lx_inode_get(s, dst->child) : NULL;
    if (flags & LX_RENAME_EXCHANGE) {
        if (!dst || !target) return -LINUX_ENOENT;
        if (is_dir(moving) && is_below(s, to_dir, moving->ino)) return -LINUX_EINVAL;
        if (is_dir(target) && is_below(s, from_dir, target->ino)) return -LINUX_EINVAL;
        if (dry) return 0;
        uint64_t a = src->child, b = dst->child;
        exchange_child(s, src, b);
        exchange_child(s, dst, a);
        return 0;
    }
    if (dst) {
        if (flags & LX_RENAME_NOREPLACE) return -LINUX_EEXIST;
        if (dst->child == src->child) return 0; /* the same inode: Linux does nothing */
        if (target && is_dir(moving) && !is_dir(target)) return -LINUX_ENOTDIR;
        if (target && !is_dir(moving) && is_dir(target)) return -LINUX_EISDIR;
        if (target && is_dir(target) && target->entries) return -LINUX_ENOTEMPTY;
    }
    if (is_dir(moving) && is_below(s, to_dir, moving->ino)) return -LINUX_EINVAL;
    if (dry) return 0;
    if (dst) remove_entry(s, dst);
    int64_t r = add_entry(s, tdir, to, tlen, moving);
    if (r < 0) return r;
    src = lx_dir_lookup(s, from_dir, from, flen);
    remove_entry(s, src);
    return 0;
}

/* --- extended attributes --- */

lx_xattr *lx_xattr_find(const lx_inode *i, const char *name, size_t len)
{
    for (lx_xattr *x = i->xattrs; x; x = x->next)
        if (x->name_len == len && !memcmp(LX_XATTR_NAME(x), name, len)) return x;
    return NULL;
}

/* Names compared as bytes, the shorter first when one is a prefix (strcmp's order). The
   list is kept descending: the order Linux's tmpfs lists them in, so a program sees the
   same on /dev/shm and in the distro. */
static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

static bool valid_xattr_name(const char *name, size_t len)
{
    return len > 0 && len <= LX_XATTR_NAME_MAX && !memchr(name, 0, len);
}

enum { XATTR_OP_SET = 1, XATTR_OP_REMOVE = 2 };

static int64_t apply_xattr(lx_store *s, dec *d, bool dry)
{
    uint64_t ino = getn(d, 8);
    uint8_t op = (uint8_t)getn(d, 1);
    uint32_t flags = (uint32_t)getn(d, 4);
    lx_time ctime = get_time(d);
    size_t nlen;
    const char *name = get_name(d, &nlen);
    size_t vlen = (size_t)getn(d, 4);
    const uint8_t *value = need(d, vlen) ? d->p + d->at : NULL;
    d->at += d->bad ? 0 : vlen;
    if (d->bad || (op != XATTR_OP_SET && op != XATTR_OP_REMOVE) || (flags & ~(LX_XATTR_CREATE | LX_XATTR_REPLACE)))
        return -LINUX_EINVAL;
    if (!valid_xattr_name(name, nlen)) return -LINUX_ERANGE;
    if (vlen > LX_XATTR_SIZE_MAX) return -LINUX_E2BIG;
    lx_inode *i = lx_inode_get(s, ino);
    if (!i) return -LINUX_ENOENT;
    lx_xattr *old = lx_xattr_find(i, name, nlen);
    if (op == XATTR_OP_SET && (flags & LX_XATTR_CREATE) && old) return -LINUX_EEXIST;
    if ((op == XATTR_OP_REMOVE || (flags & LX_XATTR_REPLACE)) && !old) return -LINUX_ENODATA;
    if (dry) return 0;
    lx_xattr *x = NULL;
    if (op == XATTR_OP_SET) {
        if (!(x = px_alloc(sizeof *x + nlen + 1 + vlen))) return -LINUX_ENOMEM;
        x->size = (uint32_t)vlen;
        x->name_len = (uint16_t)nlen;
        memcpy(x->data, name, nlen);
        x->data[nlen] = 0;
        if (vlen) memcpy(x->data + nlen + 1, value, vlen);
    }
    /* unlink the old one, then put the new one in its sorted place */
    lx_xattr **pp = &i->xattrs;
    if (old) {
        while (*pp != old) pp = &(*pp)->next;
        *pp = old->next;
        px_free(old);
        s->xattrs--;
    }
    if (x) {
        for (pp = &i->xattrs; *pp && name_cmp(LX_XATTR_NAME(*pp), (*pp)->name_len, name, nlen) > 0; pp = &(*pp)->next) {}
        x->next = *pp;
        *pp = x;
        s->xattrs++;
    }
    i->ctime = ctime;
    return 0;
}

/* Applies one record body (type + payload). */
static int64_t apply_body(lx_store *s, const uint8_t *body, size_t len, bool dry)
{
    if (len < 1) return -LINUX_EINVAL;
    dec d = {.p = body + 1, .n = len - 1};
    int64_t r;
    switch (body[0]) {
    case LX_REC_INODE: r = apply_inode(s, &d, dry); break;
    case LX_REC_LINK: r = apply_link(s, &d, dry); break;
    case LX_REC_UNLINK: r = apply_unlink(s, &d, dry); break;
    case LX_REC_RENAME: r = apply_rename(s, &d, dry); break;
    case LX_REC_XATTR: r = apply_xattr(s, &d, dry); break;
    default: return -LINUX_EINVAL;
    }
    if (r == 0 && d.at != d.n) return -LINUX_EINVAL; /* trailing bytes: not a record we wrote */
    return r;
}

uint32_t lx_log_record_at(const uint8_t *buf, size_t at, size_t len, uint32_t max_body)
{
    if (len - at < LX_REC_HEAD) return 0;
    uint32_t rlen = 0, crc = 0;
    for (int i = 0; i < 4; i++) rlen |= (uint32_t)buf[at + i] << (8 * i);
    for (int i = 0; i < 4; i++) crc |= (uint32_t)buf[at + 4 + i] << (8 * i);
    if (rlen == 0 || rlen > max_body || rlen > len - at - LX_REC_HEAD) return 0;
    return lx_crc32(buf + at + LX_REC_HEAD, rlen) == crc ? rlen : 0;
}

size_t lx_store_apply_records(lx_store *s, const uint8_t *buf, size_t len)
{
    size_t at = 0;
    for (uint32_t rlen; (rlen = lx_log_record_at(buf, at, len, REC_LIMIT)) != 0;) {
        /* a whole record that does not apply was valid when written (we validate first):
           it can only fail here if the log was edited; keep going as the writer did */
        apply_body(s, buf + at + REC_HEAD, rlen, false);
        s->records++;
        at += REC_HEAD + rlen;
    }
    return at;
}

int64_t lx_store_replay(lx_store *s, const uint8_t *log, size_t len)
{
    if (len < LX_LOG_HEADER || memcmp(log, LX_LOG_MAGIC, LX_LOG_HEADER) != 0) return -1;
    return (int64_t)(LX_LOG_HEADER + lx_store_apply_records(s, log + LX_LOG_HEADER, len - LX_LOG_HEADER));
}

/* Validate, append, apply. */
static int64_t commit(lx_store *s, enc *e)
{
    enc_end(e);
    const uint8_t *body = e->buf + REC_HEAD;
    size_t blen = e->n - REC_HEAD;
    int64_t r = apply_body(s, body, blen, true);
    if (r < 0) return r;
    if (s->append && (r = s->append(s->io, e->buf, e->n)) < 0) return r;
    s->records++;
    return apply_body(s, body, blen, false);
}

static void enc_inode(enc *e, uint64_t ino, uint64_t parent, const lx_attr *a, const char *name, size_t nlen)
{
    enc_begin(e, LX_REC_INODE);
    put64(e, ino);
    put64(e, parent);
    put32(e, a->mode);
    put32(e, a->uid);
    put32(e, a->gid);
    put64(e, a->rdev);
    put_time(e, a->atime);
    put_time(e, a->mtime);
    put_time(e, a->ctime);
    put64(e, a->size_hint);
    size_t tlen = a->target ? strlen(a->target) : 0;
    put_name(e, a->target ? a->target : "", tlen);
    put_name(e, name, nlen);
}

int64_t lx_store_make_root(lx_store *s, const lx_attr *attr)
{
    enc e;
    lx_attr a = *attr;
    a.mode = LINUX_S_IFDIR | (a.mode & 07777);
    enc_inode(&e, LX_ROOT_INO, 0, &a, "", 0);
    return commit(s, &e);
}

int64_t lx_store_create(lx_store *s, uint64_t dir, const char *name, size_t len, const lx_attr *attr,
                        uint64_t *ino_out)
{
    if (len > LX_NAME_MAX) return -LINUX_ENAMETOOLONG;
    if (attr->target && strlen(attr->target) > LX_SYMLINK_MAX) return -LINUX_ENAMETOOLONG;
    uint64_t ino = s->max_ino + 1;
    enc e;
    enc_inode(&e, ino, dir, attr, name, len);
    int64_t r = commit(s, &e);
    if (r == 0 && ino_out) *ino_out = ino;
    return r;
}

int64_t lx_store_setattr(lx_store *s, uint64_t ino, const lx_attr *attr)
{
    if (attr->target && strlen(attr->target) > LX_SYMLINK_MAX) return -LINUX_ENAMETOOLONG;
    enc e;
    enc_inode(&e, ino, 0, attr, "", 0);
    return commit(s, &e);
}

int64_t lx_store_link(lx_store *s, uint64_t ino, uint64_t dir, const char *name, size_t len)
{
    if (len > LX_NAME_MAX) return -LINUX_ENAMETOOLONG;
    enc e;
    enc_begin(&e, LX_REC_LINK);
    put64(&e, ino);
    put64(&e, dir);
    put_name(&e, name, len);
    return commit(s, &e);
}

int64_t lx_store_unlink(lx_store *s, uint64_t dir, const char *name, size_t len)
{
    if (len > LX_NAME_MAX) return -LINUX_ENAMETOOLONG;
    enc e;
    enc_begin(&e, LX_REC_UNLINK);
    put64(&e, dir);
    put_name(&e, name, len);
    return commit(s, &e);
}

int64_t lx_store_rename(lx_store *s, uint64_t from_dir, const char *from, size_t from_len,
                        uint64_t to_dir, const char *to, size_t to_len, uint32_t flags)
{
    if (from_len > LX_NAME_MAX || to_len > LX_NAME_MAX) return -LINUX_ENAMETOOLONG;
    enc e;
    enc_begin(&e, LX_REC_RENAME);
    put32(&e, flags);
    put64(&e, from_dir);
    put_name(&e, from, from_len);
    put64(&e, to_dir);
    put_name(&e, to, to_len);
    return commit(s, &e);
}

/* Encodes an xattr record into a heap buffer (values are too big for the stack). */
static uint8_t *enc_xattr(enc *e, uint64_t ino, uint8_t op, uint32_t flags, lx_time ctime, const char *name,
                          size_t nlen, const void *value, size_t vlen)
{
    uint8_t *buf = px_alloc(REC_HEAD + 1 + 8 + 1 + 4 + 12 + 2 + nlen + 4 + vlen);
    if (!buf) return NULL;
    enc_begin_in(e, LX_REC_XATTR, buf);
    put64(e, ino);
    put8(e, op);
    put32(e, flags);
    put_time(e, ctime);
    put_name(e, name, nlen);
    put32(e, (uint32_t)vlen);
    if (vlen) put(e, value, vlen);
    return buf;
}

static int64_t change_xattr(lx_store *s, uint64_t ino, uint8_t op, uint32_t flags, lx_time ctime, const char *name,
                            const void *value, size_t vlen)
{
    size_t nlen = strnlen(name, LX_XATTR_NAME_MAX + 1);
    if (!valid_xattr_name(name, nlen)) return -LINUX_ERANGE;
    if (vlen > LX_XATTR_SIZE_MAX) return -LINUX_E2BIG;
    enc e;
    uint8_t *buf = enc_xattr(&e, ino, op, flags, ctime, name, nlen, value, vlen);
    if (!buf) return -LINUX_ENOMEM;
    int64_t r = commit(s, &e);
    px_free(buf);
    return r;
}

int64_t lx_store_setxattr(lx_store *s, uint64_t ino, const char *name, const void *value, size_t size,
                          uint32_t flags, lx_time ctime)
{
    return change_xattr(s, ino, XATTR_OP_SET, flags, ctime, name, value, size);
}

int64_t lx_store_removexattr(lx_store *s, uint64_t ino, const char *name, lx_time ctime)
{
    return change_xattr(s, ino, XATTR_OP_REMOVE, 0, ctime, name, NULL, 0);
}

int64_t lx_store_getxattr(const lx_store *s, uint64_t ino, const char *name, void *value, size_t size)
{
    lx_inode *i = lx_inode_get(s, ino);
    if (!i) return -LINUX_ENOENT;
    lx_xattr *x = lx_xattr_find(i, name, strlen(name));
    if (!x) return -LINUX_ENODATA;
    if (size == 0) return x->size;
    if (size < x->size) return -LINUX_ERANGE;
    memcpy(value, LX_XATTR_VALUE(x), x->size);
    return x->size;
}

int64_t lx_store_listxattr(const lx_store *s, uint64_t ino, char *list, size_t size)
{
    lx_inode *i = lx_inode_get(s, ino);
    if (!i) return -LINUX_ENOENT;
    size_t need = 0;
    for (lx_xattr *x = i->xattrs; x; x = x->next) need += x->name_len + 1u;
    if (size == 0) return (int64_t)need;
    if (size < need) return -LINUX_ERANGE;
    for (lx_xattr *x = i->xattrs; x; x = x->next) {
        memcpy(list, LX_XATTR_NAME(x), x->name_len + 1u);
        list += x->name_len + 1u;
    }
    return (int64_t)need;
}

lx_attr lx_attr_of(const lx_inode *i)
{
    lx_attr a = {.mode = i->mode, .uid = i->uid, .gid = i->gid, .rdev = i->rdev, .atime = i->atime,
                 .mtime = i->mtime, .ctime = i->ctime, .size_hint = i->size_hint, .target = i->target};
    return a;
}

int64_t lx_walk(const lx_store *s, const char *rel, lx_inode **out, lx_inode **parent_out,
                const char **last, size_t *last_len)
{
    lx_inode *cur = lx_inode_get(s, LX_ROOT_INO), *parent = cur;
    const char *name = "";
    size_t nlen = 0;
    *out = NULL;
    if (!cur) return -LINUX_EIO;
    const char *p = rel;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len > LX_NAME_MAX) return -LINUX_ENAMETOOLONG;
        if (!cur) return -LINUX_ENOENT;
        if (!is_dir(cur)) return -LINUX_ENOTDIR;
        parent = cur;
        name = p;
        nlen = len;
        lx_dirent *d = len ? lx_dir_lookup(s, cur->ino, p, len) : NULL;
        cur = d ? lx_inode_get(s, d->child) : NULL;
        p += len;
        if (*p == '/') p++;
    }
    if (parent_out) *parent_out = parent;
    if (last) { *last = name; *last_len = nlen; }
    *out = cur;
    return cur ? 0 : -LINUX_ENOENT;
}

/* --- snapshot and check --- */

/* The records that give an inode its xattrs (after the inode's own record). The ctime
   goes last: the inode's, as the one before them. */
static int64_t emit_xattrs(const lx_inode *i, lx_append_fn emit, void *io)
{
    int64_t r = 0;
    for (lx_xattr *x = i->xattrs; x && r >= 0; x = x->next) {
        enc e;
        uint8_t *buf = enc_xattr(&e, i->ino, XATTR_OP_SET, 0, i->ctime, LX_XATTR_NAME(x), x->name_len,
                                 LX_XATTR_VALUE(x), x->size);
        if (!buf) return -LINUX_ENOMEM;
        enc_end(&e);
        r = emit(io, e.buf, e.n);
        px_free(buf);
    }
    return r;
}

int64_t lx_store_snapshot(const lx_store *s, lx_append_fn emit, void *io)
{
    int64_t r = emit(io, (const uint8_t *)LX_LOG_MAGIC, LX_LOG_HEADER);
    lx_inode *root = lx_inode_get(s, LX_ROOT_INO);
    if (r < 0 || !root) return r < 0 ? r : -LINUX_EIO;
    enc e;
    lx_attr a = lx_attr_of(root);
    enc_inode(&e, root->ino, 0, &a, "", 0);
    enc_end(&e);
    if ((r = emit(io, e.buf, e.n)) < 0 || (r = emit_xattrs(root, emit, io)) < 0) return r;
    /* breadth first: every directory is written (through its one entry) before its entries */
    size_t cap = 64, head = 0, tail = 0;
    uint64_t *queue = px_alloc(cap * sizeof *queue);
    if (!queue) return -LINUX_ENOMEM;
    /* an inode is written once; later entries of it are links */
    lx_inode **seen = NULL;
    size_t nseen = 0, seen_cap = 0;
    queue[tail++] = root->ino;
    while (head < tail && r >= 0) {
        lx_inode *dir = lx_inode_get(s, queue[head++]);
        for (lx_dirent *d = dir ? dir->first : NULL; d && r >= 0; d = d->next) {
            lx_inode *c = lx_inode_get(s, d->child);
            if (!c) continue;
            bool written = false;
            if (c->nlink > 1 && !is_dir(c)) {
                for (size_t k = 0; k < nseen && !written; k++) written = seen[k] == c;
                if (!written) {
                    if (nseen == seen_cap) {
                        seen_cap = seen_cap ? 2 * seen_cap : 64;
                        lx_inode **n = px_realloc(seen, seen_cap * sizeof *seen);
                        if (!n) { r = -LINUX_ENOMEM; break; }
                        seen = n;
                    }
                    seen[nseen++] = c;
                }
            }
            if (written) {
                enc_begin(&e, LX_REC_LINK);
                put64(&e, c->ino);
                put64(&e, dir->ino);
                put_name(&e, LX_DIRENT_NAME(d), d->name_len);
            } else {
                a = lx_attr_of(c);
                enc_inode(&e, c->ino, dir->ino, &a, LX_DIRENT_NAME(d), d->name_len);
            }
            enc_end(&e);
            r = emit(io, e.buf, e.n);
            if (r >= 0 && !written) r = emit_xattrs(c, emit, io);
            if (r >= 0 && is_dir(c)) {
                if (tail == cap) {
                    cap *= 2;
                    uint64_t *n = px_realloc(queue, cap * sizeof *queue);
                    if (!n) { r = -LINUX_ENOMEM; break; }
                    queue = n;
                }
                queue[tail++] = c->ino;
            }
        }
    }
    px_free(queue);
    px_free(seen);
    return r < 0 ? r : 0;
}

int64_t lx_store_check(const lx_store *s, void (*describe)(void *ctx, const char *what), void *ctx)
{
    int64_t problems = 0;
#define PROBLEM(msg) do { problems++; if (describe) describe(ctx, msg); } while (0)
    if (!lx_inode_get(s, LX_ROOT_INO)) PROBLEM("no root directory");
    lx_inode *i, *it;
    HASH_ITER(hh, s->inodes, i, it) {
        uint32_t links = 0, subdirs = 0;
        lx_dirent *d, *dt;
        HASH_ITER(hh, s->dirents, d, dt) {
            if (d->child == i->ino) links++;
            if (d->parent == i->ino) {
                lx_inode *c = lx_inode_get(s, d->child);
                if (!c) PROBLEM("an entry names a missing inode");
                else if (is_dir(c)) subdirs++;
            }
        }
        if (is_dir(i)) {
            uint32_t want = (i->ino == LX_ROOT_INO ? 2 : 1 + links) + subdirs;
            if (i->nlink != want) PROBLEM("a directory's link count is wrong");
            if (i->ino != LX_ROOT_INO && links != 1) PROBLEM("a directory has more than one entry");
            if (!lx_inode_get(s, i->parent)) PROBLEM("a directory's parent is missing");
        } else {
            if (i->nlink != links) PROBLEM("a file's link count is wrong");
            if (links == 0) PROBLEM("an inode without an entry");
        }
        if ((i->mode & LINUX_S_IFMT) == LINUX_S_IFLNK && !i->target) PROBLEM("a symlink without a target");
    }
    lx_dirent *d, *dt;
    HASH_ITER(hh, s->dirents, d, dt) {
        if (!lx_inode_get(s, d->parent)) PROBLEM("an entry in a missing directory");
    }
#undef PROBLEM
    return -problems;
}
