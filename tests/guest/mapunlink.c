/* A mapped file can be unlinked and renamed over, as on Linux: the mappings (MAP_SHARED
   and MAP_PRIVATE) keep the old data, the name is gone at once (stat, readdir), a new
   file can take the name while the old one is still mapped, and munmap afterwards works.
   Runs in the directory given (default: the cwd, a fresh directory per run); the last
   file stays mapped, unlinked, until exit. */
#include "guest.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096
#define SIZE (3 * PAGE + 100)

static char pattern(size_t i, int salt) { return (char)('a' + (i * 7 + (size_t)salt) % 26); }

static int make_file(const char *name, int salt)
{
    int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    char *buf = malloc(SIZE);
    for (size_t i = 0; i < SIZE; i++) buf[i] = pattern(i, salt);
    ssize_t n = write(fd, buf, SIZE);
    free(buf);
    if (n != SIZE) {
        close(fd);
        return -1;
    }
    return fd;
}

static int has_pattern(const char *m, int salt)
{
    for (size_t i = 0; i < SIZE; i++)
        if (m[i] != pattern(i, salt)) return 0;
    return 1;
}

/* The names in the directory, sorted, on one line (hidden ones too). */
static void list_dir(const char *label)
{
    DIR *d = opendir(".");
    static char names[64][256];
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) && n < 64) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(names[n++], sizeof names[0], "%s", e->d_name);
    }
    if (d) closedir(d);
    qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    printf("%s:", label);
    for (int i = 0; i < n; i++) printf(" %s", names[i]);
    printf("\n");
}

static void stat_gone(const char *label, const char *name)
{
    struct stat st;
    EXPECT_ERRNO(label, stat(name, &st), ENOENT);
}

static int read_file_is(const char *name, const char *want, size_t len)
{
    char got[64] = {0};
    int fd = open(name, O_RDONLY);
    if (fd < 0) return 0;
    ssize_t n = read(fd, got, sizeof got);
    close(fd);
    return n == (ssize_t)len && memcmp(got, want, len) == 0;
}

/* unlink of a file whose only users are its mappings (the fd is closed) */
static void unlink_mapped(void)
{
    int fd = make_file("mapped.dat", 1);
    CHECK("create mapped.dat", fd >= 0);
    char *shared = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *private = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK("mmap shared", shared != MAP_FAILED);
    CHECK("mmap private", private != MAP_FAILED);
    close(fd);
    if (shared == MAP_FAILED || private == MAP_FAILED) return;

    CHECK("unlink mapped.dat", unlink("mapped.dat") == 0);
    stat_gone("stat after unlink", "mapped.dat");
    list_dir("listing after unlink");
    CHECK("shared mapping keeps the data", has_pattern(shared, 1));
    CHECK("private mapping keeps the data", has_pattern(private, 1));

    /* the name is free while the old file is still mapped */
    int nfd = open("mapped.dat", O_RDWR | O_CREAT | O_EXCL, 0644);
    CHECK("create a new mapped.dat", nfd >= 0);
    CHECK("write the new file", write(nfd, "new file", 8) == 8);
    close(nfd);
    list_dir("listing with the new file");

    /* the private page is copied before the shared one changes (Linux's private pages
       see the file's changes until they are written) */
    private[1] = 'Z';
    shared[0] = 'X';
    shared[SIZE - 1] = 'Y';
    CHECK("write through shared mapping", shared[0] == 'X' && shared[SIZE - 1] == 'Y');
    CHECK("write through private mapping", private[1] == 'Z' && private[0] == pattern(0, 1));
    CHECK("new file untouched by the old mapping", read_file_is("mapped.dat", "new file", 8));
    CHECK("msync after unlink", msync(shared, SIZE, MS_SYNC) == 0);
    CHECK("munmap shared", munmap(shared, SIZE) == 0);
    CHECK("munmap private", munmap(private, SIZE) == 0);
    CHECK("new file still there", read_file_is("mapped.dat", "new file", 8));
    list_dir("listing after munmap");
    CHECK("unlink the new file", unlink("mapped.dat") == 0);
}

