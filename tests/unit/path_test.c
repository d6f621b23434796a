/* Guest path normalisation and the host -> guest mapping (src/fs/path_norm.c). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include "core/px.h"
#include "fs/path_norm.h"

static char out[PX_PATH_MAX];

static const char *norm(const char *base, const char *path, bool *dir)
{
    int64_t r = px_path_normalize(base, path, out, sizeof out, dir);
    cr_assert(r >= 0, "normalize(%s, %s) = %lld", base, path, (long long)r);
    cr_assert_eq((size_t)r, strlen(out));
    return out;
}

Test(path, absolute_paths)
{
    cr_assert_str_eq(norm("/x", "/", NULL), "/");
    cr_assert_str_eq(norm("/x", "/a/b", NULL), "/a/b");
    cr_assert_str_eq(norm("/x", "//a///b//", NULL), "/a/b");
    cr_assert_str_eq(norm("/x", "/a/./b/.", NULL), "/a/b");
}

Test(path, relative_to_base)
{
    cr_assert_str_eq(norm("/home/u", "f", NULL), "/home/u/f");
    cr_assert_str_eq(norm("/home/u", "./d/../f", NULL), "/home/u/f");
    cr_assert_str_eq(norm("/", "a", NULL), "/a");
    cr_assert_str_eq(norm("/home/u", ".", NULL), "/home/u");
    cr_assert_str_eq(norm("/home/u", "..", NULL), "/home");
}

Test(path, dotdot_never_above_root)
{
    cr_assert_str_eq(norm("/", "..", NULL), "/");
    cr_assert_str_eq(norm("/a", "../../../b", NULL), "/b");
    cr_assert_str_eq(norm("/x", "/../..", NULL), "/");
    cr_assert_str_eq(norm("/x", "/a/../../b/..", NULL), "/");
}

Test(path, trailing_slash_means_directory)
{
    bool dir;
    norm("/", "a/b", &dir);
    cr_assert(!dir);
    norm("/", "a/b/", &dir);
    cr_assert(dir);
    norm("/", "a/b//", &dir);
    cr_assert(dir);
    norm("/", "a/.", &dir);
    cr_assert(dir);
    norm("/", "a/..", &dir);
    cr_assert(dir);
    norm("/", "/", &dir);
    cr_assert(dir);
    norm("/", "..a", &dir);
    cr_assert(!dir);
}

Test(path, dot_names_are_ordinary)
{
    cr_assert_str_eq(norm("/", "/a/...", NULL), "/a/...");
    cr_assert_str_eq(norm("/", "/a/.b/..c", NULL), "/a/.b/..c");
}

Test(path, empty_is_enoent)
{
    cr_assert_eq(px_path_normalize("/", "", out, sizeof out, NULL), -LINUX_ENOENT);
}

Test(path, length_limits)
{
    char *p = malloc(5000);
    memset(p, 'a', 4999);
    p[4999] = 0;
    cr_assert_eq(px_path_normalize("/", p, out, sizeof out, NULL), -LINUX_ENAMETOOLONG);
    /* a component of 256 bytes */
    p[0] = '/';
    memset(p + 1, 'b', 256);
    p[257] = 0;
    cr_assert_eq(px_path_normalize("/", p, out, sizeof out, NULL), -LINUX_ENAMETOOLONG);
    p[256] = 0; /* 255 bytes is fine */
    cr_assert_eq(px_path_normalize("/", p, out, sizeof out, NULL), 256);
    /* 4095 bytes of path is fine; the joined result must stay below 4096 too */
    for (int i = 0; i < 4095; i++) p[i] = (i % 100 == 0) ? '/' : 'c';
    p[4095] = 0;
    cr_assert(px_path_normalize("/", p, out, sizeof out, NULL) > 0);
    cr_assert_eq(px_path_normalize("/", p + 1, out, sizeof out, NULL), 4095);
    cr_assert_eq(px_path_normalize("/longbase", p + 1, out, sizeof out, NULL), -LINUX_ENAMETOOLONG);
    free(p);
}

static void check_escape(const char *path, const uint16_t *want)
{
    uint16_t w[64];
    size_t n = strlen(path);
    for (size_t i = 0; i < n; i++) w[i] = (unsigned char)path[i];
    px_drvfs_escape_utf16(w, n);
    for (size_t i = 0; i < n; i++) cr_assert_eq(w[i], want[i], "%s: char %zu is %#x, not %#x", path, i, w[i], want[i]);
}

