/* The start-up of the file-system layer (the root mount, the cwd), drvfs instances (a
   Windows directory in \\?\ form), the fs context object (root, cwd, umask), UTF-8 <->
   UTF-16. */
#include "core/thread.h"
#include "fs/vfs.h"
#include "host/host_file.h"
#include "host/host_sync.h"
#include "host/host_utf.h"
#include "fs/pseudo/pseudo.h"

/* The fs context (Linux's fs_struct): shared by CLONE_FS, copied otherwise. Paths are
   normalised absolute global guest paths. Nobody gets a pointer into it: readers copy
   under the lock, since a chdir in another task of the group frees the old string. */
struct px_fs_context {
    int32_t refs;           /* atomic: tasks that point at it */
    px_host_rwlock lock;    /* guards root and cwd (the strings and the pointers) */
    char *root;             /* chroot; NULL means "/" */
    char *cwd;              /* never NULL once made */
    uint32_t umask;         /* atomic: umask(2), & 0777 */
};

struct px_fs_context *px_fs_context_new(void)
{
    struct px_fs_context *c = px_calloc(1, sizeof *c);
    if (!c) return NULL;
    c->refs = 1;
    px_host_rwlock_init(&c->lock);
    c->cwd = px_strdup("/");
    c->umask = 022;
    if (!c->cwd) {
        px_free(c);
        return NULL;
    }
    return c;
}

struct px_fs_context *px_fs_context_take(struct px_fs_context *c)
{
    __atomic_add_fetch(&c->refs, 1, __ATOMIC_SEQ_CST);
    return c;
}

void px_fs_context_drop(struct px_fs_context *c)
{
    if (!c || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_SEQ_CST) != 0) return;
    px_free(c->root);
    px_free(c->cwd);
    px_free(c);
}

struct px_fs_context *px_fs_context_copy(struct px_fs_context *from)
{
    struct px_fs_context *c = px_calloc(1, sizeof *c);
    if (!c) return NULL;
    c->refs = 1;
    px_host_rwlock_init(&c->lock);
    px_host_rwlock_lock_shared(&from->lock);
    c->cwd = px_strdup(from->cwd);
    c->root = from->root ? px_strdup(from->root) : NULL;
    bool ok = c->cwd && (!from->root || c->root);
    px_host_rwlock_unlock_shared(&from->lock);
    c->umask = __atomic_load_n(&from->umask, __ATOMIC_RELAXED);
    if (!ok) {
        c->refs = 1;
        px_fs_context_drop(c);
        return NULL;
    }
    return c;
}

/* The calling task's context (px_current: host threads read the first task's). */
static struct px_fs_context *current_context(void)
{
    px_task *t = px_current();
    return t ? t->fs : NULL;
}

/* Copies s (NULL: "/") into buf: its length or -LINUX_ENAMETOOLONG. */
static int64_t copy_path_out(const char *s, char *buf, size_t size)
{
    if (!s) s = "/";
    size_t n = strlen(s);
    if (n >= size) return -LINUX_ENAMETOOLONG;
    memcpy(buf, s, n + 1);
    return (int64_t)n;
}

/* Sets the cwd, or the root (where "/" is kept as NULL), to a copy of s. */
static void set_path(bool is_root, const char *s)
{
    struct px_fs_context *c = current_context();
    if (!c) return;
    bool none = is_root && !strcmp(s, "/");
    char *copy = none ? NULL : px_strdup(s);
    if (!copy && !none) return;
    px_host_rwlock_lock(&c->lock);
    char **field = is_root ? &c->root : &c->cwd;
    char *old = *field;
    *field = copy;
    px_host_rwlock_unlock(&c->lock);
    px_free(old);
}

int64_t px_fs_cwd(char *buf, size_t size)
{
    struct px_fs_context *c = current_context();
    if (!c) return copy_path_out("/", buf, size);
    px_host_rwlock_lock_shared(&c->lock);
    int64_t r = copy_path_out(c->cwd, buf, size);
    px_host_rwlock_unlock_shared(&c->lock);
    return r;
}

void px_fs_set_cwd(const char *abs_guest) { set_path(false, abs_guest); }

int64_t px_vfs_root(char *buf, size_t size)
{
    struct px_fs_context *c = current_context();
    if (!c) return copy_path_out("/", buf, size);
    px_host_rwlock_lock_shared(&c->lock);
    int64_t r = copy_path_out(c->root, buf, size);
    px_host_rwlock_unlock_shared(&c->lock);
    return r;
}

void px_vfs_set_root(const char *abs) { set_path(true, abs); }

uint32_t px_fs_umask(void)
{
    struct px_fs_context *c = current_context();
    return c ? __atomic_load_n(&c->umask, __ATOMIC_RELAXED) : 022;
}

