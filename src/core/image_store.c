/* The image cache's files (image_store.h). */
#include <stdio.h>
#include <stdlib.h>
#include "core/home.h"
#include "core/image_store.h"
#include "core/px.h"
#include "host/host_build.h"
#include "host/host_env.h"
#include "host/host_file.h"
#include "host/host_fileinfo.h"
#include "host/host_process.h"
#include "host/host_section.h"
#include "host/host_time.h"

/* ---- the hash ---- */

#define MUL 0x9E3779B97F4A7C15ull /* odd: multiplying by it is a bijection */

static inline uint64_t lane_step(uint64_t s, uint64_t w)
{
    s = (s ^ w) * MUL;
    return s ^ (s >> 29);
}

static inline uint64_t final_mix(uint64_t x)
{
    x ^= x >> 31;
    x *= 0xD6E8FEB86659FD93ull;
    x ^= x >> 32;
    x *= 0xD6E8FEB86659FD93ull;
    return x ^ (x >> 29);
}

void px_hash128(const void *data, size_t len, uint64_t seed, uint64_t out[2])
{
    const uint8_t *p = data;
    uint64_t a = seed ^ 0x243F6A8885A308D3ull, b = seed ^ 0x13198A2E03707344ull, c = ~seed, d = seed + len;
    size_t i = 0;
    for (; i + 32 <= len; i += 32) { /* four independent chains: the multiplies overlap */
        uint64_t w[4];
        memcpy(w, p + i, 32);
        a = lane_step(a, w[0]);
        b = lane_step(b, w[1]);
        c = lane_step(c, w[2]);
        d = lane_step(d, w[3]);
    }
    uint64_t tail[4] = {0};
    memcpy(tail, p + i, len - i);
    a = lane_step(a, tail[0]);
    b = lane_step(b, tail[1]);
    c = lane_step(c, tail[2]);
    d = lane_step(d, tail[3] ^ len);
    out[0] = final_mix(a ^ final_mix(c + len));
    out[1] = final_mix(b ^ final_mix(d ^ out[0]));
}

/* ---- files ---- */

#define FORMAT_MAGIC 0x31434D4958505850ull /* "PXPXIMC1" */

typedef struct file_head {
    uint64_t magic;
    uint64_t key[2];
    uint64_t payload_len;
    uint64_t payload_hash[2];
} file_head;

static int cache_state = -1; /* -1 not read yet, 0 off, 1 on */

bool px_image_cache_on(void)
{
    if (cache_state < 0) {
        char v[8];
        bool off = px_host_env_get("PICOLX_IMAGE_CACHE", v, sizeof v) > 0 && !strcmp(v, "off");
        cache_state = off ? 0 : 1;
    }
    return cache_state == 1;
}

/* <home>\image-cache[\leaf] (px_alloc'd), the directories made when create. */
static wchar_t *cache_path(const wchar_t *leaf, bool create)
{
    wchar_t *dir = px_home_path(L"image-cache", create);
    if (!dir) return NULL;
    if (create) px_host_dir_create(dir);
    if (!leaf) return dir;
    size_t n = wcslen(dir) + wcslen(leaf) + 2;
    wchar_t *path = px_alloc(n * sizeof *path);
    if (path) swprintf(path, n, L"%ls\\%ls", dir, leaf);
    px_free(dir);
    return path;
}

/* Which build of picolx wrote an entry: the first 8 hex digits of its name. Entries of
   other builds never match this one's keys; unused for an hour, they are swept. */
static uint32_t generation(void)
{
    uint64_t stamp = px_host_build_stamp(), h[2];
    px_hash128(&stamp, sizeof stamp, 1, h);
    return (uint32_t)h[0];
}

#define OTHER_BUILD_UNUSED (3600ll * 10000000) /* an hour, in 100 ns units */

static wchar_t *entry_path(const uint64_t key[2], bool create)
{
    wchar_t leaf[64];
    swprintf(leaf, 64, L"%08x-%016llx%016llx.pxc", generation(), (unsigned long long)key[0],
             (unsigned long long)key[1]);
    return cache_path(leaf, create);
}

