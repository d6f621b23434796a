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

#include "memlog.h"

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

/* --- extended attributes: records of the store, and pax headers --- */

static int64_t get_str(const lx_store *s, uint64_t ino, const char *name, char *buf, size_t size)
{
    memset(buf, 0, size);
    return lx_store_getxattr(s, ino, name, buf, size);
}

Test(lxstore, xattr_set_replace_remove_list)
{
    lx_store s;
    memlog log;
    fresh(&s, &log);
    build(&s);
    uint64_t su = at(&s, "bin/su")->ino;
    lx_time t1 = {1800000000, 5};
    char buf[128];
    cr_assert_eq(lx_store_listxattr(&s, su, NULL, 0), 0);
    cr_assert_eq(lx_store_setxattr(&s, su, "user.b", "bee", 3, 0, t1), 0);
    cr_assert_eq(at(&s, "bin/su")->ctime.sec, 1800000000); /* a change of the inode */
    cr_assert_eq(lx_store_setxattr(&s, su, "user.a", "ay", 2, LX_XATTR_CREATE, t1), 0);
    cr_assert_eq(lx_store_setxattr(&s, su, "user.a", "x", 1, LX_XATTR_CREATE, t1), -LINUX_EEXIST);
    cr_assert_eq(lx_store_setxattr(&s, su, "user.c", "x", 1, LX_XATTR_REPLACE, t1), -LINUX_ENODATA);
    cr_assert_eq(lx_store_setxattr(&s, su, "user.a", "x", 1, LX_XATTR_CREATE | LX_XATTR_REPLACE, t1), -LINUX_EEXIST);
    cr_assert_eq(lx_store_setxattr(&s, su, "user.a", "again", 5, LX_XATTR_REPLACE, t1), 0);
    cr_assert_eq(get_str(&s, su, "user.a", buf, sizeof buf), 5);
    cr_assert_str_eq(buf, "again");
    cr_assert_eq(lx_store_getxattr(&s, su, "user.a", NULL, 0), 5);
    cr_assert_eq(lx_store_getxattr(&s, su, "user.a", buf, 4), -LINUX_ERANGE);
    cr_assert_eq(lx_store_getxattr(&s, su, "user.zz", buf, sizeof buf), -LINUX_ENODATA);
    /* the hard link shares them */
    cr_assert_eq(get_str(&s, at(&s, "etc/su.hard")->ino, "user.b", buf, sizeof buf), 3);
    /* empty and binary values */
    cr_assert_eq(lx_store_setxattr(&s, su, "security.capability", "\0\0\0\2x\0y", 7, 0, t1), 0);
    cr_assert_eq(lx_store_setxattr(&s, su, "user.empty", "", 0, 0, t1), 0);
    cr_assert_eq(lx_store_getxattr(&s, su, "user.empty", buf, sizeof buf), 0);
    cr_assert_eq(get_str(&s, su, "security.capability", buf, sizeof buf), 7);
    cr_assert_eq(memcmp(buf, "\0\0\0\2x\0y", 7), 0);
    /* the list: names descending (as Linux's tmpfs), NUL-terminated */
    const char want[] = "user.empty\0user.b\0user.a\0security.capability\0";
    cr_assert_eq(lx_store_listxattr(&s, su, NULL, 0), (int64_t)sizeof want - 1);
    cr_assert_eq(lx_store_listxattr(&s, su, buf, sizeof want - 2), -LINUX_ERANGE);
    cr_assert_eq(lx_store_listxattr(&s, su, buf, sizeof buf), (int64_t)sizeof want - 1);
    cr_assert_eq(memcmp(buf, want, sizeof want - 1), 0);
    /* remove */
    cr_assert_eq(lx_store_removexattr(&s, su, "user.b", t1), 0);
    cr_assert_eq(lx_store_removexattr(&s, su, "user.b", t1), -LINUX_ENODATA);
    cr_assert_eq(lx_store_getxattr(&s, su, "user.b", buf, sizeof buf), -LINUX_ENODATA);
    /* limits: names 1..255 bytes, values up to 64 KiB; a missing inode */
    char name[300];
    memset(name, 'n', sizeof name);
    memcpy(name, "user.", 5);
    name[255] = 0;
    cr_assert_eq(lx_store_setxattr(&s, su, name, "1", 1, 0, t1), 0);
    name[255] = 'n';
    name[256] = 0;
    cr_assert_eq(lx_store_setxattr(&s, su, name, "1", 1, 0, t1), -LINUX_ERANGE);
    cr_assert_eq(lx_store_setxattr(&s, su, "", "1", 1, 0, t1), -LINUX_ERANGE);
    char *big = calloc(1, LX_XATTR_SIZE_MAX + 1);
    cr_assert_eq(lx_store_setxattr(&s, su, "user.big", big, LX_XATTR_SIZE_MAX, 0, t1), 0);
    cr_assert_eq(lx_store_setxattr(&s, su, "user.big2", big, LX_XATTR_SIZE_MAX + 1, 0, t1), -LINUX_E2BIG);
    free(big);
    cr_assert_eq(lx_store_setxattr(&s, 9999, "user.a", "1", 1, 0, t1), -LINUX_ENOENT);
    cr_assert_eq(s.xattrs, 5);
    /* the inode goes: its xattrs with it */
    cr_assert_eq(lx_store_unlink(&s, at(&s, "bin")->ino, "su", 2), 0);
    cr_assert_eq(s.xattrs, 5); /* su.hard keeps the inode */
    cr_assert_eq(lx_store_unlink(&s, at(&s, "etc")->ino, "su.hard", 7), 0);
    cr_assert_eq(s.xattrs, 0);
    check_ok(&s);
    lx_store_free(&s);
    free(log.buf);
}

