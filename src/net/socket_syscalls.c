/* The socket calls. The sockets there are: socketpair(2)'s connected AF_UNIX pairs
   (unix_pair.c), socket(2)'s AF_UNIX ones that bind, listen, connect and accept make
   into such pairs (unix_named.c), and its AF_INET and AF_INET6 ones on Winsock (inet.c); other
   families give EAFNOSUPPORT, as a Linux built without them. Every call that takes an fd answers as Linux does for an open fd that is not a socket
   (ENOTSOCK), or for a closed one (EBADF): bash treats stdin as a network connection,
   and reads ~/.bashrc, unless getpeername says ENOTSOCK. The handlers copy addresses,
   options and iovecs; a socket's ops move the data (net/socket.h). */
#include <stddef.h>
#include "kernel/block.h"
#include "kernel/kernel.h"
#include "kernel/signal.h"
#include "net/socket.h"
#include "task/process.h"

#define ADDRESS_MAX 128u      /* struct sockaddr_storage: Linux's move_addr_to_kernel limit */
#define OPTION_MAX 128u       /* the largest option value handled (all are small) */
#define BOUNCE_MAX (256u * 1024u) /* a gathered or scattered msghdr moves in pieces this big */
#define AF_MAX 46             /* Linux's address families end here: EAFNOSUPPORT past it */

/* The socket at fd: its file (a reference: px_file_unref it) and ops, or EBADF/ENOTSOCK. */
static int64_t socket_get(int fd, px_file **out, const px_socket_ops **ops)
{
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    if (!px_socket_of(f)) {
        px_file_unref(f);
        return -LINUX_ENOTSOCK;
    }
    *out = f;
    *ops = px_socket_of(f);
    return 0;
}

/* An address the guest gives (Linux's move_addr_to_kernel): 0, -EINVAL, -EFAULT. */
static int64_t address_in(uint8_t *address, uint64_t addr, int32_t addr_len)
{
    if (addr_len < 0 || (uint32_t)addr_len > ADDRESS_MAX) return -LINUX_EINVAL;
    if (addr_len && px_copy_in(address, addr, (size_t)addr_len) < 0) return -LINUX_EFAULT;
    return 0;
}

/* An address the socket gives back (move_addr_to_user): at most the room *addr_len says,
   and the whole length into *addr_len. */
static int64_t address_out(uint64_t addr, uint64_t addr_len_ptr, const void *address, uint32_t len)
{
    int32_t room;
    if (px_copy_in(&room, addr_len_ptr, sizeof room) < 0) return -LINUX_EFAULT;
    if (room < 0) return -LINUX_EINVAL;
    uint32_t n = len < (uint32_t)room ? len : (uint32_t)room;
    if (n && px_copy_out(addr, address, n) < 0) return -LINUX_EFAULT;
    int32_t whole = (int32_t)len;
    return PX_PUT(addr_len_ptr, &whole);
}

/* The data buffer of a send or receive is checked (access_ok: not in the kernel half)
   before the fd, as Linux's import_ubuf does. */
static bool buffer_ok(uint64_t buf, uint64_t len) { return len <= PX_GUEST_ADDR_END && buf <= PX_GUEST_ADDR_END - len; }

static bool nonblocking(const px_file *f, int flags)
{
    return (flags & LINUX_MSG_DONTWAIT) || (f->status_flags & LINUX_O_NONBLOCK);
}

/* A send, waiting while it would block; a blocking send to a stream goes on until all
   of it is sent. EPIPE from a stream comes with SIGPIPE unless MSG_NOSIGNAL. */
