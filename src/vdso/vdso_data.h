/* The data page of picolx's vDSO, shared by the guest-side code (vdso.c, built with the
   build machine's compiler) and the runtime (vdso_host.c). It sits one page below the
   vDSO's ELF header, read-only to the guest. */
#ifndef PX_VDSO_DATA_H
#define PX_VDSO_DATA_H

#include <stdint.h>

#define PX_VDSO_DATA_MAGIC 0x4f5344566c78700aull /* "\npxlVDSO" */
#define PX_VDSO_DATA_SIZE 4096

/* Runtime functions (Windows x64 calling convention), each returning a value or
   -LINUX_Exxx like the syscall it stands for; unused arguments are ignored. */
struct px_vdso_data {
    uint64_t magic;
    uint64_t clock_gettime;  /* (clockid, struct timespec *) */
    uint64_t gettimeofday;   /* (struct timeval *, struct timezone *) */
    uint64_t time;           /* (time_t *) */
    uint64_t getcpu;         /* (unsigned *cpu, unsigned *node) */
    uint64_t clock_getres;   /* (clockid, struct timespec *) */
};

#endif