uint32_t px_fs_set_umask(uint32_t mask)
{
    struct px_fs_context *c = current_context();
    return c ? __atomic_exchange_n(&c->umask, mask & 0777, __ATOMIC_SEQ_CST) : 022;
}

wchar_t *px_utf16_of_utf8(const char *s) { return px_host_utf16_of_utf8(s); }

char *px_utf8_of_utf16(const wchar_t *w, int wlen) { return px_host_utf8_of_utf16(w, wlen); }

/* A drvfs instance for a Windows directory: made absolute, in the \\?\ form that every
   host path inside it starts with. */
int64_t px_drvfs_new(const char *windows_dir, void **data)
{
    wchar_t *w = px_utf16_of_utf8(windows_dir);
    if (!w) return -LINUX_EINVAL;
    size_t wl = wcslen(w);
    /* "Z:" alone means the current directory of drive Z to the host's full path: say "Z:\" */
    wchar_t *with_sep = px_alloc((wl + 2) * sizeof *w);
    if (!with_sep) {
        px_free(w);
        return -LINUX_ENOMEM;
    }
    memcpy(with_sep, w, wl * sizeof *w);
    with_sep[wl] = L'\\';
    with_sep[wl + 1] = 0;
    px_free(w);
    enum { FULL_CAP = 32768 }; /* the longest \\?\ path */
    wchar_t *full = px_host_full_path(with_sep);
    px_free(with_sep);
    size_t n = full ? wcslen(full) : 0;
    if (n == 0 || n >= FULL_CAP) {
        px_free(full);
        return -LINUX_ENAMETOOLONG;
    }
    while (n > 0 && (full[n - 1] == L'\\' || full[n - 1] == L'/')) full[--n] = 0;

    const wchar_t *prefix = L"\\\\?\\";
    const wchar_t *rest = full;
    if (!wcsncmp(full, L"\\\\?\\", 4)) prefix = L"";
    else if (full[0] == L'\\' && full[1] == L'\\') { prefix = L"\\\\?\\UNC\\"; rest = full + 2; }
    px_drvfs *d = px_calloc(1, sizeof *d);
    size_t len = wcslen(prefix) + wcslen(rest);
    if (d) {
        d->prefix = px_alloc((len + 1) * sizeof(wchar_t));
        d->root_utf8 = px_utf8_of_utf16(full, -1);
    }
    if (!d || !d->prefix || !d->root_utf8) {
        if (d) {
            px_free(d->prefix);
            px_free(d->root_utf8);
        }
        px_free(d);
        px_free(full);
        return -LINUX_ENOMEM;
    }
    wcscpy(d->prefix, prefix);
    wcscat(d->prefix, rest);
    px_free(full);
    d->prefix_len = len;
    *data = d;
    return 0;
}

int64_t px_fs_init(const char *root, const char *cwd)
{
    void *data;
    int64_t r;
    if (!px_vfs_mount_of_point("/")) { /* PxRun -d mounted the distro's store (lxfs) already */
        r = px_drvfs_new(root, &data);
        if (r < 0) return r;
        r = px_vfs_mount("/", &px_drvfs_type, ((px_drvfs *)data)->root_utf8, data);
        if (r < 0) return r;
    }
    px_pseudo_mount_all(); /* /proc, /dev, /sys, and /tmp when the root has none */
    char norm[PX_PATH_MAX];
    if (!cwd || px_path_normalize("/", cwd, norm, sizeof norm, NULL) < 0) strcpy(norm, "/");
    if (!current_context()) return -LINUX_ENOMEM; /* px_task_boot comes first */
    px_fs_set_cwd(norm);
    return px_fd_init_std();
}

int64_t px_fs_host_path(int dirfd, const char *guest_path, wchar_t **out)
{
    px_vfs_path *vp = px_alloc(sizeof *vp);
    if (!vp) return -LINUX_ENOMEM;
    int64_t r = px_vfs_resolve(dirfd, guest_path, PX_VFS_FOLLOW, vp);
    if (r == 0) r = vp->mount->type->host_path ? vp->mount->type->host_path(vp->mount, vp->rel, out) : -LINUX_EACCES;
    px_free(vp);
    return r;
}

char *px_fs_guest_path_of_host(const wchar_t *host_dir)
{
    const px_mount *m = px_vfs_mount_at(0); /* the root: drvfs or the distro's store */
    const char *root = m && m->type == &px_drvfs_type ? ((const px_drvfs *)m->data)->root_utf8 : px_cfg.root;
    char *host = px_utf8_of_utf16(host_dir, -1);
    if (!host) return NULL;
    char *guest = px_path_guest_of_host(root, host);
    px_free(host);
    return guest;
}
