/* Memory across fork, as Linux has it. Private memory (the program's data and bss, an
   8 MiB heap block, the stack, brk, a MAP_PRIVATE|MAP_ANONYMOUS mapping, a MAP_PRIVATE
   file mapping) is copied: the child starts with the parent's contents, and neither
   sees the other's later writes. Shared memory (MAP_SHARED|MAP_ANONYMOUS, MAP_SHARED of
   a file in the cwd and of a file on the tmpfs at /dev/shm) stays shared both ways.
   MADV_DONTFORK leaves a range out of the child, MADV_WIPEONFORK gives it zeros.
   Each region is checked at its first and last byte and one byte in every page. */
#include "fork_common.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif

#define PAGE 4096
#define HEAP_LEN (8u << 20)
#define MAP_LEN (1u << 20)
#define BRK_LEN (64u << 10)
#define FILE_LEN (16u << 10)

int data_word = 1;              /* .data */
static char bss_block[3 * PAGE]; /* .bss */

enum { R_DATA, R_BSS, R_HEAP, R_STACK, R_BRK, R_PRIVATE, R_FILE_PRIVATE,
       R_SHARED, R_FILE_SHARED, R_SHM_SHARED, R_COUNT };
static const char *const region_names[R_COUNT] = {
    "data", "bss", "heap (8 MiB)", "stack", "brk", "MAP_PRIVATE|MAP_ANONYMOUS", "MAP_PRIVATE file",
    "MAP_SHARED|MAP_ANONYMOUS", "MAP_SHARED file", "MAP_SHARED /dev/shm file",
};
static int is_shared(int r) { return r >= R_SHARED; }

static struct { char *p; size_t len; } regions[R_COUNT];

static void fill(int r, char c)
{
    char *p = regions[r].p;
    size_t len = regions[r].len;
    if (!p) return;
    for (size_t i = 0; i < len; i += PAGE) p[i] = c;
    p[len - 1] = c;
}

/* whether every checked byte of region r is c */
static int holds(int r, char c)
{
    volatile char *p = regions[r].p;
    size_t len = regions[r].len;
    if (!p) return 0;
    for (size_t i = 0; i < len; i += PAGE)
        if (p[i] != c) return 0;
    return p[len - 1] == c;
}

static char *map_file(const char *path, int flags)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { printf("open %s: %s\n", path, err_name(errno)); return NULL; }
    if (ftruncate(fd, FILE_LEN) != 0) { printf("ftruncate %s: %s\n", path, err_name(errno)); close(fd); return NULL; }
    void *m = mmap(NULL, FILE_LEN, PROT_READ | PROT_WRITE, flags, fd, 0);
    close(fd);
    if (m == MAP_FAILED) { printf("mmap %s: %s\n", path, err_name(errno)); return NULL; }
    return m;
}

/* every region holds `expect_private` or, when shared, `expect_shared` */
static void check_all(const char *who, char expect_private, char expect_shared)
{
    for (int r = 0; r < R_COUNT; r++) {
        char want = is_shared(r) ? expect_shared : expect_private;
        char name[160];
        snprintf(name, sizeof name, "%s: %s holds '%c'", who, region_names[r], want);
        CHECK(name, holds(r, want));
    }
}

static void fill_all(char c)
{
    for (int r = 0; r < R_COUNT; r++) fill(r, c);
}

