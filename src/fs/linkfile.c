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
   prefix, from its parent up.

   Symlinks Windows made (NTFS symlinks, junctions, and WSL's own symlinks) are reparse
   points: read with FSCTL_GET_REPARSE_POINT (reparse.c gives the Linux target; an
   absolute Windows target is mapped to the guest path of a drvfs mount that holds it).
   NT passes through them on its own, so the one query per path still settles a path
   that is there. Wine 8 cannot read the data (a host symlink to a directory shows as a
   directory with the reparse attribute and no target): there it stays what it points
   at. */
#include <stdio.h>
#include "core/errors.h"
#include "fs/fs_internal.h"
#include "fs/path_norm.h"
#include "fs/reparse.h"
#include "fs/vfs.h"
#include "host/host_file.h"
#include "host/host_fileinfo.h"
#include "host/host_utf.h"

#define LINK_MAGIC "!<symlink>"
#define LINK_MAGIC_LEN 10
#define LINK_BOM_LEN 2
/* the largest link file: the magic, the BOM and a PATH_MAX target in UTF-16 */
#define LINK_FILE_MAX (LINK_MAGIC_LEN + LINK_BOM_LEN + 2 * PX_PATH_MAX)

#define REPARSE_DATA_MAX (16 * 1024) /* MAXIMUM_REPARSE_DATA_BUFFER_SIZE */

static bool is_reparse_point(const px_nt_attrs *a) { return (a->attributes & PX_HOST_ATTR_REPARSE_POINT) != 0; }

static bool may_be_link_file(const px_nt_attrs *a)
{
    return is_reparse_point(a) || ((a->attributes & PX_HOST_ATTR_SYSTEM) && !(a->attributes & PX_HOST_ATTR_DIRECTORY) &&
                                   a->size > LINK_MAGIC_LEN && a->size <= LINK_FILE_MAX);
}

/* An absolute Windows target (UTF-8) as a guest path: under m's Windows directory, or
   the root mount's; else the Windows path with '/' separators (a link out of every
   mount, dangling here). */
static int64_t guest_of_windows_target(const px_mount *m, const char *win, char *buf, size_t size)
{
    const px_mount *mounts[2] = {m, px_vfs_mount_at(0)};
    for (size_t i = 0; i < 2; i++) {
        if (!mounts[i] || mounts[i]->type != &px_drvfs_type) continue;
        char *rel = px_path_guest_of_host(((const px_drvfs *)mounts[i]->data)->root_utf8, win);
        if (!rel) continue;
        const char *point = strcmp(mounts[i]->point, "/") ? mounts[i]->point : "";
        int n = snprintf(buf, size, "%s%s", point, rel[1] || !point[0] ? rel : "");
        px_free(rel);
        return n > 0 && (size_t)n < size ? n : -LINUX_ENAMETOOLONG;
    }
    size_t n = strlen(win);
    if (n >= size) return -LINUX_ENAMETOOLONG;
    for (size_t i = 0; i <= n; i++) buf[i] = win[i] == '\\' ? '/' : win[i];
    return (int64_t)n;
}

/* The target of a symlink reparse point, or -LINUX_EINVAL (another kind, or a host
   that cannot tell). */
static int64_t read_reparse_link(const px_mount *m, const wchar_t *path, char *buf, size_t size)
{
    px_host_handle h;
    int64_t r = px_host_file_open_ex(path, PX_HOST_ACCESS_READ_ATTRIBUTES, PX_HOST_SHARE_ALL, PX_HOST_DISP_OPEN_EXISTING,
                                     PX_HOST_OPEN_DIRECTORIES | PX_HOST_OPEN_NO_REPARSE, &h);
    if (r < 0) return r;
    void *data = px_alloc(REPARSE_DATA_MAX);
    int64_t got = data ? px_host_file_reparse_data(h, data, REPARSE_DATA_MAX) : -LINUX_ENOMEM;
    px_host_close(h);
    char *target = got >= 0 ? px_alloc(PX_PATH_MAX) : NULL;
    px_reparse_target_kind kind;
    r = got < 0 ? got : !target ? -LINUX_ENOMEM : px_reparse_link_target(data, (size_t)got, target, PX_PATH_MAX, &kind);
    if (r > 0 && kind == PX_REPARSE_WINDOWS) {
        r = guest_of_windows_target(m, target, buf, size);
    } else if (r > 0) {
        if ((size_t)r >= size) r = -LINUX_ENAMETOOLONG;
        else memcpy(buf, target, (size_t)r + 1);
    }
    px_free(target);
    px_free(data);
    return r;
}

static int64_t read_link_file(const wchar_t *path, char *buf, size_t size);

/* The target of what may_be_link_file let through, in UTF-8 (NUL-terminated in buf):
   its length, or -LINUX_EINVAL when it is no link. */
static int64_t read_link(const px_mount *m, const wchar_t *path, const px_nt_attrs *a, char *buf, size_t size)
{
    return is_reparse_point(a) ? read_reparse_link(m, path, buf, size) : read_link_file(path, buf, size);
}

/* The target in a link file, as read_link. */
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
    else r = read_link(m, path, &a, buf, size);
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

int64_t px_nt_link_file_size(const px_mount *m, const wchar_t *host_path, const px_nt_attrs *a)
{
    if (!may_be_link_file(a)) return -LINUX_EINVAL;
    char target[PX_PATH_MAX];
    return read_link(m, host_path, a, target, sizeof target);
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
        is_link = read_link(m, path, &a, target, sizeof target) > 0;
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
