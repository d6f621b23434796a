/* The hand-over blob (fd_handoff.h): records appended to a growing buffer, carried to
   the new process through a pagefile section it inherits, and the file-system layer's
   records: files, fds, cwd and root. */
#include <stdio.h>
#include "core/errors.h"
#include "fs/fd_handoff.h"
#include "fs/fpos.h"
#include "fs/pipe_ring.h"
#include "fs/pty.h"
#include "fs/vfs.h"
#include "fs/pseudo/pseudo.h"
#include "host/host_env.h"
#include "host/host_mem.h"
#include "host/host_process.h"

/* The child finds the section's handle value here (hex); inherited handles keep their value. */
#define HANDOFF_VAR L"PICOLX_HANDOFF"
#define HANDOFF_MAGIC 0x46484c58u /* "XLHF" */
#define HANDOFF_VERSION 2 /* 2: one record per object (task, process, cred, sighand; fs with the umask) */

typedef struct blob_header {
    uint32_t magic, version;
    uint64_t size; /* of the whole blob, this header included */
} blob_header;

typedef struct record_header {
    uint32_t tag, len; /* len bytes of data follow, padded to 8 */
} record_header;

struct px_handoff {
    uint8_t *buf;
    size_t used, cap;
    px_host_handle section; /* while being sent */
};

/* One open file description. The guest path, the mount point and the backend's state
   follow it, without NULs. */
typedef struct file_record {
    uint64_t handle;       /* the sender's handle; after px_handoff_send_end the receiver's; 0: none */
    uint64_t pos;
    uint32_t status_flags;
    int32_t first_fd;      /* for messages */
    uint8_t kind;          /* enum px_handoff_kind; 0: dropped on the way */
    uint8_t is_dir;
    uint8_t pad[2];
    uint32_t path_len, point_len, state_len;
    uint32_t pos_slot;     /* fpos.h: the shared position's slot, 0 for none */
    uint32_t pad2;
    uint64_t lock_owner, lock_owner_time; /* the description's OFD and flock owner (lock.c), 0: none yet */
    uint64_t aux_handle;   /* the backend's second handle, as handle; 0: none */
} file_record;

typedef struct fd_record {
    int32_t fd;
    uint32_t file;   /* index of its file record */
    uint32_t cloexec;
    uint32_t pad;
} fd_record;

_Static_assert(sizeof(file_record) == 72, "file_record layout");
_Static_assert(sizeof(fd_record) == 16, "fd_record layout");

/* ---- the blob ---- */

px_handoff *px_handoff_new(void)
{
    px_handoff *h = px_calloc(1, sizeof *h);
    if (!h) return NULL;
    h->cap = 4096;
    h->buf = px_alloc(h->cap);
    if (!h->buf) {
        px_free(h);
        return NULL;
    }
    blob_header head = {HANDOFF_MAGIC, HANDOFF_VERSION, sizeof head};
    memcpy(h->buf, &head, sizeof head);
    h->used = sizeof head;
    return h;
}

void px_handoff_free(px_handoff *h)
{
    if (!h) return;
    px_host_close(h->section);
    px_free(h->buf);
    px_free(h);
}

bool px_handoff_put(px_handoff *h, uint32_t tag, const void *data, size_t len)
{
    if (len > UINT32_MAX) return false;
    size_t need = h->used + sizeof(record_header) + PX_ALIGN_UP(len, 8);
    if (need > h->cap) {
        size_t cap = h->cap;
        while (cap < need) cap *= 2;
        uint8_t *grown = px_realloc(h->buf, cap);
        if (!grown) return false;
        h->buf = grown;
        h->cap = cap;
    }
    record_header rh = {tag, (uint32_t)len};
    memcpy(h->buf + h->used, &rh, sizeof rh);
    if (len) memcpy(h->buf + h->used + sizeof rh, data, len);
    memset(h->buf + h->used + sizeof rh + len, 0, PX_ALIGN_UP(len, 8) - len);
    h->used = need;
    ((blob_header *)h->buf)->size = h->used;
    return true;
}

/* The next record after offset *at (start: sizeof(blob_header)); NULL at the end. */
static record_header *next_record(const px_handoff *h, size_t *at)
{
    if (*at + sizeof(record_header) > h->used) return NULL;
    record_header *rh = (record_header *)(h->buf + *at);
    size_t end = *at + sizeof *rh + PX_ALIGN_UP((size_t)rh->len, 8);
    if (end > h->used) return NULL;
    *at = end;
    return rh;
}

