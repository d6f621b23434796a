/* socket(2)'s AF_UNIX sockets before they are connected: bind to a path (a socket node
   made in the file system) or an abstract name, listen, connect and accept, for
   SOCK_STREAM and SOCK_SEQPACKET. A connection is a crossed ring pair (unix_pair.c): the
   connecting socket becomes one end of it (px_unix_become), accept makes the other.

   The rendezvous is a named section per bound name, "Local\picolx-unix-<key>" (key: the
   node's device and inode, or a hash of the abstract name), made at bind and held by
   every file of the socket (fork and execve hand it on), so it lives exactly as long as
   the socket: listen_shared, the listener's queue of connections not yet accepted, and
   a manual-reset event "<name>-e", set while the queue holds any. connect makes the pair,
   parks the accepting side's ring ends in the keeper (the process that listened, or one
   that took over from it when it ended: px_pipe_ring_park_ends), so that a client that
   connects, writes and exits before the accept loses nothing, and queues them with its
   credentials and name; accept moves them out of the keeper into its own process.

   Not here yet: datagram sockets with names (bind, connect and sendto of SOCK_DGRAM:
   EOPNOTSUPP), SCM_RIGHTS and SCM_CREDENTIALS, a listener's close refusing the
   connections still queued (their clients see no ECONNRESET), and the socket file's
   permissions on connect. */
#include <stdio.h>
#include "core/cred.h"
#include "core/errors.h"
#include "fs/fd_handoff.h"
#include "fs/pipe_ring.h"
#include "fs/shared_lock.h"
#include "fs/vfs.h"
#include "host/host_mem.h"
#include "host/host_process.h"
#include "host/host_random.h"
#include "host/host_sync.h"
#include "kernel/kernel.h"
#include "net/socket.h"
#include "task/process.h"

#define QUEUE_MAX 64u             /* connections waiting at once (SOMAXCONN is 4096; 64 suffice here) */
#define LISTEN_SIZE (64u * 1024u)
#define CONN_RING_CAPACITY (256u * 1024u)
#define FULL_RETRY_NS (10 * 1000000ll) /* a connect to a full queue looks again this often */
#define SOCKFS_DEV 8u

typedef struct pending {
    px_ring_parcel parcel;        /* the accepting side's ring ends, parked in the keeper */
    struct linux_ucred cred;      /* the connecting process's */
    uint32_t name_len;            /* the connecting socket's name (0: unnamed) */
    uint8_t name[PX_UNIX_ADDR_MAX];
} pending;

typedef struct listen_shared {
    uint32_t lock;                /* px_shared_lock: everything below */
    uint32_t listening;
    uint32_t keeper_host_pid;     /* whose handles the queued connections' are */
    int32_t type;
    uint32_t backlog;
    uint32_t head, count;         /* the queue: count entries from head, in order */
    struct linux_ucred cred;      /* the listener's, for a connecting side's SO_PEERCRED */
    uint32_t name_len;            /* the bound name, for a connecting side's getpeername */
    uint8_t name[PX_UNIX_ADDR_MAX];
    pending queue[QUEUE_MAX];
} listen_shared;
_Static_assert(sizeof(listen_shared) <= LISTEN_SIZE, "the queue fits its section");

typedef struct named_sock {
    int type;
    uint32_t name_len;            /* 0: not bound */
    uint8_t name[PX_UNIX_ADDR_MAX];
    char key[48];                 /* the objects' name, once bound */
    px_host_handle section;       /* the file's handle too: it goes to new processes with it */
    px_host_handle event;
    listen_shared *sh;
    uint64_t ino;
    bool passcred;
} named_sock;

static const px_file_ops named_ops;
static uint64_t next_ino = 1u << 30;

static named_sock *sock_of(px_file *f) { return f->data; }

static bool connection_type(int type) { return type == LINUX_SOCK_STREAM || type == LINUX_SOCK_SEQPACKET; }

