/* STUB: replaced by the file-system layer. */
#include "core/px.h"
#include "fs/fs.h"
int64_t px_fs_init(const char *root, const char *cwd) { return 0; }
int64_t px_fs_host_path(int dirfd, const char *guest_path, wchar_t **out) { return -LINUX_ENOSYS; }
int64_t px_fs_pread(int fd, void *buf, uint64_t len, uint64_t offset) { return -LINUX_ENOSYS; }
char *px_fs_guest_path_of_host(const wchar_t *host_dir) { return NULL; }
