/* The initial stack of a Linux process (stack.c): pure code, unit-tested natively. */
#ifndef PX_LOADER_STACK_H
#define PX_LOADER_STACK_H

#include <stddef.h>
#include <stdint.h>

/* Everything the kernel puts on a new process's stack besides argv and envp. */
typedef struct px_stack_params {
    const char *const *argv; /* NULL-terminated */
    const char *const *envp; /* NULL-terminated */
    const char *execfn;      /* AT_EXECFN: the program's guest path */
    const char *platform;    /* AT_PLATFORM: "x86_64" */
    uint8_t random[16];      /* AT_RANDOM bytes */
    const void *phdr_copy;   /* program headers to copy onto the stack when the image does not map them, or NULL */
    size_t phdr_copy_size;
    uint64_t phdr, phent, phnum, base, entry, hwcap, hwcap2, uid, euid, gid, egid;
    uint64_t sysinfo_ehdr;   /* AT_SYSINFO_EHDR: the vDSO, 0 while there is none */
} px_stack_params;

/* Builds the stack at the top of mem[0, size), which the guest sees at guest_base.
   Returns the guest address for rsp (16-byte aligned, pointing at argc), or 0 when
   size is too small (Linux: E2BIG). */
uint64_t px_stack_build(uint8_t *mem, uint64_t guest_base, size_t size, const px_stack_params *p);

#endif
