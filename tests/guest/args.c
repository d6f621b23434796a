/* argv and envp, echoed: arguments in order, the environment sorted. */
#include "guest.h"
#include <stdlib.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv, char **envp)
{
    GUEST_START();
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++) printf("argv[%d]=[%s] (%zu bytes)\n", i, argv[i], strlen(argv[i]));
    CHECK("argv[0] is an absolute path", argv[0] && argv[0][0] == '/');
    CHECK("argv[argc] is NULL", argv[argc] == NULL);
    int n = 0;
    while (envp[n]) n++;
    char **sorted = malloc((n + 1) * sizeof *sorted);
    memcpy(sorted, envp, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp);
    printf("envc=%d\n", n);
    for (int i = 0; i < n; i++) printf("env %s\n", sorted[i]);
    const char *home = getenv("HOME");
    printf("getenv HOME=%s\n", home ? home : "(unset)");
    CHECK("setenv/getenv", setenv("PICOLX_TEST", "1", 1) == 0 && strcmp(getenv("PICOLX_TEST"), "1") == 0);
    return GUEST_END();
}
