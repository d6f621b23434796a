/* Host clocks. Wall-clock times are in 100 ns units since 1601 (FILETIME). */
#ifndef PX_HOST_TIME_H
#define PX_HOST_TIME_H

#include "host/host.h"

/* A monotonic counter and its rate. */
uint64_t px_host_ticks(void);
uint64_t px_host_ticks_per_second(void);
/* The wall clock, as precise as the host has it. */
int64_t px_host_time_now(void);
/* The wall clock at the scheduler's resolution: cheaper, coarser. */
int64_t px_host_time_coarse(void);

#endif
