/* A streaming tar reader: POSIX ustar, GNU long names and links ('L', 'K'), pax extended
   headers ('x', 'g'), base-256 numbers. Pure C: the unit tests run it natively. */
#ifndef PX_IMPORT_TAR_H
#define PX_IMPORT_TAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reads up to len bytes; returns how many (0 at the end) or < 0 on an error. */
typedef int64_t (*px_tar_read_fn)(void *ctx, void *buf, size_t len);

typedef struct px_tar_time { int64_t sec; uint32_t nsec; } px_tar_time;

/* An extended attribute a pax header carried (SCHILY.xattr.NAME=raw value, or
   LIBARCHIVE.xattr.NAME-url-encoded=base64 value). */
typedef struct px_tar_xattr {
    char *name;
    uint8_t *value;
    size_t size;
} px_tar_xattr;

typedef struct px_tar_entry {
    char *path;               /* normalised: no leading "/" or "./", no trailing "/"; "" = the root */
    char *linkpath;           /* symlink target (as it is) or hard link target (normalised) */
    char type;                /* '0' file, '1' hard link, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo */
    uint32_t mode;            /* permission bits with setuid/setgid/sticky (07777) */
    uint32_t uid, gid;
    uint32_t devmajor, devminor;
    uint64_t size;            /* bytes of data that follow (regular files) */
    px_tar_time mtime, atime, ctime;
    bool has_atime, has_ctime;
    px_tar_xattr *xattrs;     /* one per name (a later record of a name wins) */
    size_t nxattrs;
} px_tar_entry;

typedef struct px_tar {
    px_tar_read_fn read;
    void *ctx;
    uint64_t data_left;       /* of the current entry */
    uint64_t pad_left;        /* zero bytes to the next 512 boundary */
    uint64_t offset;          /* bytes consumed, for messages */
    px_tar_entry entry;
    void *pax_global;         /* values of pax 'g' headers, for every later entry */
    char err[160];            /* the reason when px_tar_next returns -1 */
} px_tar;

void px_tar_init(px_tar *t, px_tar_read_fn read, void *ctx);
void px_tar_free(px_tar *t);
/* The next entry (t->entry, valid until the next call): 1, 0 at the end of the archive,
   -1 on a corrupt or truncated archive (t->err says why). The data of the previous entry
   is skipped if it was not read. */
int px_tar_next(px_tar *t);
/* Reads the current entry's data: the count, 0 at its end, -1 on a truncated archive. */
int64_t px_tar_read_data(px_tar *t, void *buf, size_t len);

/* Parsing helpers, exposed for the unit tests. */
bool px_tar_number(const uint8_t *field, size_t len, uint64_t *out);
bool px_tar_checksum_ok(const uint8_t block[512]);
/* Normalises a member name in place: strips "/" and "./" prefixes, "//", "/./" and a
   trailing "/"; false when a ".." component would climb out. */
bool px_tar_normalise(char *path);

#endif
