/* The loader's pure parts: ELF validation on synthetic broken images and real programs,
   and the initial stack layout. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "linux_consts.h"
#include "elf.h"
#include "stack.h"

/* A minimal valid ET_EXEC: header, 2 program headers (PT_LOAD R+X, PT_GNU_STACK), code. */
typedef struct image {
    linux_elf64_ehdr eh;
    linux_elf64_phdr ph[3];
    uint8_t code[4096 - sizeof(linux_elf64_ehdr) - 3 * sizeof(linux_elf64_phdr)];
} image;

static image make_image(void)
{
    image im;
    memset(&im, 0, sizeof im);
    memcpy(im.eh.e_ident, ELF_MAG, 4);
    im.eh.e_ident[ELF_EI_CLASS] = ELF_CLASS64;
    im.eh.e_ident[ELF_EI_DATA] = ELF_DATA2LSB;
    im.eh.e_ident[ELF_EI_VERSION] = ELF_EV_CURRENT;
    im.eh.e_type = ELF_ET_EXEC;
    im.eh.e_machine = ELF_EM_X86_64;
    im.eh.e_version = ELF_EV_CURRENT;
    im.eh.e_entry = 0x400000 + offsetof(image, code);
    im.eh.e_phoff = offsetof(image, ph);
    im.eh.e_ehsize = sizeof im.eh;
    im.eh.e_phentsize = sizeof(linux_elf64_phdr);
    im.eh.e_phnum = 3;
    im.ph[0] = (linux_elf64_phdr){.p_type = ELF_PT_LOAD, .p_flags = ELF_PF_R | ELF_PF_X, .p_offset = 0,
                                  .p_vaddr = 0x400000, .p_filesz = sizeof im, .p_memsz = sizeof im, .p_align = 4096};
    im.ph[1] = (linux_elf64_phdr){.p_type = ELF_PT_LOAD, .p_flags = ELF_PF_R | ELF_PF_W, .p_offset = 0,
                                  .p_vaddr = 0x401000, .p_filesz = 16, .p_memsz = 0x2000, .p_align = 4096};
    im.ph[2] = (linux_elf64_phdr){.p_type = ELF_PT_GNU_STACK, .p_flags = ELF_PF_R | ELF_PF_W};
    return im;
}

static const char *check(const image *im, size_t size, px_elf_info *info)
{
    return px_elf_check((const uint8_t *)im, size, info);
}

static px_elf_info info;

Test(elf, valid_synthetic)
{
    image im = make_image();
    cr_assert_null(check(&im, sizeof im, &info));
    cr_assert_eq(info.type, ELF_ET_EXEC);
    cr_assert_eq(info.min_vaddr, 0x400000);
    cr_assert_eq(info.max_vaddr, 0x403000);
    cr_assert_eq(info.phdr_vaddr, 0x400000 + offsetof(image, ph));
    cr_assert_not(info.exec_stack);
    cr_assert_null(info.interp);
}

Test(elf, text_file)
{
    const char text[] = "#!/bin/sh\necho hello\n";
    cr_assert_str_eq(px_elf_check((const uint8_t *)text, sizeof text - 1, &info), "not an ELF file");
    cr_assert_str_eq(px_elf_check((const uint8_t *)"", 0, &info), "not an ELF file");
}

Test(elf, truncated_header)
{
    image im = make_image();
    cr_assert_str_eq(check(&im, 40, &info), "truncated: ELF header beyond the end of the file");
}

Test(elf, class32)
{
    image im = make_image();
    im.eh.e_ident[ELF_EI_CLASS] = ELF_CLASS32;
    cr_assert_str_eq(check(&im, sizeof im, &info), "32-bit ELF, only x86-64 programs run");
}

Test(elf, big_endian)
{
    image im = make_image();
    im.eh.e_ident[ELF_EI_DATA] = ELF_DATA2MSB;
    cr_assert_str_eq(check(&im, sizeof im, &info), "big-endian ELF, only x86-64 programs run");
}