/* The xattr records replay: every prefix of the log (a crash anywhere in it) gives a
   consistent store whose xattrs are those of some whole number of changes; the whole log
   gives the final state; a torn last record is cut off. */
Test(lxstore, xattr_replay_after_cut_log)
{
    lx_store s;
    memlog log;
    fresh(&s, &log);
    build(&s);
    uint64_t fifo = at(&s, "home/fifo")->ino;
    lx_time t1 = {1800000000, 0};
    size_t marks[8];
    int n = 0;
    marks[n++] = log.len;
    cr_assert_eq(lx_store_setxattr(&s, LX_ROOT_INO, "trusted.root", "r", 1, 0, t1), 0);
    marks[n++] = log.len;
    cr_assert_eq(lx_store_setxattr(&s, fifo, "user.k", "v1", 2, 0, t1), 0);
    marks[n++] = log.len;
    char *big = malloc(5000);
    memset(big, 'B', 5000);
    cr_assert_eq(lx_store_setxattr(&s, fifo, "user.big", big, 5000, 0, t1), 0);
    marks[n++] = log.len;
    cr_assert_eq(lx_store_setxattr(&s, fifo, "user.k", "v2", 2, LX_XATTR_REPLACE, t1), 0);
    marks[n++] = log.len;
    cr_assert_eq(lx_store_removexattr(&s, fifo, "user.big", t1), 0);
    marks[n++] = log.len;
    /* what a reader sees after k whole changes: [root xattr, user.k value, has user.big] */
    const char *k_value[] = {NULL, NULL, "v1", "v1", "v2", "v2"};
    const int has_big[] = {0, 0, 0, 1, 1, 0};
    for (size_t cut = marks[0]; cut <= log.len; cut++) {
        lx_store r;
        lx_store_init(&r);
        int64_t valid = lx_store_replay(&r, log.buf, cut);
        int k = 0;
        while (k + 1 < n && marks[k + 1] <= cut) k++;
        cr_assert_eq((size_t)valid, marks[k], "cut %zu: valid %lld, want %zu", cut, (long long)valid, marks[k]);
        check_ok(&r);
        uint64_t f = at(&r, "home/fifo")->ino;
        char buf[8];
        cr_assert_eq(lx_store_getxattr(&r, LX_ROOT_INO, "trusted.root", buf, sizeof buf), k >= 1 ? 1 : -LINUX_ENODATA);
        int64_t got = get_str(&r, f, "user.k", buf, sizeof buf);
        if (k_value[k]) cr_assert(got == 2 && !strcmp(buf, k_value[k]), "cut %zu", cut);
        else cr_assert_eq(got, -LINUX_ENODATA);
        cr_assert_eq(lx_store_getxattr(&r, f, "user.big", NULL, 0), has_big[k] ? 5000 : -LINUX_ENODATA, "cut %zu", cut);
        lx_store_free(&r);
    }
    /* a flipped byte in the big value's record: the replay stops before it */
    log.buf[marks[2] + 100] ^= 1;
    lx_store r;
    lx_store_init(&r);
    cr_assert_eq(lx_store_replay(&r, log.buf, log.len), (int64_t)marks[2]);
    lx_store_free(&r);
    free(big);
    lx_store_free(&s);
    free(log.buf);
}

