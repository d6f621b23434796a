/* picolx.exe: the command line, a thin client of libpicolx.dll (include/picolx.h). */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "picolx.h"

static void usage(FILE *f)
{
    fputs("usage: picolx run [--root WINDOWS_DIR | -d NAME] [--trace[=FILE]] [--env K=V]... [--] PROGRAM [ARGS...]\n"
          "       picolx import NAME WINDOWS_DIR TARFILE   (.tar, .tar.gz, .tar.xz)\n"
          "       picolx list\n"
          "       picolx unregister NAME\n"
          "       picolx --version\n", f);
}

static char *utf8_from_wide(const wchar_t *w)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    char *s = malloc(n > 0 ? n : 1);
    if (!s) exit(125);
    if (n <= 0) s[0] = 0;
    else WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL);
    return s;
}

static int cmd_run(int argc, char **argv)
{
    PxRunOptions o = {.size = sizeof o};
    const char **env = calloc((size_t)argc + 1, sizeof *env);
    int nenv = 0, i = 0;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) { i++; break; }
        if (a[0] != '-') break;
        if (!strcmp(a, "--root") && i + 1 < argc) o.root = argv[++i];
        else if (!strncmp(a, "--root=", 7)) o.root = a + 7;
        else if ((!strcmp(a, "-d") || !strcmp(a, "--distro")) && i + 1 < argc) o.distro = argv[++i];
        else if (!strcmp(a, "--trace")) o.trace = 1;
        else if (!strncmp(a, "--trace=", 8)) { o.trace = 1; o.trace_path = a + 8; }
        else if (!strcmp(a, "--env") && i + 1 < argc && strchr(argv[i + 1], '=')) env[nenv++] = argv[++i];
        else {
            fprintf(stderr, "picolx run: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (o.root && o.distro) {
        fputs("picolx run: --root and -d cannot be used together\n", stderr);
        return 2;
    }
    if (i >= argc) {
        fputs("picolx run: no program given\n", stderr);
        usage(stderr);
        return 2;
    }
    o.env = env;
    int status = 125;
    PxStatus st = PxRun(&o, argc - i, (const char *const *)(argv + i), &status);
    if (st == PX_STATUS_INVALID_ARGUMENT) return 2;
    return status;
}

static void print_distro(void *context, const char *name, const char *dir)
{
    (void)context;
    printf("%s\t%s\n", name, dir);
}

int wmain(int argc, wchar_t **wargv)
{
    char **argv = calloc((size_t)argc + 1, sizeof *argv);
    for (int i = 0; i < argc; i++) argv[i] = utf8_from_wide(wargv[i]);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "run")) return cmd_run(argc - 2, argv + 2);
    if (!strcmp(argv[1], "import")) {
        if (argc != 5) {
            usage(stderr);
            return 2;
        }
        return PxImport(argv[2], argv[3], argv[4]) == PX_STATUS_OK ? 0 : 1;
    }
    if (!strcmp(argv[1], "list")) {
        if (argc != 2) {
            usage(stderr);
            return 2;
        }
        return PxList(NULL, print_distro) == PX_STATUS_OK ? 0 : 1;
    }
    if (!strcmp(argv[1], "unregister")) {
        if (argc != 3) {
            usage(stderr);
            return 2;
        }
        return PxUnregister(argv[2]) == PX_STATUS_OK ? 0 : 1;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("picolx %s\n", PxVersion());
        return 0;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "picolx: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
