/* Case-sensitive names in a Windows directory (drvfs), as Linux has them.

   Windows looks names up without regard to case, and Wine does the same over the
   case-sensitive Linux directories below it; per-directory case sensitivity
   (FileCaseSensitiveInformation, which WSL sets on the directories it creates) is not
   there under Wine 8 (STATUS_INVALID_INFO_CLASS) nor on directories made by others.
   So picolx keeps Linux's rules itself:

   - Lookups: what the host opened is checked against the name asked for. The host
     gives the path of an open file with the case of the names on disk
     (px_host_file_name); a component whose case differs means the name asked for is
     not that one: "A" where only "a" exists is ENOENT.
   - Two names that differ only in case: the first is stored as it is, every further
     one with each ASCII letter escaped as U+F000 + the letter, the private-use range
     WSL's DrvFs and Cygwin already use for characters Windows forbids (path_norm.h).
     Private-use characters have no case, so every case variant has its own escaped
     form, distinct from the others and from the plain name, and listings decode it
     (px_drvfs_unescape_utf8). A lookup tries the escaped form only when the host
     found a variant of the plain name, so the common lookups cost one query more
     (the name check) and misses nothing.
   - The directory that holds an escaped name is marked (the host's "system"
     attribute); when the plain name goes from a marked directory (unlink, rmdir,
     rename), one escaped variant takes the plain name, so that an escaped name never
     remains without a plain one (else no lookup would try it).
   Non-ASCII letters that differ only in case (é, É) are not told apart: Windows folds
   them too, and they are not escaped. */
#include "fs/vfs.h"
#include "fs/fs_internal.h"
#include "fs/path_norm.h"
#include "host/host_fileinfo.h"

static bool is_ascii_letter(wchar_t c) { return (c >= L'a' && c <= L'z') || (c >= L'A' && c <= L'Z'); }
static wchar_t ascii_fold(wchar_t c) { return c >= L'A' && c <= L'Z' ? (wchar_t)(c - L'A' + L'a') : c; }
/* a letter escaped as above, back to itself */
static wchar_t unescape_letter(wchar_t c)
{
    wchar_t u = (wchar_t)(c - PX_DRVFS_ESCAPE_BASE);
    return c >= PX_DRVFS_ESCAPE_BASE && is_ascii_letter(u) ? u : c;
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
        if (ascii_fold(want[i]) != ascii_fold(got[i])) return -1;
        return (ptrdiff_t)(d->prefix_len + component);
    }
    return -1;
}

bool px_drvfs_case_escape(wchar_t *path, size_t start)
{
    bool changed = false;
    for (size_t i = start; path[i] && path[i] != L'\\'; i++)
        if (is_ascii_letter(path[i])) {
            path[i] = (wchar_t)(PX_DRVFS_ESCAPE_BASE + path[i]);
            changed = true;
        }
    return changed;
}

size_t px_drvfs_last_component(const wchar_t *path)
{
    const wchar_t *slash = wcsrchr(path, L'\\');
    return slash ? (size_t)(slash - path) + 1 : 0;
}

int64_t px_drvfs_open_exact(const struct px_mount *m, wchar_t *path, uint32_t access, uint32_t share, uint32_t options,
                            px_host_handle *out, ptrdiff_t *missing_at, bool *path_not_found)
{
    *missing_at = -1;
    for (;;) {
        int64_t r = px_host_file_open_ex(path, access, share, PX_HOST_DISP_OPEN_EXISTING, options, out);
        if (path_not_found) *path_not_found = r < 0 && px_host_path_not_found();
        if (r < 0) return r;
        ptrdiff_t at = px_drvfs_case_mismatch(m, *out, path);
        if (at < 0) return 0;
        px_host_close(*out);
        *out = NULL;
        if (path_not_found) *path_not_found = (size_t)at != px_drvfs_last_component(path);
        /* that variant is another name; its escaped form is the one asked for, if any */
        if (!px_drvfs_case_escape(path, (size_t)at)) return -LINUX_ENOENT;
        *missing_at = at;
    }
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
    if (px_host_path_attributes(dir, &attrs) == 0 && !(attrs & PX_HOST_ATTR_SYSTEM))
        px_host_path_set_attributes(dir, attrs | PX_HOST_ATTR_SYSTEM);
    px_free(dir);
}

typedef struct promote_ctx {
    const wchar_t *gone; /* the plain name that went */
    wchar_t found[PX_NAME_MAX * 2 + 2];
    bool have;
} promote_ctx;

static bool promote_match(void *ctx, const wchar_t *name, uint32_t attrs)
{
    (void)attrs;
    promote_ctx *c = ctx;
    size_t n = wcslen(name);
    if (n != wcslen(c->gone) || n >= PX_ARRAY_LEN(c->found)) return true;
    bool escaped = false;
    for (size_t i = 0; i < n; i++) {
        wchar_t u = unescape_letter(name[i]);
        if (u != name[i]) escaped = true;
        if (ascii_fold(u) != ascii_fold(c->gone[i])) return true;
    }
    if (!escaped) return true;
    memcpy(c->found, name, (n + 1) * sizeof *name);
    c->have = true;
    return false;
}

void px_drvfs_promote_variant(const wchar_t *path)
{
    size_t cut = px_drvfs_last_component(path);
    if (cut == 0) return;
    const wchar_t *name = path + cut;
    bool letters = false;
    for (const wchar_t *p = name; *p; p++) {
        if (unescape_letter(*p) != *p) return; /* an escaped name went: a plain one is there */
        letters |= is_ascii_letter(*p);
    }
    if (!letters) return;
    size_t len = wcslen(path);
    wchar_t *dir = px_alloc((len + 1) * sizeof *dir);
    if (!dir) return;
    memcpy(dir, path, (cut - 1) * sizeof *dir);
    dir[cut - 1] = 0;
    uint32_t attrs;
    promote_ctx *c = px_calloc(1, sizeof *c);
    if (c && px_host_path_attributes(dir, &attrs) == 0 && (attrs & PX_HOST_ATTR_SYSTEM)) {
        /* the variants: the same length, a letter wherever the name has one */
        wchar_t *mask = px_alloc((len - cut + 1) * sizeof *mask);
        if (mask) {
            size_t i = 0;
            for (const wchar_t *p = name; *p; p++) mask[i++] = is_ascii_letter(*p) ? L'?' : *p;
            mask[i] = 0;
            c->gone = name;
            px_host_dir_list(dir, mask, promote_match, c);
            px_free(mask);
        }
        if (c->have) {
            size_t fn = wcslen(c->found);
            wchar_t *from = px_alloc((cut + fn + 1) * sizeof *from), *to = px_alloc((cut + fn + 1) * sizeof *to);
            if (from && to) {
                memcpy(from, path, cut * sizeof *from);
                memcpy(from + cut, c->found, (fn + 1) * sizeof *from);
                memcpy(to, from, (cut + fn + 1) * sizeof *to);
                for (size_t k = cut; to[k]; k++) to[k] = unescape_letter(to[k]);
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