int main(void)
{
    GUEST_START();
    volatile char stack_block[3 * PAGE];
    char shm_path[64];
    snprintf(shm_path, sizeof shm_path, "/dev/shm/picolx-fork-mem-%d", (int)getpid());

    regions[R_DATA].p = (char *)&data_word, regions[R_DATA].len = sizeof data_word;
    regions[R_BSS].p = bss_block, regions[R_BSS].len = sizeof bss_block;
    regions[R_HEAP].p = malloc(HEAP_LEN), regions[R_HEAP].len = HEAP_LEN;
    regions[R_STACK].p = (char *)stack_block, regions[R_STACK].len = sizeof stack_block;
    /* the raw call: musl's sbrk only answers sbrk(0) */
    uintptr_t brk_start = syscall(SYS_brk, 0);
    int brk_grew = syscall(SYS_brk, brk_start + BRK_LEN) == (long)(brk_start + BRK_LEN);
    regions[R_BRK].p = brk_grew ? (char *)brk_start : NULL, regions[R_BRK].len = BRK_LEN;
    void *m = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    regions[R_PRIVATE].p = m == MAP_FAILED ? NULL : m, regions[R_PRIVATE].len = MAP_LEN;
    regions[R_FILE_PRIVATE].p = map_file("private.bin", MAP_PRIVATE), regions[R_FILE_PRIVATE].len = FILE_LEN;
    m = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    regions[R_SHARED].p = m == MAP_FAILED ? NULL : m, regions[R_SHARED].len = MAP_LEN;
    regions[R_FILE_SHARED].p = map_file("shared.bin", MAP_SHARED), regions[R_FILE_SHARED].len = FILE_LEN;
    regions[R_SHM_SHARED].p = map_file(shm_path, MAP_SHARED), regions[R_SHM_SHARED].len = FILE_LEN;
    unlink(shm_path);
    for (int r = 0; r < R_COUNT; r++) {
        char name[160];
        snprintf(name, sizeof name, "%s made", region_names[r]);
        CHECK(name, regions[r].p != NULL);
    }
    long brk_now = syscall(SYS_brk, 0);

    /* 1: the child writes */
    fill_all('p');
    pid_t pid = fork_flushed();
    if (pid == 0) {
        CHILD_BEGIN();
        check_all("child before its writes", 'p', 'p');
        CHECK("child: the program break is the parent's", syscall(SYS_brk, 0) == brk_now);
        fill_all('c');
        check_all("child after its writes", 'c', 'c');
        CHILD_END();
    }
    expect_child_ok("child that writes", pid);
    check_all("parent after the child's writes", 'p', 'c');

    /* 2: the parent writes after the fork, while the child waits */
    fill_all('q');
    struct gate g;
    gate_init(&g);
    pid = fork_flushed();
    if (pid == 0) {
        CHILD_BEGIN();
        gate_wait(&g);
        check_all("child after the parent's writes", 'q', 'P');
        fill_all('k');
        CHILD_END();
    }
    fill_all('P');
    gate_open(&g);
    expect_child_ok("child that reads", pid);
    check_all("parent after the second child", 'P', 'k');
    gate_close(&g);

    /* 3: a chain: the grandchild sees what its parent (the child) wrote before forking,
       and the child sees only the grandchild's shared writes */
    fill_all('r');
    pid = fork_flushed();
    if (pid == 0) {
        CHILD_BEGIN();
        fill_all('s');
        pid_t gpid = fork_flushed();
        if (gpid == 0) {
            CHILD_BEGIN();
            check_all("grandchild", 's', 's');
            fill_all('g');
            CHILD_END();
        }
        expect_child_ok("grandchild", gpid);
        check_all("child after the grandchild", 's', 'g');
        CHILD_END();
    }
    expect_child_ok("child with a grandchild", pid);
    check_all("parent after the chain", 'r', 'g');

    /* 4: madvise */
    char *dontfork = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *wipe = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(dontfork, 'd', 4 * PAGE);
    memset(wipe, 'w', 4 * PAGE);
    EXPECT_RET("madvise MADV_DONTFORK", madvise(dontfork, 4 * PAGE, MADV_DONTFORK), 0);
    EXPECT_RET("madvise MADV_WIPEONFORK", madvise(wipe, 4 * PAGE, MADV_WIPEONFORK), 0);
    pid = fork_flushed();
    if (pid == 0) {
        CHILD_BEGIN();
        EXPECT_FAIL("child: msync of the MADV_DONTFORK range (not mapped)", msync(dontfork, 4 * PAGE, MS_ASYNC), ENOMEM);
        int zeros = 1;
        for (int i = 0; i < 4 * PAGE; i++) zeros &= wipe[i] == 0;
        CHECK("child: the MADV_WIPEONFORK range reads zeros", zeros);
        CHILD_END();
    }
    expect_child_ok("child of the madvised parent", pid);
    EXPECT_RET("parent: msync of its MADV_DONTFORK range", msync(dontfork, 4 * PAGE, MS_ASYNC), 0);
    CHECK("parent: its ranges keep their contents", dontfork[4 * PAGE - 1] == 'd' && wipe[0] == 'w' && wipe[4 * PAGE - 1] == 'w');
    unlink("private.bin");
    unlink("shared.bin");
    return GUEST_END();
}
