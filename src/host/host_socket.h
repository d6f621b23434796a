/* Host sockets (net/inet.c): Winsock, always in non-blocking mode (a guest's blocking
   call waits in the handler, interruptible), with an event that turns signalled when the
   socket may have become ready. Addresses are Windows sockaddrs (AF_INET 2, AF_INET6
   23); the caller translates. Errors are -LINUX_Exxx (core/errors.c's Winsock rows). */
#ifndef PX_HOST_SOCKET_H
#define PX_HOST_SOCKET_H

#include <stdbool.h>
#include "host/host.h"

#define PX_HOST_AF_INET 2
#define PX_HOST_AF_INET6 23

/* Readiness (px_host_socket_poll). */
enum {
    PX_HOST_SOCK_READABLE = 1, /* bytes, a connection to accept, or the end */
    PX_HOST_SOCK_WRITABLE = 2,
    PX_HOST_SOCK_HUP = 4,      /* the connection is gone (both directions) */
    PX_HOST_SOCK_ERROR = 8,    /* a pending error (SO_ERROR) */
};

/* A new socket: 0 and *out, or -LINUX_Exxx. */
int64_t px_host_socket_new(int family, int type, int protocol, px_host_handle *out);
/* A socket handle this process got from another (fork): made ready for use here. */
int64_t px_host_socket_adopt(px_host_handle s);
void px_host_socket_close(px_host_handle s);

int64_t px_host_socket_bind(px_host_handle s, const void *addr, uint32_t len);
int64_t px_host_socket_listen(px_host_handle s, int backlog);
/* 0 with *out (and its peer's address), -LINUX_EAGAIN when none waits, or -LINUX_Exxx. */
int64_t px_host_socket_accept(px_host_handle s, void *addr, uint32_t *len, px_host_handle *out);
/* 0, -LINUX_EINPROGRESS (under way: wait for writable, then px_host_socket_error), or
   -LINUX_Exxx. */
int64_t px_host_socket_connect(px_host_handle s, const void *addr, uint32_t len);
/* SO_ERROR, taken: 0 or -LINUX_Exxx. */
int64_t px_host_socket_error(px_host_handle s);

/* flags: PX_HOST_MSG_*. to NULL: the connected peer. The count or -LINUX_Exxx
   (-LINUX_EAGAIN: no room now). */
enum { PX_HOST_MSG_OOB = 1, PX_HOST_MSG_PEEK = 2 };
int64_t px_host_socket_send(px_host_handle s, const void *buf, uint64_t len, int flags, const void *to, uint32_t to_len);
/* The count (0: the end), or -LINUX_Exxx (-LINUX_EAGAIN: nothing now); from (room
   *from_len, NULL: not wanted) gets the sender; *truncated: a datagram did not fit. */
int64_t px_host_socket_recv(px_host_handle s, void *buf, uint64_t len, int flags, void *from, uint32_t *from_len,
                            bool *truncated);
/* how: 0 receiving, 1 sending, 2 both. */
int64_t px_host_socket_shutdown(px_host_handle s, int how);
int64_t px_host_socket_name(px_host_handle s, bool peer, void *addr, uint32_t *len);
/* Windows' levels and names (the caller maps Linux's). */
int64_t px_host_socket_getopt(px_host_handle s, int level, int name, void *val, uint32_t *len);
int64_t px_host_socket_setopt(px_host_handle s, int level, int name, const void *val, uint32_t len);
int64_t px_host_socket_readable_bytes(px_host_handle s);
/* PX_HOST_SOCK_* that hold now (no wait). */
uint32_t px_host_socket_poll(px_host_handle s);

/* The socket's readiness event (made once per socket in this process, owned by the
   caller: px_host_close it); NULL on failure. */
px_host_handle px_host_socket_event(px_host_handle s);
/* Before a wait on the event: what it recorded is cleared, and it is set again at once
   when the socket is ready now for what `ready` asks (PX_HOST_SOCK_* bits). */
void px_host_socket_arm(px_host_handle s, px_host_handle event, uint32_t ready);

#endif
