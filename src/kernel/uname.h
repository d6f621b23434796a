/* The system's identity as uname(2) reports it, for the handler and for /proc. */
#ifndef PX_KERNEL_UNAME_H
#define PX_KERNEL_UNAME_H

#include "linux_types.h"

/* Fills *out with what uname(2) returns. */
void px_uname_get(struct linux_utsname *out);

#endif
