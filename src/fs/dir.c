/* getdents64 over NT directory listings (FileIdBothDirectoryInfo: FileId is d_ino).
   "." and ".." always come first; d_off is the index of the next entry, so the directory
   position is an entry count: lseek(fd, 0, SEEK_SET) rewinds, other d_off values re-list
   and skip. Records are packed 8-byte aligned as the kernel packs them. */
#include "core/errors.h"
#include "fs/vfs.h"
#include "host/host_fileinfo.h"
#include "host/host_utf.h"

#define LISTING_BUFFER_SIZE 65536

typedef struct dir_state {
    uint8_t *buf;           /* the last batch from NT */
    size_t next;            /* offset of the next record in buf, or SIZE_MAX when buf is used up */
    bool restart;           /* the next batch starts the listing again */
    bool exhausted;         /* NT said there is nothing more */
    bool have_dot_inos;
    uint64_t nt_index;      /* entries taken from NT so far (".", ".." of NT excluded) */
    uint64_t self_ino, parent_ino;
} dir_state;

typedef struct dir_entry {
    char name[PX_NAME_MAX * 3 + 1]; /* UTF-16 -> UTF-8 may grow a name up to 3x */
    size_t name_len;
    uint64_t ino;
    uint8_t type;
} dir_entry;

static dir_state *listing_of(px_file *f)
{
    if (!f->listing) {
        dir_state *ds = px_calloc(1, sizeof *ds);
        if (!ds) return NULL;
        ds->buf = px_alloc(LISTING_BUFFER_SIZE);
        if (!ds->buf) {
            px_free(ds);
            return NULL;
        }
        ds->next = SIZE_MAX;
        ds->restart = true;
        f->listing = ds;
    }
    return f->listing;
}

void px_dir_release(px_file *f)
{
    dir_state *ds = f->listing;
    if (!ds) return;
    px_free(ds->buf);
    px_free(ds);
    f->listing = NULL;
}

static void rewind_listing(dir_state *ds)
{
    ds->next = SIZE_MAX;
    ds->restart = true;
    ds->exhausted = false;
    ds->nt_index = 0;
}

/* The inode numbers of "." and ".." (the directory and its parent; "/" is its own parent). */
static void find_dot_inos(px_file *f, dir_state *ds)
{
    /* the file index alone: a full stat of a directory lists it (st_nlink) */
    px_stat_info st;
    uint64_t index;
    if (px_host_file_index(f->handle, &index) == 0) ds->self_ino = index;
    ds->parent_ino = ds->self_ino;
    if (f->guest_path && strcmp(f->guest_path, "/")) {
        char parent[PX_PATH_MAX];
        const char *rel;
        px_mount *m; /* the parent may be in another mount (f is a mount's root) */
        if (px_path_normalize(f->guest_path, "..", parent, sizeof parent, NULL) >= 0 &&
            (m = px_vfs_mount_of(parent, &rel)) && m->type->stat && m->type->stat(m, rel, &st) == 0)
            ds->parent_ino = st.ino;
    }
    ds->have_dot_inos = true;
}

/* Makes ds->next point at a record, fetching a batch if needed. Returns 1, 0 at the end, or -errno. */
static int64_t ensure_record(px_file *f, dir_state *ds)
{
    if (ds->next != SIZE_MAX) return 1;
    if (ds->exhausted) return 0;
    int64_t r = px_host_dir_read(f->handle, ds->restart, ds->buf, LISTING_BUFFER_SIZE);
    if (r == 0 || r == -LINUX_ENOENT) { /* no more, or none at all */
        ds->exhausted = true;
        return 0;
    }
    if (r < 0) return r;
    ds->restart = false;
    ds->next = 0;
    return 1;
}

static void advance_record(dir_state *ds)
{
    px_host_dir_entry info;
    px_host_dir_entry_at(ds->buf, ds->next, &info);
    ds->next = info.next;
}

static bool is_dot_name(const px_host_dir_entry *info)
{
    size_t n = info->name_len;
    return (n == 1 && info->name[0] == L'.') || (n == 2 && info->name[0] == L'.' && info->name[1] == L'.');
}

/* A file unlinked while open or mapped waits under ".picolx-unlinked-*" (file_nt.c)
   until Windows can delete it. */
static bool is_parked_name(const px_host_dir_entry *info)
{
    static const wchar_t prefix[] = L".picolx-unlinked-";
    size_t n = info->name_len, plen = PX_ARRAY_LEN(prefix) - 1;
    return n > plen && !wcsncmp(info->name, prefix, plen);
}

