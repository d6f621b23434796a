/* The NT file backend and the drvfs type (a Windows directory as it is, as WSL's DrvFs
   without metadata): regular files and directories under a mount's Windows directory,
   and the name operations on them. Every read and write names its offset (OVERLAPPED),
   so the position is ours and pread/pwrite never move it. */
#include <stdio.h>
#include "core/errors.h"
#include "fs/fd_handoff.h"
#include "fs/vfs.h"
#include "core/cred.h"
#include "host/host_fileinfo.h"
#include "host/host_process.h"
#include "mm/vm.h"

#define MAX_IO_CHUNK 0x7ffff000u /* what Linux transfers at most in one read or write */

/* State of a file backend: std handles that are disk files share their position with
   other processes (the shell's "> out"), so they use the handle's own file pointer. */
typedef struct nt_file {
    bool shared_pointer;
    bool owns_handle;   /* a std handle's file handed to a new process: its own duplicate */
    bool borrowed;      /* this process's std handle, at f->pos now (nt_position_shared): not ours to close */
} nt_file;

/* O_CREAT/O_EXCL/O_TRUNC -> the host's disposition, indexed by those three bits. */
static enum px_host_disposition disposition_of(uint32_t flags)
{
    static const struct { uint32_t flags; enum px_host_disposition disposition; } rows[] = {
        {LINUX_O_CREAT | LINUX_O_EXCL | LINUX_O_TRUNC, PX_HOST_DISP_CREATE_NEW},
        {LINUX_O_CREAT | LINUX_O_EXCL, PX_HOST_DISP_CREATE_NEW},
        {LINUX_O_CREAT | LINUX_O_TRUNC, PX_HOST_DISP_CREATE_ALWAYS},
        {LINUX_O_CREAT, PX_HOST_DISP_OPEN_ALWAYS},
        {LINUX_O_TRUNC | LINUX_O_EXCL, PX_HOST_DISP_TRUNCATE_EXISTING}, /* O_EXCL without O_CREAT is ignored */
        {LINUX_O_TRUNC, PX_HOST_DISP_TRUNCATE_EXISTING},
    };
    uint32_t key = flags & (LINUX_O_CREAT | LINUX_O_EXCL | LINUX_O_TRUNC);
    for (size_t i = 0; i < PX_ARRAY_LEN(rows); i++)
        if (rows[i].flags == key) return rows[i].disposition;
    return PX_HOST_DISP_OPEN_EXISTING;
}

/* O_ACCMODE -> access rights; reading attributes is always allowed (fstat). */
static uint32_t access_of(uint32_t flags)
{
    static const uint32_t rows[4] = {
        [LINUX_O_RDONLY] = PX_HOST_ACCESS_READ,
        [LINUX_O_WRONLY] = PX_HOST_ACCESS_WRITE,
        [LINUX_O_RDWR] = PX_HOST_ACCESS_READ | PX_HOST_ACCESS_WRITE,
        [3] = PX_HOST_ACCESS_READ | PX_HOST_ACCESS_WRITE, /* Linux's "3": ioctl-only access, needs both */
    };
    if (flags & LINUX_O_PATH) return PX_HOST_ACCESS_READ_ATTRIBUTES | PX_HOST_ACCESS_SYNCHRONIZE;
    uint32_t access = rows[flags & LINUX_O_ACCMODE] | PX_HOST_ACCESS_READ_ATTRIBUTES | PX_HOST_ACCESS_SYNCHRONIZE;
    if (flags & LINUX_O_TRUNC) access |= PX_HOST_ACCESS_WRITE;
    return access;
}

static int64_t set_times(px_host_handle h, const struct linux_timespec times[2]);
static int64_t set_read_only(px_host_handle h, uint32_t mode);

/* Reads and writes at an explicit offset: the host's pread/pwrite, straight to NT with
   no APC context (under Wine, ReadFile/WriteFile with an OVERLAPPED cost a wineserver
   round trip each: a quarter of tar's time per file). */
static int64_t nt_pread_direct(px_file *f, void *buf, uint64_t len, uint64_t offset)
{
    if (len > MAX_IO_CHUNK) len = MAX_IO_CHUNK;
    if (offset > INT64_MAX) return -LINUX_EINVAL;
    return px_host_file_pread(f->handle, buf, (size_t)len, offset);
}

/* buf is the reader's (a guest address): Wine fails the whole read when a page of it is
   bad (EFAULT), Linux reads up to that page */
static int64_t nt_pread(px_file *f, void *buf, uint64_t len, uint64_t offset)
{
    int64_t r = nt_pread_direct(f, buf, len, offset);
    if (r == -LINUX_EFAULT) r = px_pread_bounced(f, (uint64_t)(uintptr_t)buf, len, offset, nt_pread_direct);
    return r;
}

static int64_t nt_pwrite_direct(px_file *f, const void *buf, uint64_t len, uint64_t offset)
{
    if (offset > INT64_MAX) return -LINUX_EINVAL;
    if (len > MAX_IO_CHUNK) len = MAX_IO_CHUNK;
    /* Linux: pwrite on an O_APPEND file appends whatever the offset says */
    if (f->status_flags & LINUX_O_APPEND) return px_host_file_pwrite(f->handle, buf, (size_t)len, PX_HOST_OFFSET_END);
    return px_host_file_pwrite(f->handle, buf, (size_t)len, offset);
}

