/* The VFS core: the mount table, the process root (chroot) and path resolution as Linux
   does it (mounts, symlinks, ".." after symlinks, trailing slashes, ELOOP, ENAMETOOLONG).
   Types without symlinks (drvfs) cost nothing per component: their paths are resolved
   lexically, as Windows itself would. */
#include "fs/vfs.h"
#include "core/cred.h"
#include "host/host_sync.h"

#define MAX_MOUNTS 64
#define MAX_SYMLINKS 40 /* Linux's MAXSYMLINKS */

/* The mount table: the one mount namespace of this Windows process (CLONE_NEWNS is
   refused, src/task/clone.c). Entries are appended under mount_lock and never removed or
   freed (no umount), so a px_mount pointer stays valid; every walk of the array holds
   the lock shared. */
static px_mount *mounts[MAX_MOUNTS]; /* oldest first */
static int mount_count;
static bool any_symlinks;            /* some mounted type has symlinks: walk per component */
static px_host_rwlock mount_lock = PX_HOST_RWLOCK_INIT;

int64_t px_vfs_mount(const char *point, const px_fs_type *type, const char *source, void *data)
{
    char norm[PX_PATH_MAX];
    if (!point || point[0] != '/' || !type) return -LINUX_EINVAL;
    if (px_path_normalize("/", point, norm, sizeof norm, NULL) < 0) return -LINUX_EINVAL;
    px_mount *m = px_calloc(1, sizeof *m);
    if (!m) return -LINUX_ENOMEM;
    m->type = type;
    m->point = px_strdup(norm);
    m->point_len = strlen(norm);
    m->source = px_strdup(source ? source : type->name);
    m->data = data;
    if (!m->point || !m->source) {
        px_free(m->point);
        px_free(m->source);
        px_free(m);
        return -LINUX_ENOMEM;
    }
    px_host_rwlock_lock(&mount_lock);
    int64_t r = 0;
    if (mount_count == MAX_MOUNTS) {
        r = -LINUX_ENOMEM;
    } else {
        /* st_dev of a mount: the drvfs root keeps the volume's own numbers (stat.c); the
           others get small distinct numbers, as Linux's anonymous devices 0:N */
        m->dev = (uint64_t)(mount_count + 0x30);
        mounts[mount_count++] = m;
        if (type->has_symlinks) any_symlinks = true;
    }
    px_host_rwlock_unlock(&mount_lock);
    if (r < 0) {
        px_free(m->point);
        px_free(m->source);
        px_free(m);
    }
    return r;
}

const px_mount *px_vfs_mount_at(int i)
{
    px_host_rwlock_lock_shared(&mount_lock);
    const px_mount *m = i >= 0 && i < mount_count ? mounts[i] : NULL;
    px_host_rwlock_unlock_shared(&mount_lock);
    return m;
}

px_mount *px_vfs_mount_of_point(const char *point)
{
    px_mount *found = NULL;
    px_host_rwlock_lock_shared(&mount_lock);
    for (int i = mount_count - 1; i >= 0 && !found; i--)
        if (!strcmp(mounts[i]->point, point)) found = mounts[i];
    px_host_rwlock_unlock_shared(&mount_lock);
    return found;
}

/* True if abs is point or below it. */
static bool under_point(const char *abs, const char *point, size_t point_len)
{
    if (point_len == 1) return true; /* "/" */
    return !strncmp(abs, point, point_len) && (abs[point_len] == 0 || abs[point_len] == '/');
}

px_mount *px_vfs_mount_of(const char *abs, const char **rel)
{
    /* the newest mount that covers abs wins (a later mount hides what was there) */
    px_mount *found = NULL;
    px_host_rwlock_lock_shared(&mount_lock);
    for (int i = mount_count - 1; i >= 0 && !found; i--)
        if (under_point(abs, mounts[i]->point, mounts[i]->point_len)) found = mounts[i];
    px_host_rwlock_unlock_shared(&mount_lock);
    if (!found) {
        if (rel) *rel = abs + 1;
        return NULL;
    }
    const char *r = abs + (found->point_len == 1 ? 0 : found->point_len);
    while (*r == '/') r++;
    if (rel) *rel = r;
    return found;
}

