/* socketpair(2)'s AF_UNIX sockets: two connected ends, each direction a ring of
   pipe_ring.c in shared memory (so a pair works between picolx processes, and forks and
   execs as pipes do). SOCK_STREAM is a byte stream; SOCK_DGRAM and SOCK_SEQPACKET send
   records, received whole or cut (MSG_TRUNC). shutdown is the socket's, seen by every
   process holding an end (the rings keep it). Named sockets (bind, connect, listen) and
   ancillary data (SCM_RIGHTS, SCM_CREDENTIALS) are not here yet. */
#include "core/cred.h"
#include "core/errors.h"
#include "fs/fd_handoff.h"
#include "fs/pipe_ring.h"
#include "kernel/kernel.h"
#include "net/socket.h"
#include "task/process.h"

/* Room in each direction: a record up to Linux's largest unix datagram (the default send
   buffer less its overhead) fits, and a stream holds as much as a Linux one before a
   writer waits. */
#define PAIR_RING_CAPACITY (256u * 1024u)
#define RECORD_MAX (PX_SOCKET_BUFFER_DEFAULT - 32u)
#define SOCK_MIN_SNDBUF 4608u /* Linux's SOCK_MIN_SNDBUF and SOCK_MIN_RCVBUF on x86-64 */
#define SOCK_MIN_RCVBUF 2304u
#define SOCKFS_DEV 8u         /* st_dev of sockets: sockfs's anonymous device */
#define TIOCOUTQ 0x5411u      /* SIOCOUTQ: bytes sent and not yet read */

typedef struct unix_end {
    int type;                  /* LINUX_SOCK_STREAM, _DGRAM or _SEQPACKET */
    px_file *rx, *tx;          /* the ring ends: what comes in, what goes out */
    uint32_t sndbuf, rcvbuf;   /* SO_SNDBUF, SO_RCVBUF as set (the rings keep their size) */
    bool passcred;             /* SO_PASSCRED, kept and reported */
    bool refused;              /* a datagram to a peer gone: ECONNREFUSED once, then ENOTCONN */
    struct linux_ucred peer;   /* SO_PEERCRED: who made the pair (a connection: the other side) */
    /* getsockname's and getpeername's (Linux's sockaddr_un form; 0: unnamed, the family alone) */
    uint8_t names[2][PX_UNIX_ADDR_MAX];
    uint32_t name_lens[2];
} unix_end;

static const px_file_ops unix_ops;

static unix_end *end_of(px_file *f) { return f->data; }

static int64_t unix_recv(px_file *f, void *buf, uint64_t len, int flags, bool nonblock, int *msg_flags, uint64_t *whole,
                         void *from, uint32_t *from_len)
{
    unix_end *u = end_of(f);
    (void)from;
    *from_len = 0; /* the peer is unnamed */
    if (flags & LINUX_MSG_OOB) return -LINUX_EOPNOTSUPP;
    unsigned rf = (nonblock ? PX_RING_NONBLOCK : 0) | ((flags & LINUX_MSG_PEEK) ? PX_RING_PEEK : 0);
    bool ended = false;
    int64_t r = px_pipe_ring_recv(u->rx, buf, len, rf, whole, &ended);
    /* a datagram socket whose peer went (or shut its sending side) gets nothing more, and
       waits all the same, as Linux's does; only its own shutdown ends its reads */
    if (r == 0 && ended && u->type == LINUX_SOCK_DGRAM && !px_pipe_ring_side_shut(u->rx))
        return nonblock ? -LINUX_EAGAIN : PX_WOULD_BLOCK;
    if (r >= 0 && u->type != LINUX_SOCK_STREAM && *whole > (uint64_t)r) *msg_flags |= LINUX_MSG_TRUNC;
    return r;
}

