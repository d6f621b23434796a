/* The runtime's own heap. mimalloc keeps picolx's allocations apart from the guest's
   memory and fast under the allocation patterns of the VFS and the rewriter. */
#include "core/px.h"

#ifdef PX_NATIVE_TEST
#include <stdlib.h>
#define HEAP_MALLOC malloc
#define HEAP_CALLOC calloc
#define HEAP_REALLOC realloc
#define HEAP_FREE free
#else
#include <mimalloc.h>
#define HEAP_MALLOC mi_malloc
#define HEAP_CALLOC mi_calloc
#define HEAP_REALLOC mi_realloc
#define HEAP_FREE mi_free
#endif

void *px_alloc(size_t size) { return HEAP_MALLOC(size); }
void *px_calloc(size_t n, size_t size) { return HEAP_CALLOC(n, size); }
void *px_realloc(void *p, size_t size) { return HEAP_REALLOC(p, size); }
void px_free(void *p) { HEAP_FREE(p); }

char *px_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = px_alloc(n);
    if (d) memcpy(d, s, n);
    return d;
}
