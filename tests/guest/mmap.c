/* Memory mappings: anonymous, MAP_PRIVATE of a file, munmap of a middle range,
   MAP_FIXED into the hole, mprotect RO -> RW. */
#include "guest.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static int all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++) if (p[i] != v) return 0;
    return 1;
}

int main(void)
{
    GUEST_START();
    /* anonymous */
    unsigned char *a = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("anonymous mmap", a != MAP_FAILED);
    CHECK("page aligned", ((uintptr_t)a & (PAGE - 1)) == 0);
    CHECK("zero filled", all_bytes(a, 8 * PAGE, 0));
    for (int i = 0; i < 8; i++) memset(a + i * PAGE, 'A' + i, PAGE);
    CHECK("written", a[0] == 'A' && a[8 * PAGE - 1] == 'H');

    /* munmap a middle range: pages 3 and 4 */
    EXPECT_RET("munmap middle", munmap(a + 3 * PAGE, 2 * PAGE), 0);
    CHECK("pages below the hole intact", all_bytes(a, PAGE, 'A') && all_bytes(a + PAGE, PAGE, 'B') &&
          all_bytes(a + 2 * PAGE, PAGE, 'C'));
    CHECK("pages above the hole intact", all_bytes(a + 5 * PAGE, PAGE, 'F') && all_bytes(a + 7 * PAGE, PAGE, 'H'));
    /* MAP_FIXED_NOREPLACE maps only where nothing is: a probe for the hole */
    void *probe = mmap(a + 3 * PAGE, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK("the hole is free (MAP_FIXED_NOREPLACE)", probe == a + 3 * PAGE);
    if (probe != MAP_FAILED) munmap(probe, 2 * PAGE);
    EXPECT_ERRNO("MAP_FIXED_NOREPLACE over a mapped page", (long)mmap(a + 2 * PAGE, 2 * PAGE, PROT_READ,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
    CHECK("the refused mapping left the page alone", all_bytes(a + 2 * PAGE, PAGE, 'C'));
    EXPECT_RET("munmap of the hole again is fine", munmap(a + 3 * PAGE, PAGE), 0);
    /* MAP_FIXED into the hole */
    unsigned char *h = mmap(a + 3 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK("MAP_FIXED into the hole", h == a + 3 * PAGE);
    CHECK("hole is zero filled", h != MAP_FAILED && all_bytes(h, 2 * PAGE, 0));
    if (h != MAP_FAILED) memset(h, 'x', 2 * PAGE);
    CHECK("neighbours untouched", all_bytes(a + 2 * PAGE, PAGE, 'C') && all_bytes(a + 5 * PAGE, PAGE, 'F'));
    /* MAP_FIXED over existing pages replaces them */
    unsigned char *r = mmap(a + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK("MAP_FIXED over a mapping", r == a + PAGE && all_bytes(r, PAGE, 0));
    CHECK("pages beside the replaced one", all_bytes(a, PAGE, 'A') && all_bytes(a + 2 * PAGE, PAGE, 'C'));
    /* munmap pieces of the now split mapping in one call */
    EXPECT_RET("munmap across pieces", munmap(a, 8 * PAGE), 0);
    probe = mmap(a, 8 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK("the whole range is free again", probe == a);
    if (probe != MAP_FAILED) munmap(probe, 8 * PAGE);

    /* file mapping, MAP_PRIVATE */
    int fd = open("data", O_CREAT | O_RDWR | O_TRUNC, 0644);
    static unsigned char content[2 * PAGE + 100];
    for (size_t i = 0; i < sizeof content; i++) content[i] = (unsigned char)(i * 31 + 7);
    EXPECT_RET("write file", write(fd, content, sizeof content), (long)sizeof content);
    unsigned char *f = mmap(NULL, sizeof content, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK("file mmap", f != MAP_FAILED);
    CHECK("file contents", memcmp(f, content, sizeof content) == 0);
    CHECK("tail of the last page is zero", all_bytes(f + sizeof content, PAGE - 100, 0));
    memset(f, 'W', 100);
    f[PAGE + 5] = 'W';
    CHECK("private write visible in the mapping", f[0] == 'W' && f[PAGE + 5] == 'W');
    unsigned char back[sizeof content];
    EXPECT_RET("pread file", pread(fd, back, sizeof back, 0), (long)sizeof back);
    CHECK("private writes do not reach the file", memcmp(back, content, sizeof content) == 0);
    EXPECT_RET("munmap file mapping", munmap(f, sizeof content), 0);
    /* an offset mapping */
    f = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
    CHECK("mmap at offset", f != MAP_FAILED && memcmp(f, content + PAGE, PAGE) == 0);
    munmap(f, PAGE);
    /* the mapping outlives the fd */
    f = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    CHECK("mapping survives close", f != MAP_FAILED && memcmp(f, content, PAGE) == 0);
    munmap(f, PAGE);
    fd = open("data", O_RDONLY);
    EXPECT_ERRNO("MAP_SHARED writable of a read-only fd", (long)mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
    f = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK("MAP_PRIVATE writable of a read-only fd", f != MAP_FAILED);
    if (f != MAP_FAILED) { f[0] = 1; munmap(f, PAGE); }
    close(fd);
    unlink("data");

    /* mprotect RO -> RW */
    unsigned char *m = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("read-only mapping", m != MAP_FAILED && all_bytes(m, 2 * PAGE, 0));
    EXPECT_RET("mprotect RW", mprotect(m, 2 * PAGE, PROT_READ | PROT_WRITE), 0);
    memset(m, 'p', 2 * PAGE);
    CHECK("write after mprotect", all_bytes(m, 2 * PAGE, 'p'));
    EXPECT_RET("mprotect one page RO", mprotect(m, PAGE, PROT_READ), 0);
    m[PAGE] = 'q';
    CHECK("other page still writable", m[PAGE] == 'q' && m[0] == 'p');
    /* raw: musl's wrapper rounds the address down */
    EXPECT_ERRNO("mprotect unaligned", syscall(SYS_mprotect, m + 1, PAGE, PROT_READ), EINVAL);
    EXPECT_RET("munmap", munmap(m, 2 * PAGE), 0);

    /* a larger anonymous mapping, touched sparsely */
    size_t big = 64 << 20;
    unsigned char *b = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("64 MiB mapping", b != MAP_FAILED);
    if (b != MAP_FAILED) {
        for (size_t i = 0; i < big; i += 1 << 20) b[i] = 1;
        long s = 0;
        for (size_t i = 0; i < big; i += 1 << 20) s += b[i];
        printf("64 MiB touched: %ld\n", s);
        munmap(b, big);
    }
    return GUEST_END();
}
