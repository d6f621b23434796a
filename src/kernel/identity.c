/* Who the guest is: the credentials object (struct px_cred), and the host facts it
   starts from (pid, parent, elevation, user name and home). The host facts are cached
   here once: they are immutable facts of this Windows process, not guest state (a guest
   changes its ids by replacing its task's cred, its pid lives in its process object);
   getpid and getppid do not call into Win32. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include "core/px.h"
#include "core/thread.h"
#include "host/host_identity.h"
#include "host/host_env.h"
#include "host/host_process.h"
#include "fs/fd_handoff.h"
#include "fs/fs.h"
#include "kernel/identity.h"
#include "task/process.h"

static int32_t identity_ready; /* set (release) once the values below are whole */
static int32_t host_pid;
static int32_t host_ppid;
static uint32_t host_uid_value;
static uint32_t host_gid_value;
static char identity_user_name[128];
static char identity_home_dir[160];

/* Elevated (an administrator's full token; Wine's default) is Linux's root. */
static bool process_is_elevated(void) { return px_host_is_elevated(); }

static int32_t parent_process_id(void)
{
    uint32_t ppid = px_host_parent_pid();
    return ppid ? (int32_t)ppid : 1; /* no parent known: init's pid, as for an orphan */
}

/* The Windows user name as a Linux login: lower case, and only [a-z0-9._-]. */
static void login_name(char *out, size_t cap)
{
    char name[128];
    if (px_host_user_name(name, sizeof name) < 0 || !name[0]) snprintf(name, sizeof name, "user");
    size_t n = 0;
    for (const char *p = name; *p && n + 1 < cap; p++) {
        unsigned char c = (unsigned char)tolower((unsigned char)*p);
        out[n++] = (isalnum(c) || c == '.' || c == '_' || c == '-') ? (char)c : '_';
    }
    out[n] = 0;
}

/* A decimal id from the environment (PICOLX_UID, PICOLX_GID), or -1 when unset or invalid. */
static int64_t id_from_env(const char *name)
{
    char buf[16];
    if (px_host_env_get(name, buf, sizeof buf) <= 0) return -1;
    char *end;
    unsigned long v = strtoul(buf, &end, 10);
    return *end || end == buf || v > 0xfffffffeul ? -1 : (int64_t)v;
}

static void identity_init(void)
{
    host_pid = (int32_t)px_host_pid();
    host_ppid = parent_process_id();
    if (process_is_elevated()) {
        host_uid_value = 0;
        snprintf(identity_user_name, sizeof identity_user_name, "root");
        snprintf(identity_home_dir, sizeof identity_home_dir, "/root");
    } else {
        host_uid_value = 1000;
        login_name(identity_user_name, sizeof identity_user_name);
        snprintf(identity_home_dir, sizeof identity_home_dir, "/home/%s", identity_user_name);
    }
    host_gid_value = host_uid_value;
    /* PICOLX_UID / PICOLX_GID override the ids the guest runs as (docs/testing: how tests
       run as a user other than root under Wine, whose processes are all elevated). Names
       and home stay those of the Windows user. */
    int64_t uid = id_from_env("PICOLX_UID"), gid = id_from_env("PICOLX_GID");
    if (uid >= 0) host_uid_value = (uint32_t)uid;
    if (gid >= 0) host_gid_value = (uint32_t)gid;
    else if (uid >= 0) host_gid_value = (uint32_t)uid;
    px_fs_set_default_owner(host_uid_value, host_gid_value); /* drvfs files with no owner stored */
    /* Every value is written before the flag; a racing second init writes the same values. */
    __atomic_store_n(&identity_ready, 1, __ATOMIC_RELEASE);
}

static inline void identity_ensure(void)
{
    if (PX_UNLIKELY(!__atomic_load_n(&identity_ready, __ATOMIC_ACQUIRE))) identity_init();
}

/* The calling task's credentials (host threads: the first task's). */
static const struct px_cred *current_cred(void)
{
    px_task *t = px_current();
    return t ? t->cred : NULL;
}

uint32_t px_identity_uid(void)
{
    const struct px_cred *c = current_cred();
    if (c) return c->fsuid;
    identity_ensure();
    return host_uid_value;
}

uint32_t px_identity_gid(void)
{
    const struct px_cred *c = current_cred();
    if (c) return c->fsgid;
    identity_ensure();
    return host_gid_value;
}

const char *px_identity_user(void) { identity_ensure(); return identity_user_name; }
const char *px_identity_home(void) { identity_ensure(); return identity_home_dir; }
int32_t px_identity_host_pid(void) { identity_ensure(); return host_pid; }
int32_t px_identity_host_ppid(void) { identity_ensure(); return host_ppid; }

int32_t px_identity_pid(void)
{
    px_task *t = px_current();
    return t && t->process ? t->process->tgid : px_identity_host_pid();
}

int32_t px_identity_ppid(void)
{
    px_task *t = px_current();
    return t && t->process ? t->process->ppid : px_identity_host_ppid();
}

uint32_t px_identity_umask(void) { return px_fs_umask(); }
uint32_t px_identity_set_umask(uint32_t mask) { return px_fs_set_umask(mask); }

/* ---- the credentials object ---- */

struct px_cred *px_cred_new(uint32_t ngroups)
{
    if (ngroups > LINUX_NGROUPS_MAX) return NULL;
    struct px_cred *c = px_calloc(1, sizeof *c + ngroups * sizeof c->groups[0]);
    if (!c) return NULL;
    c->refs = 1;
    c->ngroups = ngroups;
    return c;
}

const struct px_cred *px_cred_initial(void)
{
    identity_ensure();
    /* no supplementary groups until setgroups (a login's initgroups would add them) */
    struct px_cred *c = px_cred_new(0);
    if (!c) return NULL;
    c->uid = c->euid = c->suid = c->fsuid = host_uid_value;
    c->gid = c->egid = c->sgid = c->fsgid = host_gid_value;
    return c;
}

const struct px_cred *px_cred_take(const struct px_cred *c)
{
    __atomic_add_fetch(&((struct px_cred *)c)->refs, 1, __ATOMIC_RELAXED);
    return c;
}

void px_cred_drop(const struct px_cred *c)
{
    if (c && __atomic_sub_fetch(&((struct px_cred *)c)->refs, 1, __ATOMIC_ACQ_REL) == 0) px_free((void *)c);
}

struct px_cred *px_cred_copy(const struct px_cred *from)
{
    struct px_cred *c = px_cred_new(from->ngroups);
    if (!c) return NULL;
    memcpy(c, from, sizeof *c + from->ngroups * sizeof c->groups[0]);
    c->refs = 1;
    return c;
}

void px_cred_install(px_task *t, const struct px_cred *c)
{
    const struct px_cred *old = t->cred;
    __atomic_store_n(&t->cred, c, __ATOMIC_RELEASE);
    px_cred_drop(old);
}

bool px_cred_save(const struct px_cred *c, struct px_handoff *h)
{
    return px_handoff_put(h, PX_HANDOFF_TAG_CRED, c, sizeof *c + c->ngroups * sizeof c->groups[0]);
}

const struct px_cred *px_cred_restore(const struct px_handoff *h)
{
    size_t len = 0;
    const struct px_cred *r = px_handoff_get(h, PX_HANDOFF_TAG_CRED, 0, &len);
    if (!r || len < sizeof *r || r->ngroups > LINUX_NGROUPS_MAX || len != sizeof *r + r->ngroups * sizeof r->groups[0])
        return NULL;
    return px_cred_copy(r);
}