static int64_t send_on(px_file *f, const px_socket_ops *so, const void *buf, uint64_t len, int flags, const void *to,
                       uint32_t to_len)
{
    bool nonblock = nonblocking(f, flags), stream = so->is_stream(f);
    uint64_t done = 0;
    int64_t r;
    for (;;) {
        r = so->send(f, (const char *)buf + done, len - done, flags, nonblock, to, to_len);
        if (r == PX_WOULD_BLOCK) {
            if ((r = px_file_wait(f, LINUX_POLLOUT)) < 0) break;
            continue;
        }
        if (r < 0) break;
        done += (uint64_t)r;
        if (!stream || nonblock || done >= len) break;
    }
    __atomic_add_fetch(&f->io_gen, 1, __ATOMIC_RELEASE);
    if (done) return (int64_t)done;
    if (r == -LINUX_EPIPE && stream && !(flags & LINUX_MSG_NOSIGNAL))
        px_signal_kill(px_kernel_self()->process->tgid, LINUX_SIGPIPE);
    return r;
}

/* A receive, waiting while it would block; MSG_WAITALL on a stream waits for all of len.
   MSG_TRUNC on a record socket returns the record's whole length. */
static int64_t recv_on(px_file *f, const px_socket_ops *so, void *buf, uint64_t len, int flags, int *msg_flags,
                       void *from, uint32_t *from_len)
{
    bool nonblock = nonblocking(f, flags), stream = so->is_stream(f);
    bool wait_all = stream && (flags & LINUX_MSG_WAITALL) && !(flags & LINUX_MSG_PEEK) && !nonblock;
    uint64_t done = 0, whole = 0;
    int64_t r;
    for (;;) {
        r = so->recv(f, (char *)buf + done, len - done, flags, nonblock, msg_flags, &whole, from, from_len);
        if (r == PX_WOULD_BLOCK) {
            if ((r = px_file_wait(f, LINUX_POLLIN)) < 0) break;
            continue;
        }
        if (r <= 0) break;
        done += (uint64_t)r;
        if (!wait_all || done >= len) break;
    }
    __atomic_add_fetch(&f->io_gen, 1, __ATOMIC_RELEASE);
    if (done) return !stream && (flags & LINUX_MSG_TRUNC) ? (int64_t)whole : (int64_t)done;
    if (r == 0 && !stream && (flags & LINUX_MSG_TRUNC)) return (int64_t)whole;
    return r;
}

/* socketpair(2) */
PX_SYSCALL(socketpair)
{
    int domain = (int)PX_ARG0, type = (int)PX_ARG1, protocol = (int)PX_ARG2;
    uint64_t sv = PX_ARG3;
    int flags = type & (LINUX_SOCK_NONBLOCK | LINUX_SOCK_CLOEXEC), kind = type & ~flags;
    if (kind & ~LINUX_SOCK_TYPE_MASK) return -LINUX_EINVAL;
    if (domain < 0 || domain >= AF_MAX) return -LINUX_EAFNOSUPPORT;
    if (kind < 1 || kind > 10) return -LINUX_EINVAL; /* SOCK_STREAM..SOCK_PACKET */
    if (domain != LINUX_AF_UNIX) return -LINUX_EOPNOTSUPP; /* Linux pairs only AF_UNIX sockets */
    if (protocol != 0 && protocol != LINUX_AF_UNIX) return -LINUX_EPROTONOSUPPORT;
    if (kind == LINUX_SOCK_RAW) kind = LINUX_SOCK_DGRAM; /* as unix_create makes it */
    if (kind != LINUX_SOCK_STREAM && kind != LINUX_SOCK_DGRAM && kind != LINUX_SOCK_SEQPACKET)
        return -LINUX_ESOCKTNOSUPPORT;
    px_file *a, *b;
    int64_t r = px_unix_pair_create(kind, (flags & LINUX_SOCK_NONBLOCK) ? LINUX_O_NONBLOCK : 0, &a, &b);
    if (r < 0) return r;
    bool cloexec = (flags & LINUX_SOCK_CLOEXEC) != 0;
    int64_t fa = px_fd_install(a, 0, cloexec);
    if (fa < 0) {
        px_file_unref(b);
        return fa;
    }
    int64_t fb = px_fd_install(b, 0, cloexec);
    if (fb < 0) {
        px_fd_close((int)fa);
        return fb;
    }
    int32_t fds[2] = {(int32_t)fa, (int32_t)fb};
    if (px_copy_out(sv, fds, sizeof fds) < 0) { /* Linux makes both, then finds it cannot tell */
        px_fd_close((int)fa);
        px_fd_close((int)fb);
        return -LINUX_EFAULT;
    }
    return 0;
}

