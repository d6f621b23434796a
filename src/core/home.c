/* picolx's per-user directory (home.h). */
#include <windows.h>
#include <stdio.h>
#include "core/home.h"
#include "core/px.h"

wchar_t *px_home_path(const wchar_t *leaf, bool create)
{
    wchar_t base[MAX_PATH];
    size_t cap = MAX_PATH + 32 + wcslen(leaf);
    wchar_t *path = px_alloc(cap * sizeof(wchar_t));
    if (!path) return NULL;
    DWORD n = GetEnvironmentVariableW(L"PICOLX_HOME", base, MAX_PATH);
    if (n && n < MAX_PATH) {
        swprintf(path, cap, L"%ls", base);
    } else if ((n = GetEnvironmentVariableW(L"LOCALAPPDATA", base, MAX_PATH)) && n < MAX_PATH) {
        swprintf(path, cap, L"%ls\\picolx", base);
    } else if ((n = GetEnvironmentVariableW(L"USERPROFILE", base, MAX_PATH)) && n < MAX_PATH) {
        swprintf(path, cap, L"%ls\\AppData\\Local\\picolx", base);
    } else {
        px_free(path);
        return NULL;
    }
    if (create) CreateDirectoryW(path, NULL);
    wcscat(path, L"\\");
    wcscat(path, leaf);
    return path;
}
