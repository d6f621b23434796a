/* The ELF64 loader: validates a Linux program, maps it, builds its initial stack, starts it. */
#ifndef PX_LOADER_H
#define PX_LOADER_H

#include <stdint.h>

typedef struct px_launch {
    int argc;
    const char *const *argv;      /* argv[0]: the program's path in the guest */
    const char *const *extra_env; /* --env K=V, NULL-terminated, or NULL */
} px_launch;

/* Runs the program described by l (the runtime is initialised, px_cfg filled) and
   returns the guest's exit status: 126 when it is not a runnable ELF, 127 when it
   does not exist, each with a one-line message naming the file and the problem.
   Programs linked at fixed addresses that a running Wine process already uses run
   in a child process whose address ranges are reserved before it starts. */
int px_loader_run(const px_launch *l);

#endif