const char *px_vfs_visible(const char *abs)
{
    char root[PX_PATH_MAX];
    int64_t n = px_vfs_root(root, sizeof root);
    if (n <= 1) return abs; /* "/" */
    if (!under_point(abs, root, (size_t)n)) return abs;
    return abs[n] ? abs + n : "/";
}

/* ---- resolution ---- */

/* The walk's state: out is the path so far (global, normalised), rest what is left. */
typedef struct walk {
    char out[PX_PATH_MAX];
    size_t len;
    size_t root_len;         /* ".." never goes above out[0..root_len) */
    char rest[PX_PATH_MAX];  /* the components still to walk */
    int symlinks;
    bool magic;              /* stopped at a magic link (PX_VFS_MAGIC) */
    int flags;               /* PX_VFS_* */
    size_t base_len;         /* PX_VFS_BENEATH: out[0..base_len) is the starting directory */
    const px_mount *start_mount; /* PX_VFS_NO_XDEV */
    char *jail;              /* PX_VFS_IN_ROOT: the starting directory, "/" of this walk */
    px_mount *unchecked;     /* a link_files mount whose components in out are not yet checked */
} walk;

static void go_up(walk *w)
{
    if (w->len <= w->root_len) return;
    while (w->len > w->root_len && w->out[w->len - 1] != '/') w->len--;
    if (w->len > 0) w->len--;
    if (w->len < w->root_len) w->len = w->root_len;
    w->out[w->len] = 0;
}

static void reset_to_root(walk *w)
{
    if (w->jail) {
        w->root_len = strcmp(w->jail, "/") ? strlen(w->jail) : 0;
        memcpy(w->out, w->jail, w->root_len);
    } else {
        int64_t n = px_vfs_root(w->out, sizeof w->out); /* the process root, copied under its lock */
        w->root_len = n > 1 ? (size_t)n : 0;
    }
    w->len = w->root_len;
    w->out[w->len] = 0;
}

/* Sets out to a normalised absolute base path (the cwd or a dirfd's). */
static int64_t start_at(walk *w, const char *base)
{
    reset_to_root(w);
    size_t n = strlen(base);
    if (n >= PX_PATH_MAX) return -LINUX_ENAMETOOLONG;
    if (n == 1) n = 0; /* "/" */
    /* a base outside the process root (a cwd kept across chroot) walks from itself, as
       Linux's does; ".." then stops at the real root */
    if (w->root_len && !under_point(base, w->out, w->root_len)) w->root_len = 0;
    memcpy(w->out, base, n);
    w->len = n;
    w->out[n] = 0;
    return 0;
}

/* Puts text in front of w->rest (a symlink's target). */
static int64_t prepend_rest(walk *w, const char *text, size_t text_len, const char *old_rest)
{
    size_t old_len = strlen(old_rest);
    size_t sep = old_len ? 1 : 0;
    if (text_len + sep + old_len >= PX_PATH_MAX) return -LINUX_ENAMETOOLONG;
    memmove(w->rest + text_len + sep, old_rest, old_len + 1);
    memcpy(w->rest, text, text_len);
    if (sep) w->rest[text_len] = '/';
    return 0;
}

/* Checks whether the component just appended is a symlink and, if so, replaces it by
   its target. Returns 1 when it was followed, 0 when it is not a symlink, or -errno. */
