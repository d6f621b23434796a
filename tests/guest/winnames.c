/* Names Windows forbids, in a Windows directory: picolx stores : * ? " < > | \ and
   control characters, and a trailing dot or space, escaped (U+F000 + the character, as
   WSL's DrvFs does), so Linux programs can create, list, open, rename and remove them.
   Works in the cwd; prints the same natively. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *names[] = {"a:b", "x*y", "what?", "say \"hi\"", "<tag>", "p|q", "back\\slash", "dot.",
                              "space ", "ctl\x01x", "..dots..", "con", "nul.txt", "trail. .", "plain"};
#define N (sizeof names / sizeof names[0])

static void show(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20) printf("\\x%02x", (unsigned char)*s);
        else putchar(*s);
    }
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *when)
{
    DIR *d = opendir(".");
    char *found[64];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) found[n++] = strdup(e->d_name);
    closedir(d);
    qsort(found, n, sizeof *found, by_name);
    printf("%s: %zu names:", when, n);
    for (size_t i = 0; i < n; i++) {
        printf(" [");
        show(found[i]);
        printf("]");
        free(found[i]);
    }
    printf("\n");
}

int main(void)
{
    for (size_t i = 0; i < N; i++) {
        int fd = open(names[i], O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0) {
            printf("create ");
            show(names[i]);
            printf(": failed\n");
            continue;
        }
        write(fd, names[i], strlen(names[i]));
        close(fd);
    }
    mkdir("dir:with?odd*chars.", 0755);
    int fd = open("dir:with?odd*chars./inner|file", O_WRONLY | O_CREAT, 0644);
    write(fd, "inner\n", 6);
    close(fd);
    list("created");
    for (size_t i = 0; i < N; i++) {
        char buf[64] = {0};
        int rfd = open(names[i], O_RDONLY);
        ssize_t got = rfd >= 0 ? read(rfd, buf, sizeof buf - 1) : -1;
        if (rfd >= 0) close(rfd);
        struct stat st;
        int s = stat(names[i], &st);
        show(names[i]);
        printf(": read %s, size %lld\n", got >= 0 && !strcmp(buf, names[i]) ? "back" : "WRONG",
               s == 0 ? (long long)st.st_size : -1LL);
    }
    char buf[16] = {0};
    fd = open("dir:with?odd*chars./inner|file", O_RDONLY);
    printf("inner: %s", fd >= 0 && read(fd, buf, sizeof buf - 1) > 0 ? buf : "missing\n");
    close(fd);
    for (size_t i = 0; i < N; i++) {
        char to[64];
        snprintf(to, sizeof to, "%s>", names[i]);
        if (rename(names[i], to)) printf("rename failed\n");
    }
    list("renamed");
    printf("old name gone: %s\n", access("a:b", F_OK) ? "yes" : "no");
    for (size_t i = 0; i < N; i++) {
        char to[64];
        snprintf(to, sizeof to, "%s>", names[i]);
        if (unlink(to)) printf("unlink failed\n");
    }
    unlink("dir:with?odd*chars./inner|file");
    rmdir("dir:with?odd*chars.");
    list("removed");
    return 0;
}
