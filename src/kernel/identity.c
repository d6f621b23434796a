/* STUB identity until src/kernel is written. */
#include "core/px.h"
#include "kernel/identity.h"
#include <windows.h>
uint32_t px_identity_uid(void) { return 0; }
uint32_t px_identity_gid(void) { return 0; }
const char *px_identity_user(void) { return "root"; }
const char *px_identity_home(void) { return "/root"; }
uint32_t px_identity_umask(void) { return 022; }
int32_t px_identity_pid(void) { return (int32_t)GetCurrentProcessId(); }