/* buf is the writer's: a bad page in it fails the whole Windows write (with EIO under
   Wine), where Linux writes what comes before it */
static int64_t nt_pwrite(px_file *f, const void *buf, uint64_t len, uint64_t offset)
{
    int64_t r = nt_pwrite_direct(f, buf, len, offset);
    if (r < 0 && r != -LINUX_EINVAL)
        r = px_pwrite_bounced(f, (uint64_t)(uintptr_t)buf, len, offset, nt_pwrite_direct, r);
    return r;
}

static int64_t file_size(px_file *f)
{
    uint64_t size;
    int64_t r = px_host_file_size(f->handle, &size);
    return r < 0 ? r : (int64_t)size;
}

static int64_t nt_read(px_file *f, void *buf, uint64_t len)
{
    nt_file *nf = f->data;
    if (nf->shared_pointer) {
        if (len > MAX_IO_CHUNK) len = MAX_IO_CHUNK;
        return px_host_file_read_here(f->handle, buf, (size_t)len); /* 0 at the end */
    }
    int64_t r = nt_pread(f, buf, len, f->pos);
    if (r > 0) f->pos += (uint64_t)r;
    return r;
}

/* A write at the file pointer another process shares (the offset is not used). */
static int64_t shared_write(px_file *f, const void *buf, uint64_t len, uint64_t unused_offset)
{
    if (len > MAX_IO_CHUNK) len = MAX_IO_CHUNK;
    return px_host_file_write_here(f->handle, buf, (size_t)len);
}

static int64_t nt_write(px_file *f, const void *buf, uint64_t len)
{
    nt_file *nf = f->data;
    if (nf->shared_pointer) {
        if (f->status_flags & LINUX_O_APPEND) px_host_file_seek(f->handle, 0, PX_HOST_SEEK_END, NULL);
        int64_t r = shared_write(f, buf, len, 0);
        if (r < 0 && r != -LINUX_EINVAL) r = px_pwrite_bounced(f, (uint64_t)(uintptr_t)buf, len, 0, shared_write, r);
        return r;
    }
    int64_t r = nt_pwrite(f, buf, len, f->pos);
    if (r < 0) return r;
    if (f->status_flags & LINUX_O_APPEND) {
        int64_t size = file_size(f);
        if (size >= 0) f->pos = (uint64_t)size;
    } else {
        f->pos += (uint64_t)r;
    }
    return r;
}

static int64_t nt_lseek(px_file *f, int64_t offset, int whence)
{
    nt_file *nf = f->data;
    int64_t base;
    switch (whence) {
    case LINUX_SEEK_SET: base = 0; break;
    case LINUX_SEEK_CUR:
        if (nf->shared_pointer) {
            uint64_t cur;
            int64_t r = px_host_file_seek(f->handle, 0, PX_HOST_SEEK_CUR, &cur);
            if (r < 0) return r;
            base = (int64_t)cur;
        } else {
            base = (int64_t)f->pos;
        }
        break;
    case LINUX_SEEK_END:
        base = file_size(f);
        if (base < 0) return base;
        break;
    case 3: /* SEEK_DATA: no holes are known, data runs to the end */
    case 4: { /* SEEK_HOLE: the implicit hole at the end */
        int64_t size = file_size(f);
        if (size < 0) return size;
        if (offset < 0 || offset >= size) return -LINUX_ENXIO;
        base = 0;
        if (whence == 4) offset = size;
        break;
    }
    default: return -LINUX_EINVAL;
    }
    if ((offset > 0 && base > INT64_MAX - offset) || base + offset < 0) return -LINUX_EINVAL;
    int64_t pos = base + offset;
    if (nf->shared_pointer) {
        int64_t r = px_host_file_seek(f->handle, pos, PX_HOST_SEEK_SET, NULL);
        if (r < 0) return r;
    }
    f->pos = (uint64_t)pos;
    return pos;
}

static int64_t nt_stat(px_file *f, px_stat_info *st)
{
    uint32_t acc = f->status_flags & LINUX_O_ACCMODE;
    bool may_read = !(f->status_flags & LINUX_O_PATH) && acc != LINUX_O_WRONLY;
    return px_nt_stat_handle(f->handle, may_read, st);
}

static int64_t nt_fsync(px_file *f)
{
    if (f->is_dir) return 0; /* Windows cannot flush a directory; its entries are metadata NT keeps */
    return px_host_file_flush(f->handle);
}

static int64_t nt_truncate(px_file *f, uint64_t len)
{
    if (len > INT64_MAX) return -LINUX_EINVAL;
    return px_host_file_set_size(f->handle, len);
}

/* fchmod, fchown, futimens on the file's own handle: no lookup of its name (an open, a
   first query and a close under Wine: three wineserver round trips). A handle opened
   without FILE_WRITE_ATTRIBUTES (O_RDONLY, O_PATH) sends the call to the path. */
static int64_t by_path_if_denied(int64_t r)
{
    return r == -LINUX_EACCES || r == -LINUX_EPERM ? PX_FILE_OP_BY_PATH : r;
}

static int64_t nt_file_chmod(px_file *f, uint32_t mode)
{
    if (f->is_dir) return 0; /* as px_nt_chmod: directories keep their attributes */
    return by_path_if_denied(set_read_only(f->handle, mode));
}

