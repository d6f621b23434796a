/* A whole file mapped read-only, for data read once and dropped (the image cache's
   entries): its pages come from the host's file cache instead of being copied into fresh
   memory, each of which costs a first touch. */
#ifndef PX_HOST_SECTION_H
#define PX_HOST_SECTION_H

#include <stddef.h>
#include "host/host.h"

/* The first size bytes of the open file h, mapped read-only: 0 and *view, or -LINUX_Exxx. */
int64_t px_host_file_view(px_host_handle h, size_t size, const void **view);
void px_host_file_unview(const void *view);

#endif