static int64_t follow_if_symlink(walk *w, size_t comp_start, const char *rest_after)
{
    const char *rel;
    px_mount *m = px_vfs_mount_of(w->out, &rel);
    if (!m || !(m->type->has_symlinks || m->type->link_files) || !m->type->readlink) return 0;
    char target[PX_PATH_MAX];
    int64_t n = m->type->readlink(m, rel, target, sizeof target - 1);
    if (n == -LINUX_EINVAL || n == -LINUX_ENOENT) return 0; /* not a symlink / the walk fails later */
    if (n < 0) return n;
    if (n == 0) return -LINUX_ENOENT; /* an empty target names nothing */
    if (w->flags & PX_VFS_NO_SYMLINKS) return -LINUX_ELOOP;
    if (++w->symlinks > MAX_SYMLINKS) return -LINUX_ELOOP;
    target[n] = 0;
    if (target[0] == '/' && (w->flags & PX_VFS_BENEATH)) return -LINUX_EXDEV;
    /* drop the link's name: a relative target continues from the link's directory */
    w->len = comp_start;
    w->out[w->len] = 0;
    if (target[0] == '/') reset_to_root(w);
    int64_t r = prepend_rest(w, target, (size_t)n, rest_after);
    return r < 0 ? r : 1; /* followed */
}

/* Search (x) permission on the directory the walk is in, before a name is looked up in it,
   as Linux's path walk checks it. Only types with symlinks are walked per component (lxfs,
   tmpfs, proc, devfs): drvfs directories are all 0755 to everyone. Root searches anything. */
static int64_t may_search(walk *w)
{
    if (px_current_fsuid() == 0) return 0;
    const char *rel;
    px_mount *m = px_vfs_mount_of(w->len ? w->out : "/", &rel);
    if (!m || !m->type->has_symlinks) return 0;
    if (m->type->access) {
        int64_t r = m->type->access(m, rel, LINUX_X_OK);
        return r == -LINUX_EACCES ? r : 0; /* ENOENT, ENOTDIR: the lookup itself says so */
    }
    px_stat_info st;
    if (!m->type->stat || m->type->stat(m, rel, &st) < 0) return 0;
    if ((st.mode & LINUX_S_IFMT) != LINUX_S_IFDIR) return 0;
    uint32_t bits = st.uid == px_current_fsuid() ? st.mode >> 6 : st.gid == px_current_fsgid() ? st.mode >> 3 : st.mode;
    return (bits & 1) ? 0 : -LINUX_EACCES;
}

/* True if the component just appended is a magic link of its type (proc's fd/N of a pipe). */
static bool is_magic_link(walk *w)
{
    const char *rel;
    px_mount *m = px_vfs_mount_of(w->out, &rel);
    return m && m->type->magic_link && m->type->magic_link(m, rel, 0, NULL) == 0;
}

static bool in_start_mount(walk *w)
{
    return px_vfs_mount_of(w->len ? w->out : "/", NULL) == w->start_mount;
}

/* The components of a link_files mount appended since the last check: asks the type
   whether any of them is a symlink and follows the first one. rest is what the walk
   has not appended yet. at_end: the walk is over, and its last component is followed
   only when follow_last. Returns 1 when a link was followed (the walk goes on from
   w->rest), 0 when there was none to follow, or -errno. */
static int64_t check_unchecked(walk *w, const char *rest, bool at_end, bool follow_last)
{
    px_mount *m = w->unchecked;
    if (!m) return 0;
    w->unchecked = NULL;
    const char *rel = w->out + (m->point_len == 1 ? 0 : m->point_len);
    while (*rel == '/') rel++;
    size_t link_len;
    int64_t r = m->type->find_link(m, rel, &link_len);
    if (r <= 0) return r;
    size_t end = (size_t)(rel - w->out) + link_len;
    if (at_end && end == w->len && !follow_last) return 0;
    /* out ends with the link from here; what followed it goes back in front of rest */
    char *after = px_alloc(PX_PATH_MAX);
    if (!after) return -LINUX_ENOMEM;
    const char *tail = w->out + end;
    while (*tail == '/') tail++;
    size_t tail_len = strlen(tail), rest_len = strlen(rest);
    if (tail_len + 1 + rest_len >= PX_PATH_MAX) {
        px_free(after);
        return -LINUX_ENAMETOOLONG;
    }
    memcpy(after, tail, tail_len);
    after[tail_len] = 0;
    if (rest_len) {
        if (tail_len) after[tail_len++] = '/';
        memcpy(after + tail_len, rest, rest_len + 1);
    }
    size_t comp_start = end;
    while (comp_start > 0 && w->out[comp_start - 1] != '/') comp_start--;
    if (comp_start > 0) comp_start--; /* at the '/' before the link's name */
    w->len = end;
    w->out[end] = 0;
    r = follow_if_symlink(w, comp_start, after);
    px_free(after);
    if (r == 0) return -LINUX_ENOENT; /* no longer a link: changed under the walk */
    return r;
}

