/* Winsock for net/inet.c (host_socket.h). */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <limits.h>
#include "core/errors.h"
#include "core/px.h"
#include "host/host_socket.h"

#define SOCK(h) ((SOCKET)(uintptr_t)(h))

/* WSAStartup once per process, before the first socket call. */
static void startup(void)
{
    static volatile LONG state; /* 0 not yet, 1 under way, 2 done */
    if (state == 2) return;
    if (InterlockedCompareExchange(&state, 1, 0) == 0) {
        WSADATA data;
        WSAStartup(MAKEWORD(2, 2), &data);
        InterlockedExchange(&state, 2);
        return;
    }
    while (state != 2) SwitchToThread();
}

static int64_t wsa_error(void) { return px_err_winsock((uint32_t)WSAGetLastError()); }

static int64_t set_nonblocking(SOCKET s)
{
    u_long on = 1;
    return ioctlsocket(s, FIONBIO, &on) == SOCKET_ERROR ? wsa_error() : 0;
}

int64_t px_host_socket_new(int family, int type, int protocol, px_host_handle *out)
{
    startup();
    /* not inherited by CreateProcess: a new picolx process gets its own copy, duplicated */
    SOCKET s = WSASocketW(family, type, protocol, NULL, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (s == INVALID_SOCKET) return wsa_error();
    int64_t r = set_nonblocking(s);
    if (r < 0) {
        closesocket(s);
        return r;
    }
    *out = (px_host_handle)(uintptr_t)s;
    return 0;
}

int64_t px_host_socket_adopt(px_host_handle s)
{
    (void)s;
    startup();
    return 0;
}

void px_host_socket_close(px_host_handle s)
{
    if (s) closesocket(SOCK(s));
}

int64_t px_host_socket_bind(px_host_handle s, const void *addr, uint32_t len)
{
    return bind(SOCK(s), addr, (int)len) == SOCKET_ERROR ? wsa_error() : 0;
}

int64_t px_host_socket_listen(px_host_handle s, int backlog)
{
    return listen(SOCK(s), backlog) == SOCKET_ERROR ? wsa_error() : 0;
}

int64_t px_host_socket_accept(px_host_handle s, void *addr, uint32_t *len, px_host_handle *out)
{
    int n = (int)*len;
    SOCKET c = accept(SOCK(s), addr, &n);
    if (c == INVALID_SOCKET) return wsa_error();
    /* an accepted socket takes the listener's event selection: it gets its own */
    WSAEventSelect(c, NULL, 0);
    int64_t r = set_nonblocking(c);
    if (r < 0) {
        closesocket(c);
        return r;
    }
    *len = (uint32_t)n;
    *out = (px_host_handle)(uintptr_t)c;
    return 0;
}

int64_t px_host_socket_connect(px_host_handle s, const void *addr, uint32_t len)
{
    if (connect(SOCK(s), addr, (int)len) != SOCKET_ERROR) return 0;
    int err = WSAGetLastError();
    return err == WSAEWOULDBLOCK ? -LINUX_EINPROGRESS : px_err_winsock((uint32_t)err);
}

int64_t px_host_socket_error(px_host_handle s)
{
    int err = 0, n = sizeof err;
    if (getsockopt(SOCK(s), SOL_SOCKET, SO_ERROR, (char *)&err, &n) == SOCKET_ERROR) return wsa_error();
    return err ? px_err_winsock((uint32_t)err) : 0;
}

static int win_flags(int flags) { return ((flags & PX_HOST_MSG_OOB) ? MSG_OOB : 0) | ((flags & PX_HOST_MSG_PEEK) ? MSG_PEEK : 0); }

int64_t px_host_socket_send(px_host_handle s, const void *buf, uint64_t len, int flags, const void *to, uint32_t to_len)
{
    int n = len > INT_MAX ? INT_MAX : (int)len;
    int r = to ? sendto(SOCK(s), buf, n, win_flags(flags), to, (int)to_len) : send(SOCK(s), buf, n, win_flags(flags));
    return r == SOCKET_ERROR ? wsa_error() : r;
}

int64_t px_host_socket_recv(px_host_handle s, void *buf, uint64_t len, int flags, void *from, uint32_t *from_len,
                            bool *truncated)
{
    int n = len > INT_MAX ? INT_MAX : (int)len, fl = from_len ? (int)*from_len : 0;
    *truncated = false;
    int r = recvfrom(SOCK(s), buf, n, win_flags(flags), from, from ? &fl : NULL);
    if (r == SOCKET_ERROR) {
        if (WSAGetLastError() != WSAEMSGSIZE) return wsa_error();
        *truncated = true; /* the buffer holds the datagram's first n bytes */
        r = n;
    }
    if (from_len) *from_len = from ? (uint32_t)fl : 0;
    return r;
}

int64_t px_host_socket_shutdown(px_host_handle s, int how)
{
    return shutdown(SOCK(s), how) == SOCKET_ERROR ? wsa_error() : 0;
}

int64_t px_host_socket_name(px_host_handle s, bool peer, void *addr, uint32_t *len)
{
    int n = (int)*len;
    int r = peer ? getpeername(SOCK(s), addr, &n) : getsockname(SOCK(s), addr, &n);
    if (r == SOCKET_ERROR) return wsa_error();
    *len = (uint32_t)n;
    return 0;
}

int64_t px_host_socket_getopt(px_host_handle s, int level, int name, void *val, uint32_t *len)
{
    int n = (int)*len;
    if (getsockopt(SOCK(s), level, name, val, &n) == SOCKET_ERROR) return wsa_error();
    *len = (uint32_t)n;
    return 0;
}

int64_t px_host_socket_setopt(px_host_handle s, int level, int name, const void *val, uint32_t len)
{
    return setsockopt(SOCK(s), level, name, val, (int)len) == SOCKET_ERROR ? wsa_error() : 0;
}

int64_t px_host_socket_readable_bytes(px_host_handle s)
{
    u_long n = 0;
    return ioctlsocket(SOCK(s), FIONREAD, &n) == SOCKET_ERROR ? wsa_error() : (int64_t)n;
}

uint32_t px_host_socket_poll(px_host_handle s)
{
    WSAPOLLFD p = {.fd = SOCK(s), .events = POLLRDNORM | POLLWRNORM};
    if (WSAPoll(&p, 1, 0) == SOCKET_ERROR) return PX_HOST_SOCK_ERROR;
    uint32_t ready = 0;
    if (p.revents & (POLLRDNORM | POLLRDBAND)) ready |= PX_HOST_SOCK_READABLE;
    if (p.revents & POLLWRNORM) ready |= PX_HOST_SOCK_WRITABLE;
    if (p.revents & POLLHUP) ready |= PX_HOST_SOCK_HUP | PX_HOST_SOCK_READABLE;
    if (p.revents & (POLLERR | POLLNVAL)) ready |= PX_HOST_SOCK_ERROR;
    return ready;
}

px_host_handle px_host_socket_event(px_host_handle s)
{
    WSAEVENT e = WSACreateEvent();
    if (e == WSA_INVALID_EVENT) return NULL;
    if (WSAEventSelect(SOCK(s), e, FD_READ | FD_WRITE | FD_ACCEPT | FD_CONNECT | FD_CLOSE | FD_OOB) == SOCKET_ERROR) {
        WSACloseEvent(e);
        return NULL;
    }
    return e;
}

void px_host_socket_arm(px_host_handle s, px_host_handle event, uint32_t ready)
{
    WSANETWORKEVENTS seen;
    WSAEnumNetworkEvents(SOCK(s), event, &seen); /* clears the records and resets the event */
    if (px_host_socket_poll(s) & ready) SetEvent(event);
}
