/* Case-sensitive names in a Windows directory (drvfs), as Linux has them.

   Windows looks names up without regard to case, and Wine does the same over the
   case-sensitive Linux directories below it; per-directory case sensitivity
   (FileCaseSensitiveInformation, which WSL sets on the directories it creates) is not
   there under Wine 8 (STATUS_INVALID_INFO_CLASS) nor on directories made by others.
   So picolx keeps Linux's rules itself:

   - Lookups: what the host opened is checked against the name asked for. The host
     gives the path of an open file with the case of the names on disk
     (px_host_file_name); a component that is the same to the host's upcase table but
     not character for character means the name asked for is not that one: "A" where
     only "a" exists is ENOENT, and so is "É" where only "é" exists.
   - Two names that differ only in case: the first is stored as it is, every further
     one escaped into the private-use range WSL's DrvFs and Cygwin already use for
     characters Windows forbids (path_norm.h): each ASCII letter as U+F000 + the letter,
     each other character as its UTF-8 bytes, U+F000 + each byte (the form a byte that
     is not UTF-8 has, so listings give those bytes back: px_drvfs_unescape_utf8).
     Private-use characters have no case, so every case variant has its own escaped
     form, distinct from the others and from the plain name. A lookup tries the escaped
     form only when the host found a variant of the plain name, so the common lookups
     cost one query more (the name check) and misses nothing.
   - The directory that holds an escaped name is marked (the host's "system"
     attribute); when the plain name goes from a marked directory (unlink, rmdir,
     rename), one escaped variant takes the plain name, so that an escaped name never
     remains without a plain one (else no lookup would try it). */
#include "fs/vfs.h"
#include "fs/fs_internal.h"
#include "fs/path_norm.h"
#include "host/host_fileinfo.h"
#include "host/host_system.h"
#include "host/host_utf.h"

static bool is_ascii_letter(wchar_t c) { return (c >= L'a' && c <= L'z') || (c >= L'A' && c <= L'Z'); }
static bool is_ours(wchar_t c) { return c >= PX_DRVFS_ESCAPE_BASE && c <= PX_DRVFS_ESCAPE_BASE + 0xFF; }
static bool is_high_surrogate(wchar_t c) { return c >= 0xD800 && c <= 0xDBFF; }
static bool is_low_surrogate(wchar_t c) { return c >= 0xDC00 && c <= 0xDFFF; }

bool px_drvfs_names_fold_equal(const wchar_t *a, const wchar_t *b)
{
    for (; *a && *b; a++, b++)
        if (px_host_name_upcase(*a) != px_host_name_upcase(*b)) return false;
    return *a == *b;
}

/* The escaped form of the character(s) at c (one, or a surrogate pair) into out (room
   for 4): how many characters of c it takes (*n_out written), 0 when it stays as it is
   (ours already, or a lone surrogate). */
static size_t escape_char(const wchar_t *c, wchar_t out[4], size_t *n_out)
{
    uint32_t cp = c[0];
    size_t used = 1;
    if (is_ascii_letter(c[0])) {
        out[0] = (wchar_t)(PX_DRVFS_ESCAPE_BASE + c[0]);
        *n_out = 1;
        return 1;
    }
    if (c[0] < 0x80 || is_ours(c[0]) || is_low_surrogate(c[0])) return 0;
    if (is_high_surrogate(c[0])) {
        if (!is_low_surrogate(c[1])) return 0;
        cp = 0x10000 + (((uint32_t)c[0] - 0xD800) << 10) + ((uint32_t)c[1] - 0xDC00);
        used = 2;
    }
    uint8_t b[4];
    size_t n;
    if (cp < 0x800) b[0] = (uint8_t)(0xC0 | cp >> 6), n = 2;
    else if (cp < 0x10000) b[0] = (uint8_t)(0xE0 | cp >> 12), n = 3;
    else b[0] = (uint8_t)(0xF0 | cp >> 18), n = 4;
    for (size_t k = 1; k < n; k++) b[k] = (uint8_t)(0x80 | ((cp >> (6 * (n - 1 - k))) & 0x3F));
    for (size_t k = 0; k < n; k++) out[k] = (wchar_t)(PX_DRVFS_ESCAPE_BASE + b[k]);
    *n_out = n;
    return used;
}

