/* socket(2)'s AF_INET and AF_INET6 sockets: TCP (SOCK_STREAM) and UDP (SOCK_DGRAM) on
   Winsock (host/host_socket.h). The host socket is always non-blocking; a guest's
   blocking call says PX_WOULD_BLOCK and waits on the socket's readiness event (with a
   re-check every RECHECK_NS: Winsock records a socket's "writable again" only after a
   send that found it full). Addresses differ from Windows' only in AF_INET6's number;
   options are mapped by a table. Across fork and exec the host socket is duplicated;
   the readiness event is the last process's to ask (Winsock keeps one per socket), so
   a process sharing a socket with another may notice readiness only at the re-check. */
#include "core/cred.h"
#include "core/errors.h"
#include "fs/fd_handoff.h"
#include "host/host_socket.h"
#include "host/host_sync.h"
#include "net/socket.h"

#define RECHECK_NS (20 * 1000000ll)
#define SOCKFS_DEV 8u
#define WIN_SOL_SOCKET 0xffff
#define WIN_IPPROTO_IPV6 41
#define WIN_IPV6_V6ONLY 27
#define HOST_ADDRESS_MAX 128u

enum inet_state { FRESH, CONNECTING, CONNECTED, LISTENING };

typedef struct inet_socket {
    int family;                /* LINUX_AF_INET or LINUX_AF_INET6 */
    int type;                  /* LINUX_SOCK_STREAM or LINUX_SOCK_DGRAM */
    int protocol;              /* IPPROTO_TCP or IPPROTO_UDP, as SO_PROTOCOL says */
    enum inet_state state;
    px_host_handle event;      /* readiness, made at the first wait; __atomic */
    uint64_t ino;
} inet_socket;

static const px_file_ops inet_ops;
static uint64_t next_ino = 400000;

static inet_socket *sock_of(px_file *f) { return f->data; }

/* --- addresses --- */

/* A guest address into the host's form: 0 and *host_len, or -errno (Linux's checks:
   too short EINVAL, another family EAFNOSUPPORT; AF_UNSPEC with INADDR_ANY binds as
   AF_INET). */
static int64_t address_to_host(const inet_socket *s, const void *addr, uint32_t len, uint8_t *host, uint32_t *host_len)
{
    uint16_t family;
    if (len < sizeof family) return -LINUX_EINVAL;
    memcpy(&family, addr, sizeof family);
    memset(host, 0, HOST_ADDRESS_MAX);
    if (s->family == LINUX_AF_INET) {
        if (len < sizeof(struct linux_sockaddr_in)) return -LINUX_EINVAL;
        struct linux_sockaddr_in in;
        memcpy(&in, addr, sizeof in);
        if (family != LINUX_AF_INET && !(family == LINUX_AF_UNSPEC && in.sin_addr == 0)) return -LINUX_EAFNOSUPPORT;
        in.sin_family = PX_HOST_AF_INET;
        memcpy(host, &in, sizeof in);
        *host_len = sizeof in;
        return 0;
    }
    if (len < 24) return -LINUX_EINVAL; /* SIN6_LEN_RFC2133: without the scope id */
    if (family != LINUX_AF_INET6) return -LINUX_EAFNOSUPPORT;
    struct linux_sockaddr_in6 in6 = {0};
    memcpy(&in6, addr, len < sizeof in6 ? len : sizeof in6);
    in6.sin6_family = PX_HOST_AF_INET6;
    memcpy(host, &in6, sizeof in6);
    *host_len = sizeof in6;
    return 0;
}

/* A host address into the guest's form (out: room for a sockaddr_storage): its length. */
static uint32_t address_to_guest(const uint8_t *host, uint32_t host_len, uint8_t *out)
{
    uint16_t family;
    if (host_len < sizeof family) return 0;
    memcpy(&family, host, sizeof family);
    uint32_t len = family == PX_HOST_AF_INET6 ? sizeof(struct linux_sockaddr_in6) : sizeof(struct linux_sockaddr_in);
    if (len > host_len) len = host_len;
    memcpy(out, host, len);
    uint16_t guest_family = family == PX_HOST_AF_INET6 ? LINUX_AF_INET6 : LINUX_AF_INET;
    memcpy(out, &guest_family, sizeof guest_family);
    return len;
}

