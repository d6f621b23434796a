/* Installed distros: the registry of names (a file per distro under
   %LOCALAPPDATA%\picolx\distros, or %PICOLX_HOME%\distros), and the import of a tarball
   into an lxfs store. */
#ifndef PX_IMPORT_IMPORT_H
#define PX_IMPORT_IMPORT_H

#include <stdint.h>
#include <wchar.h>

/* The store directory of a registered distro (px_alloc'd UTF-16), or NULL: not registered. */
wchar_t *px_distro_store_dir(const char *name);

/* A decompressing byte source over a Windows file: .tar, .tar.gz or .tar.xz, told apart
   by their first bytes (decompress.c). */
typedef struct px_source px_source;
int64_t px_source_open(const wchar_t *path, px_source **out, const char **why);
/* Reads decompressed bytes: the count, 0 at the end, -1 on corrupt or truncated input
   (px_source_error says why). */
int64_t px_source_read(void *source, void *buf, size_t len);
const char *px_source_error(const px_source *s);
const char *px_source_kind(const px_source *s); /* "tar", "gzip", "xz" */
void px_source_close(px_source *s);

#endif