static int64_t walk_path(walk *w, int flags, bool *must_be_dir)
{
    char *p = w->rest;
    bool trailing = false;
    for (;;) {
        while (*p == '/') p++;
        if (!*p) break;
        char *start = p;
        while (*p && *p != '/') p++;
        size_t n = (size_t)(p - start);
        char *next = p;
        while (*next == '/') next++;
        bool last = *next == 0;
        trailing = last && *p == '/';
        if (n == 1 && start[0] == '.') {
            if (last) trailing = true;
            continue;
        }
        if (n == 2 && start[0] == '.' && start[1] == '.') {
            /* ".." leaves the directory a link led to, not the link's own parent */
            int64_t checked = check_unchecked(w, start, false, true);
            if (checked < 0) return checked;
            if (checked > 0) {
                p = w->rest;
                continue;
            }
            if (any_symlinks) { /* ".." is looked up in the directory too */
                int64_t r = may_search(w);
                if (r < 0) return r;
            }
            if ((w->flags & PX_VFS_BENEATH) && w->len <= w->base_len) return -LINUX_EXDEV;
            go_up(w);
            if ((w->flags & PX_VFS_NO_XDEV) && !in_start_mount(w)) return -LINUX_EXDEV;
            if (last) trailing = true;
            continue;
        }
        if (n > PX_NAME_MAX) return -LINUX_ENAMETOOLONG;
        if (w->len + 1 + n >= PX_PATH_MAX) return -LINUX_ENAMETOOLONG;
        if (any_symlinks) {
            int64_t r = may_search(w);
            if (r < 0) return r;
        }
        size_t comp_start = w->len;
        w->out[w->len++] = '/';
        memmove(w->out + w->len, start, n);
        w->len += n;
        w->out[w->len] = 0;
        px_mount *cm = px_vfs_mount_of(w->out, NULL);
        if (w->unchecked && cm != w->unchecked) {
            /* into another mount: the components before this one are checked first */
            w->len = comp_start;
            w->out[comp_start] = 0;
            int64_t checked = check_unchecked(w, start, false, true);
            if (checked < 0) return checked;
            if (checked > 0) {
                p = w->rest;
                continue;
            }
            w->len = comp_start + 1 + n;
            w->out[comp_start] = '/';
            w->out[w->len] = 0;
        }
        if ((w->flags & PX_VFS_NO_XDEV) && !in_start_mount(w)) return -LINUX_EXDEV;
        if (cm && cm->type->link_files) {
            w->unchecked = cm;
            continue;
        }
        if (!any_symlinks) continue;
        if ((w->flags & (PX_VFS_NO_MAGICLINKS | PX_VFS_NO_SYMLINKS)) && is_magic_link(w)) return -LINUX_ELOOP;
        /* a trailing slash makes the last component a directory: Linux follows it then */
        if (last && !trailing && !(flags & PX_VFS_FOLLOW)) continue;
        if (last && (flags & PX_VFS_MAGIC) && is_magic_link(w)) {
            w->magic = true;
            continue;
        }
        int64_t r = follow_if_symlink(w, comp_start, next);
        if (r < 0) return r;
        if (r > 0 && (w->flags & PX_VFS_NO_XDEV) && !in_start_mount(w)) return -LINUX_EXDEV;
        if (r > 0) {
            p = w->rest;
            /* the link's target decides from here; the original trailing slash stays */
            if (last && trailing) {
                size_t rl = strlen(w->rest);
                if (rl + 1 < PX_PATH_MAX) {
                    w->rest[rl] = '/';
                    w->rest[rl + 1] = 0;
                }
            }
        }
    }
    if (w->unchecked) {
        /* a trailing slash makes the last component a directory: Linux follows it then */
        int64_t checked = check_unchecked(w, "", true, (flags & PX_VFS_FOLLOW) || trailing);
        if (checked < 0) return checked;
        if (checked > 0) {
            if (trailing) {
                size_t rl = strlen(w->rest);
                if (rl + 1 < PX_PATH_MAX) {
                    w->rest[rl] = '/';
                    w->rest[rl + 1] = 0;
                }
            }
            return walk_path(w, flags, must_be_dir);
        }
    }
    *must_be_dir = trailing;
    if (w->len == 0) {
        w->out[w->len++] = '/';
        w->out[w->len] = 0;
    }
    return 0;
}