/* --- data --- */

static int host_flags(int flags)
{
    return ((flags & LINUX_MSG_OOB) ? PX_HOST_MSG_OOB : 0) | ((flags & LINUX_MSG_PEEK) ? PX_HOST_MSG_PEEK : 0);
}

static int64_t inet_send(px_file *f, const void *buf, uint64_t len, int flags, bool nonblock, const void *to,
                         uint32_t to_len)
{
    inet_socket *s = sock_of(f);
    uint8_t host[HOST_ADDRESS_MAX];
    uint32_t host_len = 0;
    /* a stream's address is ignored, as Linux's TCP does */
    if (to && s->type == LINUX_SOCK_DGRAM) {
        int64_t r = address_to_host(s, to, to_len, host, &host_len);
        if (r < 0) return r;
    }
    if (s->type == LINUX_SOCK_STREAM && s->state != CONNECTED) return s->state == CONNECTING ? -LINUX_EAGAIN : -LINUX_EPIPE;
    int64_t r = px_host_socket_send(f->handle, buf, len, host_flags(flags), host_len ? host : NULL, host_len);
    if (r == -LINUX_EAGAIN && !nonblock) return PX_WOULD_BLOCK;
    if (r == -LINUX_ECONNRESET && s->type == LINUX_SOCK_STREAM) r = -LINUX_EPIPE; /* the peer is gone */
    return r;
}

static int64_t inet_recv(px_file *f, void *buf, uint64_t len, int flags, bool nonblock, int *msg_flags, uint64_t *whole,
                         void *from, uint32_t *from_len)
{
    inet_socket *s = sock_of(f);
    *from_len = 0;
    if (s->type == LINUX_SOCK_STREAM && s->state != CONNECTED) return s->state == CONNECTING ? -LINUX_EAGAIN : -LINUX_ENOTCONN;
    uint8_t host[HOST_ADDRESS_MAX];
    uint32_t host_len = sizeof host;
    bool truncated = false;
    int64_t r = px_host_socket_recv(f->handle, buf, len, host_flags(flags), from ? host : NULL, from ? &host_len : NULL,
                                    &truncated);
    if (r == -LINUX_EAGAIN && !nonblock) return PX_WOULD_BLOCK;
    if (r < 0) return r;
    if (truncated) *msg_flags |= LINUX_MSG_TRUNC; /* its whole length is not known: what fitted */
    *whole = (uint64_t)r;
    if (from && s->type == LINUX_SOCK_DGRAM) *from_len = address_to_guest(host, host_len, from);
    return r;
}

static int64_t inet_shutdown(px_file *f, int how)
{
    if (how < LINUX_SHUT_RD || how > LINUX_SHUT_RDWR) return -LINUX_EINVAL;
    return px_host_socket_shutdown(f->handle, how);
}

/* --- options: Linux's (level, name) and Windows' --- */

enum option_kind { OPT_INT, OPT_BOOL, OPT_LINGER };

typedef struct option_row {
    int level, name;           /* Linux's */
    int host_level, host_name; /* Windows' */
    uint8_t kind;              /* enum option_kind */
} option_row;

