/* host_pipe.h on Win32. */
#include <windows.h>
#include <winternl.h>
#include "core/errors.h"
#include "core/px.h"
#include "host/host_pipe.h"

#define MAX_IO_CHUNK 0x7ffff000u

int64_t px_host_pipe_new(px_host_handle *read_end, px_host_handle *write_end, uint32_t capacity)
{
    HANDLE r, w;
    if (!CreatePipe(&r, &w, NULL, capacity)) return px_err_last();
    *read_end = r;
    *write_end = w;
    return 0;
}

int64_t px_host_pipe_read(px_host_handle h, void *buf, size_t n)
{
    DWORD got = 0;
    if (!ReadFile(h, buf, n > MAX_IO_CHUNK ? MAX_IO_CHUNK : (DWORD)n, &got, NULL)) {
        DWORD e = GetLastError();
        /* every writer is gone: end of file, as on Linux */
        if (e == ERROR_BROKEN_PIPE || e == ERROR_HANDLE_EOF || e == ERROR_PIPE_NOT_CONNECTED) return 0;
        return px_err_win32(e);
    }
    return got;
}

int64_t px_host_pipe_write(px_host_handle h, const void *buf, size_t n)
{
    DWORD put = 0;
    if (!WriteFile(h, buf, n > MAX_IO_CHUNK ? MAX_IO_CHUNK : (DWORD)n, &put, NULL)) {
        DWORD e = GetLastError();
        if (e == ERROR_NO_DATA || e == ERROR_BROKEN_PIPE || e == ERROR_PIPE_NOT_CONNECTED) return -LINUX_EPIPE;
        return px_err_win32(e);
    }
    return put;
}

int64_t px_host_pipe_available(px_host_handle h, bool *writers_gone)
{
    DWORD avail = 0;
    *writers_gone = false;
    if (!PeekNamedPipe(h, NULL, 0, NULL, &avail, NULL)) {
        DWORD e = GetLastError();
        *writers_gone = e == ERROR_BROKEN_PIPE;
        if (e == ERROR_BROKEN_PIPE || e == ERROR_PIPE_NOT_CONNECTED || e == ERROR_NO_DATA) return -LINUX_EPIPE;
        return px_err_win32(e);
    }
    return avail;
}

/* FilePipeLocalInformation: a FILE_READ_ATTRIBUTES query, which both ends allow
   (PeekNamedPipe needs read access). */
typedef struct {
    ULONG NamedPipeType, NamedPipeConfiguration, MaximumInstances, CurrentInstances, InboundQuota,
        ReadDataAvailable, OutboundQuota, WriteQuotaAvailable, NamedPipeState, NamedPipeEnd;
} pipe_local_info;
#define FILE_PIPE_LOCAL_INFORMATION_CLASS 24
#define FILE_PIPE_CONNECTED_STATE 3

bool px_host_pipe_connected(px_host_handle h)
{
    pipe_local_info info;
    IO_STATUS_BLOCK io;
    return !NT_SUCCESS(NtQueryInformationFile(h, &io, &info, sizeof info,
                                              (FILE_INFORMATION_CLASS)FILE_PIPE_LOCAL_INFORMATION_CLASS)) ||
           info.NamedPipeState == FILE_PIPE_CONNECTED_STATE;
}

int64_t px_host_pipe_queued(px_host_handle h)
{
    pipe_local_info info;
    IO_STATUS_BLOCK io;
    NTSTATUS st = NtQueryInformationFile(h, &io, &info, sizeof info,
                                         (FILE_INFORMATION_CLASS)FILE_PIPE_LOCAL_INFORMATION_CLASS);
    if (!NT_SUCCESS(st)) return px_err_nt(st);
    return info.ReadDataAvailable;
}

int64_t px_host_pipe_set_nonblocking(px_host_handle h, bool nonblocking)
{
    DWORD mode = nonblocking ? PIPE_NOWAIT : PIPE_WAIT;
    return SetNamedPipeHandleState(h, &mode, NULL, NULL) ? 0 : px_err_last();
}

void px_host_thread_cancel_io(px_host_handle thread) { CancelSynchronousIo(thread); }

bool px_host_is_wine(void)
{
    static int known; /* 0: not yet, 1: Windows, 2: Wine */
    int k = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (!k) {
        k = GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != NULL ? 2 : 1;
        __atomic_store_n(&known, k, __ATOMIC_RELAXED);
    }
    return k == 2;
}