static int64_t nt_file_chown(px_file *f, uint32_t uid, uint32_t gid)
{
    (void)f; /* every drvfs file has the guest's ids: see px_nt_chown */
    if (uid != UINT32_MAX && uid != px_current_fsuid()) return -LINUX_EPERM;
    if (gid != UINT32_MAX && gid != px_current_fsgid()) return -LINUX_EPERM;
    return 0;
}

static int64_t nt_file_utimens(px_file *f, const struct linux_timespec times[2])
{
    return by_path_if_denied(set_times(f->handle, times));
}

static void nt_release(px_file *f)
{
    nt_file *nf = f->data;
    if (f->is_dir) px_dir_release(f);
    /* a std handle stays open: picolx's own messages and the process's exit use it */
    if (!nf->borrowed && (!nf->shared_pointer || nf->owns_handle)) px_host_close(f->handle);
    px_free(f->data);
}

static px_file *wrap_handle(px_host_handle h, bool is_dir, uint32_t flags, bool shared_pointer);

/* A new process (fd_handoff.h): the handle is duplicated; whether it uses its own file
   pointer goes along. */
static size_t nt_handoff_save(px_file *f, void *state)
{
    *(uint8_t *)state = ((nt_file *)f->data)->shared_pointer;
    return 1;
}

static px_file *nt_handoff_rebuild(const px_handoff_file *hf)
{
    bool shared_pointer = hf->state_len == 1 && *(const uint8_t *)hf->state;
    px_file *f = wrap_handle(hf->handle, hf->is_dir, hf->status_flags, shared_pointer);
    if (f) ((nt_file *)f->data)->owns_handle = true;
    return f;
}

const px_file_handoff px_nt_handoff = {.kind = PX_HANDOFF_NT, .save = nt_handoff_save, .rebuild = nt_handoff_rebuild};

/* A standard handle's file shared with forked children: from now on at f->pos, which the
   processes share (the handle's pointer is not shared by a duplicated handle here). */
static void nt_position_shared(px_file *f)
{
    nt_file *nf = f->data;
    if (!nf->shared_pointer) return;
    uint64_t cur = 0;
    if (px_host_file_seek(f->handle, 0, PX_HOST_SEEK_CUR, &cur) == 0) f->pos = cur;
    nf->borrowed = !nf->owns_handle;
    nf->shared_pointer = false;
}

static const px_file_ops nt_file_ops = {
    .position_shared = nt_position_shared,
    .read = nt_read,
    .write = nt_write,
    .pread = nt_pread,
    .pwrite = nt_pwrite,
    .lseek = nt_lseek,
    .stat = nt_stat,
    .fsync = nt_fsync,
    .truncate = nt_truncate,
    .chmod = nt_file_chmod,
    .chown = nt_file_chown,
    .utimens = nt_file_utimens,
    .release = nt_release,
    .disk_data = true,
    .handoff = &px_nt_handoff,
};

static const px_file_ops nt_dir_ops = {
    .lseek = px_dir_lseek,
    .stat = nt_stat,
    .getdents = px_dir_getdents,
    .fsync = nt_fsync,
    .chmod = nt_file_chmod,
    .chown = nt_file_chown,
    .utimens = nt_file_utimens,
    .release = nt_release,
    .handoff = &px_nt_handoff,
};

static px_file *wrap_handle(px_host_handle h, bool is_dir, uint32_t flags, bool shared_pointer)
{
    nt_file *nf = px_calloc(1, sizeof *nf);
    if (!nf) return NULL;
    nf->shared_pointer = shared_pointer;
    px_file *f = px_file_new(is_dir ? &nt_dir_ops : &nt_file_ops, h, flags);
    if (!f) {
        px_free(nf);
        return NULL;
    }
    f->is_dir = is_dir;
    f->data = nf;
    return f;
}

px_file *px_nt_file_of_handle(void *handle, uint32_t status_flags)
{
    return wrap_handle(handle, false, status_flags, true);
}

int64_t px_nt_host_path(px_mount *m, const char *rel, bool for_create, wchar_t **out)
{
    const px_drvfs *d = m->data;
    wchar_t *wrel = px_utf16_of_utf8(rel);
    /* Windows names are UTF-16: a name that is not UTF-8 has no Windows form */
    if (!wrel) return for_create ? -LINUX_EINVAL : -LINUX_ENOENT;
    size_t rel_len = wcslen(wrel);
    wchar_t *w = px_alloc((d->prefix_len + rel_len + 2) * sizeof *w);
    if (!w) {
        px_free(wrel);
        return -LINUX_ENOMEM;
    }
    memcpy(w, d->prefix, d->prefix_len * sizeof *w);
    w[d->prefix_len] = L'\\';
    /* names Windows cannot hold (':', '*', a trailing dot, ...) are stored escaped */
    px_drvfs_escape_utf16((uint16_t *)wrel, rel_len);
    memcpy(w + d->prefix_len + 1, wrel, rel_len * sizeof *w);
    w[d->prefix_len + 1 + rel_len] = 0;
    px_free(wrel);
    *out = w;
    return 0;
}

static int64_t host_path_of(px_mount *m, const char *rel, wchar_t **out)
{
    return px_nt_host_path(m, rel, false, out);
}

/* 0 and *out, or -LINUX_Exxx; *path_not_found: px_host_path_not_found's answer then. */
static int64_t open_host(const wchar_t *path, uint32_t access, enum px_host_disposition disposition,
                         px_host_handle *out, bool *path_not_found)
{
    int64_t r = px_host_file_open_ex(path, access, PX_HOST_SHARE_ALL, disposition, PX_HOST_OPEN_DIRECTORIES, out);
    *path_not_found = r < 0 && px_host_path_not_found();
    return r;
}