static const option_row options[] = {
    {LINUX_SOL_SOCKET, LINUX_SO_REUSEADDR, WIN_SOL_SOCKET, 0x0004, OPT_BOOL},
    {LINUX_SOL_SOCKET, LINUX_SO_KEEPALIVE, WIN_SOL_SOCKET, 0x0008, OPT_BOOL},
    {LINUX_SOL_SOCKET, LINUX_SO_BROADCAST, WIN_SOL_SOCKET, 0x0020, OPT_BOOL},
    {LINUX_SOL_SOCKET, 10 /* SO_OOBINLINE */, WIN_SOL_SOCKET, 0x0100, OPT_BOOL},
    {LINUX_SOL_SOCKET, LINUX_SO_SNDBUF, WIN_SOL_SOCKET, 0x1001, OPT_INT},
    {LINUX_SOL_SOCKET, LINUX_SO_RCVBUF, WIN_SOL_SOCKET, 0x1002, OPT_INT},
    {LINUX_SOL_SOCKET, LINUX_SO_LINGER, WIN_SOL_SOCKET, 0x0080, OPT_LINGER},
    {LINUX_IPPROTO_TCP, LINUX_TCP_NODELAY, LINUX_IPPROTO_TCP, 0x0001, OPT_BOOL},
    {LINUX_IPPROTO_IP, 1 /* IP_TOS */, LINUX_IPPROTO_IP, 3, OPT_INT},
    {LINUX_IPPROTO_IP, 2 /* IP_TTL */, LINUX_IPPROTO_IP, 4, OPT_INT},
    {LINUX_IPPROTO_IPV6, 16 /* IPV6_UNICAST_HOPS */, WIN_IPPROTO_IPV6, 4, OPT_INT},
    {LINUX_IPPROTO_IPV6, 26 /* IPV6_V6ONLY */, WIN_IPPROTO_IPV6, WIN_IPV6_V6ONLY, OPT_BOOL},
};

static const option_row *option_of(int level, int name)
{
    for (size_t i = 0; i < PX_ARRAY_LEN(options); i++)
        if (options[i].level == level && options[i].name == name) return &options[i];
    return NULL;
}

static int64_t inet_getsockopt(px_file *f, int level, int name, void *val, uint32_t *len)
{
    inet_socket *s = sock_of(f);
    int32_t v;
    if (level == LINUX_SOL_SOCKET) { /* what the socket knows itself */
        switch (name) {
        case LINUX_SO_TYPE: v = s->type; return px_socket_option_out(val, len, &v, sizeof v);
        case LINUX_SO_DOMAIN: v = s->family; return px_socket_option_out(val, len, &v, sizeof v);
        case LINUX_SO_PROTOCOL: v = s->protocol; return px_socket_option_out(val, len, &v, sizeof v);
        case LINUX_SO_ACCEPTCONN: v = s->state == LISTENING; return px_socket_option_out(val, len, &v, sizeof v);
        case LINUX_SO_ERROR: {
            int64_t e = px_host_socket_error(f->handle);
            v = (int32_t)-e;
            return px_socket_option_out(val, len, &v, sizeof v);
        }
        default: break;
        }
    }
    const option_row *o = option_of(level, name);
    if (!o) return -LINUX_ENOPROTOOPT;
    uint8_t host[16] = {0};
    uint32_t host_len = o->kind == OPT_LINGER ? 4 : sizeof(int32_t);
    int64_t r = px_host_socket_getopt(f->handle, o->host_level, o->host_name, host, &host_len);
    if (r < 0) return r;
    if (o->kind == OPT_LINGER) { /* Windows' two u_shorts, Linux's two ints */
        uint16_t w[2];
        memcpy(w, host, sizeof w);
        struct linux_linger l = {w[0] != 0, w[1]};
        return px_socket_option_out(val, len, &l, sizeof l);
    }
    memcpy(&v, host, sizeof v);
    if (host_len == 1) v = host[0]; /* Windows answers some booleans in one byte */
    if (o->kind == OPT_BOOL) v = v != 0;
    return px_socket_option_out(val, len, &v, sizeof v);
}

static int64_t inet_setsockopt(px_file *f, int level, int name, const void *val, uint32_t len)
{
    const option_row *o = option_of(level, name);
    if (!o) return -LINUX_ENOPROTOOPT; /* SO_RCVTIMEO, SO_REUSEPORT, multicast and the rest: not yet */
    if (o->kind == OPT_LINGER) {
        struct linux_linger l;
        if (len < sizeof l) return -LINUX_EINVAL;
        memcpy(&l, val, sizeof l);
        uint16_t w[2] = {(uint16_t)(l.l_onoff != 0), (uint16_t)(l.l_linger < 0 ? 0 : l.l_linger > 0xffff ? 0xffff : l.l_linger)};
        return px_host_socket_setopt(f->handle, o->host_level, o->host_name, w, sizeof w);
    }
    if (len < sizeof(int32_t)) return -LINUX_EINVAL;
    int32_t v;
    memcpy(&v, val, sizeof v);
    return px_host_socket_setopt(f->handle, o->host_level, o->host_name, &v, sizeof v);
}

