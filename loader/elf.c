/* ELF64 validation: everything the loader later reads from the image is bounds-checked
   here once, so mapping code can trust offsets and sizes. */
#include <string.h>
#include "linux_consts.h"
#include "elf.h"

static const struct { uint16_t machine; const char *message; } foreign_machines[] = {
    {ELF_EM_386, "ELF for i386, only x86-64 programs run"},
    {ELF_EM_ARM, "ELF for ARM, only x86-64 programs run"},
    {ELF_EM_AARCH64, "ELF for AArch64, only x86-64 programs run"},
    {ELF_EM_RISCV, "ELF for RISC-V, only x86-64 programs run"},
    {ELF_EM_PPC, "ELF for PowerPC, only x86-64 programs run"},
    {ELF_EM_PPC64, "ELF for PowerPC64, only x86-64 programs run"},
    {ELF_EM_S390, "ELF for s390, only x86-64 programs run"},
    {ELF_EM_MIPS, "ELF for MIPS, only x86-64 programs run"},
    {ELF_EM_LOONGARCH, "ELF for LoongArch, only x86-64 programs run"},
};

static const struct { uint16_t type; const char *message; } unrunnable_types[] = {
    {ELF_ET_NONE, "ELF file of no type (ET_NONE), not a program"},
    {ELF_ET_REL, "relocatable object file (ET_REL), not a program"},
    {ELF_ET_CORE, "core dump (ET_CORE), not a program"},
};

static const struct { uint32_t pf; int prot; } segment_prot[] = {
    {ELF_PF_R, LINUX_PROT_READ},
    {ELF_PF_W, LINUX_PROT_WRITE},
    {ELF_PF_X, LINUX_PROT_EXEC},
};

int px_elf_prot(uint32_t p_flags)
{
    int prot = 0;
    for (size_t i = 0; i < sizeof segment_prot / sizeof segment_prot[0]; i++)
        if (p_flags & segment_prot[i].pf) prot |= segment_prot[i].prot;
    return prot;
}

