/* picolx's per-user directory (home.h). */
#include <stdio.h>
#include "core/home.h"
#include "core/px.h"
#include "host/host_env.h"
#include "host/host_file.h"

#define BASE_MAX 260 /* the longest base directory taken from the environment */

wchar_t *px_home_path(const wchar_t *leaf, bool create)
{
    wchar_t base[BASE_MAX];
    size_t cap = BASE_MAX + 32 + wcslen(leaf);
    wchar_t *path = px_alloc(cap * sizeof(wchar_t));
    if (!path) return NULL;
    if (px_host_env_get_w(L"PICOLX_HOME", base, BASE_MAX) > 0) {
        swprintf(path, cap, L"%ls", base);
    } else if (px_host_env_get_w(L"LOCALAPPDATA", base, BASE_MAX) > 0) {
        swprintf(path, cap, L"%ls\\picolx", base);
    } else if (px_host_env_get_w(L"USERPROFILE", base, BASE_MAX) > 0) {
        swprintf(path, cap, L"%ls\\AppData\\Local\\picolx", base);
    } else {
        px_free(path);
        return NULL;
    }
    if (create) px_host_dir_create(path); /* EEXIST is fine */
    wcscat(path, L"\\");
    wcscat(path, leaf);
    return path;
}
