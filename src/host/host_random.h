/* Random bytes from the host's cryptographic generator. */
#ifndef PX_HOST_RANDOM_H
#define PX_HOST_RANDOM_H

#include "host/host.h"

/* Fills buf with n random bytes: 0 or -LINUX_Exxx. */
int64_t px_host_random(void *buf, size_t n);

#endif
