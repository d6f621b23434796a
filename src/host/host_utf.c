/* host_utf.h on Win32. */
#include <windows.h>
#include "core/px.h"
#include "host/host_utf.h"

WCHAR NTAPI RtlUpcaseUnicodeChar(WCHAR c);

wchar_t px_host_name_upcase(wchar_t c) { return c < 0x80 ? (c >= L'a' && c <= L'z' ? c - 32 : c) : RtlUpcaseUnicodeChar(c); }

wchar_t *px_host_utf16_of_utf8(const char *s)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    if (n <= 0) return NULL;
    wchar_t *w = px_alloc((size_t)n * sizeof *w);
    if (w) MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
    return w;
}

char *px_host_utf8_of_utf16(const wchar_t *w, int64_t wlen)
{
    int len = wlen < 0 ? -1 : (int)wlen;
    int n = WideCharToMultiByte(CP_UTF8, 0, w, len, NULL, 0, NULL, NULL);
    if (n < 0 || (n == 0 && len != 0)) return NULL;
    char *s = px_alloc((size_t)n + 1);
    if (!s) return NULL;
    WideCharToMultiByte(CP_UTF8, 0, w, len, s, n, NULL, NULL);
    s[n] = 0;
    return s;
}

int64_t px_host_utf8_of_utf16_in(const wchar_t *w, size_t wlen, char *buf, size_t size)
{
    if (size == 0) return -LINUX_ERANGE;
    if (wlen == 0) {
        buf[0] = 0;
        return 0;
    }
    int n = WideCharToMultiByte(CP_UTF8, 0, w, (int)wlen, buf, (int)size - 1, NULL, NULL);
    if (n <= 0) return -LINUX_ERANGE;
    buf[n] = 0;
    return n;
}
