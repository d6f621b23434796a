/* UTF-8 (the guest's and picolx's strings) <-> the host's wide strings (UTF-16). */
#ifndef PX_HOST_UTF_H
#define PX_HOST_UTF_H

#include "host/host.h"

/* px_alloc'd results; NULL on invalid UTF-8 or no memory. */
wchar_t *px_host_utf16_of_utf8(const char *s);
/* wlen < 0: NUL-terminated. Unpaired surrogates become U+FFFD. */
char *px_host_utf8_of_utf16(const wchar_t *w, int64_t wlen);
/* wlen characters of w into buf (size bytes, NUL-terminated): the length, or
   -LINUX_ERANGE when they do not fit. */
int64_t px_host_utf8_of_utf16_in(const wchar_t *w, size_t wlen, char *buf, size_t size);

/* c as the host's case-insensitive name lookups see it (NTFS's and Wine's upcase
   table, RtlUpcaseUnicodeChar): two names are one to the host when these agree. */
wchar_t px_host_name_upcase(wchar_t c);

#endif
