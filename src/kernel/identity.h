/* Who the guest is: building and changing the credentials object (its struct and the
   caller's fsuid and fsgid: core/cred.h), and the Linux ids and names picolx reports
   (src/kernel/identity.c). */
#ifndef PX_KERNEL_IDENTITY_H
#define PX_KERNEL_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>
#include "core/cred.h"
#include "core/thread.h"

/* The calling task's (host threads: the first task's): */
uint32_t px_identity_uid(void);   /* the fsuid: 0 when the Windows process is elevated, else 1000 */
uint32_t px_identity_gid(void);   /* the fsgid */
uint32_t px_identity_umask(void);    /* its fs context's umask (umask(2)); 022 at start */
uint32_t px_identity_set_umask(uint32_t mask); /* umask(2): sets mask & 0777, returns the old one */
int32_t px_identity_pid(void);       /* the guest's pid: its process's tgid */
int32_t px_identity_ppid(void);      /* its process's parent (at start the Windows parent process id) */
/* Host facts, cached once: */
const char *px_identity_user(void);  /* "root", or the Windows user name */
const char *px_identity_home(void);  /* "/root" or "/home/<user>" */
int32_t px_identity_host_pid(void);  /* this Windows process's id: the first process's pid */
int32_t px_identity_host_ppid(void); /* its Windows parent's id */

#define LINUX_NGROUPS_MAX 65536

/* A zeroed cred with room for ngroups groups (refs 1), for the caller to fill before
   installing it; NULL when out of memory or too many groups. */
struct px_cred *px_cred_new(uint32_t ngroups);
/* The first process's: the host's ids (elevated: root), PICOLX_UID/PICOLX_GID applied. */
const struct px_cred *px_cred_initial(void);
const struct px_cred *px_cred_take(const struct px_cred *c);
void px_cred_drop(const struct px_cred *c);
/* A changeable copy (refs 1) to build a new cred from. */
struct px_cred *px_cred_copy(const struct px_cred *from);
/* Makes c t's cred (taking over the caller's reference) and drops the old one. Only t
   itself calls it. */
void px_cred_install(px_task *t, const struct px_cred *c);
/* The hand-over to another Windows process: the record, and a new cred from it (NULL
   when there is none or it is malformed). */
struct px_handoff;
bool px_cred_save(const struct px_cred *c, struct px_handoff *h);
const struct px_cred *px_cred_restore(const struct px_handoff *h);

#endif
