/* Windows errors to Linux errno: the one place they are translated. Lossy mappings
   carry a comment saying what is lost. */
#include <windows.h>
#include <winternl.h>
#include <ntstatus.h>
#include "core/px.h"
#include "core/errors.h"

struct win32_row { uint32_t win32; int16_t linux_errno; };

static const struct win32_row win32_table[] = {
    {ERROR_FILE_NOT_FOUND, LINUX_ENOENT},
    {ERROR_PATH_NOT_FOUND, LINUX_ENOENT},       /* Linux would say ENOTDIR when a component is a file */
    {ERROR_INVALID_DRIVE, LINUX_ENOENT},
    {ERROR_BAD_PATHNAME, LINUX_ENOENT},
    {ERROR_INVALID_NAME, LINUX_ENOENT},         /* a name Windows cannot hold cannot exist there */
    {ERROR_DIRECTORY, LINUX_ENOTDIR},
    {ERROR_TOO_MANY_OPEN_FILES, LINUX_EMFILE},
    {ERROR_ACCESS_DENIED, LINUX_EACCES},        /* also read-only files and delete-pending: EACCES covers both */
    {ERROR_SHARING_VIOLATION, LINUX_EBUSY},     /* no Linux equivalent: another process holds the file */
    {ERROR_LOCK_VIOLATION, LINUX_EAGAIN},
    {ERROR_INVALID_HANDLE, LINUX_EBADF},
    {ERROR_NOT_ENOUGH_MEMORY, LINUX_ENOMEM},
    {ERROR_OUTOFMEMORY, LINUX_ENOMEM},
    {ERROR_COMMITMENT_LIMIT, LINUX_ENOMEM},
    {ERROR_INVALID_ADDRESS, LINUX_ENOMEM},      /* VirtualAlloc at a taken address */
    {ERROR_INVALID_PARAMETER, LINUX_EINVAL},
    {ERROR_INVALID_FUNCTION, LINUX_EINVAL},
    {ERROR_NOT_SUPPORTED, LINUX_EOPNOTSUPP},
    {ERROR_CALL_NOT_IMPLEMENTED, LINUX_ENOSYS},
    {ERROR_WRITE_PROTECT, LINUX_EROFS},
    {ERROR_NOT_READY, LINUX_EIO},
    {ERROR_CRC, LINUX_EIO},
    {ERROR_SEEK, LINUX_EIO},
    {ERROR_WRITE_FAULT, LINUX_EIO},
    {ERROR_READ_FAULT, LINUX_EIO},
    {ERROR_GEN_FAILURE, LINUX_EIO},
    {ERROR_HANDLE_EOF, 0},                      /* end of file is a 0-byte read, not an error */
    {ERROR_HANDLE_DISK_FULL, LINUX_ENOSPC},
    {ERROR_DISK_FULL, LINUX_ENOSPC},
    {ERROR_FILE_EXISTS, LINUX_EEXIST},
    {ERROR_ALREADY_EXISTS, LINUX_EEXIST},
    {ERROR_DIR_NOT_EMPTY, LINUX_ENOTEMPTY},
    {ERROR_BROKEN_PIPE, LINUX_EPIPE},
    {ERROR_NO_DATA, LINUX_EPIPE},               /* the pipe is being closed */
    {ERROR_PIPE_NOT_CONNECTED, LINUX_EPIPE},
    {ERROR_BUFFER_OVERFLOW, LINUX_ENAMETOOLONG},
    {ERROR_FILENAME_EXCED_RANGE, LINUX_ENAMETOOLONG},
    {ERROR_NEGATIVE_SEEK, LINUX_EINVAL},
    {ERROR_BAD_EXE_FORMAT, LINUX_ENOEXEC},
    {ERROR_NOT_SAME_DEVICE, LINUX_EXDEV},
    {ERROR_CANT_RESOLVE_FILENAME, LINUX_ELOOP},
    {ERROR_PRIVILEGE_NOT_HELD, LINUX_EPERM},
    {ERROR_NOACCESS, LINUX_EFAULT},
    {ERROR_OPERATION_ABORTED, LINUX_EINTR},
    {ERROR_IO_PENDING, LINUX_EAGAIN},
    {ERROR_TIMEOUT, LINUX_ETIMEDOUT},
    {ERROR_BUSY, LINUX_EBUSY},
    {ERROR_DEV_NOT_EXIST, LINUX_ENODEV},
    {ERROR_NEGATIVE_SEEK, LINUX_EINVAL},
};

struct nt_row { uint32_t status; int16_t linux_errno; };

