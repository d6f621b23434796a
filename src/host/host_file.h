/* Host files by host path: what the loader, the importer, the stat memo and drvfs's link
   files need. The file backends' calls by handle (drvfs, lxfs, stat) are in
   host_fileinfo.h. */
#ifndef PX_HOST_FILE_H
#define PX_HOST_FILE_H

#include "host/host.h"

/* access */
#define PX_HOST_FILE_READ 1u
#define PX_HOST_FILE_WRITE 2u
/* how */
enum px_host_open {
    PX_HOST_OPEN_EXISTING,  /* ENOENT if it is not there */
    PX_HOST_CREATE_NEW,     /* EEXIST if it is */
    PX_HOST_CREATE_ALWAYS,  /* made empty */
    PX_HOST_OPEN_ALWAYS,    /* made if it is not there */
};
/* options */
#define PX_HOST_FILE_EXCLUSIVE 1u    /* no other open may share it (default: all may) */
#define PX_HOST_FILE_SYSTEM 2u       /* created with the system attribute */
#define PX_HOST_FILE_NO_REPARSE 4u   /* open a reparse point itself, not what it points at */
#define PX_HOST_FILE_SEQUENTIAL 8u   /* read from start to end: the cache reads ahead */

/* File attributes, as the host's by-name queries report them (the NT FILE_ATTRIBUTE_*
   bits: src/fs's px_nt_attrs.attributes holds the same). */
#define PX_HOST_ATTR_READONLY 0x1u
#define PX_HOST_ATTR_HIDDEN 0x2u
#define PX_HOST_ATTR_SYSTEM 0x4u
#define PX_HOST_ATTR_DIRECTORY 0x10u
#define PX_HOST_ATTR_NORMAL 0x80u
#define PX_HOST_ATTR_REPARSE_POINT 0x400u

int64_t px_host_file_open(const wchar_t *path, uint32_t access, enum px_host_open how, uint32_t options,
                          px_host_handle *out);
/* Up to n bytes at the file position: the count (0 at the end), or -LINUX_Exxx. */
int64_t px_host_file_read(px_host_handle h, void *buf, size_t n);
/* All n bytes at the file position: n, or -LINUX_Exxx. */
int64_t px_host_file_write(px_host_handle h, const void *buf, size_t n);
int64_t px_host_file_size(px_host_handle h, uint64_t *size);
int64_t px_host_file_set_size(px_host_handle h, uint64_t size);
int64_t px_host_file_flush(px_host_handle h);
/* Change notifications of a directory's own entries (FindFirstChangeNotification): a
   handle that turns signalled on a change of the kinds asked for, re-armed by
   px_host_dir_watch_again, ended by px_host_dir_watch_end. NULL when refused. */
#define PX_HOST_WATCH_NAMES 0x1u      /* an entry created, deleted or renamed */
#define PX_HOST_WATCH_ATTRIBUTES 0x2u
#define PX_HOST_WATCH_WRITE 0x4u      /* contents: the size or last-write time */
#define PX_HOST_WATCH_ACCESS 0x8u
px_host_handle px_host_dir_watch(const wchar_t *dir, uint32_t what);
int64_t px_host_dir_watch_again(px_host_handle w);
void px_host_dir_watch_end(px_host_handle w);

int64_t px_host_path_attributes(const wchar_t *path, uint32_t *attrs);
int64_t px_host_path_set_attributes(const wchar_t *path, uint32_t attrs);
int64_t px_host_file_delete(const wchar_t *path);
int64_t px_host_dir_create(const wchar_t *path); /* -LINUX_EEXIST when it is there */
int64_t px_host_dir_remove(const wchar_t *path);
#define PX_HOST_MOVE_REPLACE 1u        /* over an existing file */
#define PX_HOST_MOVE_WRITE_THROUGH 2u  /* on disk before it returns */
int64_t px_host_path_move(const wchar_t *from, const wchar_t *to, uint32_t flags);
/* Calls fn for each entry of dir whose name matches pattern ("*", "*.txt"), "." and ".."
   left out, until fn returns false. 0 (also for no match), or -LINUX_Exxx. */
int64_t px_host_dir_list(const wchar_t *dir, const wchar_t *pattern,
                         bool (*fn)(void *ctx, const wchar_t *name, uint32_t attrs), void *ctx);
/* path made absolute against the host's current directory (px_alloc'd), or NULL. */
wchar_t *px_host_full_path(const wchar_t *path);

/* What a handle is, by the host's file type (the std handles' fds: fs/fd.c). A
   console is a character device (px_host_console_is tells it apart). */
enum px_host_handle_kind {
    PX_HOST_KIND_OTHER,  /* unknown, or the host cannot tell */
    PX_HOST_KIND_DISK,   /* a file or directory */
    PX_HOST_KIND_CHAR,   /* a character device: NUL, a console, a serial port */
    PX_HOST_KIND_PIPE,   /* a pipe or a socket */
};
enum px_host_handle_kind px_host_handle_kind(px_host_handle h);

/* The file's identity: the volume's serial number and the file's index on it (two
   handles of one file give the same pair). 0 or -LINUX_Exxx. */
int64_t px_host_file_ids(px_host_handle h, uint32_t *volume_serial, uint64_t *file_id);

/* An append-only file (the trace), shared for reading and writing with other processes
   that append to it: emptied first unless keep. 0 and *out, or -LINUX_Exxx. */
int64_t px_host_file_open_append(const wchar_t *path, bool keep, px_host_handle *out);

#endif
