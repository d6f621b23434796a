/* getrandom(2) from the system's cryptographic generator, which never blocks once
   Windows is up: GRND_NONBLOCK and GRND_RANDOM change nothing. */
#include <windows.h>
#include <bcrypt.h>
#include "core/px.h"
#include "core/errors.h"
#include "kernel/kernel.h"

#define GETRANDOM_VALID_FLAGS (LINUX_GRND_NONBLOCK | LINUX_GRND_RANDOM | LINUX_GRND_INSECURE)
/* The kernel caps one read at MAX_RW_COUNT (INT_MAX rounded down to a page). */
#define GETRANDOM_MAX_BYTES 0x7ffff000ULL

/* getrandom(2) */
PX_SYSCALL(getrandom)
{
    uint64_t buf = PX_ARG0, len = PX_ARG1;
    uint32_t flags = (uint32_t)PX_ARG2;
    if (flags & ~GETRANDOM_VALID_FLAGS) return -LINUX_EINVAL;
    if ((flags & LINUX_GRND_RANDOM) && (flags & LINUX_GRND_INSECURE)) return -LINUX_EINVAL;
    if (len == 0) return 0;
    if (px_kernel_bad_ptr(buf)) return -LINUX_EFAULT;
    if (len > GETRANDOM_MAX_BYTES) len = GETRANDOM_MAX_BYTES;
    NTSTATUS st = BCryptGenRandom(NULL, (PUCHAR)(uintptr_t)buf, (ULONG)len, BCRYPT_USE_SYSTEM_PREFERRED_RNG);
    if (st < 0) return px_err_nt(st);
    return (int64_t)len;
}
