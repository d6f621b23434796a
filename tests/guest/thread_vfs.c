/* The VFS under many threads (issue 9): four threads at once list a shared directory and
   stat every name in it (what starts the stat prefetch workers and fills the stat memo
   and the stat cache), while each also writes, grows, renames and removes files of its
   own and stats them after each change. Every answer is checked against what the thread
   knows it must be (a size it just wrote, a name it just renamed away), so a cache that
   one thread fills and another reads stale, or a torn listing, shows as a count of
   wrong answers; the counts printed are the same on Linux. Runs in the cwd (drvfs under
   --root, where the memo and the prefetch work). */
#include "guest.h"
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define THREADS 4
#define SHARED_FILES 60
#define ROUNDS 40

static const char *shared_dir = "thread_vfs.shared";

static void write_size(const char *path, size_t n)
{
    static const char bytes[512] = {0};
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;
    while (n) {
        size_t k = n < sizeof bytes ? n : sizeof bytes;
        if (write(fd, bytes, k) != (ssize_t)k) break;
        n -= k;
    }
    close(fd);
}

struct result {
    long listed, stat_wrong, own_wrong, gone_wrong;
};

/* One listing of the shared directory and a stat of every name: file i is i bytes. */
static void list_and_stat(struct result *r)
{
    DIR *d = opendir(shared_dir);
    if (!d) {
        r->stat_wrong++;
        return;
    }
    struct dirent *e;
    long seen = 0;
    char path[512];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        seen++;
        snprintf(path, sizeof path, "%s/%s", shared_dir, e->d_name);
        struct stat st;
        long i = atol(e->d_name + 1);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != i) r->stat_wrong++;
    }
    closedir(d);
    if (seen != SHARED_FILES) r->stat_wrong++;
    r->listed += seen;
}

static void *run(void *arg)
{
    long id = (long)arg;
    struct result *r = calloc(1, sizeof *r);
    char own[128], moved[128], dir[64];
    snprintf(dir, sizeof dir, "thread_vfs.t%ld", id);
    mkdir(dir, 0755);
    for (int round = 0; round < ROUNDS; round++) {
        list_and_stat(r);
        snprintf(own, sizeof own, "%s/f%d", dir, round % 5);
        snprintf(moved, sizeof moved, "%s/moved%d", dir, round % 5);
        struct stat st;
        for (size_t size = 1; size <= 4097; size += 1365) {
            write_size(own, size + (size_t)round);
            if (stat(own, &st) != 0 || st.st_size != (off_t)(size + (size_t)round)) r->own_wrong++;
        }
        if (rename(own, moved) != 0) r->own_wrong++;
        if (stat(own, &st) == 0) r->gone_wrong++; /* renamed away: ENOENT */
        if (stat(moved, &st) != 0 || st.st_size != (off_t)(4096 + round)) r->own_wrong++;
        if (unlink(moved) != 0) r->own_wrong++;
        if (stat(moved, &st) == 0) r->gone_wrong++;
    }
    rmdir(dir);
    return r;
}

int main(void)
{
    GUEST_START();
    mkdir(shared_dir, 0755);
    char path[256];
    for (int i = 0; i < SHARED_FILES; i++) {
        snprintf(path, sizeof path, "%s/s%d", shared_dir, i);
        write_size(path, (size_t)i);
    }
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, run, (void *)i);
    struct result total = {0};
    for (int i = 0; i < THREADS; i++) {
        struct result *r;
        pthread_join(t[i], (void **)&r);
        total.listed += r->listed;
        total.stat_wrong += r->stat_wrong;
        total.own_wrong += r->own_wrong;
        total.gone_wrong += r->gone_wrong;
        free(r);
    }
    printf("names listed: %ld\n", total.listed);
    printf("wrong stats of shared files: %ld\n", total.stat_wrong);
    printf("wrong sizes of own files: %ld\n", total.own_wrong);
    printf("names found after rename or unlink: %ld\n", total.gone_wrong);
    CHECK("every answer right", total.stat_wrong == 0 && total.own_wrong == 0 && total.gone_wrong == 0);
    for (int i = 0; i < SHARED_FILES; i++) {
        snprintf(path, sizeof path, "%s/s%d", shared_dir, i);
        unlink(path);
    }
    rmdir(shared_dir);
    return GUEST_END();
}