Test(elf, wrong_machine)
{
    image im = make_image();
    im.eh.e_machine = ELF_EM_AARCH64;
    cr_assert_str_eq(check(&im, sizeof im, &info), "ELF for AArch64, only x86-64 programs run");
    im.eh.e_machine = 9999;
    cr_assert_str_eq(check(&im, sizeof im, &info), "ELF for another machine, only x86-64 programs run");
}

Test(elf, not_a_program)
{
    image im = make_image();
    im.eh.e_type = ELF_ET_REL;
    cr_assert_str_eq(check(&im, sizeof im, &info), "relocatable object file (ET_REL), not a program");
    im.eh.e_type = ELF_ET_CORE;
    cr_assert_str_eq(check(&im, sizeof im, &info), "core dump (ET_CORE), not a program");
}

Test(elf, phoff_out_of_bounds)
{
    image im = make_image();
    im.eh.e_phoff = sizeof im - 64;
    cr_assert_str_eq(check(&im, sizeof im, &info), "truncated: program headers beyond the end of the file");
    im.eh.e_phoff = UINT64_MAX - 7; /* offset + size overflows */
    cr_assert_str_eq(check(&im, sizeof im, &info), "truncated: program headers beyond the end of the file");
}

Test(elf, phnum_out_of_bounds)
{
    image im = make_image();
    im.eh.e_phnum = 80;
    cr_assert_str_eq(check(&im, sizeof im, &info), "truncated: program headers beyond the end of the file");
    im.eh.e_phnum = 0;
    cr_assert_str_eq(check(&im, sizeof im, &info), "no program headers");
    im.eh.e_phnum = 2000;
    cr_assert_str_eq(check(&im, sizeof im, &info), "too many program headers");
}

Test(elf, bad_phentsize)
{
    image im = make_image();
    im.eh.e_phentsize = 32;
    cr_assert_str_eq(check(&im, sizeof im, &info), "invalid program header size");
}

Test(elf, filesz_above_memsz)
{
    image im = make_image();
    im.ph[1].p_filesz = 0x3000;
    cr_assert_str_eq(check(&im, sizeof im, &info), "invalid segment: file size larger than memory size");
}

Test(elf, segment_beyond_file)
{
    image im = make_image();
    im.ph[1].p_filesz = 0x1000;
    im.ph[1].p_offset = 0x1000;
    cr_assert_str_eq(check(&im, sizeof im, &info), "truncated: segment beyond the end of the file");
    im.ph[1].p_offset = UINT64_MAX - 0x1000 + 1; /* offset + filesz overflows, still congruent */
    cr_assert_str_eq(check(&im, sizeof im, &info), "truncated: segment beyond the end of the file");
}

Test(elf, misaligned_offset_vaddr)
{
    image im = make_image();
    im.ph[1].p_vaddr = 0x401008;
    cr_assert_str_eq(check(&im, sizeof im, &info), "invalid segment: offset and address differ modulo the page size");
}

Test(elf, address_overflow)
{
    image im = make_image();
    im.ph[1].p_vaddr = 0xfffffffffffff000ull;
    cr_assert_str_eq(check(&im, sizeof im, &info), "invalid segment: address beyond the user address space");
    im.ph[1].p_vaddr = 0x7ffffffe0000ull;
    im.ph[1].p_memsz = 0x100000;
    cr_assert_str_eq(check(&im, sizeof im, &info), "invalid segment: address beyond the user address space");
}

Test(elf, unordered_segments)
{
    image im = make_image();
    im.ph[1].p_vaddr = 0x300000;
    cr_assert_str_eq(check(&im, sizeof im, &info), "PT_LOAD segments not in address order");
}

Test(elf, entry_outside)
{
    image im = make_image();
    im.eh.e_entry = 0x401000; /* the data segment is not executable */
    cr_assert_str_eq(check(&im, sizeof im, &info), "entry point outside the executable segments");
}

