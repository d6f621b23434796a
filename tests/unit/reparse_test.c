/* Symlink reparse points to Linux targets (src/fs/reparse.c), from buffers laid out as
   FSCTL_GET_REPARSE_POINT returns them ([MS-FSCC] 2.1.2.4 symbolic links, 2.1.2.5 mount
   points; WSL's LX_SYMLINK: a version word and UTF-8). Real Windows makes these with
   mklink / mklink /J / WSL's ln -s; Wine 8 cannot read them, so this is where the
   parsing is proved. */
#include <criterion/criterion.h>
#include "core/px.h"
#include "fs/path_norm.h"
#include "fs/reparse.h"

static uint8_t buf[4096];
static char out[PX_PATH_MAX];

static void put16(size_t at, uint16_t v) { buf[at] = (uint8_t)v, buf[at + 1] = (uint8_t)(v >> 8); }
static void put32(size_t at, uint32_t v) { put16(at, (uint16_t)v), put16(at + 2, (uint16_t)(v >> 16)); }

/* UTF-16LE of an ASCII or UTF-8 string (BMP only) at buf[at]: bytes written */
static size_t put_wide(size_t at, const char *s)
{
    size_t o = at;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        uint16_t c = *p++;
        if (c >= 0xE0) c = (uint16_t)((c & 0x0F) << 12 | (p[0] & 0x3F) << 6 | (p[1] & 0x3F)), p += 2;
        else if (c >= 0xC0) c = (uint16_t)((c & 0x1F) << 6 | (p[0] & 0x3F)), p += 1;
        put16(o, c);
        o += 2;
    }
    return o - at;
}

/* A symlink (flags given) or a junction (flags < 0) with these names: its length. */
static size_t make_link(uint32_t tag, long flags, const char *substitute, const char *print)
{
    memset(buf, 0, sizeof buf);
    size_t head = tag == PX_REPARSE_TAG_SYMLINK ? 12 : 8;
    size_t path_buffer = 8 + head;
    size_t sub_len = put_wide(path_buffer, substitute);
    size_t print_len = put_wide(path_buffer + sub_len, print);
    put32(0, tag);
    put16(4, (uint16_t)(head + sub_len + print_len));
    put16(8, 0);
    put16(10, (uint16_t)sub_len);
    put16(12, (uint16_t)sub_len);
    put16(14, (uint16_t)print_len);
    if (tag == PX_REPARSE_TAG_SYMLINK) put32(16, (uint32_t)flags);
    return path_buffer + sub_len + print_len;
}

static int64_t target(size_t len, px_reparse_target_kind *kind)
{
    return px_reparse_link_target(buf, len, out, sizeof out, kind);
}

/* The link made of these names must give want, of kind want_kind. */
static void expect_target(uint32_t tag, long flags, const char *substitute, const char *print, const char *want,
                          px_reparse_target_kind want_kind)
{
    px_reparse_target_kind kind;
    size_t len = make_link(tag, flags, substitute, print);
    cr_assert_eq(target(len, &kind), (int64_t)strlen(want), "link to %s", substitute);
    cr_assert_str_eq(out, want);
    cr_assert_eq(kind, want_kind);
}

Test(reparse, relative_symlink)
{
    expect_target(PX_REPARSE_TAG_SYMLINK, 1, "..\\lib\\libz.so.1", "..\\lib\\libz.so.1", "../lib/libz.so.1", PX_REPARSE_LINUX);
    /* drvfs stores ':' as U+F03A; the target names it so too */
    expect_target(PX_REPARSE_TAG_SYMLINK, 1, "d\xc3\xa9j\xc3\xa0\\a\xef\x80\xba" "b", "", "d\xc3\xa9j\xc3\xa0/a:b",
                  PX_REPARSE_LINUX);
}

Test(reparse, absolute_symlink)
{
    expect_target(PX_REPARSE_TAG_SYMLINK, 0, "\\??\\C:\\Users\\me\\file.txt", "C:\\Users\\me\\file.txt",
                  "C:\\Users\\me\\file.txt", PX_REPARSE_WINDOWS);
    /* no "\??\" prefix: the print name */
    expect_target(PX_REPARSE_TAG_SYMLINK, 0, "\\Device\\X", "D:\\data", "D:\\data", PX_REPARSE_WINDOWS);
}

Test(reparse, junction)
{
    expect_target(PX_REPARSE_TAG_MOUNT_POINT, -1, "\\??\\C:\\distro\\usr", "C:\\distro\\usr", "C:\\distro\\usr",
                  PX_REPARSE_WINDOWS);
}

Test(reparse, wsl_symlink)
{
    memset(buf, 0, sizeof buf);
    const char *t = "/usr/bin/python3.11";
    put32(0, PX_REPARSE_TAG_LX_SYMLINK);
    put16(4, (uint16_t)(4 + strlen(t)));
    put32(8, 2);
    memcpy(buf + 12, t, strlen(t));
    px_reparse_target_kind kind;
    cr_assert_eq(target(12 + strlen(t), &kind), (int64_t)strlen(t));
    cr_assert_str_eq(out, t);
    cr_assert_eq(kind, PX_REPARSE_LINUX);
    put32(8, 1); /* an unknown version */
    cr_assert_eq(target(12 + strlen(t), &kind), -LINUX_EINVAL);
}

Test(reparse, other_tags_and_broken_data)
{
    px_reparse_target_kind kind;
    size_t len = make_link(PX_REPARSE_TAG_SYMLINK, 1, "a\\b", "a\\b");
    for (size_t cut = 0; cut < len; cut++) cr_assert_eq(target(cut, &kind), -LINUX_EINVAL, "cut at %zu", cut);
    put32(0, 0x80000017u); /* IO_REPARSE_TAG_WOF: a compressed file, no link */
    cr_assert_eq(target(len, &kind), -LINUX_EINVAL);
    len = make_link(PX_REPARSE_TAG_SYMLINK, 1, "a\\b", "");
    put16(10, 200); /* the substitute name past the data */
    cr_assert_eq(target(len, &kind), -LINUX_EINVAL);
    len = make_link(PX_REPARSE_TAG_SYMLINK, 1, "", "");
    cr_assert_eq(target(len, &kind), -LINUX_EINVAL);
    len = make_link(PX_REPARSE_TAG_SYMLINK, 1, "abcdef", "");
    cr_assert_eq(px_reparse_link_target(buf, len, out, 4, &kind), -LINUX_ENAMETOOLONG);
}
