/* The lxfs metadata store: the Linux view of an installed distro (inodes with full Linux
   metadata, directory entries with any Linux name, symlink targets), kept in memory and
   made durable by an append-only log of checksummed records.

   On disk (a Windows directory, see lxfs_disk.c):
     lxfs.log        the log: a header, then records; the state is the replay of them all
     data\<ino>      the contents of each regular file, named by its inode number in hex,
                     so no Linux name ever reaches Windows (":", "CON", "x.", "Case"/"case")
   Every metadata change is ONE record, appended with one write: a crash (the process
   killed in a chmod, rename or unlink) leaves either the record whole or a torn tail,
   which fails its checksum and is cut off at the next mount. Data files of inodes no
   record keeps alive (created before their record, or unlinked after it) are deleted at
   mount. Compaction writes the live state to lxfs.log.new and renames it over the log
   (MoveFileEx REPLACE_EXISTING): atomic as well.

   This file is pure C (no Windows calls): the unit tests run it natively with the log in
   memory. */
#ifndef PX_FS_LXSTORE_H
#define PX_FS_LXSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "uthash.h"

#define LX_ROOT_INO 1u
#define LX_NAME_MAX 255
#define LX_SYMLINK_MAX 4095
#define LX_LOG_MAGIC "PXLXFS1\n" /* the log's first 8 bytes */
#define LX_LOG_HEADER 8

typedef struct lx_time { int64_t sec; uint32_t nsec; } lx_time;

typedef struct lx_dirent lx_dirent;

/* An extended attribute of an inode (any namespace: the store keeps names and values,
   the VFS handlers decide who may see or change which). */
#define LX_XATTR_NAME_MAX 255
#define LX_XATTR_SIZE_MAX 65536
typedef struct lx_xattr {
    struct lx_xattr *next;   /* the inode's list, by name descending (as tmpfs lists them) */
    uint32_t size;           /* of the value */
    uint16_t name_len;
    char data[];             /* the name, a NUL, then the value */
} lx_xattr;
#define LX_XATTR_NAME(x) ((x)->data)
#define LX_XATTR_VALUE(x) ((const uint8_t *)(x)->data + (x)->name_len + 1)

typedef struct lx_inode {
    UT_hash_handle hh;       /* by ino */
    uint64_t ino;
    uint32_t mode, uid, gid; /* mode with the S_IFMT bits */
    uint64_t rdev;
    lx_time atime, mtime, ctime;
    uint64_t size_hint;      /* the size when recorded (data files have the real one) */
    char *target;            /* a symlink's target, NUL-terminated */
    uint32_t nlink;          /* counted from the entries (dirs: 2 + subdirectories) */
    uint64_t parent;         /* directories: the inode of ".." */
    /* directories: entries in insertion order; a cookie is an entry's readdir offset */
    lx_dirent *first, *last;
    uint64_t next_cookie;
    uint64_t entries;
    lx_xattr *xattrs;        /* extended attributes, by name descending */
} lx_inode;

struct lx_dirent {
    UT_hash_handle hh;       /* by key: parent ino (8 bytes) + name */
    lx_dirent *next, *prev;  /* in the directory's order */
    uint64_t parent, child, cookie;
    uint16_t name_len;
    char key[];              /* 8 bytes of parent, then the name, then a NUL */
};
#define LX_DIRENT_NAME(d) ((d)->key + 8)

/* Appends an encoded record to the durable log; 0 or -LINUX_Exxx. */
typedef int64_t (*lx_append_fn)(void *io, const uint8_t *rec, size_t len);

typedef struct lx_store {
    lx_inode *inodes;        /* uthash by ino */
    lx_dirent *dirents;      /* uthash by key */
    uint64_t max_ino;
    uint64_t records;        /* replayed or appended, for compaction decisions */
    uint64_t xattrs;         /* extended attributes alive (each is a record of a snapshot) */
    lx_append_fn append;     /* NULL: changes stay in memory (import builds in memory) */
    void *io;
    /* called when an inode goes (its last entry removed): the disk layer deletes its data */
    void (*dropped)(void *io, uint64_t ino, uint32_t mode);
} lx_store;

/* Record types */
enum {
    LX_REC_INODE = 1,   /* put an inode (create or replace), optionally linked into a directory */
    LX_REC_LINK = 2,    /* a new entry for an existing inode (hard link) */
    LX_REC_UNLINK = 3,  /* remove an entry; the inode goes when its last entry does */
    LX_REC_RENAME = 4,  /* move an entry, replacing the target or exchanging with it */
    LX_REC_XATTR = 5,   /* set or remove one extended attribute of an inode (and its ctime) */
};

