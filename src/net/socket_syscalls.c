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

/* connect(2): Linux copies the address in before it looks at the fd */
PX_SYSCALL(connect)
{
    int fd = (int)PX_ARG0;
    uint64_t addr = PX_ARG1;
    int32_t addr_len = (int32_t)PX_ARG2;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EBADF;
    px_file_unref(f);
    uint8_t address[128]; /* struct sockaddr_storage */
    if (addr_len < 0 || (uint32_t)addr_len > sizeof address) return -LINUX_EINVAL;
    if (px_copy_in(address, addr, (size_t)addr_len) < 0) return -LINUX_EFAULT;
    return -LINUX_ENOTSOCK;
}

/* The data buffer of sendto and recvfrom is checked (access_ok: not in the kernel half)
   before the fd, as Linux's import_ubuf does. */
static int64_t buffer_then_socket(int fd, uint64_t buf, uint64_t len)
{
    if (len > PX_GUEST_ADDR_END || buf > PX_GUEST_ADDR_END - len) return -LINUX_EFAULT;
    return not_a_socket(fd);
}

/* accept(2), accept4(2), bind(2), listen(2), shutdown(2) */
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
PX_SYSCALL(sendto) { return buffer_then_socket((int)PX_ARG0, PX_ARG1, PX_ARG2); }
PX_SYSCALL(recvfrom) { return buffer_then_socket((int)PX_ARG0, PX_ARG1, PX_ARG2); }
NOT_A_SOCKET(sendmsg)
NOT_A_SOCKET(recvmsg)
NOT_A_SOCKET(sendmmsg)
NOT_A_SOCKET(recvmmsg)
