/* Host files by handle, with every option the file backends need (drvfs, lxfs, stat,
   the listings): opens with the host's access, sharing and disposition, reads and writes
   at offsets, file information (ids, link count, times, attributes, size) and its
   changes, POSIX deletion, hard links, disk space, directory listings, locks. host_file.h has the simple by-path half. The values of the bits below
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
/* Right after a host file call failed with -LINUX_ENOENT (before any other host call):
   whether the host said "path not found" (a directory on the way is missing, or is a
   file: Linux tells ENOENT from ENOTDIR there, the host does not) rather than "file not
   found". */
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

/* Reads and writes at an explicit offset, for synchronous handles, straight to NT with no
   APC context: ReadFile/WriteFile with an OVERLAPPED pass one, and Wine then asks
   wineserver for the handle's completion port on every call (a round trip). They still
   move a synchronous handle's file pointer. n: at most 0x7ffff000 bytes go in one call.
   pread: the count (0 at the end), pwrite: the count written; or -LINUX_Exxx. */
int64_t px_host_file_pread(px_host_handle h, void *buf, size_t n, uint64_t offset);
#define PX_HOST_OFFSET_END UINT64_MAX /* pwrite: at the end of the file, whatever its size */
int64_t px_host_file_pwrite(px_host_handle h, const void *buf, size_t n, uint64_t offset);

/* Byte-range locks of the host (mandatory ones: other handles cannot write or read a
   locked range). wait: block until it is free; else -LINUX_EAGAIN at once. */
int64_t px_host_file_lock(px_host_handle h, uint64_t offset, uint64_t len, bool exclusive, bool wait);
int64_t px_host_file_unlock(px_host_handle h, uint64_t offset, uint64_t len);

/* What the host keeps of a file: times in 100 ns units since 1601, sizes in bytes,
   PX_HOST_ATTR_* attributes. */
typedef struct px_host_file_attrs {
    int64_t creation_time, access_time, write_time, change_time; /* change: 0 when unknown */
    int64_t allocation_size, size;
    uint32_t attributes;
} px_host_file_attrs;
/* By name, the Win32 way (no change time, no allocation size: 0). 0 or -LINUX_Exxx. */
int64_t px_host_path_info(const wchar_t *path, px_host_file_attrs *out);

/* The space of the volume that holds dir (a directory): what the caller may use, the
   size, what is free. 0 or -LINUX_Exxx. */
int64_t px_host_disk_space(const wchar_t *dir, uint64_t *available, uint64_t *total, uint64_t *free_bytes);

/* By name without a handle, through NT (NtQueryFullAttributesFile: no open, no wineserver
   round trip under Wine), for \\?\ paths. 0 or -LINUX_Exxx; *path_not_found (when not
   NULL) says whether a failure was the host's "path not found" (see
   px_host_path_not_found). */
int64_t px_host_path_query(const wchar_t *path, px_host_file_attrs *out, bool *path_not_found);

/* What an open file is: its attributes and times (also on a handle without
   FILE_READ_ATTRIBUTES access, which Wine refuses a by-handle network query), sizes, link
   count and index. 0 or -LINUX_Exxx. */
typedef struct px_host_file_facts {
    px_host_file_attrs attrs;
    uint64_t index;   /* as px_host_file_index */
    uint32_t links;
} px_host_file_facts;
int64_t px_host_file_info(px_host_handle h, px_host_file_facts *out);
/* Only the attributes of an open file (PX_HOST_ATTR_*). */
int64_t px_host_file_attributes(px_host_handle h, uint32_t *attrs);
/* The serial number of the volume the file is on. */
int64_t px_host_file_volume(px_host_handle h, uint32_t *serial);
/* Sets the times (100 ns units since 1601) and attributes of an open file; a 0 leaves
   that one as it is. 0 or -LINUX_Exxx. */
int64_t px_host_file_set_basic(px_host_handle h, int64_t creation_time, int64_t access_time, int64_t write_time,
                               int64_t change_time, uint32_t attributes);

/* A new handle of the same file with other rights, sharing and options. */
int64_t px_host_file_reopen(px_host_handle h, uint32_t access, uint32_t share, uint32_t options, px_host_handle *out);

/* One read or write at the handle's own file pointer (shared with other processes
   that have the handle), up to 0x7ffff000 bytes: the count (read: 0 at the end), or
   -LINUX_Exxx. */
int64_t px_host_file_read_here(px_host_handle h, void *buf, size_t n);
int64_t px_host_file_write_here(px_host_handle h, const void *buf, size_t n);
/* Moves the handle's file pointer: whence PX_HOST_SEEK_*; *pos (when not NULL) gets the
   new position. 0 or -LINUX_Exxx. */
enum { PX_HOST_SEEK_SET, PX_HOST_SEEK_CUR, PX_HOST_SEEK_END };
int64_t px_host_file_seek(px_host_handle h, int64_t offset, int whence, uint64_t *pos);

/* Deleting through a handle opened with PX_HOST_ACCESS_DELETE. _posix: POSIX semantics
   (the name goes at once, open handles keep working; Windows 10 1607+, not Wine), the
   read-only attribute ignored: 0, -LINUX_ENOTEMPTY, or -LINUX_Exxx when the host has no
   such deletion or refuses it. _handle: that, else the classic deletion at the last
   close (a read-only file made writable first, as Linux deletes those). */
int64_t px_host_file_delete_posix(px_host_handle h);
int64_t px_host_file_delete_handle(px_host_handle h);

/* A hard link new_path to the file existing_path. 0 or -LINUX_Exxx (see
   px_host_path_not_found). */
int64_t px_host_link_create(const wchar_t *new_path, const wchar_t *existing_path);

/* The path of an open file as the host has it on its volume ("\\dir\\File.txt", no
   drive), with the case of the names on disk: buf gets it NUL-terminated, *len its length.
   0 or -LINUX_Exxx (-LINUX_ENAMETOOLONG when cap is too small). */
int64_t px_host_file_name(px_host_handle h, wchar_t *buf, size_t cap, size_t *len);

/* The reparse data of h (opened with PX_HOST_OPEN_NO_REPARSE), FSCTL_GET_REPARSE_POINT's
   REPARSE_DATA_BUFFER, into buf (cap bytes; 16 KiB holds any): its size, or -LINUX_Exxx
   (-LINUX_EINVAL when h is no reparse point or the host cannot say: Wine 8). */
int64_t px_host_file_reparse_data(px_host_handle h, void *buf, size_t cap);

/* The host's short (8.3) name of the entry of dir named exactly long_name, among those
   that match mask (wildcards '?' and '*'); its long name when it has no short one. Under
   Wine, a Linux name that no Windows name can spell (with '?', '*', '\\', a trailing dot
   or space) is listed as it is and opens only by the short name Wine makes for it.
   0 and out (NUL-terminated, cap units), or -LINUX_ENOENT. */
int64_t px_host_dir_short_name(const wchar_t *dir, const wchar_t *mask, const wchar_t *long_name, wchar_t *out,
                               size_t cap);

/* Makes a directory case-sensitive, as WSL makes the ones it creates (Windows 10 1803+,
   NTFS). 0, or -LINUX_Exxx where the host has no such thing (Wine 8: every call after
   the first refusal answers -LINUX_EOPNOTSUPP at once). */
int64_t px_host_dir_set_case_sensitive(const wchar_t *path);

#endif
