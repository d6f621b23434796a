/* Symlinks in a Windows directory (drvfs): link files.

   Windows symlinks need developer mode or a privilege, absolute Linux targets mean
   nothing to Windows, and under Wine CreateSymbolicLink creates nothing. So a drvfs
   symlink is a small file with the system attribute holding "!<symlink>", a UTF-16LE
   byte-order mark and the target (Cygwin's format, so Cygwin and MSYS2 see these links
   too). A name query tells a possible link file from everything else by its attributes
   (system, not a directory, a size a link can have), and only those are read.

   The VFS walks drvfs paths lexically and asks px_nt_find_link once per path rather
   than per component (vfs.h link_files): a path whose by-name query succeeds has no
   link file among its directories (NT cannot pass through a file), so one query
   settles the common case; only a path that is not there is looked at prefix by
   prefix, from its parent up. */
#include "core/errors.h"
#include "fs/fs_internal.h"
#include "fs/vfs.h"
#include "host/host_file.h"
#include "host/host_utf.h"

#define LINK_MAGIC "!<symlink>"
#define LINK_MAGIC_LEN 10
#define LINK_BOM_LEN 2
/* the largest link file: the magic, the BOM and a PATH_MAX target in UTF-16 */
#define LINK_FILE_MAX (LINK_MAGIC_LEN + LINK_BOM_LEN + 2 * PX_PATH_MAX)

static bool may_be_link_file(const px_nt_attrs *a)
{
    return (a->attributes & PX_HOST_ATTR_SYSTEM) && !(a->attributes & PX_HOST_ATTR_DIRECTORY) &&
           a->size > LINK_MAGIC_LEN && a->size <= LINK_FILE_MAX;
}

/* The target in a link file, in UTF-8 (NUL-terminated in buf), its length, or
   -LINUX_EINVAL when the file is not a link file. */
static int64_t read_link_file(const wchar_t *path, char *buf, size_t size)
{
    px_host_handle h;
    int64_t opened = px_host_file_open(path, PX_HOST_FILE_READ, PX_HOST_OPEN_EXISTING, PX_HOST_FILE_NO_REPARSE, &h);
    if (opened < 0) return opened;
    unsigned char *data = px_alloc(LINK_FILE_MAX + 2);
    int64_t got = data ? px_host_file_read(h, data, LINK_FILE_MAX + 2) : -LINUX_ENOMEM;
    px_host_close(h);
    int64_t r = -LINUX_EINVAL;
    if (got > LINK_MAGIC_LEN && got <= LINK_FILE_MAX && !memcmp(data, LINK_MAGIC, LINK_MAGIC_LEN)) {
        unsigned char *text = data + LINK_MAGIC_LEN;
        size_t text_len = (size_t)got - LINK_MAGIC_LEN;
        int64_t n;
        if (text_len >= LINK_BOM_LEN && text[0] == 0xFF && text[1] == 0xFE) { /* UTF-16LE */
            const wchar_t *w = (const wchar_t *)(text + LINK_BOM_LEN);
            size_t wlen = (text_len - LINK_BOM_LEN) / 2;
            while (wlen && !w[wlen - 1]) wlen--;
            n = wlen ? px_host_utf8_of_utf16_in(w, wlen, buf, size) : 0;
        } else { /* UTF-8, as older Cygwin wrote them */
            n = (int64_t)strnlen((const char *)text, text_len);
            if ((size_t)n >= size) n = 0;
            else memcpy(buf, text, (size_t)n);
        }
        if (n > 0) {
            buf[n] = 0;
            r = n;
        }
    }
    px_free(data);
    return r;
}

/* The link's target, or -LINUX_EINVAL (not a link), -LINUX_ENOENT, ... */
static int64_t link_target(px_mount *m, const char *rel, char *buf, size_t size)
{
    wchar_t *path;
    int64_t r = px_nt_host_path(m, rel, false, &path);
    if (r < 0) return r;
    px_nt_attrs a;
    int64_t err = px_nt_query_attrs(path, &a, NULL);
    if (err) r = err;
    else if (!may_be_link_file(&a)) r = -LINUX_EINVAL;
    else r = read_link_file(path, buf, size);
    px_free(path);
    return r;
}

