/* host_file.h on Win32. */
#include <windows.h>
#include <stdio.h>
#include "core/errors.h"
#include "core/px.h"
#include "host/host_file.h"

_Static_assert(PX_HOST_ATTR_READONLY == FILE_ATTRIBUTE_READONLY && PX_HOST_ATTR_HIDDEN == FILE_ATTRIBUTE_HIDDEN &&
               PX_HOST_ATTR_SYSTEM == FILE_ATTRIBUTE_SYSTEM && PX_HOST_ATTR_DIRECTORY == FILE_ATTRIBUTE_DIRECTORY &&
               PX_HOST_ATTR_NORMAL == FILE_ATTRIBUTE_NORMAL && PX_HOST_ATTR_REPARSE_POINT == FILE_ATTRIBUTE_REPARSE_POINT,
               "PX_HOST_ATTR_* are the FILE_ATTRIBUTE_* bits");

int64_t px_host_file_open(const wchar_t *path, uint32_t access, enum px_host_open how, uint32_t options,
                          px_host_handle *out)
{
    static const DWORD dispositions[] = {
        [PX_HOST_OPEN_EXISTING] = OPEN_EXISTING, [PX_HOST_CREATE_NEW] = CREATE_NEW,
        [PX_HOST_CREATE_ALWAYS] = CREATE_ALWAYS, [PX_HOST_OPEN_ALWAYS] = OPEN_ALWAYS,
    };
    DWORD rights = ((access & PX_HOST_FILE_READ) ? GENERIC_READ : 0) | ((access & PX_HOST_FILE_WRITE) ? GENERIC_WRITE : 0);
    DWORD share = (options & PX_HOST_FILE_EXCLUSIVE) ? 0 : FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
    DWORD flags = ((options & PX_HOST_FILE_SYSTEM) ? FILE_ATTRIBUTE_SYSTEM : FILE_ATTRIBUTE_NORMAL) |
                  ((options & PX_HOST_FILE_NO_REPARSE) ? FILE_FLAG_OPEN_REPARSE_POINT : 0) |
                  ((options & PX_HOST_FILE_SEQUENTIAL) ? FILE_FLAG_SEQUENTIAL_SCAN : 0);
    HANDLE h = CreateFileW(path, rights, share, NULL, dispositions[how], flags, NULL);
    if (h == INVALID_HANDLE_VALUE) return px_err_last(); /* CREATE_NEW over a name: EEXIST */
    *out = h;
    return 0;
}

int64_t px_host_file_read(px_host_handle h, void *buf, size_t n)
{
    DWORD got = 0;
    if (!ReadFile(h, buf, n > 0x40000000u ? 0x40000000u : (DWORD)n, &got, NULL)) return px_err_last();
    return got;
}

int64_t px_host_file_write(px_host_handle h, const void *buf, size_t n)
{
    for (size_t done = 0; done < n;) {
        DWORD put = 0, chunk = n - done > 0x40000000u ? 0x40000000u : (DWORD)(n - done);
        if (!WriteFile(h, (const char *)buf + done, chunk, &put, NULL)) return px_err_last();
        if (put == 0) return -LINUX_EIO;
        done += put;
    }
    return (int64_t)n;
}

int64_t px_host_file_size(px_host_handle h, uint64_t *size)
{
    LARGE_INTEGER s;
    if (!GetFileSizeEx(h, &s)) return px_err_last();
    *size = (uint64_t)s.QuadPart;
    return 0;
}

int64_t px_host_file_set_size(px_host_handle h, uint64_t size)
{
    FILE_END_OF_FILE_INFO end = {.EndOfFile.QuadPart = (LONGLONG)size};
    return SetFileInformationByHandle(h, FileEndOfFileInfo, &end, sizeof end) ? 0 : px_err_last();
}

/* Linux's fsync flushes the file whatever the fd's access; FlushFileBuffers wants write
   access: a read-only handle flushes through a writable one reopened from it. A file no
   handle may write (FILE_ATTRIBUTE_READONLY, no write permission) has no dirty data to
   flush: 0, as fsync of a file nobody wrote. */
int64_t px_host_file_flush(px_host_handle h)
{
    if (FlushFileBuffers(h)) return 0;
    if (GetLastError() != ERROR_ACCESS_DENIED) return px_err_last();
    HANDLE w = ReOpenFile(h, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, 0);
    if (w == INVALID_HANDLE_VALUE) return GetLastError() == ERROR_ACCESS_DENIED ? 0 : px_err_last();
    int64_t r = FlushFileBuffers(w) ? 0 : px_err_last();
    CloseHandle(w);
    return r;
}

