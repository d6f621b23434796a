/* Who runs picolx on the host, and the host's name. */
#ifndef PX_HOST_IDENTITY_H
#define PX_HOST_IDENTITY_H

#include "host/host.h"

/* The host user's login name (ANSI as the host gives it): its length, or -LINUX_Exxx. */
int64_t px_host_user_name(char *buf, size_t size);
/* Whether this process runs with the host's administrator rights. */
bool px_host_is_elevated(void);
/* The host's DNS host name: its length, or -LINUX_Exxx. */
int64_t px_host_computer_name(char *buf, size_t size);

#endif