/* sendto(2) */
PX_SYSCALL(sendto)
{
    int fd = (int)PX_ARG0, flags = (int)PX_ARG3;
    uint64_t buf = PX_ARG1, len = PX_ARG2, addr = PX_ARG4;
    int32_t addr_len = (int32_t)PX_ARG5;
    if (!buffer_ok(buf, len)) return -LINUX_EFAULT;
    px_file *f;
    const px_socket_ops *so;
    int64_t r = socket_get(fd, &f, &so);
    if (r < 0) return r;
    uint8_t address[ADDRESS_MAX];
    bool addressed = addr && addr_len;
    if (addressed) r = address_in(address, addr, addr_len);
    if (r == 0)
        r = send_on(f, so, (const void *)(uintptr_t)buf, len, flags, addressed ? address : NULL,
                    addressed ? (uint32_t)addr_len : 0);
    px_file_unref(f);
    return r;
}

/* recvfrom(2) */
PX_SYSCALL(recvfrom)
{
    int fd = (int)PX_ARG0, flags = (int)PX_ARG3;
    uint64_t buf = PX_ARG1, len = PX_ARG2, addr = PX_ARG4, addr_len_ptr = PX_ARG5;
    if (!buffer_ok(buf, len)) return -LINUX_EFAULT;
    px_file *f;
    const px_socket_ops *so;
    int64_t r = socket_get(fd, &f, &so);
    if (r < 0) return r;
    int msg_flags = 0;
    uint8_t from[ADDRESS_MAX];
    uint32_t from_len = 0;
    r = recv_on(f, so, (void *)(uintptr_t)buf, len, flags, &msg_flags, from, &from_len);
    if (r >= 0 && addr && addr_len_ptr) {
        int64_t a = address_out(addr, addr_len_ptr, from, from_len);
        if (a < 0) r = a;
    }
    px_file_unref(f);
    return r;
}

/* A msghdr's fields the calls read, copied in and checked. */
static int64_t msghdr_in(uint64_t msg, struct linux_msghdr *m)
{
    if (px_copy_in(m, msg, sizeof *m) < 0) return -LINUX_EFAULT;
    return 0;
}

/* sendmsg without the fd: the msghdr's iovecs sent as one send (gathered in pieces of
   BOUNCE_MAX when there are several); ancillary data is not supported yet. */
