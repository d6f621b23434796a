/* ELF64 file format as Linux x86-64 loads it: the file header and program headers
   (System V gABI, the values of the kernel's include/uapi/linux/elf.h). */
#ifndef PX_ABI_LINUX_ELF_H
#define PX_ABI_LINUX_ELF_H

#include <stddef.h>
#include <stdint.h>

/* e_ident */
#define ELF_EI_NIDENT 16
#define ELF_EI_MAG0 0
#define ELF_EI_CLASS 4
#define ELF_EI_DATA 5
#define ELF_EI_VERSION 6
#define ELF_EI_OSABI 7
#define ELF_MAG "\177ELF"
#define ELF_SELFMAG 4
#define ELF_CLASSNONE 0
#define ELF_CLASS32 1
#define ELF_CLASS64 2
#define ELF_DATA2LSB 1
#define ELF_DATA2MSB 2
#define ELF_EV_CURRENT 1

/* e_type */
#define ELF_ET_NONE 0
#define ELF_ET_REL 1
#define ELF_ET_EXEC 2
#define ELF_ET_DYN 3
#define ELF_ET_CORE 4

/* e_machine (the ones worth naming in an error message) */
#define ELF_EM_386 3
#define ELF_EM_MIPS 8
#define ELF_EM_PPC 20
#define ELF_EM_PPC64 21
#define ELF_EM_S390 22
#define ELF_EM_ARM 40
#define ELF_EM_X86_64 62
#define ELF_EM_AARCH64 183
#define ELF_EM_RISCV 243
#define ELF_EM_LOONGARCH 258

/* p_type */
#define ELF_PT_NULL 0
#define ELF_PT_LOAD 1
#define ELF_PT_DYNAMIC 2
#define ELF_PT_INTERP 3
#define ELF_PT_NOTE 4
#define ELF_PT_SHLIB 5
#define ELF_PT_PHDR 6
#define ELF_PT_TLS 7
#define ELF_PT_GNU_EH_FRAME 0x6474e550
#define ELF_PT_GNU_STACK 0x6474e551
#define ELF_PT_GNU_RELRO 0x6474e552
#define ELF_PT_GNU_PROPERTY 0x6474e553

/* p_flags */
#define ELF_PF_X 0x1
#define ELF_PF_W 0x2
#define ELF_PF_R 0x4

typedef struct linux_elf64_ehdr {
    uint8_t e_ident[ELF_EI_NIDENT];
    uint16_t e_type;
    uint16_t e_machine;
    uint32_t e_version;
    uint64_t e_entry;
    uint64_t e_phoff;
    uint64_t e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize;
    uint16_t e_phentsize;
    uint16_t e_phnum;
    uint16_t e_shentsize;
    uint16_t e_shnum;
    uint16_t e_shstrndx;
} linux_elf64_ehdr;
_Static_assert(sizeof(linux_elf64_ehdr) == 64, "Elf64_Ehdr size");
_Static_assert(offsetof(linux_elf64_ehdr, e_type) == 16, "Elf64_Ehdr.e_type");
_Static_assert(offsetof(linux_elf64_ehdr, e_machine) == 18, "Elf64_Ehdr.e_machine");
_Static_assert(offsetof(linux_elf64_ehdr, e_entry) == 24, "Elf64_Ehdr.e_entry");
_Static_assert(offsetof(linux_elf64_ehdr, e_phoff) == 32, "Elf64_Ehdr.e_phoff");
_Static_assert(offsetof(linux_elf64_ehdr, e_phentsize) == 54, "Elf64_Ehdr.e_phentsize");
_Static_assert(offsetof(linux_elf64_ehdr, e_phnum) == 56, "Elf64_Ehdr.e_phnum");

typedef struct linux_elf64_phdr {
    uint32_t p_type;
    uint32_t p_flags;
    uint64_t p_offset;
    uint64_t p_vaddr;
    uint64_t p_paddr;
    uint64_t p_filesz;
    uint64_t p_memsz;
    uint64_t p_align;
} linux_elf64_phdr;
_Static_assert(sizeof(linux_elf64_phdr) == 56, "Elf64_Phdr size");
_Static_assert(offsetof(linux_elf64_phdr, p_flags) == 4, "Elf64_Phdr.p_flags");
_Static_assert(offsetof(linux_elf64_phdr, p_offset) == 8, "Elf64_Phdr.p_offset");
_Static_assert(offsetof(linux_elf64_phdr, p_vaddr) == 16, "Elf64_Phdr.p_vaddr");
_Static_assert(offsetof(linux_elf64_phdr, p_filesz) == 32, "Elf64_Phdr.p_filesz");
_Static_assert(offsetof(linux_elf64_phdr, p_memsz) == 40, "Elf64_Phdr.p_memsz");
_Static_assert(offsetof(linux_elf64_phdr, p_align) == 48, "Elf64_Phdr.p_align");

/* One auxiliary vector entry on the initial stack. */
typedef struct linux_elf64_auxv {
    uint64_t a_type;
    uint64_t a_val;
} linux_elf64_auxv;
_Static_assert(sizeof(linux_elf64_auxv) == 16, "Elf64_auxv_t size");

#endif
