/* Shared by the fork_* guest programs (issue 8): forking with stdout flushed, children
   that count their own failures, wait statuses in words, and gates (a pipe that one
   process waits on until another opens it) so that what a test prints never depends on
   which process the scheduler runs first. Only one process prints at a time: the others
   are blocked in a wait or on a gate. */
#ifndef FORK_COMMON_H
#define FORK_COMMON_H

#include "guest.h"
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* errno_name with the errors of processes */
static __attribute__((unused)) const char *err_name(int e)
{
    switch (e) {
    case ECHILD: return "ECHILD";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case ENOEXEC: return "ENOEXEC";
    default: return errno_name(e);
    }
}

/* EXPECT_ERRNO with err_name's names */
#define EXPECT_FAIL(name, expr, err) do { \
        errno = 0; \
        long r_ = (long)(expr); \
        int e_ = errno; \
        printf("%s: ret=%ld errno=%s\n", (name), r_, r_ == -1 ? err_name(e_) : "-"); \
        if (r_ != -1 || e_ != (err)) guest_failures++; \
    } while (0)

/* fork with nothing left in stdio's buffer (it would be printed twice) */
static __attribute__((unused)) pid_t fork_flushed(void)
{
    fflush(stdout);
    fflush(stderr);
    return fork();
}

/* A child starts its own count of failures and ends with it as its exit status (0 or 1),
   without running the parent's atexit handlers or flushing its stdio again. */
#define CHILD_BEGIN() (guest_failures = 0)
#define CHILD_END() (fflush(stdout), _exit(guest_failures ? 1 : 0))

/* "exit N", "signal N", or the raw status */
static __attribute__((unused)) const char *status_text(int st)
{
    static char buf[4][32];
    static int next;
    char *b = buf[next++ % 4];
    if (WIFEXITED(st)) snprintf(b, sizeof buf[0], "exit %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) snprintf(b, sizeof buf[0], "signal %d", WTERMSIG(st));
    else snprintf(b, sizeof buf[0], "status 0x%x", st);
    return b;
}

/* waits for pid and checks that it exited with 0 (its own checks passed) */
static __attribute__((unused)) void expect_child_ok(const char *name, pid_t pid)
{
    int st = -1;
    pid_t r = waitpid(pid, &st, 0);
    printf("%s: %s\n", name, r == pid ? status_text(st) : "waitpid failed");
    if (r != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) guest_failures++;
}

struct gate { int fd[2]; };

static __attribute__((unused)) void gate_init(struct gate *g)
{
    if (pipe(g->fd) != 0) { printf("gate pipe: %s\n", err_name(errno)); exit(1); }
}

/* blocks until the gate is opened (or every writer is gone) */
static __attribute__((unused)) void gate_wait(struct gate *g)
{
    char c;
    while (read(g->fd[0], &c, 1) < 0 && errno == EINTR) {}
}

static __attribute__((unused)) void gate_open(struct gate *g)
{
    while (write(g->fd[1], "g", 1) < 0 && errno == EINTR) {}
}

static __attribute__((unused)) void gate_close(struct gate *g)
{
    close(g->fd[0]);
    close(g->fd[1]);
}

#endif
