/* The lxfs file-system type: an installed distro's store (lxstore.h, lxfs_disk.h). */
#ifndef PX_FS_LXFS_H
#define PX_FS_LXFS_H

#include <stdint.h>
#include "fs/vfs.h"

extern const px_fs_type px_lxfs_type;
/* An instance for px_vfs_mount: opens the store in store_dir (a Windows directory, UTF-8). */
int64_t px_lxfs_new(const char *store_dir, void **data);
/* Mounts the store in store_dir at "/" (what PxRun -d NAME does before the pseudo file
   systems are mounted over it). 0 or -LINUX_Exxx. */
int64_t px_lxfs_mount_root(const char *store_dir);

#endif