static int64_t unix_send(px_file *f, const void *buf, uint64_t len, int flags, bool nonblock, const void *to,
                         uint32_t to_len)
{
    unix_end *u = end_of(f);
    (void)to_len;
    if (flags & LINUX_MSG_OOB) return -LINUX_EOPNOTSUPP;
    /* an address: a connected stream refuses it, a seqpacket socket ignores it, a
       datagram would go to that named socket (not yet) */
    if (to && u->type == LINUX_SOCK_STREAM) return -LINUX_EISCONN;
    if (to && u->type == LINUX_SOCK_DGRAM) return -LINUX_EOPNOTSUPP;
    if (u->type != LINUX_SOCK_STREAM && len > RECORD_MAX) return -LINUX_EMSGSIZE;
    int64_t r = px_pipe_ring_send(u->tx, buf, len, nonblock ? PX_RING_NONBLOCK : 0);
    /* Linux: a datagram to a peer that is gone is refused, and the socket is then not
       connected; a shut peer or our own shutdown give EPIPE */
    if (r == -LINUX_EPIPE && u->type == LINUX_SOCK_DGRAM && !px_pipe_ring_side_shut(u->tx) &&
        !px_pipe_ring_shut_by_peer(u->tx)) {
        r = u->refused ? -LINUX_ENOTCONN : -LINUX_ECONNREFUSED;
        u->refused = true;
    }
    return r;
}

static int64_t unix_shutdown(px_file *f, int how)
{
    unix_end *u = end_of(f);
    if (how < LINUX_SHUT_RD || how > LINUX_SHUT_RDWR) return -LINUX_EINVAL;
    if (how != LINUX_SHUT_WR) px_pipe_ring_shut(u->rx);
    if (how != LINUX_SHUT_RD) px_pipe_ring_shut(u->tx);
    return 0;
}

static int64_t unix_getsockopt(px_file *f, int level, int name, void *val, uint32_t *len)
{
    unix_end *u = end_of(f);
    if (level != LINUX_SOL_SOCKET) return -LINUX_EOPNOTSUPP; /* AF_UNIX has no other level */
    int32_t v;
    switch (name) {
    case LINUX_SO_TYPE: v = u->type; break;
    case LINUX_SO_DOMAIN: v = LINUX_AF_UNIX; break;
    case LINUX_SO_PROTOCOL: v = 0; break;
    case LINUX_SO_ERROR: v = 0; break;
    case LINUX_SO_ACCEPTCONN: v = 0; break;
    case LINUX_SO_SNDBUF: v = (int32_t)u->sndbuf; break;
    case LINUX_SO_RCVBUF: v = (int32_t)u->rcvbuf; break;
    case LINUX_SO_PASSCRED: v = u->passcred; break;
    case LINUX_SO_REUSEADDR:
    case LINUX_SO_KEEPALIVE:
    case LINUX_SO_BROADCAST:
    case LINUX_SO_REUSEPORT: v = 0; break; /* never set here (setsockopt refuses them) */
    case LINUX_SO_PEERCRED: return px_socket_option_out(val, len, &u->peer, sizeof u->peer);
    case LINUX_SO_LINGER: {
        struct linux_linger none = {0, 0};
        return px_socket_option_out(val, len, &none, sizeof none);
    }
    default: return -LINUX_ENOPROTOOPT;
    }
    return px_socket_option_out(val, len, &v, sizeof v);
}

static int64_t unix_setsockopt(px_file *f, int level, int name, const void *val, uint32_t len)
{
    unix_end *u = end_of(f);
    if (level != LINUX_SOL_SOCKET) return -LINUX_EOPNOTSUPP;
    if (len < sizeof(int32_t)) return -LINUX_EINVAL;
    int32_t v;
    memcpy(&v, val, sizeof v);
    /* Linux caps the size at net.core.[wr]mem_max and doubles it for its bookkeeping */
    uint32_t size = v < 0 ? 0 : (uint32_t)v > PX_SOCKET_BUFFER_DEFAULT ? PX_SOCKET_BUFFER_DEFAULT : (uint32_t)v;
    switch (name) {
    case LINUX_SO_SNDBUF: u->sndbuf = size * 2 > SOCK_MIN_SNDBUF ? size * 2 : SOCK_MIN_SNDBUF; return 0;
    case LINUX_SO_RCVBUF: u->rcvbuf = size * 2 > SOCK_MIN_RCVBUF ? size * 2 : SOCK_MIN_RCVBUF; return 0;
    case LINUX_SO_PASSCRED: u->passcred = v != 0; return 0;
    default: return -LINUX_ENOPROTOOPT; /* timeouts, keepalive and the rest: not implemented */
    }
}