static int64_t sendmsg_on(px_file *f, const px_socket_ops *so, const struct linux_msghdr *m, int flags)
{
    if (m->msg_controllen >= sizeof(struct linux_cmsghdr)) return -LINUX_EOPNOTSUPP; /* SCM_RIGHTS, SCM_CREDENTIALS */
    int64_t r = 0;
    uint8_t address[ADDRESS_MAX];
    bool addressed = m->msg_name && m->msg_namelen;
    if (addressed && (r = address_in(address, m->msg_name, (int32_t)m->msg_namelen)) < 0) return r;
    const void *to = addressed ? address : NULL;
    uint32_t to_len = addressed ? m->msg_namelen : 0;
    struct linux_iovec stack[PX_IOV_ON_STACK], *iov;
    uint64_t total;
    r = px_iov_in(m->msg_iov, (int64_t)m->msg_iovlen, stack, &iov, &total);
    if (r < 0) return r;
    if (m->msg_iovlen == 1 || total == 0) {
        r = send_on(f, so, m->msg_iovlen ? (const void *)(uintptr_t)iov[0].iov_base : NULL, total, flags, to, to_len);
        px_iov_free(iov, stack);
        return r;
    }
    uint64_t chunk = total < BOUNCE_MAX ? total : BOUNCE_MAX;
    uint8_t *bounce = px_alloc((size_t)chunk);
    uint64_t done = 0;
    size_t at = 0;
    uint64_t at_off = 0;
    r = bounce ? 0 : -LINUX_ENOMEM;
    while (r >= 0 && done < total) {
        uint64_t n = 0;
        while (n < chunk && at < m->msg_iovlen) { /* the next piece, gathered */
            uint64_t step = iov[at].iov_len - at_off;
            if (step > chunk - n) step = chunk - n;
            if (step && px_copy_in(bounce + n, iov[at].iov_base + at_off, (size_t)step) < 0) {
                r = -LINUX_EFAULT;
                break;
            }
            n += step;
            at_off += step;
            if (at_off == iov[at].iov_len) at++, at_off = 0;
        }
        if (r < 0) break;
        r = send_on(f, so, bounce, n, flags, to, to_len);
        if (r > 0) done += (uint64_t)r;
        if (r < (int64_t)n) break; /* short: the rest would block, or it failed */
    }
    px_free(bounce);
    px_iov_free(iov, stack);
    return done ? (int64_t)done : r;
}

/* recvmsg without the fd: into the msghdr's iovecs (scattered from a bounce buffer when
   there are several); msg_flags, msg_namelen and msg_controllen written back. */
static int64_t recvmsg_on(px_file *f, const px_socket_ops *so, uint64_t msg, struct linux_msghdr *m, int flags)
{
    struct linux_iovec stack[PX_IOV_ON_STACK], *iov;
    uint64_t total;
    int64_t r = px_iov_in(m->msg_iov, (int64_t)m->msg_iovlen, stack, &iov, &total);
    if (r < 0) return r;
    int msg_flags = 0;
    uint8_t from[ADDRESS_MAX];
    uint32_t from_len = 0;
    if (m->msg_iovlen <= 1) {
        r = recv_on(f, so, m->msg_iovlen ? (void *)(uintptr_t)iov[0].iov_base : NULL, total, flags, &msg_flags, from,
                    &from_len);
    } else {
        uint64_t chunk = total < BOUNCE_MAX ? total : BOUNCE_MAX;
        uint8_t *bounce = px_alloc(chunk ? (size_t)chunk : 1);
        r = bounce ? recv_on(f, so, bounce, chunk, flags, &msg_flags, from, &from_len) : -LINUX_ENOMEM;
        /* the bytes that arrived (MSG_TRUNC's larger count included only what fit) */
        uint64_t got = r > 0 ? ((uint64_t)r < chunk ? (uint64_t)r : chunk) : 0;
        for (size_t i = 0, n = 0; r >= 0 && n < got && i < m->msg_iovlen; i++) {
            uint64_t step = iov[i].iov_len < got - n ? iov[i].iov_len : got - n;
            if (step && px_copy_out(iov[i].iov_base, bounce + n, (size_t)step) < 0) r = -LINUX_EFAULT;
            n += step;
        }
        px_free(bounce);
    }
    px_iov_free(iov, stack);
    if (r < 0) return r;
    /* the sender's address, cut to the room msg_namelen gave (its whole length goes
       back), and no ancillary data */
    uint32_t namelen = m->msg_name ? from_len : 0;
    uint32_t room = m->msg_namelen < from_len ? m->msg_namelen : from_len;
    if (m->msg_name && room && px_copy_out(m->msg_name, from, room) < 0) return -LINUX_EFAULT;
    uint64_t controllen = 0;
    int32_t out_flags = msg_flags;
    if (px_copy_out(msg + offsetof(struct linux_msghdr, msg_namelen), &namelen, sizeof namelen) < 0 ||
        px_copy_out(msg + offsetof(struct linux_msghdr, msg_controllen), &controllen, sizeof controllen) < 0 ||
        px_copy_out(msg + offsetof(struct linux_msghdr, msg_flags), &out_flags, sizeof out_flags) < 0)
        return -LINUX_EFAULT;
    return r;
}

