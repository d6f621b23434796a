/* fs/reparse.h: the targets of symlink reparse points. */
#include "core/px.h"
#include "fs/path_norm.h"
#include "fs/reparse.h"

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* n UTF-16LE units at p into out as UTF-8 (an unpaired surrogate as U+FFFD): the
   length, or -1 when it does not fit with its NUL. */
static int64_t utf8_of_utf16le(const uint8_t *p, size_t n, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = le16(p + 2 * i);
        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n && le16(p + 2 * i + 2) >= 0xDC00 && le16(p + 2 * i + 2) <= 0xDFFF)
            c = 0x10000 + ((c - 0xD800) << 10) + (le16(p + 2 * ++i) - 0xDC00u);
        else if (c >= 0xD800 && c <= 0xDFFF)
            c = 0xFFFD;
        uint8_t b[4];
        size_t k;
        if (c < 0x80) b[0] = (uint8_t)c, k = 1;
        else if (c < 0x800) b[0] = (uint8_t)(0xC0 | c >> 6), b[1] = (uint8_t)(0x80 | (c & 0x3F)), k = 2;
        else if (c < 0x10000)
            b[0] = (uint8_t)(0xE0 | c >> 12), b[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F)), b[2] = (uint8_t)(0x80 | (c & 0x3F)), k = 3;
        else
            b[0] = (uint8_t)(0xF0 | c >> 18), b[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F)),
            b[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F)), b[3] = (uint8_t)(0x80 | (c & 0x3F)), k = 4;
        if (o + k >= size) return -1;
        memcpy(out + o, b, k);
        o += k;
    }
    out[o] = 0;
    return (int64_t)o;
}

int64_t px_reparse_link_target(const void *data, size_t len, char *out, size_t size, px_reparse_target_kind *kind)
{
    const uint8_t *d = data;
    if (len < 8 || size == 0) return -LINUX_EINVAL;
    uint32_t tag = le32(d);
    size_t body = le16(d + 4); /* ReparseDataLength: what follows the 8-byte header */
    if (8 + body > len) return -LINUX_EINVAL;
    if (tag == PX_REPARSE_TAG_LX_SYMLINK) {
        /* a version word (2), then the target as it is */
        if (body < 4 || le32(d + 8) != 2) return -LINUX_EINVAL;
        size_t n = body - 4;
        if (n == 0) return -LINUX_EINVAL;
        if (n >= size) return -LINUX_ENAMETOOLONG;
        memcpy(out, d + 12, n);
        out[n] = 0;
        *kind = PX_REPARSE_LINUX;
        return (int64_t)n;
    }
    if (tag != PX_REPARSE_TAG_SYMLINK && tag != PX_REPARSE_TAG_MOUNT_POINT) return -LINUX_EINVAL;
    /* substitute and print names (offsets and lengths in bytes from the path buffer),
       then a flags word for symlinks only */
    size_t head = tag == PX_REPARSE_TAG_SYMLINK ? 12 : 8;
    if (body < head) return -LINUX_EINVAL;
    const uint8_t *names = d + 8;
    size_t sub_off = le16(names), sub_len = le16(names + 2), print_off = le16(names + 4), print_len = le16(names + 6);
    bool relative = tag == PX_REPARSE_TAG_SYMLINK && (le32(names + 8) & 1); /* SYMLINK_FLAG_RELATIVE */
    const uint8_t *buffer = names + head;
    size_t buffer_len = body - head;
    if (sub_off + sub_len > buffer_len || print_off + print_len > buffer_len || (sub_len | sub_off) & 1) return -LINUX_EINVAL;
    const uint8_t *name = buffer + sub_off;
    size_t units = sub_len / 2;
    if (!relative) {
        /* "\??\C:\dir" (NT's name of a DOS path); else the print name, "C:\dir" */
        static const char nt_prefix[4] = {'\\', '?', '?', '\\'};
        bool prefixed = units >= 4;
        for (size_t i = 0; i < 4 && prefixed; i++) prefixed = le16(name + 2 * i) == (uint16_t)nt_prefix[i];
        if (prefixed) {
            name += 8;
            units -= 4;
        } else if (print_len) {
            name = buffer + print_off;
            units = print_len / 2;
        }
    }
    if (units == 0) return -LINUX_EINVAL;
    int64_t n = utf8_of_utf16le(name, units, out, size);
    if (n < 0) return -LINUX_ENAMETOOLONG;
    if (!relative) {
        *kind = PX_REPARSE_WINDOWS;
        return n;
    }
    for (int64_t i = 0; i < n; i++)
        if (out[i] == '\\') out[i] = '/';
    *kind = PX_REPARSE_LINUX;
    return (int64_t)px_drvfs_unescape_utf8(out, (size_t)n);
}
