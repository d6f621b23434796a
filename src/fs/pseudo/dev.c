/* devfs at /dev: the memory devices (null, zero, full, random, urandom) with Linux's
   numbers, the terminal (tty, console, pts/0: the Windows console, when there is one),
   the pseudo-terminals (ptmx makes one, pts/1.. are those of the session: fs/pty.c),
   the fd links (stdin, stdout, stderr, fd), and the directories shm (a tmpfs is mounted
   on it) and pts. */
#include <stdio.h>
#include "fs/pseudo/pseudo.h"
#include "core/cred.h"
#include "fs/pty.h"
#include "host/host_console.h"
#include "host/host_fileinfo.h"
#include "host/host_random.h"

#define MAKEDEV(major, minor) (((uint64_t)(major) << 8) | (minor))

int64_t px_pseudo_random_bytes(void *buf, uint64_t len)
{
    return px_host_random(buf, (size_t)len) < 0 ? -LINUX_EIO : 0;
}

bool px_devfs_has_console(void)
{
    for (int which = PX_HOST_STDIN; which <= PX_HOST_STDERR; which++) {
        px_host_handle h = px_host_std_handle(which);
        if (h && px_console_is_console(h)) return true;
    }
    return false;
}

/* --- the memory devices --- */

typedef enum read_kind { READ_EOF, READ_ZEROS, READ_RANDOM } read_kind;
typedef enum write_kind { WRITE_DISCARD, WRITE_ENOSPC } write_kind;

typedef struct mem_device {
    read_kind read;
    write_kind write;
    px_stat_info st; /* filled at open */
} mem_device;

/* Zeros or random bytes into the reader's buffer (a guest address) a chunk at a time, up
   to the first bad page: the count, or -LINUX_EFAULT when nothing arrived. */
static int64_t fill_out(uint64_t buf, uint64_t len, bool random)
{
    static const uint8_t zeros[4096];
    uint8_t chunk[4096];
    uint64_t done = 0;
    while (done < len) {
        size_t n = len - done < sizeof chunk ? (size_t)(len - done) : sizeof chunk;
        if (random && px_pseudo_random_bytes(chunk, n) < 0) return done ? (int64_t)done : -LINUX_EIO;
        int64_t put = px_copy_out_partial(buf + done, random ? chunk : zeros, n);
        if (put > 0) done += (uint64_t)put;
        if (put != (int64_t)n) break;
    }
    return done ? (int64_t)done : -LINUX_EFAULT;
}

static int64_t mem_pread(px_file *f, void *buf, uint64_t len, uint64_t offset)
{
    mem_device *d = f->data;
    switch (d->read) {
    case READ_EOF: return 0;
    case READ_ZEROS: return len ? fill_out((uint64_t)(uintptr_t)buf, len, false) : 0;
    case READ_RANDOM: {
        if (len > 0x2000000) len = 0x2000000; /* Linux hands out at most 32 MiB per read */
        return len ? fill_out((uint64_t)(uintptr_t)buf, len, true) : 0;
    }
    }
    return -LINUX_EINVAL;
}

static int64_t mem_read(px_file *f, void *buf, uint64_t len) { return mem_pread(f, buf, len, 0); }

static int64_t mem_pwrite(px_file *f, const void *buf, uint64_t len, uint64_t offset)
{
    mem_device *d = f->data;
    return d->write == WRITE_ENOSPC ? -LINUX_ENOSPC : (int64_t)len;
}

static int64_t mem_write(px_file *f, const void *buf, uint64_t len) { return mem_pwrite(f, buf, len, 0); }

/* Seeks on the memory devices succeed and leave the position at 0, as Linux's do. */
static int64_t mem_lseek(px_file *f, int64_t offset, int whence)
{
    f->pos = 0;
    return 0;
}

static int64_t mem_stat(px_file *f, px_stat_info *st)
{
    *st = ((mem_device *)f->data)->st;
    return 0;
}

static void mem_release(px_file *f) { px_free(f->data); }

static const px_file_ops mem_ops = {
    .read = mem_read,
    .write = mem_write,
    .pread = mem_pread,
    .pwrite = mem_pwrite,
    .lseek = mem_lseek,
    .stat = mem_stat,
    .release = mem_release,
};

/* --- the tree --- */

typedef enum dev_kind { DEV_DIR, DEV_MEM, DEV_TTY, DEV_LINK, DEV_PTMX, DEV_PTS } dev_kind;

