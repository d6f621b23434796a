/* The utsname record: a Linux kernel named after picolx, on the Windows host's name. */
#include <stdio.h>
#include "core/px.h"
#include "core/utsname.h"
#include "host/host_identity.h"

static struct linux_utsname utsname_value;
static int32_t utsname_ready; /* set (release) once utsname_value is whole */

static void utsname_init(void)
{
    struct linux_utsname u;
    memset(&u, 0, sizeof u);
    snprintf(u.sysname, sizeof u.sysname, "Linux");
    /* The DNS host name: under Wine it is the Linux host's name, as uname -n shows natively. */
    if (px_host_computer_name(u.nodename, sizeof u.nodename) < 0 || !u.nodename[0])
        snprintf(u.nodename, sizeof u.nodename, "localhost");
    snprintf(u.release, sizeof u.release, "6.1.0-picolx");
    snprintf(u.version, sizeof u.version, "#1 SMP picolx 0.1.0");
    snprintf(u.machine, sizeof u.machine, "x86_64");
    snprintf(u.domainname, sizeof u.domainname, "(none)");
    utsname_value = u;
    __atomic_store_n(&utsname_ready, 1, __ATOMIC_RELEASE);
}

void px_uname_get(struct linux_utsname *out)
{
    if (PX_UNLIKELY(!__atomic_load_n(&utsname_ready, __ATOMIC_ACQUIRE))) utsname_init();
    *out = utsname_value;
}