/* Opens an existing name for a query (stat, access, the checks before unlink). */
static int64_t open_for_query(const wchar_t *path, uint32_t extra_access, bool *got_read, px_host_handle *out,
                              bool *path_not_found)
{
    int64_t r = open_host(path, PX_HOST_ACCESS_READ_ATTRIBUTES | PX_HOST_ACCESS_READ_DATA | extra_access,
                          PX_HOST_DISP_OPEN_EXISTING, out, path_not_found);
    if (got_read) *got_read = r == 0;
    if (r == -LINUX_EACCES) /* the host's "access denied" */
        r = open_host(path, PX_HOST_ACCESS_READ_ATTRIBUTES | extra_access, PX_HOST_DISP_OPEN_EXISTING, out,
                      path_not_found);
    return r;
}

/* The errno of a failed lookup of rel (r: the host's answer). The host says "path not
   found" both when a directory on the way is missing (Linux: ENOENT) and when it is a
   file (Linux: ENOTDIR): the parent decides, and a parent that is not there was judged
   the same way by its own lookup (px_nt_is_directory comes back here). Only that error
   pays for the check, so the common "no such file" costs nothing more. */
static int64_t lookup_error(px_mount *m, const char *rel, int64_t r, bool path_not_found)
{
    if (!path_not_found) return r;
    char parent[PX_PATH_MAX];
    size_t len = strlen(rel);
    if (len >= sizeof parent) return -LINUX_ENOENT;
    memcpy(parent, rel, len + 1);
    char *slash = strrchr(parent, '/');
    if (!slash) return -LINUX_ENOENT; /* the mount's root is a directory */
    *slash = 0;
    int64_t is_dir = px_nt_is_directory(m, parent);
    if (is_dir == 0 || is_dir == -LINUX_ENOTDIR) return -LINUX_ENOTDIR;
    return -LINUX_ENOENT;
}

static bool handle_is_dir(px_host_handle h)
{
    uint32_t attrs;
    return px_host_file_attributes(h, &attrs) == 0 && (attrs & PX_HOST_ATTR_DIRECTORY);
}

int64_t px_nt_open(px_mount *m, const char *rel, uint32_t flags, uint32_t mode, px_file **out)
{
    if ((flags & LINUX_O_TMPFILE) == LINUX_O_TMPFILE) return -LINUX_EOPNOTSUPP; /* no anonymous files yet */
    wchar_t *path;
    int64_t r = px_nt_host_path(m, rel, (flags & LINUX_O_CREAT) != 0, &path);
    if (r < 0) return r;
    if (flags & (LINUX_O_CREAT | LINUX_O_TRUNC)) px_stat_cache_invalidate();
    bool want_dir = (flags & LINUX_O_DIRECTORY) != 0;
    uint32_t access = access_of(flags);
    enum px_host_disposition disposition = disposition_of(flags);
    px_host_handle h;
    bool path_not_found;
    int64_t err = open_host(path, access, disposition, &h, &path_not_found);
    if (err == -LINUX_EACCES && px_nt_is_directory(m, rel) == 1) {
        /* Windows refuses write access to a directory; Linux says EISDIR, or opens it
           read-only when only O_CREAT asked for more */
        r = ((flags & LINUX_O_ACCMODE) != LINUX_O_RDONLY || (flags & (LINUX_O_CREAT | LINUX_O_TRUNC)))
                ? -LINUX_EISDIR : -LINUX_EACCES;
        px_free(path);
        return r;
    }
    if (err == -LINUX_EEXIST) { /* the host's "file exists" */
        px_free(path);
        return -LINUX_EEXIST;
    }
    px_free(path);
    if (err < 0) return lookup_error(m, rel, err, path_not_found);
    bool is_dir = handle_is_dir(h);
    if (is_dir && ((flags & LINUX_O_ACCMODE) != LINUX_O_RDONLY || (flags & (LINUX_O_CREAT | LINUX_O_TRUNC))) &&
        !(flags & LINUX_O_PATH)) {
        px_host_close(h);
        return -LINUX_EISDIR;
    }
    if (!is_dir && want_dir) {
        px_host_close(h);
        return -LINUX_ENOTDIR;
    }
    (void)mode; /* permissions: Windows ACLs are not Linux modes; st_mode is derived (stat.c) */
    px_file *f = wrap_handle(h, is_dir, flags & ~(LINUX_O_CREAT | LINUX_O_EXCL | LINUX_O_TRUNC | LINUX_O_NOCTTY | LINUX_O_CLOEXEC), false);
    if (!f) {
        px_host_close(h);
        return -LINUX_ENOMEM;
    }
    *out = f; /* the VFS names it (guest_path, mount) */
    return 0;
}

int64_t px_nt_is_directory(px_mount *m, const char *rel)
{
    wchar_t *path;
    int64_t r = host_path_of(m, rel, &path);
    if (r < 0) return r;
    uint32_t attr;
    r = px_host_path_attributes(path, &attr);
    bool path_not_found = r < 0 && px_host_path_not_found();
    px_free(path);
    if (r < 0) return lookup_error(m, rel, r, path_not_found);
    return (attr & PX_HOST_ATTR_DIRECTORY) ? 1 : 0;
}

