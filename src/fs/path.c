/* Guest paths to Windows paths: the root (a Windows directory that is the guest's "/"),
   the guest's cwd (a guest path), and the start-up of the file-system layer. */
#include <windows.h>
#include "fs/fs_internal.h"

static wchar_t *root_prefix;     /* \\?\C:\distro (no trailing '\'): prepended to guest paths */
static size_t root_prefix_len;
static char *root_utf8;          /* the absolute root in UTF-8, for the inverse mapping */
static char *cwd_guest;          /* the guest's cwd: a normalised absolute guest path */

wchar_t *px_utf16_of_utf8(const char *s)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    if (n <= 0) return NULL;
    wchar_t *w = px_alloc((size_t)n * sizeof *w);
    if (w) MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
    return w;
}

char *px_utf8_of_utf16(const wchar_t *w, int wlen)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, wlen, NULL, 0, NULL, NULL);
    if (n < 0 || (n == 0 && wlen != 0)) return NULL;
    char *s = px_alloc((size_t)n + 1);
    if (!s) return NULL;
    WideCharToMultiByte(CP_UTF8, 0, w, wlen, s, n, NULL, NULL);
    s[n] = 0;
    return s;
}

/* Makes root absolute and builds the \\?\ form that every host path starts with. */
static int64_t set_root(const char *root)
{
    wchar_t *w = px_utf16_of_utf8(root);
    if (!w) return -LINUX_EINVAL;
    size_t wl = wcslen(w);
    /* "Z:" alone means the current directory of drive Z to GetFullPathName: say "Z:\" */
    wchar_t *with_sep = px_alloc((wl + 2) * sizeof *w);
    if (!with_sep) return -LINUX_ENOMEM;
    memcpy(with_sep, w, wl * sizeof *w);
    with_sep[wl] = L'\\';
    with_sep[wl + 1] = 0;
    px_free(w);
    wchar_t full[32768];
    DWORD n = GetFullPathNameW(with_sep, PX_ARRAY_LEN(full), full, NULL);
    px_free(with_sep);
    if (n == 0 || n >= PX_ARRAY_LEN(full)) return -LINUX_ENAMETOOLONG;
    while (n > 0 && (full[n - 1] == L'\\' || full[n - 1] == L'/')) full[--n] = 0;

    const wchar_t *prefix = L"\\\\?\\";
    const wchar_t *rest = full;
    if (!wcsncmp(full, L"\\\\?\\", 4)) prefix = L"";
    else if (full[0] == L'\\' && full[1] == L'\\') { prefix = L"\\\\?\\UNC\\"; rest = full + 2; }
    size_t len = wcslen(prefix) + wcslen(rest);
    root_prefix = px_alloc((len + 1) * sizeof(wchar_t));
    if (!root_prefix) return -LINUX_ENOMEM;
    wcscpy(root_prefix, prefix);
    wcscat(root_prefix, rest);
    root_prefix_len = len;
    root_utf8 = px_utf8_of_utf16(full, -1);
    return root_utf8 ? 0 : -LINUX_ENOMEM;
}

int64_t px_fs_init(const char *root, const char *cwd)
{
    int64_t r = set_root(root);
    if (r < 0) return r;
    char norm[PX_PATH_MAX];
    if (!cwd || px_path_normalize("/", cwd, norm, sizeof norm, NULL) < 0) strcpy(norm, "/");
    cwd_guest = px_strdup(norm);
    if (!cwd_guest) return -LINUX_ENOMEM;
    return px_fd_init_std();
}

const char *px_fs_cwd(void) { return cwd_guest; }

void px_fs_set_cwd(const char *abs_guest)
{
    char *c = px_strdup(abs_guest);
    if (!c) return;
    px_free(cwd_guest);
    cwd_guest = c;
}

int64_t px_fs_resolve(int dirfd, const char *guest_path, char *out, bool *must_be_dir)
{
    if (!guest_path) return -LINUX_EFAULT;
    if (guest_path[0] == '/' || dirfd == LINUX_AT_FDCWD)
        return px_path_normalize(cwd_guest, guest_path, out, PX_PATH_MAX, must_be_dir);
    px_file *f = px_fd_get(dirfd);
    if (!f) return -LINUX_EBADF;
    int64_t r;
    if (!guest_path[0]) r = -LINUX_ENOENT;
    else if (!f->is_dir || !f->guest_path) r = -LINUX_ENOTDIR;
    else r = px_path_normalize(f->guest_path, guest_path, out, PX_PATH_MAX, must_be_dir);
    px_file_unref(f);
    return r;
}

int64_t px_fs_host_of_guest(const char *abs_guest, bool for_create, wchar_t **out)
{
    /* Names Windows cannot hold (':', '*', a trailing dot, ...) cannot exist under the
       root until names are encoded (a later issue): nothing is there to find, and
       nothing can be created under such a name. */
    if (!px_path_ok_on_windows(abs_guest)) return for_create ? -LINUX_EINVAL : -LINUX_ENOENT;
    wchar_t *rel = px_utf16_of_utf8(abs_guest);
    if (!rel) return for_create ? -LINUX_EINVAL : -LINUX_ENOENT; /* not UTF-8: as above */
    size_t rel_len = wcslen(rel);
    wchar_t *w = px_alloc((root_prefix_len + rel_len + 2) * sizeof *w);
    if (!w) {
        px_free(rel);
        return -LINUX_ENOMEM;
    }
    memcpy(w, root_prefix, root_prefix_len * sizeof *w);
    for (size_t i = 0; i < rel_len; i++) w[root_prefix_len + i] = rel[i] == L'/' ? L'\\' : rel[i];
    w[root_prefix_len + rel_len] = 0;
    px_free(rel);
    *out = w;
    return 0;
}

int64_t px_fs_host_path(int dirfd, const char *guest_path, wchar_t **out)
{
    char abs[PX_PATH_MAX];
    int64_t r = px_fs_resolve(dirfd, guest_path, abs, NULL);
    if (r < 0) return r;
    return px_fs_host_of_guest(abs, false, out);
}

char *px_fs_guest_path_of_host(const wchar_t *host_dir)
{
    const char *root = root_utf8 ? root_utf8 : px_cfg.root;
    char *host = px_utf8_of_utf16(host_dir, -1);
    if (!host) return NULL;
    char *guest = px_path_guest_of_host(root, host);
    px_free(host);
    return guest;
}
