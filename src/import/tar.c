/* The tar reader (see tar.h). Strict about what it cannot know: a bad header checksum, a
   short read before the end-of-archive block, a pax record that does not parse, or a
   name that climbs out with ".." make the archive corrupt rather than half-read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/px.h"
#include "import/tar.h"

#define BLOCK 512
#define META_MAX (1u << 20) /* longest GNU long name or pax header we accept */

enum { P_PATH = 1, P_LINK = 2, P_SIZE = 4, P_UID = 8, P_GID = 16, P_MTIME = 32, P_ATIME = 64, P_CTIME = 128 };

typedef struct pax_values {
    uint32_t set;
    char *path, *linkpath;
    uint64_t size, uid, gid;
    px_tar_time mtime, atime, ctime;
    px_tar_xattr *xattrs;
    size_t nxattrs;
} pax_values;

static void xattrs_free(px_tar_xattr *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        px_free(x[i].name);
        px_free(x[i].value);
    }
    px_free(x);
}

static void pax_clear(pax_values *p)
{
    px_free(p->path);
    px_free(p->linkpath);
    xattrs_free(p->xattrs, p->nxattrs);
    memset(p, 0, sizeof *p);
}

void px_tar_init(px_tar *t, px_tar_read_fn read, void *ctx)
{
    memset(t, 0, sizeof *t);
    t->read = read;
    t->ctx = ctx;
}

static void entry_clear(px_tar_entry *e)
{
    px_free(e->path);
    px_free(e->linkpath);
    xattrs_free(e->xattrs, e->nxattrs);
    memset(e, 0, sizeof *e);
}

void px_tar_free(px_tar *t)
{
    entry_clear(&t->entry);
    if (t->pax_global) {
        pax_clear(t->pax_global);
        px_free(t->pax_global);
        t->pax_global = NULL;
    }
}

static int fail(px_tar *t, const char *what)
{
    snprintf(t->err, sizeof t->err, "%s (at byte %llu of the archive)", what, (unsigned long long)t->offset);
    return -1;
}

/* Reads exactly len bytes: 1, 0 if the input ended before the first byte, -1 if it
   ended inside or failed. */
static int read_exact(px_tar *t, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        int64_t r = t->read(t->ctx, (uint8_t *)buf + got, len - got);
        if (r < 0) return -1;
        if (r == 0) return got == 0 ? 0 : -1;
        got += (size_t)r;
    }
    t->offset += len;
    return 1;
}

static int skip(px_tar *t, uint64_t n)
{
    uint8_t buf[4096];
    while (n) {
        size_t chunk = n > sizeof buf ? sizeof buf : (size_t)n;
        if (read_exact(t, buf, chunk) != 1) return -1;
        n -= chunk;
    }
    return 0;
}

bool px_tar_number(const uint8_t *f, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (f[0] & 0x80) { /* base-256: big-endian, the first byte's top bit is the marker */
        if (f[0] & 0x40) return false; /* negative */
        v = f[0] & 0x3f;
        for (size_t i = 1; i < len; i++) {
            if (v >> 56) return false;
            v = (v << 8) | f[i];
        }
        *out = v;
        return true;
    }
    size_t i = 0;
    while (i < len && f[i] == ' ') i++;
    bool digits = false;
    for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
        if (v >> 61) return false;
        v = v * 8 + (uint64_t)(f[i] - '0');
        digits = true;
    }
    for (; i < len; i++)
        if (f[i] != ' ' && f[i] != 0) return false;
    *out = digits ? v : 0;
    return true;
}

bool px_tar_checksum_ok(const uint8_t b[BLOCK])
{
    uint64_t want;
    if (!px_tar_number(b + 148, 8, &want)) return false;
    uint64_t usum = 0;
    int64_t ssum = 0;
    for (int i = 0; i < BLOCK; i++) {
        uint8_t c = (i >= 148 && i < 156) ? ' ' : b[i];
        usum += c;
        ssum += (int8_t)c; /* some old tars summed signed chars */
    }
    return want == usum || (int64_t)want == ssum;
}

bool px_tar_normalise(char *path)
{
    char *out = path;
    const char *p = path;
    while (*p) {
        while (*p == '/') p++;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0) break;
        if (len == 1 && p[0] == '.') {
            /* "." : nothing */
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            return false;
        } else {
            if (out != path) *out++ = '/';
            memmove(out, p, len);
            out += len;
        }
        p += len;
    }
    *out = 0;
    return true;
}

static char *field_string(const uint8_t *f, size_t len)
{
    size_t n = strnlen((const char *)f, len);
    char *s = px_alloc(n + 1);
    if (s) {
        memcpy(s, f, n);
        s[n] = 0;
    }
    return s;
}

