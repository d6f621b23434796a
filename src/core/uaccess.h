/* Guest memory: the only way the runtime reads or writes memory the guest passed it.
   A fault inside these routines becomes -LINUX_EFAULT: the fault handler (fault.c)
   sees the faulting rip inside them and resumes at their fix-up, as Linux's
   copy_from_user does with its exception table and FreeBSD's copyin with its
   onfault hook. Nothing is probed in advance (no NtReadVirtualMemory: ~240 us a
   call, and under Wine it ignores page protections), so the fast path costs one
   range check and a copy.

   A range is accepted when it lies wholly in the user half (below 2^47) and above the
   first 64 KiB, which Windows never maps: NULL and kernel-half addresses fail without
   a fault. Every other bad address (unmapped, PROT_NONE, read-only for a write, a
   string that runs off its mapping) faults and fails the same way. */
#ifndef PX_CORE_UACCESS_H
#define PX_CORE_UACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "linux_errno.h"

/* The end of the user half of the x86-64 address space (Linux's TASK_SIZE_MAX + 1 page). */
#define PX_GUEST_ADDR_END 0x800000000000ull
#define PX_GUEST_ADDR_MIN 0x10000ull

/* The assembly routines (uaccess.S): 0, or -LINUX_EFAULT after a fault. */
int64_t px_uaccess_copy(void *dst, const void *src, size_t n);
int64_t px_uaccess_clear(void *dst, size_t n);
/* Copies up to cap bytes up to and including a NUL: the length without the NUL, cap
   when there is no NUL among them, or -LINUX_EFAULT. */
int64_t px_uaccess_strncpy(char *dst, const char *src, size_t cap);
/* An atomic compare-and-exchange of a guest word (futexes): 0 and *old the value
   found, or -LINUX_EFAULT. */
int64_t px_uaccess_cmpxchg32(uint32_t *guest, uint32_t expected, uint32_t desired, uint32_t *old);
/* The bounds of those routines' code, for the fault handler. */
extern const char px_uaccess_begin[], px_uaccess_end[], px_uaccess_fixup[];

static inline bool px_guest_range_ok(uint64_t addr, size_t n)
{
    return addr >= PX_GUEST_ADDR_MIN && addr <= PX_GUEST_ADDR_END && n <= PX_GUEST_ADDR_END - addr;
}

/* Reads n bytes at guest address src into dst: 0 or -LINUX_EFAULT. */
static inline int64_t px_copy_in(void *dst, uint64_t src, size_t n)
{
    if (!n) return 0;
    if (!px_guest_range_ok(src, n)) return -LINUX_EFAULT;
    return px_uaccess_copy(dst, (const void *)(uintptr_t)src, n);
}

/* Writes n bytes of src at guest address dst: 0 or -LINUX_EFAULT. */
static inline int64_t px_copy_out(uint64_t dst, const void *src, size_t n)
{
    if (!n) return 0;
    if (!px_guest_range_ok(dst, n)) return -LINUX_EFAULT;
    return px_uaccess_copy((void *)(uintptr_t)dst, src, n);
}

/* Zeroes n bytes at guest address dst: 0 or -LINUX_EFAULT. */
static inline int64_t px_clear_out(uint64_t dst, size_t n)
{
    if (!n) return 0;
    if (!px_guest_range_ok(dst, n)) return -LINUX_EFAULT;
    return px_uaccess_clear((void *)(uintptr_t)dst, n);
}

/* Reads a NUL-terminated guest string into dst (cap bytes, cap >= 1): its length, or
   -LINUX_EFAULT, or too_long (-LINUX_ENAMETOOLONG for paths, -LINUX_E2BIG for exec
   strings) when it does not end within cap - 1 bytes. */
static inline int64_t px_string_in(char *dst, uint64_t src, size_t cap, int64_t too_long)
{
    if (!px_guest_range_ok(src, 1)) return -LINUX_EFAULT;
    size_t room = PX_GUEST_ADDR_END - src;
    int64_t n = px_uaccess_strncpy(dst, (const char *)(uintptr_t)src, cap < room ? cap : room);
    if (n < 0) return n;
    if ((size_t)n >= cap) return too_long;
    if ((size_t)n >= room) return -LINUX_EFAULT; /* ran to the end of the user half */
    return n;
}

/* One typed value in or out: PX_GET(&local, guest_addr), PX_PUT(guest_addr, &local). */
#define PX_GET(dstp, guest) px_copy_in((dstp), (guest), sizeof *(dstp))
#define PX_PUT(guest, srcp) px_copy_out((guest), (srcp), sizeof *(srcp))

#endif
