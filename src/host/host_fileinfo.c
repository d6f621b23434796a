/* host_fileinfo.h on Win32 and NT. */
#include <windows.h>
#include <winternl.h>
#include "core/errors.h"
#include "core/px.h"
#include "host/host_fileinfo.h"

_Static_assert(PX_HOST_ACCESS_READ_DATA == FILE_READ_DATA && PX_HOST_ACCESS_WRITE_DATA == FILE_WRITE_DATA &&
                   PX_HOST_ACCESS_APPEND_DATA == FILE_APPEND_DATA &&
                   PX_HOST_ACCESS_READ_ATTRIBUTES == FILE_READ_ATTRIBUTES &&
                   PX_HOST_ACCESS_WRITE_ATTRIBUTES == FILE_WRITE_ATTRIBUTES && PX_HOST_ACCESS_DELETE == DELETE &&
                   PX_HOST_ACCESS_SYNCHRONIZE == SYNCHRONIZE && PX_HOST_ACCESS_WRITE == GENERIC_WRITE &&
                   PX_HOST_ACCESS_READ == GENERIC_READ,
               "PX_HOST_ACCESS_* are NT's access bits");
_Static_assert(PX_HOST_SHARE_READ == FILE_SHARE_READ && PX_HOST_SHARE_WRITE == FILE_SHARE_WRITE &&
                   PX_HOST_SHARE_DELETE == FILE_SHARE_DELETE,
               "PX_HOST_SHARE_* are FILE_SHARE_*");
_Static_assert(PX_HOST_DISP_CREATE_NEW == CREATE_NEW && PX_HOST_DISP_CREATE_ALWAYS == CREATE_ALWAYS &&
                   PX_HOST_DISP_OPEN_EXISTING == OPEN_EXISTING && PX_HOST_DISP_OPEN_ALWAYS == OPEN_ALWAYS &&
                   PX_HOST_DISP_TRUNCATE_EXISTING == TRUNCATE_EXISTING,
               "PX_HOST_DISP_* are CreateFile's dispositions");
_Static_assert(PX_HOST_OPEN_NORMAL == FILE_ATTRIBUTE_NORMAL && PX_HOST_OPEN_NO_REPARSE == FILE_FLAG_OPEN_REPARSE_POINT &&
                   PX_HOST_OPEN_DIRECTORIES == FILE_FLAG_BACKUP_SEMANTICS,
               "PX_HOST_OPEN_* are CreateFile's flags");

int64_t px_host_file_open_ex(const wchar_t *path, uint32_t access, uint32_t share, enum px_host_disposition how,
                             uint32_t options, px_host_handle *out)
{
    HANDLE h = CreateFileW(path, access, share, NULL, (DWORD)how, options, NULL);
    if (h == INVALID_HANDLE_VALUE) return px_err_last();
    *out = h;
    return 0;
}

bool px_host_path_not_found(void) { return GetLastError() == ERROR_PATH_NOT_FOUND; }

int64_t px_host_file_index(px_host_handle h, uint64_t *index)
{
    FILE_INTERNAL_INFORMATION internal;
    IO_STATUS_BLOCK io;
    NTSTATUS status = NtQueryInformationFile(h, &io, &internal, sizeof internal, FileInternalInformation);
    if (!NT_SUCCESS(status)) return px_err_nt(status);
    *index = (uint64_t)internal.IndexNumber.QuadPart;
    return 0;
}

int64_t px_host_dir_read(px_host_handle dir, bool restart, void *buf, size_t size)
{
    FILE_INFO_BY_HANDLE_CLASS cls = restart ? FileIdBothDirectoryRestartInfo : FileIdBothDirectoryInfo;
    if (GetFileInformationByHandleEx(dir, cls, buf, (DWORD)size)) return 1;
    DWORD e = GetLastError();
    if (e == ERROR_NO_MORE_FILES) return 0;
    return e == ERROR_FILE_NOT_FOUND ? -LINUX_ENOENT : px_err_win32(e);
}

void px_host_dir_entry_at(const void *buf, size_t offset, px_host_dir_entry *out)
{
    const FILE_ID_BOTH_DIR_INFO *info = (const FILE_ID_BOTH_DIR_INFO *)((const unsigned char *)buf + offset);
    *out = (px_host_dir_entry){
        .name = info->FileName,
        .name_len = info->FileNameLength / sizeof(WCHAR),
        .attributes = info->FileAttributes,
        .file_id = (uint64_t)info->FileId.QuadPart,
        .next = info->NextEntryOffset ? offset + info->NextEntryOffset : SIZE_MAX,
    };
}

