/* A tmpfs file shared across fork, as test harnesses (LTP's) keep their results page:
   /dev/shm/<name> mapped MAP_SHARED, then fork; parent and child take turns (a pipe each
   way) writing into the mapping and into the file (pwrite, and the inherited fd whose
   offset they share), and each sees the other's writes in both. The child also makes a
   file of its own, which the parent finds once the child is gone.

   usage: shm_shared [DIR]      the checks (DIR: /dev/shm by default)
          shm_shared files [DIR]  the same without the child's use of the inherited
                                  mapping (only the parent maps the file)
          shm_shared put DIR NAME TEXT    writes TEXT to DIR/NAME (another process reads it)
          shm_shared get DIR NAME         prints DIR/NAME's contents, or its errno
          shm_shared wait DIR NAME        waits (up to a minute) for DIR/NAME, then gets it */
#include "guest.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096

/* The turns print only when they fail: the other side may be printing meanwhile. */
static void put_turn(int fd)
{
    if (write(fd, "t", 1) != 1) CHECK("turn sent", 0);
}

static void get_turn(int fd)
{
    char c;
    if (read(fd, &c, 1) != 1) CHECK("turn received", 0);
}

static int map_in_child = 1;

static int child_side(char *map, int fd, const char *path, int from_parent, int to_parent)
{
    char buf[32] = "";
    get_turn(from_parent);
    if (map_in_child) printf("child sees mapping: %s\n", map);
    CHECK("child pread", pread(fd, buf, 6, 0) == 6);
    printf("child sees file: %.6s\n", buf);
    if (map_in_child) memcpy(map + 100, "child-map", 10);
    else CHECK("child pwrite", pwrite(fd, "child-map", 10, 100) == 10);
    CHECK("child pwrite", pwrite(fd, "child-file", 11, 200) == 11);
    CHECK("child write at the shared offset", write(fd, "C", 1) == 1);
    char own[4200];
    snprintf(own, sizeof own, "%s-child", path);
    int o = open(own, O_CREAT | O_WRONLY | O_TRUNC, 0640);
    CHECK("child creates its own file", o >= 0 && write(o, "made by the child", 17) == 17 && close(o) == 0);
    put_turn(to_parent);
    get_turn(from_parent);
    if (map_in_child) printf("child sees the parent's second write: %s\n", map + 300);
    memset(buf, 0, sizeof buf);
    CHECK("child pread", pread(fd, buf, 7, 300) == 7);
    printf("child sees the parent's second write in the file: %s\n", buf);
    munmap(map, PAGE);
    return guest_failures ? 1 : 0;
}

static int checks(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/shm-shared-%d", dir, (int)getpid());
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    CHECK("create", fd >= 0);
    CHECK("ftruncate", ftruncate(fd, PAGE) == 0);
    char *map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK("mmap MAP_SHARED", map != MAP_FAILED);
    if (map == MAP_FAILED) return GUEST_END();
    memcpy(map, "parent", 7);
    CHECK("lseek", lseek(fd, 50, SEEK_SET) == 50);
    int down[2], up[2];
    CHECK("pipes", pipe(down) == 0 && pipe(up) == 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        _exit(child_side(map, fd, path, down[0], up[1]));
    }
    CHECK("fork", pid > 0);
    close(down[0]);
    close(up[1]);
    put_turn(down[1]);
    get_turn(up[0]);
    printf("parent sees the child's mapping write: %s\n", map + 100);
    printf("parent sees the child's pwrite in the mapping: %s\n", map + 200);
    char buf[32] = "";
    CHECK("parent pread", pread(fd, buf, 10, 100) == 10);
    printf("parent sees the child's mapping write in the file: %.9s\n", buf);
    printf("shared offset after the child's write: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    printf("the child's write at the offset: %c\n", map[50]);
    memcpy(map + 300, "second", 7);
    put_turn(down[1]);
    int status = -1;
    CHECK("wait", waitpid(pid, &status, 0) == pid);
    printf("child exit: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    char own[4200];
    snprintf(own, sizeof own, "%s-child", path);
    struct stat st;
    CHECK("the child's file is there", stat(own, &st) == 0);
    printf("child's file: size %lld mode %o\n", (long long)st.st_size, st.st_mode & 0777);
    int o = open(own, O_RDONLY);
    memset(buf, 0, sizeof buf);
    CHECK("read the child's file", o >= 0 && read(o, buf, sizeof buf - 1) == 17);
    printf("child's file says: %s\n", buf);
    close(o);
    CHECK("unlink", unlink(own) == 0 && unlink(path) == 0);
    CHECK("munmap", munmap(map, PAGE) == 0);
    close(fd);
    return GUEST_END();
}

int main(int argc, char **argv)
{
    GUEST_START();
    if (argc == 5 && !strcmp(argv[1], "put")) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[2], argv[3]);
        int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
        size_t n = strlen(argv[4]);
        if (fd < 0 || write(fd, argv[4], n) != (ssize_t)n || close(fd) < 0) {
            printf("put: %s\n", errno_name(errno));
            return 1;
        }
        printf("put: ok\n");
        return 0;
    }
    if (argc == 4 && (!strcmp(argv[1], "get") || !strcmp(argv[1], "wait"))) {
        char path[4096], buf[256] = "";
        snprintf(path, sizeof path, "%s/%s", argv[2], argv[3]);
        for (int i = 0; !strcmp(argv[1], "wait") && i < 1200 && access(path, F_OK) != 0; i++) usleep(50000);
        int fd = open(path, O_RDONLY);
        if (fd < 0) {
            printf("get: %s\n", errno_name(errno));
            return 1;
        }
        ssize_t n = read(fd, buf, sizeof buf - 1);
        printf("get: %zd %s\n", n, n > 0 ? buf : "");
        close(fd);
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "files")) {
        map_in_child = 0;
        argc--, argv++;
    }
    return checks(argc > 1 ? argv[1] : "/dev/shm");
}