/* sendmsg(2) and recvmsg(2) */
static int64_t msg_call(int fd, uint64_t msg, int flags, bool receive)
{
    px_file *f;
    const px_socket_ops *so;
    int64_t r = socket_get(fd, &f, &so);
    if (r < 0) return r;
    struct linux_msghdr m;
    r = msghdr_in(msg, &m);
    if (r == 0) r = receive ? recvmsg_on(f, so, msg, &m, flags & ~LINUX_MSG_CMSG_CLOEXEC) : sendmsg_on(f, so, &m, flags);
    px_file_unref(f);
    return r;
}

PX_SYSCALL(sendmsg) { return msg_call((int)PX_ARG0, PX_ARG1, (int)PX_ARG2, false); }
PX_SYSCALL(recvmsg) { return msg_call((int)PX_ARG0, PX_ARG1, (int)PX_ARG2, true); }

/* sendmmsg(2) and recvmmsg(2): each message in turn (MSG_WAITFORONE: after the first,
   without waiting); the count done, or the first one's error. recvmmsg's timeout is not
   supported yet (EINVAL names it). */
static int64_t mmsg_call(int fd, uint64_t vec, uint32_t vlen, int flags, uint64_t timeout, bool receive)
{
    px_file *f;
    const px_socket_ops *so;
    int64_t r = socket_get(fd, &f, &so);
    if (r < 0) return r;
    if (timeout) {
        px_file_unref(f);
        return -LINUX_EINVAL;
    }
    if (vlen > 1024) vlen = 1024; /* UIO_MAXIOV, as Linux caps it */
    uint32_t done = 0;
    for (; done < vlen; done++) {
        uint64_t entry = vec + (uint64_t)done * sizeof(struct linux_mmsghdr);
        int these = flags;
        if (receive) {
            these &= ~(LINUX_MSG_WAITFORONE | LINUX_MSG_CMSG_CLOEXEC);
            if (done && (flags & LINUX_MSG_WAITFORONE)) these |= LINUX_MSG_DONTWAIT;
        }
        struct linux_msghdr m;
        r = msghdr_in(entry, &m);
        if (r == 0) r = receive ? recvmsg_on(f, so, entry, &m, these) : sendmsg_on(f, so, &m, these);
        if (r < 0) break;
        uint32_t len = (uint32_t)r;
        if (px_copy_out(entry + offsetof(struct linux_mmsghdr, msg_len), &len, sizeof len) < 0) {
            r = -LINUX_EFAULT;
            break;
        }
    }
    px_file_unref(f);
    return done ? (int64_t)done : r;
}

PX_SYSCALL(sendmmsg) { return mmsg_call((int)PX_ARG0, PX_ARG1, (uint32_t)PX_ARG2, (int)PX_ARG3, 0, false); }
PX_SYSCALL(recvmmsg) { return mmsg_call((int)PX_ARG0, PX_ARG1, (uint32_t)PX_ARG2, (int)PX_ARG3, PX_ARG4, true); }

/* shutdown(2) */
PX_SYSCALL(shutdown)
{
    px_file *f;
    const px_socket_ops *so;
    int64_t r = socket_get((int)PX_ARG0, &f, &so);
    if (r < 0) return r;
    r = so->shutdown(f, (int)PX_ARG1);
    px_file_unref(f);
    return r;
}