/* A stat by name: the by-name query first, which may settle it (the stat memo, the
   short-lived cache) or find nothing there; else a handle (px_nt_stat_handle). */
int64_t px_nt_stat_path(px_mount *m, const char *rel, px_stat_info *st)
{
    px_stat_prefetch_guest_stat(m, rel);
    wchar_t *path;
    int64_t r = host_path_of(m, rel, &path);
    if (r < 0) return r;
    px_nt_attrs attrs;
    bool path_not_found;
    int64_t err = px_nt_query_attrs(path, &attrs, &path_not_found);
    bool have_attrs = err == 0;
    if (err == -LINUX_ENOENT) { /* the host's "file not found" or "path not found" */
        px_free(path);
        return lookup_error(m, rel, err, path_not_found);
    }
    if (have_attrs && (px_stat_memo_lookup(path, &attrs, st) || px_stat_cache_lookup(m, rel, &attrs, st))) {
        px_free(path);
        return 0;
    }
    bool may_read;
    px_host_handle h;
    err = open_for_query(path, 0, &may_read, &h, &path_not_found);
    if (err < 0) {
        px_free(path);
        return lookup_error(m, rel, err, path_not_found);
    }
    r = px_nt_stat_handle(h, may_read, st);
    px_host_close(h);
    int64_t link_size = have_attrs && r == 0 ? px_nt_link_file_size(path, &attrs) : -1;
    if (link_size >= 0) { /* a link file: what lstat says of a symlink */
        st->mode = LINUX_S_IFLNK | 0777;
        st->size = link_size;
        st->blocks = 0; /* as Linux's fast symlinks, kept in the inode */
    } else if (r == 0) {
        px_stat_cache_store(m, rel, st);
        if (have_attrs && may_read) px_stat_memo_remember(path, &attrs, st);
    }
    px_free(path);
    return r;
}

int64_t px_nt_mkdir(px_mount *m, const char *rel, uint32_t mode)
{
    (void)mode; /* directories always report 0755 (stat.c); the umask changes nothing here */
    if (!rel[0]) return -LINUX_EEXIST;
    px_stat_cache_invalidate(); /* the parent's link count changes */
    wchar_t *path;
    int64_t r = px_nt_host_path(m, rel, true, &path);
    if (r < 0) return r;
    r = px_host_dir_create(path);
    bool path_not_found = r < 0 && px_host_path_not_found();
    px_free(path);
    return r == 0 ? 0 : lookup_error(m, rel, r, path_not_found);
}

/* Deletes through a handle opened with DELETE: POSIX semantics (the name goes at once,
   open handles keep working) where the system has them (Windows 10 1607+), else the
   classic disposition, which takes effect at the last close. Read-only files are
   deletable on Linux (it is the directory that counts), so the attribute is ignored. */
static int64_t delete_by_handle(px_host_handle h) { return px_host_file_delete_handle(h); }

static int64_t open_for_delete(const wchar_t *path, uint32_t share, px_host_handle *out)
{
    return px_host_file_open_ex(path,
                                PX_HOST_ACCESS_DELETE | PX_HOST_ACCESS_READ_ATTRIBUTES | PX_HOST_ACCESS_WRITE_ATTRIBUTES,
                                share, PX_HOST_DISP_OPEN_EXISTING, PX_HOST_OPEN_DIRECTORIES | PX_HOST_OPEN_NO_REPARSE, out);
}

/* A name in the same directory to park a file that is unlinked while open (as NFS
   parks them as .nfsXXXX): Linux frees the name at once, classic Windows deletion does
   not until the last handle closes. */
static wchar_t *parking_name(const wchar_t *path)
{
    static uint32_t counter;
    const wchar_t *slash = wcsrchr(path, L'\\');
    size_t dir_len = slash ? (size_t)(slash - path) : 0;
    wchar_t *w = px_alloc((dir_len + 64) * sizeof *w);
    if (!w) return NULL;
    memcpy(w, path, dir_len * sizeof *w);
    swprintf(w + dir_len, 64, L"\\.picolx-unlinked-%lu-%ld", (unsigned long)px_host_pid(),
             (long)(int32_t)__atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST));
    return w;
}

static int64_t check_kind(px_host_handle h, bool remove_dir)
{
    bool is_dir = handle_is_dir(h);
    if (remove_dir && !is_dir) return -LINUX_ENOTDIR;
    if (!remove_dir && is_dir) return -LINUX_EISDIR;
    return 0;
}

/* Deletes a parked name: at the last close of the file, or, when Windows refuses to
   delete it at all because it is mapped (a section: Wine, and Windows without POSIX
   deletion), with the last view of it in this process (px_vm_delete_when_unmapped). */
static int64_t delete_parked_name(const wchar_t *parked)
{
    px_host_handle h;
    int64_t r = open_for_delete(parked, PX_HOST_SHARE_ALL, &h);
    if (r < 0) return r;
    r = delete_by_handle(h);
    if (r < 0 && px_vm_delete_when_unmapped(h, parked)) r = 0;
    px_host_close(h);
    return r;
}

/* A file open or mapped elsewhere, on a system without POSIX deletion (Wine): the name
   moves to a parking name first and the parked name is deleted, so the old name is free
   at once. */
static int64_t delete_parked(const wchar_t *path)
{
    wchar_t *parked = parking_name(path);
    if (!parked) return -LINUX_ENOMEM;
    int64_t r = px_host_path_move(path, parked, 0);
    if (r == 0) {
        r = delete_parked_name(parked);
        if (r < 0) px_host_path_move(parked, path, 0); /* put it back as it was */
    }
    px_free(parked);
    return r;
}

