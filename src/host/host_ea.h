/* WSL DrvFs's Linux metadata in NTFS extended attributes, as WSL writes them with its
   `metadata` mount option: $LXUID, $LXGID, $LXMOD (little-endian u32 each) and $LXDEV
   (the device's major and minor, two u32). A tree written by WSL and one written by
   picolx read the same. Volumes without EAs (Wine: its NtSetEaFile is a stub that says
   "access denied" and its volumes do not claim EA support) keep them elsewhere
   (fs/drvfs_meta.c). */
#ifndef PX_HOST_EA_H
#define PX_HOST_EA_H

#include <stdbool.h>
#include <stdint.h>
#include "host/host.h"

#define PX_HOST_ACCESS_READ_EA 0x8u
#define PX_HOST_ACCESS_WRITE_EA 0x10u

#define PX_HOST_LX_UID 1u
#define PX_HOST_LX_GID 2u
#define PX_HOST_LX_MODE 4u
#define PX_HOST_LX_DEV 8u
typedef struct px_host_lx_ea {
    uint32_t have; /* PX_HOST_LX_*: which were there (get) or are to be written (set) */
    uint32_t uid, gid, mode, dev_major, dev_minor;
} px_host_lx_ea;

/* Does the volume of the open file keep extended attributes? */
bool px_host_volume_has_eas(px_host_handle h);
/* The $LX* attributes of an open file (a handle with PX_HOST_ACCESS_READ_EA); have 0 when
   it has none. 0 or -LINUX_Exxx. */
int64_t px_host_lx_ea_get(px_host_handle h, px_host_lx_ea *out);
/* Writes the ones in in->have (a handle with PX_HOST_ACCESS_WRITE_EA). 0 or -LINUX_Exxx. */
int64_t px_host_lx_ea_set(px_host_handle h, const px_host_lx_ea *in);

#endif