/* Not in mingw's winternl.h (ntifs.h has them). */
NTSTATUS NTAPI NtReadFile(HANDLE file, HANDLE event, PIO_APC_ROUTINE apc, PVOID apc_context, PIO_STATUS_BLOCK io,
                          PVOID buffer, ULONG length, PLARGE_INTEGER offset, PULONG key);
NTSTATUS NTAPI NtWriteFile(HANDLE file, HANDLE event, PIO_APC_ROUTINE apc, PVOID apc_context, PIO_STATUS_BLOCK io,
                           const void *buffer, ULONG length, PLARGE_INTEGER offset, PULONG key);
#ifndef STATUS_END_OF_FILE
#define STATUS_END_OF_FILE ((NTSTATUS)0xC0000011)
#endif
#define MAX_IO_CHUNK 0x7ffff000u

int64_t px_host_file_pread(px_host_handle h, void *buf, size_t n, uint64_t offset)
{
    if (n > MAX_IO_CHUNK) n = MAX_IO_CHUNK;
    IO_STATUS_BLOCK io = {0};
    LARGE_INTEGER at = {.QuadPart = (LONGLONG)offset};
    NTSTATUS status = NtReadFile(h, NULL, NULL, NULL, &io, buf, (ULONG)n, &at, NULL);
    if (status == STATUS_PENDING) { /* an overlapped handle after all: signalled when done */
        WaitForSingleObject(h, INFINITE);
        status = io.Status;
    }
    if (status == STATUS_END_OF_FILE) return 0;
    if (!NT_SUCCESS(status)) return px_err_nt(status);
    return (int64_t)io.Information;
}

int64_t px_host_file_pwrite(px_host_handle h, const void *buf, size_t n, uint64_t offset)
{
    if (n > MAX_IO_CHUNK) n = MAX_IO_CHUNK;
    IO_STATUS_BLOCK io = {0};
    /* the end: FILE_WRITE_TO_END_OF_FILE in the low part, -1 in the high part */
    LARGE_INTEGER at = {.QuadPart = (LONGLONG)offset};
    NTSTATUS status = NtWriteFile(h, NULL, NULL, NULL, &io, buf, (ULONG)n, &at, NULL);
    if (status == STATUS_PENDING) {
        WaitForSingleObject(h, INFINITE);
        status = io.Status;
    }
    if (!NT_SUCCESS(status)) return px_err_nt(status);
    return (int64_t)io.Information;
}

int64_t px_host_file_lock(px_host_handle h, uint64_t offset, uint64_t len, bool exclusive, bool wait)
{
    OVERLAPPED ov = {.Offset = (DWORD)offset, .OffsetHigh = (DWORD)(offset >> 32)};
    DWORD flags = (exclusive ? LOCKFILE_EXCLUSIVE_LOCK : 0) | (wait ? 0 : LOCKFILE_FAIL_IMMEDIATELY);
    if (LockFileEx(h, flags, 0, (DWORD)len, (DWORD)(len >> 32), &ov)) return 0;
    DWORD e = GetLastError();
    return e == ERROR_LOCK_VIOLATION || e == ERROR_IO_PENDING ? -LINUX_EAGAIN : px_err_win32(e);
}

int64_t px_host_file_unlock(px_host_handle h, uint64_t offset, uint64_t len)
{
    OVERLAPPED ov = {.Offset = (DWORD)offset, .OffsetHigh = (DWORD)(offset >> 32)};
    return UnlockFileEx(h, 0, (DWORD)len, (DWORD)(len >> 32), &ov) ? 0 : px_err_last();
}

static int64_t of_filetime(FILETIME t) { return (int64_t)(((uint64_t)t.dwHighDateTime << 32) | t.dwLowDateTime); }

int64_t px_host_path_info(const wchar_t *path, px_host_file_attrs *out)
{
    WIN32_FILE_ATTRIBUTE_DATA fa;
    if (!GetFileAttributesExW(path, GetFileExInfoStandard, &fa)) return px_err_last();
    *out = (px_host_file_attrs){
        .creation_time = of_filetime(fa.ftCreationTime),
        .access_time = of_filetime(fa.ftLastAccessTime),
        .write_time = of_filetime(fa.ftLastWriteTime),
        .size = (int64_t)(((uint64_t)fa.nFileSizeHigh << 32) | fa.nFileSizeLow),
        .attributes = fa.dwFileAttributes,
    };
    return 0;
}

int64_t px_host_disk_space(const wchar_t *dir, uint64_t *available, uint64_t *total, uint64_t *free_bytes)
{
    ULARGE_INTEGER a, t, f;
    if (!GetDiskFreeSpaceExW(dir, &a, &t, &f)) return px_err_last();
    *available = a.QuadPart;
    *total = t.QuadPart;
    *free_bytes = f.QuadPart;
    return 0;
}

