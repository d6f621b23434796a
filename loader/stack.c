/* The initial stack, laid out as Linux's create_elf_tables() does (top down):
     end marker, AT_EXECFN string, envp strings, argv strings, platform string,
     AT_RANDOM bytes, [program headers when the image does not map them],
     16-byte alignment, auxv, NULL, envp[], NULL, argv[], argc  <- rsp */
#include <string.h>
#include "linux_consts.h"
#include "linux_elf.h"
#include "stack.h"

typedef struct stack_cursor {
    uint8_t *mem;
    uint64_t guest_base;
    size_t top; /* offset of the lowest byte used so far */
    int overflow;
} stack_cursor;

/* Pushes n bytes (aligned down to align) and returns their guest address. */
static uint64_t push_bytes(stack_cursor *c, const void *data, size_t n, size_t align)
{
    if (c->overflow || n > c->top) { c->overflow = 1; return 0; }
    size_t at = (c->top - n) & ~(align - 1);
    c->top = at;
    if (data) memcpy(c->mem + at, data, n);
    return c->guest_base + at;
}

static uint64_t push_string(stack_cursor *c, const char *s)
{
    return push_bytes(c, s, strlen(s) + 1, 1);
}

static size_t count(const char *const *v)
{
    size_t n = 0;
    while (v && v[n]) n++;
    return n;
}

uint64_t px_stack_build(uint8_t *mem, uint64_t guest_base, size_t size, const px_stack_params *p)
{
    stack_cursor c = {.mem = mem, .guest_base = guest_base, .top = size};
    size_t argc = count(p->argv), envc = count(p->envp);
    uint64_t zero = 0;

    push_bytes(&c, &zero, sizeof zero, 8);
    uint64_t execfn = push_string(&c, p->execfn);
    /* Strings are pushed last-first so that they lie in order in memory, like Linux's. */
    uint64_t env_addr[envc + 1], arg_addr[argc + 1];
    for (size_t i = envc; i-- > 0;) env_addr[i] = push_string(&c, p->envp[i]);
    for (size_t i = argc; i-- > 0;) arg_addr[i] = push_string(&c, p->argv[i]);
    uint64_t platform = push_string(&c, p->platform);
    uint64_t random = push_bytes(&c, p->random, sizeof p->random, 16);
    uint64_t phdr = p->phdr;
    if (p->phdr_copy) phdr = push_bytes(&c, p->phdr_copy, p->phdr_copy_size, 16);

    const linux_elf64_auxv auxv[] = {
        /* AT_SYSINFO_EHDR comes first, as in Linux's ARCH_DLINFO; skipped while 0 (no vDSO). */
        {p->sysinfo_ehdr ? LINUX_AT_SYSINFO_EHDR : LINUX_AT_IGNORE, p->sysinfo_ehdr},
        {LINUX_AT_HWCAP, p->hwcap},
        {LINUX_AT_PAGESZ, 4096},
        {LINUX_AT_CLKTCK, 100},
        {LINUX_AT_PHDR, phdr},
        {LINUX_AT_PHENT, p->phent},
        {LINUX_AT_PHNUM, p->phnum},
        {LINUX_AT_BASE, p->base},
        {LINUX_AT_FLAGS, 0},
        {LINUX_AT_ENTRY, p->entry},
        {LINUX_AT_UID, p->uid},
        {LINUX_AT_EUID, p->euid},
        {LINUX_AT_GID, p->gid},
        {LINUX_AT_EGID, p->egid},
        {LINUX_AT_SECURE, 0},
        {LINUX_AT_RANDOM, random},
        {LINUX_AT_HWCAP2, p->hwcap2},
        {LINUX_AT_EXECFN, execfn},
        {LINUX_AT_PLATFORM, platform},
        {LINUX_AT_NULL, 0},
    };
    /* AT_IGNORE entries are dropped rather than left as holes. */
    linux_elf64_auxv used[sizeof auxv / sizeof auxv[0]];
    size_t nused = 0;
    for (size_t i = 0; i < sizeof auxv / sizeof auxv[0]; i++)
        if (auxv[i].a_type != LINUX_AT_IGNORE) used[nused++] = auxv[i];

    /* argc + argv[] + NULL + envp[] + NULL + auxv: rsp must end 16-byte aligned at argc. */
    size_t words = 1 + argc + 1 + envc + 1;
    size_t table = words * 8 + nused * sizeof(linux_elf64_auxv);
    if (c.overflow || table + 16 > c.top) return 0;
    size_t at = (c.top - table) & ~(size_t)15;
    uint64_t *w = (uint64_t *)(mem + at);
    *w++ = argc;
    for (size_t i = 0; i < argc; i++) *w++ = arg_addr[i];
    *w++ = 0;
    for (size_t i = 0; i < envc; i++) *w++ = env_addr[i];
    *w++ = 0;
    memcpy(w, used, nused * sizeof(linux_elf64_auxv));
    return guest_base + at;
}
