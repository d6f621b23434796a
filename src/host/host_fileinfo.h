/* Host files by handle, with every option the file backends need (drvfs, lxfs, stat,
   the listings): opens with the host's access, sharing and disposition, reads and writes
   at offsets, file information (ids, link count, times, attributes, size) and its
   changes, POSIX deletion, renames by handle, hard links, disk space, directory
   listings, locks. host_file.h has the simple by-path half. The values of the bits below
   are the host's own (NT's), so that they pass through unchanged. */
#ifndef PX_HOST_FILEINFO_H
#define PX_HOST_FILEINFO_H

#include "host/host_file.h"

/* Access rights of an open (NT's access mask). */
#define PX_HOST_ACCESS_READ_DATA 0x1u           /* also: list a directory */
#define PX_HOST_ACCESS_WRITE_DATA 0x2u
#define PX_HOST_ACCESS_APPEND_DATA 0x4u
#define PX_HOST_ACCESS_READ_ATTRIBUTES 0x80u
#define PX_HOST_ACCESS_WRITE_ATTRIBUTES 0x100u
#define PX_HOST_ACCESS_DELETE 0x10000u
#define PX_HOST_ACCESS_SYNCHRONIZE 0x100000u
#define PX_HOST_ACCESS_WRITE 0x40000000u        /* all of writing (GENERIC_WRITE) */
#define PX_HOST_ACCESS_READ 0x80000000u         /* all of reading (GENERIC_READ) */
/* What other opens of the same file may do meanwhile. */
#define PX_HOST_SHARE_READ 0x1u
#define PX_HOST_SHARE_WRITE 0x2u
#define PX_HOST_SHARE_DELETE 0x4u
#define PX_HOST_SHARE_ALL (PX_HOST_SHARE_READ | PX_HOST_SHARE_WRITE | PX_HOST_SHARE_DELETE)
/* What to do when the name is, or is not, there. */
enum px_host_disposition {
    PX_HOST_DISP_CREATE_NEW = 1,        /* EEXIST if it is there */
    PX_HOST_DISP_CREATE_ALWAYS = 2,     /* made empty */
    PX_HOST_DISP_OPEN_EXISTING = 3,     /* ENOENT if it is not there */
    PX_HOST_DISP_OPEN_ALWAYS = 4,       /* made if it is not there */
    PX_HOST_DISP_TRUNCATE_EXISTING = 5, /* made empty; ENOENT if it is not there */
};
/* Options of an open. */
#define PX_HOST_OPEN_NORMAL 0x80u              /* a new file's plain attributes */
#define PX_HOST_OPEN_NO_REPARSE 0x00200000u    /* the reparse point itself */
#define PX_HOST_OPEN_DIRECTORIES 0x02000000u   /* directories too (backup semantics) */

/* Opens path with these rights, sharing, disposition and options. 0 and *out, or
   -LINUX_Exxx (for a lookup that failed: see px_host_path_not_found). */
int64_t px_host_file_open_ex(const wchar_t *path, uint32_t access, uint32_t share, enum px_host_disposition how,
                             uint32_t options, px_host_handle *out);
/* After a host file call failed with -LINUX_ENOENT: whether the host said "path not
   found" (a directory on the way is missing, or is a file: Linux tells ENOENT from
   ENOTDIR there, the host does not) rather than "file not found". */
bool px_host_path_not_found(void);

/* The file's index on its volume (under Wine: the Linux inode number). 0 or -LINUX_Exxx. */
int64_t px_host_file_index(px_host_handle h, uint64_t *index);

/* Directory listings through an open directory handle, in batches: px_host_dir_read
   fills buf (size bytes, 8-aligned) with the next entries (restart: from the first),
   and px_host_dir_entry_at reads the entry at an offset in it. The host's own "." and
   ".." are among them. */
typedef struct px_host_dir_entry {
    const wchar_t *name;   /* in the batch; not NUL-terminated */
    size_t name_len;       /* in wide characters */
    uint32_t attributes;   /* PX_HOST_ATTR_* */
    uint64_t file_id;      /* as px_host_file_index */
    size_t next;           /* the next entry's offset in the batch, or SIZE_MAX after the last */
} px_host_dir_entry;
/* 1 (entries at offset 0), 0 when there are no more, -LINUX_ENOENT when the listing has
   none at all (the host's "file not found"), or another -LINUX_Exxx. */
int64_t px_host_dir_read(px_host_handle dir, bool restart, void *buf, size_t size);
void px_host_dir_entry_at(const void *buf, size_t offset, px_host_dir_entry *out);

#endif
