/* The host machine: processors, their times and memory, the time since boot, and this
   process's use of them (for /proc, sysinfo, sched, getrusage, rlimits). */
#ifndef PX_HOST_SYSTEM_H
#define PX_HOST_SYSTEM_H

#include "host/host.h"

/* The processors the host has (in all its groups); at least 1. */
uint32_t px_host_cpu_count(void);

typedef struct px_host_memory {
    uint64_t total, available;             /* physical memory */
    uint64_t commit_limit, commit_available;
    uint32_t load_percent;
} px_host_memory;
int64_t px_host_memory_status(px_host_memory *out);

/* Milliseconds since the host booted. */
uint64_t px_host_uptime_ms(void);

/* The whole machine's processor times in 100 ns units (kernel includes idle, as NT counts
   them). 0 or -LINUX_Exxx. */
typedef struct px_host_cpu_times { uint64_t idle, kernel, user; } px_host_cpu_times;
int64_t px_host_system_times(px_host_cpu_times *out);
/* The same per processor, up to max of them: how many were filled (0 when the host will
   not say). */
uint32_t px_host_cpu_times_each(px_host_cpu_times *out, uint32_t max);
/* The first processor's clock rate in MHz, or 0 when unknown. */
uint32_t px_host_cpu_mhz(void);

/* The processors this process may run on, one bit each (the first 64). 0 or -LINUX_Exxx. */
int64_t px_host_affinity(uint64_t *mask);
/* The processor the caller runs on (group-major numbering, 64 to a group, as the affinity
   mask) and, when node is not NULL, its NUMA node (0 when unknown). */
void px_host_current_cpu(uint32_t *cpu, uint32_t *node);

/* This process's memory use: its working set (resident bytes), the peak of it, and the
   page faults (soft and hard together). 0 or -LINUX_Exxx. */
typedef struct px_host_memory_use { uint64_t working_set, peak_working_set; uint32_t page_faults; } px_host_memory_use;
int64_t px_host_process_memory(px_host_memory_use *out);
/* The same of another process (a child: its peak is its ru_maxrss). */
int64_t px_host_process_memory_of(px_host_handle process, px_host_memory_use *out);

#endif