static void wide(const char *s, const char *suffix, wchar_t *out, size_t cap)
{
    size_t n = 0;
    for (; *s && n + 1 < cap; s++) out[n++] = (wchar_t)*s;
    for (; *suffix && n + 1 < cap; suffix++) out[n++] = (wchar_t)*suffix;
    out[n] = 0;
}

static struct linux_ucred my_cred(void)
{
    const struct px_cred *c = px_current_cred();
    return (struct linux_ucred){.pid = px_kernel_self()->process->tgid, .uid = c->euid, .gid = c->egid};
}

/* --- addresses --- */

/* A sockaddr_un: its path (NUL-ended into path) or abstract name (*abstract, the bytes
   after the leading NUL in name[1..len)). 0, or -LINUX_EINVAL. */
static int64_t parse_address(const void *addr, uint32_t len, char *path, size_t path_cap, bool *abstract)
{
    uint16_t family;
    if (len < sizeof family) return -LINUX_EINVAL;
    memcpy(&family, addr, sizeof family);
    if (family != LINUX_AF_UNIX) return -LINUX_EINVAL;
    if (len > PX_UNIX_ADDR_MAX) return -LINUX_EINVAL;
    const char *p = (const char *)addr + sizeof family;
    size_t n = len - sizeof family;
    *abstract = n > 0 && p[0] == 0;
    if (*abstract) return 0;
    size_t k = 0;
    while (k < n && p[k]) k++;
    if (k == 0 || k >= path_cap) return -LINUX_EINVAL;
    memcpy(path, p, k);
    path[k] = 0;
    return 0;
}

static void key_of_name(const uint8_t *name, uint32_t len, char *key, size_t cap)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (uint32_t i = 0; i < len; i++) h = (h ^ name[i]) * 0x100000001b3ull;
    snprintf(key, cap, "Local\\picolx-unix-a%016llx", (unsigned long long)h);
}

static void key_of_node(const px_stat_info *st, char *key, size_t cap)
{
    snprintf(key, cap, "Local\\picolx-unix-p%llx-%llx", (unsigned long long)st->dev, (unsigned long long)st->ino);
}

/* The socket node at path: its key, or -LINUX_ENOENT and the like; ECONNREFUSED when it is no socket. */
static int64_t key_of_path(const char *path, char *key, size_t cap)
{
    px_vfs_path *vp = px_alloc(sizeof *vp);
    if (!vp) return -LINUX_ENOMEM;
    px_stat_info st;
    int64_t r = px_vfs_resolve(LINUX_AT_FDCWD, path, 0, vp);
    if (r == 0) r = px_vfs_stat(vp, &st);
    px_free(vp);
    if (r < 0) return r;
    if ((st.mode & LINUX_S_IFMT) != LINUX_S_IFSOCK) return -LINUX_ECONNREFUSED;
    key_of_node(&st, key, cap);
    return 0;
}

/* --- the shared objects of a name --- */

static int64_t map_objects(named_sock *s, const char *key, bool create)
{
    wchar_t name[80];
    wide(key, "", name, PX_ARRAY_LEN(name));
    bool existed = false;
    px_host_handle section = create ? px_host_section_new(NULL, LISTEN_SIZE, true, false, name, &existed)
                                    : px_host_section_open(name, true);
    if (!section) return create ? -LINUX_ENOMEM : -LINUX_ECONNREFUSED;
    if (existed) {
        px_host_close(section);
        return -LINUX_EADDRINUSE; /* an abstract name another socket holds */
    }
    listen_shared *sh = px_host_view_map(section, 0, LISTEN_SIZE, NULL, true);
    wide(key, "-e", name, PX_ARRAY_LEN(name));
    px_host_handle event = sh ? px_host_event_named(name, true, NULL) : NULL;
    if (!event) {
        if (sh) px_host_view_unmap(sh);
        px_host_close(section);
        return -LINUX_ENOMEM;
    }
    s->section = section;
    s->sh = sh;
    s->event = event;
    snprintf(s->key, sizeof s->key, "%s", key);
    return 0;
}

