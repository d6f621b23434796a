/* The drvfs metadata store in memory and its log records (drvfs_meta_store.h). The
   record framing and checksum are lxstore's (lx_crc32); the payloads are this store's. */
#include <string.h>
#include "core/px.h"
#include "fs/drvfs_meta_store.h"
#include "fs/lxfs/lxstore.h"

enum { DM_REC_PUT = 1, DM_REC_DROP = 2 };
#define REC_HEAD LX_REC_HEAD
#define REC_MAX 128

typedef struct enc { uint8_t buf[REC_MAX]; size_t n; } enc;

static void put8(enc *e, uint8_t v) { e->buf[e->n++] = v; }
static void put32(enc *e, uint32_t v) { for (int i = 0; i < 4; i++) put8(e, (uint8_t)(v >> (8 * i))); }
static void put64(enc *e, uint64_t v) { for (int i = 0; i < 8; i++) put8(e, (uint8_t)(v >> (8 * i))); }

static void enc_begin(enc *e, uint8_t type, uint64_t dev, uint64_t ino)
{
    e->n = REC_HEAD;
    put8(e, type);
    put64(e, dev);
    put64(e, ino);
}

static void enc_end(enc *e)
{
    uint32_t len = (uint32_t)(e->n - REC_HEAD), crc = lx_crc32(e->buf + REC_HEAD, len);
    for (int i = 0; i < 4; i++) e->buf[i] = (uint8_t)(len >> (8 * i));
    for (int i = 0; i < 4; i++) e->buf[4 + i] = (uint8_t)(crc >> (8 * i));
}

static void enc_meta(enc *e, const dm_meta *m)
{
    put32(e, m->have);
    put32(e, m->mode);
    put32(e, m->uid);
    put32(e, m->gid);
    put64(e, m->rdev);
    put64(e, (uint64_t)m->atime_sec);
    put32(e, m->atime_nsec);
    put64(e, (uint64_t)m->mtime_sec);
    put32(e, m->mtime_nsec);
    put64(e, (uint64_t)m->atime_host);
    put64(e, (uint64_t)m->mtime_host);
    put64(e, (uint64_t)m->sniff_write_time);
    put64(e, (uint64_t)m->sniff_size);
}

typedef struct dec { const uint8_t *p; size_t n, at; bool bad; } dec;

static uint64_t getn(dec *d, int bytes)
{
    if (d->at + (size_t)bytes > d->n) { d->bad = true; return 0; }
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)d->p[d->at + i] << (8 * i);
    d->at += (size_t)bytes;
    return v;
}

void dm_store_init(dm_store *s) { memset(s, 0, sizeof *s); }

void dm_store_free(dm_store *s)
{
    dm_entry *e, *t;
    HASH_ITER(hh, s->entries, e, t) { HASH_DEL(s->entries, e); px_free(e); }
    s->specials = 0;
}

static bool is_special(const dm_meta *m)
{
    uint32_t fmt = m->mode & LINUX_S_IFMT;
    return (m->have & DM_HAVE_MODE) && fmt != LINUX_S_IFREG && fmt != LINUX_S_IFDIR && fmt != 0;
}

static dm_entry *find(const dm_store *s, uint64_t dev, uint64_t ino)
{
    dm_key k = {dev, ino};
    dm_entry *e = NULL;
    HASH_FIND(hh, s->entries, &k, sizeof k, e);
    return e;
}

const dm_meta *dm_store_get(const dm_store *s, uint64_t dev, uint64_t ino)
{
    dm_entry *e = find(s, dev, ino);
    return e ? &e->meta : NULL;
}

static void remove_entry(dm_store *s, dm_entry *e)
{
    if (is_special(&e->meta)) s->specials--;
    HASH_DEL(s->entries, e);
    px_free(e);
}

