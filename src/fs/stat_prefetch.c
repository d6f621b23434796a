/* Stats of a listed drvfs directory fetched ahead, for `ls -l` of files seen for the
   first time.

   The first stat of a drvfs file costs three wineserver round trips (open, the query
   that fetches the handle's Unix fd, close; ~150 us under Wine) to learn its inode, link
   count and exec bit (stat.c); later ones are answered by the stat memo. A program that
   lists a directory and then stats its files one by one waits for those trips in turn,
   while the server could serve more at once (measured: two threads stat 10,000 files in
   1.0 s where one takes 1.8 s). So when the guest stats a second file of the directory it
   listed last, two worker threads start on the same files from the other end of the
   listing: the guest goes forwards, the workers backwards, and they meet in the middle.
   What a worker learns lands in the stat memo and the short-lived stat cache, where the
   guest's own stat finds it; a stat the two do at the same time is only done twice.
   A listing that is not followed by stats (find, os.listdir) costs nothing. */
#include "fs/fs_internal.h"
#include "fs/vfs.h"
#include "host/host_sync.h"
#include "host/host_thread.h"

#define PREFETCH_WORKERS 2
#define PREFETCH_NAMES_MAX 65536

static px_host_rwlock lock = PX_HOST_RWLOCK_INIT;
static px_host_cond work_ready = PX_HOST_COND_INIT;
static bool workers_started, stopping;
static px_host_handle workers[PREFETCH_WORKERS]; /* joined at exit */
static __thread bool is_worker;

/* The regular files of the directory listed last, in listing order. */
static struct {
    px_mount *mount;
    char *dir;          /* its path inside the mount */
    char **names;
    size_t count, cap;
    size_t guest_stats; /* stats the guest made of names in it */
    size_t taken;       /* names the workers took, from the end */
    bool started;
} listing;

static void forget_listing(void)
{
    for (size_t i = 0; i < listing.count; i++) px_free(listing.names[i]);
    px_free(listing.names);
    px_free(listing.dir);
    memset(&listing, 0, sizeof listing);
}

static bool parent_is_listed(px_mount *m, const char *rel)
{
    if (!listing.dir || listing.mount != m) return false;
    const char *slash = strrchr(rel, '/');
    size_t n = slash ? (size_t)(slash - rel) : 0;
    return strlen(listing.dir) == n && !strncmp(listing.dir, rel, n);
}

void px_stat_prefetch_note(px_mount *m, const char *dir_rel, const char *name)
{
    if (is_worker) return;
    px_host_rwlock_lock(&lock);
    if (!listing.dir || listing.mount != m || strcmp(listing.dir, dir_rel)) {
        forget_listing();
        listing.mount = m;
        listing.dir = px_strdup(dir_rel);
    }
    if (listing.dir && !listing.started && listing.count < PREFETCH_NAMES_MAX) {
        if (listing.count == listing.cap) {
            size_t cap = listing.cap ? listing.cap * 2 : 256;
            char **grown = px_realloc(listing.names, cap * sizeof *grown);
            if (grown) listing.names = grown, listing.cap = cap;
        }
        char *copy = listing.count < listing.cap ? px_strdup(name) : NULL;
        if (copy) listing.names[listing.count++] = copy;
    }
    px_host_rwlock_unlock(&lock);
}

static void worker(void *unused)
{
    (void)unused;
    is_worker = true;
    px_host_rwlock_lock(&lock);
    for (;;) {
        while (!stopping && !(listing.started && listing.taken + listing.guest_stats < listing.count))
            px_host_cond_wait(&work_ready, &lock, PX_HOST_FOREVER);
        if (stopping) break;
        const char *name = listing.names[listing.count - 1 - listing.taken++];
        size_t dir_len = strlen(listing.dir), name_len = strlen(name);
        char *rel = px_alloc(dir_len + name_len + 2);
        px_mount *m = listing.mount;
        if (rel) {
            memcpy(rel, listing.dir, dir_len);
            size_t at = dir_len;
            if (dir_len) rel[at++] = '/';
            memcpy(rel + at, name, name_len + 1);
        }
        px_host_rwlock_unlock(&lock);
        if (rel) {
            px_stat_info st;
            px_nt_stat_path(m, rel, &st); /* for the stat memo and the stat cache */
            px_free(rel);
        }
        px_host_rwlock_lock(&lock);
    }
    px_host_rwlock_unlock(&lock);
}

void px_stat_prefetch_guest_stat(px_mount *m, const char *rel)
{
    if (is_worker) return;
    px_host_rwlock_lock(&lock);
    if (parent_is_listed(m, rel) && !stopping) {
        listing.guest_stats++;
        if (listing.guest_stats >= 2 && !listing.started && listing.count > 4) {
            listing.started = true;
            if (!workers_started) {
                workers_started = true;
                for (int i = 0; i < PREFETCH_WORKERS; i++)
                    workers[i] = px_host_thread_start(worker, NULL, 64 * 1024);
            }
            px_host_cond_wake_all(&work_ready);
        }
    }
    px_host_rwlock_unlock(&lock);
}

void px_stat_prefetch_stop(void)
{
    px_host_rwlock_lock(&lock);
    stopping = true;
    px_host_cond_wake_all(&work_ready);
    px_host_rwlock_unlock(&lock);
    /* The workers end before the process does. A stat in flight ends within milliseconds;
       a worker still in a wineserver call when the process ends gets "wine client error"
       (its socket is reset under it) on our stderr, and one ended inside the heap or a
       lock would leave it so for the exit path. */
    px_host_handle running[PREFETCH_WORKERS];
    size_t n = 0;
    for (int i = 0; i < PREFETCH_WORKERS; i++)
        if (workers[i]) running[n++] = workers[i];
    if (n) px_host_wait_all(n, running, 2000);
}