/* getsockopt(2) */
PX_SYSCALL(getsockopt)
{
    int fd = (int)PX_ARG0, level = (int)PX_ARG1, name = (int)PX_ARG2;
    uint64_t val = PX_ARG3, len_ptr = PX_ARG4;
    px_file *f;
    const px_socket_ops *so;
    int64_t r = socket_get(fd, &f, &so);
    if (r < 0) return r;
    int32_t room;
    uint8_t value[OPTION_MAX];
    if (px_copy_in(&room, len_ptr, sizeof room) < 0) r = -LINUX_EFAULT;
    else if (room < 0) r = -LINUX_EINVAL;
    if (r == 0) {
        uint32_t len = (uint32_t)room < OPTION_MAX ? (uint32_t)room : OPTION_MAX;
        r = so->getsockopt(f, level, name, value, &len);
        int32_t out_len = (int32_t)len;
        if (r == 0 && ((len && px_copy_out(val, value, len) < 0) || PX_PUT(len_ptr, &out_len) < 0)) r = -LINUX_EFAULT;
    }
    px_file_unref(f);
    return r;
}

/* setsockopt(2) */
PX_SYSCALL(setsockopt)
{
    int fd = (int)PX_ARG0, level = (int)PX_ARG1, name = (int)PX_ARG2;
    uint64_t val = PX_ARG3;
    int32_t len = (int32_t)PX_ARG4;
    px_file *f;
    const px_socket_ops *so;
    int64_t r = socket_get(fd, &f, &so);
    if (r < 0) return r;
    uint8_t value[OPTION_MAX];
    uint32_t n = len < 0 ? 0 : (uint32_t)len < OPTION_MAX ? (uint32_t)len : OPTION_MAX;
    if (len < 0) r = -LINUX_EINVAL;
    else if (n && px_copy_in(value, val, n) < 0) r = -LINUX_EFAULT;
    if (r == 0) r = so->setsockopt(f, level, name, value, n);
    px_file_unref(f);
    return r;
}

static int64_t name_call(int fd, uint64_t addr, uint64_t len_ptr, bool peer)
{
    px_file *f;
    const px_socket_ops *so;
    int64_t r = socket_get(fd, &f, &so);
    if (r < 0) return r;
    uint8_t address[ADDRESS_MAX];
    uint32_t len = 0;
    r = (peer ? so->getpeername : so->getsockname)(f, address, &len);
    if (r == 0) r = address_out(addr, len_ptr, address, len);
    px_file_unref(f);
    return r;
}

/* getsockname(2), getpeername(2) */
PX_SYSCALL(getsockname) { return name_call((int)PX_ARG0, PX_ARG1, PX_ARG2, false); }
PX_SYSCALL(getpeername) { return name_call((int)PX_ARG0, PX_ARG1, PX_ARG2, true); }

/* connect(2), bind(2): Linux copies the address in before it looks at the fd */
static int64_t address_call(int fd, uint64_t addr, int32_t addr_len, bool bind)
{
    uint8_t address[ADDRESS_MAX];
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    int64_t r = address_in(address, addr, addr_len);
    const px_socket_ops *so = px_socket_of(f);
    if (r == 0 && !so) r = -LINUX_ENOTSOCK;
    if (r == 0 && bind) r = so->bind(f, address, (uint32_t)addr_len);
    /* a blocking connect waits for the connection, and asks again */
    else if (r == 0)
        while ((r = so->connect(f, address, (uint32_t)addr_len, (f->status_flags & LINUX_O_NONBLOCK) != 0)) ==
                   PX_WOULD_BLOCK &&
               (r = px_file_wait(f, LINUX_POLLOUT)) == 0) {
        }
    px_file_unref(f);
    return r;
}

PX_SYSCALL(connect) { return address_call((int)PX_ARG0, PX_ARG1, (int32_t)PX_ARG2, false); }
PX_SYSCALL(bind) { return address_call((int)PX_ARG0, PX_ARG1, (int32_t)PX_ARG2, true); }

