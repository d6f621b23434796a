/* `picolx import`, `list`, `unregister`: a tarball becomes an lxfs store (lxstore.h) in a
   Windows directory, and a name in the registry of distros. The store is built in a
   temporary directory next to the target and renamed into place at the end: a corrupt or
   truncated tarball (or any failure) leaves nothing behind. */
#include <stdio.h>
#include "picolx.h"
#include "core/errors.h"
#include "core/home.h"
#include "core/px.h"
#include "host/host_file.h"
#include "host/host_process.h"
#include "host/host_utf.h"
#include "fs/lxfs/lxfs_disk.h"
#include "import/import.h"
#include "import/tar.h"

#define NAME_MAX_LEN 64

static const char *errno_name(int64_t err)
{
    const char *name = px_errno_name(-err);
    return name ? name : "error";
}

static bool valid_distro_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > NAME_MAX_LEN || name[0] == '.' || name[0] == '-') return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* <picolx home>\distros (core/home.h), created on demand. */
static wchar_t *registry_dir(bool create)
{
    wchar_t *dir = px_home_path(L"distros", create);
    if (dir && create) px_host_dir_create(dir); /* EEXIST is fine */
    return dir;
}

static wchar_t *registry_file(const char *name, bool create)
{
    wchar_t *dir = registry_dir(create), *wname = px_host_utf16_of_utf8(name);
    wchar_t *path = NULL;
    if (dir && wname) {
        size_t n = wcslen(dir) + wcslen(wname) + 8;
        if ((path = px_alloc(n * sizeof *path))) swprintf(path, n, L"%ls\\%ls.txt", dir, wname);
    }
    px_free(dir);
    px_free(wname);
    return path;
}

/* The registry file holds the store directory, UTF-8, one line. */
static char *read_registration(const wchar_t *file)
{
    px_host_handle h;
    if (px_host_file_open(file, PX_HOST_FILE_READ, PX_HOST_OPEN_EXISTING, 0, &h) < 0) return NULL;
    char buf[4 * 260];
    int64_t got = px_host_file_read(h, buf, sizeof buf - 1);
    px_host_close(h);
    if (got < 0) return NULL;
    buf[got] = 0;
    buf[strcspn(buf, "\r\n")] = 0;
    return buf[0] ? px_strdup(buf) : NULL;
}

wchar_t *px_distro_store_dir(const char *name)
{
    if (!valid_distro_name(name)) return NULL;
    wchar_t *file = registry_file(name, false);
    char *dir = file ? read_registration(file) : NULL;
    wchar_t *w = dir ? px_host_utf16_of_utf8(dir) : NULL;
    px_free(file);
    px_free(dir);
    return w;
}

/* "dir\name" (px_alloc'd), or NULL. */
static wchar_t *join(const wchar_t *dir, const wchar_t *name)
{
    size_t m = wcslen(dir) + wcslen(name) + 2;
    wchar_t *p = px_alloc(m * sizeof *p);
    if (p) swprintf(p, m, L"%ls\\%ls", dir, name);
    return p;
}

static bool delete_tree(const wchar_t *dir);

typedef struct tree_walk { const wchar_t *dir; bool ok; } tree_walk;

static bool delete_entry(void *ctx, const wchar_t *name, uint32_t attrs)
{
    tree_walk *w = ctx;
    wchar_t *p = join(w->dir, name);
    if (!p) {
        w->ok = false;
        return true;
    }
    if (attrs & PX_HOST_ATTR_DIRECTORY) w->ok = delete_tree(p) && w->ok;
    else {
        if (attrs & PX_HOST_ATTR_READONLY) px_host_path_set_attributes(p, PX_HOST_ATTR_NORMAL);
        w->ok = px_host_file_delete(p) == 0 && w->ok;
    }
    px_free(p);
    return true;
}

/* Deletes a directory tree (the store's trees are two levels deep, but be general). */
static bool delete_tree(const wchar_t *dir)
{
    tree_walk w = {dir, true};
    px_host_dir_list(dir, L"*", delete_entry, &w);
    return px_host_dir_remove(dir) == 0 && w.ok;
}

/* --- building the store --- */

typedef struct importer {
    lx_store st;
    wchar_t *tmp;          /* the directory being built */
    lx_time now;
    px_tar tar;
    uint8_t *buf;
    const char *tarfile;
} importer;

#define COPY_BUF (1u << 20)