/* unlink while both the fd and a mapping hold the file; the fd still works afterwards */
static void unlink_mapped_and_open(void)
{
    int fd = make_file("open.dat", 2);
    CHECK("create open.dat", fd >= 0);
    char *shared = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK("mmap shared (fd kept)", shared != MAP_FAILED);
    if (shared == MAP_FAILED) return;
    CHECK("unlink open.dat", unlink("open.dat") == 0);
    stat_gone("stat open.dat", "open.dat");
    list_dir("listing after unlink (fd kept)");
    shared[5] = '!';
    char c = 0;
    CHECK("pread sees the mapping write", pread(fd, &c, 1, 5) == 1 && c == '!');
    CHECK("pwrite after unlink", pwrite(fd, "@", 1, 6) == 1);
    CHECK("mapping sees pwrite", shared[6] == '@');
    CHECK("munmap", munmap(shared, SIZE) == 0);
    CHECK("close", close(fd) == 0);
    list_dir("listing after close");
}

/* rename(other, name) over a mapped file */
static void rename_over_mapped(void)
{
    int fd = make_file("target.dat", 3);
    CHECK("create target.dat", fd >= 0);
    char *shared = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *private = mmap(NULL, SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK("mmap target shared", shared != MAP_FAILED);
    CHECK("mmap target private", private != MAP_FAILED);
    close(fd);
    if (shared == MAP_FAILED || private == MAP_FAILED) return;
    int sfd = open("source.dat", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK("create source.dat", sfd >= 0 && write(sfd, "replacement", 11) == 11);
    close(sfd);

    CHECK("rename source.dat over target.dat", rename("source.dat", "target.dat") == 0);
    stat_gone("stat source.dat", "source.dat");
    list_dir("listing after rename");
    CHECK("target.dat has the new data", read_file_is("target.dat", "replacement", 11));
    CHECK("shared mapping keeps the old data", has_pattern(shared, 3));
    CHECK("private mapping keeps the old data", has_pattern(private, 3));
    shared[2] = 'Q';
    CHECK("write through shared mapping", shared[2] == 'Q');
    CHECK("munmap shared", munmap(shared, SIZE) == 0);
    CHECK("munmap private", munmap(private, SIZE) == 0);
    CHECK("target.dat still has the new data", read_file_is("target.dat", "replacement", 11));
    list_dir("listing after munmap");
    CHECK("unlink target.dat", unlink("target.dat") == 0);
}

/* a private mapping alone (nothing of the file stays open after mmap) */
static void unlink_private_only(void)
{
    int fd = make_file("private.dat", 4);
    CHECK("create private.dat", fd >= 0);
    char *private = mmap(NULL, SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK("mmap private only", private != MAP_FAILED);
    close(fd);
    if (private == MAP_FAILED) return;
    CHECK("unlink private.dat", unlink("private.dat") == 0);
    stat_gone("stat private.dat", "private.dat");
    CHECK("private-only mapping keeps the data", has_pattern(private, 4));
    CHECK("munmap private only", munmap(private, SIZE) == 0);
}

/* unlinked and still mapped at exit: the file goes with the process (the e2e case
   lists the directory afterwards) */
static void unlink_and_leave_mapped(void)
{
    int fd = make_file("left.dat", 5);
    char *shared = fd >= 0 ? mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
    CHECK("mmap left.dat", shared != MAP_FAILED);
    close(fd);
    CHECK("unlink left.dat, mapped until exit", unlink("left.dat") == 0);
    if (shared != MAP_FAILED) shared[0] = '#';
}

int main(int argc, char **argv)
{
    GUEST_START();
    if (argc > 1 && chdir(argv[1]) != 0) {
        printf("cannot enter %s\n", argv[1]);
        return 2;
    }
    unlink_mapped();
    unlink_mapped_and_open();
    rename_over_mapped();
    unlink_private_only();
    list_dir("listing at the end");
    unlink_and_leave_mapped();
    return GUEST_END();
}
