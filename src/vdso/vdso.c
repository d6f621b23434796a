/* picolx's vDSO: the guest-side code, built as a tiny ELF shared object with the build
   machine's compiler and embedded in the runtime (vdso_image.c, generated). The loader
   maps it and passes its address in AT_SYSINFO_EHDR, so glibc and musl call these
   instead of making the syscalls.

   Each entry calls the runtime's function for the call directly (Windows calling
   convention, through the data page one page below this image): no syscall instruction,
   no trip through the syscall entry, dispatcher or tracer. On Windows the time sources
   those functions use (QueryPerformanceCounter, GetSystemTimePreciseAsFileTime) are
   themselves user-mode reads; the results are the syscall path's, by construction. */
#include <stdint.h>
#include "vdso_data.h"

/* Placed by vdso.lds one page below the ELF header. */
extern const struct px_vdso_data px_vdso_data __attribute__((visibility("hidden")));

typedef int64_t __attribute__((ms_abi)) (*px_vdso_fn)(uint64_t, uint64_t, uint64_t);

static inline int64_t call_runtime(uint64_t fn, uint64_t a, uint64_t b, uint64_t c)
{
    return ((px_vdso_fn)fn)(a, b, c);
}

int64_t __vdso_clock_gettime(int32_t clock, void *ts)
{
    return call_runtime(px_vdso_data.clock_gettime, (uint64_t)(int64_t)clock, (uint64_t)ts, 0);
}

int64_t __vdso_gettimeofday(void *tv, void *tz)
{
    return call_runtime(px_vdso_data.gettimeofday, (uint64_t)tv, (uint64_t)tz, 0);
}

int64_t __vdso_time(int64_t *t)
{
    return call_runtime(px_vdso_data.time, (uint64_t)t, 0, 0);
}

int64_t __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused)
{
    (void)unused;
    return call_runtime(px_vdso_data.getcpu, (uint64_t)cpu, (uint64_t)node, 0);
}

int64_t __vdso_clock_getres(int32_t clock, void *res)
{
    return call_runtime(px_vdso_data.clock_getres, (uint64_t)(int64_t)clock, (uint64_t)res, 0);
}

/* The kernel's vDSO exports the plain names too. */
int64_t clock_gettime(int32_t, void *) __attribute__((weak, alias("__vdso_clock_gettime")));
int64_t gettimeofday(void *, void *) __attribute__((weak, alias("__vdso_gettimeofday")));
int64_t time(int64_t *) __attribute__((weak, alias("__vdso_time")));
int64_t getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
int64_t clock_getres(int32_t, void *) __attribute__((weak, alias("__vdso_clock_getres")));
