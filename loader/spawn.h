/* Programs linked at fixed addresses run in a child process whose ranges the parent
   reserved before the child started (spawn.c). */
#ifndef PX_LOADER_SPAWN_H
#define PX_LOADER_SPAWN_H

#include <stdbool.h>
#include "elf.h"

/* In a child started by px_spawn_reserved: adopts the reserved ranges (px_vm_adopt_reservation),
   removes the variable that listed them from the environment, and returns true. False in a
   first process. */
bool px_spawn_adopt_reservations(void);

/* In the first process: starts picolx.exe again with the same command line, suspended,
   reserves info's PT_LOAD ranges and a brk area after them in it, resumes it and returns
   its exit status (or 126 with a message when it cannot). name is the program for messages. */
int px_spawn_reserved(const px_elf_info *info, const char *name);

#endif