/* An unnamed end's address is the family alone (socketpair's always are). */
static int64_t name_out(const unix_end *u, int which, void *addr, uint32_t *len)
{
    uint16_t family = LINUX_AF_UNIX;
    memcpy(addr, &family, sizeof family);
    *len = sizeof family;
    if (u->name_lens[which]) {
        memcpy(addr, u->names[which], u->name_lens[which]);
        *len = u->name_lens[which];
    }
    return 0;
}

static int64_t unix_sockname(px_file *f, void *addr, uint32_t *len) { return name_out(end_of(f), 0, addr, len); }
static int64_t unix_peername(px_file *f, void *addr, uint32_t *len) { return name_out(end_of(f), 1, addr, len); }

static bool connection_type(const unix_end *u) { return u->type != LINUX_SOCK_DGRAM; }

static int64_t unix_connect(px_file *f, const void *addr, uint32_t len, bool nonblock)
{
    (void)addr, (void)len, (void)nonblock;
    return connection_type(end_of(f)) ? -LINUX_EISCONN : -LINUX_EOPNOTSUPP; /* a datagram's new peer: not yet */
}

static int64_t unix_listen(px_file *f, int backlog)
{
    (void)backlog;
    return connection_type(end_of(f)) ? -LINUX_EINVAL : -LINUX_EOPNOTSUPP; /* unbound, or not a listening type */
}

static int64_t unix_accept(px_file *f, uint32_t status_flags, bool nonblock, px_file **out, void *addr, uint32_t *len)
{
    (void)status_flags, (void)nonblock, (void)out, (void)addr, (void)len;
    return connection_type(end_of(f)) ? -LINUX_EINVAL : -LINUX_EOPNOTSUPP;
}

static int64_t unix_bind(px_file *f, const void *addr, uint32_t len)
{
    (void)f, (void)addr, (void)len;
    return -LINUX_EOPNOTSUPP; /* named AF_UNIX sockets: not yet */
}

static bool unix_is_stream(px_file *f) { return end_of(f)->type == LINUX_SOCK_STREAM; }

static const px_socket_ops unix_socket_ops = {
    .send = unix_send,
    .recv = unix_recv,
    .shutdown = unix_shutdown,
    .getsockopt = unix_getsockopt,
    .setsockopt = unix_setsockopt,
    .getsockname = unix_sockname,
    .getpeername = unix_peername,
    .connect = unix_connect,
    .listen = unix_listen,
    .accept = unix_accept,
    .bind = unix_bind,
    .is_stream = unix_is_stream,
};

/* --- the file --- */

static int64_t unix_stat(px_file *f, px_stat_info *st)
{
    unix_end *u = end_of(f);
    memset(st, 0, sizeof *st);
    st->mode = LINUX_S_IFSOCK | 0777;
    st->dev = SOCKFS_DEV;
    st->ino = px_pipe_ring_ino(u->rx);
    st->nlink = 1;
    st->uid = px_current_fsuid();
    st->gid = px_current_fsgid();
    st->blksize = 4096;
    return 0;
}

/* Linux's unix_poll and unix_dgram_poll: a stream's or seqpacket's end hangs up when
   both directions are shut (the peer's close shuts both); a datagram socket shows only
   its own shutdown. */
static uint32_t unix_poll(px_file *f, uint32_t events)
{
    (void)events;
    unix_end *u = end_of(f);
    bool dgram = u->type == LINUX_SOCK_DGRAM;
    bool rcv_shut = px_pipe_ring_side_shut(u->rx) || (!dgram && !px_pipe_ring_peer_open(u->rx));
    bool snd_shut = px_pipe_ring_side_shut(u->tx) || (!dgram && !px_pipe_ring_peer_open(u->tx));
    uint32_t ready = 0;
    if (rcv_shut && snd_shut) ready |= LINUX_POLLHUP;
    if (rcv_shut) ready |= LINUX_POLLRDHUP | LINUX_POLLIN | LINUX_POLLRDNORM;
    if (!px_pipe_ring_empty(u->rx)) ready |= LINUX_POLLIN | LINUX_POLLRDNORM;
    if (snd_shut || px_pipe_ring_has_room(u->tx)) ready |= LINUX_POLLOUT | LINUX_POLLWRNORM | LINUX_POLLWRBAND;
    return ready;
}