const void *px_handoff_get(const px_handoff *h, uint32_t tag, size_t index, size_t *len)
{
    size_t at = sizeof(blob_header);
    for (record_header *rh; (rh = next_record(h, &at));) {
        if (rh->tag != tag || index-- > 0) continue;
        if (len) *len = rh->len;
        return rh + 1;
    }
    return NULL;
}

/* ---- carrying it across ---- */

int64_t px_handoff_send_begin(px_handoff *h)
{
    h->section = px_host_section_new(NULL, h->used, true, true, NULL, NULL);
    if (!h->section) return -LINUX_ENOMEM;
    wchar_t value[24];
    swprintf(value, PX_ARRAY_LEN(value), L"%llx", (unsigned long long)(uintptr_t)h->section);
    if (px_host_env_set_w(HANDOFF_VAR, value) < 0) {
        px_host_close(h->section);
        h->section = NULL;
        return -LINUX_ENOMEM;
    }
    return 0;
}

/* The file record's name parts, for messages. */
static const char *record_path(const file_record *fr, char *buf, size_t size)
{
    size_t n = fr->path_len < size - 1 ? fr->path_len : size - 1;
    memcpy(buf, fr + 1, n);
    buf[n] = 0;
    return n ? buf : "no name";
}

/* Duplicates the files' handles into process and writes the blob into the section. */
static int64_t deliver(px_handoff *h, void *process)
{
    size_t at = sizeof(blob_header);
    for (record_header *rh; (rh = next_record(h, &at));) {
        if (rh->tag != PX_HANDOFF_TAG_FILE) continue;
        file_record *fr = (file_record *)(rh + 1);
        if (!fr->handle) continue;
        px_host_handle remote = NULL;
        int64_t err = px_host_handle_dup((px_host_handle)(uintptr_t)fr->handle, process, false, &remote);
        if (err < 0) {
            char name[256];
            const char *errno_name = px_errno_name(-err);
            px_log("picolx: fd %d (%s) cannot be passed to the new process (%s): it is closed there",
                   fr->first_fd, record_path(fr, name, sizeof name), errno_name ? errno_name : "error");
            fr->kind = 0;
            remote = NULL;
        }
        fr->handle = (uint64_t)(uintptr_t)remote;
        remote = NULL;
        if (fr->aux_handle && fr->kind &&
            px_host_handle_dup((px_host_handle)(uintptr_t)fr->aux_handle, process, false, &remote) < 0) {
            char name[256];
            px_log("picolx: fd %d (%s) cannot be passed to the new process whole: it is closed there",
                   fr->first_fd, record_path(fr, name, sizeof name));
            fr->kind = 0;
            remote = NULL;
        }
        fr->aux_handle = (uint64_t)(uintptr_t)remote;
    }
    void *view = px_host_view_map(h->section, 0, h->used, NULL, true);
    if (!view) return -LINUX_ENOMEM;
    memcpy(view, h->buf, h->used);
    px_host_view_unmap(view);
    return 0;
}

int64_t px_handoff_send_end(px_handoff *h, void *process)
{
    px_host_env_set_w(HANDOFF_VAR, NULL); /* later children of this process get none */
    if (!h->section) return -LINUX_EINVAL;
    int64_t r = process ? deliver(h, process) : 0;
    px_host_close(h->section); /* the child has its own, inherited */
    h->section = NULL;
    return r;
}

int64_t px_handoff_send_to(px_handoff *h, void *process, uint64_t *remote_section)
{
    h->section = px_host_section_new(NULL, h->used, true, false, NULL, NULL);
    if (!h->section) return -LINUX_ENOMEM;
    px_host_handle remote = NULL;
    int64_t r = deliver(h, process);
    if (r == 0) r = px_host_handle_dup(h->section, process, false, &remote);
    px_host_close(h->section);
    h->section = NULL;
    if (r == 0) *remote_section = (uint64_t)(uintptr_t)remote;
    return r;
}

