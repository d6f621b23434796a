/* sysfs at /sys: the few files programs read to size themselves (the processor ranges,
   transparent huge pages) in an otherwise empty tree with Linux's top-level directories. */
#include <stdio.h>
#include "fs/pseudo/pseudo.h"
#include "host/host_system.h"

static void gen_cpu_range(px_text *t)
{
    uint32_t n = px_host_cpu_count();
    if (n <= 1) px_text_puts(t, "0\n");
    else px_text_printf(t, "0-%u\n", (unsigned)n - 1);
}

/* Windows has large pages only by privilege: the guest sees THP off. */
static void gen_thp_enabled(px_text *t) { px_text_puts(t, "always madvise [never]\n"); }

typedef struct sys_entry {
    const char *path;        /* inside the mount */
    void (*gen)(px_text *t); /* NULL: a directory */
} sys_entry;

/* Sorted so that a directory's children follow it; the listing takes direct children. */
static const sys_entry sys_entries[] = {
    {"block", NULL},
    {"bus", NULL},
    {"class", NULL},
    {"dev", NULL},
    {"devices", NULL},
    {"devices/system", NULL},
    {"devices/system/cpu", NULL},
    {"devices/system/cpu/online", gen_cpu_range},
    {"devices/system/cpu/possible", gen_cpu_range},
    {"devices/system/cpu/present", gen_cpu_range},
    {"firmware", NULL},
    {"fs", NULL},
    {"kernel", NULL},
    {"kernel/mm", NULL},
    {"kernel/mm/transparent_hugepage", NULL},
    {"kernel/mm/transparent_hugepage/enabled", gen_thp_enabled},
    {"module", NULL},
    {"power", NULL},
};
static const sys_entry root_entry = {"", NULL};

static int64_t lookup(const char *rel, const sys_entry **out)
{
    if (!rel[0]) {
        *out = &root_entry;
        return 0;
    }
    for (size_t i = 0; i < PX_ARRAY_LEN(sys_entries); i++) {
        if (!strcmp(sys_entries[i].path, rel)) {
            *out = &sys_entries[i];
            return 0;
        }
    }
    /* below a file: ENOTDIR */
    for (size_t i = 0; i < PX_ARRAY_LEN(sys_entries); i++) {
        size_t n = strlen(sys_entries[i].path);
        if (sys_entries[i].gen && !strncmp(sys_entries[i].path, rel, n) && rel[n] == '/') return -LINUX_ENOTDIR;
    }
    return -LINUX_ENOENT;
}

static void stat_of(px_mount *m, const sys_entry *e, px_stat_info *st)
{
    px_pseudo_stat_init(st, m, e->path, e->gen ? LINUX_S_IFREG | 0444 : LINUX_S_IFDIR | 0755);
    st->uid = st->gid = 0;
    if (e->gen) st->size = 4096; /* sysfs reports a page for every attribute */
}

static int64_t sys_stat(px_mount *m, const char *rel, px_stat_info *st)
{
    const sys_entry *e;
    int64_t r = lookup(rel, &e);
    if (r < 0) return r;
    stat_of(m, e, st);
    return 0;
}

static int64_t sys_readlink(px_mount *m, const char *rel, char *buf, uint64_t size)
{
    const sys_entry *e;
    int64_t r = lookup(rel, &e);
    return r < 0 ? r : -LINUX_EINVAL;
}

static int64_t sys_access(px_mount *m, const char *rel, int mode)
{
    px_stat_info st;
    int64_t r = sys_stat(m, rel, &st);
    if (r < 0) return r;
    if ((mode & LINUX_X_OK) && !(st.mode & 0111)) return -LINUX_EACCES;
    return 0;
}

static int64_t sys_open(px_mount *m, const char *rel, uint32_t flags, uint32_t mode, px_file **out)
{
    const sys_entry *e;
    int64_t r = lookup(rel, &e);
    if (r == -LINUX_ENOENT && (flags & LINUX_O_CREAT)) return -LINUX_EACCES;
    if (r < 0) return r;
    r = px_pseudo_check_open(flags, !e->gen, false);
    if (r < 0) return r;
    px_stat_info st;
    stat_of(m, e, &st);
    if (e->gen) {
        px_text t = {0};
        if (!(flags & LINUX_O_PATH)) e->gen(&t);
        return px_pseudo_open_text(m, rel, &t, &st, flags, out);
    }
    px_pseudo_listing l = {0};
    size_t rl = strlen(rel);
    for (size_t i = 0; i < PX_ARRAY_LEN(sys_entries); i++) {
        const char *name = sys_entries[i].path;
        if (rl) {
            if (strncmp(name, rel, rl) || name[rl] != '/') continue;
            name += rl + 1;
        }
        if (strchr(name, '/')) continue;
        px_pseudo_list_add(&l, name, px_pseudo_ino(m, sys_entries[i].path), sys_entries[i].gen ? LINUX_DT_REG : LINUX_DT_DIR);
    }
    return px_pseudo_open_listing(m, rel, &l, &st, flags, out);
}

const px_fs_type px_sysfs_type = {
    .name = "sysfs",
    .has_symlinks = false,
    .magic = 0x62656572, /* SYSFS_MAGIC */
    .open = sys_open,
    .stat = sys_stat,
    .readlink = sys_readlink,
    .access = sys_access,
};
