/* epoll(7): epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait, epoll_pwait2.

   An epoll file keeps its interest list (fd, the open file description it named when
   added, events, data); a wait checks the files' readiness with poll.c's px_poll_check
   and blocks on their wake-up objects (px_poll_wait_on), as poll(2) does. Like Linux,
   the list does not keep a file open: an entry whose fd was closed, or now names another
   description, is dropped at the next wait (Linux drops it when the description's last
   fd closes; an entry reached only through a dup'ed fd is lost here).

   Level-triggered entries report while ready. EPOLLET entries report readiness that is
   new since they last reported, or any readiness once the file was read or written
   since (its io_gen moved): a program that reads or writes until EAGAIN, as
   edge-triggered programs must, is told of every change; a ready entry that was told is
   left out of the wait's objects (it would wake the wait at once) and re-checked every
   EDGE_RECHECK_NS. EPOLLONESHOT disables an entry after one report, until EPOLL_CTL_MOD.
   EPOLLEXCLUSIVE and EPOLLWAKEUP are accepted and have no effect. An epoll file in an
   epoll set or in poll is readable while any of its entries would report.

   An epoll fd handed to another process (fork, execve into a new process) goes as a
   copy of its interest list (fds, events, data, EPOLLONESHOT's state), each entry
   finding its file by fd there at the first epoll_ctl or wait: the two lists are one on
   Linux, so an epoll_ctl in one process is not seen by the other here. */
#include "core/uaccess.h"
#include "fs/fd_handoff.h"
#include "fs/fs_internal.h"
#include "host/host_sync.h"
#include "kernel/block.h"
#include "linux_event.h"

#define EPOLL_MAX_EVENTS (0x7fffffff / 12) /* Linux's EP_MAX_EVENTS */
#define EDGE_RECHECK_NS (10 * 1000000ll)
#define EVENT_BITS (LINUX_EPOLLIN | LINUX_EPOLLPRI | LINUX_EPOLLOUT | LINUX_EPOLLERR | LINUX_EPOLLHUP | \
                    LINUX_EPOLLRDNORM | LINUX_EPOLLRDBAND | LINUX_EPOLLWRNORM | LINUX_EPOLLWRBAND | \
                    LINUX_EPOLLMSG | LINUX_EPOLLRDHUP)

typedef struct interest {
    int fd;
    px_file *file;      /* not a reference: compared with what fd names now; NULL: handed
                           over, the file is what fd names at the first look (resolve) */
    uint32_t events;    /* EVENT_BITS and the EPOLLET/ONESHOT/... flags */
    uint64_t data;
    uint32_t told;      /* EPOLLET: the readiness last reported */
    uint32_t told_gen;  /* EPOLLET: the file's io_gen then */
    bool disabled;      /* EPOLLONESHOT, reported */
} interest;

typedef struct epoll_state {
    px_host_rwlock lock;
    interest *items;    /* lock */
    size_t count, cap;  /* lock */
} epoll_state;

static const px_file_ops epoll_ops;

static bool is_epoll(const px_file *f) { return f->ops == &epoll_ops; }

/* Entries handed over (lock held): their file is what their fd names now, or they go. */
static void resolve(epoll_state *s)
{
    for (size_t i = 0; i < s->count;) {
        interest *it = &s->items[i];
        if (it->file) {
            i++;
            continue;
        }
        px_file *now = px_fd_get(it->fd);
        if (!now) {
            s->items[i] = s->items[--s->count];
            continue;
        }
        it->file = now;
        px_file_unref(now);
        i++;
    }
}

static interest *find(epoll_state *s, int fd, px_file *file)
{
    for (size_t i = 0; i < s->count; i++)
        if (s->items[i].fd == fd && s->items[i].file == file) return &s->items[i];
    return NULL;
}

/* What an entry reports now, given the events its file has (revents); 0 for nothing. */
static uint32_t reportable(const interest *it, uint32_t revents)
{
    if (it->disabled || !revents) return 0;
    if (!(it->events & LINUX_EPOLLET)) return revents;
    uint32_t gen = __atomic_load_n(&it->file->io_gen, __ATOMIC_ACQUIRE);
    return (revents & ~it->told) || gen != it->told_gen ? revents : 0;
}

/* One look at every entry (lock held): up to max events into out, entries reported as
   the flags say (and marked told unless peek); entries whose fd no
   longer names their file dropped. The wait's objects of the entries that did not
   report go into w (when w is given). */
