/* /proc/<pid>/ for the other processes of the session's process table (proc_pids.h):
   what the table knows of each (ids, state, name, program, argv, cwd, start time) and
   what the host tells of its Windows process (CPU times), in Linux's formats. Their
   memory, fds and environment are in another Windows process: maps and the like are not
   listed, and fd/ and environ say EACCES, as Linux does for a process one may not trace.
   The calling process's own directory stays proc.c's. */
#include <stdio.h>
#include <stdlib.h>
#include "fs/pseudo/pseudo.h"
#include "fs/pseudo/proc_pids.h"
#include "host/host_named.h"
#include "host/host_process.h"
#include "host/host_time.h"

static const px_proc_pid_source *source;

void px_proc_pids_set_source(const px_proc_pid_source *s) { source = s; }

int32_t px_proc_self_pid(void)
{
    int32_t pid = source && source->self ? source->self() : 0;
    return pid > 0 ? pid : (int32_t)px_host_pid();
}

int32_t px_proc_self_ppid(void)
{
    px_proc_pid_info info;
    return source && source->lookup(px_proc_self_pid(), &info) ? info.ppid : 0;
}

typedef enum node_kind { NODE_DIR, NODE_FILE, NODE_LINK, NODE_DENIED_DIR, NODE_DENIED_FILE } node_kind;
typedef void gen_fn(px_text *t, const px_proc_pid_info *p);

typedef struct node {
    const char *name;
    node_kind kind;
    gen_fn *gen;
} node;

/* Linux's USER_HZ: /proc counts clock ticks, 100 a second; the host 100 ns units. */
#define TICKS_OF_100NS(x) ((x) / 100000)

/* The Windows process's CPU times in ticks (zeros when it cannot be asked). */
static void cpu_ticks(const px_proc_pid_info *p, uint64_t *utime, uint64_t *stime)
{
    *utime = *stime = 0;
    px_host_handle h;
    if (!p->host_pid || px_host_process_open_checked(p->host_pid, &h) < 0) return;
    px_host_times t;
    if (px_host_process_times(h, &t) == 0 && t.creation == p->host_time) {
        *utime = TICKS_OF_100NS((uint64_t)t.user);
        *stime = TICKS_OF_100NS((uint64_t)t.kernel);
    }
    px_host_close(h);
}

/* stat's starttime: ticks after boot (the host's monotonic counter counts from boot). */
static uint64_t start_ticks(const px_proc_pid_info *p)
{
    uint64_t rate = px_host_ticks_per_second();
    uint64_t uptime = rate ? (uint64_t)((__int128)px_host_ticks() * 10000000 / rate) : 0; /* 100 ns units */
    int64_t age = px_host_time_now() - p->start_time;
    if (age < 0) age = 0;
    return TICKS_OF_100NS(uptime > (uint64_t)age ? uptime - (uint64_t)age : 0);
}

static char state_of(const px_proc_pid_info *p) { return p->zombie ? 'Z' : p->stopped ? 'T' : 'S'; }

static void gen_stat(px_text *t, const px_proc_pid_info *p)
{
    uint64_t utime, stime;
    cpu_ticks(p, &utime, &stime);
    /* fields 1-52 of proc(5); what lives in the other address space is 0, as Linux shows
       it for a process one may not trace */
    px_text_printf(t, "%d (%s) %c %d %d %d %u -1 4194304 0 0 0 0 %llu %llu 0 0 20 0 1 0 %llu 0 0 "
                      "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 %d\n",
                   p->pid, p->comm, state_of(p), p->ppid, p->pgid, p->sid, p->tty, (unsigned long long)utime,
                   (unsigned long long)stime, (unsigned long long)start_ticks(p), 0);
}

static void gen_status(px_text *t, const px_proc_pid_info *p)
{
    static const char *const states[] = {"S (sleeping)", "Z (zombie)", "T (stopped)"};
    px_text_printf(t, "Name:\t%s\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n"
                      "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t64\nGroups:\t%u \nThreads:\t1\n",
                   p->comm, states[p->zombie ? 1 : p->stopped ? 2 : 0], p->pid, p->pid, p->ppid, p->uid, p->uid, p->uid, p->uid, p->gid,
                   p->gid, p->gid, p->gid, p->gid);
}

static void gen_cmdline(px_text *t, const px_proc_pid_info *p)
{
    if (!p->zombie) px_text_put(t, p->cmdline, p->cmdline_len);
}

static void gen_comm(px_text *t, const px_proc_pid_info *p) { px_text_printf(t, "%s\n", p->comm); }

static const node dir_node = {"", NODE_DIR, NULL};
static const node nodes[] = {
    {"cmdline", NODE_FILE, gen_cmdline}, {"comm", NODE_FILE, gen_comm}, {"cwd", NODE_LINK, NULL},
    {"environ", NODE_DENIED_FILE, NULL}, {"exe", NODE_LINK, NULL}, {"fd", NODE_DENIED_DIR, NULL},
    {"root", NODE_LINK, NULL}, {"stat", NODE_FILE, gen_stat}, {"status", NODE_FILE, gen_status},
};

/* The pid at the start of rel and the rest after it ("" for the directory); -1: no pid. */
static int32_t split(const char *rel, const char **rest)
{
    int64_t v = 0;
    const char *s = rel;
    if (*s < '1' || *s > '9') return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (*s - '0');
        if (v >= 1000000000) return -1;
    }
    if (*s && *s != '/') return -1;
    while (*s == '/') s++;
    *rest = s;
    return (int32_t)v;
}

bool px_proc_pids_owns(const char *rel, int32_t self)
{
    const char *rest;
    int32_t pid = source ? split(rel, &rest) : -1;
    return pid > 0 && pid != self;
}