px_host_handle px_host_dir_watch(const wchar_t *dir, uint32_t what)
{
    DWORD filter = 0;
    if (what & PX_HOST_WATCH_NAMES) filter |= FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_DIR_NAME;
    if (what & PX_HOST_WATCH_ATTRIBUTES) filter |= FILE_NOTIFY_CHANGE_ATTRIBUTES | FILE_NOTIFY_CHANGE_SECURITY;
    if (what & PX_HOST_WATCH_WRITE) filter |= FILE_NOTIFY_CHANGE_SIZE | FILE_NOTIFY_CHANGE_LAST_WRITE;
    if (what & PX_HOST_WATCH_ACCESS) filter |= FILE_NOTIFY_CHANGE_LAST_ACCESS;
    HANDLE h = FindFirstChangeNotificationW(dir, FALSE, filter);
    return h == INVALID_HANDLE_VALUE ? NULL : h;
}

int64_t px_host_dir_watch_again(px_host_handle w) { return FindNextChangeNotification(w) ? 0 : px_err_last(); }

void px_host_dir_watch_end(px_host_handle w) { FindCloseChangeNotification(w); }

int64_t px_host_path_attributes(const wchar_t *path, uint32_t *attrs)
{
    DWORD a = GetFileAttributesW(path);
    if (a == INVALID_FILE_ATTRIBUTES) return px_err_last();
    *attrs = a;
    return 0;
}

int64_t px_host_path_set_attributes(const wchar_t *path, uint32_t attrs)
{
    return SetFileAttributesW(path, attrs) ? 0 : px_err_last();
}

int64_t px_host_file_delete(const wchar_t *path) { return DeleteFileW(path) ? 0 : px_err_last(); }
int64_t px_host_dir_create(const wchar_t *path) { return CreateDirectoryW(path, NULL) ? 0 : px_err_last(); }
int64_t px_host_dir_remove(const wchar_t *path) { return RemoveDirectoryW(path) ? 0 : px_err_last(); }

int64_t px_host_path_move(const wchar_t *from, const wchar_t *to, uint32_t flags)
{
    DWORD f = ((flags & PX_HOST_MOVE_REPLACE) ? MOVEFILE_REPLACE_EXISTING : 0) |
              ((flags & PX_HOST_MOVE_WRITE_THROUGH) ? MOVEFILE_WRITE_THROUGH : 0);
    return MoveFileExW(from, to, f) ? 0 : px_err_last();
}

int64_t px_host_dir_list(const wchar_t *dir, const wchar_t *pattern,
                         bool (*fn)(void *ctx, const wchar_t *name, uint32_t attrs), void *ctx)
{
    size_t n = wcslen(dir) + wcslen(pattern) + 2;
    wchar_t *spec = px_alloc(n * sizeof *spec);
    if (!spec) return -LINUX_ENOMEM;
    swprintf(spec, n, L"%ls\\%ls", dir, pattern);
    WIN32_FIND_DATAW fd;
    HANDLE fh = FindFirstFileW(spec, &fd);
    px_free(spec);
    if (fh == INVALID_HANDLE_VALUE) {
        DWORD e = GetLastError();
        return e == ERROR_FILE_NOT_FOUND || e == ERROR_NO_MORE_FILES ? 0 : px_err_win32(e);
    }
    do {
        if (!wcscmp(fd.cFileName, L".") || !wcscmp(fd.cFileName, L"..")) continue;
        if (!fn(ctx, fd.cFileName, fd.dwFileAttributes)) break;
    } while (FindNextFileW(fh, &fd));
    FindClose(fh);
    return 0;
}

wchar_t *px_host_full_path(const wchar_t *path)
{
    DWORD n = GetFullPathNameW(path, 0, NULL, NULL);
    wchar_t *full = n ? px_alloc((n + 1) * sizeof *full) : NULL;
    if (full && !GetFullPathNameW(path, n + 1, full, NULL)) {
        px_free(full);
        full = NULL;
    }
    return full;
}

int64_t px_host_file_open_append(const wchar_t *path, bool keep, px_host_handle *out)
{
    HANDLE h = CreateFileW(path, FILE_APPEND_DATA | SYNCHRONIZE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                           keep ? OPEN_ALWAYS : CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) return px_err_last();
    *out = h;
    return 0;
}

enum px_host_handle_kind px_host_handle_kind(px_host_handle h)
{
    switch (GetFileType(h)) {
    case FILE_TYPE_DISK: return PX_HOST_KIND_DISK;
    case FILE_TYPE_CHAR: return PX_HOST_KIND_CHAR;
    case FILE_TYPE_PIPE: return PX_HOST_KIND_PIPE;
    default: return PX_HOST_KIND_OTHER;
    }
}

int64_t px_host_file_ids(px_host_handle h, uint32_t *volume_serial, uint64_t *file_id)
{
    BY_HANDLE_FILE_INFORMATION info;
    if (!GetFileInformationByHandle(h, &info)) return px_err_last();
    *volume_serial = info.dwVolumeSerialNumber;
    *file_id = (uint64_t)info.nFileIndexHigh << 32 | info.nFileIndexLow;
    return 0;
}
