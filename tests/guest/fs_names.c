/* Names as Linux has them, in the cwd (under picolx a Windows directory, drvfs, or an
   imported distro's lxfs): case-sensitive lookups and creations, renames that change only
   the case (ASCII letters and others), names that are not UTF-8, rmdir after an unlink of a file still open, and
   every listed name of a directory opening. Each part prints what it finds (errno names,
   sorted listings), the same natively. Usage: fs_names PART... | fs_names all */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *err(int r) { return r >= 0 ? "ok" : strerror(errno); }

static void show(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c >= 0x7f) printf("\\x%02x", c);
        else putchar(c);
    }
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The names of dir (dot names left out), sorted, into names (256 at most, each to be
   freed): how many, or -1 (errno set) when it cannot be opened. */
static long sorted_names(const char *dir, char *names[256])
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    return (long)n;
}

/* The sorted names of dir (dot names left out). */
static void ls(const char *dir)
{
    char *names[256];
    long got = sorted_names(dir, names);
    if (got < 0) {
        printf("  opendir %s: %s\n", dir, strerror(errno));
        return;
    }
    size_t n = (size_t)got;
    printf("  %s:", dir);
    for (size_t i = 0; i < n; i++) {
        putchar(' ');
        show(names[i]);
        free(names[i]);
    }
    putchar('\n');
}

static void put(const char *name, const char *text)
{
    int fd = open(name, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd >= 0) {
        write(fd, text, strlen(text));
        close(fd);
    }
}