int64_t px_vfs_resolve(int dirfd, const char *path, int flags, px_vfs_path *out)
{
    if (!path) return -LINUX_EFAULT;
    size_t path_len = strnlen(path, PX_PATH_MAX);
    if (path_len >= PX_PATH_MAX) return -LINUX_ENAMETOOLONG;
    walk *w = px_alloc(sizeof *w);
    if (!w) return -LINUX_ENOMEM;
    w->symlinks = 0; /* the ELOOP count starts at each resolution */
    w->magic = false;
    w->flags = flags;
    w->jail = NULL;
    w->unchecked = NULL;
    int64_t r = 0;
    bool restricted = (flags & (PX_VFS_BENEATH | PX_VFS_IN_ROOT)) != 0;
    if (path[0] == '/' && (flags & PX_VFS_BENEATH) && !(flags & PX_VFS_IN_ROOT)) {
        r = -LINUX_EXDEV;
    } else if (path[0] == '/' && !restricted) {
        reset_to_root(w);
    } else if (!path[0] && !(flags & PX_VFS_EMPTY_OK)) {
        r = -LINUX_ENOENT;
    } else if (dirfd == LINUX_AT_FDCWD) {
        char cwd[PX_PATH_MAX];
        r = px_fs_cwd(cwd, sizeof cwd);
        if (r >= 0) r = start_at(w, cwd);
    } else {
        px_file *f = px_fd_get(dirfd);
        if (!f) {
            r = -LINUX_EBADF;
        } else {
            if (!f->guest_path) r = path[0] ? -LINUX_ENOTDIR : -LINUX_EBADF;
            else if (!f->is_dir && path[0]) r = -LINUX_ENOTDIR;
            else r = start_at(w, f->guest_path);
            px_file_unref(f);
        }
    }
    if (r == 0 && (flags & PX_VFS_IN_ROOT)) {
        /* the starting directory is this walk's "/": absolute paths and links start
           there and ".." stops there */
        w->jail = px_alloc(w->len + 2);
        if (!w->jail) r = -LINUX_ENOMEM;
        else if (w->len) memcpy(w->jail, w->out, w->len + 1);
        else strcpy(w->jail, "/");
        if (r == 0) w->root_len = w->len;
    }
    w->base_len = w->len;
    if (r == 0 && (flags & PX_VFS_NO_XDEV)) w->start_mount = px_vfs_mount_of(w->len ? w->out : "/", NULL);
    if (r == 0) {
        memcpy(w->rest, path, path_len + 1);
        bool must_be_dir = false;
        r = walk_path(w, flags, &must_be_dir);
        if (r == 0) {
            memcpy(out->abs, w->out, w->len + 1);
            out->must_be_dir = must_be_dir;
            out->magic = w->magic;
            out->mount = px_vfs_mount_of(out->abs, &out->rel);
            if (!out->mount) r = -LINUX_ENOENT; /* nothing is mounted at "/" yet */
        }
    }
    px_free(w->jail);
    px_free(w);
    return r;
}

/* ---- helpers of the handlers ---- */

