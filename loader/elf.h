/* ELF64 validation (elf.c): pure code, no Windows calls, unit-tested natively. */
#ifndef PX_LOADER_ELF_H
#define PX_LOADER_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "linux_elf.h"

#define PX_PAGE_SIZE 4096u
/* The highest user address of x86-64 Linux (47-bit, the last page excluded). */
#define PX_USER_ADDR_END 0x7ffffffff000ull
/* The lowest address Linux maps (vm.mmap_min_addr). */
#define PX_USER_ADDR_MIN 0x10000ull

/* What the loader needs from a valid image, all offsets checked against the file size. */
typedef struct px_elf_info {
    const linux_elf64_ehdr *ehdr;
    const linux_elf64_phdr *phdr;  /* e_phnum entries inside the image */
    uint16_t phnum;
    uint16_t type;                 /* ELF_ET_EXEC or ELF_ET_DYN */
    uint64_t entry;                /* unbiased */
    uint64_t min_vaddr, max_vaddr; /* page-aligned span of the PT_LOAD segments (unbiased) */
    uint64_t max_align;            /* the largest PT_LOAD p_align (at least a page) */
    uint64_t phdr_vaddr;           /* where the program headers are in memory (unbiased), 0 if not loaded */
    const char *interp;            /* PT_INTERP path inside the image (NUL-terminated), or NULL */
    bool exec_stack;               /* PT_GNU_STACK with PF_X */
} px_elf_info;

/* Validates an ELF64 image of size bytes (the whole file). Returns NULL and fills *info,
   or a short description of the problem ("not an ELF file", "32-bit ELF, only x86-64
   programs run", "truncated: program headers beyond the end of the file", ...). */
const char *px_elf_check(const uint8_t *image, size_t size, px_elf_info *info);
/* The same on the file's first head_size bytes of file_size (what picolx needs to know to
   start a fixed-address program in a new process without reading it all); an error may
   only mean that the headers lie beyond the head: px_elf_check on the whole file says. */
const char *px_elf_check_head(const uint8_t *head, size_t head_size, uint64_t file_size, px_elf_info *info);

/* LINUX_PROT_* for a segment's PF_* flags. */
int px_elf_prot(uint32_t p_flags);

#endif
