/* What a socket is to the handlers (socket_syscalls.c): an open file description whose
   ops name a px_socket_ops (px_file_ops.socket). Each family's sockets implement it in a
   file of their own (unix_pair.c: connected AF_UNIX pairs). The handlers copy addresses,
   option values and iovecs in and out; the ops see runtime memory for those and a guest
   (or runtime) buffer for the data, and say PX_WOULD_BLOCK where the task must wait
   (fs/wait.h): the handler waits on the file's wait_on and asks again. */
#ifndef PX_NET_SOCKET_H
#define PX_NET_SOCKET_H

#include <stdint.h>
#include "abi/linux_socket.h"
#include "fs/fs_internal.h"

/* Linux's net.core.wmem_default and rmem_default: a new socket's SO_SNDBUF, SO_RCVBUF. */
#define PX_SOCKET_BUFFER_DEFAULT 212992u

typedef struct px_socket_ops {
    /* Up to len bytes of buf sent (flags: MSG_*; nonblock: MSG_DONTWAIT or O_NONBLOCK;
       to: the address sendto or sendmsg named, Linux's form, or NULL): the count, -errno
       or PX_WOULD_BLOCK. A short count of a stream means the rest would block. */
    int64_t (*send)(px_file *f, const void *buf, uint64_t len, int flags, bool nonblock, const void *to,
                    uint32_t to_len);
    /* Up to len bytes into buf: the count (0: the end), -errno or PX_WOULD_BLOCK;
       *msg_flags gets MSG_TRUNC when a record did not fit, *whole the record's length;
       from (room for a sockaddr_storage) the sender's address, *from_len its length (0:
       none). */
    int64_t (*recv)(px_file *f, void *buf, uint64_t len, int flags, bool nonblock, int *msg_flags, uint64_t *whole,
                    void *from, uint32_t *from_len);
    int64_t (*shutdown)(px_file *f, int how);
    /* *len: the room at val on the way in, the option's size on the way out */
    int64_t (*getsockopt)(px_file *f, int level, int name, void *val, uint32_t *len);
    int64_t (*setsockopt)(px_file *f, int level, int name, const void *val, uint32_t len);
    /* The address into addr (room for a sockaddr_storage), its length into *len. */
    int64_t (*getsockname)(px_file *f, void *addr, uint32_t *len);
    int64_t (*getpeername)(px_file *f, void *addr, uint32_t *len);
    /* connect: 0, -errno, or PX_WOULD_BLOCK (a blocking connect under way: the handler
       waits for POLLOUT and calls it again with the same address) */
    int64_t (*connect)(px_file *f, const void *addr, uint32_t len, bool nonblock);
    int64_t (*bind)(px_file *f, const void *addr, uint32_t len);
    int64_t (*listen)(px_file *f, int backlog);
    /* A connection taken: 0 with *out (status_flags: accept4's O_NONBLOCK) and the peer's
       address in addr (its length in *len), -errno, or PX_WOULD_BLOCK (wait for POLLIN). */
    int64_t (*accept)(px_file *f, uint32_t status_flags, bool nonblock, px_file **out, void *addr, uint32_t *len);
    /* A stream: a blocking send goes on until all is sent, a MSG_WAITALL recv until len;
       EPIPE comes with SIGPIPE (Linux's datagram sockets send none). */
    bool (*is_stream)(px_file *f);
} px_socket_ops;

static inline const px_socket_ops *px_socket_of(const px_file *f) { return f->ops->socket; }

/* An option's value out (getsockopt): at most *len bytes of it, Linux copies the smaller. */
static inline int64_t px_socket_option_out(void *val, uint32_t *len, const void *value, uint32_t size)
{
    if (*len > size) *len = size;
    memcpy(val, value, *len);
    return 0;
}

/* read(2) and write(2) on a socket: recv and send with no flags (every family's file
   ops name these) */
static inline int64_t px_socket_file_read(px_file *f, void *buf, uint64_t len)
{
    int msg_flags = 0;
    uint64_t whole;
    uint32_t from_len;
    return f->ops->socket->recv(f, buf, len, 0, (f->status_flags & LINUX_O_NONBLOCK) != 0, &msg_flags, &whole, NULL,
                                &from_len);
}

static inline int64_t px_socket_file_write(px_file *f, const void *buf, uint64_t len)
{
    return f->ops->socket->send(f, buf, len, 0, (f->status_flags & LINUX_O_NONBLOCK) != 0, NULL, 0);
}

/* unix_pair.c: socketpair(2)'s two connected sockets (type SOCK_STREAM, SOCK_DGRAM or
   SOCK_SEQPACKET; status_flags O_NONBLOCK or 0). 0 or -errno. */
int64_t px_unix_pair_create(int type, uint32_t status_flags, px_file **a, px_file **b);

/* sizeof(struct sockaddr_un): an AF_UNIX address at its longest */
#define PX_UNIX_ADDR_MAX 110u

/* unix_pair.c: a connected AF_UNIX socket that named sockets' connect and accept make:
   its ring ends, its own name and its peer's (Linux's sockaddr_un form; length 0:
   unnamed), the peer's credentials. NULL when out of memory (rx and tx stay the caller's). */
px_file *px_unix_connected_file(int type, px_file *rx, px_file *tx, uint32_t status_flags, const struct linux_ucred *peer,
                                const void *local, uint32_t local_len, const void *remote, uint32_t remote_len);
/* f (an unconnected socket whose own data the caller has let go) becomes made, a
   connected one: made's ops, data and handle move into f (every fd of it sees the
   connection), and made's shell goes. */
void px_unix_become(px_file *f, px_file *made);

/* unix_named.c: socket(2) of AF_UNIX: an unnamed, unconnected socket that bind, listen,
   connect and accept make more of. 0 and *out, or -errno. */
int64_t px_unix_socket_create(int type, uint32_t status_flags, px_file **out);

/* inet.c: socket(2) of AF_INET or AF_INET6 (SOCK_STREAM: TCP, SOCK_DGRAM: UDP), on
   Winsock. 0 and *out, or -errno. */
int64_t px_inet_socket_create(int family, int type, int protocol, uint32_t status_flags, px_file **out);

#endif