int64_t px_vfs_missing_op(size_t op_offset)
{
    /* what Linux says when a file system lacks the operation */
    static const struct { size_t offset; int64_t err; } rows[] = {
        {offsetof(px_fs_type, getxattr), -LINUX_EOPNOTSUPP},
        {offsetof(px_fs_type, setxattr), -LINUX_EOPNOTSUPP},
        {offsetof(px_fs_type, listxattr), -LINUX_EOPNOTSUPP},
        {offsetof(px_fs_type, removexattr), -LINUX_EOPNOTSUPP},
        {offsetof(px_fs_type, readlink), -LINUX_EINVAL},
        {offsetof(px_fs_type, truncate), -LINUX_EINVAL},
        {offsetof(px_fs_type, open), -LINUX_ENXIO},
        {offsetof(px_fs_type, stat), -LINUX_ENOENT},
    };
    for (size_t i = 0; i < PX_ARRAY_LEN(rows); i++)
        if (rows[i].offset == op_offset) return rows[i].err;
    return -LINUX_EPERM; /* link, symlink, mknod, mkdir, unlink, rename, chmod, chown, utimens */
}

int64_t px_vfs_stat(const px_vfs_path *p, px_stat_info *st)
{
    px_mount *m = p->mount;
    if (p->magic) { /* the open file the link stands for */
        px_file *f = NULL;
        int64_t r = m->type->magic_link(m, p->rel, LINUX_O_PATH, &f);
        if (r < 0) return r;
        r = f->ops->stat ? f->ops->stat(f, st) : -LINUX_EACCES;
        px_file_unref(f);
        if (r == 0 && p->must_be_dir && (st->mode & LINUX_S_IFMT) != LINUX_S_IFDIR) r = -LINUX_ENOTDIR;
        return r;
    }
    if (!m->type->stat) return PX_VFS_MISSING(stat);
    int64_t r = m->type->stat(m, p->rel, st);
    if (r == 0 && p->must_be_dir && (st->mode & LINUX_S_IFMT) != LINUX_S_IFDIR) r = -LINUX_ENOTDIR;
    return r;
}

/* True if the last component of a resolved, unfollowed path is a symlink. */
static bool is_symlink(const px_vfs_path *p)
{
    px_mount *m = p->mount;
    if (!(m->type->has_symlinks || m->type->link_files) || !m->type->readlink) return false;
    char c;
    return m->type->readlink(m, p->rel, &c, 1) >= 0;
}

/* An O_PATH fd of a symlink (O_PATH|O_NOFOLLOW): it names the link (guest_path, mount),
   for fstat, readlinkat(fd, ""), fchownat(fd, "", AT_EMPTY_PATH) and the *at calls;
   no I/O. Its stat is the type's, which does not follow the last component. */
static int64_t link_stat(px_file *f, px_stat_info *st)
{
    const char *rel = f->guest_path + (f->mount->point_len == 1 ? 1 : f->mount->point_len);
    while (*rel == '/') rel++;
    return f->mount->type->stat(f->mount, rel, st);
}

static const px_file_ops link_path_ops = {.stat = link_stat};

static int64_t open_link_itself(const px_vfs_path *vp, uint32_t flags, px_file **out)
{
    if (flags & LINUX_O_DIRECTORY) return -LINUX_ENOTDIR;
    if (!vp->mount->type->stat) return PX_VFS_MISSING(stat);
    px_file *f = px_file_new(&link_path_ops, NULL, flags & (LINUX_O_PATH | LINUX_O_NOFOLLOW | LINUX_O_CLOEXEC));
    if (!f) return -LINUX_ENOMEM;
    f->guest_path = px_strdup(vp->abs);
    f->mount = vp->mount;
    if (!f->guest_path) {
        px_file_unref(f);
        return -LINUX_ENOMEM;
    }
    *out = f;
    return 0;
}

int64_t px_vfs_open(int dirfd, const char *path, uint32_t flags, uint32_t mode, px_file **out)
{
    return px_vfs_open_restricted(dirfd, path, flags, mode, 0, out);
}

