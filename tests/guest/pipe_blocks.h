/* PIPE_BUF atomicity between processes (fork_pipes.c, pipe_procs.c): children that each
   write count blocks of size bytes, all of one letter ('a' + k), then exit (2 after a
   short write); and the reader's check that every block came whole. */
#ifndef PIPE_BLOCKS_H
#define PIPE_BLOCKS_H

#include <stdbool.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static void start_block_writers(int p[2], pid_t *kids, int n, size_t size, int count)
{
    for (int k = 0; k < n; k++) {
        if ((kids[k] = fork()) == 0) {
            close(p[0]);
            char block[size];
            memset(block, 'a' + k, size);
            for (int i = 0; i < count; i++)
                if (write(p[1], block, size) != (ssize_t)size) _exit(2);
            _exit(0);
        }
    }
}

/* Whether every size-byte block of buf[0..got) is one letter; counts[k] gets the blocks
   of letter 'a' + k (k < n). */
static bool blocks_whole(const char *buf, size_t got, size_t size, int *counts, int n)
{
    bool whole = true;
    for (size_t b = 0; b + size <= got; b += size) {
        char c = buf[b];
        for (size_t i = 1; i < size; i++)
            if (buf[b + i] != c) whole = false;
        if (c >= 'a' && c < 'a' + n) counts[c - 'a']++;
    }
    return whole;
}

#endif