Test(path, drvfs_escape)
{
    check_escape("a/b.txt", (const uint16_t[]){'a', '\\', 'b', '.', 't', 'x', 't'});
    check_escape("a:b", (const uint16_t[]){'a', 0xF03A, 'b'});
    check_escape("*?\"<>|\\", (const uint16_t[]){0xF02A, 0xF03F, 0xF022, 0xF03C, 0xF03E, 0xF07C, 0xF05C});
    check_escape("x\x01", (const uint16_t[]){'x', 0xF001});
    check_escape("dot./sp /x", (const uint16_t[]){'d', 'o', 't', 0xF02E, '\\', 's', 'p', 0xF020, '\\', 'x'});
    check_escape("../a/./b..", (const uint16_t[]){'.', '.', '\\', 'a', '\\', '.', '\\', 'b', '.', 0xF02E});
}

static void check_unescape(const char *stored, const char *want)
{
    char buf[64];
    strcpy(buf, stored);
    size_t n = px_drvfs_unescape_utf8(buf, strlen(buf));
    cr_assert_eq(n, strlen(want), "%s: length %zu", stored, n);
    cr_assert_str_eq(buf, want);
}

Test(path, drvfs_unescape)
{
    check_unescape("a\xef\x80\xba" "b", "a:b");                    /* U+F03A */
    check_unescape("dot\xef\x80\xae", "dot.");                  /* U+F02E at the end */
    check_unescape("dot\xef\x80\xae/x", "dot./x");
    check_unescape("mid\xef\x80\xae" "x", "mid\xef\x80\xae" "x");      /* a dot inside a name is not escaped */
    check_unescape("\xef\x81\xbc", "|");                         /* U+F07C */
    check_unescape("\xef\x81\x81" "b", "Ab");                    /* U+F041: a letter of a case variant */
    check_unescape("\xef\x80\xa1", "\xef\x80\xa1");               /* U+F021 ('!') stands for nothing */
    check_unescape("n-\xef\x83\xbf", "n-\xff");                  /* U+F0FF: the byte 0xff */
    check_unescape("\xef\x83\x83", "\xc3");
    check_unescape("\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9");
}

static void check_name(const char *name, const uint16_t *want, size_t want_len)
{
    uint16_t out[64];
    size_t n = px_drvfs_utf16_of_name(name, strlen(name), out);
    cr_assert_eq(n, want_len, "%s: length %zu", name, n);
    for (size_t i = 0; i < n; i++) cr_assert_eq(out[i], want[i], "%s: unit %zu is %x", name, i, out[i]);
}

Test(path, drvfs_names_not_utf8)
{
    check_name("ok-\xc3\xa9", (const uint16_t[]){'o', 'k', '-', 0xE9}, 4);
    check_name("n-\xff", (const uint16_t[]){'n', '-', 0xF0FF}, 3);
    check_name("\xe9t\xe9", (const uint16_t[]){0xF0E9, 't', 0xF0E9}, 3);
    check_name("half-\xc3", (const uint16_t[]){'h', 'a', 'l', 'f', '-', 0xF0C3}, 6);
    check_name("\xc0\xaf", (const uint16_t[]){0xF0C0, 0xF0AF}, 2);              /* overlong '/' */
    check_name("\xed\xa0\x80", (const uint16_t[]){0xF0ED, 0xF0A0, 0xF080}, 3);  /* a surrogate */
    check_name("\xf0\x9f\x98\x80", (const uint16_t[]){0xD83D, 0xDE00}, 2);     /* U+1F600 */
}

Test(path, basename)
{
    cr_assert_str_eq(px_path_basename("/"), "");
    cr_assert_str_eq(px_path_basename("/a/bc"), "bc");
}

static void check_guest(const char *root, const char *host, const char *want)
{
    char *g = px_path_guest_of_host(root, host);
    if (!want) {
        cr_assert_null(g, "%s under %s gave %s", host, root, g);
        return;
    }
    cr_assert_not_null(g, "%s under %s gave NULL", host, root);
    cr_assert_str_eq(g, want);
    px_free(g);
}

Test(path, guest_of_host)
{
    check_guest("Z:", "Z:\\", "/");
    check_guest("Z:", "Z:\\work\\main", "/work/main");
    check_guest("Z:", "z:\\Work\\", "/Work");
    check_guest("Z:", "\\\\?\\Z:\\tmp", "/tmp");
    check_guest("C:\\distro", "c:\\DISTRO\\home\\u", "/home/u");
    check_guest("C:\\distro", "C:\\distro", "/");
    check_guest("C:\\distro", "C:\\distrox\\a", NULL);
    check_guest("C:\\distro", "D:\\distro", NULL);
    check_guest("Z:", "C:\\windows", NULL);
}