/* The keeper, to park handles in or take them from (release it with close_keeper): if
   it has ended, this process takes its place (when it holds the socket: take_over).
   NULL when there is none. The keeper is most often this very process: no host call. */
static px_host_handle open_keeper(listen_shared *sh, bool take_over)
{
    uint32_t pid = __atomic_load_n(&sh->keeper_host_pid, __ATOMIC_ACQUIRE);
    if (pid == px_host_pid()) return px_host_self();
    px_host_handle h = pid ? px_host_process_open_for_handles(pid) : NULL;
    if (h && px_host_wait(h, 0) == PX_HOST_TIMED_OUT) return h;
    if (h) px_host_close(h);
    if (!take_over) return NULL;
    /* what it kept went with it: those connections are lost, the queue starts again */
    px_shared_lock(&sh->lock);
    if (__atomic_load_n(&sh->keeper_host_pid, __ATOMIC_RELAXED) == pid) {
        sh->keeper_host_pid = px_host_pid();
        sh->count = 0;
    }
    px_shared_unlock(&sh->lock);
    pid = __atomic_load_n(&sh->keeper_host_pid, __ATOMIC_ACQUIRE);
    return pid == px_host_pid() ? px_host_self() : px_host_process_open_for_handles(pid);
}

static void close_keeper(px_host_handle keeper)
{
    if (keeper && keeper != px_host_self()) px_host_close(keeper);
}

/* --- bind, listen --- */

/* A node bind made and must not keep. */
static void unlink_node(const char *path)
{
    px_vfs_path *vp = px_alloc(sizeof *vp);
    if (vp && px_vfs_resolve(LINUX_AT_FDCWD, path, 0, vp) == 0 && vp->mount->type->unlink)
        vp->mount->type->unlink(vp->mount, vp->rel);
    px_free(vp);
}

static int64_t named_bind(px_file *f, const void *addr, uint32_t len)
{
    named_sock *s = sock_of(f);
    if (s->type == LINUX_SOCK_DGRAM) return -LINUX_EOPNOTSUPP; /* named datagram sockets: not yet */
    char path[PX_UNIX_ADDR_MAX + 1];
    bool abstract = false;
    uint8_t name[PX_UNIX_ADDR_MAX];
    uint32_t name_len = len;
    if (len == sizeof(uint16_t)) { /* autobind: an abstract name of five hex digits, as Linux's */
        uint32_t v;
        px_host_random(&v, sizeof v);
        uint16_t family = LINUX_AF_UNIX;
        memcpy(name, &family, sizeof family);
        name[2] = 0;
        snprintf((char *)name + 3, 6, "%05x", v & 0xfffff);
        name_len = 8;
        abstract = true;
    } else {
        int64_t r = parse_address(addr, len, path, sizeof path, &abstract);
        if (r < 0) return r;
        memcpy(name, addr, len);
        if (!abstract) name_len = (uint32_t)(sizeof(uint16_t) + strlen(path) + 1); /* as Linux gives it back */
    }
    char key[48];
    if (abstract) {
        key_of_name(name + 2, name_len - 2, key, sizeof key);
    } else {
        /* the node: EADDRINUSE when the name is taken, whatever it is */
        int64_t r = px_vfs_mknod(LINUX_AT_FDCWD, path, LINUX_S_IFSOCK | 0777, 0);
        if (r == -LINUX_EEXIST) return -LINUX_EADDRINUSE;
        if (r < 0) return r;
        /* Linux makes the node before it looks at the socket: a bound one takes it back */
        if (s->name_len || (r = key_of_path(path, key, sizeof key)) < 0) {
            unlink_node(path);
            return s->name_len ? -LINUX_EINVAL : r;
        }
    }
    int64_t r = s->name_len ? -LINUX_EINVAL : map_objects(s, key, true);
    if (r < 0) {
        if (!abstract) unlink_node(path);
        return r;
    }
    listen_shared *sh = s->sh;
    sh->type = s->type;
    sh->cred = my_cred();
    sh->name_len = name_len;
    memcpy(sh->name, name, name_len);
    memcpy(s->name, name, name_len);
    s->name_len = name_len;
    f->handle = s->section;
    return 0;
}

