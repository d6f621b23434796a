/* fcntl F_NOTIFY (dnotify): SIGIO to the process when a watched directory changes (a
   handler's file: it sends signals, which the vfs layer below cannot).

   A watched directory's open file description gets a watcher: a host thread waiting on
   the host's change notifications of the directory (host_file.h, FindFirstChange-
   Notification) that sends SIGIO (si_code SI_KERNEL, as Linux's send_sigio without
   F_SETSIG) at each change, once unless DN_MULTISHOT. The host's notifications are
   coarser than Linux's events: DN_CREATE, DN_DELETE and DN_RENAME all watch the names
   (any of the three changes raises the signal for each), DN_MODIFY the size and write
   time, DN_ATTRIB the attributes, DN_ACCESS the access time. The watch ends with the
   description (its last fd closed) or a mask of 0. Only directories the host can watch
   (drvfs: its type's host_path) have it; on lxfs, the tmpfs and the pseudo file systems
   F_NOTIFY is EINVAL, as on a kernel without CONFIG_DNOTIFY. */
#include "fs/fs_internal.h"
#include "fs/vfs.h"
#include "host/host_file.h"
#include "host/host_sync.h"
#include "host/host_thread.h"
#include "kernel/signal.h"

#define DN_ACCESS 0x1u
#define DN_MODIFY 0x2u
#define DN_CREATE 0x4u
#define DN_DELETE 0x8u
#define DN_RENAME 0x10u
#define DN_ATTRIB 0x20u
#define DN_MULTISHOT 0x80000000u

typedef struct watch {
    struct watch *next;
    px_file *f;                 /* not a reference: the watch goes with f's release */
    const px_file_ops *inner;   /* f's own ops */
    px_file_ops ops;            /* f's, with release ending the watch */
    uint32_t mask;              /* atomic: the DN_* bits; 0 once a one-shot watch fired */
    px_host_handle change, stop, thread;
} watch;

static px_host_rwlock lock = PX_HOST_RWLOCK_INIT; /* guards watches */
static watch *watches;

static watch *watch_of(const px_file *f)
{
    for (watch *w = watches; w; w = w->next)
        if (w->f == f) return w;
    return NULL;
}

static void watcher_main(void *arg)
{
    watch *w = arg;
    px_host_handle both[2] = {w->stop, w->change};
    while (px_host_wait_any(2, both, UINT32_MAX) == 1) {
        uint32_t mask = __atomic_load_n(&w->mask, __ATOMIC_ACQUIRE);
        if (!mask) break;
        /* watching again first: under Wine a change made before the watch is renewed is
           lost, and sending the signal can take long on a loaded machine */
        bool again = (mask & DN_MULTISHOT) && px_host_dir_watch_again(w->change) == 0;
        struct linux_siginfo info = {.si_signo = LINUX_SIGIO, .si_code = LINUX_SI_KERNEL};
        px_signal_send_process(LINUX_SIGIO, &info);
        if (!(mask & DN_MULTISHOT)) {
            __atomic_store_n(&w->mask, 0, __ATOMIC_RELEASE);
            break;
        }
        if (!again) break;
    }
}

/* Ends w's thread and host watch (w is out of the list or about to be). */
static void end_watcher(watch *w)
{
    if (w->thread) {
        px_host_event_set(w->stop);
        px_host_wait(w->thread, UINT32_MAX);
        px_host_close(w->thread);
        w->thread = NULL;
    }
    if (w->change) px_host_dir_watch_end(w->change);
    w->change = NULL;
}

static void watched_release(px_file *f)
{
    px_host_rwlock_lock(&lock);
    watch **p = &watches;
    while (*p && (*p)->f != f) p = &(*p)->next;
    watch *w = *p;
    if (w) *p = w->next;
    px_host_rwlock_unlock(&lock);
    if (!w) return; /* cannot be: only watched files have this release */
    end_watcher(w);
    f->ops = w->inner;
    if (w->stop) px_host_close(w->stop);
    const px_file_ops *inner = w->inner;
    px_free(w);
    if (inner->release) inner->release(f);
}

static uint32_t host_kinds(uint32_t mask)
{
    uint32_t what = 0;
    if (mask & (DN_CREATE | DN_DELETE | DN_RENAME)) what |= PX_HOST_WATCH_NAMES;
    if (mask & DN_MODIFY) what |= PX_HOST_WATCH_WRITE;
    if (mask & DN_ATTRIB) what |= PX_HOST_WATCH_ATTRIBUTES;
    if (mask & DN_ACCESS) what |= PX_HOST_WATCH_ACCESS;
    return what;
}

/* (Re)starts w's watcher over the directory at path for mask. */
static int64_t start_watcher(watch *w, const wchar_t *path, uint32_t mask)
{
    end_watcher(w);
    px_host_event_reset(w->stop);
    __atomic_store_n(&w->mask, mask, __ATOMIC_RELEASE);
    w->change = px_host_dir_watch(path, host_kinds(mask));
    if (!w->change) return -LINUX_EINVAL;
    w->thread = px_host_thread_start(watcher_main, w, 64 * 1024);
    if (!w->thread) {
        px_host_dir_watch_end(w->change);
        w->change = NULL;
        return -LINUX_ENOMEM;
    }
    return 0;
}

int64_t px_fs_dnotify(int fd, uint32_t arg)
{
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r = 0;
    px_vfs_path *vp = NULL;
    wchar_t *path = NULL;
    uint32_t mask = arg & (DN_ACCESS | DN_MODIFY | DN_CREATE | DN_DELETE | DN_RENAME | DN_ATTRIB);
    if (!f->is_dir) r = -LINUX_ENOTDIR;
    else if (!(vp = px_alloc(sizeof *vp))) r = -LINUX_ENOMEM;
    else if (px_vfs_path_of_file(f, vp) < 0 || !vp->mount->type->host_path) r = -LINUX_EINVAL; /* no dnotify here */
    else if (mask && vp->mount->type->host_path(vp->mount, vp->rel, &path) < 0) r = -LINUX_EINVAL;
    if (r < 0) goto out;
    px_host_rwlock_lock(&lock);
    watch *w = watch_of(f);
    if (!mask) { /* no events: the watch stops (its thread ends, the file keeps its ops) */
        if (w) {
            __atomic_store_n(&w->mask, 0, __ATOMIC_RELEASE);
            end_watcher(w);
        }
    } else if (w) {
        r = start_watcher(w, path, mask | (arg & DN_MULTISHOT));
    } else if (!(w = px_calloc(1, sizeof *w)) || !(w->stop = px_host_event_new(true, false, false))) {
        px_free(w);
        r = -LINUX_ENOMEM;
    } else {
        w->f = f;
        w->inner = f->ops;
        w->ops = *f->ops;
        w->ops.release = watched_release;
        r = start_watcher(w, path, mask | (arg & DN_MULTISHOT));
        if (r < 0) {
            px_host_close(w->stop);
            px_free(w);
        } else {
            w->next = watches;
            watches = w;
            f->ops = &w->ops; /* the same ops but release: other threads see either */
        }
    }
    px_host_rwlock_unlock(&lock);
out:
    px_free(path);
    px_free(vp);
    px_file_unref(f);
    return r;
}
