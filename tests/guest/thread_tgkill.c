/* tgkill and rt_tgsigqueueinfo to a thread of another process (issues 9 and 10): the
   parent signals the second thread of its child by (tgid, tid); that thread, and not
   its main thread, takes the signals (SI_TKILL from the parent; a queued value). A tid
   that is not in that process is ESRCH, the child's main thread (tid = pid) exists,
   a kernel si_code to another process is EPERM, tkill (no tgid) finds the child's
   threads too, and after the child ended its threads are ESRCH. The child's thread reports once both signals came, after the parent
   printed its results: nothing printed depends on timing. */
#include "fork_common.h"
#include "tgsigqueue.h"
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>

static int to_parent[2], to_child[2];

static void *worker(void *arg)
{
    (void)arg;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    if (write(to_parent[1], &tid, sizeof tid) != sizeof tid) _exit(3);
    sigset_t want;
    sigemptyset(&want);
    sigaddset(&want, SIGUSR1);
    sigaddset(&want, SIGRTMIN);
    int usr1_code = -1, rt_value = -1;
    pid_t usr1_from = 0;
    for (int got = 0; got < 2; got++) {
        siginfo_t si;
        int sig = sigwaitinfo(&want, &si);
        if (sig == SIGUSR1) {
            usr1_code = si.si_code;
            usr1_from = si.si_pid;
        } else if (sig == SIGRTMIN) {
            rt_value = si.si_code == SI_QUEUE ? si.si_value.sival_int : -2;
        }
    }
    char go;
    if (read(to_child[0], &go, 1) != 1) _exit(4); /* the parent has printed */
    printf("child's thread: SIGUSR1 si_code %d from the parent: %s\n", usr1_code,
           usr1_from == getppid() ? "yes" : "no");
    printf("child's thread: SIGRTMIN value %d\n", rt_value);
    fflush(stdout);
    return NULL;
}

#define SHOW(name, expr) do { \
        errno = 0; \
        long r_ = (long)(expr); \
        printf("%s: %ld %s\n", (name), r_, r_ < 0 ? err_name(errno) : "-"); \
    } while (0)

int main(void)
{
    GUEST_START();
    if (pipe(to_parent) < 0 || pipe(to_child) < 0) return 2;
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &block, NULL); /* both threads of the child block them: sigwaitinfo takes them */
    pid_t child = fork_flushed();
    if (child == 0) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker, NULL) != 0) _exit(5);
        pthread_join(t, NULL);
        sigset_t pending;
        sigpending(&pending);
        printf("child's main thread: SIGUSR1 pending for it: %s\n", sigismember(&pending, SIGUSR1) ? "yes" : "no");
        fflush(stdout);
        _exit(0);
    }
    pid_t tid;
    if (read(to_parent[0], &tid, sizeof tid) != sizeof tid) return 2;
    printf("the child's thread has its own tid: %s\n", tid != child ? "yes" : "no");
    SHOW("tgkill 0 to the child's thread", syscall(SYS_tgkill, child, tid, 0));
    SHOW("tgkill 0 to the child's main thread", syscall(SYS_tgkill, child, child, 0));
    SHOW("tkill 0 to the child's thread", syscall(SYS_tkill, tid, 0));
    SHOW("tkill 0 to the child's main thread", syscall(SYS_tkill, child, 0));
    SHOW("tgkill 0 to a tid not in the child", syscall(SYS_tgkill, child, getpid(), 0));
    SHOW("tgkill SIGUSR1 to a tid not in the child", syscall(SYS_tgkill, child, getpid(), SIGUSR1));
    SHOW("rt_tgsigqueueinfo SI_USER to another process", tgsigqueue(child, tid, SIGRTMIN, 1, SI_USER));
    SHOW("rt_tgsigqueueinfo SI_QUEUE value 7", tgsigqueue(child, tid, SIGRTMIN, 7, SI_QUEUE));
    SHOW("tgkill SIGUSR1 to the child's thread", syscall(SYS_tgkill, child, tid, SIGUSR1));
    fflush(stdout);
    if (write(to_child[1], "g", 1) != 1) return 2;
    int st;
    waitpid(child, &st, 0);
    printf("child: %s\n", status_text(st));
    SHOW("tgkill 0 to the ended child's thread", syscall(SYS_tgkill, child, tid, 0));
    SHOW("tkill 0 to the ended child's thread", syscall(SYS_tkill, tid, 0));
    return GUEST_END();
}
