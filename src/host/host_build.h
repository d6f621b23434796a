/* Which build of picolx this is, for data it keeps between runs (the image cache). */
#ifndef PX_HOST_BUILD_H
#define PX_HOST_BUILD_H

#include <stdint.h>

/* Changes with every link of libpicolx.dll: the PE header's time stamp and image size. */
uint64_t px_host_build_stamp(void);

#endif
