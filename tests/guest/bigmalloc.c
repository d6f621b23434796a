/* 200 MiB from malloc, every page touched, with a checksum of what was written. */
#include "guest.h"
#include <stdint.h>
#include <stdlib.h>

int main(void)
{
    GUEST_START();
    size_t size = (size_t)200 << 20;
    unsigned char *p = malloc(size);
    CHECK("malloc 200 MiB", p != NULL);
    if (!p) return GUEST_END();
    for (size_t i = 0; i < size; i += 4096) {
        p[i] = (unsigned char)(i >> 12);
        p[i + 4095] = (unsigned char)((i >> 12) * 3);
    }
    uint64_t sum = 0;
    for (size_t i = 0; i < size; i += 4096) sum = sum * 31 + p[i] + p[i + 4095];
    printf("pages: %zu\n", size / 4096);
    printf("checksum: %016llx\n", (unsigned long long)sum);
    memset(p + size - (1 << 20), 0xab, 1 << 20);
    CHECK("last MiB", p[size - 1] == 0xab);
    free(p);
    /* and again: the memory comes back */
    p = calloc(size, 1);
    CHECK("calloc 200 MiB after free", p != NULL && p[0] == 0 && p[size - 1] == 0 && p[size / 2] == 0);
    free(p);
    return GUEST_END();
}
