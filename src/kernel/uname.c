/* uname(2): a Linux kernel named after picolx, on the Windows host's name. */
#include <windows.h>
#include <stdio.h>
#include "core/px.h"
#include "core/uaccess.h"
#include "kernel/kernel.h"
#include "kernel/uname.h"

static struct linux_utsname utsname_value;
static volatile LONG utsname_ready;

static void utsname_init(void)
{
    struct linux_utsname u;
    memset(&u, 0, sizeof u);
    snprintf(u.sysname, sizeof u.sysname, "Linux");
    /* The DNS host name: under Wine it is the Linux host's name, as uname -n shows natively. */
    DWORD len = sizeof u.nodename;
    if (!GetComputerNameExA(ComputerNameDnsHostname, u.nodename, &len) || !u.nodename[0])
        snprintf(u.nodename, sizeof u.nodename, "localhost");
    snprintf(u.release, sizeof u.release, "6.1.0-picolx");
    snprintf(u.version, sizeof u.version, "#1 SMP picolx 0.1.0");
    snprintf(u.machine, sizeof u.machine, "x86_64");
    snprintf(u.domainname, sizeof u.domainname, "(none)");
    utsname_value = u;
    MemoryBarrier();
    utsname_ready = 1;
}

void px_uname_get(struct linux_utsname *out)
{
    if (PX_UNLIKELY(!utsname_ready)) utsname_init();
    *out = utsname_value;
}

/* uname(2) */
PX_SYSCALL(uname)
{
    uint64_t buf = PX_ARG0;
    struct linux_utsname u;
    px_uname_get(&u);
    return PX_PUT(buf, &u);
}
