/* Linux socket ABI: addresses, msghdr/cmsghdr and the constants sockets need
   (include/uapi/linux/socket.h, in.h, in6.h, un.h; include/linux/socket.h). */
#ifndef PX_ABI_LINUX_SOCKET_H
#define PX_ABI_LINUX_SOCKET_H

#include "linux_types.h"

/* address families */
#define LINUX_AF_UNSPEC 0
#define LINUX_AF_UNIX 1
#define LINUX_AF_INET 2
#define LINUX_AF_INET6 10
#define LINUX_AF_NETLINK 16
#define LINUX_AF_PACKET 17

/* socket types, and the flags socket(2) and accept4(2) take with them */
#define LINUX_SOCK_STREAM 1
#define LINUX_SOCK_DGRAM 2
#define LINUX_SOCK_RAW 3
#define LINUX_SOCK_SEQPACKET 5
#define LINUX_SOCK_TYPE_MASK 0xf
#define LINUX_SOCK_NONBLOCK 04000
#define LINUX_SOCK_CLOEXEC 02000000

/* levels and options */
#define LINUX_SOL_SOCKET 1
#define LINUX_IPPROTO_IP 0
#define LINUX_IPPROTO_TCP 6
#define LINUX_IPPROTO_UDP 17
#define LINUX_IPPROTO_IPV6 41
#define LINUX_SO_REUSEADDR 2
#define LINUX_SO_TYPE 3
#define LINUX_SO_ERROR 4
#define LINUX_SO_BROADCAST 6
#define LINUX_SO_SNDBUF 7
#define LINUX_SO_RCVBUF 8
#define LINUX_SO_KEEPALIVE 9
#define LINUX_SO_LINGER 13
#define LINUX_SO_REUSEPORT 15
#define LINUX_SO_PASSCRED 16
#define LINUX_SO_PEERCRED 17
#define LINUX_SO_RCVTIMEO 20
#define LINUX_SO_SNDTIMEO 21
#define LINUX_SO_ACCEPTCONN 30
#define LINUX_SO_DOMAIN 39
#define LINUX_SO_PROTOCOL 38
#define LINUX_TCP_NODELAY 1

/* ancillary data types at SOL_SOCKET */
#define LINUX_SCM_RIGHTS 1
#define LINUX_SCM_CREDENTIALS 2

/* send/recv flags */
#define LINUX_MSG_OOB 0x1
#define LINUX_MSG_PEEK 0x2
#define LINUX_MSG_DONTROUTE 0x4
#define LINUX_MSG_CTRUNC 0x8
#define LINUX_MSG_TRUNC 0x20
#define LINUX_MSG_DONTWAIT 0x40
#define LINUX_MSG_EOR 0x80
#define LINUX_MSG_WAITALL 0x100
#define LINUX_MSG_NOSIGNAL 0x4000
#define LINUX_MSG_MORE 0x8000
#define LINUX_MSG_WAITFORONE 0x10000
#define LINUX_MSG_CMSG_CLOEXEC 0x40000000

/* shutdown(2) */
#define LINUX_SHUT_RD 0
#define LINUX_SHUT_WR 1
#define LINUX_SHUT_RDWR 2

#define LINUX_INADDR_ANY 0x00000000u
#define LINUX_INADDR_LOOPBACK 0x7f000001u   /* host order */

struct linux_sockaddr {
    uint16_t sa_family;
    char sa_data[14];
};
PX_ABI_ASSERT_SIZE(struct linux_sockaddr, 16);

/* Big enough for any address (struct __kernel_sockaddr_storage). */
struct linux_sockaddr_storage {
    uint16_t ss_family;
    char data[126];
} __attribute__((aligned(8)));
PX_ABI_ASSERT_SIZE(struct linux_sockaddr_storage, 128);

/* sin_port and sin_addr are in network byte order. */
struct linux_sockaddr_in {
    uint16_t sin_family;
    uint16_t sin_port;
    uint32_t sin_addr;
    uint8_t sin_zero[8];
};
PX_ABI_ASSERT_SIZE(struct linux_sockaddr_in, 16);
PX_ABI_ASSERT_OFFSET(struct linux_sockaddr_in, sin_port, 2);
PX_ABI_ASSERT_OFFSET(struct linux_sockaddr_in, sin_addr, 4);

struct linux_sockaddr_in6 {
    uint16_t sin6_family;
    uint16_t sin6_port;
    uint32_t sin6_flowinfo;
    uint8_t sin6_addr[16];
    uint32_t sin6_scope_id;
};
PX_ABI_ASSERT_SIZE(struct linux_sockaddr_in6, 28);
PX_ABI_ASSERT_OFFSET(struct linux_sockaddr_in6, sin6_flowinfo, 4);
PX_ABI_ASSERT_OFFSET(struct linux_sockaddr_in6, sin6_addr, 8);
PX_ABI_ASSERT_OFFSET(struct linux_sockaddr_in6, sin6_scope_id, 24);

/* sun_path: a path (NUL-terminated unless it fills the array), or, beginning with a
   NUL byte, a name in the abstract namespace whose length is addrlen's. */
#define LINUX_UNIX_PATH_MAX 108
struct linux_sockaddr_un {
    uint16_t sun_family;
    char sun_path[LINUX_UNIX_PATH_MAX];
};
PX_ABI_ASSERT_SIZE(struct linux_sockaddr_un, 110);
PX_ABI_ASSERT_OFFSET(struct linux_sockaddr_un, sun_path, 2);

/* SO_PEERCRED */
struct linux_ucred {
    int32_t pid;
    uint32_t uid;
    uint32_t gid;
};
PX_ABI_ASSERT_SIZE(struct linux_ucred, 12);

struct linux_msghdr {
    uint64_t msg_name;        /* guest address of a sockaddr */
    uint32_t msg_namelen;
    uint32_t _pad0;
    uint64_t msg_iov;         /* guest address of struct linux_iovec[msg_iovlen] */
    uint64_t msg_iovlen;
    uint64_t msg_control;     /* guest address of the cmsghdr records */
    uint64_t msg_controllen;
    int32_t msg_flags;
    int32_t _pad1;
};
PX_ABI_ASSERT_SIZE(struct linux_msghdr, 56);
PX_ABI_ASSERT_OFFSET(struct linux_msghdr, msg_iov, 16);
PX_ABI_ASSERT_OFFSET(struct linux_msghdr, msg_control, 32);
PX_ABI_ASSERT_OFFSET(struct linux_msghdr, msg_flags, 48);

/* sendmmsg(2), recvmmsg(2) */
struct linux_mmsghdr {
    struct linux_msghdr msg_hdr;
    uint32_t msg_len;
    uint32_t _pad0;
};
PX_ABI_ASSERT_SIZE(struct linux_mmsghdr, 64);

/* One ancillary record; its data follows the header, each record 8-byte aligned. */
struct linux_cmsghdr {
    uint64_t cmsg_len;        /* header + data, without the trailing alignment */
    int32_t cmsg_level;
    int32_t cmsg_type;
};
PX_ABI_ASSERT_SIZE(struct linux_cmsghdr, 16);
#define LINUX_CMSG_ALIGN(len) (((len) + 7) & ~(uint64_t)7)
#define LINUX_CMSG_LEN(len) (sizeof(struct linux_cmsghdr) + (len))
#define LINUX_CMSG_SPACE(len) (sizeof(struct linux_cmsghdr) + LINUX_CMSG_ALIGN(len))

struct linux_linger {
    int32_t l_onoff;
    int32_t l_linger;
};
PX_ABI_ASSERT_SIZE(struct linux_linger, 8);

#endif
