/* The NT file backend and the drvfs type (a Windows directory as it is, as WSL's DrvFs
   without metadata): regular files and directories under a mount's Windows directory,
   and the name operations on them. Every read and write names its offset (OVERLAPPED),
   so the position is ours and pread/pwrite never move it. */
#include <stdio.h>
#include "core/errors.h"
#include "fs/drvfs_meta.h"
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
    uint64_t append_end; /* the end of the file after this description's last O_APPEND write */
} nt_file;

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
static int64_t delete_by_handle(px_host_handle h);
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
    /* Linux: pwrite on an O_APPEND file appends whatever the offset says, whole (append.c) */
    if (f->status_flags & LINUX_O_APPEND)
        return px_append_write(f->handle, buf, (size_t)len, &((nt_file *)f->data)->append_end);
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
    /* at the end, whole (append.c); the write leaves the shared pointer after it */
    if (f->status_flags & LINUX_O_APPEND) return px_append_write(f->handle, buf, (size_t)len, NULL);
    return px_host_file_write_here(f->handle, buf, (size_t)len);
}

static int64_t nt_write(px_file *f, const void *buf, uint64_t len)
{
    nt_file *nf = f->data;
    if (nf->shared_pointer) {
        int64_t r = shared_write(f, buf, len, 0);
        if (r < 0 && r != -LINUX_EINVAL) r = px_pwrite_bounced(f, (uint64_t)(uintptr_t)buf, len, 0, shared_write, r);
        return r;
    }
    int64_t r = nt_pwrite(f, buf, len, f->pos);
    if (r < 0) return r;
    if (f->status_flags & LINUX_O_APPEND) {
        f->pos = nf->append_end;
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
    int64_t rc = px_host_file_set_size(f->handle, len);
    /* Windows refuses while a view maps the file: this process's private ones become
       copies (Linux truncates; their pages past the new end SIGBUS) */
    if (rc == -LINUX_ETXTBSY && px_vm_copy_file_views(f->handle, len)) rc = px_host_file_set_size(f->handle, len);
    return rc;
}

/* fchmod, fchown, futimens on the file's own handle: no lookup of its name (an open, a
   first query and a close under Wine: three wineserver round trips). A handle opened
   without FILE_WRITE_ATTRIBUTES (O_RDONLY, O_PATH) sends the call to the path. */
static int64_t by_path_if_denied(int64_t r)
{
    return r == -LINUX_EACCES || r == -LINUX_EPERM ? PX_FILE_OP_BY_PATH : r;
}

static int64_t nt_stat(px_file *f, px_stat_info *st);

/* The mode is kept as Linux metadata (drvfs_meta.c); the read-only attribute follows. */
static int64_t nt_file_chmod(px_file *f, uint32_t mode)
{
    px_stat_info st;
    int64_t r = nt_stat(f, &st);
    if (r == 0) r = px_drvfs_meta_chmod(f->handle, NULL, &st, mode);
    if (r < 0 || f->is_dir) return r; /* as px_nt_chmod: directories keep their attributes */
    return by_path_if_denied(set_read_only(f->handle, mode));
}

static int64_t nt_file_chown(px_file *f, uint32_t uid, uint32_t gid)
{
    px_stat_info st;
    int64_t r = nt_stat(f, &st);
    return r < 0 ? r : px_drvfs_meta_chown(f->handle, NULL, &st, uid, gid);
}

static int64_t nt_file_utimens(px_file *f, const struct linux_timespec times[2])
{
    int64_t r = set_times(f->handle, times);
    if (r == 0) px_drvfs_meta_times_set(f->handle, times);
    return by_path_if_denied(r);
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
    (void)for_create;
    /* Windows names are UTF-16: bytes that are not UTF-8 are kept escaped (path_norm.h) */
    size_t rel_bytes = strlen(rel);
    wchar_t *wrel = px_alloc((rel_bytes + 1) * sizeof *wrel);
    if (!wrel) return -LINUX_ENOMEM;
    size_t rel_len = px_drvfs_utf16_of_name(rel, rel_bytes, (uint16_t *)wrel);
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
    /* a forbidden character, escaped: the host's own name of it, when only that is there */
    for (size_t i = d->prefix_len; w[i]; i++)
        if (w[i] >= PX_DRVFS_ESCAPE_BASE && w[i] < PX_DRVFS_ESCAPE_BASE + 0x80) {
            int64_t r = px_drvfs_host_form(m, &w);
            if (r < 0) {
                px_free(w);
                return r;
            }
            break;
        }
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

/* Deletes a file this open just made under a wrong directory (drvfs_names.c: a
   directory on the way had another case). */
static void undo_create(const wchar_t *path)
{
    px_host_handle h;
    if (px_host_file_open_ex(path, PX_HOST_ACCESS_DELETE | PX_HOST_ACCESS_READ_ATTRIBUTES, PX_HOST_SHARE_ALL,
                             PX_HOST_DISP_OPEN_EXISTING, PX_HOST_OPEN_DIRECTORIES, &h) == 0) {
        delete_by_handle(h);
        px_host_close(h);
    }
}

/* Opens path as open(2) with flags does, with Linux's case-sensitive names
   (drvfs_names.c): path is rewritten in place to the form found or made. A creation
   tries a new file first (one call when the name is new); a name that is there in some
   case is then looked up exactly, and made escaped when only other cases are there.
   O_TRUNC empties the file once its name is known to be the one asked for. */
static int64_t open_exact(px_mount *m, wchar_t **pathp, uint32_t flags, px_host_handle *h, bool *path_not_found)
{
    uint32_t access = access_of(flags);
    bool creating = (flags & LINUX_O_CREAT) != 0;
    for (int round = 0; round < 64; round++) {
        wchar_t *path = *pathp;
        ptrdiff_t missing_at = -1;
        int64_t r;
        if (creating) {
            r = open_host(path, access, PX_HOST_DISP_CREATE_NEW, h, path_not_found);
            if (r == 0) {
                ptrdiff_t at = px_drvfs_case_mismatch(m, *h, path);
                if (at < 0) return 0;
                /* made under a directory of another case: not the one asked for */
                px_host_close(*h);
                undo_create(path);
                if (!px_drvfs_case_escape(pathp, (size_t)at)) return -LINUX_ENOENT;
                continue;
            }
            /* a directory on the way may be stored escaped (drvfs_names.c) */
            if (r == -LINUX_ENOENT && *path_not_found && round == 0 && px_drvfs_exact_dirs(m, pathp)) continue;
            if (r != -LINUX_EEXIST) return r;
        }
        r = px_drvfs_open_exact(m, pathp, access, PX_HOST_SHARE_ALL, PX_HOST_OPEN_DIRECTORIES, h, &missing_at,
                                path_not_found);
        path = *pathp;
        if (r == 0) {
            if (creating && (flags & LINUX_O_EXCL)) {
                px_host_close(*h);
                return -LINUX_EEXIST;
            }
            if ((flags & LINUX_O_TRUNC) && !handle_is_dir(*h)) {
                r = px_host_file_set_size(*h, 0);
                /* a file a view maps: Windows refuses; this process's private views
                   become copies (as nt_truncate), then the file is emptied */
                if (r == -LINUX_ETXTBSY && px_vm_copy_file_views(*h, 0)) r = px_host_file_set_size(*h, 0);
                if (r < 0) {
                    px_host_close(*h);
                    return r;
                }
            }
            return 0;
        }
        /* only other cases of the last name are there: this one is made escaped */
        if (creating && r == -LINUX_ENOENT && missing_at >= 0 && (size_t)missing_at == px_drvfs_last_component(path)) {
            px_drvfs_mark_dir(path);
            continue;
        }
        return r;
    }
    return -LINUX_ELOOP;
}

int64_t px_nt_open(px_mount *m, const char *rel, uint32_t flags, uint32_t mode, px_file **out)
{
    if ((flags & LINUX_O_TMPFILE) == LINUX_O_TMPFILE) return -LINUX_EOPNOTSUPP; /* no anonymous files yet */
    wchar_t *path;
    int64_t r = px_nt_host_path(m, rel, (flags & LINUX_O_CREAT) != 0, &path);
    if (r < 0) return r;
    if (flags & (LINUX_O_CREAT | LINUX_O_TRUNC)) px_stat_cache_invalidate();
    bool want_dir = (flags & LINUX_O_DIRECTORY) != 0;
    px_host_handle h;
    bool path_not_found;
    int64_t err = open_exact(m, &path, flags, &h, &path_not_found);
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
    if (r == -LINUX_ENOENT && px_drvfs_exact_dirs(m, &path)) { /* through a directory stored escaped */
        r = px_host_path_attributes(path, &attr);
        path_not_found = r < 0 && px_host_path_not_found();
    }
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
    if (err == -LINUX_ENOENT && px_drvfs_exact_dirs(m, &path)) /* through a directory stored escaped */
        err = px_nt_query_attrs(path, &attrs, &path_not_found);
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
    if (err == 0 && px_drvfs_case_mismatch(m, h, path) >= 0) {
        /* the host found another case of a name (drvfs_names.c): the exact one, if any */
        px_host_close(h);
        ptrdiff_t missing_at;
        err = px_drvfs_open_exact(m, &path, PX_HOST_ACCESS_READ_ATTRIBUTES, PX_HOST_SHARE_ALL,
                                  PX_HOST_OPEN_DIRECTORIES, &h, &missing_at, &path_not_found);
        may_read = false;
        have_attrs = err == 0 && px_nt_query_attrs(path, &attrs, &path_not_found) == 0;
    }
    if (err < 0) {
        px_free(path);
        return lookup_error(m, rel, err, path_not_found);
    }
    r = px_nt_stat_handle(h, may_read, st);
    px_host_close(h);
    int64_t link_size = have_attrs && r == 0 ? px_nt_link_file_size(m, path, &attrs) : -1;
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
    bool path_not_found = false;
    for (int round = 0; round < 64; round++) {
        r = px_host_dir_create(path);
        path_not_found = r < 0 && px_host_path_not_found();
        if (r == -LINUX_ENOENT && path_not_found && round == 0 && px_drvfs_exact_dirs(m, &path)) continue;
        px_host_handle h;
        ptrdiff_t missing_at, at = -1;
        if (r == 0) {
            /* made under a directory of another case (drvfs_names.c): not the one asked for */
            if (px_host_file_open_ex(path, PX_HOST_ACCESS_READ_ATTRIBUTES, PX_HOST_SHARE_ALL, PX_HOST_DISP_OPEN_EXISTING,
                                     PX_HOST_OPEN_DIRECTORIES, &h) == 0) {
                at = px_drvfs_case_mismatch(m, h, path);
                px_host_close(h);
            }
            if (at < 0) {
                /* where the host has it, names in it are told apart by the host itself
                   (Wine 8 has not: drvfs_names.c does it there) */
                (void)px_host_dir_set_case_sensitive(path);
                break;
            }
            px_host_dir_remove(path);
            if (!px_drvfs_case_escape(&path, (size_t)at)) {
                r = -LINUX_ENOENT;
                break;
            }
            continue;
        }
        if (r != -LINUX_EEXIST) break;
        /* there in some case: the exact name is EEXIST, only other cases make it escaped */
        r = px_drvfs_open_exact(m, &path, PX_HOST_ACCESS_READ_ATTRIBUTES, PX_HOST_SHARE_ALL, PX_HOST_OPEN_DIRECTORIES,
                                &h, &missing_at, &path_not_found);
        if (r == 0) {
            px_host_close(h);
            r = -LINUX_EEXIST;
            break;
        }
        if (r != -LINUX_ENOENT || missing_at < 0 || (size_t)missing_at != px_drvfs_last_component(path)) break;
        px_drvfs_mark_dir(path);
    }
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

/* A name in directory dir (dir_len characters of a path) to park a file that is unlinked
   while open (as NFS parks them as .nfsXXXX): Linux frees the name at once, classic
   Windows deletion does not until the last handle closes. */
static wchar_t *parking_name_in(const wchar_t *dir, size_t dir_len)
{
    static uint32_t counter;
    wchar_t *w = px_alloc((dir_len + 64) * sizeof *w);
    if (!w) return NULL;
    memcpy(w, dir, dir_len * sizeof *w);
    swprintf(w + dir_len, 64, L"\\.picolx-unlinked-%lu-%ld", (unsigned long)px_host_pid(),
             (long)(int32_t)__atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST));
    return w;
}

/* Moves path to a parking name and returns that name (px_alloc'd), or NULL and *err.
   The parked file must not keep its directory non-empty (rmdir after unlink works on
   Linux, and rm -r does it right after): it goes to the highest directory of its path,
   from the mount's root down, that takes it, that is the first on the same volume
   (a move to another volume fails, Windows and Wine never copy here) where the guest
   may write; its own directory is the last resort. Listings hide parked names (dir.c). */
static wchar_t *park(const px_mount *m, const wchar_t *path, int64_t *err)
{
    const px_drvfs *d = m->data;
    const wchar_t *last_slash = wcsrchr(path, L'\\');
    size_t own_len = last_slash ? (size_t)(last_slash - path) : 0;
    size_t dir_len = d->prefix_len <= own_len ? d->prefix_len : own_len;
    for (;;) {
        wchar_t *parked = parking_name_in(path, dir_len);
        if (!parked) {
            *err = -LINUX_ENOMEM;
            return NULL;
        }
        *err = px_host_path_move(path, parked, 0);
        if (*err == 0) return parked;
        px_free(parked);
        if (dir_len >= own_len) return NULL;
        do dir_len++;
        while (dir_len < own_len && path[dir_len] != L'\\');
    }
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
static int64_t delete_parked(const px_mount *m, const wchar_t *path)
{
    int64_t r;
    wchar_t *parked = park(m, path, &r);
    if (!parked) return r;
    r = delete_parked_name(parked);
    if (r < 0) px_host_path_move(parked, path, 0); /* put it back as it was */
    px_free(parked);
    return r;
}

/* rename over a file Windows will not delete (mapped: a section holds it): the target
   moves aside to a parking name, the source takes its name, and the parked target goes
   as an unlinked one does. Not atomic as Linux's: in between, the name is missing. */
static int64_t replace_parked(const px_mount *m, const wchar_t *from, const wchar_t *to)
{
    int64_t r;
    wchar_t *parked = park(m, to, &r);
    if (!parked) {
        /* nothing moved */
    } else if ((r = px_host_path_move(from, to, 0)) < 0) {
        px_host_path_move(parked, to, 0); /* put it back as it was */
    } else {
        /* if another process holds it, it stays parked (hidden from listings), as an
           unlinked file open elsewhere does where Windows cannot delete it */
        (void)delete_parked_name(parked);
    }
    if (parked) px_free(parked);
    return r;
}

static int64_t remove_name_now(px_mount *m, const char *rel, bool remove_dir);

/* The file's stored Linux metadata goes with its last name (drvfs_meta.c). */
static int64_t remove_name(px_mount *m, const char *rel, bool remove_dir)
{
    px_stat_info st;
    bool known = rel[0] && px_drvfs_meta_in_use(NULL) && px_drvfs_meta_identity(m, rel, &st) == 0;
    int64_t r = known ? px_drvfs_meta_may_change_dir(m, rel) : 0;
    if (r < 0) return r;
    r = remove_name_now(m, rel, remove_dir);
    if (r == 0 && known) px_drvfs_meta_unlinked(&st);
    return r;
}

static int64_t remove_name_now(px_mount *m, const char *rel, bool remove_dir)
{
    if (!rel[0]) return remove_dir ? -LINUX_EBUSY : -LINUX_EISDIR;
    px_stat_cache_invalidate();
    wchar_t *path;
    int64_t r = host_path_of(m, rel, &path);
    if (r < 0) return r;
    /* nobody has it open: deletion is immediate whatever the semantics */
    px_host_handle h;
    bool open_elsewhere, dirs_checked = false;
    for (;;) {
        r = open_for_delete(path, 0, &h);
        open_elsewhere = r == -LINUX_EBUSY; /* the host's sharing violation */
        if (open_elsewhere) r = open_for_delete(path, PX_HOST_SHARE_ALL, &h);
        if (r == -LINUX_ENOENT && !dirs_checked) { /* through a directory stored escaped? */
            dirs_checked = true;
            bool path_not_found = px_host_path_not_found();
            if (px_drvfs_exact_dirs(m, &path)) continue;
            r = lookup_error(m, rel, r, path_not_found);
            px_free(path);
            return r;
        }
        if (r < 0) {
            r = lookup_error(m, rel, r, px_host_path_not_found());
            px_free(path);
            return r;
        }
        /* another case of a name is another name (drvfs_names.c) */
        ptrdiff_t at = px_drvfs_case_mismatch(m, h, path);
        if (at < 0) break;
        px_host_close(h);
        if (!px_drvfs_case_escape(&path, (size_t)at)) {
            bool last = (size_t)at == px_drvfs_last_component(path);
            px_free(path);
            return last ? -LINUX_ENOENT : lookup_error(m, rel, -LINUX_ENOENT, true);
        }
    }
    r = check_kind(h, remove_dir);
    if (r == 0 && !open_elsewhere) {
        r = delete_by_handle(h);
        px_host_close(h);
    } else if (r == 0) {
        int64_t posix = px_host_file_delete_posix(h);
        px_host_close(h);
        if (posix == -LINUX_ENOTEMPTY) r = -LINUX_ENOTEMPTY;
        else if (posix < 0) r = delete_parked(m, path);
    } else {
        px_host_close(h);
    }
    if (r == 0) px_drvfs_promote_variant(path); /* an escaped variant takes the name */
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

/* The exact host path of rel (drvfs_names.c) in *path and whether it is a directory
   (1, 0), or -LINUX_ENOENT / another error when no name has that case; *variant: only
   other cases of the last name are there (path is then its escaped form). */
static int64_t resolve_exact(px_mount *m, const char *rel, bool for_create, wchar_t **path, bool *variant)
{
    *variant = false;
    *path = NULL;
    int64_t r = px_nt_host_path(m, rel, for_create, path);
    if (r < 0) {
        *path = NULL;
        return r;
    }
    px_host_handle h;
    ptrdiff_t missing_at;
    bool path_not_found;
    r = px_drvfs_open_exact(m, path, PX_HOST_ACCESS_READ_ATTRIBUTES, PX_HOST_SHARE_ALL,
                            PX_HOST_OPEN_DIRECTORIES | PX_HOST_OPEN_NO_REPARSE, &h, &missing_at, &path_not_found);
    if (r == 0) {
        r = handle_is_dir(h) ? 1 : 0;
        px_host_close(h);
        return r;
    }
    if (r == -LINUX_ENOENT && missing_at >= 0 && (size_t)missing_at == px_drvfs_last_component(*path)) {
        *variant = true;
        return -LINUX_ENOENT;
    }
    return lookup_error(m, rel, r, path_not_found);
}

/* A rename that changes only the case of a name: the host takes the new name for the
   old one and does nothing, so it goes through a parking name in the same directory. */
static int64_t rename_case_only(const wchar_t *from, const wchar_t *to)
{
    size_t cut = px_drvfs_last_component(from);
    wchar_t *tmp = parking_name_in(from, cut ? cut - 1 : 0);
    if (!tmp) return -LINUX_ENOMEM;
    int64_t r = px_host_path_move(from, tmp, 0);
    if (r == 0 && (r = px_host_path_move(tmp, to, 0)) < 0) px_host_path_move(tmp, from, 0);
    px_free(tmp);
    return r;
}

int64_t px_nt_rename(px_mount *m, const char *from, const char *to, uint32_t flags)
{
    if (!from[0] || !to[0]) return -LINUX_EBUSY; /* the mount's root */
    int64_t denied = px_drvfs_meta_may_change_dir(m, from);
    if (denied == 0) denied = px_drvfs_meta_may_change_dir(m, to);
    if (denied < 0 && px_nt_is_directory(m, from) >= 0) return denied;
    px_stat_cache_invalidate();
    if (flags & LINUX_RENAME_EXCHANGE) {
        int64_t src_is_dir = px_nt_is_directory(m, from);
        if (src_is_dir < 0) return src_is_dir;
        int64_t dst_is_dir = px_nt_is_directory(m, to);
        if (dst_is_dir < 0) return dst_is_dir;
        size_t from_len = strlen(from), to_len = strlen(to);
        if (src_is_dir && !strncmp(to, from, from_len) && to[from_len] == '/') return -LINUX_EINVAL;
        if (dst_is_dir && !strncmp(from, to, to_len) && from[to_len] == '/') return -LINUX_EINVAL;
        return exchange_names(m, from, to);
    }
    wchar_t *wfrom, *wto;
    bool variant;
    int64_t src_is_dir = resolve_exact(m, from, false, &wfrom, &variant);
    if (src_is_dir < 0) {
        if (wfrom) px_free(wfrom);
        return variant ? -LINUX_ENOENT : src_is_dir;
    }
    size_t from_len = strlen(from);
    if (!strcmp(from, to)) {
        px_free(wfrom);
        return 0;
    }
    if (src_is_dir && !strncmp(to, from, from_len) && to[from_len] == '/') {
        px_free(wfrom);
        return -LINUX_EINVAL; /* a directory into itself */
    }
    wchar_t *wto_plain = NULL;
    if (px_nt_host_path(m, to, true, &wto_plain) < 0) wto_plain = NULL;
    int64_t dst_is_dir = resolve_exact(m, to, true, &wto, &variant);
    int64_t r = 0;
    if (dst_is_dir < 0 && !wto) r = dst_is_dir;
    if (dst_is_dir < 0 && dst_is_dir != -LINUX_ENOENT && dst_is_dir != -LINUX_ENOTDIR) r = dst_is_dir;
    /* the only other case of the new name is the file itself: its case changes */
    bool case_only = r == 0 && variant && wto_plain && px_drvfs_names_fold_equal(wto_plain, wfrom);
    if (r == 0 && case_only) {
        r = rename_case_only(wfrom, wto_plain);
        goto done;
    }
    if (r == 0 && (flags & LINUX_RENAME_NOREPLACE) && dst_is_dir >= 0) r = -LINUX_EEXIST;
    else if (r == 0 && dst_is_dir == 1 && !src_is_dir) r = -LINUX_EISDIR;
    else if (r == 0 && dst_is_dir == 0 && src_is_dir) r = -LINUX_ENOTDIR;
    else if (r == 0 && dst_is_dir == 1) {
        /* Linux replaces an empty directory atomically; Windows cannot, so the empty
           target goes first */
        r = px_host_dir_remove(wto);
    }
    if (r == 0 && variant) px_drvfs_mark_dir(wto); /* stored escaped beside its other cases */
    /* the source exists (checked above): a path error is the target's */
    if (r == 0 && (r = px_host_path_move(wfrom, wto, PX_HOST_MOVE_REPLACE)) < 0) {
        bool path_not_found = px_host_path_not_found();
        /* a mapped file cannot be replaced (the host's "access denied"): it is parked instead */
        if (r == -LINUX_EACCES && dst_is_dir == 0) r = replace_parked(m, wfrom, wto);
        else r = lookup_error(m, to, r, path_not_found);
    }
done:
    if (r == 0 && !case_only) px_drvfs_promote_variant(wfrom); /* an escaped variant takes the old name */
    px_free(wfrom);
    if (wto) px_free(wto);
    if (wto_plain) px_free(wto_plain);
    return r;
}

/* link(2): NTFS hard links (Wine makes real Linux hard links). */
int64_t px_nt_link(px_mount *m, const char *existing, const char *new_rel)
{
    int64_t denied = new_rel[0] ? px_drvfs_meta_may_change_dir(m, new_rel) : 0;
    if (denied < 0 && px_nt_is_directory(m, existing) >= 0) return denied;
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
    ptrdiff_t missing_at;
    /* only the name with this case (drvfs_names.c) */
    r = px_drvfs_open_exact(m, &path, access, PX_HOST_SHARE_ALL, PX_HOST_OPEN_DIRECTORIES, out, &missing_at,
                            &path_not_found);
    px_free(path);
    if (r < 0) return lookup_error(m, rel, r, path_not_found);
    return 0;
}

/* chmod and chown keep the Linux metadata first (drvfs_meta.c): the file's stat now
   (identity, mode, owner) decides who may. */
static int64_t chmod_meta(px_mount *m, const char *rel, uint32_t mode)
{
    px_stat_info st;
    wchar_t *path;
    int64_t r = px_nt_stat_path(m, rel, &st);
    if (r == 0 && (r = host_path_of(m, rel, &path)) == 0) {
        r = px_drvfs_meta_chmod(NULL, path, &st, mode);
        px_free(path);
    }
    return r;
}

/* chmod(2): the mode is kept (above); as DrvFs without metadata besides, a file with no write bit left becomes read-only,
   one with a write bit writable again; the other bits are not stored (stat derives them),
   and a directory keeps its attributes (read-only means something else there). */
int64_t px_nt_chmod(px_mount *m, const char *rel, uint32_t mode)
{
    int64_t kept = chmod_meta(m, rel, mode);
    if (kept < 0) return kept;
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

/* chown(2): the owner is kept as Linux metadata (drvfs_meta.c: root gives any, others
   EPERM as on Linux); a file with none stored belongs to the guest's ids. */
int64_t px_nt_chown(px_mount *m, const char *rel, uint32_t uid, uint32_t gid)
{
    px_stat_info st;
    wchar_t *path;
    int64_t r = px_nt_stat_path(m, rel, &st);
    if (r == 0 && (r = host_path_of(m, rel, &path)) == 0) {
        r = px_drvfs_meta_chown(NULL, path, &st, uid, gid);
        px_free(path);
    }
    return r;
}

/* utimensat(2): the Windows access and write times (100 ns units); UTIME_OMIT leaves one
   as it is (0 means "unchanged" to the host). */
int64_t px_nt_utimens(px_mount *m, const char *rel, const struct linux_timespec times[2])
{
    px_host_handle h;
    int64_t r = open_for_attributes(m, rel, PX_HOST_ACCESS_READ_ATTRIBUTES | PX_HOST_ACCESS_WRITE_ATTRIBUTES, &h);
    if (r < 0) return r;
    r = set_times(h, times);
    if (r == 0) px_drvfs_meta_times_set(h, times); /* the nanoseconds Windows does not keep */
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
    if (r == -LINUX_ETXTBSY && px_vm_copy_file_views(h, len)) r = px_host_file_set_size(h, len); /* as nt_truncate */
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
   VFS with one query per path (link_files). No xattrs (EOPNOTSUPP, as DrvFs); Linux
   metadata (modes, owners, FIFOs, device nodes) as DrvFs's `metadata` option (drvfs_meta.c). */
const px_fs_type px_drvfs_type = {
    .name = "drvfs",
    .has_symlinks = false,
    .link_files = true,
    .magic = LINUX_NTFS_SB_MAGIC,
    .symlink = px_nt_symlink,
    .readlink = px_nt_readlink,
    .find_link = px_nt_find_link,
    .open = px_drvfs_open,
    .stat = px_nt_stat_path,
    .mkdir = px_drvfs_mkdir,
    .mknod = px_drvfs_mknod,
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
