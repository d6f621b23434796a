/* Who the guest is: the Linux ids and names picolx reports (src/kernel/identity.c). */
#ifndef PX_KERNEL_IDENTITY_H
#define PX_KERNEL_IDENTITY_H

#include <stdint.h>

uint32_t px_identity_uid(void);   /* 0 when the Windows process is elevated, else 1000 */
uint32_t px_identity_gid(void);
const char *px_identity_user(void);  /* "root", or the Windows user name */
const char *px_identity_home(void);  /* "/root" or "/home/<user>" */
uint32_t px_identity_umask(void);    /* the process umask (umask(2)); 022 at start */
int32_t px_identity_pid(void);       /* the guest's pid (and its main thread's tid) */
int32_t px_identity_ppid(void);      /* the Windows parent process id */
uint32_t px_identity_set_umask(uint32_t mask); /* umask(2): sets mask & 0777, returns the old one */
/* execve continued in a new process: the pid, parent and ids of the process it replaces. */
void px_identity_adopt(int32_t pid, int32_t ppid, uint32_t uid, uint32_t gid);

#endif