static size_t collect(epoll_state *s, struct linux_epoll_event *out, size_t max, px_wait_on *w, bool peek)
{
    size_t n = 0;
    if (w) *w = (px_wait_on){.retry_ns = -1};
    resolve(s);
    for (size_t i = 0; i < s->count;) {
        interest *it = &s->items[i];
        px_file *now = px_fd_get(it->fd);
        if (now != it->file) { /* closed, or the fd names another file now */
            if (now) px_file_unref(now);
            s->items[i] = s->items[--s->count];
            continue;
        }
        px_poll_entry e = {.file = now, .events = (uint16_t)(it->events & EVENT_BITS)};
        px_poll_check(&e, 1);
        uint32_t revents = e.revents;
        uint32_t report = reportable(it, revents);
        bool reported = report && n < max;
        if (reported) {
            out[n].events = report;
            out[n].data = it->data;
            n++;
            if (!peek) { /* told (poll of the epoll fd only looks) */
                it->told = revents;
                it->told_gen = __atomic_load_n(&now->io_gen, __ATOMIC_ACQUIRE);
                if (it->events & LINUX_EPOLLONESHOT) it->disabled = true;
            }
        } else if (w && !it->disabled) {
            if (revents && !report) {
                /* told already: its object would fire at once; looked at again soon */
                if (w->retry_ns < 0 || w->retry_ns > EDGE_RECHECK_NS) w->retry_ns = EDGE_RECHECK_NS;
            } else if (!revents) {
                it->told = 0; /* not ready: its next readiness is new */
                px_wait_on one;
                px_poll_wait_on(&e, 1, &one);
                bool fits = one.n <= PX_WAIT_MAX_HANDLES - w->n;
                for (size_t k = 0; fits && k < one.n; k++) w->handles[w->n++] = one.handles[k];
                int64_t retry = fits ? one.retry_ns : 1000000; /* no room: re-checked */
                if (retry > 0 && (w->retry_ns < 0 || retry < w->retry_ns)) w->retry_ns = retry;
            }
        }
        px_file_unref(now);
        i++;
    }
    return n;
}

static uint32_t epoll_poll(px_file *f, uint32_t events)
{
    epoll_state *s = f->data;
    struct linux_epoll_event ev;
    px_host_rwlock_lock(&s->lock);
    size_t n = collect(s, &ev, 1, NULL, true); /* a look: the entries stay untold */
    px_host_rwlock_unlock(&s->lock);
    (void)events;
    return n ? LINUX_POLLIN | LINUX_POLLRDNORM : 0;
}

static int64_t epoll_stat(px_file *f, px_stat_info *st)
{
    (void)f;
    return px_anon_inode_stat(st, 2); /* Linux's [eventpoll] */
}

static void epoll_release(px_file *f)
{
    epoll_state *s = f->data;
    px_free(s->items);
    px_free(s);
}

/* One entry in the hand-over's state. */
typedef struct handed_interest {
    int32_t fd;
    uint32_t events;
    uint64_t data;
    uint32_t disabled;
    uint32_t pad;
} handed_interest;
_Static_assert(sizeof(handed_interest) == 24, "handed_interest layout");

static size_t epoll_handoff_save(px_file *f, void *state)
{
    epoll_state *s = f->data;
    handed_interest *out = state;
    size_t room = PX_HANDOFF_STATE_MAX / sizeof *out, n = 0;
    px_host_rwlock_lock(&s->lock);
    resolve(s);
    for (size_t i = 0; i < s->count && n < room; i++)
        out[n++] = (handed_interest){.fd = s->items[i].fd, .events = s->items[i].events, .data = s->items[i].data,
                                     .disabled = s->items[i].disabled};
    if (s->count > room)
        px_log("picolx: an epoll set of %llu fds goes to the new process with its first %llu only", (unsigned long long)s->count, (unsigned long long)room);
    px_host_rwlock_unlock(&s->lock);
    return n * sizeof *out;
}

static px_file *epoll_handoff_rebuild(const px_handoff_file *hf);
const px_file_handoff px_epoll_handoff = {
    .kind = PX_HANDOFF_EPOLL, .no_handle = true, .save = epoll_handoff_save, .rebuild = epoll_handoff_rebuild};

static const px_file_ops epoll_ops = {
    .poll = epoll_poll, .poll_recheck_ns = 1000000, .stat = epoll_stat, .release = epoll_release,
    .handoff = &px_epoll_handoff,
};

