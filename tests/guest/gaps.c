/* Path-resolution and pseudo-file-system gaps: search permission for a user other than
   root (run natively as root it drops to uid/gid 1000 first; under picolx the e2e case
   sets PICOLX_UID=1000), /proc/self/fd/N and /dev/stdin of a pipe (the test runner makes
   stdin a pipe), and /proc/self/maps names (a mapped file's path, [heap], [stack], [vdso]).
   Works in /dev/shm (a tmpfs under picolx and natively). */
#include "guest.h"
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char base[64];

static int err_of(int r) { return r < 0 ? errno : 0; }

static int open_errno(const char *path, int flags)
{
    int fd = open(path, flags);
    if (fd < 0) return errno;
    close(fd);
    return 0;
}

static void show(const char *what, int e)
{
    printf("%s: %s\n", what, errno_name(e));
}

static void permissions(void)
{
    char sub[96], file[128];
    snprintf(sub, sizeof sub, "%s/sub", base);
    snprintf(file, sizeof file, "%s/f", sub);
    CHECK("mkdir base", mkdir(base, 0755) == 0);
    CHECK("mkdir sub", mkdir(sub, 0755) == 0);
    int fd = open(file, O_WRONLY | O_CREAT, 0644);
    CHECK("create f", fd >= 0 && write(fd, "x\n", 2) == 2);
    if (fd >= 0) close(fd);
    struct stat st;

    chmod(sub, 0600); /* read, no search */
    show("open through 0600 dir", open_errno(file, O_RDONLY));
    show("stat through 0600 dir", err_of(stat(file, &st)));
    show("access through 0600 dir", err_of(access(file, F_OK)));
    show("create through 0600 dir", open_errno(file, O_RDWR | O_CREAT));

    chmod(sub, 0300); /* search, no read */
    show("open through 0300 dir", open_errno(file, O_RDONLY));
    show("opendir 0300 dir", open_errno(sub, O_RDONLY | O_DIRECTORY));

    chmod(sub, 0700);
    chmod(file, 0200);
    show("read a 0200 file", open_errno(file, O_RDONLY));
    show("write a 0200 file", open_errno(file, O_WRONLY));
    chmod(file, 0644);

    /* relative lookups and ".." need search permission on the directory they start in */
    CHECK("chdir sub", chdir(sub) == 0);
    chmod(sub, 0600);
    show("relative open in a 0600 cwd", open_errno("f", O_RDONLY));
    show("stat of .. from a 0600 cwd", err_of(stat("..", &st)));
    chmod(sub, 0755);
    show("relative open in a 0755 cwd", open_errno("f", O_RDONLY));
    CHECK("chdir /", chdir("/") == 0);

    unlink(file);
    rmdir(sub);
    rmdir(base);
}

static void magic_links(void)
{
    struct stat st;
    CHECK("stat /dev/stdin is a fifo", stat("/dev/stdin", &st) == 0 && S_ISFIFO(st.st_mode));
    int fd = open("/dev/stdin", O_RDONLY);
    show("open /dev/stdin", fd < 0 ? errno : 0);
    char buf[64] = {0};
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    printf("read from /dev/stdin: %zd \"%.*s\"\n", n, n > 0 ? (int)n - 1 : 0, buf);
    if (fd >= 0) close(fd);
    show("open /proc/self/fd/0 again", open_errno("/proc/self/fd/0", O_RDONLY));
}

/* True if a line of /proc/self/maps ends with name. */
static int maps_has(const char *maps, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = maps; (p = strstr(p, name)); p += n)
        if (p[n] == '\n' && p > maps && p[-1] == ' ') return 1;
    return 0;
}

static void maps_names(void)
{
    char path[96];
    snprintf(path, sizeof path, "%s-map", base);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK("create map file", fd >= 0 && ftruncate(fd, 8192) == 0);
    void *p = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK("mmap file", p != MAP_FAILED);
    close(fd); /* the name stays after the fd is gone */
    /* the brk syscall itself: musl's sbrk only answers sbrk(0) */
    long cur = syscall(SYS_brk, 0);
    CHECK("grow brk", syscall(SYS_brk, cur + 8192) == cur + 8192);
    static char maps[1 << 16];
    int mfd = open("/proc/self/maps", O_RDONLY);
    size_t len = 0;
    ssize_t n;
    while (mfd >= 0 && len < sizeof maps - 1 && (n = read(mfd, maps + len, sizeof maps - 1 - len)) > 0) len += (size_t)n;
    maps[len] = 0;
    if (mfd >= 0) close(mfd);
    CHECK("maps names the mapped file", maps_has(maps, path));
    CHECK("maps has [heap]", maps_has(maps, "[heap]"));
    CHECK("maps has [stack]", maps_has(maps, "[stack]"));
    CHECK("maps has [vdso]", maps_has(maps, "[vdso]"));
    munmap(p, 8192);
    unlink(path);
}

int main(void)
{
    GUEST_START();
    snprintf(base, sizeof base, "/dev/shm/gaps-%d", (int)getpid());
    magic_links();
    maps_names();
    if (getuid() == 0) { /* natively: become an ordinary user, as PICOLX_UID makes picolx */
        if (setgroups(0, NULL) || setgid(1000) || setuid(1000)) {
            printf("cannot become uid 1000\n");
            return 1;
        }
    }
    printf("uid %d gid %d\n", (int)getuid(), (int)getgid());
    permissions();
    return GUEST_END();
}