/* The metadata of a new or changed inode. */
typedef struct lx_attr {
    uint32_t mode, uid, gid;
    uint64_t rdev;
    lx_time atime, mtime, ctime;
    uint64_t size_hint;
    const char *target;      /* symlinks */
} lx_attr;

void lx_store_init(lx_store *s);
void lx_store_free(lx_store *s);
/* Creates the root directory (a fresh store). */
int64_t lx_store_make_root(lx_store *s, const lx_attr *attr);

/* Replays a log image (header included). Returns the length of its valid prefix: the
   records after it (a torn or corrupt tail) are not applied. -1: not a log at all. */
int64_t lx_store_replay(lx_store *s, const uint8_t *log, size_t len);
/* Applies records from buf (no header) until the end or a bad record; returns the bytes used. */
size_t lx_store_apply_records(lx_store *s, const uint8_t *buf, size_t len);

/* Lookups */
lx_inode *lx_inode_get(const lx_store *s, uint64_t ino);
lx_dirent *lx_dir_lookup(const lx_store *s, uint64_t dir, const char *name, size_t name_len);
/* Walks "a/b/c" from the root without following symlinks (the VFS resolved those in the
   leading components). -LINUX_ENOENT, -LINUX_ENOTDIR; *parent_out gets the directory that
   holds (or would hold) the last component, *last and *last_len its name. */
int64_t lx_walk(const lx_store *s, const char *rel, lx_inode **out, lx_inode **parent_out,
                const char **last, size_t *last_len);

/* Changes: each is one record, appended, then applied. -LINUX_Exxx on failure. */
int64_t lx_store_create(lx_store *s, uint64_t dir, const char *name, size_t name_len,
                        const lx_attr *attr, uint64_t *ino_out);
int64_t lx_store_setattr(lx_store *s, uint64_t ino, const lx_attr *attr);
int64_t lx_store_link(lx_store *s, uint64_t ino, uint64_t dir, const char *name, size_t name_len);
int64_t lx_store_unlink(lx_store *s, uint64_t dir, const char *name, size_t name_len);
#define LX_RENAME_NOREPLACE 1u
#define LX_RENAME_EXCHANGE 2u
int64_t lx_store_rename(lx_store *s, uint64_t from_dir, const char *from, size_t from_len,
                        uint64_t to_dir, const char *to, size_t to_len, uint32_t flags);

/* Extended attributes. flags: LX_XATTR_CREATE (EEXIST if it exists), LX_XATTR_REPLACE
   (ENODATA if it does not), as setxattr(2). ctime: the inode's new change time. Names
   1..255 bytes without NUL (ERANGE), values up to 64 KiB (E2BIG). */
#define LX_XATTR_CREATE 1u
#define LX_XATTR_REPLACE 2u
int64_t lx_store_setxattr(lx_store *s, uint64_t ino, const char *name, const void *value, size_t size,
                          uint32_t flags, lx_time ctime);
/* -LINUX_ENODATA when absent */
int64_t lx_store_removexattr(lx_store *s, uint64_t ino, const char *name, lx_time ctime);
/* The value's size; copied into value when size > 0 (-LINUX_ERANGE: too small). */
int64_t lx_store_getxattr(const lx_store *s, uint64_t ino, const char *name, void *value, size_t size);
/* The names, each NUL-terminated, in order; the bytes needed when size is 0
   (-LINUX_ERANGE: too small). */
int64_t lx_store_listxattr(const lx_store *s, uint64_t ino, char *list, size_t size);
lx_xattr *lx_xattr_find(const lx_inode *i, const char *name, size_t name_len);

/* The attributes of an inode as an lx_attr (target points into the inode). */
lx_attr lx_attr_of(const lx_inode *ino);
/* Writes the live state as records (header included) through emit; for compaction. */
int64_t lx_store_snapshot(const lx_store *s, lx_append_fn emit, void *io);
/* Checks the invariants (every entry's child exists, link counts agree, ".." right).
   0 or a negative count of the problems found; describe (may be NULL) gets each one. */
int64_t lx_store_check(const lx_store *s, void (*describe)(void *ctx, const char *what), void *ctx);

uint32_t lx_crc32(const uint8_t *p, size_t n);
/* The record framing of the stores' logs (this one's, drvfs_meta_store.c's): a 4-byte
   body length, the body's CRC-32 (lx_crc32), both little-endian, then the body. The
   body length of the whole record at buf[at..len), or 0 when there is none (the end, or
   a torn or corrupt record, where a replay stops): longer than max_body is corrupt. */
#define LX_REC_HEAD 8
uint32_t lx_log_record_at(const uint8_t *buf, size_t at, size_t len, uint32_t max_body);

#endif
