/* uname: what the program sees of the system. */
#include "guest.h"
#include <sys/utsname.h>

int main(void)
{
    GUEST_START();
    struct utsname u;
    EXPECT_RET("uname", uname(&u), 0);
    printf("sysname: %s\n", u.sysname);
    printf("machine: %s\n", u.machine);
    CHECK("sysname is Linux", strcmp(u.sysname, "Linux") == 0);
    CHECK("machine is x86_64", strcmp(u.machine, "x86_64") == 0);
    CHECK("nodename non-empty", u.nodename[0] != 0);
    CHECK("release non-empty", u.release[0] != 0);
    int major = 0, minor = 0;
    CHECK("release is MAJOR.MINOR... with MAJOR >= 3", sscanf(u.release, "%d.%d", &major, &minor) == 2 && major >= 3);
    CHECK("version non-empty", u.version[0] != 0);
    return GUEST_END();
}