/* The process and the node rel names: 0, or -LINUX_ENOENT / -LINUX_ENOTDIR. */
static int64_t resolve(const char *rel, px_proc_pid_info *p, const node **out)
{
    const char *rest;
    int32_t pid = split(rel, &rest);
    if (pid <= 0 || !source || !source->lookup(pid, p)) return -LINUX_ENOENT;
    if (!*rest) {
        *out = &dir_node;
        return 0;
    }
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    for (size_t i = 0; i < PX_ARRAY_LEN(nodes); i++) {
        if (strlen(nodes[i].name) != n || memcmp(nodes[i].name, rest, n)) continue;
        if (slash && slash[1]) return nodes[i].kind == NODE_DENIED_DIR ? -LINUX_EACCES : -LINUX_ENOTDIR;
        *out = &nodes[i];
        return 0;
    }
    return -LINUX_ENOENT;
}

static void stat_of(px_mount *m, const char *rel, const px_proc_pid_info *p, const node *e, px_stat_info *st)
{
    static const uint32_t modes[] = {
        [NODE_DIR] = LINUX_S_IFDIR | 0555, [NODE_FILE] = LINUX_S_IFREG | 0444, [NODE_LINK] = LINUX_S_IFLNK | 0777,
        [NODE_DENIED_DIR] = LINUX_S_IFDIR | 0500, [NODE_DENIED_FILE] = LINUX_S_IFREG | 0400,
    };
    px_pseudo_stat_init(st, m, rel, modes[e->kind]);
    st->uid = p->uid;
    st->gid = p->gid;
    if (e == &dir_node) st->nlink = 3; /* ., its entry in /proc, fd/ */
    if (e->kind == NODE_DENIED_DIR) st->nlink = 2;
}

int64_t px_proc_pids_stat(px_mount *m, const char *rel, px_stat_info *st)
{
    px_proc_pid_info p;
    const node *e;
    int64_t r = resolve(rel, &p, &e);
    if (r < 0) return r;
    stat_of(m, rel, &p, e, st);
    return 0;
}

static int64_t link_target(const px_proc_pid_info *p, const node *e, char *out, size_t size)
{
    const char *target = !strcmp(e->name, "exe") ? p->exe : !strcmp(e->name, "cwd") ? p->cwd : "/";
    if (p->zombie || !*target) return -LINUX_ENOENT; /* a zombie has neither, as on Linux */
    return snprintf(out, size, "%s", target) < (int)size ? 0 : -LINUX_ENAMETOOLONG;
}

int64_t px_proc_pids_readlink(px_mount *m, const char *rel, char *buf, uint64_t size)
{
    px_proc_pid_info p;
    const node *e;
    int64_t r = resolve(rel, &p, &e);
    if (r < 0) return r;
    if (e->kind != NODE_LINK) return -LINUX_EINVAL;
    char target[PX_PATH_MAX];
    r = link_target(&p, e, target, sizeof target);
    return r < 0 ? r : px_pseudo_copy_link(target, buf, size);
}

int64_t px_proc_pids_open(px_mount *m, const char *rel, uint32_t flags, px_file **out)
{
    px_proc_pid_info p;
    const node *e;
    int64_t r = resolve(rel, &p, &e);
    if (r == -LINUX_ENOENT && (flags & LINUX_O_CREAT)) return -LINUX_EACCES;
    if (r < 0) return r;
    if (e->kind == NODE_LINK) return -LINUX_ELOOP; /* the VFS follows links before it opens */
    bool is_dir = e->kind == NODE_DIR || e->kind == NODE_DENIED_DIR;
    r = px_pseudo_check_open(flags, is_dir, false);
    if (r < 0) return r;
    if ((e->kind == NODE_DENIED_DIR || e->kind == NODE_DENIED_FILE) && !(flags & LINUX_O_PATH)) return -LINUX_EACCES;
    px_stat_info st;
    stat_of(m, rel, &p, e, &st);
    if (is_dir) {
        px_pseudo_listing l = {0};
        char child[64];
        for (size_t i = 0; e == &dir_node && i < PX_ARRAY_LEN(nodes); i++) {
            snprintf(child, sizeof child, "%d/%s", p.pid, nodes[i].name);
            uint8_t type = nodes[i].kind == NODE_LINK ? LINUX_DT_LNK
                           : nodes[i].kind == NODE_DENIED_DIR ? LINUX_DT_DIR : LINUX_DT_REG;
            px_pseudo_list_add(&l, nodes[i].name, px_pseudo_ino(m, child), type);
        }
        return px_pseudo_open_listing(m, rel, &l, &st, flags, out);
    }
    px_text t = {0};
    if (!(flags & LINUX_O_PATH)) e->gen(&t, &p);
    return px_pseudo_open_text(m, rel, &t, &st, flags, out);
}

static int compare_pids(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

void px_proc_pids_list(px_mount *m, px_pseudo_listing *l, int32_t self)
{
    int32_t cursor = 0;
    size_t n = 0, cap = 64;
    int32_t *pids = px_alloc(cap * sizeof *pids);
    bool self_seen = false;
    px_proc_pid_info p;
    while (pids && source && source->next(&cursor, &p)) {
        if (n == cap) {
            int32_t *more = px_realloc(pids, cap * 2 * sizeof *pids);
            if (!more) break;
            pids = more;
            cap *= 2;
        }
        pids[n++] = p.pid;
        self_seen |= p.pid == self;
    }
    if (pids && !self_seen && n < cap) pids[n++] = self; /* no table: this process alone */
    if (pids) qsort(pids, n, sizeof *pids, compare_pids);
    for (size_t i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "%d", (int)pids[i]);
        px_pseudo_list_add(l, name, px_pseudo_ino(m, name), LINUX_DT_DIR);
    }
    px_free(pids);
}