static int64_t named_listen(px_file *f, int backlog)
{
    named_sock *s = sock_of(f);
    if (!connection_type(s->type)) return -LINUX_EOPNOTSUPP;
    if (!s->name_len) return -LINUX_EINVAL; /* unbound (Linux autobinds only on connect and send) */
    listen_shared *sh = s->sh;
    px_shared_lock(&sh->lock);
    sh->backlog = backlog < 1 ? 1 : (uint32_t)backlog > QUEUE_MAX ? QUEUE_MAX : (uint32_t)backlog;
    if (!sh->listening) {
        sh->keeper_host_pid = px_host_pid();
        sh->cred = my_cred();
        sh->listening = 1;
    }
    px_shared_unlock(&sh->lock);
    return 0;
}

/* --- connect --- */

static int64_t named_connect(px_file *f, const void *addr, uint32_t len, bool nonblock)
{
    named_sock *s = sock_of(f);
    if (!connection_type(s->type)) return -LINUX_EOPNOTSUPP; /* a datagram's peer: not yet */
    if (s->sh && s->sh->listening) return -LINUX_EINVAL;
    char path[PX_UNIX_ADDR_MAX + 1], key[48];
    bool abstract = false;
    int64_t r = parse_address(addr, len, path, sizeof path, &abstract);
    if (r < 0) return r;
    if (abstract) key_of_name((const uint8_t *)addr + 2, len - 2, key, sizeof key);
    else if ((r = key_of_path(path, key, sizeof key)) < 0) return r;
    named_sock peer = {0};
    if ((r = map_objects(&peer, key, false)) < 0) return r;
    listen_shared *sh = peer.sh;
    px_host_handle keeper = NULL;
    px_file *rx[2] = {NULL, NULL}, *tx[2] = {NULL, NULL};
    if (!__atomic_load_n(&sh->listening, __ATOMIC_ACQUIRE)) r = -LINUX_ECONNREFUSED;
    else if (sh->type != s->type) r = -LINUX_EPROTOTYPE;
    else if (!(keeper = open_keeper(sh, false))) r = -LINUX_ECONNREFUSED; /* nobody holds it any more */
    else if (__atomic_load_n(&sh->count, __ATOMIC_RELAXED) >= sh->backlog) r = nonblock ? -LINUX_EAGAIN : PX_WOULD_BLOCK;
    else r = px_pipe_ring_create_crossed(rx, tx, s->type != LINUX_SOCK_STREAM, CONN_RING_CAPACITY);
    pending p = {.cred = my_cred(), .name_len = s->name_len};
    memcpy(p.name, s->name, s->name_len);
    if (r == 0) r = px_pipe_ring_park_ends(rx[1], tx[1], keeper, &p.parcel);
    if (r == 0) {
        px_shared_lock(&sh->lock);
        if (!sh->listening || sh->count >= sh->backlog || sh->count >= QUEUE_MAX) {
            r = !sh->listening ? -LINUX_ECONNREFUSED : nonblock ? -LINUX_EAGAIN : PX_WOULD_BLOCK;
        } else {
            sh->queue[(sh->head + sh->count) % QUEUE_MAX] = p;
            sh->count++;
            px_host_event_set(peer.event);
        }
        px_shared_unlock(&sh->lock);
        if (r < 0 || r == PX_WOULD_BLOCK) px_pipe_ring_drop_parcel(&p.parcel, keeper);
    }
    if (rx[1]) px_file_unref(rx[1]), px_file_unref(tx[1]); /* parked, or given up */
    px_file *made = NULL;
    if (r == 0) {
        made = px_unix_connected_file(s->type, rx[0], tx[0], 0, &sh->cred, s->name, s->name_len, sh->name, sh->name_len);
        if (!made) r = -LINUX_ENOMEM;
    }
    if (!made && rx[0]) px_file_unref(rx[0]), px_file_unref(tx[0]);
    close_keeper(keeper);
    px_host_view_unmap(peer.sh);
    px_host_close(peer.section);
    px_host_close(peer.event);
    if (r != 0) return r;
    /* the socket is the connection now, in every fd of it */
    if (s->sh) px_host_view_unmap(s->sh);
    if (s->section) px_host_close(s->section);
    if (s->event) px_host_close(s->event);
    px_free(s);
    px_unix_become(f, made);
    return 0;
}

