/* The drvfs metadata store: Linux metadata of Windows files (mode with its type, owner,
   device number, nanosecond times) where the volume has no extended attributes to keep
   WSL's $LXMOD/$LXUID/$LXGID/$LXDEV in (Wine), keyed by the file's identity (volume,
   file index: under Wine the inode), so renames and hard links keep it.

   It is a log as lxfs's (lxstore.h): every change is ONE checksummed record appended with
   one write, in lxstore's framing ([u32 len][u32 crc][u8 type][payload], lx_crc32); the
   state is the replay of them all, a torn tail fails its checksum and is cut off. Pure C
   (no Windows calls): the unit tests run it natively with the log in memory. */
#ifndef PX_FS_DRVFS_META_STORE_H
#define PX_FS_DRVFS_META_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "uthash.h"

#define DM_LOG_MAGIC "PXDRVM2\n"
#define DM_LOG_HEADER 8

/* What an entry holds (the rest is the file's default). */
#define DM_HAVE_MODE 1u    /* mode, with the S_IFMT bits */
#define DM_HAVE_OWNER 2u   /* uid and gid */
#define DM_HAVE_RDEV 4u
#define DM_HAVE_ATIME 8u   /* atime as set, valid while the host's access time is atime_host */
#define DM_HAVE_MTIME 16u  /* the same for the write time */
#define DM_HAVE_MARK 32u   /* the file carries the marker (drvfs_meta.c): the record holds only while it does */
#define DM_HAVE_SNIFF 64u  /* what the file's first bytes said (ELF or #!: DM_SNIFF_PROGRAM), valid
                              while its write time and size are sniff_write_time and sniff_size */
#define DM_SNIFF_PROGRAM 128u
#define DM_HAVE_ALL 255u

typedef struct dm_key { uint64_t dev, ino; } dm_key;

typedef struct dm_meta {
    uint32_t have;
    uint32_t mode, uid, gid;
    uint64_t rdev;
    int64_t atime_sec, mtime_sec;
    uint32_t atime_nsec, mtime_nsec;
    int64_t atime_host, mtime_host; /* the host's 100 ns times they were stored as */
    int64_t sniff_write_time, sniff_size;
} dm_meta;

typedef struct dm_entry {
    UT_hash_handle hh;
    dm_key key;
    dm_meta meta;
} dm_entry;

typedef int64_t (*dm_append_fn)(void *io, const uint8_t *rec, size_t len);

typedef struct dm_store {
    dm_entry *entries;     /* uthash by key */
    uint64_t records;      /* replayed or appended, for compaction decisions */
    uint64_t specials;     /* entries that are FIFOs or device nodes (opens must look) */
    dm_append_fn append;   /* NULL: in memory only */
    void *io;
} dm_store;

void dm_store_init(dm_store *s);
void dm_store_free(dm_store *s);
/* Replays a log image (header included): the length of its valid prefix, -1 if it is no log. */
int64_t dm_store_replay(dm_store *s, const uint8_t *log, size_t len);
/* Applies records (no header) until the end or a bad one; the bytes used. */
size_t dm_store_apply_records(dm_store *s, const uint8_t *buf, size_t len);

const dm_meta *dm_store_get(const dm_store *s, uint64_t dev, uint64_t ino);
/* Puts the whole metadata of a file (one record); have 0 drops it. */
int64_t dm_store_put(dm_store *s, uint64_t dev, uint64_t ino, const dm_meta *m);
int64_t dm_store_drop(dm_store *s, uint64_t dev, uint64_t ino);
/* The live state as records (header included), for compaction. */
int64_t dm_store_snapshot(const dm_store *s, dm_append_fn emit, void *io);

#endif