static px_file *epoll_file(uint32_t status_flags)
{
    epoll_state *s = px_calloc(1, sizeof *s);
    px_file *f = s ? px_file_new(&epoll_ops, NULL, status_flags) : NULL;
    char *name = f ? px_strdup("anon_inode:[eventpoll]") : NULL;
    if (!name) {
        px_free(s);
        px_free(f);
        return NULL;
    }
    px_host_rwlock_init(&s->lock);
    f->data = s;
    f->guest_path = name;
    return f;
}

static px_file *epoll_handoff_rebuild(const px_handoff_file *hf)
{
    size_t n = hf->state_len / sizeof(handed_interest);
    if (hf->state_len % sizeof(handed_interest)) return NULL;
    px_file *f = epoll_file(hf->status_flags);
    if (!f) return NULL;
    epoll_state *s = f->data;
    s->items = n ? px_calloc(n, sizeof *s->items) : NULL;
    if (n && !s->items) {
        px_file_unref(f);
        return NULL;
    }
    const handed_interest *in = hf->state;
    for (size_t i = 0; i < n; i++) {
        handed_interest h;
        memcpy(&h, in + i, sizeof h);
        s->items[i] = (interest){.fd = h.fd, .events = h.events, .data = h.data, .disabled = h.disabled != 0};
    }
    s->count = s->cap = n;
    return f;
}

static int64_t make_epoll(uint32_t flags)
{
    if (flags & ~(uint32_t)LINUX_EPOLL_CLOEXEC) return -LINUX_EINVAL;
    px_file *f = epoll_file(LINUX_O_RDWR);
    if (!f) return -LINUX_ENOMEM;
    int64_t r = px_fd_install(f, 0, (flags & LINUX_EPOLL_CLOEXEC) != 0);
    if (r < 0) px_file_unref(f);
    return r;
}

/* epoll_create(2): size is only checked, as Linux */
PX_SYSCALL(epoll_create)
{
    int size = (int)PX_ARG0;
    if (size <= 0) return -LINUX_EINVAL;
    return make_epoll(0);
}

/* epoll_create1(2) */
PX_SYSCALL(epoll_create1)
{
    return make_epoll((uint32_t)PX_ARG0);
}

/* Whether a file can be watched: Linux refuses regular files and directories (EPERM). */
static bool watchable(px_file *f)
{
    if (f->is_dir) return false;
    px_stat_info st;
    if (f->ops->stat && f->ops->stat(f, &st) == 0 && (st.mode & LINUX_S_IFMT) == LINUX_S_IFREG) return false;
    return true;
}

/* epoll_ctl(2) */
PX_SYSCALL(epoll_ctl)
{
    int epfd = (int)PX_ARG0, op = (int)PX_ARG1, fd = (int)PX_ARG2;
    uint64_t event_ptr = PX_ARG3;
    struct linux_epoll_event ev = {0};
    if (op != LINUX_EPOLL_CTL_DEL && PX_GET(&ev, event_ptr) < 0) return -LINUX_EFAULT;
    px_file *ep = px_fd_get(epfd);
    if (!ep) return -LINUX_EBADF;
    px_file *f = px_fd_get(fd);
    int64_t r = 0;
    if (!f) r = -LINUX_EBADF;
    else if (!is_epoll(ep) || f == ep) r = -LINUX_EINVAL;
    else if (!watchable(f)) r = -LINUX_EPERM;
    else if (op != LINUX_EPOLL_CTL_ADD && op != LINUX_EPOLL_CTL_DEL && op != LINUX_EPOLL_CTL_MOD) r = -LINUX_EINVAL;
    else if ((ev.events & LINUX_EPOLLEXCLUSIVE) && op == LINUX_EPOLL_CTL_MOD) r = -LINUX_EINVAL;
    else if (is_epoll(f) && (ev.events & LINUX_EPOLLEXCLUSIVE)) r = -LINUX_EINVAL;
    if (r < 0) {
        if (f) px_file_unref(f);
        px_file_unref(ep);
        return r;
    }
    epoll_state *s = ep->data;
    px_host_rwlock_lock(&s->lock);
    resolve(s);
    interest *it = find(s, fd, f);
    /* EPOLLERR and EPOLLHUP are always reported, as Linux adds them */
    uint32_t events = ev.events | LINUX_EPOLLERR | LINUX_EPOLLHUP;
    if (op == LINUX_EPOLL_CTL_ADD) {
        if (it) {
            r = -LINUX_EEXIST;
        } else {
            if (s->count == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 8;
                interest *grown = px_realloc(s->items, cap * sizeof *grown);
                if (grown) s->items = grown, s->cap = cap;
            }
            if (s->count == s->cap) r = -LINUX_ENOMEM;
            else s->items[s->count++] = (interest){.fd = fd, .file = f, .events = events, .data = ev.data};
        }
    } else if (!it) {
        r = -LINUX_ENOENT;
    } else if (op == LINUX_EPOLL_CTL_DEL) {
        *it = s->items[--s->count];
    } else if (it->events & LINUX_EPOLLEXCLUSIVE) {
        r = -LINUX_EINVAL; /* Linux: an exclusive entry cannot be modified */
    } else {
        *it = (interest){.fd = fd, .file = f, .events = events, .data = ev.data};
    }
    px_host_rwlock_unlock(&s->lock);
    px_file_unref(f);
    px_file_unref(ep);
    return r;
}