static int64_t make_dir(importer *im, uint64_t parent, const char *name, size_t len, uint64_t *ino)
{
    lx_attr a = {.mode = LINUX_S_IFDIR | 0755, .atime = im->now, .mtime = im->now, .ctime = im->now};
    return lx_store_create(&im->st, parent, name, len, &a, ino);
}

/* The directory that holds path (made, 0755 root, where the archive has no entry for it),
   and the last component. */
static int64_t parent_of(importer *im, const char *path, uint64_t *dir, const char **last, size_t *last_len)
{
    uint64_t cur = LX_ROOT_INO;
    const char *p = path;
    for (;;) {
        const char *slash = strchr(p, '/');
        if (!slash) break;
        size_t len = (size_t)(slash - p);
        lx_dirent *d = lx_dir_lookup(&im->st, cur, p, len);
        if (d) {
            lx_inode *i = lx_inode_get(&im->st, d->child);
            if (!i || (i->mode & LINUX_S_IFMT) != LINUX_S_IFDIR) return -LINUX_ENOTDIR;
            cur = d->child;
        } else {
            int64_t r = make_dir(im, cur, p, len, &cur);
            if (r < 0) return r;
        }
        p = slash + 1;
    }
    *dir = cur;
    *last = p;
    *last_len = strlen(p);
    return 0;
}

static uint64_t linux_makedev(uint32_t major, uint32_t minor)
{
    return ((uint64_t)(major & 0xfffu) << 8) | (minor & 0xffu) | ((uint64_t)(minor & ~0xffu) << 12) |
           ((uint64_t)(major & ~0xfffu) << 32);
}

static int64_t write_data(importer *im, uint64_t ino)
{
    wchar_t name[40];
    size_t n = wcslen(im->tmp) + 48;
    wchar_t *path = px_alloc(n * sizeof *path);
    if (!path) return -LINUX_ENOMEM;
    swprintf(name, PX_ARRAY_LEN(name), L"%llx", (unsigned long long)ino);
    swprintf(path, n, L"%ls\\" LX_DATA_DIR L"\\%ls", im->tmp, name);
    px_host_handle h;
    int64_t r = px_host_file_open(path, PX_HOST_FILE_WRITE, PX_HOST_CREATE_ALWAYS, PX_HOST_FILE_EXCLUSIVE, &h);
    px_free(path);
    if (r < 0) return -LINUX_EIO;
    int64_t got;
    while ((got = px_tar_read_data(&im->tar, im->buf, COPY_BUF)) > 0) {
        if (px_host_file_write(h, im->buf, (size_t)got) != got) { r = -LINUX_EIO; break; }
    }
    if (got < 0) r = -LINUX_EINVAL;
    px_host_close(h);
    return r;
}

static int64_t add_member(importer *im, const px_tar_entry *e, uint64_t *ino_out, char *why, size_t why_len);

/* Gives the inode the xattrs the member's pax header carried (its ctime kept). */
static int64_t set_xattrs(importer *im, uint64_t ino, const px_tar_entry *e, char *why, size_t why_len)
{
    lx_inode *i = lx_inode_get(&im->st, ino);
    for (size_t k = 0; i && k < e->nxattrs; k++) {
        const px_tar_xattr *x = &e->xattrs[k];
        int64_t r = lx_store_setxattr(&im->st, ino, x->name, x->value, x->size, 0, i->ctime);
        if (r == -LINUX_ERANGE || r == -LINUX_E2BIG) {
            snprintf(why, why_len, "%s: the extended attribute %.64s is too long", e->path, x->name);
            return -LINUX_EINVAL;
        }
        if (r < 0) return r;
    }
    return 0;
}

/* Adds one archive member. -LINUX_EINVAL: the archive is wrong (tar.err or a message
   printed); others: the host failed. */
static int64_t add_entry(importer *im, const px_tar_entry *e, char *why, size_t why_len)
{
    uint64_t ino = 0;
    int64_t r = add_member(im, e, &ino, why, why_len);
    return r < 0 || !e->nxattrs ? r : set_xattrs(im, ino, e, why, why_len);
}

