/* Windows reparse points that are symlinks to Linux (no Windows calls: unit-tested
   natively, tests/unit/reparse_test.c). The data is what FSCTL_GET_REPARSE_POINT gives:
   a REPARSE_DATA_BUFFER, its layout documented by Microsoft ([MS-FSCC] 2.1.2). */
#ifndef PX_FS_REPARSE_H
#define PX_FS_REPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PX_REPARSE_TAG_MOUNT_POINT 0xA0000003u /* a junction (or a volume mount point) */
#define PX_REPARSE_TAG_SYMLINK 0xA000000Cu     /* an NTFS symlink (mklink, CreateSymbolicLink) */
#define PX_REPARSE_TAG_LX_SYMLINK 0xA000001Du  /* a symlink WSL made: its Linux target in UTF-8 */

typedef enum px_reparse_target_kind {
    PX_REPARSE_LINUX,    /* a Linux path: relative, or WSL's own (absolute in the guest) */
    PX_REPARSE_WINDOWS,  /* an absolute Windows path, "C:\dir" or "UNC\server\share\dir" */
} px_reparse_target_kind;

/* The target of the reparse data (len bytes) in UTF-8 into out (size bytes, NUL-
   terminated): its length, or -LINUX_EINVAL when the data is no symlink or junction or
   is cut short, -LINUX_ENAMETOOLONG when it does not fit. A relative NTFS target comes
   with '/' for '\' and drvfs's escapes undone; an absolute one (kind WINDOWS) without
   its "\??\" prefix, for the caller to map to a guest path. */
int64_t px_reparse_link_target(const void *data, size_t len, char *out, size_t size, px_reparse_target_kind *kind);

#endif
