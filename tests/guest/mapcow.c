/* MAP_PRIVATE file mappings against later writes to the file (issue 12: picolx maps them
   copy-on-write from the file instead of copying them). As on Linux: a page the process
   has not written shows what others write to the file afterwards (through a second fd,
   or from another process); a page it wrote keeps its own bytes, and the file never sees
   them. A forked child gets the parent's private pages. mprotect to PROT_EXEC, mremap and
   MADV_DONTNEED keep what the pages hold. Truncation of the file makes whole pages past
   the new end SIGBUS, written or not. Every line is compared with Linux's. */
#include "guest.h"
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
/* 32 pages: picolx copies mappings under 64 KiB (a view costs more for so few) */
#define PAGES 32

static sigjmp_buf on_fault;
static volatile int fault_signal;

static void fault(int sig)
{
    fault_signal = sig;
    siglongjmp(on_fault, 1);
}

/* The first byte of page i of m, or the signal that reading it raised. */
static void show(const char *what, volatile char *m, int i)
{
    fault_signal = 0;
    if (sigsetjmp(on_fault, 1) == 0) {
        char c = m[i * PAGE];
        printf("%s page %d: %c\n", what, i, c ? c : '0');
    } else {
        printf("%s page %d: %s\n", what, i, fault_signal == SIGBUS ? "SIGBUS" : "SIGSEGV");
    }
}

static int make_file(const char *name)
{
    int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
    static char page[PAGE];
    for (int i = 0; i < PAGES; i++) {
        memset(page, 'a' + i % 26, sizeof page);
        if (write(fd, page, sizeof page) != PAGE) return -1;
    }
    return fd;
}

static char file_byte(int fd, int i)
{
    char c = 0;
    return pread(fd, &c, 1, (off_t)i * PAGE) == 1 ? c : '?';
}

int main(void)
{
    GUEST_START();
    struct sigaction sa = {.sa_handler = fault};
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);

    int rw = make_file("cow.dat");
    int ro = open("cow.dat", O_RDONLY);
    CHECK("files made", rw >= 0 && ro >= 0);
    char *m = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
    CHECK("MAP_PRIVATE of a read-only fd", m != MAP_FAILED);
    if (m == MAP_FAILED) return GUEST_END();
    for (int i = 0; i < 3; i++) show("mapped", m, i);
    m[1 * PAGE] = 'X';
    m[3 * PAGE] = 'Y';
    /* the file changes through another fd (pages 1 and 2) and in another process (4) */
    CHECK("pwrite page 1", pwrite(rw, "Q", 1, 1 * PAGE) == 1);
    CHECK("pwrite page 2", pwrite(rw, "Q", 1, 2 * PAGE) == 1);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("cow.dat", O_WRONLY);
        _exit(pwrite(fd, "R", 1, 4 * PAGE) == 1 ? 0 : 1);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    CHECK("another process wrote page 4", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    for (int i = 1; i < 5; i++) show("after the writes", m, i);
    printf("file: %c %c %c %c\n", file_byte(rw, 1), file_byte(rw, 2), file_byte(rw, 3), file_byte(rw, 4));

    /* a forked child has the parent's private pages, and its writes stay its own */
    pid = fork();
    if (pid == 0) {
        int ok = m[1 * PAGE] == 'X' && m[3 * PAGE] == 'Y' && m[5 * PAGE] == 'f';
        m[5 * PAGE] = 'C';
        _exit(ok && m[5 * PAGE] == 'C' ? 0 : 1);
    }
    waitpid(pid, &status, 0);
    CHECK("the child saw the parent's pages", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    show("after the child wrote page 5", m, 5);

    /* part of it read-only, part unmapped: the rest stays */
    CHECK("mprotect page 0 read-only", mprotect(m, PAGE, PROT_READ) == 0);
    CHECK("munmap page 6", munmap(m + 6 * PAGE, PAGE) == 0);
    show("after munmap", m, 6);
    show("after munmap", m, 7);
    /* executable: picolx makes it private memory, with the same bytes */
    CHECK("mprotect PROT_EXEC", mprotect(m, 6 * PAGE, PROT_READ | PROT_EXEC) == 0);
    show("executable", m, 1);
    show("executable", m, 3);
    CHECK("mprotect back", mprotect(m, 6 * PAGE, PROT_READ | PROT_WRITE) == 0);
    m[2 * PAGE] = 'Z';
    show("written again", m, 2);

    /* mremap and MADV_DONTNEED of a second mapping */
    char *n = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
    CHECK("second mapping", n != MAP_FAILED);
    n[0] = 'W';
    char *moved = mremap(n, 16 * PAGE, 20 * PAGE, MREMAP_MAYMOVE);
    CHECK("mremap", moved != MAP_FAILED);
    if (moved != MAP_FAILED) {
        show("moved", moved, 0);
        show("moved", moved, 3);
        show("moved", moved, 17);
        CHECK("MADV_DONTNEED", madvise(moved, PAGE, MADV_DONTNEED) == 0);
        show("after MADV_DONTNEED", moved, 0);
    }

    /* truncation: pages past the new end are SIGBUS, written or not */
    int t = make_file("trunc.dat");
    char *p = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, t, 0);
    CHECK("third mapping", p != MAP_FAILED);
    p[0] = 'X';
    p[3 * PAGE] = 'Y';
    show("before truncation", p, 2);
    CHECK("ftruncate to 1.5 pages", ftruncate(t, PAGE + PAGE / 2) == 0);
    show("truncated", p, 0);
    show("truncated", p, 1);
    printf("truncated byte past the end in the last page: %d\n", p[PAGE + PAGE / 2 + 10]);
    show("truncated", p, 2);
    show("truncated", p, 3);
    show("truncated", p, 20);
    /* O_TRUNC of a mapped file empties it: every page of the mapping is past the end */
    int u = make_file("empty.dat");
    char *q = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, u, 0);
    CHECK("fourth mapping", q != MAP_FAILED);
    q[0] = 'X';
    show("before O_TRUNC", q, 1);
    int e = open("empty.dat", O_WRONLY | O_TRUNC);
    CHECK("open with O_TRUNC", e >= 0);
    show("emptied", q, 0);
    show("emptied", q, 1);
    close(e);
    close(u);
    unlink("empty.dat");
    close(t);
    close(ro);
    close(rw);
    unlink("cow.dat");
    unlink("trunc.dat");
    return GUEST_END();
}