/* Adds one archive member's node or link; *ino: the inode it names. */
static int64_t add_member(importer *im, const px_tar_entry *e, uint64_t *ino_out, char *why, size_t why_len)
{
    lx_attr a = {
        .mode = e->mode, .uid = e->uid, .gid = e->gid,
        .mtime = {e->mtime.sec, e->mtime.nsec},
        .atime = e->has_atime ? (lx_time){e->atime.sec, e->atime.nsec} : (lx_time){e->mtime.sec, e->mtime.nsec},
        .ctime = e->has_ctime ? (lx_time){e->ctime.sec, e->ctime.nsec} : im->now,
    };
    static const struct { char type; uint32_t fmt; } types[] = {
        {'0', LINUX_S_IFREG}, {'1', LINUX_S_IFREG}, {'2', LINUX_S_IFLNK}, {'3', LINUX_S_IFCHR},
        {'4', LINUX_S_IFBLK}, {'5', LINUX_S_IFDIR}, {'6', LINUX_S_IFIFO},
    };
    for (size_t i = 0; i < PX_ARRAY_LEN(types); i++)
        if (types[i].type == e->type) a.mode |= types[i].fmt;
    if (e->type == '3' || e->type == '4') a.rdev = linux_makedev(e->devmajor, e->devminor);
    if (e->type == '2') {
        if (strlen(e->linkpath) > LX_SYMLINK_MAX) { snprintf(why, why_len, "%s: symlink target too long", e->path); return -LINUX_EINVAL; }
        a.target = e->linkpath;
        a.size_hint = strlen(e->linkpath);
    }
    if (!e->path[0]) { /* "./": the root's own metadata */
        if (e->type != '5') { snprintf(why, why_len, "the archive's root is not a directory"); return -LINUX_EINVAL; }
        *ino_out = LX_ROOT_INO;
        return lx_store_setattr(&im->st, LX_ROOT_INO, &a);
    }
    uint64_t dir;
    const char *name;
    size_t len;
    int64_t r = parent_of(im, e->path, &dir, &name, &len);
    if (r == -LINUX_ENOTDIR) { snprintf(why, why_len, "%s: a leading component is not a directory", e->path); return -LINUX_EINVAL; }
    if (r < 0) return r;
    if (len > LX_NAME_MAX) { snprintf(why, why_len, "%s: a name is longer than 255 bytes", e->path); return -LINUX_EINVAL; }
    lx_dirent *old = lx_dir_lookup(&im->st, dir, name, len);
    if (old) { /* a later member of the same name wins, as tar x does */
        lx_inode *oi = lx_inode_get(&im->st, old->child);
        if (oi && (oi->mode & LINUX_S_IFMT) == LINUX_S_IFDIR && e->type == '5') {
            *ino_out = oi->ino;
            return lx_store_setattr(&im->st, oi->ino, &a);
        }
        if ((r = lx_store_unlink(&im->st, dir, name, len)) < 0) {
            snprintf(why, why_len, "%s: cannot replace the earlier member of that name", e->path);
            return -LINUX_EINVAL;
        }
    }
    if (e->type == '1') {
        lx_inode *target;
        if (lx_walk(&im->st, e->linkpath, &target, NULL, NULL, NULL) < 0 ||
            (target->mode & LINUX_S_IFMT) == LINUX_S_IFDIR) {
            snprintf(why, why_len, "%s: hard link to %s, which the archive has not given", e->path, e->linkpath);
            return -LINUX_EINVAL;
        }
        *ino_out = target->ino;
        return lx_store_link(&im->st, target->ino, dir, name, len);
    }
    uint64_t ino;
    if ((r = lx_store_create(&im->st, dir, name, len, &a, &ino)) < 0) return r;
    *ino_out = ino;
    if (e->type == '0') {
        r = write_data(im, ino);
        if (r == -LINUX_EINVAL) snprintf(why, why_len, "%s", im->tar.err);
    }
    return r;
}

static PxStatus fail_import(importer *im, PxStatus st)
{
    if (im->tmp) delete_tree(im->tmp);
    return st;
}

static bool found_entry(void *ctx, const wchar_t *name, uint32_t attrs)
{
    (void)name, (void)attrs;
    *(bool *)ctx = false;
    return false;
}

static bool dir_is_empty(const wchar_t *dir)
{
    bool empty = true;
    return px_host_dir_list(dir, L"*", found_entry, &empty) == 0 && empty;
}

static wchar_t *full_path(const char *path)
{
    wchar_t *w = px_host_utf16_of_utf8(path);
    if (!w) return NULL;
    wchar_t *full = px_host_full_path(w);
    px_free(w);
    if (full) {
        size_t len = wcslen(full);
        while (len > 3 && (full[len - 1] == L'\\' || full[len - 1] == L'/')) full[--len] = 0;
    }
    return full;
}

