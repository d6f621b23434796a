/* A fork tree three levels deep (3 children, 2 grandchildren each, 2 great-grandchildren
   each: 21 processes). Every process checks that getppid() is the pid its parent had
   before the fork, reaps its own children (the root with wait, level 1 with wait4(-1),
   level 2 with waitpid of each pid in reverse order), checks that each exited with the
   distinct status it was given and that no child is left (ECHILD), and writes one line
   of what it found into a pipe shared by the whole tree. The root reads the pipe to its
   EOF (the last writer in the tree gone), sorts the lines and prints them. */
#include "fork_common.h"
#include <stdlib.h>
#include <sys/resource.h>

#define DEPTH 3
static const int fanout[DEPTH] = {3, 2, 2};
static int report_fd;

/* node ids: child i (1-based) of node n is n*4+i, so every process has its own status */
static int child_id(int id, int i) { return id * 4 + i; }

static void child_path(char *out, size_t cap, const char *path, int i)
{
    if (*path) snprintf(out, cap, "%s.%d", path, i);
    else snprintf(out, cap, "%d", i);
}

static void run_node(int level, int id, const char *path, pid_t parent);

/* forks this node's children, reaps them, appends what it found to line; returns the
   number of problems */
static int fork_and_reap(int level, int id, const char *path, char *line, size_t cap)
{
    int n = fanout[level], problems = 0;
    pid_t self = getpid(), pids[3];
    int statuses[3];
    size_t len = strlen(line);
    for (int i = 1; i <= n; i++) {
        char cpath[32];
        child_path(cpath, sizeof cpath, path, i);
        pid_t pid = fork_flushed();
        if (pid == 0) run_node(level + 1, child_id(id, i), cpath, self);
        if (pid < 0) {
            len += snprintf(line + len, cap - len, " fork %s", err_name(errno));
            return problems + 1;
        }
        pids[i - 1] = pid;
        statuses[i - 1] = -1;
    }
    for (int k = 0; k < n; k++) {
        int st = -1;
        pid_t r;
        if (level == 0) r = wait(&st);
        else if (level == 1) {
            struct rusage ru;
            r = wait4(-1, &st, 0, &ru);
        } else r = waitpid(pids[n - 1 - k], &st, 0);
        int j = -1;
        for (int i = 0; i < n; i++)
            if (pids[i] == r) j = i;
        if (j < 0) {
            len += snprintf(line + len, cap - len, " wait returned %s",
                            r < 0 ? err_name(errno) : "a pid not forked here");
            problems++;
            continue;
        }
        if (statuses[j] != -1) problems++; /* the same child twice */
        statuses[j] = st;
    }
    for (int i = 0; i < n; i++) {
        char cpath[32];
        child_path(cpath, sizeof cpath, path, i + 1);
        int st = statuses[i];
        len += snprintf(line + len, cap - len, " %s=%s", cpath, st == -1 ? "not reaped" : status_text(st));
        if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != child_id(id, i + 1)) problems++;
    }
    errno = 0;
    pid_t r = waitpid(-1, NULL, WNOHANG);
    len += snprintf(line + len, cap - len, ", then %s", r == -1 ? err_name(errno) : "a child left");
    if (r != -1 || errno != ECHILD) problems++;
    return problems;
}

/* runs in the child: never returns */
static void run_node(int level, int id, const char *path, pid_t parent)
{
    CHILD_BEGIN();
    char line[1024];
    pid_t self = getpid(), ppid = getppid();
    int problems = 0;
    snprintf(line, sizeof line, "node %s: getppid %s, own pid %s;", path,
             ppid == parent ? "is the parent's getpid" : "WRONG",
             self != parent && self > 0 ? "new" : "WRONG");
    if (ppid != parent || self == parent || self <= 0) problems++;
    if (level < DEPTH) problems += fork_and_reap(level, id, path, line, sizeof line);
    else snprintf(line + strlen(line), sizeof line - strlen(line), " a leaf");
    strcat(line, "\n");
    if (write(report_fd, line, strlen(line)) != (ssize_t)strlen(line)) problems++;
    _exit(problems ? 200 + level : id);
}

static int by_text(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(void)
{
    GUEST_START();
    int p[2];
    EXPECT_RET("report pipe", pipe(p), 0);
    report_fd = p[1];
    char line[1024] = "root:";
    int problems = fork_and_reap(0, 0, "", line, sizeof line);
    printf("%s\n", line);
    CHECK("root's children: distinct statuses, all reaped", problems == 0);
    close(p[1]);

    /* every process of the tree wrote one line; EOF once the last of them is gone */
    static char all[65536];
    size_t got = 0;
    ssize_t r;
    while ((r = read(p[0], all + got, sizeof all - 1 - got)) > 0) got += (size_t)r;
    CHECK("report pipe read to EOF", r == 0);
    all[got] = 0;
    char *lines[64];
    int n = 0;
    for (char *s = strtok(all, "\n"); s && n < 64; s = strtok(NULL, "\n")) lines[n++] = s;
    qsort(lines, n, sizeof lines[0], by_text);
    for (int i = 0; i < n; i++) {
        printf("%s\n", lines[i]);
        if (strstr(lines[i], "WRONG") || strstr(lines[i], "not reaped") || strstr(lines[i], "wait returned") ||
            strstr(lines[i], "a child left") || strstr(lines[i], "fork "))
            guest_failures++;
    }
    printf("reports: %d\n", n);
    CHECK("one report from each of the 21 processes below the root", n == 21);
    return GUEST_END();
}