/* Not in mingw's winternl.h (ntifs.h has it). */
typedef struct px_file_network_open_information {
    LARGE_INTEGER CreationTime, LastAccessTime, LastWriteTime, ChangeTime, AllocationSize, EndOfFile;
    ULONG FileAttributes;
} px_file_network_open_information;
NTSTATUS NTAPI NtQueryFullAttributesFile(POBJECT_ATTRIBUTES attributes, px_file_network_open_information *info);

/* 0, or the Win32 error of the query. */
static DWORD query_full_attributes(const wchar_t *path, px_host_file_attrs *out)
{
    /* \\?\ paths: the NT form is the same after \??\ */
    if (wcsncmp(path, L"\\\\?\\", 4) != 0) return ERROR_INVALID_NAME;
    size_t len = wcslen(path);
    if (len * sizeof(wchar_t) >= 0xfff0) return ERROR_FILENAME_EXCED_RANGE;
    wchar_t *nt = px_alloc((len + 1) * sizeof *nt);
    if (!nt) return ERROR_NOT_ENOUGH_MEMORY;
    memcpy(nt, path, (len + 1) * sizeof *nt);
    nt[1] = L'?';
    UNICODE_STRING name = {.Length = (USHORT)(len * sizeof *nt), .MaximumLength = (USHORT)(len * sizeof *nt), .Buffer = nt};
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &name, OBJ_CASE_INSENSITIVE, NULL, NULL);
    px_file_network_open_information info;
    NTSTATUS status = NtQueryFullAttributesFile(&oa, &info);
    px_free(nt);
    if (!NT_SUCCESS(status)) return RtlNtStatusToDosError(status);
    *out = (px_host_file_attrs){
        .creation_time = info.CreationTime.QuadPart,
        .access_time = info.LastAccessTime.QuadPart,
        .write_time = info.LastWriteTime.QuadPart,
        .change_time = info.ChangeTime.QuadPart,
        .allocation_size = info.AllocationSize.QuadPart,
        .size = info.EndOfFile.QuadPart,
        .attributes = info.FileAttributes,
    };
    return 0;
}

int64_t px_host_path_query(const wchar_t *path, px_host_file_attrs *out, bool *path_not_found)
{
    DWORD err = query_full_attributes(path, out);
    if (path_not_found) *path_not_found = err == ERROR_PATH_NOT_FOUND;
    return err ? px_err_win32(err) : 0;
}

int64_t px_host_file_info(px_host_handle h, px_host_file_facts *out)
{
    FILE_BASIC_INFO basic;
    FILE_STANDARD_INFO standard;
    FILE_INTERNAL_INFORMATION internal;
    IO_STATUS_BLOCK io;
    if (!GetFileInformationByHandleEx(h, FileBasicInfo, &basic, sizeof basic)) return px_err_last();
    if (!GetFileInformationByHandleEx(h, FileStandardInfo, &standard, sizeof standard)) return px_err_last();
    NTSTATUS status = NtQueryInformationFile(h, &io, &internal, sizeof internal, FileInternalInformation);
    if (!NT_SUCCESS(status)) return px_err_nt(status);
    *out = (px_host_file_facts){
        .attrs = {
            .creation_time = basic.CreationTime.QuadPart,
            .access_time = basic.LastAccessTime.QuadPart,
            .write_time = basic.LastWriteTime.QuadPart,
            .change_time = basic.ChangeTime.QuadPart,
            .allocation_size = standard.AllocationSize.QuadPart,
            .size = standard.EndOfFile.QuadPart,
            .attributes = basic.FileAttributes,
        },
        .index = (uint64_t)internal.IndexNumber.QuadPart,
        .links = standard.NumberOfLinks,
    };
    return 0;
}

int64_t px_host_file_attributes(px_host_handle h, uint32_t *attrs)
{
    FILE_BASIC_INFO basic;
    if (!GetFileInformationByHandleEx(h, FileBasicInfo, &basic, sizeof basic)) return px_err_last();
    *attrs = basic.FileAttributes;
    return 0;
}

int64_t px_host_file_volume(px_host_handle h, uint32_t *serial)
{
    BY_HANDLE_FILE_INFORMATION info;
    if (!GetFileInformationByHandle(h, &info)) return px_err_last();
    *serial = info.dwVolumeSerialNumber;
    return 0;
}