static int64_t name_of(px_file *f, bool peer, void *addr, uint32_t *len)
{
    uint8_t host[HOST_ADDRESS_MAX];
    uint32_t host_len = sizeof host;
    int64_t r = px_host_socket_name(f->handle, peer, host, &host_len);
    if (r == -LINUX_EINVAL && !peer) { /* Windows: an unbound socket has no name; Linux: the family's zero address */
        inet_socket *s = sock_of(f);
        memset(addr, 0, sizeof(struct linux_sockaddr_in6));
        uint16_t family = (uint16_t)s->family;
        memcpy(addr, &family, sizeof family);
        *len = s->family == LINUX_AF_INET6 ? sizeof(struct linux_sockaddr_in6) : sizeof(struct linux_sockaddr_in);
        return 0;
    }
    if (r < 0) return r;
    *len = address_to_guest(host, host_len, addr);
    return 0;
}

static int64_t inet_getsockname(px_file *f, void *addr, uint32_t *len) { return name_of(f, false, addr, len); }
static int64_t inet_getpeername(px_file *f, void *addr, uint32_t *len) { return name_of(f, true, addr, len); }

/* --- connections --- */

static int64_t inet_connect(px_file *f, const void *addr, uint32_t len, bool nonblock)
{
    inet_socket *s = sock_of(f);
    if (s->state == CONNECTING) { /* under way: done once the socket is writable or failed */
        uint32_t ready = px_host_socket_poll(f->handle);
        if (!(ready & (PX_HOST_SOCK_WRITABLE | PX_HOST_SOCK_ERROR | PX_HOST_SOCK_HUP)))
            return nonblock ? -LINUX_EALREADY : PX_WOULD_BLOCK;
        int64_t e = px_host_socket_error(f->handle);
        s->state = e < 0 ? FRESH : CONNECTED;
        return e;
    }
    if (s->state == CONNECTED && s->type == LINUX_SOCK_STREAM) return -LINUX_EISCONN;
    uint8_t host[HOST_ADDRESS_MAX];
    uint32_t host_len;
    int64_t r = address_to_host(s, addr, len, host, &host_len);
    if (r < 0) return r;
    r = px_host_socket_connect(f->handle, host, host_len);
    if (r == 0) s->state = CONNECTED;
    if (r != -LINUX_EINPROGRESS) return r;
    s->state = CONNECTING;
    return nonblock ? -LINUX_EINPROGRESS : PX_WOULD_BLOCK;
}

static int64_t inet_bind(px_file *f, const void *addr, uint32_t len)
{
    uint8_t host[HOST_ADDRESS_MAX];
    uint32_t host_len;
    int64_t r = address_to_host(sock_of(f), addr, len, host, &host_len);
    return r < 0 ? r : px_host_socket_bind(f->handle, host, host_len);
}

static int64_t inet_listen(px_file *f, int backlog)
{
    inet_socket *s = sock_of(f);
    if (s->type != LINUX_SOCK_STREAM) return -LINUX_EOPNOTSUPP;
    int64_t r = px_host_socket_listen(f->handle, backlog < 0 ? 0 : backlog);
    if (r == 0) s->state = LISTENING;
    return r;
}

static px_file *socket_file(px_host_handle h, int family, int type, int protocol, enum inet_state state,
                            uint32_t status_flags);

static int64_t inet_accept(px_file *f, uint32_t status_flags, bool nonblock, px_file **out, void *addr, uint32_t *len)
{
    inet_socket *s = sock_of(f);
    if (s->type != LINUX_SOCK_STREAM) return -LINUX_EOPNOTSUPP;
    if (s->state != LISTENING) return -LINUX_EINVAL;
    uint8_t host[HOST_ADDRESS_MAX];
    uint32_t host_len = sizeof host;
    px_host_handle conn;
    int64_t r = px_host_socket_accept(f->handle, host, &host_len, &conn);
    if (r == -LINUX_EAGAIN && !nonblock) return PX_WOULD_BLOCK;
    if (r < 0) return r;
    *out = socket_file(conn, s->family, s->type, s->protocol, CONNECTED, status_flags);
    if (!*out) {
        px_host_socket_close(conn);
        return -LINUX_ENOMEM;
    }
    *len = address_to_guest(host, host_len, addr);
    return 0;
}