/* --- accept --- */

static int64_t named_accept(px_file *f, uint32_t status_flags, bool nonblock, px_file **out, void *addr, uint32_t *len)
{
    named_sock *s = sock_of(f);
    if (!connection_type(s->type)) return -LINUX_EOPNOTSUPP;
    listen_shared *sh = s->sh;
    if (!sh || !sh->listening) return -LINUX_EINVAL;
    for (;;) {
        px_host_handle keeper = open_keeper(sh, true);
        if (!keeper) return -LINUX_ENOMEM;
        pending p;
        bool got = false;
        px_shared_lock(&sh->lock);
        if (sh->count) {
            p = sh->queue[sh->head];
            sh->head = (sh->head + 1) % QUEUE_MAX;
            sh->count--;
            got = true;
        }
        if (!sh->count) px_host_event_reset(s->event);
        px_shared_unlock(&sh->lock);
        if (!got) {
            close_keeper(keeper);
            return nonblock ? -LINUX_EAGAIN : PX_WOULD_BLOCK;
        }
        px_file *rx, *tx;
        int64_t r = px_pipe_ring_unpark_ends(&p.parcel, keeper, &rx, &tx);
        close_keeper(keeper);
        if (r < 0) continue; /* its keeper ended with it: the next */
        px_file *c = px_unix_connected_file(s->type, rx, tx, status_flags, &p.cred, s->name, s->name_len, p.name,
                                            p.name_len);
        if (!c) {
            px_file_unref(rx);
            px_file_unref(tx);
            return -LINUX_ENOMEM;
        }
        uint16_t family = LINUX_AF_UNIX;
        memcpy(addr, &family, sizeof family);
        *len = sizeof family;
        if (p.name_len && p.name_len <= PX_UNIX_ADDR_MAX) {
            memcpy(addr, p.name, p.name_len);
            *len = p.name_len;
        }
        *out = c;
        return 0;
    }
}

/* --- the rest of an unconnected socket --- */

static int64_t named_send(px_file *f, const void *buf, uint64_t len, int flags, bool nonblock, const void *to,
                          uint32_t to_len)
{
    (void)buf, (void)len, (void)flags, (void)nonblock, (void)to_len;
    named_sock *s = sock_of(f);
    if (s->type == LINUX_SOCK_DGRAM && to) return -LINUX_EOPNOTSUPP; /* sendto a name: not yet */
    return -LINUX_ENOTCONN;
}

static int64_t named_recv(px_file *f, void *buf, uint64_t len, int flags, bool nonblock, int *msg_flags,
                          uint64_t *whole, void *from, uint32_t *from_len)
{
    (void)buf, (void)len, (void)flags, (void)nonblock, (void)msg_flags, (void)from;
    *whole = 0;
    *from_len = 0;
    named_sock *s = sock_of(f);
    return s->sh && s->sh->listening ? -LINUX_EINVAL : -LINUX_ENOTCONN;
}

static int64_t named_shutdown(px_file *f, int how)
{
    (void)f;
    if (how < LINUX_SHUT_RD || how > LINUX_SHUT_RDWR) return -LINUX_EINVAL;
    return -LINUX_ENOTCONN;
}

