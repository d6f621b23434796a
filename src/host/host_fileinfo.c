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