/* rename over a file Windows will not delete (mapped: a section holds it): the target
   moves aside to a parking name, the source takes its name, and the parked target goes
   as an unlinked one does. Not atomic as Linux's: in between, the name is missing. */
static int64_t replace_parked(const wchar_t *from, const wchar_t *to)
{
    wchar_t *parked = parking_name(to);
    if (!parked) return -LINUX_ENOMEM;
    int64_t r = px_host_path_move(to, parked, 0);
    if (r < 0) {
        /* nothing moved */
    } else if ((r = px_host_path_move(from, to, 0)) < 0) {
        px_host_path_move(parked, to, 0); /* put it back as it was */
    } else {
        /* if another process holds it, it stays parked (hidden from listings), as an
           unlinked file open elsewhere does where Windows cannot delete it */
        (void)delete_parked_name(parked);
    }
    px_free(parked);
    return r;
}

static int64_t remove_name(px_mount *m, const char *rel, bool remove_dir)
{
    if (!rel[0]) return remove_dir ? -LINUX_EBUSY : -LINUX_EISDIR;
    px_stat_cache_invalidate();
    wchar_t *path;
    int64_t r = host_path_of(m, rel, &path);
    if (r < 0) return r;
    /* nobody has it open: deletion is immediate whatever the semantics */
    px_host_handle h;
    r = open_for_delete(path, 0, &h);
    bool open_elsewhere = r == -LINUX_EBUSY; /* the host's sharing violation */
    if (open_elsewhere) r = open_for_delete(path, PX_HOST_SHARE_ALL, &h);
    if (r < 0) {
        r = lookup_error(m, rel, r, px_host_path_not_found());
        px_free(path);
        return r;
    }
    r = check_kind(h, remove_dir);
    if (r == 0 && !open_elsewhere) {
        r = delete_by_handle(h);
        px_host_close(h);
    } else if (r == 0) {
        int64_t posix = px_host_file_delete_posix(h);
        px_host_close(h);
        if (posix == -LINUX_ENOTEMPTY) r = -LINUX_ENOTEMPTY;
        else if (posix < 0) r = delete_parked(path);
    } else {
        px_host_close(h);
    }
    px_free(path);
    return r;
}

int64_t px_nt_unlink(px_mount *m, const char *rel) { return remove_name(m, rel, false); }

int64_t px_nt_rmdir(px_mount *m, const char *rel) { return remove_name(m, rel, true); }

/* Moves one name to another that does not exist (the middle steps of an exchange). */
static int64_t move_name(px_mount *m, const char *from, const char *to)
{
    wchar_t *wf, *wt;
    int64_t r = host_path_of(m, from, &wf);
    if (r < 0) return r;
    r = px_nt_host_path(m, to, true, &wt);
    if (r == 0) {
        r = px_host_path_move(wf, wt, 0);
        px_free(wt);
    }
    px_free(wf);
    return r;
}

/* RENAME_EXCHANGE through a parking name: three renames, not atomic as Linux's (a crash
   in the middle leaves the first file under the parking name). */
static int64_t exchange_names(px_mount *m, const char *a, const char *b)
{
    char parked[PX_PATH_MAX];
    const char *slash = strrchr(a, '/');
    size_t dir_len = slash ? (size_t)(slash - a) + 1 : 0;
    static uint32_t counter;
    int n = snprintf(parked, sizeof parked, "%.*s.picolx-exchange-%lu-%ld", (int)dir_len, a,
                     (unsigned long)px_host_pid(), (long)(int32_t)__atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST));
    if (n < 0 || (size_t)n >= sizeof parked) return -LINUX_ENAMETOOLONG;
    int64_t r = move_name(m, a, parked);
    if (r < 0) return r;
    r = move_name(m, b, a);
    if (r < 0) {
        move_name(m, parked, a);
        return r;
    }
    r = move_name(m, parked, b);
    if (r < 0) {
        move_name(m, a, b);
        move_name(m, parked, a);
    }
    return r;
}

int64_t px_nt_rename(px_mount *m, const char *from, const char *to, uint32_t flags)
{
    if (!from[0] || !to[0]) return -LINUX_EBUSY; /* the mount's root */
    px_stat_cache_invalidate();
    int64_t src_is_dir = px_nt_is_directory(m, from);
    if (src_is_dir < 0) return src_is_dir;
    size_t from_len = strlen(from);
    if (!strcmp(from, to)) return 0;
    if (src_is_dir && !strncmp(to, from, from_len) && to[from_len] == '/')
        return -LINUX_EINVAL; /* a directory into itself */
    int64_t dst_is_dir = px_nt_is_directory(m, to);
    if (flags & LINUX_RENAME_EXCHANGE) {
        if (dst_is_dir < 0) return dst_is_dir;
        size_t to_len = strlen(to);
        if (dst_is_dir && !strncmp(from, to, to_len) && from[to_len] == '/') return -LINUX_EINVAL;
        return exchange_names(m, from, to);
    }
    if ((flags & LINUX_RENAME_NOREPLACE) && dst_is_dir >= 0) return -LINUX_EEXIST;
    wchar_t *wfrom, *wto;
    int64_t r = host_path_of(m, from, &wfrom);
    if (r < 0) return r;
    r = px_nt_host_path(m, to, true, &wto);
    if (r < 0) {
        px_free(wfrom);
        return r;
    }
    if (dst_is_dir == 1 && !src_is_dir) r = -LINUX_EISDIR;
    else if (dst_is_dir == 0 && src_is_dir) r = -LINUX_ENOTDIR;
    else if (dst_is_dir == 1) {
        /* Linux replaces an empty directory atomically; Windows cannot, so the empty
           target goes first */
        r = px_host_dir_remove(wto);
    }
    /* the source exists (checked above): a path error is the target's */
    if (r == 0 && (r = px_host_path_move(wfrom, wto, PX_HOST_MOVE_REPLACE)) < 0) {
        bool path_not_found = px_host_path_not_found();
        /* a mapped file cannot be replaced (the host's "access denied"): it is parked instead */
        if (r == -LINUX_EACCES && dst_is_dir == 0) r = replace_parked(wfrom, wto);
        else r = lookup_error(m, to, r, path_not_found);
    }
    px_free(wfrom);
    px_free(wto);
    return r;
}