/* name (n characters) with its case escapes undone into out (room for n + 1): the
   length; *escaped: it had one. A run of escaped bytes that is not one whole UTF-8
   character is a name's bytes that are not UTF-8 and stays. */
static size_t unescape_case(const wchar_t *name, size_t n, wchar_t *out, bool *escaped)
{
    size_t o = 0;
    *escaped = false;
    for (size_t i = 0; i < n;) {
        wchar_t c = name[i];
        if (is_ours(c) && is_ascii_letter((wchar_t)(c - PX_DRVFS_ESCAPE_BASE))) {
            out[o++] = (wchar_t)(c - PX_DRVFS_ESCAPE_BASE);
            *escaped = true;
            i++;
            continue;
        }
        char bytes[4];
        size_t len = 0;
        unsigned lead = is_ours(c) ? (unsigned)(c - PX_DRVFS_ESCAPE_BASE) : 0;
        if (lead >= 0xC2 && lead <= 0xDF) len = 2;
        else if (lead >= 0xE0 && lead <= 0xEF) len = 3;
        else if (lead >= 0xF0 && lead <= 0xF4) len = 4;
        bool whole = len > 0 && i + len <= n;
        for (size_t k = 0; whole && k < len; k++) {
            if (!is_ours(name[i + k]) || (k > 0 && ((name[i + k] - PX_DRVFS_ESCAPE_BASE) & 0xC0) != 0x80)) whole = false;
            else bytes[k] = (char)(name[i + k] - PX_DRVFS_ESCAPE_BASE);
        }
        uint16_t w[5];
        /* px_drvfs_utf16_of_name keeps what is not UTF-8 (overlong, surrogates) escaped */
        if (whole && px_drvfs_utf16_of_name(bytes, len, w) <= 2 && !is_ours(w[0])) {
            out[o++] = w[0];
            if (w[1]) out[o++] = w[1];
            *escaped = true;
            i += len;
            continue;
        }
        out[o++] = c;
        i++;
    }
    out[o] = 0;
    return o;
}

ptrdiff_t px_drvfs_case_mismatch(const struct px_mount *m, px_host_handle h, const wchar_t *path)
{
    const px_drvfs *d = m->data;
    wchar_t real[PX_PATH_MAX + 64];
    size_t real_len;
    if (px_host_file_name(h, real, PX_ARRAY_LEN(real), &real_len) < 0) return -1;
    size_t len = wcslen(path);
    if (len < d->prefix_len) return -1;
    size_t tail = len - d->prefix_len; /* the part inside the mount, from its '\' */
    if (tail == 0 || real_len < tail) return -1;
    const wchar_t *want = path + d->prefix_len, *got = real + real_len - tail;
    size_t component = 0;
    for (size_t i = 0; i < tail; i++) {
        if (want[i] == L'\\') component = i + 1;
        if (want[i] == got[i]) continue;
        /* not the same name at all (a short name, a link resolved): no verdict */
        if (px_host_name_upcase(want[i]) != px_host_name_upcase(got[i])) return -1;
        return (ptrdiff_t)(d->prefix_len + component);
    }
    return -1;
}

bool px_drvfs_case_escape(wchar_t **pathp, size_t start)
{
    wchar_t *path = *pathp;
    size_t end = start;
    while (path[end] && path[end] != L'\\') end++;
    size_t len = end + wcslen(path + end);
    /* each character grows to 4 at most */
    wchar_t *w = px_alloc((start + (end - start) * 4 + (len - end) + 1) * sizeof *w);
    if (!w) return false;
    memcpy(w, path, start * sizeof *w);
    size_t o = start;
    bool changed = false;
    for (size_t i = start; i < end;) {
        size_t n_out, used = escape_char(path + i, w + o, &n_out);
        if (used == 0) {
            w[o++] = path[i++];
            continue;
        }
        changed = true;
        o += n_out;
        i += used;
    }
    memcpy(w + o, path + end, (len - end + 1) * sizeof *w);
    if (!changed) {
        px_free(w);
        return false;
    }
    px_free(path);
    *pathp = w;
    return true;
}

