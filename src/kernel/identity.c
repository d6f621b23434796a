/* Who the guest is: pid, parent, uid/gid, user name and home, umask. Computed once:
   getpid and getppid must not call into Win32 on their fast path. */
#include <windows.h>
#include <winternl.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include "core/px.h"
#include "kernel/identity.h"

static volatile LONG identity_ready;
static int32_t identity_pid;
static int32_t identity_ppid;
static uint32_t identity_uid_value;
static uint32_t identity_gid_value;
static char identity_user_name[128];
static char identity_home_dir[160];
static volatile LONG identity_umask_value = 022;

/* Elevated (an administrator's full token; Wine's default) is Linux's root. */
static bool process_is_elevated(void)
{
    HANDLE token;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) return false;
    TOKEN_ELEVATION elevation = {0};
    DWORD got = 0;
    BOOL ok = GetTokenInformation(token, TokenElevation, &elevation, sizeof elevation, &got);
    CloseHandle(token);
    return ok && elevation.TokenIsElevated;
}

static int32_t parent_process_id(void)
{
    PROCESS_BASIC_INFORMATION info;
    ULONG got = 0;
    NTSTATUS st = NtQueryInformationProcess(GetCurrentProcess(), ProcessBasicInformation,
                                            &info, sizeof info, &got);
    if (st < 0) return 1;  /* no parent known: init's pid, as for an orphan */
    return (int32_t)info.InheritedFromUniqueProcessId;
}

/* The Windows user name as a Linux login: lower case, and only [a-z0-9._-]. */
static void login_name(char *out, size_t cap)
{
    char name[128];
    DWORD len = sizeof name;
    if (!GetUserNameA(name, &len) || !name[0]) snprintf(name, sizeof name, "user");
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
    DWORD n = GetEnvironmentVariableA(name, buf, sizeof buf);
    if (n == 0 || n >= sizeof buf) return -1;
    char *end;
    unsigned long v = strtoul(buf, &end, 10);
    return *end || end == buf || v > 0xfffffffeul ? -1 : (int64_t)v;
}

static void identity_init(void)
{
    identity_pid = (int32_t)GetCurrentProcessId();
    identity_ppid = parent_process_id();
    if (process_is_elevated()) {
        identity_uid_value = 0;
        snprintf(identity_user_name, sizeof identity_user_name, "root");
        snprintf(identity_home_dir, sizeof identity_home_dir, "/root");
    } else {
        identity_uid_value = 1000;
        login_name(identity_user_name, sizeof identity_user_name);
        snprintf(identity_home_dir, sizeof identity_home_dir, "/home/%s", identity_user_name);
    }
    identity_gid_value = identity_uid_value;
    /* PICOLX_UID / PICOLX_GID override the ids the guest runs as (docs/testing: how tests
       run as a user other than root under Wine, whose processes are all elevated). Names
       and home stay those of the Windows user. */
    int64_t uid = id_from_env("PICOLX_UID"), gid = id_from_env("PICOLX_GID");
    if (uid >= 0) identity_uid_value = (uint32_t)uid;
    if (gid >= 0) identity_gid_value = (uint32_t)gid;
    else if (uid >= 0) identity_gid_value = (uint32_t)uid;
    /* Every value is written before the flag; a racing second init writes the same values. */
    MemoryBarrier();
    identity_ready = 1;
}

static inline void identity_ensure(void)
{
    if (PX_UNLIKELY(!identity_ready)) identity_init();
}

uint32_t px_identity_uid(void) { identity_ensure(); return identity_uid_value; }
uint32_t px_identity_gid(void) { identity_ensure(); return identity_gid_value; }
const char *px_identity_user(void) { identity_ensure(); return identity_user_name; }
const char *px_identity_home(void) { identity_ensure(); return identity_home_dir; }
int32_t px_identity_pid(void) { identity_ensure(); return identity_pid; }
int32_t px_identity_ppid(void) { identity_ensure(); return identity_ppid; }

uint32_t px_identity_umask(void) { return (uint32_t)identity_umask_value; }
uint32_t px_identity_set_umask(uint32_t mask)
{
    return (uint32_t)InterlockedExchange(&identity_umask_value, (LONG)(mask & 0777));
}

/* A process that continues another's execve (src/kernel/exec.c): its pid, parent and
   ids, so that getpid does not change across the exec. */
void px_identity_adopt(int32_t pid, int32_t ppid, uint32_t uid, uint32_t gid)
{
    identity_ensure();
    identity_pid = pid;
    identity_ppid = ppid;
    identity_uid_value = uid;
    identity_gid_value = gid;
}