static bool write_registration(const char *name, const wchar_t *store)
{
    wchar_t *file = registry_file(name, true);
    if (!file) return false;
    size_t n = wcslen(file) + 8;
    wchar_t *tmp = px_alloc(n * sizeof *tmp);
    char *dir = px_host_utf8_of_utf16(store, -1);
    bool ok = false;
    if (tmp && dir) {
        swprintf(tmp, n, L"%ls.new", file);
        px_host_handle h;
        if (px_host_file_open(tmp, PX_HOST_FILE_WRITE, PX_HOST_CREATE_ALWAYS, PX_HOST_FILE_EXCLUSIVE, &h) == 0) {
            ok = px_host_file_write(h, dir, strlen(dir)) >= 0 && px_host_file_write(h, "\r\n", 2) >= 0 &&
                 px_host_file_flush(h) == 0;
            px_host_close(h);
            /* no PX_HOST_MOVE_REPLACE: a name registered meanwhile is not overwritten */
            ok = ok && px_host_path_move(tmp, file, PX_HOST_MOVE_WRITE_THROUGH) == 0;
            if (!ok) px_host_file_delete(tmp);
        }
    }
    px_free(file);
    px_free(tmp);
    px_free(dir);
    return ok;
}

PxStatus PxImport(const char *name, const char *dir, const char *tarfile)
{
    if (!name || !dir || !tarfile) return PX_STATUS_INVALID_ARGUMENT;
    if (!valid_distro_name(name)) {
        px_log("picolx import: '%s' is not a valid distro name (letters, digits, '.', '_', '-'; at most %d)", name, NAME_MAX_LEN);
        return PX_STATUS_INVALID_ARGUMENT;
    }
    wchar_t *existing = px_distro_store_dir(name);
    if (existing) {
        px_free(existing);
        px_log("picolx import: a distro named '%s' is already registered", name);
        return PX_STATUS_ALREADY_EXISTS;
    }
    importer im = {0};
    wchar_t *target = full_path(dir), *tarw = px_host_utf16_of_utf8(tarfile);
    if (!target || !tarw) return PX_STATUS_INVALID_ARGUMENT;
    uint32_t attr = 0;
    bool target_exists = px_host_path_attributes(target, &attr) == 0;
    if (target_exists && (!(attr & PX_HOST_ATTR_DIRECTORY) || !dir_is_empty(target))) {
        px_log("picolx import: %s exists and is not an empty directory", dir);
        return PX_STATUS_ALREADY_EXISTS;
    }
    px_source *src;
    const char *why;
    if (px_source_open(tarw, &src, &why) < 0) {
        px_log("picolx import: %s: %s", tarfile, why);
        return PX_STATUS_NOT_FOUND;
    }
    size_t n = wcslen(target) + 40;
    im.tmp = px_alloc(n * sizeof(wchar_t));
    swprintf(im.tmp, n, L"%ls.picolx-import-%u", target, px_host_pid());
    delete_tree(im.tmp); /* a leftover of an import killed with this pid */
    wchar_t *data = px_alloc(n * sizeof(wchar_t) + 16);
    swprintf(data, n + 8, L"%ls\\" LX_DATA_DIR, im.tmp);
    int64_t made = px_host_dir_create(im.tmp);
    if (made == 0) made = px_host_dir_create(data);
    if (made < 0) {
        px_log("picolx import: cannot create %s (%s)", dir, errno_name(made));
        px_source_close(src);
        px_free(data);
        return fail_import(&im, PX_STATUS_HOST_ERROR);
    }
    px_free(data);
    im.now = lx_time_now();
    im.tarfile = tarfile;
    im.buf = px_alloc(COPY_BUF);
    lx_store_init(&im.st);
    lx_attr root = {.mode = LINUX_S_IFDIR | 0755, .atime = im.now, .mtime = im.now, .ctime = im.now};
    lx_store_make_root(&im.st, &root);
    px_tar_init(&im.tar, px_source_read, src);
    PxStatus st = PX_STATUS_OK;
    char why_buf[512] = "";
    uint64_t members = 0;
    for (;;) {
        int r = px_tar_next(&im.tar);
        if (r == 0) break;
        if (r < 0) {
            const char *inner = px_source_error(src);
            px_log("picolx import: %s: %s", tarfile, inner ? inner : im.tar.err);
            st = PX_STATUS_BAD_ARCHIVE;
            break;
        }
        members++;
        int64_t e = add_entry(&im, &im.tar.entry, why_buf, sizeof why_buf);
        if (e == -LINUX_EINVAL) {
            const char *inner = px_source_error(src);
            px_log("picolx import: %s: %s", tarfile, inner ? inner : why_buf[0] ? why_buf : "corrupt archive");
            st = PX_STATUS_BAD_ARCHIVE;
            break;
        }
        if (e < 0) {
            px_log("picolx import: %s: cannot store %s (error %lld)", tarfile, im.tar.entry.path, (long long)-e);
            st = PX_STATUS_HOST_ERROR;
            break;
        }
    }
    /* the rest of a compressed stream (its checksum) must be sound too */
    while (st == PX_STATUS_OK) {
        int64_t r = px_source_read(src, im.buf, COPY_BUF);
        if (r == 0) break;
        if (r < 0) {
            px_log("picolx import: %s: %s", tarfile, px_source_error(src) ? px_source_error(src) : "read error");
            st = PX_STATUS_BAD_ARCHIVE;
        }
    }
    if (st == PX_STATUS_OK && members == 0) {
        px_log("picolx import: %s: the archive is empty", tarfile);
        st = PX_STATUS_BAD_ARCHIVE;
    }
    px_tar_free(&im.tar);
    px_source_close(src);
    px_free(im.buf);
    if (st == PX_STATUS_OK && lx_disk_write_snapshot(&im.st, im.tmp) < 0) {
        px_log("picolx import: cannot write the store's metadata under %s", dir);
        st = PX_STATUS_HOST_ERROR;
    }
    lx_store_free(&im.st);
    if (st != PX_STATUS_OK) return fail_import(&im, st);
    /* into place: the empty target (if any) goes, the built store takes its name */
    if (target_exists) px_host_dir_remove(target);
    int64_t moved = px_host_path_move(im.tmp, target, 0);
    if (moved < 0) {
        px_log("picolx import: cannot move the store into %s (%s)", dir, errno_name(moved));
        return fail_import(&im, PX_STATUS_HOST_ERROR);
    }
    if (!write_registration(name, target)) {
        px_log("picolx import: cannot register '%s'", name);
        delete_tree(target);
        return PX_STATUS_HOST_ERROR;
    }
    px_free(im.tmp);
    px_free(target);
    px_free(tarw);
    return PX_STATUS_OK;
}