int64_t px_host_file_set_basic(px_host_handle h, int64_t creation_time, int64_t access_time, int64_t write_time,
                               int64_t change_time, uint32_t attributes)
{
    FILE_BASIC_INFO change = {
        .CreationTime.QuadPart = creation_time, .LastAccessTime.QuadPart = access_time,
        .LastWriteTime.QuadPart = write_time, .ChangeTime.QuadPart = change_time, .FileAttributes = attributes,
    };
    return SetFileInformationByHandle(h, FileBasicInfo, &change, sizeof change) ? 0 : px_err_last();
}

int64_t px_host_file_reopen(px_host_handle h, uint32_t access, uint32_t share, uint32_t options, px_host_handle *out)
{
    HANDLE r = ReOpenFile(h, access, share, options);
    if (r == INVALID_HANDLE_VALUE) return px_err_last();
    *out = r;
    return 0;
}

int64_t px_host_file_read_here(px_host_handle h, void *buf, size_t n)
{
    DWORD got = 0;
    if (n > MAX_IO_CHUNK) n = MAX_IO_CHUNK;
    if (ReadFile(h, buf, (DWORD)n, &got, NULL)) return got;
    DWORD e = GetLastError();
    return e == ERROR_HANDLE_EOF ? 0 : px_err_win32(e);
}

int64_t px_host_file_write_here(px_host_handle h, const void *buf, size_t n)
{
    DWORD put = 0;
    if (n > MAX_IO_CHUNK) n = MAX_IO_CHUNK;
    if (!WriteFile(h, buf, (DWORD)n, &put, NULL)) return px_err_last();
    return put;
}

int64_t px_host_file_seek(px_host_handle h, int64_t offset, int whence, uint64_t *pos)
{
    static const DWORD methods[] = {[PX_HOST_SEEK_SET] = FILE_BEGIN, [PX_HOST_SEEK_CUR] = FILE_CURRENT,
                                    [PX_HOST_SEEK_END] = FILE_END};
    LARGE_INTEGER to = {.QuadPart = offset}, now;
    if (!SetFilePointerEx(h, to, &now, methods[whence])) return px_err_last();
    if (pos) *pos = (uint64_t)now.QuadPart;
    return 0;
}

#ifndef FILE_DISPOSITION_FLAG_DELETE
#define FILE_DISPOSITION_FLAG_DELETE 0x00000001
#define FILE_DISPOSITION_FLAG_POSIX_SEMANTICS 0x00000002
typedef struct { DWORD Flags; } FILE_DISPOSITION_INFO_EX;
#endif
#define PX_FILE_DISPOSITION_INFO_EX ((FILE_INFO_BY_HANDLE_CLASS)21) /* FileDispositionInfoEx (Windows 10 1607) */

int64_t px_host_file_delete_posix(px_host_handle h)
{
    FILE_DISPOSITION_INFO_EX ex = {.Flags = FILE_DISPOSITION_FLAG_DELETE | FILE_DISPOSITION_FLAG_POSIX_SEMANTICS |
                                            0x10 /* FILE_DISPOSITION_FLAG_IGNORE_READONLY_ATTRIBUTE */};
    if (SetFileInformationByHandle(h, PX_FILE_DISPOSITION_INFO_EX, &ex, sizeof ex)) return 0;
    return px_err_last(); /* ERROR_DIR_NOT_EMPTY: ENOTEMPTY */
}

int64_t px_host_file_delete_handle(px_host_handle h)
{
    int64_t r = px_host_file_delete_posix(h);
    if (r == 0 || r == -LINUX_ENOTEMPTY) return r;
    FILE_DISPOSITION_INFO classic = {.DeleteFile = TRUE};
    if (SetFileInformationByHandle(h, FileDispositionInfo, &classic, sizeof classic)) return 0;
    DWORD e = GetLastError();
    FILE_BASIC_INFO basic;
    if (e == ERROR_ACCESS_DENIED && GetFileInformationByHandleEx(h, FileBasicInfo, &basic, sizeof basic) &&
        (basic.FileAttributes & FILE_ATTRIBUTE_READONLY)) {
        basic.FileAttributes &= ~(DWORD)FILE_ATTRIBUTE_READONLY;
        if (!basic.FileAttributes) basic.FileAttributes = FILE_ATTRIBUTE_NORMAL;
        if (SetFileInformationByHandle(h, FileBasicInfo, &basic, sizeof basic) &&
            SetFileInformationByHandle(h, FileDispositionInfo, &classic, sizeof classic))
            return 0;
        e = GetLastError();
    }
    return px_err_win32(e);
}

int64_t px_host_link_create(const wchar_t *new_path, const wchar_t *existing_path)
{
    return CreateHardLinkW(new_path, existing_path, NULL) ? 0 : px_err_last();
}