int64_t px_vfs_open_restricted(int dirfd, const char *path, uint32_t flags, uint32_t mode, int restrict_flags,
                               px_file **out)
{
    if (!path) return -LINUX_EFAULT;
    bool excl = (flags & (LINUX_O_CREAT | LINUX_O_EXCL)) == (LINUX_O_CREAT | LINUX_O_EXCL);
    bool follow = !(flags & LINUX_O_NOFOLLOW) && !excl;
    px_vfs_path *vp = px_alloc(sizeof *vp);
    if (!vp) return -LINUX_ENOMEM;
    int64_t r = px_vfs_resolve(dirfd, path, (follow ? PX_VFS_FOLLOW | PX_VFS_MAGIC : 0) | restrict_flags, vp);
    if (r == 0 && vp->magic && (restrict_flags & (PX_VFS_NO_MAGICLINKS | PX_VFS_NO_SYMLINKS))) r = -LINUX_ELOOP;
    if (r == 0 && vp->magic) { /* the existing file itself, named as it is */
        r = vp->mount->type->magic_link(vp->mount, vp->rel, flags, out);
        px_free(vp);
        return r;
    }
    if (r == 0 && vp->must_be_dir && (flags & LINUX_O_CREAT) && !(flags & LINUX_O_DIRECTORY)) r = -LINUX_EISDIR;
    if (r == 0 && !follow && is_symlink(vp)) {
        /* O_CREAT|O_EXCL never goes through a symlink; O_NOFOLLOW refuses one, but
           O_PATH|O_NOFOLLOW opens the link itself */
        if (!excl && (flags & LINUX_O_PATH)) {
            r = open_link_itself(vp, flags, out);
            px_free(vp);
            return r;
        }
        r = excl ? -LINUX_EEXIST : -LINUX_ELOOP;
    }
    px_mount *m = r == 0 ? vp->mount : NULL;
    if (r == 0 && !m->type->open) r = PX_VFS_MISSING(open);
    px_file *f = NULL;
    if (r == 0) {
        if (vp->must_be_dir) flags |= LINUX_O_DIRECTORY;
        if (flags & LINUX_O_CREAT) mode &= ~px_fs_umask();
        r = m->type->open(m, vp->rel, flags, mode & 07777, &f);
        /* O_CREAT of an existing directory (without O_EXCL): Linux's EISDIR, where a
           Windows create of the name says it exists */
        px_stat_info st;
        if (r == -LINUX_EEXIST && !excl && (flags & LINUX_O_CREAT) && m->type->stat &&
            m->type->stat(m, vp->rel, &st) == 0 && (st.mode & LINUX_S_IFMT) == LINUX_S_IFDIR)
            r = -LINUX_EISDIR;
    }
    if (r == 0) {
        if (!f->guest_path) f->guest_path = px_strdup(vp->abs);
        if (!f->mount) f->mount = m;
        *out = f;
    }
    px_free(vp);
    return r;
}

int64_t px_vfs_path_of_file(px_file *f, px_vfs_path *out)
{
    if (!f->guest_path) return -LINUX_EBADF;
    size_t n = strlen(f->guest_path);
    if (n >= sizeof out->abs) return -LINUX_ENAMETOOLONG;
    memcpy(out->abs, f->guest_path, n + 1);
    out->must_be_dir = false;
    px_mount *m = px_vfs_mount_of(out->abs, &out->rel);
    if (f->mount && m != f->mount) {
        /* mounted over since it was opened: its own mount still holds it */
        m = f->mount;
        out->rel = out->abs + (m->point_len == 1 ? 1 : m->point_len);
        while (*out->rel == '/') out->rel++;
    }
    out->mount = m;
    return m ? 0 : -LINUX_EBADF;
}

/* ---- listings with mount points ---- */

/* getdents positions from here on are the mount points inside the directory (index i at
   EXTRA_POS + i): far above any entry count or cookie a type hands out. */
#define EXTRA_POS (1ull << 62)

/* The i-th mount point directly inside dir (global, normalised); its name in *name (into
   the point). NULL when there are no more. Called with mount_lock held. */
static px_mount *child_mount_point(const char *dir, uint64_t i, const char **name)
{
    size_t dl = strcmp(dir, "/") ? strlen(dir) : 0;
    uint64_t seen = 0;
    for (int k = 0; k < mount_count; k++) {
        px_mount *m = mounts[k];
        if (m->point_len <= dl + 1 || strncmp(m->point, dir, dl) || m->point[dl] != '/') continue;
        const char *nm = m->point + dl + 1;
        if (strchr(nm, '/')) continue; /* deeper */
        bool newest = true;            /* a point mounted twice is listed once */
        for (int j = k + 1; j < mount_count && newest; j++) newest = strcmp(mounts[j]->point, m->point) != 0;
        if (newest && seen++ == i) {
            *name = nm;
            return m;
        }
    }
    return NULL;
}