static int64_t named_getsockopt(px_file *f, int level, int name, void *val, uint32_t *len)
{
    named_sock *s = sock_of(f);
    if (level != LINUX_SOL_SOCKET) return -LINUX_EOPNOTSUPP;
    int32_t v;
    switch (name) {
    case LINUX_SO_TYPE: v = s->type; break;
    case LINUX_SO_DOMAIN: v = LINUX_AF_UNIX; break;
    case LINUX_SO_PROTOCOL:
    case LINUX_SO_ERROR: v = 0; break;
    case LINUX_SO_ACCEPTCONN: v = s->sh && s->sh->listening; break;
    case LINUX_SO_SNDBUF:
    case LINUX_SO_RCVBUF: v = (int32_t)PX_SOCKET_BUFFER_DEFAULT; break;
    case LINUX_SO_PASSCRED: v = s->passcred; break;
    case LINUX_SO_PEERCRED: {
        struct linux_ucred none = {.pid = 0, .uid = (uint32_t)-1, .gid = (uint32_t)-1}; /* no peer yet */
        return px_socket_option_out(val, len, &none, sizeof none);
    }
    default: return -LINUX_ENOPROTOOPT;
    }
    return px_socket_option_out(val, len, &v, sizeof v);
}

static int64_t named_setsockopt(px_file *f, int level, int name, const void *val, uint32_t len)
{
    named_sock *s = sock_of(f);
    if (level != LINUX_SOL_SOCKET) return -LINUX_EOPNOTSUPP;
    if (len < sizeof(int32_t)) return -LINUX_EINVAL;
    int32_t v;
    memcpy(&v, val, sizeof v);
    switch (name) {
    case LINUX_SO_PASSCRED: s->passcred = v != 0; return 0;
    case LINUX_SO_SNDBUF:
    case LINUX_SO_RCVBUF: return 0; /* the connection's rings keep their size */
    default: return -LINUX_ENOPROTOOPT;
    }
}

static int64_t named_sockname(px_file *f, void *addr, uint32_t *len)
{
    named_sock *s = sock_of(f);
    uint16_t family = LINUX_AF_UNIX;
    memcpy(addr, &family, sizeof family);
    *len = sizeof family;
    if (s->name_len) {
        memcpy(addr, s->name, s->name_len);
        *len = s->name_len;
    }
    return 0;
}

static int64_t named_peername(px_file *f, void *addr, uint32_t *len)
{
    (void)f, (void)addr, (void)len;
    return -LINUX_ENOTCONN;
}

static bool named_is_stream(px_file *f) { return sock_of(f)->type == LINUX_SOCK_STREAM; }

static const px_socket_ops named_socket_ops = {
    .send = named_send,
    .recv = named_recv,
    .shutdown = named_shutdown,
    .getsockopt = named_getsockopt,
    .setsockopt = named_setsockopt,
    .getsockname = named_sockname,
    .getpeername = named_peername,
    .connect = named_connect,
    .listen = named_listen,
    .accept = named_accept,
    .bind = named_bind,
    .is_stream = named_is_stream,
};

/* Linux's unix_poll: a listener is readable with a connection queued; an unconnected
   stream or seqpacket socket hangs up (and is writable). */
static uint32_t named_poll(px_file *f, uint32_t events)
{
    (void)events;
    named_sock *s = sock_of(f);
    if (s->sh && s->sh->listening) {
        px_host_handle keeper = open_keeper(s->sh, true); /* a dead keeper's place is taken here too */
        close_keeper(keeper);
        return __atomic_load_n(&s->sh->count, __ATOMIC_ACQUIRE) ? LINUX_POLLIN | LINUX_POLLRDNORM : 0;
    }
    uint32_t ready = LINUX_POLLOUT | LINUX_POLLWRNORM | LINUX_POLLWRBAND;
    if (connection_type(s->type)) ready |= LINUX_POLLHUP;
    return ready;
}

static void *named_poll_handle(px_file *f)
{
    named_sock *s = sock_of(f);
    return s->sh && s->sh->listening ? s->event : NULL;
}

static int64_t named_wait_on(px_file *f, uint32_t events, px_wait_on *w)
{
    named_sock *s = sock_of(f);
    if (events == LINUX_POLLIN && s->event) px_wait_on_add(w, s->event); /* accept */
    w->retry_ns = FULL_RETRY_NS; /* a connect to a full queue; a keeper that ended */
    return 0;
}