static void *unix_poll_handle(px_file *f)
{
    unix_end *u = end_of(f);
    return px_pipe_ring_poll_handle_crossed(u->rx, u->tx, u->type != LINUX_SOCK_DGRAM);
}

static int64_t unix_wait_on(px_file *f, uint32_t events, px_wait_on *w)
{
    unix_end *u = end_of(f);
    px_file *ring = events == LINUX_POLLIN ? u->rx : u->tx;
    return ring->ops->wait_on(ring, events, w);
}

/* FIONREAD (SIOCINQ): a datagram socket's next record, else every byte held */
static int64_t unix_readable_bytes(px_file *f)
{
    unix_end *u = end_of(f);
    return px_pipe_ring_queued(u->rx, u->type == LINUX_SOCK_DGRAM);
}

static int64_t unix_ioctl(px_file *f, uint64_t request, uint64_t arg)
{
    unix_end *u = end_of(f);
    if (request != TIOCOUTQ) return -LINUX_ENOTTY;
    int64_t n = px_pipe_ring_queued(u->tx, false);
    int32_t count = (int32_t)(n > INT32_MAX ? INT32_MAX : n);
    return PX_PUT(arg, &count);
}

static void unix_release(px_file *f)
{
    unix_end *u = end_of(f);
    px_file_unref(u->rx);
    px_file_unref(u->tx);
    px_free(u);
}

static px_file *end_file(int type, px_file *rx, px_file *tx, uint32_t status_flags, const struct linux_ucred *peer)
{
    unix_end *u = px_calloc(1, sizeof *u);
    /* the file's handle is rx's token, and tx's goes as the hand-over's second: the ring
       ends own them */
    px_file *f = u ? px_file_new(&unix_ops, rx->handle, LINUX_O_RDWR | status_flags) : NULL;
    if (!f) {
        px_free(u);
        return NULL;
    }
    *u = (unix_end){.type = type, .rx = rx, .tx = tx, .sndbuf = PX_SOCKET_BUFFER_DEFAULT,
                    .rcvbuf = PX_SOCKET_BUFFER_DEFAULT, .peer = *peer};
    f->data = u;
    return f;
}

px_file *px_unix_connected_file(int type, px_file *rx, px_file *tx, uint32_t status_flags, const struct linux_ucred *peer,
                                const void *local, uint32_t local_len, const void *remote, uint32_t remote_len)
{
    px_file *f = end_file(type, rx, tx, status_flags, peer);
    if (!f) return NULL;
    unix_end *u = end_of(f);
    const void *names[2] = {local, remote};
    uint32_t lens[2] = {local_len, remote_len};
    for (int i = 0; i < 2; i++)
        if (names[i] && lens[i] <= PX_UNIX_ADDR_MAX) {
            memcpy(u->names[i], names[i], lens[i]);
            u->name_lens[i] = lens[i];
        }
    return f;
}

/* What a file becomes once its contents have moved out (px_unix_become). */
static const px_file_ops moved_ops = {0};

void px_unix_become(px_file *f, px_file *made)
{
    f->data = made->data;
    f->handle = made->handle;
    __atomic_store_n(&f->ops, made->ops, __ATOMIC_RELEASE);
    made->data = NULL;
    made->handle = NULL;
    made->ops = &moved_ops;
    px_file_unref(made);
}

