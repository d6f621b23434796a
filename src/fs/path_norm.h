/* Guest path arithmetic that needs no Windows: normalisation, name checks, the inverse
   mapping of a host directory. Unit-tested natively (tests/unit/path_test.c). */
#ifndef PX_FS_PATH_NORM_H
#define PX_FS_PATH_NORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PX_PATH_MAX 4096 /* Linux PATH_MAX, the NUL included */
#define PX_NAME_MAX 255  /* Linux NAME_MAX */

/* Joins path to base (an absolute, normalised guest path; ignored when path is absolute)
   and normalises the result into out (out_size >= PX_PATH_MAX): '.', '..' (never above
   '/'), repeated and trailing slashes. The result is "/" or "/a/b" with no trailing slash.
   *must_be_dir (may be NULL) becomes true when the path ends in '/', '.' or '..', which
   Linux only accepts for a directory. Returns the length, or -LINUX_ENOENT for "",
   -LINUX_ENAMETOOLONG for a path of 4096 bytes or more or a component beyond 255.
   The '..' is lexical: "missing/../x" is "/x" here, where Linux would say ENOENT. */
int64_t px_path_normalize(const char *base, const char *path, char *out, size_t out_size, bool *must_be_dir);

/* drvfs names: a character Windows forbids in a name (: * ? " < > | \\ and control
   characters) and a trailing dot or space of a name (which Win32 strips) are stored as
   U+F000 + the character, the convention of WSL's DrvFs and Cygwin, so any Linux name
   can be created in a Windows directory. */
#define PX_DRVFS_ESCAPE_BASE 0xF000
/* A guest name or path of n bytes in UTF-16 (out: room for n + 1 units, NUL-terminated):
   UTF-8 decoded, and each byte that is not part of valid UTF-8 kept as U+F000 + the byte
   (U+F080..U+F0FF), Cygwin's convention, so a name that is not UTF-8 has a Windows form
   and comes back byte for byte (px_drvfs_unescape_utf8). Returns the length. */
size_t px_drvfs_utf16_of_name(const char *s, size_t n, uint16_t *out);
/* In place over a relative guest path in UTF-16: escapes names and turns '/' into '\\'. */
void px_drvfs_escape_utf16(uint16_t *path, size_t n);
/* In place over a name (or '/'-separated path) read from Windows, in UTF-8: escaped
   characters back to what they stand for (also ASCII letters, which drvfs_names.c
   escapes in a name that differs only in case from another). Returns the new length (NUL-terminated when
   shorter). */
size_t px_drvfs_unescape_utf8(char *name, size_t len);

/* The last component of a normalised absolute path ("" for "/"). */
const char *px_path_basename(const char *abs_path);

/* The guest path for a host directory (UTF-8, '\' or '/' separators, an optional \\?\
   prefix) under root (UTF-8, no trailing separator, e.g. "Z:" or "C:\distro"): the root
   is matched case-insensitively (ASCII), as Windows names are. Returns a px_alloc'd
   string such as "/work", or NULL when host_dir is outside root. */
char *px_path_guest_of_host(const char *root, const char *host_dir);

#endif