int64_t px_image_cache_get(const uint64_t key[2], const void **payload, size_t *len)
{
    wchar_t *path = entry_path(key, false);
    if (!path) return -LINUX_ENOENT;
    px_host_handle h;
    /* writable to mark its use; a home that is read-only is read all the same */
    int64_t rc = px_host_file_open(path, PX_HOST_FILE_READ | PX_HOST_FILE_WRITE, PX_HOST_OPEN_EXISTING, 0, &h);
    if (rc == -LINUX_EACCES || rc == -LINUX_EPERM || rc == -LINUX_EROFS)
        rc = px_host_file_open(path, PX_HOST_FILE_READ, PX_HOST_OPEN_EXISTING, 0, &h);
    if (rc < 0) {
        px_free(path);
        return -LINUX_ENOENT;
    }
    /* mapped, not read: its pages come from the file cache (an entry is replaced by a
       rename, never written in place, so what is mapped stays whole) */
    uint64_t size = 0;
    const uint8_t *view = NULL;
    file_head head;
    bool good = px_host_file_size(h, &size) == 0 && size >= sizeof head && size == (size_t)size &&
                px_host_file_view(h, (size_t)size, (const void **)&view) == 0;
    if (good) {
        memcpy(&head, view, sizeof head);
        good = head.magic == FORMAT_MAGIC && head.key[0] == key[0] && head.key[1] == key[1] &&
               head.payload_len == size - sizeof head;
    }
    if (good) {
        uint64_t sum[2];
        px_hash128(view + sizeof head, (size_t)head.payload_len, FORMAT_MAGIC, sum);
        good = sum[0] == head.payload_hash[0] && sum[1] == head.payload_hash[1];
    }
    /* the last use, for eviction */
    if (good) px_host_file_set_basic(h, 0, 0, px_host_time_coarse(), 0, 0);
    px_host_close(h);
    if (!good) {
        if (view) px_host_file_unview(view);
        /* only a file that is complete can be there (rename): this one is damaged */
        if (size >= sizeof head) px_host_file_delete(path);
        px_free(path);
        return -LINUX_ENOENT;
    }
    px_free(path);
    *payload = view + sizeof head;
    *len = (size_t)head.payload_len;
    return 0;
}

void px_image_cache_release(const void *payload)
{
    px_host_file_unview((const uint8_t *)payload - sizeof(file_head));
}

uint64_t px_image_cache_limit(void)
{
    uint64_t limit = 1024ull << 20;
    wchar_t *path = px_home_path(L"image-cache-limit", false);
    px_host_handle h;
    if (path && px_host_file_open(path, PX_HOST_FILE_READ, PX_HOST_OPEN_EXISTING, 0, &h) == 0) {
        char text[32] = {0};
        int64_t n = px_host_file_read(h, text, sizeof text - 1);
        px_host_close(h);
        char *end;
        unsigned long long v = n > 0 ? strtoull(text, &end, 10) : 0;
        if (n > 0 && end != text) limit = *end == 'K' || *end == 'k' ? v << 10 : *end == 'G' || *end == 'g' ? v << 30 : v << 20;
    }
    px_free(path);
    return limit;
}

/* ---- walking the directory ---- */

typedef struct found {
    wchar_t name[64];
    uint64_t size;
    int64_t used;
    bool tmp;
    bool other_build;
} found;

typedef struct walk {
    wchar_t *dir;
    found *items;
    size_t count, cap;
} walk;

static bool walk_entry(void *ctx, const wchar_t *name, uint32_t attrs)
{
    walk *w = ctx;
    size_t n = wcslen(name);
    bool tmp = n > 4 && !wcscmp(name + n - 4, L".tmp");
    if ((attrs & PX_HOST_ATTR_DIRECTORY) || n >= 64 || (!tmp && (n < 4 || wcscmp(name + n - 4, L".pxc"))))
        return true;
    if (w->count == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        found *grown = px_realloc(w->items, cap * sizeof *grown);
        if (!grown) return false;
        w->items = grown;
        w->cap = cap;
    }
    found *f = &w->items[w->count];
    wcscpy(f->name, name);
    f->tmp = tmp;
    wchar_t *end;
    f->other_build = n < 9 || name[8] != L'-' || (uint32_t)wcstoul(name, &end, 16) != generation() || end != name + 8;
    size_t pn = wcslen(w->dir) + n + 2;
    wchar_t *path = px_alloc(pn * sizeof *path);
    px_host_file_attrs a;
    if (!path) return false;
    swprintf(path, pn, L"%ls\\%ls", w->dir, name);
    bool ok = px_host_path_info(path, &a) == 0;
    px_free(path);
    if (!ok) return true; /* gone meanwhile */
    f->size = (uint64_t)a.size;
    f->used = a.write_time;
    w->count++;
    return true;
}

static int64_t walk_cache(walk *w)
{
    *w = (walk){.dir = cache_path(NULL, false)};
    if (!w->dir) return -LINUX_ENOENT;
    return px_host_dir_list(w->dir, L"*", walk_entry, w);
}

static void walk_free(walk *w)
{
    px_free(w->items);
    px_free(w->dir);
}