/* link(2): NTFS hard links (Wine makes real Linux hard links). */
int64_t px_nt_link(px_mount *m, const char *existing, const char *new_rel)
{
    int64_t is_dir = px_nt_is_directory(m, existing);
    if (is_dir < 0) return is_dir;
    if (is_dir) return -LINUX_EPERM; /* as Linux: no hard links to directories */
    if (!new_rel[0]) return -LINUX_EEXIST;
    wchar_t *wold, *wnew;
    int64_t r = host_path_of(m, existing, &wold);
    if (r < 0) return r;
    r = px_nt_host_path(m, new_rel, true, &wnew);
    if (r == 0) {
        px_stat_cache_invalidate(); /* link counts change */
        r = px_host_link_create(wnew, wold);
        if (r < 0) r = lookup_error(m, new_rel, r, px_host_path_not_found());
        px_free(wnew);
    }
    px_free(wold);
    return r;
}

#define FILETIME_UNIX_EPOCH 116444736000000000LL /* 1970-01-01 in 100 ns units since 1601 */

/* Sets the access and write times of an open file (UTIME_OMIT: left as it is, which a 0
   means to the host). */
static int64_t set_times(px_host_handle h, const struct linux_timespec times[2])
{
    int64_t fields[2] = {0, 0}; /* access, write */
    for (int i = 0; i < 2; i++) {
        if (times[i].tv_nsec == LINUX_UTIME_OMIT) continue;
        int64_t t = times[i].tv_sec * 10000000 + times[i].tv_nsec / 100 + FILETIME_UNIX_EPOCH;
        fields[i] = t > 0 ? t : 1; /* before 1601: the earliest Windows keeps */
    }
    px_stat_cache_invalidate();
    return px_host_file_set_basic(h, 0, fields[0], fields[1], 0, 0);
}

/* chmod's effect on an open file: the read-only attribute follows the write bits; a
   directory keeps its attributes (read-only means something else there). */
static int64_t set_read_only(px_host_handle h, uint32_t mode)
{
    uint32_t was;
    int64_t r = px_host_file_attributes(h, &was);
    if (r < 0) return r;
    if (was & PX_HOST_ATTR_DIRECTORY) return 0;
    uint32_t attrs = was;
    if (mode & 0222) attrs &= ~PX_HOST_ATTR_READONLY;
    else attrs |= PX_HOST_ATTR_READONLY;
    if (attrs == was) return 0;
    px_stat_cache_invalidate();
    return px_host_file_set_basic(h, 0, 0, 0, 0, attrs ? attrs : PX_HOST_ATTR_NORMAL); /* times 0: unchanged */
}

/* Opens rel to change its attributes or times. */
static int64_t open_for_attributes(px_mount *m, const char *rel, uint32_t access, px_host_handle *out)
{
    wchar_t *path;
    int64_t r = host_path_of(m, rel, &path);
    if (r < 0) return r;
    bool path_not_found;
    r = open_host(path, access, PX_HOST_DISP_OPEN_EXISTING, out, &path_not_found);
    px_free(path);
    if (r < 0) return lookup_error(m, rel, r, path_not_found);
    return 0;
}

/* chmod(2) as DrvFs without metadata: a file with no write bit left becomes read-only,
   one with a write bit writable again; the other bits are not stored (stat derives them),
   and a directory keeps its attributes (read-only means something else there). */
int64_t px_nt_chmod(px_mount *m, const char *rel, uint32_t mode)
{
    /* Most calls change nothing Windows keeps (tar and cp -p chmod every file they
       write): the path query says so without opening a handle, which under Wine takes
       three wineserver round trips (open, first query, close). */
    wchar_t *path;
    int64_t r = host_path_of(m, rel, &path);
    if (r < 0) return r;
    uint32_t now;
    r = px_host_path_attributes(path, &now);
    bool path_not_found = r < 0 && px_host_path_not_found();
    px_free(path);
    if (r < 0) return lookup_error(m, rel, r, path_not_found);
    if ((now & PX_HOST_ATTR_DIRECTORY) || !(now & PX_HOST_ATTR_READONLY) == ((mode & 0222) != 0)) return 0;
    px_host_handle h;
    r = open_for_attributes(m, rel, PX_HOST_ACCESS_READ_ATTRIBUTES | PX_HOST_ACCESS_WRITE_ATTRIBUTES, &h);
    if (r < 0) return r;
    r = set_read_only(h, mode);
    px_host_close(h);
    return r;
}