static const struct nt_row nt_table[] = {
    {(uint32_t)STATUS_OBJECT_NAME_NOT_FOUND, LINUX_ENOENT},
    {(uint32_t)STATUS_OBJECT_PATH_NOT_FOUND, LINUX_ENOENT},
    {(uint32_t)STATUS_NO_SUCH_FILE, LINUX_ENOENT},
    {(uint32_t)STATUS_OBJECT_NAME_INVALID, LINUX_ENOENT},  /* a name Windows cannot hold */
    {(uint32_t)STATUS_OBJECT_NAME_COLLISION, LINUX_EEXIST},
    {(uint32_t)STATUS_ACCESS_DENIED, LINUX_EACCES},
    {(uint32_t)STATUS_SHARING_VIOLATION, LINUX_EBUSY},
    {(uint32_t)STATUS_NOT_A_DIRECTORY, LINUX_ENOTDIR},
    {(uint32_t)STATUS_FILE_IS_A_DIRECTORY, LINUX_EISDIR},
    {(uint32_t)STATUS_DIRECTORY_NOT_EMPTY, LINUX_ENOTEMPTY},
    {(uint32_t)STATUS_INVALID_HANDLE, LINUX_EBADF},
    {(uint32_t)STATUS_INVALID_PARAMETER, LINUX_EINVAL},
    {(uint32_t)STATUS_NO_MEMORY, LINUX_ENOMEM},
    {(uint32_t)STATUS_CONFLICTING_ADDRESSES, LINUX_ENOMEM},
    {(uint32_t)STATUS_DISK_FULL, LINUX_ENOSPC},
    {(uint32_t)STATUS_END_OF_FILE, 0},
    {(uint32_t)STATUS_PIPE_BROKEN, LINUX_EPIPE},
    {(uint32_t)STATUS_NOT_IMPLEMENTED, LINUX_ENOSYS},
    {(uint32_t)STATUS_NOT_SUPPORTED, LINUX_EOPNOTSUPP},
    {(uint32_t)STATUS_DELETE_PENDING, LINUX_ENOENT},        /* Linux unlinks at once; Windows waits for the last close */
    {(uint32_t)STATUS_CANNOT_DELETE, LINUX_EACCES},
    {(uint32_t)STATUS_MEDIA_WRITE_PROTECTED, LINUX_EROFS},
    {(uint32_t)STATUS_NOT_SAME_DEVICE, LINUX_EXDEV},
    {(uint32_t)STATUS_NAME_TOO_LONG, LINUX_ENAMETOOLONG},
    {(uint32_t)STATUS_ACCESS_VIOLATION, LINUX_EFAULT},
    {(uint32_t)STATUS_PRIVILEGE_NOT_HELD, LINUX_EPERM},
    {(uint32_t)STATUS_TIMEOUT, LINUX_ETIMEDOUT},
};

int64_t px_err_win32(uint32_t err)
{
    for (size_t i = 0; i < PX_ARRAY_LEN(win32_table); i++)
        if (win32_table[i].win32 == err) return -(int64_t)win32_table[i].linux_errno;
    return -LINUX_EIO; /* unknown Windows errors surface as I/O errors */
}

int64_t px_err_nt(int32_t status)
{
    for (size_t i = 0; i < PX_ARRAY_LEN(nt_table); i++)
        if (nt_table[i].status == (uint32_t)status) return -(int64_t)nt_table[i].linux_errno;
    return -LINUX_EIO; /* unknown NT errors surface as I/O errors */
}

int64_t px_err_last(void) { return px_err_win32(GetLastError()); }

static const char *const errno_names[] = {
    [LINUX_EPERM] = "EPERM", [LINUX_ENOENT] = "ENOENT", [LINUX_ESRCH] = "ESRCH",
    [LINUX_EINTR] = "EINTR", [LINUX_EIO] = "EIO", [LINUX_ENXIO] = "ENXIO",
    [LINUX_E2BIG] = "E2BIG", [LINUX_ENOEXEC] = "ENOEXEC", [LINUX_EBADF] = "EBADF",
    [LINUX_ECHILD] = "ECHILD", [LINUX_EAGAIN] = "EAGAIN", [LINUX_ENOMEM] = "ENOMEM",
    [LINUX_EACCES] = "EACCES", [LINUX_EFAULT] = "EFAULT", [LINUX_ENOTBLK] = "ENOTBLK",
    [LINUX_EBUSY] = "EBUSY", [LINUX_EEXIST] = "EEXIST", [LINUX_EXDEV] = "EXDEV",
    [LINUX_ENODEV] = "ENODEV", [LINUX_ENOTDIR] = "ENOTDIR", [LINUX_EISDIR] = "EISDIR",
    [LINUX_EINVAL] = "EINVAL", [LINUX_ENFILE] = "ENFILE", [LINUX_EMFILE] = "EMFILE",
    [LINUX_ENOTTY] = "ENOTTY", [LINUX_ETXTBSY] = "ETXTBSY", [LINUX_EFBIG] = "EFBIG",
    [LINUX_ENOSPC] = "ENOSPC", [LINUX_ESPIPE] = "ESPIPE", [LINUX_EROFS] = "EROFS",
    [LINUX_EMLINK] = "EMLINK", [LINUX_EPIPE] = "EPIPE", [LINUX_EDOM] = "EDOM",
    [LINUX_ERANGE] = "ERANGE", [LINUX_EDEADLK] = "EDEADLK", [LINUX_ENAMETOOLONG] = "ENAMETOOLONG",
    [LINUX_ENOLCK] = "ENOLCK", [LINUX_ENOSYS] = "ENOSYS", [LINUX_ENOTEMPTY] = "ENOTEMPTY",
    [LINUX_ELOOP] = "ELOOP", [LINUX_ENOMSG] = "ENOMSG", [LINUX_ENODATA] = "ENODATA",
    [LINUX_ETIME] = "ETIME", [LINUX_EOVERFLOW] = "EOVERFLOW", [LINUX_EILSEQ] = "EILSEQ",
    [LINUX_ENOTSOCK] = "ENOTSOCK", [LINUX_EOPNOTSUPP] = "EOPNOTSUPP",
    [LINUX_EADDRINUSE] = "EADDRINUSE", [LINUX_ETIMEDOUT] = "ETIMEDOUT",
    [LINUX_ECONNREFUSED] = "ECONNREFUSED",
};

const char *px_errno_name(int64_t err)
{
    if (err <= 0 || err >= (int64_t)PX_ARRAY_LEN(errno_names)) return NULL;
    return errno_names[err];
}