static bool is_child_mount_point(const char *dir, const char *name)
{
    const char *nm;
    for (uint64_t i = 0; child_mount_point(dir, i, &nm); i++)
        if (!strcmp(nm, name)) return true;
    return false;
}

/* Drops the records of names that are mount points from a batch the type returned (they
   come after the type's entries, once, as directories: the type's own entry for a name
   may be missing, Wine's listing of Z:\ has no proc, or stand for the hidden directory).
   Returns the new length. */
static uint64_t drop_mount_points(const char *dir, uint8_t *buf, uint64_t len)
{
    uint64_t in = 0, out = 0;
    while (in < len) {
        struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + in);
        uint16_t reclen = d->d_reclen;
        if (reclen == 0) break;
        if (!is_child_mount_point(dir, d->d_name)) {
            if (out != in) memmove(buf + out, buf + in, reclen);
            out += reclen;
        }
        in += reclen;
    }
    return out;
}

int64_t px_vfs_getdents(px_file *f, void *buf, uint64_t len)
{
    const char *first;
    px_host_rwlock_lock_shared(&mount_lock);
    bool has_points = f->guest_path && child_mount_point(f->guest_path, 0, &first);
    px_host_rwlock_unlock_shared(&mount_lock);
    if (!has_points) return f->ops->getdents(f, buf, len);
    while (f->pos < EXTRA_POS) {
        int64_t r = f->ops->getdents(f, buf, len);
        if (r < 0) return r;
        if (r == 0) {
            f->pos = EXTRA_POS; /* the type's entries are all out */
            break;
        }
        px_host_rwlock_lock_shared(&mount_lock);
        uint64_t kept = drop_mount_points(f->guest_path, buf, (uint64_t)r);
        px_host_rwlock_unlock_shared(&mount_lock);
        if (kept) return (int64_t)kept; /* else: only mount points in that batch, read on */
    }
    uint8_t *out = buf;
    uint64_t used = 0;
    int64_t err = 0;
    px_host_rwlock_lock_shared(&mount_lock);
    for (;;) {
        const char *name;
        px_mount *m = child_mount_point(f->guest_path, f->pos - EXTRA_POS, &name);
        if (!m) break;
        size_t name_len = strlen(name);
        uint64_t reclen = PX_ALIGN_UP(offsetof(struct linux_dirent64, d_name) + name_len + 1, 8);
        if (used + reclen > len) {
            if (used == 0) err = -LINUX_EINVAL;
            break;
        }
        px_stat_info st;
        memset(&st, 0, sizeof st);
        if (m->type->stat) m->type->stat(m, "", &st);
        struct linux_dirent64 *d = (struct linux_dirent64 *)(out + used);
        d->d_ino = st.ino ? st.ino : 1;
        d->d_off = (int64_t)(f->pos + 1);
        d->d_reclen = (uint16_t)reclen;
        d->d_type = LINUX_DT_DIR;
        memcpy(d->d_name, name, name_len);
        memset(d->d_name + name_len, 0, reclen - offsetof(struct linux_dirent64, d_name) - name_len);
        used += reclen;
        f->pos++;
    }
    px_host_rwlock_unlock_shared(&mount_lock);
    return err ? err : (int64_t)used;
}

/* ---- for the mm: the guest path of a mapped fd ---- */

int64_t px_fs_fd_path(int fd, char *buf, size_t size)
{
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r = -LINUX_ENOENT;
    if (f->guest_path) {
        size_t n = strlen(f->guest_path);
        r = n < size ? (memcpy(buf, f->guest_path, n + 1), (int64_t)n) : -LINUX_ENAMETOOLONG;
    }
    px_file_unref(f);
    return r;
}
