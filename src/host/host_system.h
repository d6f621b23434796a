/* The host machine: processors and memory (for /proc, sysinfo, sched, rlimits). */
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

#endif
