/* Symlinks as programs use them, in the cwd: relative, absolute, to directories,
   dangling, chains and loops; lstat/stat, readlink, open through links, O_NOFOLLOW,
   ".." after a link to a directory, trailing slashes, unlink and rename of links, a
   listing. Prints errno names, so Linux and picolx (drvfs: link files; tmpfs; lxfs)
   can be compared. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *err_name(int e)
{
    switch (e) {
    case ENOENT: return "ENOENT";
    case ELOOP: return "ELOOP";
    case ENOTDIR: return "ENOTDIR";
    case EEXIST: return "EEXIST";
    case EINVAL: return "EINVAL";
    case EISDIR: return "EISDIR";
    default: return strerror(e);
    }
}

static void result(const char *what, int r)
{
    if (r < 0) printf("%s: %s\n", what, err_name(errno));
    else printf("%s: ok\n", what);
}

static void show_lstat(const char *p)
{
    struct stat st;
    if (lstat(p, &st)) {
        printf("lstat %s: %s\n", p, err_name(errno));
        return;
    }
    printf("lstat %s: %s size=%lld\n", p, S_ISLNK(st.st_mode) ? "link" : S_ISDIR(st.st_mode) ? "dir" : "file",
           S_ISLNK(st.st_mode) ? (long long)st.st_size : 0LL);
}

static void show_stat(const char *p)
{
    struct stat st;
    if (stat(p, &st)) {
        printf("stat %s: %s\n", p, err_name(errno));
        return;
    }
    printf("stat %s: %s size=%lld\n", p, S_ISDIR(st.st_mode) ? "dir" : "file",
           S_ISDIR(st.st_mode) ? 0LL : (long long)st.st_size);
}

static void show_readlink(const char *p)
{
    char buf[256];
    ssize_t n = readlink(p, buf, sizeof buf - 1);
    if (n < 0) printf("readlink %s: %s\n", p, err_name(errno));
    else printf("readlink %s: %.*s\n", p, (int)n, buf);
}

static void show_read(const char *p)
{
    char buf[64] = {0};
    int fd = open(p, O_RDONLY);
    if (fd < 0) {
        printf("read %s: %s\n", p, err_name(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = 0;
    printf("read %s: %s\n", p, buf);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void listing(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        printf("opendir %s: %s\n", dir, err_name(errno));
        return;
    }
    char *names[64];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64)
        if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    printf("list %s:", dir);
    for (size_t i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

static void put(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc > 1 && chdir(argv[1])) return 2;
    char top[64];
    snprintf(top, sizeof top, "symlinks-test.%d", (int)getpid());
    if (mkdir(top, 0755) || chdir(top)) return 2;
    mkdir("dir", 0755);
    mkdir("dir/sub", 0755);
    put("dir/file", "in dir\n");
    put("dir/sub/deep", "deep\n");
    put("top", "top file\n");

    result("symlink rel file", symlink("dir/file", "lfile"));
    result("symlink rel dir", symlink("dir", "ldir"));
    result("symlink up", symlink("../top", "dir/lup"));
    result("symlink dangling", symlink("nowhere", "ldangling"));
    result("symlink loop a", symlink("loopb", "loopa"));
    result("symlink loop b", symlink("loopa", "loopb"));
    result("symlink self", symlink("self", "self"));
    result("symlink chain", symlink("lfile", "lchain"));
    result("symlink to sub", symlink("dir/sub", "lsub"));
    result("symlink exists", symlink("x", "lfile"));
    result("symlink over dir", symlink("x", "dir"));
    char abs[PATH_MAX];
    getcwd(abs, sizeof abs);
    strcat(abs, "/top");
    result("symlink absolute", symlink(abs, "labs"));

    const char *links[] = {"lfile", "ldir", "dir/lup", "ldangling", "loopa", "self", "lchain", "lsub", "top", "dir"};
    for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
        show_lstat(links[i]);
        show_stat(links[i]);
        show_readlink(links[i]);
    }
    { struct stat st; char t[PATH_MAX]; ssize_t n = readlink("labs", t, sizeof t); printf("labs: size matches the target: %s\n", lstat("labs", &st) == 0 && st.st_size == n ? "yes" : "no"); }
    show_read("labs");
    show_read("lfile");
    show_read("lchain");
    show_read("ldir/file");
    show_read("ldir/sub/deep");
    show_read("lsub/deep");
    show_read("dir/lup");
    show_read("ldir/lup");
    show_read("ldangling");
    show_read("loopa");
    show_read("lsub/../file");  /* ".." of the directory the link led to: dir/file */
    show_read("ldir/sub/../file");
    show_read("lfile/");         /* a link to a file with a trailing slash */
    show_stat("ldir/");
    show_stat("lsub/..");

    int fd = open("lfile", O_RDONLY | O_NOFOLLOW);
    printf("open O_NOFOLLOW link: %s\n", fd < 0 ? err_name(errno) : "opened");
    if (fd >= 0) close(fd);
    fd = open("top", O_RDONLY | O_NOFOLLOW);
    printf("open O_NOFOLLOW file: %s\n", fd < 0 ? err_name(errno) : "opened");
    if (fd >= 0) close(fd);
    fd = open("ldangling", O_WRONLY | O_CREAT, 0644); /* creates the target */
    printf("create through dangling link: %s\n", fd < 0 ? err_name(errno) : "created");
    if (fd >= 0) close(fd);
    show_lstat("nowhere");
    fd = open("ldangling", O_WRONLY | O_CREAT | O_EXCL, 0644);
    printf("O_EXCL on a link: %s\n", fd < 0 ? err_name(errno) : "created");
    if (fd >= 0) close(fd);

    listing(".");
    listing("ldir");
    listing("ldir/");

    result("mkdir through link", mkdir("ldir/made", 0755));
    show_stat("dir/made");
    result("rename link", rename("lchain", "lchain2"));
    show_read("lchain2");
    result("unlink link", unlink("lfile"));
    show_read("dir/file");
    show_read("lchain2");
    result("unlink dir link with slash", unlink("ldir/"));
    result("rmdir dir link", rmdir("ldir"));
    result("unlink dir link", unlink("ldir"));
    show_stat("dir");
    char rp[PATH_MAX];
    printf("realpath lsub/../sub/deep: %s\n", realpath("lsub/../sub/deep", rp) ? strrchr(rp, '/') : err_name(errno));

    const char *cleanup[] = {"lchain2", "dir/lup", "ldangling", "nowhere", "loopa", "loopb", "self", "lsub", "labs",
                             "dir/sub/deep", "dir/file", "top"};
    for (size_t i = 0; i < sizeof cleanup / sizeof *cleanup; i++) unlink(cleanup[i]);
    rmdir("dir/made");
    rmdir("dir/sub");
    rmdir("dir");
    chdir("..");
    result("cleanup", rmdir(top));
    return 0;
}
