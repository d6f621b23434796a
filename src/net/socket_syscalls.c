/* The socket calls while picolx has no sockets (they come with the network milestone):
   socket() and socketpair() are not implemented (ENOSYS, shown by --trace), so no fd
   can be a socket, and every call that takes one answers as Linux does for an open fd
   that is not a socket (ENOTSOCK), or for a closed one (EBADF). Programs ask: bash
   treats stdin as a network connection, and reads ~/.bashrc, unless getpeername says
   ENOTSOCK. */
#include "fs/fs_internal.h"

static int64_t not_a_socket(int fd)
{
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    px_file_unref(f);
    return -LINUX_ENOTSOCK;
}

#define NOT_A_SOCKET(name) \
    PX_SYSCALL(name) { return not_a_socket((int)PX_ARG0); }

/* connect(2), accept(2), accept4(2), bind(2), listen(2), shutdown(2) */
NOT_A_SOCKET(connect)
NOT_A_SOCKET(accept)
NOT_A_SOCKET(accept4)
NOT_A_SOCKET(bind)
NOT_A_SOCKET(listen)
NOT_A_SOCKET(shutdown)
/* getsockname(2), getpeername(2), getsockopt(2), setsockopt(2) */
NOT_A_SOCKET(getsockname)
NOT_A_SOCKET(getpeername)
NOT_A_SOCKET(getsockopt)
NOT_A_SOCKET(setsockopt)
/* sendto(2), recvfrom(2), sendmsg(2), recvmsg(2), sendmmsg(2), recvmmsg(2) */
NOT_A_SOCKET(sendto)
NOT_A_SOCKET(recvfrom)
NOT_A_SOCKET(sendmsg)
NOT_A_SOCKET(recvmsg)
NOT_A_SOCKET(sendmmsg)
NOT_A_SOCKET(recvmmsg)