/* Compaction (a snapshot) keeps every inode's xattrs, the root's and a hard link's too. */
Test(lxstore, xattr_snapshot)
{
    lx_store s;
    memlog log;
    fresh(&s, &log);
    build(&s);
    lx_time t1 = {1800000000, 7};
    uint64_t su = at(&s, "bin/su")->ino, home = at(&s, "home")->ino;
    char *big = malloc(LX_XATTR_SIZE_MAX);
    for (int i = 0; i < LX_XATTR_SIZE_MAX; i++) big[i] = (char)i;
    cr_assert_eq(lx_store_setxattr(&s, su, "security.capability", "\1\0\0\2", 4, 0, t1), 0);
    cr_assert_eq(lx_store_setxattr(&s, su, "user.big", big, LX_XATTR_SIZE_MAX, 0, t1), 0);
    cr_assert_eq(lx_store_setxattr(&s, LX_ROOT_INO, "user.root", "R", 1, 0, t1), 0);
    cr_assert_eq(lx_store_setxattr(&s, home, "user.gone", "G", 1, 0, t1), 0);
    cr_assert_eq(lx_store_removexattr(&s, home, "user.gone", t1), 0);
    memset(&snap, 0, sizeof snap);
    cr_assert_eq(lx_store_snapshot(&s, snap_append, &snap), 0);
    lx_store r;
    lx_store_init(&r);
    cr_assert_eq(lx_store_replay(&r, snap.buf, snap.len), (int64_t)snap.len);
    check_ok(&r);
    cr_assert_eq(r.xattrs, 3);
    char *back = malloc(LX_XATTR_SIZE_MAX);
    cr_assert_eq(lx_store_getxattr(&r, at(&r, "etc/su.hard")->ino, "user.big", back, LX_XATTR_SIZE_MAX), LX_XATTR_SIZE_MAX);
    cr_assert_eq(memcmp(back, big, LX_XATTR_SIZE_MAX), 0);
    cr_assert_eq(lx_store_getxattr(&r, su, "security.capability", back, 16), 4);
    cr_assert_eq(lx_store_getxattr(&r, LX_ROOT_INO, "user.root", back, 16), 1);
    cr_assert_eq(lx_store_listxattr(&r, home, NULL, 0), 0);
    /* times survive: the ctime the snapshot's records carry is the inode's */
    cr_assert_eq(at(&r, "bin/su")->ctime.sec, 1800000000);
    cr_assert_eq(at(&r, "bin/su")->ctime.nsec, 7);
    lx_store_free(&r);
    lx_store_free(&s);
    free(big);
    free(back);
    free(log.buf);
    free(snap.buf);
}

/* A pax archive written here: a header with SCHILY.xattr (raw bytes, a NUL inside) and
   LIBARCHIVE.xattr (URL-encoded name, base64 value) records, then the file. */