Test(elf, interp)
{
    image im = make_image();
    static const char path[] = "/lib64/ld-linux-x86-64.so.2";
    size_t at = offsetof(image, code) + 64;
    memcpy((uint8_t *)&im + at, path, sizeof path);
    im.ph[2] = (linux_elf64_phdr){.p_type = ELF_PT_INTERP, .p_offset = at, .p_filesz = sizeof path};
    cr_assert_null(check(&im, sizeof im, &info));
    cr_assert_str_eq(info.interp, path);
    im.ph[2].p_filesz = sizeof path - 1; /* not NUL-terminated */
    cr_assert_str_eq(check(&im, sizeof im, &info), "invalid interpreter path (PT_INTERP)");
    im.ph[2].p_offset = sizeof im - 4;
    cr_assert_str_eq(check(&im, sizeof im, &info), "truncated: interpreter path beyond the end of the file");
}

Test(elf, exec_stack)
{
    image im = make_image();
    im.ph[2].p_flags |= ELF_PF_X;
    cr_assert_null(check(&im, sizeof im, &info));
    cr_assert(info.exec_stack);
}

Test(elf, prot)
{
    cr_assert_eq(px_elf_prot(ELF_PF_R | ELF_PF_X), LINUX_PROT_READ | LINUX_PROT_EXEC);
    cr_assert_eq(px_elf_prot(ELF_PF_R | ELF_PF_W), LINUX_PROT_READ | LINUX_PROT_WRITE);
    cr_assert_eq(px_elf_prot(0), LINUX_PROT_NONE);
}

static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n);
    *size = fread(buf, 1, (size_t)n, f);
    fclose(f);
    return buf;
}

Test(elf, busybox_exec)
{
    size_t size;
    uint8_t *im = slurp("/bin/busybox", &size);
    if (!im) cr_skip_test("/bin/busybox is not installed");
    cr_assert_null(px_elf_check(im, size, &info));
    cr_assert_eq(info.type, ELF_ET_EXEC);
    cr_assert_eq(info.min_vaddr, 0x400000);
    cr_assert_eq(info.phdr_vaddr, 0x400040);
    cr_assert_null(info.interp);
    cr_assert_not(info.exec_stack);
    free(im);
}

Test(elf, static_pie_dyn)
{
    size_t size;
    uint8_t *im = slurp(STATIC_PIE_SAMPLE, &size);
    cr_assert_not_null(im, "%s", STATIC_PIE_SAMPLE);
    cr_assert_null(px_elf_check(im, size, &info));
    cr_assert_eq(info.type, ELF_ET_DYN);
    cr_assert_eq(info.min_vaddr, 0);
    cr_assert_null(info.interp);
    free(im);
}

Test(elf, truncated_real_program)
{
    size_t size;
    uint8_t *im = slurp(STATIC_PIE_SAMPLE, &size);
    cr_assert_not_null(im);
    cr_assert_str_eq(px_elf_check(im, size / 2, &info), "truncated: segment beyond the end of the file");
    free(im);
}

/* ---- initial stack ---- */