size_t px_drvfs_last_component(const wchar_t *path)
{
    const wchar_t *slash = wcsrchr(path, L'\\');
    return slash ? (size_t)(slash - path) + 1 : 0;
}

int64_t px_drvfs_open_exact(const struct px_mount *m, wchar_t **pathp, uint32_t access, uint32_t share,
                            uint32_t options, px_host_handle *out, ptrdiff_t *missing_at, bool *path_not_found)
{
    *missing_at = -1;
    bool dirs_checked = false;
    for (;;) {
        int64_t r = px_host_file_open_ex(*pathp, access, share, PX_HOST_DISP_OPEN_EXISTING, options, out);
        bool not_found = r < 0 && px_host_path_not_found();
        if (path_not_found) *path_not_found = not_found;
        if (r == -LINUX_ENOENT && !dirs_checked) { /* through a directory of another case? */
            dirs_checked = true;
            if (px_drvfs_exact_dirs(m, pathp)) continue;
            if (path_not_found) *path_not_found = not_found;
        }
        if (r < 0) return r;
        ptrdiff_t at = px_drvfs_case_mismatch(m, *out, *pathp);
        if (at < 0) return 0;
        px_host_close(*out);
        *out = NULL;
        if (path_not_found) *path_not_found = (size_t)at != px_drvfs_last_component(*pathp);
        /* that variant is another name; its escaped form is the one asked for, if any */
        if (!px_drvfs_case_escape(pathp, (size_t)at)) return -LINUX_ENOENT;
        *missing_at = at;
    }
}

/* Marks seen lately. A miss walks every directory of its path and the next misses walk
   mostly the same ones, at ~8 us a query: an answer is kept MARK_TTL_MS, one 64-bit
   word a slot (a 32-bit hash of the path, the time, the answer) so that threads need no
   lock. This process's own marks drop them all; another process's shows once the
   answer is that old. */
#define MARK_SLOTS 128
#define MARK_TTL_MS 1000
static uint64_t mark_cache[MARK_SLOTS];

static uint32_t path_hash(const wchar_t *path, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++) h = (h ^ path[i]) * 16777619u;
    return h | 1; /* never 0: an empty slot */
}

static bool dir_marked(const wchar_t *path)
{
    size_t len = wcslen(path);
    uint32_t hash = path_hash(path, len), now = (uint32_t)px_host_uptime_ms() & 0x7fffffff;
    uint64_t *slot = &mark_cache[hash % MARK_SLOTS];
    uint64_t seen = __atomic_load_n(slot, __ATOMIC_RELAXED);
    if ((uint32_t)(seen >> 32) == hash && ((now - ((uint32_t)seen >> 1)) & 0x7fffffff) < MARK_TTL_MS)
        return seen & 1;
    uint32_t attrs;
    bool marked = px_host_path_attributes(path, &attrs) == 0 && (attrs & PX_HOST_ATTR_SYSTEM);
    __atomic_store_n(slot, (uint64_t)hash << 32 | now << 1 | marked, __ATOMIC_RELAXED);
    return marked;
}