/* listen(2) */
PX_SYSCALL(listen)
{
    px_file *f;
    const px_socket_ops *so;
    int64_t r = socket_get((int)PX_ARG0, &f, &so);
    if (r < 0) return r;
    r = so->listen(f, (int)PX_ARG1);
    px_file_unref(f);
    return r;
}

/* The new socket gets accept4's flags only (Linux does not pass the listener's
   O_NONBLOCK on); the peer's address goes out once the fd is there. */
static int64_t accept_call(int fd, uint64_t addr, uint64_t addr_len_ptr, int flags)
{
    if (flags & ~(LINUX_SOCK_CLOEXEC | LINUX_SOCK_NONBLOCK)) return -LINUX_EINVAL;
    px_file *f;
    const px_socket_ops *so;
    int64_t r = socket_get(fd, &f, &so);
    if (r < 0) return r;
    px_file *conn = NULL;
    uint8_t peer[ADDRESS_MAX];
    uint32_t peer_len = sizeof peer;
    uint32_t status = (flags & LINUX_SOCK_NONBLOCK) ? LINUX_O_NONBLOCK : 0;
    bool nonblock = (f->status_flags & LINUX_O_NONBLOCK) != 0;
    while ((r = so->accept(f, status, nonblock, &conn, peer, &peer_len)) == PX_WOULD_BLOCK &&
           (r = px_file_wait(f, LINUX_POLLIN)) == 0) {
        peer_len = sizeof peer;
    }
    px_file_unref(f);
    if (r < 0) return r;
    int64_t nfd = px_fd_install(conn, 0, (flags & LINUX_SOCK_CLOEXEC) != 0);
    if (nfd < 0) return nfd;
    if (addr && addr_len_ptr) {
        int64_t a = address_out(addr, addr_len_ptr, peer, peer_len);
        if (a < 0) { /* Linux: the connection is lost, the fd not made */
            px_fd_close((int)nfd);
            return a;
        }
    }
    return nfd;
}

/* accept(2), accept4(2) */
PX_SYSCALL(accept) { return accept_call((int)PX_ARG0, PX_ARG1, PX_ARG2, 0); }
PX_SYSCALL(accept4) { return accept_call((int)PX_ARG0, PX_ARG1, PX_ARG2, (int)PX_ARG3); }

/* socket(2) */
PX_SYSCALL(socket)
{
    int domain = (int)PX_ARG0, type = (int)PX_ARG1, protocol = (int)PX_ARG2;
    int flags = type & (LINUX_SOCK_NONBLOCK | LINUX_SOCK_CLOEXEC), kind = type & ~flags;
    if (kind & ~LINUX_SOCK_TYPE_MASK) return -LINUX_EINVAL;
    if (domain < 0 || domain >= AF_MAX) return -LINUX_EAFNOSUPPORT;
    if (kind < 1 || kind > 10) return -LINUX_EINVAL;
    uint32_t status = (flags & LINUX_SOCK_NONBLOCK) ? LINUX_O_NONBLOCK : 0;
    px_file *f;
    int64_t r;
    if (domain == LINUX_AF_UNIX) {
        if (protocol != 0 && protocol != LINUX_AF_UNIX) return -LINUX_EPROTONOSUPPORT;
        if (kind == LINUX_SOCK_RAW) kind = LINUX_SOCK_DGRAM; /* as unix_create makes it */
        if (kind != LINUX_SOCK_STREAM && kind != LINUX_SOCK_DGRAM && kind != LINUX_SOCK_SEQPACKET)
            return -LINUX_ESOCKTNOSUPPORT;
        r = px_unix_socket_create(kind, status, &f);
    } else if (domain == LINUX_AF_INET || domain == LINUX_AF_INET6) {
        r = px_inet_socket_create(domain, kind, protocol, status, &f);
    } else {
        return -LINUX_EAFNOSUPPORT; /* netlink and the rest: not yet */
    }
    if (r < 0) return r;
    return px_fd_install(f, 0, (flags & LINUX_SOCK_CLOEXEC) != 0);
}
