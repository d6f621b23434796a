/* picolx: run Linux x86-64 programs in an ordinary Windows process.
   The embedding API of libpicolx.dll. Every function returns a PxStatus; the
   context comes first and out-parameters last. Strings are UTF-8. */
#ifndef PICOLX_H
#define PICOLX_H

#include <stdint.h>

#ifdef PX_BUILDING_DLL
#define PX_API __declspec(dllexport)
#else
#define PX_API __declspec(dllimport)
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t PxStatus;
#define PX_STATUS_OK 0
#define PX_STATUS_INVALID_ARGUMENT (-1) /* a bad option or a missing argument */
#define PX_STATUS_NOT_FOUND (-2)        /* the program or a file it needs does not exist */
#define PX_STATUS_NOT_EXECUTABLE (-3)   /* the program is not a Linux x86-64 ELF we can run */
#define PX_STATUS_HOST_ERROR (-4)       /* Windows refused something picolx needs */
#define PX_STATUS_NOT_IMPLEMENTED (-5)
#define PX_STATUS_BAD_ARCHIVE (-6)      /* a tarball that is corrupt, truncated or of a kind picolx cannot import */
#define PX_STATUS_ALREADY_EXISTS (-7)   /* the distro name is taken, or the directory is not empty */

/* How to run a guest. Zero-initialise, set size = sizeof(PxRunOptions), fill what you need. */
typedef struct PxRunOptions {
    uint32_t size;
    const char *root;              /* Windows directory that is the guest's "/"; NULL: the current drive */
    const char *distro;            /* an imported distro by name, instead of root */
    int trace;                     /* nonzero: one line per guest syscall, and a summary at exit */
    const char *trace_path;        /* where the trace goes; NULL: standard error */
    const char *const *env;        /* extra K=V for the guest environment, NULL-terminated, or NULL */
} PxRunOptions;

/**
 * Runs a Linux program and waits for it.
 *
 * @param options     How to run it.
 * @param argc        Number of entries in argv; argv[0] is the program's path in the guest.
 * @param argv        The guest's argument vector.
 * @param exit_status Receives the guest's exit status: its exit code, 128 + the signal that
 *                    ended it, 126 if the program cannot be executed, 127 if it is not found.
 * @return PX_STATUS_OK when the guest ran (whatever its status), or an error status.
 */
PX_API PxStatus PxRun(const PxRunOptions *options, int argc, const char *const *argv, int *exit_status);

/**
 * Installs a root file system from a tarball as a named distro (like `wsl --import`).
 *
 * @param name     The distro's name.
 * @param dir      The Windows directory that will hold it.
 * @param tarfile  A .tar, .tar.gz or .tar.xz file.
 * @return PX_STATUS_OK, or an error status (nothing is left installed on error).
 */
PX_API PxStatus PxImport(const char *name, const char *dir, const char *tarfile);

/** Receives one installed distro: its name and the Windows directory of its store (UTF-8). */
typedef void (*PxDistroCallback)(void *context, const char *name, const char *dir);

/**
 * Lists the installed distros.
 *
 * @param context   Passed to callback.
 * @param callback  Called once per distro, in no particular order.
 * @return PX_STATUS_OK, or an error status.
 */
PX_API PxStatus PxList(void *context, PxDistroCallback callback);

/**
 * Removes an installed distro: its name first, then its store and everything in it.
 *
 * @param name  The distro's name.
 * @return PX_STATUS_OK, PX_STATUS_NOT_FOUND if no distro has that name, or an error status.
 */
PX_API PxStatus PxUnregister(const char *name);

/** Receives one entry of the image cache: its file name, size in bytes and last use
    (100 ns units since 1601-01-01 UTC). */
typedef void (*PxCacheEntryCallback)(void *context, const char *name, uint64_t size, int64_t last_used);

/**
 * Lists the image cache (rewritten code kept in picolx's home), least recently used first.
 *
 * @param context   Passed to callback.
 * @param callback  Called once per entry, or NULL.
 * @param entries   Receives the number of entries.
 * @param bytes     Receives their total size.
 * @param limit     Receives the size limit (the home's image-cache-limit file; default 1024 MiB).
 * @return PX_STATUS_OK, or an error status.
 */
PX_API PxStatus PxCacheList(void *context, PxCacheEntryCallback callback, uint64_t *entries, uint64_t *bytes,
                            uint64_t *limit);

/** Empties the image cache. @return PX_STATUS_OK, or an error status. */
PX_API PxStatus PxCacheClear(void);

/** The library's version string ("0.1.0"). */
PX_API const char *PxVersion(void);

#ifdef __cplusplus
}
#endif

#endif
