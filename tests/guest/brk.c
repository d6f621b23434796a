/* The program break: brk growth, writes to every new page, shrink, growth again with
   fresh zeroed pages. Raw syscalls: musl's sbrk refuses non-zero increments. */
#include "guest.h"
#include <stdint.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <unistd.h>

#define PAGE 4096

static uintptr_t sys_brk(uintptr_t want) { return (uintptr_t)syscall(SYS_brk, want); }

int main(void)
{
    GUEST_START();
    /* libc's own heap and stdout buffer first, so they lie below the break we test. */
    printf("brk test\n");
    free(malloc(100));
    uintptr_t start = sys_brk(0);
    CHECK("brk(0) is non-zero", start != 0);
    CHECK("brk(0) twice is stable", sys_brk(0) == start);
    uintptr_t base = (start + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
    size_t grow = 4 << 20;
    CHECK("grow by 4 MiB", sys_brk(base + grow) == base + grow);
    unsigned char *p = (unsigned char *)base;
    int zero = 1;
    for (size_t i = 0; i < grow; i += PAGE) zero &= p[i] == 0 && p[i + PAGE - 1] == 0;
    CHECK("new pages are zero", zero);
    for (size_t i = 0; i < grow; i += PAGE) p[i] = (unsigned char)(i / PAGE);
    long sum = 0;
    for (size_t i = 0; i < grow; i += PAGE) sum += p[i];
    printf("sum over 4 MiB of brk pages: %ld\n", sum);
    CHECK("unaligned brk accepted", sys_brk(base + grow + 100) == base + grow + 100);
    CHECK("shrink", sys_brk(base + PAGE) == base + PAGE);
    CHECK("brk(0) after shrink", sys_brk(0) == base + PAGE);
    CHECK("memory below the break kept", p[0] == 0 && (p[5] = 5, p[5] == 5));
    CHECK("grow again", sys_brk(base + 2 * grow) == base + 2 * grow);
    zero = 1;
    for (size_t i = PAGE; i < 2 * grow; i += PAGE) zero &= p[i] == 0;
    CHECK("regrown pages are zero again", zero);
    for (size_t i = 0; i < 2 * grow; i += PAGE) p[i] = 3;
    CHECK("below the start is refused (brk unchanged)", sys_brk(PAGE) == base + 2 * grow);
    CHECK("absurd growth is refused (brk unchanged)", sys_brk(base + ((uintptr_t)1 << 47)) == base + 2 * grow);
    CHECK("back to the start", sys_brk(start) == start);
    return GUEST_END();
}
