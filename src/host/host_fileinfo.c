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
