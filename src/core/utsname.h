/* The system's identity as uname(2) reports it (Linux's utsname): one record for the
   uname handler and for /proc's ostype, osrelease, version, hostname and domainname, so
   it lives below both (the services layer, on the host's DNS name). */
#ifndef PX_CORE_UTSNAME_H
#define PX_CORE_UTSNAME_H

#include "linux_types.h"

/* Fills *out with what uname(2) returns. */
void px_uname_get(struct linux_utsname *out);

#endif