typedef struct dev_entry {
    const char *name;
    dev_kind kind;
    uint32_t perm;
    uint32_t major, minor;
    read_kind read;
    write_kind write;
    const char *target;   /* links */
    bool needs_console;   /* present only when there is a console */
} dev_entry;

static const dev_entry dev_entries[] = {
    {"console", DEV_TTY, 0600, 5, 1, 0, 0, NULL, false},
    {"fd", DEV_LINK, 0777, 0, 0, 0, 0, "/proc/self/fd", false},
    {"full", DEV_MEM, 0666, 1, 7, READ_ZEROS, WRITE_ENOSPC, NULL, false},
    {"null", DEV_MEM, 0666, 1, 3, READ_EOF, WRITE_DISCARD, NULL, false},
    {"ptmx", DEV_PTMX, 0666, 5, 2, 0, 0, NULL, false},
    {"pts", DEV_DIR, 0755, 0, 0, 0, 0, NULL, false},
    {"pts/0", DEV_TTY, 0620, 136, 0, 0, 0, NULL, true},
    {"random", DEV_MEM, 0666, 1, 8, READ_RANDOM, WRITE_DISCARD, NULL, false},
    {"shm", DEV_DIR, 01777, 0, 0, 0, 0, NULL, false},
    {"stderr", DEV_LINK, 0777, 0, 0, 0, 0, "/proc/self/fd/2", false},
    {"stdin", DEV_LINK, 0777, 0, 0, 0, 0, "/proc/self/fd/0", false},
    {"stdout", DEV_LINK, 0777, 0, 0, 0, 0, "/proc/self/fd/1", false},
    {"tty", DEV_TTY, 0666, 5, 0, 0, 0, NULL, false},
    {"urandom", DEV_MEM, 0666, 1, 9, READ_RANDOM, WRITE_DISCARD, NULL, false},
    {"zero", DEV_MEM, 0666, 1, 5, READ_ZEROS, WRITE_DISCARD, NULL, false},
};
static const dev_entry root_entry = {"", DEV_DIR, 0755, 0, 0, 0, 0, NULL, false};

#define PTS_MAJOR 136

/* pts/N for a pty of the session: N in decimal, 1 .. PX_PTY_MAX; else 0. */
static int pty_number(const char *rel)
{
    if (strncmp(rel, "pts/", 4) || rel[4] < '1' || rel[4] > '9') return 0;
    int n = 0;
    for (const char *p = rel + 4; *p; p++) {
        if (*p < '0' || *p > '9' || n > PX_PTY_MAX) return 0;
        n = n * 10 + (*p - '0');
    }
    return n <= PX_PTY_MAX ? n : 0;
}

static void pty_entry(int n, dev_entry *e)
{
    *e = (dev_entry){"", DEV_PTS, 0620, PTS_MAJOR, (uint32_t)n, 0, 0, NULL, false};
}

/* rel's entry: a static one, or a pty's filled into *scratch. */
static int64_t lookup(const char *rel, const dev_entry **out, dev_entry *scratch)
{
    if (!rel[0]) {
        *out = &root_entry;
        return 0;
    }
    for (size_t i = 0; i < PX_ARRAY_LEN(dev_entries); i++) {
        const dev_entry *e = &dev_entries[i];
        if (strcmp(e->name, rel)) continue;
        if (e->needs_console && !px_devfs_has_console()) break;
        *out = e;
        return 0;
    }
    int n = pty_number(rel);
    if (n && px_pty_exists(n)) {
        pty_entry(n, scratch);
        *out = scratch;
        return 0;
    }
    /* a name below a file (null/x) is ENOTDIR, as Linux walks it */
    const char *slash = strchr(rel, '/');
    if (slash) {
        char first[64];
        size_t n = (size_t)(slash - rel);
        if (n < sizeof first) {
            memcpy(first, rel, n);
            first[n] = 0;
            const dev_entry *parent;
            dev_entry parent_scratch;
            if (lookup(first, &parent, &parent_scratch) == 0 && parent->kind != DEV_DIR && parent->kind != DEV_LINK) return -LINUX_ENOTDIR;
        }
    }
    return -LINUX_ENOENT;
}

static uint8_t type_of(const dev_entry *e)
{
    static const uint8_t types[] = {[DEV_DIR] = LINUX_DT_DIR, [DEV_MEM] = LINUX_DT_CHR, [DEV_TTY] = LINUX_DT_CHR,
                                    [DEV_LINK] = LINUX_DT_LNK, [DEV_PTMX] = LINUX_DT_CHR, [DEV_PTS] = LINUX_DT_CHR};
    return types[e->kind];
}