/* The blob in section (taken over: closed here), or NULL after a message. */
static px_handoff *receive_from(px_host_handle section)
{
    const uint8_t *view = px_host_view_map(section, 0, 0, NULL, false);
    px_handoff *h = NULL;
    if (view) {
        blob_header head;
        memcpy(&head, view, sizeof head);
        if (head.magic == HANDOFF_MAGIC && head.version == HANDOFF_VERSION && head.size >= sizeof head &&
            (h = px_calloc(1, sizeof *h)) && (h->buf = px_alloc((size_t)head.size))) {
            memcpy(h->buf, view, (size_t)head.size);
            h->used = h->cap = (size_t)head.size;
        } else if (h) {
            px_free(h);
            h = NULL;
        }
        px_host_view_unmap((void *)view);
    }
    px_host_close(section);
    if (!h) px_log("picolx: the state handed over by the parent process is unreadable");
    return h;
}

px_handoff *px_handoff_receive(void)
{
    wchar_t value[24];
    if (px_host_env_get_w(HANDOFF_VAR, value, PX_ARRAY_LEN(value)) <= 0) return NULL;
    px_host_env_set_w(HANDOFF_VAR, NULL); /* neither the guest nor its children see it */
    return receive_from((px_host_handle)(uintptr_t)wcstoull(value, NULL, 16));
}

px_handoff *px_handoff_receive_section(void *section)
{
    return receive_from(section);
}

/* ---- files ---- */

static size_t file_record_size(const file_record *fr)
{
    return sizeof *fr + fr->path_len + fr->point_len + fr->state_len;
}

/* proc, devfs and sysfs make their files anew from the path (the same text, the same device). */
static bool reopens_by_path(const px_file *f)
{
    const px_fs_type *t = f->mount ? f->mount->type : NULL;
    return f->guest_path && (t == &px_proc_fs_type || t == &px_devfs_type || t == &px_sysfs_type);
}

/* Adds f's record: 1, 0 when f cannot go (after a warning, unless the fd is O_CLOEXEC:
   a fork's child about to exec, as Go's and posix_spawn's are, would lose it anyway), or
   -LINUX_ENOMEM. */
static int64_t put_file(px_handoff *h, px_file *f, int fd, bool cloexec)
{
    const px_file_handoff *d = f->ops->handoff;
    if (!d && reopens_by_path(f)) d = &px_handoff_reopen;
    bool usable = d && (d->kind == PX_HANDOFF_REOPEN ? f->guest_path != NULL
                                                      : d->no_handle || d->handle_optional || f->handle != NULL);
    if (!usable) {
        if (!cloexec)
            px_log("picolx: fd %d (%s) cannot be passed to the new process: it is closed there", fd,
                   f->guest_path ? f->guest_path : "no name");
        return 0;
    }
    uint8_t state[PX_HANDOFF_STATE_MAX];
    size_t state_len = d->save ? d->save(f, state) : 0;
    const char *path = f->guest_path ? f->guest_path : "";
    const char *point = f->mount ? f->mount->point : "";
    file_record fr = {
        .handle = d->kind == PX_HANDOFF_REOPEN || d->no_handle ? 0 : (uint64_t)(uintptr_t)f->handle,
        .pos = f->pos,
        .status_flags = f->status_flags,
        .first_fd = fd,
        .kind = (uint8_t)d->kind,
        .is_dir = f->is_dir,
        .path_len = (uint32_t)strlen(path),
        .point_len = (uint32_t)strlen(point),
        .state_len = (uint32_t)state_len,
        /* files read and written at a position: both processes keep one */
        .lock_owner = f->lock.owner,
        .lock_owner_time = f->lock.owner_time,
        .pos_slot = (d == &px_nt_handoff || d == &px_lxfs_handoff || d == &px_memfd_handoff || d == &px_handoff_reopen) &&
                            !f->is_dir
                        ? px_fpos_share(f) : 0,
        .aux_handle = d->aux_handle ? (uint64_t)(uintptr_t)d->aux_handle(f) : 0,
    };
    size_t size = file_record_size(&fr);
    uint8_t *rec = px_alloc(size);
    if (!rec) return -LINUX_ENOMEM;
    memcpy(rec, &fr, sizeof fr);
    memcpy(rec + sizeof fr, path, fr.path_len);
    memcpy(rec + sizeof fr + fr.path_len, point, fr.point_len);
    memcpy(rec + sizeof fr + fr.path_len + fr.point_len, state, state_len);
    bool ok = px_handoff_put(h, PX_HANDOFF_TAG_FILE, rec, size);
    px_free(rec);
    return ok ? 1 : -LINUX_ENOMEM;
}