static void delete_found(const walk *w, const found *f)
{
    size_t pn = wcslen(w->dir) + wcslen(f->name) + 2;
    wchar_t *path = px_alloc(pn * sizeof *path);
    if (!path) return;
    swprintf(path, pn, L"%ls\\%ls", w->dir, f->name);
    px_host_file_delete(path);
    px_free(path);
}

static int by_use(const void *x, const void *y)
{
    const found *a = x, *b = y;
    return a->used < b->used ? -1 : a->used > b->used;
}

/* Sweeps temporary files older than a minute (their writers are gone) and entries of
   other builds unused for an hour, and, while the
   entries are over the limit, the least recently used ones (down to 90% of it, so that
   the next few stores do not walk the directory again at once). */
static void evict(void)
{
    walk w;
    if (walk_cache(&w) < 0) {
        walk_free(&w);
        return;
    }
    uint64_t limit = px_image_cache_limit(), total = 0;
    int64_t now = px_host_time_coarse();
    for (size_t i = 0; i < w.count; i++) {
        const found *f = &w.items[i];
        if ((f->tmp && now - f->used > 600000000ll) || (!f->tmp && f->other_build && now - f->used > OTHER_BUILD_UNUSED)) {
            delete_found(&w, f);
            w.items[i].tmp = true; /* gone: not counted below */
            continue;
        }
        if (!f->tmp) total += f->size;
    }
    if (total > limit) {
        qsort(w.items, w.count, sizeof *w.items, by_use);
        for (size_t i = 0; i < w.count && total > limit - limit / 10; i++) {
            if (w.items[i].tmp) continue;
            delete_found(&w, &w.items[i]);
            total -= w.items[i].size;
        }
    }
    walk_free(&w);
}

void px_image_cache_put(const uint64_t key[2], const void *payload, size_t len)
{
    static uint32_t serial;
    wchar_t *path = entry_path(key, true);
    if (!path) return;
    size_t tn = wcslen(path) + 40;
    wchar_t *tmp = px_alloc(tn * sizeof *tmp);
    if (!tmp) {
        px_free(path);
        return;
    }
    /* a name no other writer uses: concurrent fillers each rename a complete file */
    swprintf(tmp, tn, L"%ls.%u.%u.tmp", path, px_host_pid(), __atomic_add_fetch(&serial, 1, __ATOMIC_RELAXED));
    file_head head = {.magic = FORMAT_MAGIC, .key = {key[0], key[1]}, .payload_len = len};
    px_hash128(payload, len, FORMAT_MAGIC, head.payload_hash);
    px_host_handle h;
    if (px_host_file_open(tmp, PX_HOST_FILE_WRITE, PX_HOST_CREATE_NEW, 0, &h) == 0) {
        bool ok = px_host_file_write(h, &head, sizeof head) == (int64_t)sizeof head &&
                  px_host_file_write(h, payload, len / 2) == (int64_t)(len / 2);
        /* For the test of a writer killed midway (tests/e2e/image_cache_e2e.py): the
           process ends here, its entry half written. */
        char die[4];
        if (px_host_env_get("PICOLX_TEST_IMAGE_CACHE_DIE", die, sizeof die) > 0) px_host_exit(137);
        ok = ok && px_host_file_write(h, (const uint8_t *)payload + len / 2, len - len / 2) == (int64_t)(len - len / 2);
        px_host_close(h);
        if (!ok || px_host_path_move(tmp, path, PX_HOST_MOVE_REPLACE) < 0) px_host_file_delete(tmp);
    }
    px_free(tmp);
    px_free(path);
    evict();
}

int64_t px_image_cache_list(void (*fn)(void *ctx, const char *name, uint64_t size, int64_t used), void *ctx,
                            uint64_t *count, uint64_t *bytes)
{
    walk w;
    int64_t rc = walk_cache(&w);
    *count = *bytes = 0;
    if (rc == 0) qsort(w.items, w.count, sizeof *w.items, by_use);
    for (size_t i = 0; rc == 0 && i < w.count; i++) {
        if (w.items[i].tmp) continue;
        char name[64];
        size_t k = 0;
        for (; w.items[i].name[k] && k < sizeof name - 1; k++) name[k] = (char)w.items[i].name[k]; /* hex and ".pxc" */
        name[k] = 0;
        if (fn) fn(ctx, name, w.items[i].size, w.items[i].used);
        (*count)++;
        *bytes += w.items[i].size;
    }
    walk_free(&w);
    return rc == -LINUX_ENOENT ? 0 : rc;
}

int64_t px_image_cache_clear(void)
{
    walk w;
    int64_t rc = walk_cache(&w);
    for (size_t i = 0; rc == 0 && i < w.count; i++) delete_found(&w, &w.items[i]);
    walk_free(&w);
    return rc == -LINUX_ENOENT ? 0 : rc;
}

