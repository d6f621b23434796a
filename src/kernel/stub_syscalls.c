/* STUB: handlers of this subsystem not written yet; each returns -ENOSYS.
   Delete a line when its handler exists; delete the file when empty. */
#include "core/px.h"
int64_t px_sys_rt_sigaction(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_rt_sigprocmask(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_sched_yield(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_nanosleep(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_getpid(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_exit(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_uname(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_umask(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_gettimeofday(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_getrlimit(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_sysinfo(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_getuid(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_getgid(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_geteuid(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_getegid(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_getppid(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_arch_prctl(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_gettid(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_time(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_sched_getaffinity(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_set_tid_address(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_clock_gettime(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_clock_getres(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_clock_nanosleep(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_exit_group(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_set_robust_list(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_prlimit64(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
int64_t px_sys_getrandom(px_regs *regs) { (void)regs; return -LINUX_ENOSYS; }
