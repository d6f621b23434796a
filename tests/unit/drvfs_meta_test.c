/* The drvfs metadata store (src/fs/drvfs_meta_store.c) with its log in memory: puts and
   drops replay to the same state, every prefix of the log replays to a state some moment
   of the writer had (a torn record is cut, never half applied), a corrupt record stops
   the replay, and a snapshot replays to the live state. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "core/px.h"
#include "fs/drvfs_meta_store.h"

#include "memlog.h"

static void fresh(dm_store *s, memlog *log)
{
    dm_store_init(s);
    memset(log, 0, sizeof *log);
    mem_append(log, (const uint8_t *)DM_LOG_MAGIC, DM_LOG_HEADER);
    s->append = mem_append;
    s->io = log;
}

static dm_meta meta(uint32_t mode, uint32_t uid)
{
    dm_meta m = {.have = DM_HAVE_MODE | DM_HAVE_OWNER | DM_HAVE_MARK, .mode = mode, .uid = uid, .gid = uid + 1};
    return m;
}

static bool same_state(const dm_store *a, const dm_store *b)
{
    if (HASH_COUNT(a->entries) != HASH_COUNT(b->entries) || a->specials != b->specials) return false;
    for (dm_entry *e = a->entries; e; e = e->hh.next) {
        const dm_meta *m = dm_store_get(b, e->key.dev, e->key.ino);
        if (!m || memcmp(m, &e->meta, sizeof *m)) return false;
    }
    return true;
}

Test(drvfs_meta, put_get_drop_replay)
{
    dm_store s;
    memlog log;
    fresh(&s, &log);
    dm_meta a = meta(LINUX_S_IFREG | 04755, 1000);
    cr_assert_eq(dm_store_put(&s, 7, 100, &a), 0);
    dm_meta f = meta(LINUX_S_IFIFO | 0640, 0);
    cr_assert_eq(dm_store_put(&s, 7, 101, &f), 0);
    cr_assert_eq(s.specials, 1);
    dm_meta t = {.have = DM_HAVE_MTIME, .mtime_sec = 1500000000, .mtime_nsec = 123456789, .mtime_host = 42};
    cr_assert_eq(dm_store_put(&s, 8, 100, &t), 0); /* the same index on another volume */
    cr_assert_eq(dm_store_get(&s, 7, 100)->mode, LINUX_S_IFREG | 04755);
    cr_assert_eq(dm_store_get(&s, 8, 100)->mtime_nsec, 123456789);
    cr_assert_eq(dm_store_drop(&s, 7, 101), 0);
    cr_assert_eq(s.specials, 0);
    cr_assert_null(dm_store_get(&s, 7, 101));
    cr_assert_eq(dm_store_drop(&s, 7, 999), 0); /* nothing to drop: no record written */
    dm_meta bad = {.have = DM_HAVE_ATIME, .atime_nsec = 1000000000};
    cr_assert_eq(dm_store_put(&s, 1, 1, &bad), -LINUX_EINVAL);

    dm_store r;
    dm_store_init(&r);
    cr_assert_eq(dm_store_replay(&r, log.buf, log.len), (int64_t)log.len);
    cr_assert(same_state(&s, &r));
    dm_store_free(&r);
    dm_store_free(&s);
    free(log.buf);
}

Test(drvfs_meta, every_prefix_is_a_moment_of_the_writer)
{
    dm_store s;
    memlog log;
    fresh(&s, &log);
    size_t ends[64];
    dm_store states[64];
    int n = 0;
    for (int i = 0; i < 40; i++) {
        dm_meta m = meta(LINUX_S_IFREG | (uint32_t)(i * 7 % 07777), (uint32_t)i);
        if (i % 5 == 4) dm_store_drop(&s, 1, (uint64_t)(i - 2));
        else dm_store_put(&s, 1, (uint64_t)(i % 9), &m);
        ends[n] = log.len;
        dm_store_init(&states[n]);
        cr_assert_eq(dm_store_replay(&states[n], log.buf, log.len), (int64_t)log.len);
        n++;
    }
    for (size_t cut = DM_LOG_HEADER; cut <= log.len; cut++) {
        dm_store r;
        dm_store_init(&r);
        int64_t valid = dm_store_replay(&r, log.buf, cut);
        int k = -1;
        for (int i = 0; i < n; i++)
            if (ends[i] <= cut) k = i;
        size_t want = k < 0 ? DM_LOG_HEADER : ends[k];
        cr_assert_eq(valid, (int64_t)want, "cut at %zu", cut);
        if (k >= 0) cr_assert(same_state(&r, &states[k]), "cut at %zu", cut);
        else cr_assert_null(r.entries);
        dm_store_free(&r);
    }
    /* a flipped byte in a record stops the replay there */
    log.buf[ends[10] + 12] ^= 0x40;
    dm_store r;
    dm_store_init(&r);
    cr_assert_eq(dm_store_replay(&r, log.buf, log.len), (int64_t)ends[10]);
    cr_assert(same_state(&r, &states[10]));
    dm_store_free(&r);
    cr_assert_eq(dm_store_replay(&r, (const uint8_t *)"NOTALOG!", 8), -1);
    for (int i = 0; i < n; i++) dm_store_free(&states[i]);
    dm_store_free(&s);
    free(log.buf);
}

Test(drvfs_meta, snapshot_replays_to_the_live_state)
{
    dm_store s;
    memlog log;
    fresh(&s, &log);
    for (int i = 0; i < 100; i++) {
        dm_meta m = meta(i % 3 ? LINUX_S_IFREG | 0600 : LINUX_S_IFCHR | 0666, (uint32_t)i);
        dm_store_put(&s, 2, (uint64_t)(i % 17), &m);
    }
    memlog snap = {0};
    cr_assert_eq(dm_store_snapshot(&s, mem_append, &snap), 0);
    dm_store r;
    dm_store_init(&r);
    cr_assert_eq(dm_store_replay(&r, snap.buf, snap.len), (int64_t)snap.len);
    cr_assert(same_state(&s, &r));
    cr_assert_eq(r.records, 17);
    dm_store_free(&r);
    dm_store_free(&s);
    free(log.buf);
    free(snap.buf);
}
