/* picolx's vDSO (src/vdso/): the guest-side code is embedded in the runtime. */
#ifndef PX_VDSO_VDSO_H
#define PX_VDSO_VDSO_H

#include <stdint.h>

/* Maps the vDSO (its data page, then the ELF image) into the guest's address space and
   returns the address of its ELF header, for AT_SYSINFO_EHDR; 0 if it cannot be mapped
   (the guest then makes the syscalls, which work as well). */
uint64_t px_vdso_map(void);

#endif