static bool inet_is_stream(px_file *f) { return sock_of(f)->type == LINUX_SOCK_STREAM; }

static const px_socket_ops inet_socket_ops = {
    .send = inet_send,
    .recv = inet_recv,
    .shutdown = inet_shutdown,
    .getsockopt = inet_getsockopt,
    .setsockopt = inet_setsockopt,
    .getsockname = inet_getsockname,
    .getpeername = inet_getpeername,
    .connect = inet_connect,
    .bind = inet_bind,
    .listen = inet_listen,
    .accept = inet_accept,
    .is_stream = inet_is_stream,
};

/* --- the file --- */

static int64_t inet_stat(px_file *f, px_stat_info *st)
{
    memset(st, 0, sizeof *st);
    st->mode = LINUX_S_IFSOCK | 0777;
    st->dev = SOCKFS_DEV;
    st->ino = sock_of(f)->ino;
    st->nlink = 1;
    st->uid = px_current_fsuid();
    st->gid = px_current_fsgid();
    st->blksize = 4096;
    return 0;
}

/* Linux's tcp_poll and udp_poll as far as Winsock tells: a stream socket neither
   connected nor listening is POLLOUT|POLLHUP. */
static uint32_t inet_poll(px_file *f, uint32_t events)
{
    (void)events;
    inet_socket *s = sock_of(f);
    if (s->type == LINUX_SOCK_STREAM && s->state == FRESH) return LINUX_POLLOUT | LINUX_POLLWRNORM | LINUX_POLLHUP;
    uint32_t host = px_host_socket_poll(f->handle), ready = 0;
    if (s->state == CONNECTING && (host & (PX_HOST_SOCK_WRITABLE | PX_HOST_SOCK_ERROR | PX_HOST_SOCK_HUP)))
        s->state = (host & PX_HOST_SOCK_WRITABLE) && !(host & PX_HOST_SOCK_ERROR) ? CONNECTED : FRESH;
    if (host & PX_HOST_SOCK_READABLE) ready |= LINUX_POLLIN | LINUX_POLLRDNORM;
    if (host & PX_HOST_SOCK_WRITABLE) ready |= LINUX_POLLOUT | LINUX_POLLWRNORM;
    if (host & PX_HOST_SOCK_HUP) ready |= LINUX_POLLHUP | LINUX_POLLRDHUP;
    if (host & PX_HOST_SOCK_ERROR) ready |= LINUX_POLLERR;
    return ready;
}

