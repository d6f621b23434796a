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

/* True if the component ending at path[end] is "." or "..", which name directories,
   not files with trailing dots. The separators before end may already be '\\'. */
static bool is_dot_or_dotdot(const uint16_t *path, size_t end)
{
    size_t start = end;
    while (start > 0 && path[start - 1] != '/' && path[start - 1] != '\\') start--;
    size_t len = end - start + 1;
    return (len == 1 && path[start] == '.') || (len == 2 && path[start] == '.' && path[start + 1] == '.');
}

/* The characters a Windows name cannot hold. */
static bool forbidden_on_windows(uint16_t c)
{
    return (c >= 1 && c < 0x20) || c == ':' || c == '*' || c == '?' || c == '"' || c == '<' || c == '>' ||
           c == '|' || c == '\\';
}

void px_drvfs_escape_utf16(uint16_t *path, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint16_t c = path[i];
        bool ends_component = i + 1 == n || path[i + 1] == '/';
        if (c == '/') path[i] = '\\';
        else if (forbidden_on_windows(c) || (ends_component && (c == '.' || c == ' ') && !is_dot_or_dotdot(path, i)))
            path[i] = (uint16_t)(PX_DRVFS_ESCAPE_BASE + c);
    }
}

size_t px_drvfs_unescape_utf8(char *name, size_t len)
{
    size_t out = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char *p = (unsigned char *)name + i;
        /* U+F000..U+F0FF is EF 80..83 80..BF in UTF-8 */
        if (i + 2 < len && p[0] == 0xEF && p[1] >= 0x80 && p[1] <= 0x83 && (p[2] & 0xC0) == 0x80) {
            uint16_t c = (uint16_t)(((p[1] & 0x3F) << 6) | (p[2] & 0x3F));
            if (c >= 0x80) { /* a byte that is not UTF-8 (px_drvfs_utf16_of_name) */
                name[out++] = (char)c;
                i += 2;
                continue;
            }
            bool last_of_component = i + 3 == len || name[i + 3] == '/';
            bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); /* case-escaped (drvfs_names.c) */
            if (forbidden_on_windows(c) || letter || (last_of_component && (c == '.' || c == ' '))) {
                name[out++] = (char)c;
                i += 2;
                continue;
            }
        }
        name[out++] = name[i];
    }
    if (out < len) name[out] = 0;
    return out;
}

size_t px_drvfs_utf16_of_name(const char *s, size_t n, uint16_t *out)
{
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        uint32_t cp = 0;
        size_t len = 0;
        if (c < 0x80) cp = c, len = 1;
        else if (c >= 0xC2 && c <= 0xDF) cp = c & 0x1F, len = 2;
        else if (c >= 0xE0 && c <= 0xEF) cp = c & 0x0F, len = 3;
        else if (c >= 0xF0 && c <= 0xF4) cp = c & 0x07, len = 4;
        bool ok = len > 0 && i + len <= n;
        for (size_t k = 1; ok && k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80) ok = false;
            else cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        /* overlong forms, surrogates and beyond U+10FFFF are not UTF-8 either */
        if (ok && ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
                   (cp >= 0xD800 && cp <= 0xDFFF)))
            ok = false;
        if (!ok) { /* a byte that is not UTF-8: U+F000 + the byte, as Cygwin keeps them */
            out[o++] = (uint16_t)(PX_DRVFS_ESCAPE_BASE + c);
            i++;
            continue;
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            out[o++] = (uint16_t)(0xD800 + (cp >> 10));
            out[o++] = (uint16_t)(0xDC00 + (cp & 0x3FF));
        } else {
            out[o++] = (uint16_t)cp;
        }
        i += len;
    }
    out[o] = 0;
    return o;
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
    px_drvfs_unescape_utf8(guest, len);
    return guest;
}
