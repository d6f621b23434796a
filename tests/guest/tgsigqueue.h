/* rt_tgsigqueueinfo with a siginfo of the caller's (thread_signals.c, thread_tgkill.c). */
#ifndef TGSIGQUEUE_H
#define TGSIGQUEUE_H

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

/* sig with value and si_code code to thread tid of process tgid */
static long tgsigqueue(pid_t tgid, pid_t tid, int sig, int value, int code)
{
    siginfo_t si = {0};
    si.si_signo = sig;
    si.si_code = code;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_int = value;
    return syscall(SYS_rt_tgsigqueueinfo, tgid, tid, sig, &si);
}

#endif