typedef struct list_walk { const wchar_t *dir; void *context; PxDistroCallback callback; } list_walk;

static bool list_entry(void *ctx, const wchar_t *file_name, uint32_t attrs)
{
    (void)attrs;
    list_walk *w = ctx;
    char *name = px_host_utf8_of_utf16(file_name, -1);
    if (!name) return true;
    size_t len = strlen(name);
    if (len > 4 && !strcmp(name + len - 4, ".txt")) {
        name[len - 4] = 0;
        wchar_t *file = join(w->dir, file_name);
        char *store = file ? read_registration(file) : NULL;
        if (valid_distro_name(name) && store) w->callback(w->context, name, store);
        px_free(file);
        px_free(store);
    }
    px_free(name);
    return true;
}

PxStatus PxList(void *context, PxDistroCallback callback)
{
    if (!callback) return PX_STATUS_INVALID_ARGUMENT;
    wchar_t *dir = registry_dir(false);
    if (!dir) return PX_STATUS_OK;
    list_walk w = {dir, context, callback};
    px_host_dir_list(dir, L"*.txt", list_entry, &w);
    px_free(dir);
    return PX_STATUS_OK;
}

PxStatus PxUnregister(const char *name)
{
    if (!name || !valid_distro_name(name)) return PX_STATUS_INVALID_ARGUMENT;
    wchar_t *file = registry_file(name, false);
    char *store = file ? read_registration(file) : NULL;
    if (!store) {
        px_log("picolx unregister: no distro named '%s'", name);
        px_free(file);
        return PX_STATUS_NOT_FOUND;
    }
    /* the name goes first (one atomic delete); then the store */
    int64_t deleted = px_host_file_delete(file);
    if (deleted < 0) {
        px_log("picolx unregister: cannot remove the registration of '%s' (%s)", name, errno_name(deleted));
        px_free(file);
        px_free(store);
        return PX_STATUS_HOST_ERROR;
    }
    wchar_t *w = px_host_utf16_of_utf8(store);
    PxStatus st = PX_STATUS_OK;
    if (w && !delete_tree(w)) {
        px_log("picolx unregister: '%s' is unregistered, but %s could not be deleted entirely", name, store);
        st = PX_STATUS_HOST_ERROR;
    }
    px_free(w);
    px_free(file);
    px_free(store);
    return st;
}
