/* lxfs's pure parts: the metadata store and its log (src/fs/lxfs/lxstore.c), the tar
   reader (src/import/tar.c). The log lives in memory here: every prefix of it must replay
   to a consistent store, and a corrupt record must stop the replay. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/px.h"
#include "fs/lxfs/lxstore.h"
#include "import/tar.h"

typedef struct memlog { uint8_t *buf; size_t len, cap; } memlog;

static int64_t mem_append(void *io, const uint8_t *rec, size_t len)
{
    memlog *m = io;
    if (m->len + len > m->cap) {
        m->cap = (m->len + len) * 2;
        m->buf = realloc(m->buf, m->cap);
    }
    memcpy(m->buf + m->len, rec, len);
    m->len += len;
    return 0;
}

static lx_attr attr(uint32_t mode)
{
    lx_attr a = {.mode = mode, .uid = 1000, .gid = 100, .mtime = {1700000000, 123456789}};
    return a;
}

static void fresh(lx_store *s, memlog *log)
{
    lx_store_init(s);
    memset(log, 0, sizeof *log);
    mem_append(log, (const uint8_t *)LX_LOG_MAGIC, LX_LOG_HEADER);
    s->append = mem_append;
    s->io = log;
    lx_attr root = attr(LINUX_S_IFDIR | 0755);
    cr_assert_eq(lx_store_make_root(s, &root), 0);
}

static void check_ok(const lx_store *s) { cr_assert_eq(lx_store_check(s, NULL, NULL), 0); }

static lx_inode *at(const lx_store *s, const char *path)
{
    lx_inode *i = NULL;
    return lx_walk(s, path, &i, NULL, NULL, NULL) == 0 ? i : NULL;
}

/* A little tree with every kind of node and name. */
static void build(lx_store *s)
{
    uint64_t etc, bin, f, home;
    lx_attr d = attr(LINUX_S_IFDIR | 0755);
    cr_assert_eq(lx_store_create(s, LX_ROOT_INO, "etc", 3, &d, &etc), 0);
    cr_assert_eq(lx_store_create(s, LX_ROOT_INO, "bin", 3, &d, &bin), 0);
    cr_assert_eq(lx_store_create(s, LX_ROOT_INO, "home", 4, &d, &home), 0);
    lx_attr r = attr(LINUX_S_IFREG | 04755);
    cr_assert_eq(lx_store_create(s, bin, "su", 2, &r, &f), 0);
    cr_assert_eq(lx_store_link(s, f, etc, "su.hard", 7), 0);
    lx_attr l = attr(LINUX_S_IFLNK | 0777);
    l.target = "../nowhere";
    cr_assert_eq(lx_store_create(s, etc, "dangling", 8, &l, NULL), 0);
    lx_attr p = attr(LINUX_S_IFIFO | 0600);
    cr_assert_eq(lx_store_create(s, home, "fifo", 4, &p, NULL), 0);
    const char *names[] = {"a:b", "CON", "x.", "y ", "Case", "case", "q?*\"<>|\\"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        cr_assert_eq(lx_store_create(s, home, names[i], strlen(names[i]), &r, NULL), 0, "%s", names[i]);
}

Test(lxstore, tree_links_and_counts)
{
    lx_store s;
    memlog log;
    fresh(&s, &log);
    build(&s);
    check_ok(&s);
    cr_assert_eq(at(&s, "")->nlink, 5); /* ., .., etc, bin, home */
    cr_assert_eq(at(&s, "bin/su")->nlink, 2);
    cr_assert_eq(at(&s, "bin/su"), at(&s, "etc/su.hard"));
    cr_assert_eq(at(&s, "bin/su")->mode, LINUX_S_IFREG | 04755);
    cr_assert_str_eq(at(&s, "etc/dangling")->target, "../nowhere");
    cr_assert_neq(at(&s, "home/Case"), at(&s, "home/case"));
    cr_assert_not_null(at(&s, "home/CON"));
    cr_assert_eq(lx_store_create(&s, at(&s, "home")->ino, "CON", 3, &(lx_attr){.mode = LINUX_S_IFREG}, NULL), -LINUX_EEXIST);
    cr_assert_eq(lx_store_create(&s, LX_ROOT_INO, "a/b", 3, &(lx_attr){.mode = LINUX_S_IFREG}, NULL), -LINUX_EINVAL);
    lx_inode *i;
    cr_assert_eq(lx_walk(&s, "bin/su/x", &i, NULL, NULL, NULL), -LINUX_ENOTDIR);
    cr_assert_eq(lx_walk(&s, "nope/x", &i, NULL, NULL, NULL), -LINUX_ENOENT);
    lx_store_free(&s);
    free(log.buf);
}

Test(lxstore, unlink_rename_rules)
{
    lx_store s;
    memlog log;
    fresh(&s, &log);
    build(&s);
    uint64_t etc = at(&s, "etc")->ino, bin = at(&s, "bin")->ino, home = at(&s, "home")->ino;
    cr_assert_eq(lx_store_unlink(&s, LX_ROOT_INO, "etc", 3), -LINUX_ENOTEMPTY);
    cr_assert_eq(lx_store_unlink(&s, etc, "su.hard", 7), 0);
    cr_assert_eq(at(&s, "bin/su")->nlink, 1);
    /* rename over a file replaces it; NOREPLACE refuses; EXCHANGE swaps */
    cr_assert_eq(lx_store_rename(&s, home, "x.", 2, home, "y ", 2, LX_RENAME_NOREPLACE), -LINUX_EEXIST);
    lx_inode *x = at(&s, "home/x.");
    cr_assert_eq(lx_store_rename(&s, home, "x.", 2, home, "y ", 2, 0), 0);
    cr_assert_eq(at(&s, "home/y "), x);
    cr_assert_null(at(&s, "home/x."));
    lx_inode *a = at(&s, "home/Case"), *b = at(&s, "home/case");
    cr_assert_eq(lx_store_rename(&s, home, "Case", 4, home, "case", 4, LX_RENAME_EXCHANGE), 0);
    cr_assert_eq(at(&s, "home/Case"), b);
    cr_assert_eq(at(&s, "home/case"), a);
    /* directories: into itself is EINVAL, over a file ENOTDIR, across parents fixes nlink */
    cr_assert_eq(lx_store_rename(&s, LX_ROOT_INO, "home", 4, home, "sub", 3, 0), -LINUX_EINVAL);
    cr_assert_eq(lx_store_rename(&s, LX_ROOT_INO, "home", 4, bin, "su", 2, 0), -LINUX_ENOTDIR);
    cr_assert_eq(lx_store_rename(&s, LX_ROOT_INO, "home", 4, bin, "home2", 5, 0), 0);
    cr_assert_eq(at(&s, "bin")->nlink, 3);
    cr_assert_eq(at(&s, "")->nlink, 4);
    cr_assert_eq(at(&s, "bin/home2")->parent, bin);
    check_ok(&s);
    lx_store_free(&s);
    free(log.buf);
}

/* Every prefix of the log replays to a consistent store; the whole log to the same one. */
Test(lxstore, replay_every_prefix)
{
    lx_store s;
    memlog log;
    fresh(&s, &log);
    build(&s);
    uint64_t home = at(&s, "home")->ino;
    cr_assert_eq(lx_store_rename(&s, home, "a:b", 3, LX_ROOT_INO, "moved", 5, 0), 0);
    lx_attr ch = lx_attr_of(at(&s, "moved"));
    ch.mode = 0600;
    cr_assert_eq(lx_store_setattr(&s, at(&s, "moved")->ino, &ch), 0);
    cr_assert_eq(lx_store_unlink(&s, home, "CON", 3), 0);
    for (size_t cut = LX_LOG_HEADER; cut <= log.len; cut++) {
        lx_store r;
        lx_store_init(&r);
        int64_t valid = lx_store_replay(&r, log.buf, cut);
        cr_assert(valid >= LX_LOG_HEADER && (size_t)valid <= cut);
        if (valid > LX_LOG_HEADER) cr_assert_eq(lx_store_check(&r, NULL, NULL), 0, "prefix %zu", cut);
        if (cut == log.len) {
            cr_assert_eq((size_t)valid, log.len);
            cr_assert_eq(at(&r, "moved")->mode, LINUX_S_IFREG | 0600);
            cr_assert_null(at(&r, "home/CON"));
            cr_assert_eq(HASH_COUNT(r.inodes), HASH_COUNT(s.inodes));
        }
        lx_store_free(&r);
    }
    lx_store_free(&s);
    free(log.buf);
}

Test(lxstore, corrupt_record_stops_replay)
{
    lx_store s;
    memlog log;
    fresh(&s, &log);
    size_t before = log.len;
    build(&s);
    log.buf[before + 12] ^= 0x40; /* inside the first record after the root */
    lx_store r;
    lx_store_init(&r);
    cr_assert_eq(lx_store_replay(&r, log.buf, log.len), (int64_t)before);
    cr_assert_eq(HASH_COUNT(r.inodes), 1);
    lx_store_free(&r);
    lx_store_init(&r);
    cr_assert_eq(lx_store_replay(&r, (const uint8_t *)"garbage!", 8), -1);
    lx_store_free(&r);
    lx_store_free(&s);
    free(log.buf);
}

static memlog snap;
static int64_t snap_append(void *io, const uint8_t *rec, size_t len) { return mem_append(io, rec, len); }

Test(lxstore, snapshot_keeps_state_and_order)
{
    lx_store s;
    memlog log;
    fresh(&s, &log);
    build(&s);
    memset(&snap, 0, sizeof snap);
    cr_assert_eq(lx_store_snapshot(&s, snap_append, &snap), 0);
    lx_store r;
    lx_store_init(&r);
    cr_assert_eq(lx_store_replay(&r, snap.buf, snap.len), (int64_t)snap.len);
    check_ok(&r);
    cr_assert_eq(HASH_COUNT(r.inodes), HASH_COUNT(s.inodes));
    cr_assert_eq(at(&r, "bin/su")->ino, at(&s, "bin/su")->ino); /* st_ino is stable */
    cr_assert_eq(at(&r, "etc/su.hard"), at(&r, "bin/su"));
    /* readdir order survives */
    lx_dirent *a = at(&s, "home")->first, *b = at(&r, "home")->first;
    for (; a && b; a = a->next, b = b->next) cr_assert_eq(memcmp(LX_DIRENT_NAME(a), LX_DIRENT_NAME(b), a->name_len), 0);
    cr_assert(!a && !b);
    lx_store_free(&r);
    lx_store_free(&s);
    free(log.buf);
    free(snap.buf);
}

/* --- tar --- */

Test(tar, numbers_and_names)
{
    uint64_t v;
    cr_assert(px_tar_number((const uint8_t *)"0000644\0", 8, &v) && v == 0644);
    cr_assert(px_tar_number((const uint8_t *)"   755 \0", 8, &v) && v == 0755);
    cr_assert(!px_tar_number((const uint8_t *)"12x4\0\0\0\0", 8, &v));
    uint8_t b256[12] = {0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
    cr_assert(px_tar_number(b256, 12, &v) && v == (1ull << 32));
    char p1[] = "./a//b/./c/", p2[] = "/../x", p3[] = "./";
    cr_assert(px_tar_normalise(p1));
    cr_assert_str_eq(p1, "a/b/c");
    cr_assert(!px_tar_normalise(p2));
    cr_assert(px_tar_normalise(p3));
    cr_assert_str_eq(p3, "");
}

typedef struct membuf { const uint8_t *p; size_t len, at; } membuf;
static int64_t mem_read(void *ctx, void *buf, size_t len)
{
    membuf *m = ctx;
    if (len > m->len - m->at) len = m->len - m->at;
    memcpy(buf, m->p + m->at, len);
    m->at += len;
    return (int64_t)len;
}

static uint8_t *load(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*len);
    cr_assert_eq(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

/* The tarballs come from Python's tarfile (meson runs make_distro.py): GNU and pax. */
static void read_all(const char *path)
{
    size_t len;
    uint8_t *b = load(path, &len);
    membuf m = {b, len, 0};
    px_tar t;
    px_tar_init(&t, mem_read, &m);
    int r, n = 0, seen = 0;
    while ((r = px_tar_next(&t)) == 1) {
        n++;
        px_tar_entry *e = &t.entry;
        if (!strcmp(e->path, "bin/su")) { seen++; cr_assert_eq(e->mode, 04755); cr_assert_eq(e->size, 18); }
        if (!strcmp(e->path, "etc/motd.hard")) { seen++; cr_assert_eq(e->type, '1'); cr_assert_str_eq(e->linkpath, "etc/motd"); }
        if (!strcmp(e->path, "home/user/a:b")) { seen++; cr_assert_eq(e->uid, 1000); cr_assert_eq(e->mtime.sec, 1700000010); }
        if (strlen(e->path) > 250) { seen++; cr_assert_eq(e->type, '0'); } /* a GNU long name / pax path */
        if (!strcmp(e->path, "devices/sda")) { seen++; cr_assert_eq(e->type, '4'); cr_assert_eq(e->devmajor, 8); }
        if (!strcmp(e->path, "etc/motd")) {
            seen++;
            char buf[64] = {0};
            cr_assert_eq(px_tar_read_data(&t, buf, sizeof buf), 22);
            cr_assert_str_eq(buf, "hello from the distro\n");
        }
    }
    cr_assert_eq(r, 0, "%s: %s", path, t.err);
    size_t end = (size_t)t.offset; /* just past the first end-of-archive block */
    cr_assert_eq(seen, 6);
    cr_assert(n > 20);
    px_tar_free(&t);
    /* truncated anywhere: refused */
    size_t cuts[] = {end - 1, end - 512, end - 513, len / 2, 700, 100};
    for (size_t k = 0; k < sizeof cuts / sizeof *cuts; k++) {
        membuf c = {b, cuts[k], 0};
        px_tar_init(&t, mem_read, &c);
        while ((r = px_tar_next(&t)) == 1)
            while (px_tar_read_data(&t, (char[512]){0}, 512) > 0) {}
        cr_assert_eq(r, -1, "cut at %zu accepted", cuts[k]);
        px_tar_free(&t);
    }
    /* a flipped header byte: refused */
    b[600 + 512 * 0 + 5] ^= 1;
    membuf c = {b, len, 0};
    px_tar_init(&t, mem_read, &c);
    while ((r = px_tar_next(&t)) == 1) {}
    cr_assert_eq(r, -1);
    px_tar_free(&t);
    free(b);
}

Test(tar, gnu_format) { read_all(TAR_GNU); }
Test(tar, pax_format) { read_all(TAR_PAX); }