/* The entry at position index (without consuming it). Returns 1, 0 at the end, or -errno. */
static int64_t peek_entry(px_file *f, dir_state *ds, uint64_t index, dir_entry *e)
{
    if (index < 2) {
        if (!ds->have_dot_inos) find_dot_inos(f, ds);
        e->name_len = index + 1;
        memcpy(e->name, "..", e->name_len);
        e->name[e->name_len] = 0;
        e->ino = index == 0 ? ds->self_ino : ds->parent_ino;
        e->type = LINUX_DT_DIR;
        return 1;
    }
    for (;;) {
        int64_t r = ensure_record(f, ds);
        if (r <= 0) return r;
        px_host_dir_entry entry, *info = &entry;
        px_host_dir_entry_at(ds->buf, ds->next, info);
        if (is_dot_name(info)) {
            advance_record(ds);
            continue;
        }
        if (is_parked_name(info)) { /* unlinked, still open or mapped: gone for Linux */
            advance_record(ds);
            ds->nt_index++;
            continue;
        }
        int64_t n = px_host_utf8_of_utf16_in(info->name, info->name_len, e->name, sizeof e->name);
        if (n <= 0) { /* a name that does not fit Linux's limits: skip it */
            advance_record(ds);
            ds->nt_index++;
            continue;
        }
        e->name[n] = 0;
        e->name_len = px_drvfs_unescape_utf8(e->name, (size_t)n); /* names stored escaped (path_norm.h) */
        e->ino = info->file_id;
        /* a system file may be a link file and a reparse point a symlink Windows made
           (linkfile.c), a hidden one a FIFO or device node (drvfs_meta.h): the type is
           left to stat */
        e->type = (info->attributes & PX_HOST_ATTR_REPARSE_POINT) ? LINUX_DT_UNKNOWN
                  : (info->attributes & PX_HOST_ATTR_DIRECTORY) ? LINUX_DT_DIR
                  : (info->attributes & (PX_HOST_ATTR_SYSTEM | PX_HOST_ATTR_HIDDEN)) ? LINUX_DT_UNKNOWN
                                                               : LINUX_DT_REG;
        return 1;
    }
}

static void consume_entry(dir_state *ds, uint64_t index)
{
    if (index < 2) return;
    advance_record(ds);
    ds->nt_index++;
}

/* Brings the NT cursor to position pos (entries 0 and 1 are "." and ".."). */
static int64_t seek_listing(px_file *f, dir_state *ds, uint64_t pos)
{
    uint64_t want_nt = pos < 2 ? 0 : pos - 2;
    if (want_nt < ds->nt_index) rewind_listing(ds);
    dir_entry e;
    while (ds->nt_index < want_nt) {
        int64_t r = peek_entry(f, ds, 2, &e);
        if (r < 0) return r;
        if (r == 0) break;
        consume_entry(ds, 2);
    }
    return 0;
}

int64_t px_dir_getdents(px_file *f, void *buf, uint64_t len)
{
    dir_state *ds = listing_of(f);
    if (!ds) return -LINUX_ENOMEM;
    int64_t r = seek_listing(f, ds, f->pos);
    if (r < 0) return r;
    uint8_t *out = buf;
    uint64_t used = 0;
    dir_entry e;
    /* the directory's path in its mount, for the stats fetched ahead (stat_prefetch.c) */
    const char *dir_rel = NULL;
    if (f->mount && f->guest_path) {
        const px_mount *m = f->mount;
        dir_rel = f->guest_path + (m->point_len == 1 ? 0 : m->point_len);
        while (*dir_rel == '/') dir_rel++;
    }
    for (;;) {
        r = peek_entry(f, ds, f->pos, &e);
        if (r < 0) return used ? (int64_t)used : r;
        if (r == 0) break;
        uint64_t reclen = PX_ALIGN_UP(offsetof(struct linux_dirent64, d_name) + e.name_len + 1, 8);
        if (used + reclen > len) {
            if (used == 0) return -LINUX_EINVAL; /* not even one entry fits */
            break;
        }
        struct linux_dirent64 *d = (struct linux_dirent64 *)(out + used);
        d->d_ino = e.ino;
        d->d_off = (int64_t)(f->pos + 1);
        d->d_reclen = (uint16_t)reclen;
        d->d_type = e.type;
        memcpy(d->d_name, e.name, e.name_len);
        memset(d->d_name + e.name_len, 0, reclen - offsetof(struct linux_dirent64, d_name) - e.name_len);
        used += reclen;
        if (e.type == LINUX_DT_REG && dir_rel) px_stat_prefetch_note(f->mount, dir_rel, e.name);
        consume_entry(ds, f->pos);
        f->pos++;
    }
    return (int64_t)used;
}

int64_t px_dir_lseek(px_file *f, int64_t offset, int whence)
{
    int64_t base;
    switch (whence) {
    case LINUX_SEEK_SET: base = 0; break;
    case LINUX_SEEK_CUR: base = (int64_t)f->pos; break;
    default: return -LINUX_EINVAL; /* SEEK_END has no meaning for an entry count */
    }
    if (base + offset < 0) return -LINUX_EINVAL;
    f->pos = (uint64_t)(base + offset);
    dir_state *ds = f->listing;
    if (ds && f->pos == 0) {
        rewind_listing(ds);
        ds->have_dot_inos = false; /* the directory may have moved */
    }
    return (int64_t)f->pos;
}
