/* /proc and threads (issue 9): /proc/self/task lists a directory per thread, each with
   its comm (PR_SET_NAME per thread), stat (its tid first) and status; /proc/self/status
   counts the Threads: while they run and after they are joined; /proc/thread-self is
   <pid>/task/<tid>. Names are printed sorted: the listing's order is the kernel's. */
#include "guest.h"
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_barrier_t barrier;

static void *worker(void *arg)
{
    char name[16];
    snprintf(name, sizeof name, "worker-%ld", (long)arg);
    prctl(PR_SET_NAME, name);
    pthread_barrier_wait(&barrier); /* named */
    pthread_barrier_wait(&barrier); /* looked at */
    return arg;
}

static void line_of(const char *path, const char *key)
{
    char buf[4096];
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("%s: missing\n", path);
        guest_failures++;
        return;
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    char *at = strstr(buf, key);
    printf("%s %s\n", key, at ? "" : "missing");
    if (at) printf("  %.*s\n", (int)strcspn(at, "\n"), at);
}

static int by_name(const void *a, const void *b) { return strcmp(a, b); }

int main(void)
{
    GUEST_START();
    pthread_barrier_init(&barrier, NULL, 4);
    pthread_t t[3];
    for (long i = 0; i < 3; i++) pthread_create(&t[i], NULL, worker, (void *)i);
    pthread_barrier_wait(&barrier);

    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    char names[8][32];
    int n = 0, numeric = 0;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        numeric += strspn(e->d_name, "0123456789") == strlen(e->d_name);
        char path[300], comm[32] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(comm, sizeof comm, f)) comm[0] = 0;
            fclose(f);
        }
        comm[strcspn(comm, "\n")] = 0;
        if (n < 8) snprintf(names[n++], sizeof names[0], "%s", comm);
    }
    if (d) closedir(d);
    qsort(names, (size_t)n, sizeof names[0], by_name);
    printf("task directories: %d, named by number: %d, comms:", n, numeric);
    for (int i = 0; i < n; i++) printf(" %s", names[i]);
    printf("\n");
    line_of("/proc/self/status", "Threads:");

    char path[100];
    snprintf(path, sizeof path, "/proc/self/task/%ld/stat", (long)syscall(SYS_gettid));
    FILE *f = fopen(path, "r");
    int first = 0;
    if (f) {
        if (fscanf(f, "%d", &first) != 1) first = 0;
        fclose(f);
    }
    CHECK("the first thread's task stat starts with its tid (the pid)", first == getpid());
    char link[100] = "", want[100];
    if (readlink("/proc/thread-self", link, sizeof link - 1) < 0) link[0] = 0;
    snprintf(want, sizeof want, "%d/task/%d", (int)getpid(), (int)getpid());
    CHECK("/proc/thread-self is <pid>/task/<tid>", !strcmp(link, want));

    pthread_barrier_wait(&barrier);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    line_of("/proc/self/status", "Threads:");
    return GUEST_END();
}