Test(stack, layout)
{
    static uint8_t mem[65536];
    const uint64_t base = 0x7f0000000000ull;
    const char *argv[] = {"prog", "-x", "arg two", NULL};
    const char *envp[] = {"PATH=/bin", "HOME=/root", NULL};
    px_stack_params p = {.argv = argv, .envp = envp, .execfn = "/usr/bin/prog", .platform = "x86_64",
                         .random = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
                         .phdr = 0x400040, .phent = 56, .phnum = 10, .entry = 0x401000, .hwcap = 0x178bfbff,
                         .uid = 1000, .euid = 1000, .gid = 1000, .egid = 1000};
    uint64_t rsp = px_stack_build(mem, base, sizeof mem, &p);
    cr_assert_neq(rsp, 0);
    cr_assert_eq(rsp % 16, 0);
#define AT(addr) (mem + ((addr) - base))
    uint64_t *w = (uint64_t *)AT(rsp);
    cr_assert_eq(w[0], 3);
    cr_assert_str_eq((char *)AT(w[1]), "prog");
    cr_assert_str_eq((char *)AT(w[2]), "-x");
    cr_assert_str_eq((char *)AT(w[3]), "arg two");
    cr_assert_eq(w[4], 0);
    cr_assert_str_eq((char *)AT(w[5]), "PATH=/bin");
    cr_assert_str_eq((char *)AT(w[6]), "HOME=/root");
    cr_assert_eq(w[7], 0);
    linux_elf64_auxv *a = (linux_elf64_auxv *)&w[8];
    uint64_t seen[64] = {0};
    int n = 0;
    for (; a[n].a_type != LINUX_AT_NULL; n++) {
        cr_assert_lt(a[n].a_type, 64);
        cr_assert_eq(seen[a[n].a_type], 0, "duplicate auxv %llu", (unsigned long long)a[n].a_type);
        seen[a[n].a_type] = 1;
        switch (a[n].a_type) {
        case LINUX_AT_PHDR: cr_assert_eq(a[n].a_val, 0x400040); break;
        case LINUX_AT_PHNUM: cr_assert_eq(a[n].a_val, 10); break;
        case LINUX_AT_PAGESZ: cr_assert_eq(a[n].a_val, 4096); break;
        case LINUX_AT_ENTRY: cr_assert_eq(a[n].a_val, 0x401000); break;
        case LINUX_AT_HWCAP2: cr_assert_eq(a[n].a_val, 0); break;
        case LINUX_AT_CLKTCK: cr_assert_eq(a[n].a_val, 100); break;
        case LINUX_AT_UID: cr_assert_eq(a[n].a_val, 1000); break;
        case LINUX_AT_EXECFN: cr_assert_str_eq((char *)AT(a[n].a_val), "/usr/bin/prog"); break;
        case LINUX_AT_PLATFORM: cr_assert_str_eq((char *)AT(a[n].a_val), "x86_64"); break;
        case LINUX_AT_RANDOM:
            cr_assert_eq(a[n].a_val % 16, 0);
            cr_assert_eq(AT(a[n].a_val)[15], 16);
            break;
        default: break;
        }
    }
    cr_assert(seen[LINUX_AT_RANDOM] && seen[LINUX_AT_EXECFN] && seen[LINUX_AT_BASE] && seen[LINUX_AT_SECURE]);
    cr_assert_not(seen[LINUX_AT_SYSINFO_EHDR], "no vDSO yet");
    /* Everything lies inside the buffer, strings above the tables. */
    cr_assert_lt((uint8_t *)&a[n + 1], mem + sizeof mem);
    cr_assert_gt(w[1], (uint64_t)((uint8_t *)&a[n + 1] - mem) + base - 1);
}

Test(stack, phdr_copy_and_overflow)
{
    static uint8_t mem[4096];
    const char *argv[] = {"p", NULL};
    const char *envp[] = {NULL};
    uint8_t phdrs[112];
    memset(phdrs, 0xab, sizeof phdrs);
    px_stack_params p = {.argv = argv, .envp = envp, .execfn = "/p", .platform = "x86_64",
                         .phdr_copy = phdrs, .phdr_copy_size = sizeof phdrs, .phent = 56, .phnum = 2};
    uint64_t rsp = px_stack_build(mem, 0x10000, sizeof mem, &p);
    cr_assert_neq(rsp, 0);
    linux_elf64_auxv *a = (linux_elf64_auxv *)(mem + (rsp - 0x10000) + 8 * 4);
    for (; a->a_type != LINUX_AT_PHDR; a++) cr_assert_neq(a->a_type, LINUX_AT_NULL);
    cr_assert_eq(memcmp(mem + (a->a_val - 0x10000), phdrs, sizeof phdrs), 0);

    static char big[8192];
    memset(big, 'x', sizeof big - 1);
    const char *argv_big[] = {big, NULL};
    p.argv = argv_big;
    cr_assert_eq(px_stack_build(mem, 0x10000, sizeof mem, &p), 0);
}