int64_t px_fd_handoff_export(px_handoff *h, bool for_exec)
{
    int end = px_fd_table_end();
    px_file **sent = px_calloc((size_t)end + 1, sizeof *sent); /* files with a record, by record index */
    if (!sent) return -LINUX_ENOMEM;
    uint32_t nsent = 0;
    int64_t r = 0;
    for (int fd = 0; fd < end && r >= 0; fd++) {
        px_file *f = px_fd_get(fd);
        if (!f) continue;
        bool cloexec = px_fd_get_cloexec(fd) == LINUX_FD_CLOEXEC;
        uint32_t index = 0;
        while (index < nsent && sent[index] != f) index++;
        if (for_exec && cloexec) {
            px_file_unref(f);
            continue;
        }
        if (index == nsent) { /* a description not seen yet (dup'ed fds share one) */
            r = put_file(h, f, fd, cloexec);
            if (r <= 0) {
                px_file_unref(f);
                continue;
            }
            sent[nsent++] = f; /* keeps the reference until the end */
        } else {
            px_file_unref(f);
        }
        fd_record fdr = {.fd = fd, .file = index, .cloexec = cloexec};
        if (!px_handoff_put(h, PX_HANDOFF_TAG_FD, &fdr, sizeof fdr)) r = -LINUX_ENOMEM;
    }
    for (uint32_t i = 0; i < nsent; i++) px_file_unref(sent[i]);
    px_free(sent);
    if (r < 0) return r;

    return px_fs_context_save(h);
}

/* A file of proc, devfs or sysfs (or an lxfs directory) opened again by its path, at
   the same position. */
static px_file *reopen_file(const px_handoff_file *hf)
{
    const uint32_t open_only = LINUX_O_CREAT | LINUX_O_EXCL | LINUX_O_TRUNC | LINUX_O_NOCTTY | LINUX_O_CLOEXEC;
    px_file *f = NULL;
    if (!hf->guest_path || px_vfs_open(LINUX_AT_FDCWD, hf->guest_path, hf->status_flags & ~open_only, 0, &f) < 0)
        return NULL;
    if (hf->pos && f->ops->lseek) f->ops->lseek(f, (int64_t)hf->pos, LINUX_SEEK_SET);
    return f;
}

const px_file_handoff px_handoff_reopen = {.kind = PX_HANDOFF_REOPEN, .rebuild = reopen_file};

static const px_file_handoff *const handoff_kinds[] = {
    &px_handoff_reopen, &px_nt_handoff, &px_lxfs_handoff, &px_pipe_handoff, &px_chardev_handoff, &px_console_handoff,
    &px_pipe_ring_handoff, &px_fifo_handoff, &px_eventfd_handoff, &px_timerfd_handoff,
    &px_signalfd_handoff,
    &px_memfd_handoff,
    &px_epoll_handoff,
    &px_unix_pair_handoff,
    &px_inet_handoff,
    &px_pty_handoff,
    &px_unix_named_handoff,
};