static px_host_handle event_of(px_file *f)
{
    inet_socket *s = sock_of(f);
    px_host_handle e = __atomic_load_n(&s->event, __ATOMIC_ACQUIRE);
    if (e) return e;
    px_host_handle made = px_host_socket_event(f->handle);
    if (!made) return NULL;
    void *expected = NULL;
    if (!__atomic_compare_exchange_n(&s->event, &expected, made, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        px_host_close(made);
        return expected;
    }
    return made;
}

static void *inet_poll_handle(px_file *f)
{
    px_host_handle e = event_of(f);
    if (e) px_host_socket_arm(f->handle, e, PX_HOST_SOCK_READABLE | PX_HOST_SOCK_HUP | PX_HOST_SOCK_ERROR);
    return e;
}

static int64_t inet_wait_on(px_file *f, uint32_t events, px_wait_on *w)
{
    px_host_handle e = event_of(f);
    if (!e) return -LINUX_ENOMEM;
    uint32_t want = (events == LINUX_POLLIN ? PX_HOST_SOCK_READABLE : PX_HOST_SOCK_WRITABLE) | PX_HOST_SOCK_HUP |
                    PX_HOST_SOCK_ERROR;
    px_host_socket_arm(f->handle, e, want);
    px_wait_on_add(w, e);
    w->retry_ns = RECHECK_NS;
    return 0;
}

static int64_t inet_readable_bytes(px_file *f) { return px_host_socket_readable_bytes(f->handle); }

static void inet_release(px_file *f)
{
    inet_socket *s = sock_of(f);
    if (s->event) px_host_close(s->event);
    px_host_socket_close(f->handle);
    px_free(s);
}

static px_file *socket_file(px_host_handle h, int family, int type, int protocol, enum inet_state state,
                            uint32_t status_flags)
{
    inet_socket *s = px_calloc(1, sizeof *s);
    px_file *f = s ? px_file_new(&inet_ops, h, LINUX_O_RDWR | status_flags) : NULL;
    if (!f) {
        px_free(s);
        return NULL;
    }
    *s = (inet_socket){.family = family, .type = type, .protocol = protocol, .state = state,
                       .ino = __atomic_add_fetch(&next_ino, 1, __ATOMIC_RELAXED)};
    f->data = s;
    return f;
}

int64_t px_inet_socket_create(int family, int type, int protocol, uint32_t status_flags, px_file **out)
{
    int wanted = type == LINUX_SOCK_STREAM ? LINUX_IPPROTO_TCP : LINUX_IPPROTO_UDP;
    if (type != LINUX_SOCK_STREAM && type != LINUX_SOCK_DGRAM) return -LINUX_ESOCKTNOSUPPORT; /* raw, seqpacket: not yet */
    if (protocol != 0 && protocol != wanted) return -LINUX_EPROTONOSUPPORT;
    px_host_handle h;
    int64_t r = px_host_socket_new(family == LINUX_AF_INET6 ? PX_HOST_AF_INET6 : PX_HOST_AF_INET, type, wanted, &h);
    if (r < 0) return r;
    if (family == LINUX_AF_INET6) { /* Linux's default (net.ipv6.bindv6only 0): v4 too; Windows': v6 only */
        int32_t off = 0;
        px_host_socket_setopt(h, WIN_IPPROTO_IPV6, WIN_IPV6_V6ONLY, &off, sizeof off);
    }
    /* a datagram socket sends and receives without connecting */
    *out = socket_file(h, family, type, wanted, type == LINUX_SOCK_DGRAM ? CONNECTED : FRESH, status_flags);
    if (!*out) {
        px_host_socket_close(h);
        return -LINUX_ENOMEM;
    }
    return 0;
}

/* --- to a new process: the host socket is duplicated; this is the rest --- */

typedef struct inet_handoff_state {
    int32_t family, type, protocol, state;
} inet_handoff_state;

static size_t inet_handoff_save(px_file *f, void *state)
{
    inet_socket *s = sock_of(f);
    inet_handoff_state h = {s->family, s->type, s->protocol, (int32_t)s->state};
    memcpy(state, &h, sizeof h);
    return sizeof h;
}

static px_file *inet_handoff_rebuild(const px_handoff_file *hf)
{
    inet_handoff_state h;
    if (hf->state_len != sizeof h || !hf->handle) return NULL;
    memcpy(&h, hf->state, sizeof h);
    if (px_host_socket_adopt(hf->handle) < 0) return NULL;
    return socket_file(hf->handle, h.family, h.type, h.protocol, (enum inet_state)h.state,
                       hf->status_flags & ~(uint32_t)LINUX_O_ACCMODE);
}

const px_file_handoff px_inet_handoff = {.kind = PX_HANDOFF_INET, .save = inet_handoff_save, .rebuild = inet_handoff_rebuild};

static const px_file_ops inet_ops = {
    .read = px_socket_file_read,
    .write = px_socket_file_write,
    .stat = inet_stat,
    .readable_bytes = inet_readable_bytes,
    .poll = inet_poll,
    .poll_handle = inet_poll_handle,
    .poll_recheck_ns = RECHECK_NS,
    .wait_on = inet_wait_on,
    .release = inet_release,
    .handoff = &px_inet_handoff,
    .socket = &inet_socket_ops,
};
