/* Thread-local storage: __thread initialised data and bss, scalars and arrays, an
   over-aligned variable, the TCB self pointer, errno as a TLS variable. */
#include "guest.h"
#include <stdint.h>
#include <unistd.h>

__thread int tls_counter = 42;
__thread long tls_big = 0x1122334455667788L;
__thread char tls_text[32] = "initialised tls";
__thread int tls_table[8] = {1, 2, 3, 4, 5, 6, 7, 8};
__thread int tls_zero;
__thread long tls_zero_array[512];
__thread char tls_aligned[16] __attribute__((aligned(64))) = "aligned";

static __attribute__((noinline)) int bump(void) { return ++tls_counter; }
static __attribute__((noinline)) int *table(void) { return tls_table; }

int main(void)
{
    GUEST_START();
    CHECK("initialised int", tls_counter == 42);
    CHECK("initialised long", tls_big == 0x1122334455667788L);
    CHECK("initialised string", strcmp(tls_text, "initialised tls") == 0);
    int sum = 0;
    for (int i = 0; i < 8; i++) sum += table()[i];
    printf("table sum: %d\n", sum);
    CHECK("bss int is zero", tls_zero == 0);
    int all_zero = 1;
    for (int i = 0; i < 512; i++) all_zero &= tls_zero_array[i] == 0;
    CHECK("bss array is zero", all_zero);
    CHECK("over-aligned variable", ((uintptr_t)tls_aligned & 63) == 0 && strcmp(tls_aligned, "aligned") == 0);

    for (int i = 0; i < 1000; i++) bump();
    printf("counter after 1000 increments: %d\n", tls_counter);
    for (int i = 0; i < 512; i++) tls_zero_array[i] = i;
    long s = 0;
    for (int i = 0; i < 512; i++) s += tls_zero_array[i];
    printf("bss array sum: %ld\n", s);
    strcpy(tls_text, "changed");
    printf("text: %s\n", tls_text);
    CHECK("writes to one variable leave its neighbours", tls_big == 0x1122334455667788L && tls_table[7] == 8);

    /* x86-64: %fs:0 holds the thread pointer itself, and TLS sits below it. */
    uintptr_t tp;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(tp));
    CHECK("%fs:0 is the thread pointer", tp == (uintptr_t)__builtin_thread_pointer());
    CHECK("TLS variables below the thread pointer", (uintptr_t)&tls_counter < tp && (uintptr_t)&tls_zero_array[511] < tp);
    int via_fs;
    long off = (long)((uintptr_t)&tls_counter - tp);
    __asm__ volatile("movl %%fs:(%1), %0" : "=r"(via_fs) : "r"(off));
    CHECK("%fs-relative load of a variable", via_fs == tls_counter);
    __asm__ volatile("movl %1, %%fs:(%0)" : : "r"(off), "r"(7) : "memory");
    CHECK("%fs-relative store to a variable", tls_counter == 7);

    errno = 0;
    CHECK("errno is set through TLS", close(-1) == -1 && errno == EBADF);
    errno = 0;
    CHECK("errno is writable", errno == 0);
    return GUEST_END();
}