bool px_drvfs_exact_dirs(const struct px_mount *m, wchar_t **pathp)
{
    const px_drvfs *d = m->data;
    bool changed = false;
    for (size_t at = d->prefix_len; (*pathp)[at] == L'\\';) {
        wchar_t *path = *pathp;
        size_t end = at + 1;
        while (path[end] && path[end] != L'\\') end++;
        if (!path[end]) break; /* the last name: not a directory on the way */
        /* the directory that holds this component ("X:\" for the mount's root) */
        size_t dir_len = at == d->prefix_len ? at + 1 : at;
        wchar_t keep = path[dir_len];
        path[dir_len] = 0;
        bool marked = dir_marked(path);
        path[dir_len] = keep;
        if (!marked) {
            at = end;
            continue;
        }
        wchar_t *sub = px_alloc((end + 1) * sizeof *sub);
        if (!sub) break;
        memcpy(sub, path, end * sizeof *sub);
        sub[end] = 0;
        px_host_handle h;
        ptrdiff_t missing_at;
        bool retried = px_drvfs_open_exact(m, &sub, PX_HOST_ACCESS_READ_ATTRIBUTES, PX_HOST_SHARE_ALL,
                                           PX_HOST_OPEN_DIRECTORIES, &h, &missing_at, NULL) == 0;
        if (retried) px_host_close(h);
        size_t sub_len = wcslen(sub), rest = wcslen(path + end);
        bool escaped = retried && (sub_len != end || memcmp(sub, path, end * sizeof *sub) != 0);
        wchar_t *w = escaped ? px_alloc((sub_len + rest + 1) * sizeof *w) : NULL;
        if (w) { /* the directory is stored escaped: the path goes through that form */
            memcpy(w, sub, sub_len * sizeof *w);
            memcpy(w + sub_len, path + end, (rest + 1) * sizeof *w);
            px_free(path);
            *pathp = w;
            changed = true;
        }
        px_free(sub);
        if (!retried) break; /* not there in this case at all: nothing below it either */
        at = w ? sub_len : end;
    }
    return changed;
}

void px_drvfs_mark_dir(const wchar_t *path)
{
    size_t cut = px_drvfs_last_component(path);
    if (cut == 0) return;
    wchar_t *dir = px_alloc(cut * sizeof *dir);
    if (!dir) return;
    memcpy(dir, path, (cut - 1) * sizeof *dir);
    dir[cut - 1] = 0;
    uint32_t attrs;
    if (px_host_path_attributes(dir, &attrs) == 0 && !(attrs & PX_HOST_ATTR_SYSTEM)) {
        px_host_path_set_attributes(dir, attrs | PX_HOST_ATTR_SYSTEM);
        for (size_t i = 0; i < MARK_SLOTS; i++) __atomic_store_n(&mark_cache[i], 0, __ATOMIC_RELAXED);
    }
    px_free(dir);
}

typedef struct promote_ctx {
    const wchar_t *gone; /* the plain name that went */
    wchar_t found[PX_NAME_MAX + 1];   /* an escaped variant's host name */
    wchar_t plain[PX_NAME_MAX + 1];   /* and its plain form */
    bool have;
} promote_ctx;

static bool promote_match(void *ctx, const wchar_t *name, uint32_t attrs)
{
    (void)attrs;
    promote_ctx *c = ctx;
    size_t n = wcslen(name);
    if (n >= PX_ARRAY_LEN(c->found)) return true;
    bool escaped;
    unescape_case(name, n, c->plain, &escaped);
    if (!escaped || !px_drvfs_names_fold_equal(c->plain, c->gone)) return true;
    memcpy(c->found, name, (n + 1) * sizeof *name);
    c->have = true;
    return false;
}

void px_drvfs_promote_variant(const wchar_t *path)
{
    size_t cut = px_drvfs_last_component(path);
    if (cut == 0) return;
    const wchar_t *name = path + cut;
    size_t name_len = wcslen(name);
    if (name_len > PX_NAME_MAX) return;
    wchar_t plain[PX_NAME_MAX + 1];
    bool escaped, ascii = true, cased = false;
    unescape_case(name, name_len, plain, &escaped);
    if (escaped) return; /* an escaped name went: a plain one is there */
    for (const wchar_t *p = name; *p; p++) {
        ascii &= *p < 0x80;
        cased |= is_ascii_letter(*p) || (*p >= 0x80 && !is_ours(*p));
    }
    if (!cased) return;
    wchar_t *dir = px_alloc(cut * sizeof *dir);
    if (!dir) return;
    memcpy(dir, path, (cut - 1) * sizeof *dir);
    dir[cut - 1] = 0;
    uint32_t attrs;
    promote_ctx *c = px_calloc(1, sizeof *c);
    if (c && px_host_path_attributes(dir, &attrs) == 0 && (attrs & PX_HOST_ATTR_SYSTEM)) {
        /* the variants: with ASCII only, the same length and a letter wherever the name
           has one; else escaped forms are longer, and any name may be one */
        wchar_t mask[PX_NAME_MAX + 1];
        size_t i = 0;
        if (ascii)
            for (const wchar_t *p = name; *p; p++) mask[i++] = is_ascii_letter(*p) ? L'?' : *p;
        else
            mask[i++] = L'*';
        mask[i] = 0;
        c->gone = name;
        px_host_dir_list(dir, mask, promote_match, c);
        if (c->have) {
            size_t fn = wcslen(c->found), pn = wcslen(c->plain);
            wchar_t *from = px_alloc((cut + fn + 1) * sizeof *from), *to = px_alloc((cut + pn + 1) * sizeof *to);
            if (from && to) {
                memcpy(from, path, cut * sizeof *from);
                memcpy(from + cut, c->found, (fn + 1) * sizeof *from);
                memcpy(to, path, cut * sizeof *to);
                memcpy(to + cut, c->plain, (pn + 1) * sizeof *to);
                px_host_path_move(from, to, 0);
            }
            px_free(from);
            px_free(to);
        }
    }
    px_free(c);
    px_free(dir);
}

