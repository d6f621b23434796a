/* Named pipes (FIFOs, fifo(7)): the open file of a S_IFIFO node of lxfs or tmpfs. The
   state (buffer, reader and writer counts) lives in a named Windows section, so every
   picolx process that opens the same node shares one pipe. */
#ifndef PX_FS_FIFO_H
#define PX_FS_FIFO_H

#include <stddef.h>
#include <stdint.h>
#include "fs/fs_internal.h"

/* A 64-bit name for a set of nodes (a store, a tmpfs instance) from any bytes naming it:
   FNV-1a. Together with the inode number it names the FIFO's shared objects. */
uint64_t px_fifo_space_of(const void *bytes, size_t len);

/* Opens the FIFO (space, ino) with the guest's open flags. An open that must wait for
   its partner, as open(2) on a FIFO does, gives a file whose open_wait op says so (the
   open handler waits: px_file_open_blocking). node is a file of the node itself that answers fstat (an O_PATH-like open): it
   is taken over in every case, and its guest path and mount become the FIFO file's. */
int64_t px_fifo_open(uint64_t space, uint64_t ino, px_file *node, uint32_t flags, px_file **out);

/* The calling process ends: the ends it holds leave every FIFO's counts. */
void px_fifo_process_exit(void);

#endif