static int64_t apply_body(dm_store *s, const uint8_t *body, size_t len)
{
    dec d = {.p = body, .n = len};
    uint8_t type = (uint8_t)getn(&d, 1);
    uint64_t dev = getn(&d, 8), ino = getn(&d, 8);
    dm_meta m = {0};
    if (type == DM_REC_PUT) {
        m.have = (uint32_t)getn(&d, 4);
        m.mode = (uint32_t)getn(&d, 4);
        m.uid = (uint32_t)getn(&d, 4);
        m.gid = (uint32_t)getn(&d, 4);
        m.rdev = getn(&d, 8);
        m.atime_sec = (int64_t)getn(&d, 8);
        m.atime_nsec = (uint32_t)getn(&d, 4);
        m.mtime_sec = (int64_t)getn(&d, 8);
        m.mtime_nsec = (uint32_t)getn(&d, 4);
        m.atime_host = (int64_t)getn(&d, 8);
        m.mtime_host = (int64_t)getn(&d, 8);
        m.sniff_write_time = (int64_t)getn(&d, 8);
        m.sniff_size = (int64_t)getn(&d, 8);
    } else if (type != DM_REC_DROP) {
        return -LINUX_EINVAL;
    }
    if (d.bad || d.at != d.n || (m.have & ~DM_HAVE_ALL) || m.atime_nsec >= 1000000000u || m.mtime_nsec >= 1000000000u)
        return -LINUX_EINVAL;
    dm_entry *e = find(s, dev, ino);
    if (type == DM_REC_DROP || !m.have) {
        if (e) remove_entry(s, e);
        return 0;
    }
    if (!e) {
        if (!(e = px_calloc(1, sizeof *e))) return -LINUX_ENOMEM;
        e->key = (dm_key){dev, ino};
        HASH_ADD(hh, s->entries, key, sizeof e->key, e);
    } else if (is_special(&e->meta)) {
        s->specials--;
    }
    e->meta = m;
    if (is_special(&m)) s->specials++;
    return 0;
}

size_t dm_store_apply_records(dm_store *s, const uint8_t *buf, size_t len)
{
    size_t at = 0;
    for (uint32_t rlen; (rlen = lx_log_record_at(buf, at, len, REC_MAX - REC_HEAD)) != 0;) {
        if (apply_body(s, buf + at + REC_HEAD, rlen) == -LINUX_EINVAL) break; /* not a record we wrote */
        s->records++;
        at += REC_HEAD + rlen;
    }
    return at;
}

int64_t dm_store_replay(dm_store *s, const uint8_t *log, size_t len)
{
    if (len < DM_LOG_HEADER || memcmp(log, DM_LOG_MAGIC, DM_LOG_HEADER) != 0) return -1;
    return (int64_t)(DM_LOG_HEADER + dm_store_apply_records(s, log + DM_LOG_HEADER, len - DM_LOG_HEADER));
}

/* Append, then apply (records are valid by construction). */
static int64_t commit(dm_store *s, enc *e)
{
    enc_end(e);
    int64_t r;
    if (s->append && (r = s->append(s->io, e->buf, e->n)) < 0) return r;
    s->records++;
    return apply_body(s, e->buf + REC_HEAD, e->n - REC_HEAD);
}

int64_t dm_store_put(dm_store *s, uint64_t dev, uint64_t ino, const dm_meta *m)
{
    if (!m->have) return dm_store_drop(s, dev, ino);
    if ((m->have & ~DM_HAVE_ALL) || m->atime_nsec >= 1000000000u || m->mtime_nsec >= 1000000000u) return -LINUX_EINVAL;
    enc e;
    enc_begin(&e, DM_REC_PUT, dev, ino);
    enc_meta(&e, m);
    return commit(s, &e);
}

int64_t dm_store_drop(dm_store *s, uint64_t dev, uint64_t ino)
{
    if (!find(s, dev, ino)) return 0; /* nothing to say */
    enc e;
    enc_begin(&e, DM_REC_DROP, dev, ino);
    return commit(s, &e);
}

int64_t dm_store_snapshot(const dm_store *s, dm_append_fn emit, void *io)
{
    int64_t r = emit(io, (const uint8_t *)DM_LOG_MAGIC, DM_LOG_HEADER);
    for (dm_entry *e = s->entries; e && r >= 0; e = e->hh.next) {
        enc en;
        enc_begin(&en, DM_REC_PUT, e->key.dev, e->key.ino);
        enc_meta(&en, &e->meta);
        enc_end(&en);
        r = emit(io, en.buf, en.n);
    }
    return r < 0 ? r : 0;
}