static int64_t named_stat(px_file *f, px_stat_info *st)
{
    named_sock *s = sock_of(f);
    memset(st, 0, sizeof *st);
    st->mode = LINUX_S_IFSOCK | 0777;
    st->dev = SOCKFS_DEV;
    st->ino = s->ino;
    st->nlink = 1;
    st->uid = px_current_fsuid();
    st->gid = px_current_fsgid();
    st->blksize = 4096;
    return 0;
}

static void named_release(px_file *f)
{
    named_sock *s = sock_of(f);
    if (s->sh) px_host_view_unmap(s->sh);
    if (s->section) px_host_close(s->section);
    if (s->event) px_host_close(s->event);
    px_free(s);
}

static px_file *named_file(int type, uint32_t status_flags)
{
    named_sock *s = px_calloc(1, sizeof *s);
    px_file *f = s ? px_file_new(&named_ops, NULL, LINUX_O_RDWR | status_flags) : NULL;
    if (!f) {
        px_free(s);
        return NULL;
    }
    s->type = type;
    s->ino = __atomic_add_fetch(&next_ino, 1, __ATOMIC_RELAXED);
    f->data = s;
    return f;
}

int64_t px_unix_socket_create(int type, uint32_t status_flags, px_file **out)
{
    px_file *f = named_file(type, status_flags);
    if (!f) return -LINUX_ENOMEM;
    *out = f;
    return 0;
}

/* --- to a new process: the name and the section (the file's handle), the event by name --- */

typedef struct named_handoff_state {
    int32_t type;
    uint8_t passcred;
    uint32_t name_len;
    uint8_t name[PX_UNIX_ADDR_MAX];
    char key[48];
} named_handoff_state;

static size_t named_handoff_save(px_file *f, void *state)
{
    named_sock *s = sock_of(f);
    named_handoff_state hs = {.type = s->type, .passcred = s->passcred, .name_len = s->name_len};
    memcpy(hs.name, s->name, sizeof hs.name);
    memcpy(hs.key, s->key, sizeof hs.key);
    memcpy(state, &hs, sizeof hs);
    return sizeof hs;
}

static px_file *named_handoff_rebuild(const px_handoff_file *hf)
{
    named_handoff_state hs;
    if (hf->state_len != sizeof hs) return NULL;
    memcpy(&hs, hf->state, sizeof hs);
    hs.key[sizeof hs.key - 1] = 0;
    px_file *f = named_file(hs.type, hf->status_flags & ~(uint32_t)LINUX_O_ACCMODE);
    if (!f) return NULL;
    named_sock *s = sock_of(f);
    s->passcred = hs.passcred != 0;
    if (hs.name_len && hs.name_len <= PX_UNIX_ADDR_MAX && hf->handle) {
        wchar_t name[80];
        wide(hs.key, "-e", name, PX_ARRAY_LEN(name));
        s->sh = px_host_view_map(hf->handle, 0, LISTEN_SIZE, NULL, true);
        s->event = s->sh ? px_host_event_named(name, true, NULL) : NULL;
        if (!s->event) {
            if (s->sh) px_host_view_unmap(s->sh);
            s->sh = NULL;
            px_file_unref(f); /* the caller closes the handle */
            return NULL;
        }
        s->section = hf->handle;
        f->handle = hf->handle;
        memcpy(s->name, hs.name, hs.name_len);
        s->name_len = hs.name_len;
        memcpy(s->key, hs.key, sizeof s->key);
    }
    return f;
}

const px_file_handoff px_unix_named_handoff = {
    .kind = PX_HANDOFF_UNIX_NAMED, .save = named_handoff_save, .rebuild = named_handoff_rebuild,
    .handle_optional = true};

static const px_file_ops named_ops = {
    .read = px_socket_file_read,
    .write = px_socket_file_write,
    .stat = named_stat,
    .poll = named_poll,
    .poll_handle = named_poll_handle,
    .poll_recheck_ns = FULL_RETRY_NS,
    .wait_on = named_wait_on,
    .release = named_release,
    .handoff = &px_unix_named_handoff,
    .socket = &named_socket_ops,
};