static void cat(const char *name)
{
    char buf[64] = {0};
    int fd = open(name, O_RDONLY);
    if (fd < 0) {
        printf("  cat %s: %s\n", name, strerror(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    printf("  cat %s: %.*s", name, (int)(n > 0 ? n : 0), buf);
}

static void part_case(void)
{
    mkdir("c", 0755);
    put("c/lower.txt", "lower\n");
    int fd = open("c/LOWER.TXT", O_RDONLY);
    printf("open LOWER.TXT (only lower.txt there): %s\n", err(fd));
    if (fd >= 0) close(fd);
    struct stat st;
    printf("stat Lower.txt: %s\n", err(stat("c/Lower.txt", &st)));
    printf("stat lower.txt: %s\n", err(stat("c/lower.txt", &st)));
    printf("truncate Lower.txt: %s\n", err(truncate("c/Lower.txt", 0)));
    struct timespec times[2] = {{1, 0}, {1, 0}};
    printf("utimensat LOWER.TXT: %s\n", err(utimensat(AT_FDCWD, "c/LOWER.TXT", times, 0)));
    fd = open("c/LOWER.txt", O_CREAT | O_EXCL | O_WRONLY, 0644);
    printf("open LOWER.txt O_CREAT|O_EXCL: %s\n", err(fd));
    if (fd >= 0) {
        write(fd, "upper\n", 6);
        close(fd);
    }
    put("c/awk_D.txt", "big D\n");
    put("c/awk_d.txt", "small d\n"); /* a second file, not the first truncated */
    ls("c");
    cat("c/lower.txt");
    cat("c/LOWER.txt");
    cat("c/awk_D.txt");
    cat("c/awk_d.txt");
    printf("unlink awk_D.txt: %s\n", err(unlink("c/awk_D.txt")));
    cat("c/awk_d.txt");
    printf("stat awk_D.txt: %s\n", err(stat("c/awk_D.txt", &st)));
    mkdir("c/Sub", 0755);
    printf("mkdir sub beside Sub: %s\n", err(mkdir("c/sub", 0755)));
    printf("stat SUB: %s\n", err(stat("c/SUB", &st)));
    put("c/Sub/in", "in Sub\n");
    printf("open sub/in: %s\n", err(open("c/sub/in", O_RDONLY)));
    put("c/sub/x", "in sub\n");
    cat("c/sub/x");
    printf("stat Sub/x: %s\n", err(stat("c/Sub/x", &st)));
    printf("mkdir sub/d: %s\n", err(mkdir("c/sub/d", 0755)));
    put("c/sub/d/y", "in sub/d\n");
    cat("c/sub/d/y");
    printf("unlink sub/d/y: %s\n", err(unlink("c/sub/d/y")));
    printf("rmdir sub/d: %s\n", err(rmdir("c/sub/d")));
    ls("c/sub");
    ls("c");
}

static void part_mvcase(void)
{
    mkdir("m", 0755);
    put("m/lower.txt", "x\n");
    printf("rename lower.txt Lower.txt: %s\n", err(rename("m/lower.txt", "m/Lower.txt")));
    ls("m");
    mkdir("m/lowdir", 0755);
    put("m/lowdir/inside", "kept\n");
    printf("rename lowdir LOWDIR: %s\n", err(rename("m/lowdir", "m/LOWDIR")));
    ls("m");
    cat("m/LOWDIR/inside");
    printf("rename Lower.txt LOWER.TXT (noreplace-free): %s\n", err(rename("m/Lower.txt", "m/LOWER.TXT")));
    ls("m");
}

/* Letters outside ASCII that differ only in case are names of their own on Linux;
   Windows folds them with its upcase table (é/É, σ/Σ/ς, д/Д). */
static void part_ucase(void)
{
    mkdir("w", 0755);
    put("w/caf\xc3\xa9", "cafe small\n");                        /* café */
    struct stat st;
    printf("stat CAF\\xc3\\x89 (only caf\\xc3\\xa9 there): %s\n", err(stat("w/CAF\xc3\x89", &st)));
    printf("stat caf\\xc3\\x89: %s\n", err(stat("w/caf\xc3\x89", &st)));
    put("w/caf\xc3\x89", "cafe big E\n");                         /* cafÉ */
    put("w/CAF\xc3\x89", "all big\n");                            /* CAFÉ */
    ls("w");
    cat("w/caf\xc3\xa9");
    cat("w/caf\xc3\x89");
    cat("w/CAF\xc3\x89");
    printf("mkdir \\xcf\\x83: %s\n", err(mkdir("w/\xcf\x83", 0755)));   /* σ */
    printf("mkdir \\xce\\xa3: %s\n", err(mkdir("w/\xce\xa3", 0755)));   /* Σ */
    printf("mkdir \\xcf\\x82: %s\n", err(mkdir("w/\xcf\x82", 0755)));   /* ς */
    put("w/\xce\xa3/in", "in big sigma\n");
    cat("w/\xce\xa3/in");
    printf("open \\xcf\\x83/in: %s\n", err(open("w/\xcf\x83/in", O_RDONLY)));
    /* below a directory stored beside a twin of another case */
    printf("mkdir \\xce\\xa3/deep: %s\n", err(mkdir("w/\xce\xa3/deep", 0755)));
    put("w/\xce\xa3/deep/f", "deep\n");
    cat("w/\xce\xa3/deep/f");
    printf("stat \\xcf\\x83/deep: %s\n", err(stat("w/\xcf\x83/deep", &st)));
    printf("rename deep/f deep/g: %s\n", err(rename("w/\xce\xa3/deep/f", "w/\xce\xa3/deep/g")));
    ls("w/\xce\xa3/deep");
    printf("unlink deep/g: %s\n", err(unlink("w/\xce\xa3/deep/g")));
    printf("rmdir deep: %s\n", err(rmdir("w/\xce\xa3/deep")));
    ls("w/\xce\xa3");
    printf("unlink caf\\xc3\\xa9: %s\n", err(unlink("w/caf\xc3\xa9")));
    cat("w/caf\xc3\x89");
    printf("stat caf\\xc3\\xa9: %s\n", err(stat("w/caf\xc3\xa9", &st)));
    put("w/\xd0\xb4\xd0\xbe\xd0\xbc", "dom\n");                  /* дом */
    printf("rename \\xd0\\xb4\\xd0\\xbe\\xd0\\xbc \\xd0\\x94\\xd0\\xbe\\xd0\\xbc: %s\n",
           err(rename("w/\xd0\xb4\xd0\xbe\xd0\xbc", "w/\xd0\x94\xd0\xbe\xd0\xbc"))); /* to Дом */
    ls("w");
    cat("w/\xd0\x94\xd0\xbe\xd0\xbc");
    printf("rmdir \\xcf\\x83: %s\n", err(rmdir("w/\xcf\x83")));
    printf("rmdir \\xcf\\x82: %s\n", err(rmdir("w/\xcf\x82")));
    ls("w");
}

static void part_nonutf8(void)
{
    mkdir("n", 0755);
    static const char *names[] = {"n/name-\xff", "n/\xe9t\xe9", "n/half-\xc3", "n/ok-\xc3\xa9"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        int fd = open(names[i], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        printf("create ");
        show(names[i]);
        printf(": %s\n", err(fd));
        if (fd >= 0) {
            write(fd, names[i], strlen(names[i]));
            close(fd);
        }
    }
    ls("n");
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char buf[64] = {0};
        int fd = open(names[i], O_RDONLY);
        ssize_t got = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        printf("read back ");
        show(names[i]);
        printf(": %s\n", got >= 0 && !strcmp(buf, names[i]) ? "same" : "DIFFERENT");
        if (fd >= 0) close(fd);
    }
    printf("rename to \\xfe: %s\n", err(rename("n/name-\xff", "n/name-\xfe")));
    ls("n");
}

static void part_unlinkrmdir(void)
{
    mkdir("u", 0700);
    int fd = open("u/f", O_RDWR | O_CREAT, 0600);
    write(fd, "still here\n", 11);
    printf("unlink u/f (open): %s\n", err(unlink("u/f")));
    printf("rmdir u: %s\n", err(rmdir("u")));
    char buf[16] = {0};
    printf("read after: %s %s", err((int)pread(fd, buf, 11, 0)), buf);
    close(fd);
    mkdir("v", 0700);
    mkdir("v/w", 0700);
    fd = open("v/w/g", O_RDWR | O_CREAT, 0600);
    ftruncate(fd, 4096);
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    printf("unlink v/w/g (mapped): %s\n", err(unlink("v/w/g")));
    printf("rmdir v/w: %s\n", err(rmdir("v/w")));
    printf("rmdir v: %s\n", err(rmdir("v")));
    if (p != MAP_FAILED) munmap(p, 4096);
}

/* Every name a listing gives opens, whatever it holds (host files made by others). */
static void part_hostnames(const char *dir)
{
    char *names[256];
    long got = sorted_names(dir, names);
    if (got < 0) {
        printf("opendir: %s\n", strerror(errno));
        return;
    }
    size_t n = (size_t)got;
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        int r = lstat(path, &st);
        int fd = open(path, O_RDONLY);
        show(names[i]);
        printf(": lstat %s, open %s\n", err(r), err(fd));
        if (fd >= 0) close(fd);
        free(names[i]);
    }
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i++) {
        int all = !strcmp(argv[i], "all");
        if (all || !strcmp(argv[i], "case")) part_case();
        if (all || !strcmp(argv[i], "mvcase")) part_mvcase();
        if (all || !strcmp(argv[i], "ucase")) part_ucase();
        if (all || !strcmp(argv[i], "nonutf8")) part_nonutf8();
        if (all || !strcmp(argv[i], "unlinkrmdir")) part_unlinkrmdir();
        if (!strcmp(argv[i], "hostnames") && i + 1 < argc) part_hostnames(argv[++i]);
    }
    return 0;
}
