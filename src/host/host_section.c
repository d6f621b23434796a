/* host_section.h on Win32. */
#include <windows.h>
#include "core/errors.h"
#include "host/host_section.h"

int64_t px_host_file_view(px_host_handle h, size_t size, const void **view)
{
    HANDLE section = CreateFileMappingW(h, NULL, PAGE_READONLY, (DWORD)((uint64_t)size >> 32), (DWORD)size, NULL);
    if (!section) return px_err_last();
    void *at = MapViewOfFile(section, FILE_MAP_READ, 0, 0, size);
    int64_t rc = at ? 0 : px_err_last();
    CloseHandle(section); /* the view keeps the section */
    if (at) *view = at;
    return rc;
}

void px_host_file_unview(const void *view) { UnmapViewOfFile(view); }
