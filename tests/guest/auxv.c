/* The auxiliary vector: page size, AT_RANDOM, AT_PHDR/AT_PHNUM against the ELF header
   the program was linked with, AT_ENTRY, AT_EXECFN, AT_HWCAP, ids. */
#include "guest.h"
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <unistd.h>

extern const ElfW(Ehdr) __ehdr_start;   /* provided by the linker: our own ELF header */
extern char _start[];

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static uintptr_t first_phdr;
static size_t first_phnum;
static int phdr_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size; (void)data;
    if (!first_phdr) { first_phdr = (uintptr_t)info->dlpi_phdr; first_phnum = info->dlpi_phnum; }
    return 0;
}

int main(int argc, char **argv)
{
    GUEST_START();
    (void)argc;
    CHECK("AT_PAGESZ == 4096", getauxval(AT_PAGESZ) == 4096);
    CHECK("sysconf(_SC_PAGESIZE) == 4096", sysconf(_SC_PAGESIZE) == 4096);
    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    CHECK("AT_RANDOM non-null", rnd != NULL);
    int nonzero = 0;
    if (rnd) for (int i = 0; i < 16; i++) nonzero += rnd[i] != 0;
    CHECK("AT_RANDOM bytes not all zero", nonzero > 0);

    const ElfW(Ehdr) *eh = &__ehdr_start;
    CHECK("ELF header at __ehdr_start", memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0);
    CHECK("AT_PHDR == ELF header + e_phoff", getauxval(AT_PHDR) == (uintptr_t)eh + eh->e_phoff);
    CHECK("AT_PHNUM == e_phnum", getauxval(AT_PHNUM) == eh->e_phnum);
    CHECK("AT_PHENT == sizeof(Elf64_Phdr)", getauxval(AT_PHENT) == sizeof(ElfW(Phdr)));
    CHECK("AT_ENTRY == _start", getauxval(AT_ENTRY) == (uintptr_t)_start);
    dl_iterate_phdr(phdr_cb, NULL);
    CHECK("dl_iterate_phdr agrees with AT_PHDR", first_phdr == getauxval(AT_PHDR) && first_phnum == getauxval(AT_PHNUM));
    printf("ELF type: %s\n", eh->e_type == ET_EXEC ? "ET_EXEC" : eh->e_type == ET_DYN ? "ET_DYN" : "other");

    const char *execfn = (const char *)getauxval(AT_EXECFN);
    CHECK("AT_EXECFN non-null", execfn != NULL);
    CHECK("AT_EXECFN ends with the program name", execfn && strcmp(base_name(execfn), base_name(argv[0])) == 0);
    CHECK("AT_EXECFN is the path given", execfn && strcmp(execfn, argv[0]) == 0);
    CHECK("AT_HWCAP non-zero", getauxval(AT_HWCAP) != 0);
    const char *platform = (const char *)getauxval(AT_PLATFORM);
    printf("AT_PLATFORM: %s\n", platform ? platform : "(none)");
    CHECK("AT_UID == getuid()", getauxval(AT_UID) == getuid());
    CHECK("AT_EUID == geteuid()", getauxval(AT_EUID) == geteuid());
    CHECK("AT_GID == getgid()", getauxval(AT_GID) == getgid());
    CHECK("AT_EGID == getegid()", getauxval(AT_EGID) == getegid());
    CHECK("AT_SECURE == 0", getauxval(AT_SECURE) == 0);
    CHECK("AT_CLKTCK == 100", getauxval(AT_CLKTCK) == 100);
    CHECK("AT_BASE == 0 (no interpreter)", getauxval(AT_BASE) == 0);

    /* the initial stack layout: argv, then envp, then auxv, all NULL-terminated */
    extern char **environ;
    char **p = environ;
    while (*p) p++;
    ElfW(auxv_t) *av = (ElfW(auxv_t) *)(p + 1);
    int found_pagesz = 0, n = 0;
    for (; av->a_type != AT_NULL && n < 100; av++, n++) if (av->a_type == AT_PAGESZ) found_pagesz = av->a_un.a_val == 4096;
    CHECK("auxv follows envp on the initial stack", found_pagesz);
    CHECK("argv[argc] == NULL and envp follows", argv[argc] == NULL && environ == argv + argc + 1);
    return GUEST_END();
}
