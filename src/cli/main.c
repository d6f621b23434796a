/* picolx.exe: the command line, a thin client of libpicolx.dll (include/picolx.h). */
#include <stdint.h>
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
          "       picolx cache [clear]   (the image cache: rewritten code kept between runs)\n"
          "       picolx --version\n", f);
}

/* wmain's UTF-16 argument in UTF-8 (an unpaired surrogate becomes U+FFFD, as Windows'
   own conversion makes it). By hand: the CLI is a client of the API and needs no
   windows.h of its own. */
static char *utf8_from_wide(const wchar_t *w)
{
    size_t n = 0;
    while (w[n]) n++;
    char *s = malloc(3 * n + 1), *out = s;
    if (!s) exit(125);
    for (size_t i = 0; i < n; i++) {
        uint32_t c = (uint16_t)w[i];
        if (c >= 0xD800 && c < 0xDC00 && i + 1 < n && (uint16_t)w[i + 1] >= 0xDC00 && (uint16_t)w[i + 1] < 0xE000)
            c = 0x10000 + ((c - 0xD800) << 10) + ((uint16_t)w[++i] - 0xDC00);
        else if (c >= 0xD800 && c < 0xE000)
            c = 0xFFFD;
        if (c < 0x80) {
            *out++ = (char)c;
        } else if (c < 0x800) {
            *out++ = (char)(0xC0 | c >> 6);
            *out++ = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            *out++ = (char)(0xE0 | c >> 12);
            *out++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *out++ = (char)(0x80 | (c & 0x3F));
        } else {
            *out++ = (char)(0xF0 | c >> 18);
            *out++ = (char)(0x80 | ((c >> 12) & 0x3F));
            *out++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *out++ = (char)(0x80 | (c & 0x3F));
        }
    }
    *out = 0;
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

static void print_cache_entry(void *context, const char *name, uint64_t size, int64_t last_used)
{
    (void)context;
    /* 100 ns units since 1601 -> seconds since 1970 */
    long long unix_time = last_used / 10000000 - 11644473600ll;
    printf("%s\t%llu\t%lld\n", name, (unsigned long long)size, unix_time);
}

static int cmd_cache(int argc, char **argv)
{
    if (argc == 1 && !strcmp(argv[0], "clear")) return PxCacheClear() == PX_STATUS_OK ? 0 : 1;
    if (argc != 0) {
        usage(stderr);
        return 2;
    }
    uint64_t entries, bytes, limit;
    if (PxCacheList(NULL, print_cache_entry, &entries, &bytes, &limit) != PX_STATUS_OK) return 1;
    printf("%llu entries, %llu bytes (limit %llu bytes)\n", (unsigned long long)entries, (unsigned long long)bytes,
           (unsigned long long)limit);
    return 0;
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
    if (!strcmp(argv[1], "cache")) return cmd_cache(argc - 2, argv + 2);
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