int64_t px_host_file_reparse_data(px_host_handle h, void *buf, size_t cap)
{
    DWORD got = 0;
    if (DeviceIoControl(h, FSCTL_GET_REPARSE_POINT, NULL, 0, buf, (DWORD)cap, &got, NULL)) return got;
    DWORD e = GetLastError();
    /* not a reparse point, or a host without them */
    if (e == ERROR_NOT_A_REPARSE_POINT || e == ERROR_INVALID_FUNCTION || e == ERROR_NOT_SUPPORTED ||
        e == ERROR_INVALID_PARAMETER)
        return -LINUX_EINVAL;
    return px_err_win32(e);
}

int64_t px_host_file_name(px_host_handle h, wchar_t *buf, size_t cap, size_t *len)
{
    union {
        FILE_NAME_INFORMATION info;
        unsigned char bytes[sizeof(FILE_NAME_INFORMATION) + 2 * 4096 * sizeof(WCHAR)];
    } u;
    IO_STATUS_BLOCK io;
    NTSTATUS status = NtQueryInformationFile(h, &io, &u.info, sizeof u, (FILE_INFORMATION_CLASS)9 /* FileNameInformation */);
    if (!NT_SUCCESS(status)) return px_err_nt(status);
    size_t n = u.info.FileNameLength / sizeof(WCHAR);
    if (n >= cap) return -LINUX_ENAMETOOLONG;
    memcpy(buf, u.info.FileName, n * sizeof(WCHAR));
    buf[n] = 0;
    *len = n;
    return 0;
}

int64_t px_host_dir_short_name(const wchar_t *dir, const wchar_t *mask, const wchar_t *long_name, wchar_t *out,
                               size_t cap)
{
    size_t n = wcslen(dir) + wcslen(mask) + 2;
    wchar_t *spec = px_alloc(n * sizeof *spec);
    if (!spec) return -LINUX_ENOMEM;
    swprintf(spec, n, L"%ls\\%ls", dir, mask);
    WIN32_FIND_DATAW fd;
    HANDLE fh = FindFirstFileW(spec, &fd);
    px_free(spec);
    if (fh == INVALID_HANDLE_VALUE) return -LINUX_ENOENT;
    int64_t r = -LINUX_ENOENT;
    do {
        if (wcscmp(fd.cFileName, long_name)) continue;
        /* Wine keeps a ':' in the short name, where it does not open; the long name does */
        const wchar_t *use =
            fd.cAlternateFileName[0] && !wcschr(fd.cAlternateFileName, L':') ? fd.cAlternateFileName : fd.cFileName;
        if (wcslen(use) >= cap) break;
        wcscpy(out, use);
        r = 0;
        break;
    } while (FindNextFileW(fh, &fd));
    FindClose(fh);
    return r;
}

/* FileCaseSensitiveInformation (Windows 10 1803+): FILE_CASE_SENSITIVE_INFORMATION with
   FILE_CS_FLAG_CASE_SENSITIVE_DIR. Wine 8 answers STATUS_INVALID_INFO_CLASS (the query)
   or STATUS_NOT_IMPLEMENTED (the set); NTFS without WSL's optional component, and other
   file systems, refuse it too. Once refused, a process does not ask again. */
#define PX_FILE_CASE_SENSITIVE_INFORMATION 71
#define PX_FILE_CS_FLAG_CASE_SENSITIVE_DIR 0x1u
int64_t px_host_dir_set_case_sensitive(const wchar_t *path)
{
    static volatile LONG refused;
    if (refused) return -LINUX_EOPNOTSUPP;
    HANDLE h = CreateFileW(path, FILE_WRITE_ATTRIBUTES | FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    if (h == INVALID_HANDLE_VALUE) return px_err_last();
    ULONG flags = PX_FILE_CS_FLAG_CASE_SENSITIVE_DIR;
    IO_STATUS_BLOCK io;
    NTSTATUS status = NtSetInformationFile(h, &io, &flags, sizeof flags,
                                           (FILE_INFORMATION_CLASS)PX_FILE_CASE_SENSITIVE_INFORMATION);
    CloseHandle(h);
    if (NT_SUCCESS(status)) return 0;
    if (status == (NTSTATUS)0xC0000003L /* INVALID_INFO_CLASS */ || status == (NTSTATUS)0xC0000002L /* NOT_IMPLEMENTED */ ||
        status == (NTSTATUS)0xC00000BBL /* NOT_SUPPORTED */)
        InterlockedExchange(&refused, 1);
    return px_err_nt(status);
}
