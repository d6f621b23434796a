/* Pipes the guest makes, as rings in shared memory (pipe_ring.c); pipe.c keeps the
   Windows pipes (the host's standard handles) and answers F_GETPIPE_SZ/F_SETPIPE_SZ
   for both kinds. */
#ifndef PX_FS_PIPE_RING_H
#define PX_FS_PIPE_RING_H

#include "fs/fd_handoff.h"

/* A new pipe: 0 and its two ends (status_flags: O_NONBLOCK, O_DIRECT), or -LINUX_Exxx. */
int64_t px_pipe_ring_create(px_file **read_end, px_file **write_end, uint32_t status_flags);
bool px_pipe_is_ring(const px_file *f);
uint32_t px_pipe_ring_capacity(px_file *f);
/* capacity: a power of two pages, checked by the caller. It, or -LINUX_EBUSY (more bytes
   are held), -LINUX_ENOMEM. */
int64_t px_pipe_ring_set_capacity(px_file *f, uint32_t capacity);

/* tee(2): whether two ends are of one pipe; up to len bytes of in's copied into out,
   leaving them in in: the count, 0 (in is empty, its writers gone), -LINUX_EAGAIN
   (nonblock), -LINUX_EPIPE, or PX_WOULD_BLOCK: wait on in's POLLIN, or on out's POLLOUT
   when *wait_for_room. */
bool px_pipe_ring_same(const px_file *a, const px_file *b);
int64_t px_pipe_ring_tee(px_file *in, px_file *out, uint64_t len, bool nonblock, bool *wait_for_room);

/* The process ends (its files are not closed one by one): its ends leave the counts. */
void px_pipe_ring_process_exit(void);

extern const px_file_handoff px_pipe_ring_handoff;

/* A crossed pair's two ends of one file (a socket's, a pty's) in its hand-over record:
   save writes rx's state then tx's at out and their lengths (the ends are counted as
   sent); rebuild makes both from the file's handle (rx's token) and aux handle (tx's):
   true, or false with neither (the caller closes both handles). */
size_t px_pipe_ring_save_ends(px_file *rx, px_file *tx, void *out, uint32_t lens[2]);
bool px_pipe_ring_rebuild_ends(const px_handoff_file *hf, const void *states, const uint32_t lens[2], px_file **rx,
                               px_file **tx);

/* A crossed pair's two ends on their way to a process not yet known (a connection
   waiting in a listening socket's queue, net/unix_named.c): their states, and their
   tokens and sections parked as handles of a keeper process, so that they outlive the
   sender. Whoever takes them moves the handles out of the keeper. */
typedef struct px_ring_parcel {
    uint32_t lens[2];
    uint8_t states[128];
    uint64_t tokens[2], sections[2]; /* the keeper's handles */
} px_ring_parcel;
/* rx and tx parked in keeper (the caller's files stay its own to drop): 0 or -LINUX_Exxx. */
int64_t px_pipe_ring_park_ends(px_file *rx, px_file *tx, px_host_handle keeper, px_ring_parcel *out);
/* The two ends made here from a parcel parked in keeper: 0, or -LINUX_Exxx (the keeper's
   handles are closed either way). */
int64_t px_pipe_ring_unpark_ends(const px_ring_parcel *p, px_host_handle keeper, px_file **rx, px_file **tx);
/* A parcel nobody will take: its handles closed in the keeper. */
void px_pipe_ring_drop_parcel(const px_ring_parcel *p, px_host_handle keeper);

/* --- the connected pairs of AF_UNIX sockets (net/unix_pair.c) --- */
/* How often a waiter asks whether the other side's process still lives. */
#define PX_PIPE_RING_PEER_CHECK_NS (100 * 1000000ll)
enum { PX_RING_NONBLOCK = 1, PX_RING_PEEK = 2 };
/* Two rings crossed: end i reads rx[i] and writes tx[i] (tx[0] into rx[1], tx[1] into
   rx[0]); each end sleeps on one semaphore for bytes and room. records: each send is one
   record, received whole (datagrams). 0 or -LINUX_Exxx. */
int64_t px_pipe_ring_create_crossed(px_file *rx[2], px_file *tx[2], bool records, uint32_t capacity);
/* recv and send with flags (ring_recv, ring_send in pipe_ring.c): the count, 0 with
   *ended at the end, -LINUX_EAGAIN, -LINUX_EPIPE, -LINUX_EMSGSIZE, -LINUX_EFAULT or
   PX_WOULD_BLOCK (wait_on the end's POLLIN or POLLOUT). *whole: a record's length. */
int64_t px_pipe_ring_recv(px_file *rx, void *buf, uint64_t len, unsigned flags, uint64_t *whole, bool *ended);
int64_t px_pipe_ring_send(px_file *tx, const void *buf, uint64_t len, unsigned flags);
/* shutdown(2) of a direction, for every process that holds an end of it (the state is
   in the ring): a shut reading side reads what is left, then the end, and its writers
   get EPIPE; a shut writing side gets EPIPE, and its readers the end. */
void px_pipe_ring_shut(px_file *end);
bool px_pipe_ring_side_shut(px_file *end);    /* this end's side was shut */
bool px_pipe_ring_shut_by_peer(px_file *end); /* the other side was */
bool px_pipe_ring_empty(px_file *rx);
/* Wakes whoever waits for bytes on end's ring (a pty's echo and end-of-file marks are
   beside the ring, and put no byte in it). */
void px_pipe_ring_wake_readers(px_file *end);
bool px_pipe_ring_peer_open(px_file *end);
bool px_pipe_ring_has_room(px_file *tx);
/* Bytes held (records: their bytes; first_record: the next record's length). */
int64_t px_pipe_ring_queued(px_file *rx, bool first_record);
uint64_t px_pipe_ring_ino(px_file *end);
/* poll's wake-up object of an end of a crossed pair: counted in for bytes on rx and,
   when tx is full, for room on tx; hangs_up: rx's writers gone makes it ready. */
void *px_pipe_ring_poll_handle_crossed(px_file *rx, px_file *tx, bool hangs_up);

#endif
