/* Guest path arithmetic (no Windows): see path_norm.h. */
#include "core/px.h"
#include "fs/path_norm.h"

/* Appends one component to out (normalised, length *len); handles '.' and '..'. */
static int64_t push_component(char *out, size_t out_size, size_t *len, const char *name, size_t n)
{
    if (n == 1 && name[0] == '.') return 0;
    if (n == 2 && name[0] == '.' && name[1] == '.') {
        while (*len > 0 && out[*len - 1] != '/') (*len)--;
        if (*len > 0) (*len)--; /* drop the '/' too; "/.." stays "/" */
        return 0;
    }
    if (n > PX_NAME_MAX) return -LINUX_ENAMETOOLONG;
    if (*len + 1 + n >= out_size || *len + 1 + n >= PX_PATH_MAX) return -LINUX_ENAMETOOLONG;
    out[(*len)++] = '/';
    memcpy(out + *len, name, n);
    *len += n;
    return 0;
}

/* Feeds every component of s to push_component; records what the last one was. */
static int64_t push_path(char *out, size_t out_size, size_t *len, const char *s, bool *must_be_dir)
{
    const char *p = s;
    while (*p) {
        while (*p == '/') p++;
        if (!*p) break;
        const char *start = p;
        while (*p && *p != '/') p++;
        size_t n = (size_t)(p - start);
        if (must_be_dir) *must_be_dir = (n == 1 && start[0] == '.') || (n == 2 && start[0] == '.' && start[1] == '.');
        int64_t r = push_component(out, out_size, len, start, n);
        if (r < 0) return r;
    }
    return 0;
}

int64_t px_path_normalize(const char *base, const char *path, char *out, size_t out_size, bool *must_be_dir)
{
    if (must_be_dir) *must_be_dir = false;
    if (!path || !path[0]) return -LINUX_ENOENT;
    size_t path_len = strnlen(path, PX_PATH_MAX);
    if (path_len >= PX_PATH_MAX) return -LINUX_ENAMETOOLONG;
    size_t len = 0;
    int64_t r;
    if (path[0] != '/' && base) {
        r = push_path(out, out_size, &len, base, NULL);
        if (r < 0) return r;
    }
    r = push_path(out, out_size, &len, path, must_be_dir);
    if (r < 0) return r;
    if (must_be_dir && path[path_len - 1] == '/') *must_be_dir = true;
    if (len == 0) out[len++] = '/';
    out[len] = 0;
    return (int64_t)len;
}

bool px_path_component_ok_on_windows(const char *name, size_t len)
{
    if (len == 0) return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f) return false;
        if (strchr(":*?\"<>|\\", c)) return false;
    }
    /* Win32 strips a trailing dot or space, so such a name would reach another file. */
    return name[len - 1] != '.' && name[len - 1] != ' ';
}

bool px_path_ok_on_windows(const char *abs_path)
{
    const char *p = abs_path;
    while (*p) {
        while (*p == '/') p++;
        if (!*p) break;
        const char *start = p;
        while (*p && *p != '/') p++;
        if (!px_path_component_ok_on_windows(start, (size_t)(p - start))) return false;
    }
    return true;
}

const char *px_path_basename(const char *abs_path)
{
    const char *slash = strrchr(abs_path, '/');
    return slash ? slash + 1 : abs_path;
}

static bool is_sep(char c) { return c == '\\' || c == '/'; }

static char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

char *px_path_guest_of_host(const char *root, const char *host_dir)
{
    if (!root || !host_dir) return NULL;
    /* \\?\ and \??\ prefixes name the same paths */
    if (is_sep(host_dir[0]) && is_sep(host_dir[1]) && host_dir[2] == '?' && is_sep(host_dir[3])) host_dir += 4;
    else if (is_sep(host_dir[0]) && host_dir[1] == '?' && host_dir[2] == '?' && is_sep(host_dir[3])) host_dir += 4;
    if (is_sep(root[0]) && is_sep(root[1]) && root[2] == '?' && is_sep(root[3])) root += 4;
    size_t root_len = strlen(root);
    while (root_len > 0 && is_sep(root[root_len - 1])) root_len--;
    for (size_t i = 0; i < root_len; i++) {
        if (is_sep(root[i]) ? !is_sep(host_dir[i]) : ascii_lower(root[i]) != ascii_lower(host_dir[i])) return NULL;
    }
    const char *rest = host_dir + root_len;
    if (*rest && !is_sep(*rest)) return NULL; /* "C:\distrox" is not under "C:\distro" */
    size_t n = strlen(rest);
    char *guest = px_alloc(n + 2);
    if (!guest) return NULL;
    size_t len = 0;
    guest[len++] = '/';
    for (const char *p = rest; *p; p++) {
        if (is_sep(*p)) {
            if (guest[len - 1] != '/') guest[len++] = '/';
        } else {
            guest[len++] = *p;
        }
    }
    if (len > 1 && guest[len - 1] == '/') len--;
    guest[len] = 0;
    return guest;
}