/* "123.456789" (seconds, optional fraction, maybe negative) */
static bool parse_time(const char *s, px_tar_time *t)
{
    char *end;
    long long sec = strtoll(s, &end, 10);
    uint32_t ns = 0;
    if (end == s) return false;
    if (*end == '.') {
        uint32_t scale = 100000000;
        for (end++; *end >= '0' && *end <= '9'; end++) {
            ns += (uint32_t)(*end - '0') * scale;
            scale /= 10;
        }
        if (sec < 0 || s[0] == '-') { /* -1.5 is 1.5 s before the epoch */
            if (ns) { sec -= 1; ns = 1000000000u - ns; }
        }
    }
    if (*end) return false;
    t->sec = sec;
    t->nsec = ns;
    return true;
}

static bool parse_u64(const char *s, uint64_t *v)
{
    char *end;
    if (!*s || *s == '-') return false;
    *v = strtoull(s, &end, 10);
    return *end == 0;
}

/* Adds (or replaces) an xattr; takes over name and value. */
static bool add_xattr(pax_values *p, char *name, uint8_t *value, size_t size)
{
    for (size_t i = 0; i < p->nxattrs; i++) {
        if (!strcmp(p->xattrs[i].name, name)) {
            px_free(p->xattrs[i].name);
            px_free(p->xattrs[i].value);
            p->xattrs[i] = (px_tar_xattr){name, value, size};
            return true;
        }
    }
    px_tar_xattr *x = px_realloc(p->xattrs, (p->nxattrs + 1) * sizeof *x);
    if (!x) { px_free(name); px_free(value); return false; }
    p->xattrs = x;
    x[p->nxattrs++] = (px_tar_xattr){name, value, size};
    return true;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* libarchive's names are URL-encoded (%XX); NULL if malformed. */
static char *url_decode(const char *s)
{
    char *out = px_alloc(strlen(s) + 1), *o = out;
    if (!out) return NULL;
    for (; *s; s++) {
        if (*s == '%') {
            int hi = hex_digit(s[1]), lo = hi < 0 ? -1 : hex_digit(s[2]);
            if (lo < 0 || (hi == 0 && lo == 0)) { px_free(out); return NULL; }
            *o++ = (char)(hi * 16 + lo);
            s += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = 0;
    return out;
}

/* libarchive's values are base64 (padding optional); NULL if malformed. */
static uint8_t *base64_decode(const char *s, size_t len, size_t *out_len)
{
    uint8_t *out = px_alloc(len / 4 * 3 + 3), *o = out;
    if (!out) return NULL;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
              : c == '+' ? 62 : c == '/' ? 63 : -1;
        if (c == '=') break;
        if (v < 0) { px_free(out); return NULL; }
        acc = (acc << 6) | (uint32_t)v;
        if ((bits += 6) >= 8) {
            bits -= 8;
            *o++ = (uint8_t)(acc >> bits);
        }
    }
    *out_len = (size_t)(o - out);
    return out;
}

/* SCHILY.xattr.NAME=VALUE (raw bytes, NULs included: the record's length says where it
   ends) or LIBARCHIVE.xattr.NAME=BASE64. */
static bool parse_xattr(pax_values *p, const char *key, const char *value, size_t vlen)
{
    char *name;
    uint8_t *v;
    size_t size;
    if (!strncmp(key, "SCHILY.xattr.", 13)) {
        name = px_strdup(key + 13);
        v = px_alloc(vlen ? vlen : 1);
        if (v && vlen) memcpy(v, value, vlen);
        size = vlen;
    } else {
        name = url_decode(key + 17);
        v = base64_decode(value, vlen, &size);
    }
    if (!name || !v || !name[0]) { px_free(name); px_free(v); return false; }
    return add_xattr(p, name, v, size);
}

/* Pax records: "LEN key=value\n", LEN counting the whole record. */
static bool parse_pax(char *buf, size_t n, pax_values *p)
{
    size_t at = 0;
    while (at < n) {
        if (buf[at] == 0) break; /* some writers pad with NULs */
        char *end;
        unsigned long long len = strtoull(buf + at, &end, 10);
        if (end == buf + at || *end != ' ' || len < 5 || len > n - at || buf[at + len - 1] != '\n') return false;
        char *key = end + 1, *rec_end = buf + at + len - 1;
        char *eq = memchr(key, '=', (size_t)(rec_end - key));
        if (!eq) return false;
        *eq = 0;
        *rec_end = 0;
        char *value = eq + 1;
        bool ok = true;
        if (!strcmp(key, "path")) { px_free(p->path); ok = (p->path = px_strdup(value)) != NULL; p->set |= P_PATH; }
        else if (!strcmp(key, "linkpath")) { px_free(p->linkpath); ok = (p->linkpath = px_strdup(value)) != NULL; p->set |= P_LINK; }
        else if (!strcmp(key, "size")) { ok = parse_u64(value, &p->size); p->set |= P_SIZE; }
        else if (!strcmp(key, "uid")) { ok = parse_u64(value, &p->uid); p->set |= P_UID; }
        else if (!strcmp(key, "gid")) { ok = parse_u64(value, &p->gid); p->set |= P_GID; }
        else if (!strcmp(key, "mtime")) { ok = parse_time(value, &p->mtime); p->set |= P_MTIME; }
        else if (!strcmp(key, "atime")) { ok = parse_time(value, &p->atime); p->set |= P_ATIME; }
        else if (!strcmp(key, "ctime")) { ok = parse_time(value, &p->ctime); p->set |= P_CTIME; }
        else if (!strncmp(key, "GNU.sparse.", 11)) return false; /* sparse files: not supported */
        else if (!strncmp(key, "SCHILY.xattr.", 13) || !strncmp(key, "LIBARCHIVE.xattr.", 17))
            ok = parse_xattr(p, key, value, (size_t)(rec_end - value));
        /* others (uname, gname, charset, comment, SCHILY.acl.*) do not change the tree */
        if (!ok) return false;
        at += (size_t)len;
    }
    return true;
}

/* Moves the xattrs of p (the entry's own pax header) into e. */
static void pax_take_xattrs(pax_values *p, px_tar_entry *e)
{
    e->xattrs = p->xattrs;
    e->nxattrs = p->nxattrs;
    p->xattrs = NULL;
    p->nxattrs = 0;
}

static void pax_apply(const pax_values *p, px_tar_entry *e)
{
    if (p->set & P_UID) e->uid = (uint32_t)p->uid;
    if (p->set & P_GID) e->gid = (uint32_t)p->gid;
    if (p->set & P_SIZE) e->size = p->size;
    if (p->set & P_MTIME) e->mtime = p->mtime;
    if (p->set & P_ATIME) { e->atime = p->atime; e->has_atime = true; }
    if (p->set & P_CTIME) { e->ctime = p->ctime; e->has_ctime = true; }
}

/* Reads a metadata member's data (GNU long name, pax header) as a NUL-terminated string. */
static char *read_meta(px_tar *t, uint64_t size)
{
    if (size > META_MAX) return NULL;
    char *buf = px_alloc((size_t)size + 1);
    if (!buf) return NULL;
    if ((size && read_exact(t, buf, (size_t)size) != 1) || skip(t, (BLOCK - size % BLOCK) % BLOCK) < 0) {
        px_free(buf);
        return NULL;
    }
    buf[size] = 0;
    return buf;
}

int px_tar_next(px_tar *t)
{
    entry_clear(&t->entry);
    if (skip(t, t->data_left + t->pad_left) < 0) return fail(t, "the archive is truncated");
    t->data_left = t->pad_left = 0;
    pax_values local = {0};
    char *long_name = NULL, *long_link = NULL;
    int result = -1;
    uint8_t b[BLOCK];
    for (;;) {
        int r = read_exact(t, b, BLOCK);
        if (r != 1) { result = fail(t, "the archive is truncated (no end-of-archive block)"); break; }
        bool zero = true;
        for (int i = 0; i < BLOCK && zero; i++) zero = b[i] == 0;
        if (zero) {
            if (local.set || long_name || long_link) result = fail(t, "the archive ends after an extended header");
            else result = 0;
            break;
        }
        if (!px_tar_checksum_ok(b)) {
            t->offset -= BLOCK; /* say where the header starts */
            result = fail(t, "a header's checksum is wrong: the archive is corrupt");
            break;
        }
        uint64_t size;
        if (!px_tar_number(b + 124, 12, &size)) { result = fail(t, "a header's size field is corrupt"); break; }
        char type = (char)b[156];
        if (type == 'L' || type == 'K') {
            char *s = read_meta(t, size);
            if (!s) { result = fail(t, "a GNU long name is truncated or too long"); break; }
            char **slot = type == 'L' ? &long_name : &long_link;
            px_free(*slot);
            *slot = s;
            continue;
        }
        if (type == 'x' || type == 'g') {
            char *s = read_meta(t, size);
            if (!s) { result = fail(t, "a pax header is truncated or too long"); break; }
            pax_values *target = &local;
            if (type == 'g') {
                if (!t->pax_global && !(t->pax_global = px_calloc(1, sizeof(pax_values)))) { px_free(s); break; }
                target = t->pax_global;
            }
            bool ok = parse_pax(s, (size_t)size, target);
            px_free(s);
            if (!ok) { result = fail(t, "a pax header is corrupt or uses sparse files"); break; }
            if (type == 'g') { /* a global path makes no sense for every entry */
                pax_values *g = t->pax_global;
                px_free(g->path); px_free(g->linkpath);
                g->path = g->linkpath = NULL;
                g->set &= ~(uint32_t)(P_PATH | P_LINK | P_SIZE);
                xattrs_free(g->xattrs, g->nxattrs); /* attributes belong to one file */
                g->xattrs = NULL;
                g->nxattrs = 0;
            }
            continue;
        }
        if (type == 'V') { /* a volume label: not a file */
            if (skip(t, (size + BLOCK - 1) / BLOCK * BLOCK) < 0) { result = fail(t, "the archive is truncated"); break; }
            continue;
        }
        px_tar_entry *e = &t->entry;
        uint64_t v;
        bool ok = px_tar_number(b + 100, 8, &v);
        e->mode = (uint32_t)v & 07777;
        ok = ok && px_tar_number(b + 108, 8, &v);
        e->uid = (uint32_t)v;
        ok = ok && px_tar_number(b + 116, 8, &v);
        e->gid = (uint32_t)v;
        ok = ok && px_tar_number(b + 136, 12, &v);
        e->mtime.sec = (int64_t)v;
        e->size = size;
        bool ustar = !memcmp(b + 257, "ustar", 5);
        if (ustar) {
            ok = ok && px_tar_number(b + 329, 8, &v);
            e->devmajor = (uint32_t)v;
            ok = ok && px_tar_number(b + 337, 8, &v);
            e->devminor = (uint32_t)v;
        }
        if (!ok) { result = fail(t, "a header has a corrupt number"); break; }
        /* the name: pax path > GNU long name > ustar prefix/name */
        if (local.set & P_PATH) { e->path = local.path; local.path = NULL; }
        else if (long_name) { e->path = long_name; long_name = NULL; }
        else if (ustar && !memcmp(b + 257, "ustar\0", 6) && b[345]) {
            char *prefix = field_string(b + 345, 155), *name = field_string(b, 100);
            size_t n = (prefix ? strlen(prefix) : 0) + (name ? strlen(name) : 0) + 2;
            if (prefix && name && (e->path = px_alloc(n))) snprintf(e->path, n, "%s/%s", prefix, name);
            px_free(prefix);
            px_free(name);
        } else {
            e->path = field_string(b, 100);
        }
        if (local.set & P_LINK) { e->linkpath = local.linkpath; local.linkpath = NULL; }
        else if (long_link) { e->linkpath = long_link; long_link = NULL; }
        else e->linkpath = field_string(b + 157, 100);
        if (!e->path || !e->linkpath) { result = fail(t, "out of memory"); break; }
        size_t plen = strlen(e->path);
        if (type == 0 || type == '7') type = (plen && e->path[plen - 1] == '/') ? '5' : '0';
        if (!strchr("0123456", type)) { result = fail(t, "an entry has a type picolx cannot import (sparse or unknown)"); break; }
        e->type = type;
        if (t->pax_global) pax_apply(t->pax_global, e);
        pax_apply(&local, e);
        pax_take_xattrs(&local, e);
        if (!px_tar_normalise(e->path) || (type == '1' && !px_tar_normalise(e->linkpath))) {
            result = fail(t, "an entry's name climbs out of the archive with ..");
            break;
        }
        if (type == '1' && !e->linkpath[0]) { result = fail(t, "a hard link has no target"); break; }
        /* what follows the header is what its size says, whatever the type; only regular
           files keep it as their contents */
        t->data_left = e->size;
        if (type != '0') e->size = type == '2' ? strlen(e->linkpath) : 0;
        t->pad_left = (BLOCK - t->data_left % BLOCK) % BLOCK;
        result = 1;
        break;
    }
    pax_clear(&local);
    px_free(long_name);
    px_free(long_link);
    return result;
}

int64_t px_tar_read_data(px_tar *t, void *buf, size_t len)
{
    if (len > t->data_left) len = (size_t)t->data_left;
    if (len == 0) return 0;
    if (read_exact(t, buf, len) != 1) {
        fail(t, "the archive is truncated inside a file's data");
        return -1;
    }
    t->data_left -= len;
    return (int64_t)len;
}
