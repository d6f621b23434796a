/* The runtime's __thread variables (mimalloc's default heap, the VFS's last query, the
   trace's line buffers). mingw-w64's GCC emulates them (emutls): each variable has a
   control object and the compiled code asks __emutls_get_address for the calling
   thread's copy. libgcc's own keeps the copies through winpthreads, whose per-thread
   object costs an event, a duplicated thread handle and a priority query at a thread's
   first access and two closes at its end: five wineserver round trips for every guest
   thread (much of what picolx added to a thread's start). This one keeps them on one
   Windows TLS slot and memory of the thread's own: no round trip. Defining both of libgcc's entry
   points here keeps its emutls object out of the link. */
#include <windows.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The control object GCC emits for each variable (__emutls_v.NAME). */
typedef struct emutls_object {
    size_t size;
    size_t align;
    uintptr_t index;   /* 1-based, given at the first access from any thread; 0 before */
    const void *templ; /* the initial value, or NULL for zeros */
} emutls_object;

static DWORD vars_slot = TLS_OUT_OF_INDEXES; /* written once, under index_lock */
static SRWLOCK index_lock = SRWLOCK_INIT;
static uintptr_t indexes_given;

static uintptr_t give_index(emutls_object *obj)
{
    AcquireSRWLockExclusive(&index_lock);
    if (vars_slot == TLS_OUT_OF_INDEXES) {
        DWORD slot = TlsAlloc();
        if (slot == TLS_OUT_OF_INDEXES) abort();
        __atomic_store_n(&vars_slot, slot, __ATOMIC_RELEASE);
    }
    uintptr_t index = obj->index;
    if (!index) {
        index = ++indexes_given;
        __atomic_store_n(&obj->index, index, __ATOMIC_RELEASE);
    }
    ReleaseSRWLockExclusive(&index_lock);
    return index;
}

/* A thread's copies live in chunks of its own, from VirtualAlloc rather than a heap: a
   thread ended by the process's exit (ExitProcess ends the others wherever they are)
   may die inside a heap call holding the heap's lock, and the exit's own clean-up then
   waits on it for ever; Wine never ends a thread inside its virtual-memory calls. The
   first chunk starts with the index of copies. */
#define CHUNK_BYTES (64u << 10)
#define VARS_MAX 256

typedef struct chunk {
    struct chunk *next;
    uint8_t *free, *end;
} chunk;

typedef struct thread_vars {
    chunk head;           /* this chunk's own header: the first of the list */
    void *vars[VARS_MAX]; /* by index - 1 */
} thread_vars;

static chunk *chunk_new(size_t bytes)
{
    chunk *c = VirtualAlloc(NULL, bytes, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (!c) abort(); /* as libgcc's: the variable has no storage to give */
    c->next = NULL;
    c->free = (uint8_t *)(c + 1);
    c->end = (uint8_t *)c + bytes;
    return c;
}

static thread_vars *thread_vars_new(void)
{
    chunk *c = chunk_new(CHUNK_BYTES);
    thread_vars *v = (thread_vars *)c;
    v->head.free = (uint8_t *)(v + 1);
    TlsSetValue(vars_slot, v);
    return v;
}

/* size bytes at align from the first chunk with room, or from a new one. */
static void *carve(thread_vars *v, size_t size, size_t align)
{
    for (chunk *c = &v->head;; c = c->next) {
        if (!c) { /* none has room: a new chunk, big enough, after the first */
            size_t need = sizeof(chunk) + align + size;
            c = chunk_new(need > CHUNK_BYTES ? need : CHUNK_BYTES);
            c->next = v->head.next;
            v->head.next = c;
        }
        uint8_t *at = (uint8_t *)(((uintptr_t)c->free + align - 1) & ~(uintptr_t)(align - 1));
        if (at + size <= c->end) {
            c->free = at + size;
            return at;
        }
    }
}

static void *new_copy(thread_vars *v, const emutls_object *obj)
{
    size_t align = obj->align > sizeof(void *) ? obj->align : sizeof(void *);
    uint8_t *copy = carve(v, obj->size, align); /* zeroed, as fresh pages are */
    if (obj->templ) memcpy(copy, obj->templ, obj->size);
    return copy;
}

/* GCC declares both as built-ins with void pointers. */
void *__emutls_get_address(void *control)
{
    emutls_object *obj = control;
    uintptr_t index = __atomic_load_n(&obj->index, __ATOMIC_ACQUIRE);
    if (!index) index = give_index(obj);
    DWORD last_error = GetLastError(); /* TlsGetValue clears it; a caller may not have read it yet */
    if (index > VARS_MAX) abort(); /* more __thread variables than the runtime has by far */
    thread_vars *v = TlsGetValue(__atomic_load_n(&vars_slot, __ATOMIC_ACQUIRE));
    if (!v) v = thread_vars_new();
    void *copy = v->vars[index - 1];
    if (!copy) copy = v->vars[index - 1] = new_copy(v, obj);
    SetLastError(last_error);
    return copy;
}

/* For a variable of -fcommon: the largest size and alignment its units declare. */
void __emutls_register_common(void *control, size_t size, size_t align, void *templ)
{
    emutls_object *obj = control;
    if (obj->size < size) {
        obj->size = size;
        obj->templ = NULL;
    }
    if (obj->align < align) obj->align = align;
    if (templ && size == obj->size) obj->templ = templ;
}

/* A thread's copies go at its end: a TLS callback, run after the fiber-local callbacks
   (mimalloc's thread-done, which still reads its heap variable). Something reading a
   variable later still gets a copy, which then stays. */
static void NTAPI free_thread_vars(PVOID module, DWORD reason, PVOID reserved)
{
    (void)module;
    (void)reserved;
    DWORD slot = __atomic_load_n(&vars_slot, __ATOMIC_ACQUIRE);
    if (reason != DLL_THREAD_DETACH || slot == TLS_OUT_OF_INDEXES) return;
    thread_vars *v = TlsGetValue(slot);
    if (!v) return;
    TlsSetValue(slot, NULL);
    for (chunk *c = v->head.next, *next; c; c = next) {
        next = c->next;
        VirtualFree(c, 0, MEM_RELEASE);
    }
    VirtualFree(v, 0, MEM_RELEASE);
}

/* The image's TLS callback array is the .CRT$XL* sections in name order (mingw-w64's
   tlssup.c brackets them with XLA and XLZ): Y runs after the C runtime's own. */
__attribute__((section(".CRT$XLY"), used)) static const PIMAGE_TLS_CALLBACK free_thread_vars_callback =
    free_thread_vars;
