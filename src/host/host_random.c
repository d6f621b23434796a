/* host_random.h on Win32: the system's preferred generator. */
#include <windows.h>
#include <bcrypt.h>
#include "core/errors.h"
#include "core/px.h"
#include "host/host_random.h"

int64_t px_host_random(void *buf, size_t n)
{
    for (size_t done = 0; done < n;) {
        ULONG chunk = n - done > 0x40000000u ? 0x40000000u : (ULONG)(n - done);
        NTSTATUS st = BCryptGenRandom(NULL, (unsigned char *)buf + done, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG);
        if (st < 0) return px_err_nt(st);
        done += chunk;
    }
    return 0;
}
