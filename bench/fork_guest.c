/* The guest of bench/fork.sh: times ways of making a process inside the program
   (CLOCK_MONOTONIC, so no start-up is counted) and prints, for each, the best and the
   median of ROUNDS rounds in milliseconds:
     fork_8mib_ms   fork + _exit + waitpid, 8 MiB of heap touched before
     fork_exec_ms   fork + execve(/bin/true) + waitpid (no big heap)
     spawn_ms       posix_spawn(/bin/true) + waitpid
   A way that fails prints "<name> failed <why>" and the others still run.
   usage: fork_guest [ROUNDS] [NAME...]        (default: 20 rounds, all three) */
#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HEAP_BYTES (8u << 20)

extern char **environ;
static char *heap;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* one round of each way; 0, or an errno-like reason it failed */
static const char *fork_exit(void)
{
    pid_t pid = fork();
    if (pid < 0) return strerror(errno);
    if (pid == 0) _exit(0);
    int st;
    if (waitpid(pid, &st, 0) != pid) return strerror(errno);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? NULL : "the child did not exit 0";
}

static char *true_argv[] = {"/bin/true", NULL};

static const char *fork_exec(void)
{
    pid_t pid = fork();
    if (pid < 0) return strerror(errno);
    if (pid == 0) {
        execve(true_argv[0], true_argv, environ);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid) return strerror(errno);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? NULL : "/bin/true did not exit 0";
}

static const char *spawn(void)
{
    pid_t pid;
    int r = posix_spawn(&pid, true_argv[0], NULL, NULL, true_argv, environ);
    if (r != 0) return strerror(r);
    int st;
    if (waitpid(pid, &st, 0) != pid) return strerror(errno);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? NULL : "/bin/true did not exit 0";
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void measure(const char *name, const char *(*round)(void), int rounds)
{
    double *t = calloc(rounds, sizeof *t);
    for (int i = 0; i < rounds; i++) {
        double t0 = now_ms();
        const char *why = round();
        t[i] = now_ms() - t0;
        if (why) {
            printf("%s failed %s\n", name, why);
            fflush(stdout);
            free(t);
            return;
        }
    }
    qsort(t, rounds, sizeof *t, by_value);
    printf("%s best %.3f median %.3f rounds %d\n", name, t[0], t[rounds / 2], rounds);
    fflush(stdout);
    free(t);
}

static int wanted(int argc, char **argv, const char *name)
{
    if (argc <= 2) return 1;
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], name)) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 20;
    if (rounds < 1) rounds = 1;
    /* the 8 MiB only for the fork it is about: glibc's malloc maps it on its own and
       gives it back at free, so the other two fork a small process */
    if (wanted(argc, argv, "fork_8mib_ms")) {
        heap = malloc(HEAP_BYTES);
        memset(heap, 1, HEAP_BYTES);
        measure("fork_8mib_ms", fork_exit, rounds);
        if (heap[HEAP_BYTES - 1] != 1) return 1;
        free(heap);
    }
    if (wanted(argc, argv, "fork_exec_ms")) measure("fork_exec_ms", fork_exec, rounds);
    if (wanted(argc, argv, "spawn_ms")) measure("spawn_ms", spawn, rounds);
    return 0;
}