/* The file of one record in this process, or NULL after a warning. */
static px_file *rebuild_file(const file_record *fr)
{
    const char *names = (const char *)(fr + 1);
    char *path = fr->path_len ? px_alloc(fr->path_len + 1) : NULL;
    char point[PX_PATH_MAX];
    if (path) {
        memcpy(path, names, fr->path_len);
        path[fr->path_len] = 0;
    }
    size_t np = fr->point_len < sizeof point - 1 ? fr->point_len : sizeof point - 1;
    memcpy(point, names + fr->path_len, np);
    point[np] = 0;
    px_handoff_file hf = {
        .handle = (void *)(uintptr_t)fr->handle,
        .aux_handle = (void *)(uintptr_t)fr->aux_handle,
        .status_flags = fr->status_flags,
        .is_dir = fr->is_dir != 0,
        .pos = fr->pos,
        .guest_path = path,
        .mount = np ? px_vfs_mount_of_point(point) : NULL,
        .state = names + fr->path_len + fr->point_len,
        .state_len = fr->state_len,
    };
    const px_file_handoff *d = NULL;
    for (size_t i = 0; i < PX_ARRAY_LEN(handoff_kinds) && !d; i++)
        if (handoff_kinds[i]->kind == fr->kind) d = handoff_kinds[i];
    px_file *f = d ? d->rebuild(&hf) : NULL;
    if (!f) {
        px_host_close(hf.handle);
        if (hf.aux_handle) px_host_close(hf.aux_handle);
        if (fr->kind) /* a dropped one was reported by the sender */
            px_log("picolx: fd %d (%s) could not be rebuilt in the new process: it is closed", fr->first_fd,
                   path ? path : "no name");
        px_free(path);
        return NULL;
    }
    if (!f->guest_path) f->guest_path = path;
    else px_free(path);
    if (!f->mount) f->mount = hf.mount;
    f->is_dir = hf.is_dir;
    if (d->kind != PX_HANDOFF_REOPEN) f->pos = hf.pos;
    if (fr->pos_slot) px_fpos_adopt(f, fr->pos_slot);
    if (fr->lock_owner) { /* the same description: its flock and OFD locks are ours too */
        f->lock.owner = fr->lock_owner;
        f->lock.owner_time = fr->lock_owner_time;
    }
    return f;
}

void px_fd_handoff_close_all(void)
{
    for (int fd = 0, end = px_fd_table_end(); fd < end; fd++) px_fd_close(fd);
}

/* The fs context's record: the umask, then the cwd and the root, NUL-terminated. */
int64_t px_fs_context_save(px_handoff *h)
{
    char *fs = px_alloc(4 + 2 * PX_PATH_MAX);
    if (!fs) return -LINUX_ENOMEM;
    uint32_t mask = px_fs_umask();
    memcpy(fs, &mask, 4);
    int64_t nc = px_fs_cwd(fs + 4, PX_PATH_MAX);
    int64_t nr = nc >= 0 ? px_vfs_root(fs + 4 + nc + 1, PX_PATH_MAX) : nc;
    bool ok = nr >= 0 && px_handoff_put(h, PX_HANDOFF_TAG_FS, fs, 4 + (size_t)nc + 1 + (size_t)nr + 1);
    px_free(fs);
    return ok ? 0 : -LINUX_ENOMEM;
}

void px_fs_context_restore(const px_handoff *h)
{
    size_t len = 0;
    const char *fs = px_handoff_get(h, PX_HANDOFF_TAG_FS, 0, &len);
    if (!fs || len < 6 || fs[len - 1] != 0) return;
    uint32_t mask;
    memcpy(&mask, fs, 4);
    px_fs_set_umask(mask);
    const char *cwd = fs + 4;
    size_t nc = strlen(cwd) + 1;
    px_fs_set_cwd(cwd);
    if (4 + nc < len) px_vfs_set_root(cwd + nc);
}

int64_t px_fd_handoff_import(const px_handoff *h)
{
    px_fd_handoff_close_all(); /* fds 0-2 of the std handles */
    size_t nfiles = 0, at = sizeof(blob_header);
    for (record_header *rh; (rh = next_record(h, &at));) nfiles += rh->tag == PX_HANDOFF_TAG_FILE;
    px_file **files = px_calloc(nfiles + 1, sizeof *files);
    if (!files) return -LINUX_ENOMEM;
    /* the files first (all of them, in record order), then the fds that name them */
    size_t i = 0;
    at = sizeof(blob_header);
    for (record_header *rh; (rh = next_record(h, &at));) {
        if (rh->tag != PX_HANDOFF_TAG_FILE) continue;
        const file_record *fr = (const file_record *)(rh + 1);
        if (rh->len >= sizeof *fr && rh->len >= file_record_size(fr)) files[i] = rebuild_file(fr);
        i++;
    }
    at = sizeof(blob_header);
    for (record_header *rh; (rh = next_record(h, &at));) {
        const fd_record *fdr = (const fd_record *)(rh + 1);
        if (rh->tag != PX_HANDOFF_TAG_FD || rh->len < sizeof *fdr || fdr->file >= nfiles || !files[fdr->file]) continue;
        px_fd_install_at(px_file_ref(files[fdr->file]), fdr->fd, fdr->cloexec != 0);
    }
    for (i = 0; i < nfiles; i++) px_file_unref(files[i]);
    px_free(files);

    px_fs_context_restore(h);
    return 0;
}