int64_t px_nt_readlink(px_mount *m, const char *rel, char *buf, uint64_t size)
{
    char target[PX_PATH_MAX];
    int64_t n = link_target(m, rel, target, sizeof target);
    if (n < 0) return n;
    if ((uint64_t)n > size) n = (int64_t)size; /* readlink truncates, without a NUL */
    memcpy(buf, target, (size_t)n);
    return n;
}

int64_t px_nt_link_file_size(const wchar_t *host_path, const px_nt_attrs *a)
{
    if (!may_be_link_file(a)) return -LINUX_EINVAL;
    char target[PX_PATH_MAX];
    return read_link_file(host_path, target, sizeof target);
}

/* Whether the prefix rel[0..len) is a link file: 1, 0 (something else or nothing), or
   -1 when it is not there (the caller looks further up). */
static int prefix_is_link(px_mount *m, const char *rel, size_t len)
{
    char prefix[PX_PATH_MAX];
    memcpy(prefix, rel, len);
    prefix[len] = 0;
    wchar_t *path;
    if (px_nt_host_path(m, prefix, false, &path) < 0) return -1;
    px_nt_attrs a;
    int64_t err = px_nt_query_attrs(path, &a, NULL);
    int is_link;
    int64_t missing = err; /* ENOENT; ENOTDIR: a component is a file */
    if (missing == -LINUX_ENOENT || missing == -LINUX_ENOTDIR) is_link = -1;
    else if (err) is_link = 0;
    else if (!may_be_link_file(&a)) is_link = 0;
    else {
        char target[PX_PATH_MAX];
        is_link = read_link_file(path, target, sizeof target) > 0;
    }
    px_free(path);
    return is_link;
}

int64_t px_nt_find_link(px_mount *m, const char *rel, size_t *link_len)
{
    size_t len = strlen(rel);
    if (len >= PX_PATH_MAX) return 0; /* the operation itself says ENAMETOOLONG */
    for (;;) {
        if (len == 0) return 0; /* the mount's root */
        int is_link = prefix_is_link(m, rel, len);
        if (is_link > 0) {
            /* the shortest prefix that is a link: a link found at the end may sit
               under another one only if this query failed, which it did not */
            *link_len = len;
            return 1;
        }
        if (is_link == 0) return 0; /* there, and every directory above it is real */
        while (len > 0 && rel[len - 1] != '/') len--; /* not there: its parent */
        if (len > 0) len--;
    }
}

int64_t px_nt_symlink(px_mount *m, const char *target, const char *rel)
{
    if (!target[0]) return -LINUX_ENOENT;
    size_t target_len = strlen(target);
    if (target_len >= PX_PATH_MAX) return -LINUX_ENAMETOOLONG;
    wchar_t *wtarget = px_host_utf16_of_utf8(target);
    if (!wtarget) return -LINUX_EINVAL;
    wchar_t *path;
    int64_t r = px_nt_host_path(m, rel, true, &path);
    if (r < 0) {
        px_free(wtarget);
        return r;
    }
    size_t wlen = wcslen(wtarget);
    size_t bytes = LINK_MAGIC_LEN + LINK_BOM_LEN + (wlen + 1) * 2;
    unsigned char *data = px_alloc(bytes);
    if (!data) r = -LINUX_ENOMEM;
    if (r == 0) {
        memcpy(data, LINK_MAGIC, LINK_MAGIC_LEN);
        data[LINK_MAGIC_LEN] = 0xFF;
        data[LINK_MAGIC_LEN + 1] = 0xFE;
        memcpy(data + LINK_MAGIC_LEN + LINK_BOM_LEN, wtarget, (wlen + 1) * 2);
        px_host_handle h;
        r = px_host_file_open(path, PX_HOST_FILE_WRITE, PX_HOST_CREATE_NEW, PX_HOST_FILE_SYSTEM, &h);
        if (r == 0) {
            int64_t put = px_host_file_write(h, data, bytes);
            px_host_close(h);
            if (put < 0) {
                r = put;
                px_host_file_delete(path); /* no half-written link is left */
            } else {
                /* the attribute again: CREATE_NEW keeps it, but some file systems drop
                   attributes given at creation */
                px_host_path_set_attributes(path, PX_HOST_ATTR_SYSTEM);
            }
        }
    }
    if (r == 0) px_stat_cache_invalidate();
    px_free(data);
    px_free(path);
    px_free(wtarget);
    return r;
}
