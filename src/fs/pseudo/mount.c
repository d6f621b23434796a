/* Mounting the pseudo file systems at start-up, as a Linux distribution's init does. */
#include "fs/pseudo/pseudo.h"

static void mount_or_log(const char *point, const px_fs_type *type, const char *source, void *data)
{
    int64_t r = data ? px_vfs_mount(point, type, source, data) : -LINUX_ENOMEM;
    if (r < 0) px_log("picolx: cannot mount %s on %s: error %lld", type->name, point, (long long)-r);
}

/* A root without /tmp (an empty Windows directory, a minimal distro) still gives programs
   a place for temporary files. */
static bool root_has_tmp(void)
{
    const px_mount *root = px_vfs_mount_at(0);
    if (!root || !root->type->stat) return false;
    px_stat_info st;
    return root->type->stat((px_mount *)root, "tmp", &st) == 0 && (st.mode & LINUX_S_IFMT) == LINUX_S_IFDIR;
}

void px_pseudo_mount_all(void)
{
    static int instance; /* proc, devfs and sysfs keep no state: any non-NULL data */
    mount_or_log("/proc", &px_proc_fs_type, "proc", &instance);
    mount_or_log("/dev", &px_devfs_type, "udev", &instance);
    mount_or_log("/dev/shm", &px_tmpfs_type, "tmpfs", px_tmpfs_new("/dev/shm", 01777));
    mount_or_log("/sys", &px_sysfs_type, "sysfs", &instance);
    if (!root_has_tmp()) mount_or_log("/tmp", &px_tmpfs_type, "tmpfs", px_tmpfs_new("/tmp", 01777));
}