static void tar_header(uint8_t *b, const char *name, char type, size_t size)
{
    memset(b, 0, 512);
    snprintf((char *)b, 100, "%s", name);
    snprintf((char *)b + 100, 8, "%07o", 0644);
    snprintf((char *)b + 108, 8, "%07o", 0);
    snprintf((char *)b + 116, 8, "%07o", 0);
    snprintf((char *)b + 124, 12, "%011zo", size);
    snprintf((char *)b + 136, 12, "%011o", 1700000000);
    b[156] = (uint8_t)type;
    memcpy(b + 257, "ustar\0" "00", 8);
    memset(b + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += b[i];
    snprintf((char *)b + 148, 8, "%06o", sum);
}

static size_t pax_record(char *out, const char *key, const char *value, size_t vlen)
{
    size_t body = 1 + strlen(key) + 1 + vlen + 1, len = body + 1;
    while (snprintf(NULL, 0, "%zu", len) + body != len) len++;
    size_t n = (size_t)sprintf(out, "%zu %s=", len, key);
    memcpy(out + n, value, vlen);
    out[n + vlen] = '\n';
    return len;
}

Test(tar, pax_xattrs)
{
    char pax[1024];
    size_t plen = 0;
    plen += pax_record(pax + plen, "SCHILY.xattr.user.raw", "a\0b=c", 5);
    plen += pax_record(pax + plen, "LIBARCHIVE.xattr.user.sp%20ace", "aGVsbG8", 7); /* "hello", no padding */
    plen += pax_record(pax + plen, "SCHILY.xattr.security.capability", "\1\0\0\2", 4);
    plen += pax_record(pax + plen, "LIBARCHIVE.xattr.security.capability", "AQAAAg==", 8); /* the same: one kept */
    uint8_t *b = calloc(1, 512 * 8);
    tar_header(b, "PaxHeaders/f", 'x', plen);
    memcpy(b + 512, pax, plen);
    tar_header(b + 1024, "f", '0', 3);
    memcpy(b + 1536, "abc", 3);
    membuf m = {b, 512 * 8, 0};
    px_tar t;
    px_tar_init(&t, mem_read, &m);
    cr_assert_eq(px_tar_next(&t), 1, "%s", t.err);
    px_tar_entry *e = &t.entry;
    cr_assert_str_eq(e->path, "f");
    cr_assert_eq(e->nxattrs, 3);
    cr_assert_str_eq(e->xattrs[0].name, "user.raw");
    cr_assert_eq(e->xattrs[0].size, 5);
    cr_assert_eq(memcmp(e->xattrs[0].value, "a\0b=c", 5), 0);
    cr_assert_str_eq(e->xattrs[1].name, "user.sp ace");
    cr_assert_eq(e->xattrs[1].size, 5);
    cr_assert_eq(memcmp(e->xattrs[1].value, "hello", 5), 0);
    cr_assert_str_eq(e->xattrs[2].name, "security.capability");
    cr_assert_eq(e->xattrs[2].size, 4);
    cr_assert_eq(memcmp(e->xattrs[2].value, "\1\0\0\2", 4), 0);
    char data[8] = {0};
    cr_assert_eq(px_tar_read_data(&t, data, sizeof data), 3);
    cr_assert_eq(px_tar_next(&t), 0, "%s", t.err); /* the next entry has none */
    px_tar_free(&t);
    /* a bad base64 value makes the header corrupt */
    plen = pax_record(pax, "LIBARCHIVE.xattr.user.x", "!!!", 3);
    tar_header(b, "PaxHeaders/f", 'x', plen);
    memset(b + 512, 0, 512);
    memcpy(b + 512, pax, plen);
    m = (membuf){b, 512 * 8, 0};
    px_tar_init(&t, mem_read, &m);
    cr_assert_eq(px_tar_next(&t), -1);
    px_tar_free(&t);
    free(b);
}
