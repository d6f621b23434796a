/* The byte source of an import: a file read as it is, or through zlib (gzip) or liblzma
   (xz), chosen by the file's first bytes, not its name. */
#include <stdio.h>
#include "core/errors.h"
#include "core/px.h"
#include "host/host_file.h"
#include "import/import.h"
#include "zlib.h"
#ifdef PX_HAVE_LZMA
#include "lzma.h"
#endif

enum kind { KIND_TAR, KIND_GZIP, KIND_XZ };

struct px_source {
    px_host_handle h;
    enum kind kind;
    bool input_ended, stream_ended;
    uint8_t *in;
    size_t in_len, in_at;
    z_stream z;
#ifdef PX_HAVE_LZMA
    lzma_stream x;
#endif
    char err[96];
};

#define IN_SIZE (256 * 1024)

static bool refill(px_source *s)
{
    if (s->in_at < s->in_len || s->input_ended) return true;
    int64_t got = px_host_file_read(s->h, s->in, IN_SIZE);
    if (got < 0) {
        const char *name = px_errno_name(-got);
        snprintf(s->err, sizeof s->err, "cannot read the file (%s)", name ? name : "error");
        return false;
    }
    s->in_len = (size_t)got;
    s->in_at = 0;
    if (got == 0) s->input_ended = true;
    return true;
}

int64_t px_source_open(const wchar_t *path, px_source **out, const char **why)
{
    px_source *s = px_calloc(1, sizeof *s);
    if (!s || !(s->in = px_alloc(IN_SIZE))) { px_free(s); *why = "out of memory"; return -LINUX_ENOMEM; }
    if (px_host_file_open(path, PX_HOST_FILE_READ, PX_HOST_OPEN_EXISTING, PX_HOST_FILE_SEQUENTIAL, &s->h) < 0) {
        px_free(s->in);
        px_free(s);
        *why = "cannot open it";
        return -LINUX_ENOENT;
    }
    if (!refill(s)) { px_source_close(s); *why = "cannot read it"; return -LINUX_EIO; }
    static const uint8_t xz_magic[6] = {0xfd, '7', 'z', 'X', 'Z', 0};
    if (s->in_len >= 2 && s->in[0] == 0x1f && s->in[1] == 0x8b) {
        s->kind = KIND_GZIP;
        if (inflateInit2(&s->z, 15 + 16) != Z_OK) { px_source_close(s); *why = "zlib failed"; return -LINUX_ENOMEM; }
    } else if (s->in_len >= 6 && !memcmp(s->in, xz_magic, 6)) {
        s->kind = KIND_XZ;
#ifdef PX_HAVE_LZMA
        lzma_stream init = LZMA_STREAM_INIT;
        s->x = init;
        if (lzma_stream_decoder(&s->x, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
            px_source_close(s);
            *why = "liblzma failed";
            return -LINUX_ENOMEM;
        }
#else
        px_source_close(s);
        *why = "it is xz-compressed, and this build of picolx has no xz support";
        return -LINUX_EINVAL;
#endif
    }
    *out = s;
    return 0;
}

static int64_t read_gzip(px_source *s, uint8_t *buf, size_t len)
{
    s->z.next_out = buf;
    s->z.avail_out = (uInt)len;
    while (s->z.avail_out == len) {
        if (s->stream_ended) {
            /* another gzip member may follow (concatenated .gz files) */
            if (!refill(s)) return -1;
            if (s->input_ended) return 0;
            inflateReset(&s->z);
            s->stream_ended = false;
        }
        if (!refill(s)) return -1;
        if (s->input_ended) {
            snprintf(s->err, sizeof s->err, "the gzip stream is truncated");
            return -1;
        }
        s->z.next_in = s->in + s->in_at;
        s->z.avail_in = (uInt)(s->in_len - s->in_at);
        int r = inflate(&s->z, Z_NO_FLUSH);
        s->in_at = s->in_len - s->z.avail_in;
        if (r == Z_STREAM_END) s->stream_ended = true;
        else if (r != Z_OK && r != Z_BUF_ERROR) {
            snprintf(s->err, sizeof s->err, "the gzip stream is corrupt (%s)", s->z.msg ? s->z.msg : "zlib error");
            return -1;
        }
    }
    return (int64_t)(len - s->z.avail_out);
}

#ifdef PX_HAVE_LZMA
/* Why liblzma stopped, in the words a user needs (the numbers alone say nothing). */
static const char *xz_failure(lzma_ret r)
{
    static const struct { lzma_ret ret; const char *text; } reasons[] = {
        {LZMA_DATA_ERROR, "the xz stream is corrupt"},
        {LZMA_FORMAT_ERROR, "the xz stream is corrupt (bad stream header)"},
        {LZMA_OPTIONS_ERROR, "the xz stream uses filters or options this build cannot decode"},
        {LZMA_UNSUPPORTED_CHECK, "the xz stream uses an integrity check this build cannot verify"},
        {LZMA_MEM_ERROR, "out of memory while decompressing the xz stream"},
        {LZMA_MEMLIMIT_ERROR, "out of memory while decompressing the xz stream"},
        {LZMA_BUF_ERROR, "the xz stream is truncated"},
    };
    for (size_t i = 0; i < PX_ARRAY_LEN(reasons); i++)
        if (reasons[i].ret == r) return reasons[i].text;
    return "the xz stream cannot be decoded (liblzma failed)";
}

static int64_t read_xz(px_source *s, uint8_t *buf, size_t len)
{
    s->x.next_out = buf;
    s->x.avail_out = len;
    while (s->x.avail_out == len && !s->stream_ended) {
        if (!refill(s)) return -1;
        s->x.next_in = s->in + s->in_at;
        s->x.avail_in = s->in_len - s->in_at;
        lzma_ret r = lzma_code(&s->x, s->input_ended ? LZMA_FINISH : LZMA_RUN);
        s->in_at = s->in_len - s->x.avail_in;
        if (r == LZMA_STREAM_END) s->stream_ended = true;
        else if (r != LZMA_OK) {
            /* LZMA_BUF_ERROR comes only when no progress is possible: under LZMA_FINISH,
               the input ended inside a stream (or inside trailing garbage, as xz -t says) */
            snprintf(s->err, sizeof s->err, "%s", xz_failure(r));
            return -1;
        }
    }
    return (int64_t)(len - s->x.avail_out);
}
#endif

int64_t px_source_read(void *source, void *buf, size_t len)
{
    px_source *s = source;
    if (len > (1u << 30)) len = 1u << 30;
    switch (s->kind) {
    case KIND_GZIP: return read_gzip(s, buf, len);
#ifdef PX_HAVE_LZMA
    case KIND_XZ: return read_xz(s, buf, len);
#endif
    case KIND_TAR: {
        if (!refill(s)) return -1;
        size_t n = s->in_len - s->in_at;
        if (n > len) n = len;
        memcpy(buf, s->in + s->in_at, n);
        s->in_at += n;
        return (int64_t)n;
    }
    default: return -1;
    }
}

const char *px_source_error(const px_source *s) { return s->err[0] ? s->err : NULL; }

const char *px_source_kind(const px_source *s)
{
    static const char *const names[] = {[KIND_TAR] = "tar", [KIND_GZIP] = "gzip", [KIND_XZ] = "xz"};
    return names[s->kind];
}

void px_source_close(px_source *s)
{
    if (!s) return;
    if (s->kind == KIND_GZIP) inflateEnd(&s->z);
#ifdef PX_HAVE_LZMA
    if (s->kind == KIND_XZ) lzma_end(&s->x);
#endif
    px_host_close(s->h);
    px_free(s->in);
    px_free(s);
}