/* The common part of the waits: up to maxevents events into the guest's array. */
static int64_t do_wait(int epfd, uint64_t events_ptr, int maxevents, const px_deadline *deadline)
{
    if (maxevents <= 0 || maxevents > EPOLL_MAX_EVENTS) return -LINUX_EINVAL;
    size_t max = (size_t)maxevents;
    if (!px_guest_range_ok(events_ptr, max * sizeof(struct linux_epoll_event))) return -LINUX_EFAULT;
    px_file *ep = px_fd_get(epfd);
    if (!ep) return -LINUX_EBADF;
    if (!is_epoll(ep)) {
        px_file_unref(ep);
        return -LINUX_EINVAL;
    }
    epoll_state *s = ep->data;
    size_t batch = max < 256 ? max : 256;
    struct linux_epoll_event *out = px_alloc(batch * sizeof *out);
    int64_t r = out ? 0 : -LINUX_ENOMEM;
    while (r == 0) {
        px_wait_on w;
        px_host_rwlock_lock(&s->lock);
        size_t n = collect(s, out, batch, &w, false);
        px_host_rwlock_unlock(&s->lock);
        if (n) {
            r = px_copy_out(events_ptr, out, n * sizeof *out) < 0 ? -LINUX_EFAULT : (int64_t)n;
            break;
        }
        if (px_deadline_left(deadline, px_deadline_now(deadline)) == 0) break;
        int got = px_block_on(&w, deadline);
        if (got == PX_BLOCK_INTERRUPTED) r = -LINUX_EINTR; /* epoll_wait never restarts */
        else if (got == PX_BLOCK_FAILED) r = -LINUX_EINVAL;
        else if (got == PX_BLOCK_TIMEDOUT) break;
    }
    px_free(out);
    px_file_unref(ep);
    return r;
}

static px_deadline deadline_of_ms(int timeout_ms)
{
    return timeout_ms < 0 ? px_deadline_never()
                          : px_deadline_after(px_clock_monotonic_ns(), (int64_t)timeout_ms * 1000000);
}

/* epoll_wait(2) */
PX_SYSCALL(epoll_wait)
{
    px_deadline d = deadline_of_ms((int)PX_ARG3);
    return do_wait((int)PX_ARG0, PX_ARG1, (int)PX_ARG2, &d);
}

/* epoll_pwait(2): the signal mask is checked for size; like ppoll's it is not applied */
PX_SYSCALL(epoll_pwait)
{
    uint64_t sigmask = PX_ARG4, sigsetsize = PX_ARG5;
    if (sigmask && sigsetsize != 8) return -LINUX_EINVAL;
    px_deadline d = deadline_of_ms((int)PX_ARG3);
    return do_wait((int)PX_ARG0, PX_ARG1, (int)PX_ARG2, &d);
}

/* epoll_pwait2(2): a timespec timeout (NULL: forever) */
PX_SYSCALL(epoll_pwait2)
{
    uint64_t tsp = PX_ARG3, sigmask = PX_ARG4, sigsetsize = PX_ARG5;
    if (sigmask && sigsetsize != 8) return -LINUX_EINVAL;
    px_deadline d;
    int64_t r = px_deadline_of_timespec(tsp, &d);
    if (r < 0) return r;
    return do_wait((int)PX_ARG0, PX_ARG1, (int)PX_ARG2, &d);
}