int64_t px_unix_pair_create(int type, uint32_t status_flags, px_file **a, px_file **b)
{
    px_file *rx[2], *tx[2];
    int64_t r = px_pipe_ring_create_crossed(rx, tx, type != LINUX_SOCK_STREAM, PAIR_RING_CAPACITY);
    if (r < 0) return r;
    const struct px_cred *cred = px_current_cred();
    struct linux_ucred peer = {.pid = px_kernel_self()->process->tgid, .uid = cred->euid, .gid = cred->egid};
    *a = end_file(type, rx[0], tx[0], status_flags, &peer);
    *b = *a ? end_file(type, rx[1], tx[1], status_flags, &peer) : NULL;
    if (!*b) {
        if (*a) px_file_unref(*a);
        else px_file_unref(rx[0]), px_file_unref(tx[0]);
        px_file_unref(rx[1]);
        px_file_unref(tx[1]);
        return -LINUX_ENOMEM;
    }
    return 0;
}

/* --- to a new process: both ring ends' states and tokens, and the socket's own --- */

typedef struct unix_handoff_state {
    int32_t type;
    uint32_t sndbuf, rcvbuf;
    uint8_t passcred, refused;
    struct linux_ucred peer;
    uint8_t names[2][PX_UNIX_ADDR_MAX];
    uint32_t name_lens[2];
    uint32_t ring_lens[2];     /* the ring ends' states follow, rx's first */
} unix_handoff_state;

static size_t unix_handoff_save(px_file *f, void *state)
{
    unix_end *u = end_of(f);
    unix_handoff_state s = {.type = u->type, .sndbuf = u->sndbuf, .rcvbuf = u->rcvbuf, .passcred = u->passcred,
                            .refused = u->refused, .peer = u->peer};
    memcpy(s.names, u->names, sizeof s.names);
    memcpy(s.name_lens, u->name_lens, sizeof s.name_lens);
    size_t n = px_pipe_ring_save_ends(u->rx, u->tx, (uint8_t *)state + sizeof s, s.ring_lens);
    memcpy(state, &s, sizeof s);
    return sizeof s + n;
}

static void *unix_handoff_aux(px_file *f) { return end_of(f)->tx->handle; }

static px_file *unix_handoff_rebuild(const px_handoff_file *hf)
{
    unix_handoff_state s;
    if (hf->state_len < sizeof s || !hf->handle || !hf->aux_handle) return NULL;
    memcpy(&s, hf->state, sizeof s);
    if (sizeof s + (uint64_t)s.ring_lens[0] + s.ring_lens[1] != hf->state_len) return NULL;
    px_file *rx, *tx;
    if (!px_pipe_ring_rebuild_ends(hf, (const uint8_t *)hf->state + sizeof s, s.ring_lens, &rx, &tx)) return NULL;
    px_file *f = end_file(s.type, rx, tx, hf->status_flags & ~(uint32_t)LINUX_O_ACCMODE, &s.peer);
    if (!f) {
        /* the caller closes both handles: the ends give theirs up first */
        rx->handle = tx->handle = NULL;
        px_file_unref(rx);
        px_file_unref(tx);
        return NULL;
    }
    unix_end *u = end_of(f);
    u->sndbuf = s.sndbuf;
    u->rcvbuf = s.rcvbuf;
    u->passcred = s.passcred != 0;
    u->refused = s.refused != 0;
    memcpy(u->names, s.names, sizeof u->names);
    for (int i = 0; i < 2; i++) u->name_lens[i] = s.name_lens[i] <= PX_UNIX_ADDR_MAX ? s.name_lens[i] : 0;
    return f;
}

const px_file_handoff px_unix_pair_handoff = {
    .kind = PX_HANDOFF_UNIX_PAIR, .save = unix_handoff_save, .rebuild = unix_handoff_rebuild,
    .aux_handle = unix_handoff_aux};

static const px_file_ops unix_ops = {
    .read = px_socket_file_read,
    .write = px_socket_file_write,
    .stat = unix_stat,
    .ioctl = unix_ioctl,
    .readable_bytes = unix_readable_bytes,
    .poll = unix_poll,
    .poll_handle = unix_poll_handle,
    .poll_recheck_ns = PX_PIPE_RING_PEER_CHECK_NS,
    .wait_on = unix_wait_on,
    .release = unix_release,
    .handoff = &px_unix_pair_handoff,
    .socket = &unix_socket_ops,
};
