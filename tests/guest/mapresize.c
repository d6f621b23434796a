/* A file mapped MAP_SHARED whose size changes under the mapping, and mremap of shared
   mappings (issue 11): ftruncate shrinking a mapped file succeeds, the bytes before the
   new end stay, the rest of the last page reads as zeros and whole pages past it are
   SIGBUS (Python's mmap.resize does ftruncate then mremap); mremap grows a shared mapping
   in place when the address space after it is free, and moves it with MREMAP_MAYMOVE
   when not. Works in its cwd. */
#include "guest.h"
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static sigjmp_buf jump;
static volatile int last_signal;

static void on_fault(int sig)
{
    last_signal = sig;
    siglongjmp(jump, 1);
}

/* The signal a read of *p raises (0: none); *out gets the byte. */
static int touch(volatile char *p, char *out)
{
    last_signal = 0;
    if (sigsetjmp(jump, 1) == 0) *out = *p;
    return last_signal;
}

static const char *signame(int sig) { return sig == SIGBUS ? "SIGBUS" : sig == SIGSEGV ? "SIGSEGV" : sig ? "other" : "none"; }

static void truncate_mapped(void)
{
    int fd = open("t.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    char buf[3 * 4096];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)('a' + i % 26);
    write(fd, buf, sizeof buf);
    char *p = mmap(NULL, sizeof buf, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK("mmap 3 pages MAP_SHARED", p != MAP_FAILED);
    p[10] = 'X';
    EXPECT_RET("ftruncate(fd, 512) while mapped", ftruncate(fd, 512), 0);
    struct stat st;
    fstat(fd, &st);
    printf("size after: %lld\n", (long long)st.st_size);
    char c = 0;
    int sig = touch(p + 10, &c);
    printf("p[10]: %s '%c'\n", signame(sig), sig ? '?' : c);
    sig = touch(p + 511, &c);
    printf("p[511]: %s '%c'\n", signame(sig), sig ? '?' : c);
    sig = touch(p + 600, &c);
    printf("p[600]: %s %d\n", signame(sig), sig ? -1 : c);
    sig = touch(p + 4096, &c);
    printf("p[4096]: %s\n", signame(sig));
    sig = touch(p + 2 * 4096 + 5, &c);
    printf("p[8197]: %s\n", signame(sig));
    p[100] = 'Y'; /* still the file's */
    char back[16] = {0};
    EXPECT_RET("pread(100, 1)", pread(fd, back, 1, 100), 1);
    printf("pread: '%c'\n", back[0]);
    EXPECT_RET("pread(10, 1)", pread(fd, back, 1, 10), 1);
    printf("pread: '%c'\n", back[0]);
    /* Python's mmap.resize(512): ftruncate, then mremap to the new size */
    char *q = mremap(p, sizeof buf, 512, 0);
    CHECK("mremap shrink in place", q == p);
    EXPECT_RET("munmap", munmap(q, 512), 0);
    close(fd);
    unlink("t.bin");
}

/* A 64 KiB-aligned address with free space after it (a view starts on a 64 KiB boundary
   under Windows: the test asks for one, Linux does not mind). */
static char *free_aligned(size_t need)
{
    size_t span = need + 2 * 65536;
    char *r = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED) return NULL;
    munmap(r, span);
    return (char *)(((uintptr_t)r + 65535) & ~(uintptr_t)65535);
}

static void remap_shared(void)
{
    int fd = open("m.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    ftruncate(fd, 10000);
    char *at = free_aligned(4 * 65536);
    char *p = mmap(at, 10000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
    CHECK("mmap 10000 at a free place", p == at);
    p[0] = 'A';
    ftruncate(fd, 20000);
    char *q = mremap(p, 10000, 20000, 0);
    CHECK("mremap 10000 -> 20000 in place (no MAYMOVE)", q == p);
    if (q == p) {
        q[19999] = 'z';
        char c = 0;
        pread(fd, &c, 1, 19999);
        printf("byte 19999 through the file: '%c'\n", c);
        printf("byte 0: '%c'\n", q[0]);
    }
    /* something after it: no room to grow */
    char *block = mmap(at + 65536, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK("a mapping after it", block == at + 65536);
    ftruncate(fd, 100000);
    errno = 0;
    char *r = mremap(p, 20000, 100000, 0);
    printf("mremap 20000 -> 100000 blocked: %s\n", r == MAP_FAILED ? errno_name(errno) : "ok");
    r = mremap(p, 20000, 100000, MREMAP_MAYMOVE);
    CHECK("mremap 20000 -> 100000 MAYMOVE", r != MAP_FAILED && r != p);
    if (r != MAP_FAILED) {
        printf("moved: byte 0 '%c', byte 19999 '%c'\n", r[0], r[19999]);
        r[99999] = 'w';
        char c = 0;
        pread(fd, &c, 1, 99999);
        printf("byte 99999 through the file: '%c'\n", c);
        munmap(r, 100000);
    }
    munmap(block, 4096);
    close(fd);
    unlink("m.bin");
}

static void remap_shared_anonymous(void)
{
    char *at = free_aligned(4 * 65536);
    char *p = mmap(at, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK("mmap shared anonymous 8192", p == at);
    p[0] = 'S';
    char *q = mremap(p, 8192, 16384, 0);
    CHECK("mremap shared anonymous 8192 -> 16384 in place", q == p);
    if (q == p) {
        char c = 0;
        printf("byte 0 '%c'; page 3: %s\n", q[0], signame(touch(q + 12288, &c)));
        munmap(q, 16384);
    }
}

int main(void)
{
    GUEST_START();
    struct sigaction sa = {.sa_handler = on_fault};
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    truncate_mapped();
    remap_shared();
    remap_shared_anonymous();
    return GUEST_END();
}
