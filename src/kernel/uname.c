/* uname(2): the utsname record (core/utsname.c), which /proc shows too. */
#include "core/px.h"
#include "core/uaccess.h"
#include "core/utsname.h"
#include "kernel/kernel.h"

/* uname(2) */
PX_SYSCALL(uname)
{
    uint64_t buf = PX_ARG0;
    struct linux_utsname u;
    px_uname_get(&u);
    return PX_PUT(buf, &u);
}