/* --- Host names no Windows name spells ---
   Under Wine a directory of the host can hold names with '?', '*', '\', ':', a trailing
   dot or space, made by Linux programs. Wine lists them as they are (not escaped), so
   the guest sees them so too; picolx's own form of such a name (U+F000 + the character)
   is another file on the host. When that form is not there, the listing's entry with
   exactly the name asked for is opened by its short name (px_host_dir_short_name). */

/* A character of picolx's escaped form of a forbidden character (not a case-escaped
   letter, not a byte that is not UTF-8). */
static bool escapes_forbidden(wchar_t c)
{
    if (c < PX_DRVFS_ESCAPE_BASE || c >= PX_DRVFS_ESCAPE_BASE + 0x80) return false;
    return !is_ascii_letter((wchar_t)(c - PX_DRVFS_ESCAPE_BASE));
}

int64_t px_drvfs_host_form(const struct px_mount *m, wchar_t **pathp)
{
    const px_drvfs *d = m->data;
    wchar_t *path = *pathp;
    size_t i = d->prefix_len;
    while (path[i]) {
        while (path[i] == L'\\') i++;
        size_t start = i, end = i;
        bool escaped = false;
        while (path[end] && path[end] != L'\\') escaped |= escapes_forbidden(path[end++]);
        i = end;
        if (!escaped || start == 0) continue;
        wchar_t keep = path[end];
        path[end] = 0;
        uint32_t attrs;
        bool there = px_host_path_attributes(path, &attrs) == 0;
        path[end] = keep;
        if (there) continue;
        size_t n = end - start;
        wchar_t long_name[PX_NAME_MAX + 1], mask[PX_NAME_MAX + 1], short_name[PX_NAME_MAX + 1];
        if (n > PX_NAME_MAX) return 0;
        for (size_t k = 0; k < n; k++) {
            wchar_t c = path[start + k];
            long_name[k] = escapes_forbidden(c) ? (wchar_t)(c - PX_DRVFS_ESCAPE_BASE) : c;
            mask[k] = escapes_forbidden(c) ? L'?' : c;
        }
        long_name[n] = mask[n] = 0;
        path[start - 1] = 0; /* the directory */
        int64_t r = px_host_dir_short_name(path, mask, long_name, short_name, PX_ARRAY_LEN(short_name));
        path[start - 1] = L'\\';
        if (r < 0) return 0; /* not there either way: the escaped form stays */
        size_t sn = wcslen(short_name), len = wcslen(path);
        wchar_t *w = px_alloc((len - n + sn + 1) * sizeof *w);
        if (!w) return -LINUX_ENOMEM;
        memcpy(w, path, start * sizeof *w);
        memcpy(w + start, short_name, sn * sizeof *w);
        memcpy(w + start + sn, path + end, (len - end + 1) * sizeof *w);
        px_free(path);
        *pathp = path = w;
        i = start + sn;
    }
    return 0;
}