static void stat_of(px_mount *m, const char *rel, const dev_entry *e, px_stat_info *st)
{
    px_pseudo_stat_init(st, m, rel, px_pseudo_mode_of_type(type_of(e)) | e->perm);
    /* devices belong to root, terminals to group tty, as udev makes them; a pty to its user */
    st->uid = e->kind == DEV_PTS ? px_current_fsuid() : 0;
    st->gid = e->kind == DEV_TTY || e->kind == DEV_PTS ? 5 : 0;
    st->rdev = e->kind == DEV_DIR || e->kind == DEV_LINK ? 0 : MAKEDEV(e->major, e->minor);
    if (e->kind == DEV_LINK) st->size = (int64_t)strlen(e->target);
    if (e->kind == DEV_DIR) st->blksize = 4096;
}

static int64_t dev_stat(px_mount *m, const char *rel, px_stat_info *st)
{
    const dev_entry *e;
    dev_entry scratch;
    int64_t r = lookup(rel, &e, &scratch);
    if (r < 0) return r;
    stat_of(m, rel, e, st);
    return 0;
}

static int64_t dev_readlink(px_mount *m, const char *rel, char *buf, uint64_t size)
{
    const dev_entry *e;
    dev_entry scratch;
    int64_t r = lookup(rel, &e, &scratch);
    if (r < 0) return r;
    if (e->kind != DEV_LINK) return -LINUX_EINVAL;
    return px_pseudo_copy_link(e->target, buf, size);
}

static int64_t dev_access(px_mount *m, const char *rel, int mode)
{
    px_stat_info st;
    int64_t r = dev_stat(m, rel, &st);
    if (r < 0) return r;
    if ((mode & LINUX_X_OK) && !(st.mode & 0111)) return -LINUX_EACCES;
    return 0;
}

static int64_t open_dir(px_mount *m, const char *rel, const px_stat_info *st, uint32_t flags, px_file **out)
{
    px_pseudo_listing l = {0};
    size_t rl = strlen(rel);
    for (size_t i = 0; i < PX_ARRAY_LEN(dev_entries); i++) {
        const dev_entry *e = &dev_entries[i];
        const char *name = e->name;
        if (rl) { /* the children of rel: "rel/name" */
            if (strncmp(name, rel, rl) || name[rl] != '/') continue;
            name += rl + 1;
        }
        if (strchr(name, '/')) continue;
        if (e->needs_console && !px_devfs_has_console()) continue;
        px_pseudo_list_add(&l, name, px_pseudo_ino(m, e->name), type_of(e));
    }
    if (!strcmp(rel, "pts"))
        for (int n = 1; n <= PX_PTY_MAX; n++) {
            if (!px_pty_exists(n)) continue;
            char name[16];
            snprintf(name, sizeof name, "pts/%d", n);
            px_pseudo_list_add(&l, name + 4, px_pseudo_ino(m, name), LINUX_DT_CHR);
        }
    return px_pseudo_open_listing(m, rel, &l, st, flags, out);
}

/* The console as a terminal: CONIN$ for reading, CONOUT$ otherwise (console.c reads and
   writes through one handle). ENXIO without a console, as Linux without a controlling tty. */
static int64_t open_tty(uint32_t flags, const px_stat_info *st, px_file **out)
{
    if (!px_devfs_has_console()) return -LINUX_ENXIO;
    bool reading = (flags & LINUX_O_ACCMODE) == LINUX_O_RDONLY;
    px_host_handle h;
    if (px_host_file_open_ex(reading ? L"CONIN$" : L"CONOUT$", PX_HOST_ACCESS_READ | PX_HOST_ACCESS_WRITE,
                             PX_HOST_SHARE_READ | PX_HOST_SHARE_WRITE, PX_HOST_DISP_OPEN_EXISTING, 0, &h) < 0)
        return -LINUX_ENXIO;
    px_file *f = px_console_device_file(h, flags, st); /* closes h with the file */
    if (!f) {
        px_host_close(h);
        return -LINUX_ENOMEM;
    }
    *out = f;
    return 0;
}

/* A memory device (null, zero, full, random, urandom) whose fstat answers st; the file
   takes path (px_alloc'd, may be NULL), also when it fails. */