/* chown(2): every file belongs to the guest's ids; changing to them is a no-op that
   succeeds, anything else EPERM (DrvFs without metadata has nowhere to keep it). */
int64_t px_nt_chown(px_mount *m, const char *rel, uint32_t uid, uint32_t gid)
{
    /* every name has the guest's ids (px_nt_stat_handle): only its existence needs
       asking, and the path query does that without a full stat's handle */
    int64_t r = px_nt_is_directory(m, rel);
    if (r < 0) return r;
    if (uid != UINT32_MAX && uid != px_current_fsuid()) return -LINUX_EPERM;
    if (gid != UINT32_MAX && gid != px_current_fsgid()) return -LINUX_EPERM;
    return 0;
}

/* utimensat(2): the Windows access and write times (100 ns units); UTIME_OMIT leaves one
   as it is (0 means "unchanged" to the host). */
int64_t px_nt_utimens(px_mount *m, const char *rel, const struct linux_timespec times[2])
{
    px_host_handle h;
    int64_t r = open_for_attributes(m, rel, PX_HOST_ACCESS_WRITE_ATTRIBUTES, &h);
    if (r < 0) return r;
    r = set_times(h, times);
    px_host_close(h);
    return r;
}

int64_t px_nt_truncate(px_mount *m, const char *rel, uint64_t len)
{
    if (len > INT64_MAX) return -LINUX_EINVAL;
    int64_t is_dir = px_nt_is_directory(m, rel);
    if (is_dir < 0) return is_dir;
    if (is_dir) return -LINUX_EISDIR;
    px_host_handle h;
    int64_t r = open_for_attributes(m, rel, PX_HOST_ACCESS_WRITE, &h);
    if (r < 0) return r;
    px_stat_cache_invalidate();
    r = px_host_file_set_size(h, len);
    px_host_close(h);
    return r;
}

/* statfs(2). f_type is NTFS_SB_MAGIC: what a Linux NTFS driver (and so `stat -f`) reports
   for a Windows volume; WSL1's DrvFs shows its own magic, which no program tests for,
   while NTFS tells programs "no symlinks, no Unix owners" as they expect of one. */
int64_t px_nt_statfs(px_mount *m, const char *rel, struct linux_statfs *out)
{
    wchar_t *path;
    int64_t r = host_path_of(m, rel, &path);
    if (r < 0) return r;
    uint32_t attr;
    r = px_host_path_attributes(path, &attr);
    if (r < 0) {
        r = lookup_error(m, rel, r, px_host_path_not_found());
        px_free(path);
        return r;
    }
    /* the host's disk space wants a directory */
    if (!(attr & PX_HOST_ATTR_DIRECTORY)) {
        wchar_t *slash = wcsrchr(path, L'\\');
        if (slash) slash[1] = 0;
    }
    uint64_t avail, total, free_bytes;
    r = px_host_disk_space(path, &avail, &total, &free_bytes);
    px_free(path);
    if (r < 0) return r;
    memset(out, 0, sizeof *out);
    out->f_type = LINUX_NTFS_SB_MAGIC;
    out->f_bsize = 4096;
    out->f_frsize = 4096;
    out->f_blocks = total / 4096;
    out->f_bfree = free_bytes / 4096;
    out->f_bavail = avail / 4096;
    out->f_files = 0; /* NTFS has no fixed inode count: 0 as Linux's ntfs3 without one */
    out->f_ffree = 0;
    out->f_fsid[0] = (int32_t)m->dev;
    out->f_namelen = 255;
    out->f_flags = 0;
    return 0;
}

static int64_t drvfs_host_path(px_mount *m, const char *rel, wchar_t **out) { return px_nt_host_path(m, rel, false, out); }

/* A Windows directory as it is. Symlinks are link files (linkfile.c), found by the
   VFS with one query per path (link_files). No xattrs (EOPNOTSUPP, as DrvFs), no FIFOs
   or devices (mknod: EPERM). */
const px_fs_type px_drvfs_type = {
    .name = "drvfs",
    .has_symlinks = false,
    .link_files = true,
    .magic = LINUX_NTFS_SB_MAGIC,
    .symlink = px_nt_symlink,
    .readlink = px_nt_readlink,
    .find_link = px_nt_find_link,
    .open = px_nt_open,
    .stat = px_nt_stat_path,
    .mkdir = px_nt_mkdir,
    .unlink = px_nt_unlink,
    .rmdir = px_nt_rmdir,
    .rename = px_nt_rename,
    .link = px_nt_link,
    .chmod = px_nt_chmod,
    .chown = px_nt_chown,
    .utimens = px_nt_utimens,
    .truncate = px_nt_truncate,
    .statfs = px_nt_statfs,
    .host_path = drvfs_host_path,
};

void *px_fs_fd_disk_handle(int fd, bool *writable)
{
    px_file *f = px_fd_get(fd);
    if (!f) return NULL;
    px_host_handle dup = NULL;
    if (f->ops->disk_data && !f->is_dir && !(f->status_flags & LINUX_O_PATH) &&
        px_host_handle_dup(f->handle, px_host_self(), false, &dup) < 0)
        dup = NULL;
    *writable = (f->status_flags & LINUX_O_ACCMODE) == LINUX_O_RDWR;
    px_file_unref(f);
    return dup;
}
