/* getrandom(2) from the system's cryptographic generator, which never blocks once
   Windows is up: GRND_NONBLOCK and GRND_RANDOM change nothing. */
#include "core/px.h"
#include "core/uaccess.h"
#include "host/host_random.h"
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
    if (len > GETRANDOM_MAX_BYTES) len = GETRANDOM_MAX_BYTES;
    if (!px_guest_range_ok(buf, len)) return -LINUX_EFAULT;
    /* made in a chunk of the runtime's and copied out, up to the first bad page: the
       count, or EFAULT when nothing arrived, as Linux's copy to the user */
    uint8_t chunk[4096];
    uint64_t done = 0;
    while (done < len) {
        size_t n = (size_t)(4096 - (buf + done) % 4096);
        if (n > len - done) n = (size_t)(len - done);
        int64_t r = px_host_random(chunk, n);
        if (r < 0) return done ? (int64_t)done : r;
        if (px_copy_out(buf + done, chunk, n) < 0) break;
        done += n;
    }
    return done ? (int64_t)done : -LINUX_EFAULT;
}