static int64_t open_mem_device(const dev_entry *e, const px_stat_info *st, char *path, uint32_t flags, px_file **out)
{
    mem_device *d = px_calloc(1, sizeof *d);
    px_file *f = d ? px_file_new(&mem_ops, NULL, flags) : NULL;
    if (!f) {
        px_free(d);
        px_free(path);
        return -LINUX_ENOMEM;
    }
    d->read = e->read;
    d->write = e->write;
    d->st = *st;
    f->data = d;
    f->guest_path = path;
    *out = f;
    return 0;
}

/* What fstat of pts/N says: what stat of its name says. */
static void pts_stat(int n, px_stat_info *st, void *mount)
{
    char rel[16];
    snprintf(rel, sizeof rel, "pts/%d", n);
    dev_entry e;
    pty_entry(n, &e);
    stat_of(mount, rel, &e, st);
}

static int64_t open_pty(px_mount *m, const char *rel, const dev_entry *e, const px_stat_info *st, uint32_t flags,
                        px_file **out)
{
    char *path = px_pseudo_guest_path(m, rel);
    if (!path) return -LINUX_ENOMEM;
    int64_t r = e->kind == DEV_PTMX ? px_pty_open_master(flags, st, pts_stat, m, out)
                                    : px_pty_open_slave((int)e->minor, flags, st, out);
    if (r < 0) px_free(path);
    else (*out)->guest_path = path;
    return r;
}

static int64_t dev_open(px_mount *m, const char *rel, uint32_t flags, uint32_t mode, px_file **out)
{
    const dev_entry *e;
    dev_entry scratch;
    int64_t r = lookup(rel, &e, &scratch);
    if (r == -LINUX_ENOENT && (flags & LINUX_O_CREAT)) return -LINUX_EACCES; /* devfs has no regular files */
    if (r < 0) return r;
    if (e->kind == DEV_LINK) return -LINUX_ELOOP; /* the VFS follows links before it opens: O_NOFOLLOW */
    r = px_pseudo_check_open(flags, e->kind == DEV_DIR, true);
    if (r < 0) return r;
    px_stat_info st;
    stat_of(m, rel, e, &st);
    if (e->kind == DEV_DIR) return open_dir(m, rel, &st, flags, out);
    if (e->kind == DEV_TTY && !(flags & LINUX_O_PATH)) return open_tty(flags, &st, out);
    if ((e->kind == DEV_PTMX || e->kind == DEV_PTS) && !(flags & LINUX_O_PATH)) return open_pty(m, rel, e, &st, flags, out);
    char *path = px_pseudo_guest_path(m, rel);
    if (!path) return -LINUX_ENOMEM;
    return open_mem_device(e, &st, path, flags, out);
}

/* A character device node elsewhere (a distro's, a tmpfs's) opens the device of its
   number: the memory devices and the terminal; any other has no driver here (ENXIO, as
   Linux for a node without one). st is the node's stat, which fstat answers. */
int64_t px_devfs_open_rdev(uint64_t rdev, uint32_t flags, const px_stat_info *st, const char *guest_path, px_file **out)
{
    /* the Linux dev_t encoding: 12 bits of major at 8, minor's low byte at 0, the rest above */
    uint32_t major = (uint32_t)(((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfffull));
    uint32_t minor = (uint32_t)((rdev & 0xff) | ((rdev >> 12) & ~0xffull));
    const dev_entry *e = NULL;
    for (size_t i = 0; i < PX_ARRAY_LEN(dev_entries) && !e; i++)
        if ((dev_entries[i].kind == DEV_MEM || dev_entries[i].kind == DEV_TTY) && dev_entries[i].major == major &&
            dev_entries[i].minor == minor && major != 136) /* pts/0 is the console's only when there is one */
            e = &dev_entries[i];
    if (!e) return -LINUX_ENXIO;
    if (e->kind == DEV_TTY) {
        int64_t r = open_tty(flags, st, out);
        if (r == 0 && guest_path && !((*out)->guest_path = px_strdup(guest_path))) {
            px_file_unref(*out);
            return -LINUX_ENOMEM;
        }
        return r;
    }
    char *path = guest_path ? px_strdup(guest_path) : NULL;
    if (guest_path && !path) return -LINUX_ENOMEM;
    return open_mem_device(e, st, path, flags, out);
}

const px_fs_type px_devfs_type = {
    .name = "devtmpfs",
    .has_symlinks = true,
    .magic = 0x01021994, /* devtmpfs is a tmpfs: TMPFS_MAGIC */
    .open = dev_open,
    .stat = dev_stat,
    .readlink = dev_readlink,
    .access = dev_access,
};
