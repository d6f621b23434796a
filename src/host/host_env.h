/* The host's environment variables and current directory (picolx's own settings:
   PICOLX_*; the guest gets a Linux environment of its own, loader/load.c). */
#ifndef PX_HOST_ENV_H
#define PX_HOST_ENV_H

#include "host/host.h"

/* name's value into buf (size bytes, NUL-terminated): its length, -LINUX_ENOENT when it
   is not set, -LINUX_ERANGE when it does not fit. */
int64_t px_host_env_get(const char *name, char *buf, size_t size);
/* The same in host characters (size counts them). */
int64_t px_host_env_get_w(const wchar_t *name, wchar_t *buf, size_t size);
bool px_host_env_is_set(const wchar_t *name);
/* Sets name (value NULL: removes it), for this process and children started later. */
int64_t px_host_env_set_w(const wchar_t *name, const wchar_t *value);
/* The host's current directory (size characters): its length, or -LINUX_Exxx. */
int64_t px_host_cwd(wchar_t *buf, size_t size);

#endif