/* off + len <= size without overflow. */
static bool within(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

static const char *check_header(const linux_elf64_ehdr *e, size_t size)
{
    if (e->e_ident[ELF_EI_CLASS] == ELF_CLASS32) return "32-bit ELF, only x86-64 programs run";
    if (e->e_ident[ELF_EI_CLASS] != ELF_CLASS64) return "invalid ELF class";
    if (e->e_ident[ELF_EI_DATA] == ELF_DATA2MSB) return "big-endian ELF, only x86-64 programs run";
    if (e->e_ident[ELF_EI_DATA] != ELF_DATA2LSB) return "invalid ELF data encoding";
    if (e->e_ident[ELF_EI_VERSION] != ELF_EV_CURRENT || e->e_version != ELF_EV_CURRENT)
        return "unsupported ELF version";
    if (e->e_machine != ELF_EM_X86_64) {
        for (size_t i = 0; i < sizeof foreign_machines / sizeof foreign_machines[0]; i++)
            if (foreign_machines[i].machine == e->e_machine) return foreign_machines[i].message;
        return "ELF for another machine, only x86-64 programs run";
    }
    if (e->e_type != ELF_ET_EXEC && e->e_type != ELF_ET_DYN) {
        for (size_t i = 0; i < sizeof unrunnable_types / sizeof unrunnable_types[0]; i++)
            if (unrunnable_types[i].type == e->e_type) return unrunnable_types[i].message;
        return "unknown ELF file type, not a program";
    }
    if (e->e_phentsize != sizeof(linux_elf64_phdr)) return "invalid program header size";
    if (e->e_phnum == 0) return "no program headers";
    /* Linux refuses more than 64 KiB of program headers. */
    if ((uint64_t)e->e_phnum * sizeof(linux_elf64_phdr) > 65536) return "too many program headers";
    if (e->e_phoff % 8 != 0) return "misaligned program headers";
    if (!within(e->e_phoff, (uint64_t)e->e_phnum * sizeof(linux_elf64_phdr), size))
        return "truncated: program headers beyond the end of the file";
    return NULL;
}

static const char *check_load(const linux_elf64_phdr *p, size_t size)
{
    if (p->p_filesz > p->p_memsz) return "invalid segment: file size larger than memory size";
    if (!within(p->p_offset, p->p_filesz, size)) return "truncated: segment beyond the end of the file";
    if (p->p_offset % PX_PAGE_SIZE != p->p_vaddr % PX_PAGE_SIZE)
        return "invalid segment: offset and address differ modulo the page size";
    if (p->p_align > 1 && (p->p_align & (p->p_align - 1)) != 0)
        return "invalid segment: alignment not a power of two";
    if (p->p_memsz == 0) return NULL;
    if (p->p_vaddr >= PX_USER_ADDR_END || p->p_memsz > PX_USER_ADDR_END - p->p_vaddr)
        return "invalid segment: address beyond the user address space";
    return NULL;
}

/* image: the file's first size bytes of file_size; the segments are checked against
   file_size, what is read here (headers, the interpreter's path) against size. */
static const char *check_image(const uint8_t *image, size_t size, uint64_t file_size, px_elf_info *info)
{
    memset(info, 0, sizeof *info);
    if (size < ELF_SELFMAG || memcmp(image, ELF_MAG, ELF_SELFMAG) != 0) return "not an ELF file";
    if (size < sizeof(linux_elf64_ehdr)) return "truncated: ELF header beyond the end of the file";
    const linux_elf64_ehdr *e = (const linux_elf64_ehdr *)image;
    const char *err = check_header(e, size);
    if (err) return err;

    const linux_elf64_phdr *ph = (const linux_elf64_phdr *)(image + e->e_phoff);
    uint64_t lo = UINT64_MAX, hi = 0, align = PX_PAGE_SIZE, phdr_vaddr = 0;
    uint64_t prev_load_vaddr = 0;
    bool have_load = false, have_phdr = false, entry_inside = false;
    for (uint16_t i = 0; i < e->e_phnum; i++) {
        const linux_elf64_phdr *p = &ph[i];
        switch (p->p_type) {
        case ELF_PT_LOAD:
            if ((err = check_load(p, file_size))) return err;
            if (p->p_memsz == 0) break;
            /* The gABI orders PT_LOAD by address; the mapper relies on it for shared pages. */
            if (have_load && p->p_vaddr < prev_load_vaddr) return "PT_LOAD segments not in address order";
            prev_load_vaddr = p->p_vaddr;
            have_load = true;
            if (p->p_vaddr < lo) lo = p->p_vaddr;
            if (p->p_vaddr + p->p_memsz > hi) hi = p->p_vaddr + p->p_memsz;
            if (p->p_align > align && (p->p_align & (p->p_align - 1)) == 0) align = p->p_align;
            if ((p->p_flags & ELF_PF_X) && e->e_entry >= p->p_vaddr && e->e_entry - p->p_vaddr < p->p_memsz)
                entry_inside = true;
            /* The program headers in memory: the segment whose file bytes contain them. */
            if (!have_phdr && p->p_offset <= e->e_phoff &&
                e->e_phoff + (uint64_t)e->e_phnum * sizeof *p <= p->p_offset + p->p_filesz)
                phdr_vaddr = p->p_vaddr + (e->e_phoff - p->p_offset);
            break;
        case ELF_PT_PHDR:
            have_phdr = true;
            phdr_vaddr = p->p_vaddr;
            break;
        case ELF_PT_INTERP: {
            if (info->interp) break; /* like Linux: the first one counts */
            if (!within(p->p_offset, p->p_filesz, size))
                return "truncated: interpreter path beyond the end of the file";
            const char *s = (const char *)image + p->p_offset;
            if (p->p_filesz < 2 || p->p_filesz > 4096 || s[p->p_filesz - 1] != 0 ||
                strlen(s) != p->p_filesz - 1)
                return "invalid interpreter path (PT_INTERP)";
            info->interp = s;
            break;
        }
        case ELF_PT_GNU_STACK:
            info->exec_stack = (p->p_flags & ELF_PF_X) != 0;
            break;
        default:
            break;
        }
    }
    if (!have_load) return "no loadable segments";
    if (!entry_inside) return "entry point outside the executable segments";
    lo = lo & ~(uint64_t)(PX_PAGE_SIZE - 1);
    hi = (hi + PX_PAGE_SIZE - 1) & ~(uint64_t)(PX_PAGE_SIZE - 1);
    if (e->e_type == ELF_ET_EXEC && lo < PX_USER_ADDR_MIN)
        return "invalid segment: address below the lowest user address";
    if (e->e_type == ELF_ET_DYN && hi - lo > PX_USER_ADDR_END / 2) return "image too large";

    info->ehdr = e;
    info->phdr = ph;
    info->phnum = e->e_phnum;
    info->type = e->e_type;
    info->entry = e->e_entry;
    info->min_vaddr = lo;
    info->max_vaddr = hi;
    info->max_align = align;
    info->phdr_vaddr = phdr_vaddr;
    return NULL;
}

const char *px_elf_check(const uint8_t *image, size_t size, px_elf_info *info)
{
    return check_image(image, size, size, info);
}

const char *px_elf_check_head(const uint8_t *head, size_t head_size, uint64_t file_size, px_elf_info *info)
{
    return check_image(head, head_size, file_size, info);
}
