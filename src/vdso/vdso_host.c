/* The runtime side of the vDSO: maps the embedded image with its data page below it,
   and provides the functions the data page points to. They are the syscall handlers'
   own implementations (time.c, sched.c), called without the syscall path. */
#include "core/px.h"
#include "kernel/kernel.h"
#include "mm/vm.h"
#include "mm/vma.h"
#include "kernel/clock.h"
#include "vdso/vdso.h"
#include "vdso/vdso_data.h"

extern const size_t px_vdso_image_size;
extern const uint8_t px_vdso_image[];

/* The vDSO calls these with the Windows x64 convention (the runtime's own). */
static int64_t vdso_clock_gettime(uint64_t clock, uint64_t ts, uint64_t unused)
{
    (void)unused;
    return px_time_clock_gettime((int32_t)clock, ts);
}

static int64_t vdso_clock_getres(uint64_t clock, uint64_t res, uint64_t unused)
{
    (void)unused;
    return px_time_clock_getres((int32_t)clock, res);
}

static int64_t vdso_gettimeofday(uint64_t tv, uint64_t tz, uint64_t unused)
{
    (void)unused;
    return px_time_gettimeofday(tv, tz);
}

static int64_t vdso_time(uint64_t tloc, uint64_t unused1, uint64_t unused2)
{
    (void)unused1; (void)unused2;
    return px_time_time(tloc);
}

static int64_t vdso_getcpu(uint64_t cpu, uint64_t node, uint64_t unused)
{
    (void)unused;
    return px_sched_getcpu(cpu, node);
}

uint64_t px_vdso_map(void)
{
    uint64_t image_len = PX_ALIGN_UP(px_vdso_image_size, PX_PAGE_SIZE);
    int64_t base = px_vm_map(0, PX_VDSO_DATA_SIZE + image_len, LINUX_PROT_READ | LINUX_PROT_WRITE,
                             LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS, -1, 0);
    if (base < 0) return 0;
    struct px_vdso_data *data = (struct px_vdso_data *)(uintptr_t)base;
    data->magic = PX_VDSO_DATA_MAGIC;
    data->clock_gettime = (uint64_t)(uintptr_t)vdso_clock_gettime;
    data->gettimeofday = (uint64_t)(uintptr_t)vdso_gettimeofday;
    data->time = (uint64_t)(uintptr_t)vdso_time;
    data->getcpu = (uint64_t)(uintptr_t)vdso_getcpu;
    data->clock_getres = (uint64_t)(uintptr_t)vdso_clock_getres;
    uint64_t image = (uint64_t)base + PX_VDSO_DATA_SIZE;
    memcpy((void *)(uintptr_t)image, px_vdso_image, px_vdso_image_size);
    if (px_vm_protect((uint64_t)base, PX_VDSO_DATA_SIZE, LINUX_PROT_READ) < 0 ||
        px_vm_protect(image, image_len, LINUX_PROT_READ | LINUX_PROT_EXEC) < 0) {
        px_vm_unmap((uint64_t)base, PX_VDSO_DATA_SIZE + image_len);
        return 0;
    }
    px_vm_set_path((uint64_t)base, PX_VDSO_DATA_SIZE, "[vvar]"); /* names as Linux's maps shows them */
    px_vm_set_path(image, image_len, "[vdso]");
    return image;
}
