/* The state of an eventfd or a timerfd as one object for every process its file reaches
   (fork, execve into a new process), as Linux's open file description is one object
   whoever holds it: a small pagefile section holding a lock word, the names of two
   manual-reset events and the backend's state. The events mirror the state's readiness
   for the waits (px_wait_on), in every process. The file's handle is the section, so the
   hand-over (fd_handoff.h) duplicates it; the receiver maps it and makes or opens the
   events by the names in it (whoever holds the object keeps them: made again by name
   if all their holders ended before it opened them). */
#ifndef PX_FS_ANON_SHARED_H
#define PX_FS_ANON_SHARED_H

#include <stddef.h>
#include "host/host_sync.h"

#define PX_ANON_STATE_MAX 192

typedef struct px_anon_shared {
    px_host_handle section;
    struct anon_view *view;
    px_host_handle events[2];
} px_anon_shared;

/* A new object with state_size (<= PX_ANON_STATE_MAX) bytes of state, zeroed: 0, or
   -LINUX_ENOMEM. */
int64_t px_anon_shared_new(px_anon_shared *o, size_t state_size);
/* The object of a section handed over (taken over by o, closed on failure): 0, or
   -LINUX_EINVAL when it is none (its magic or size differ). */
int64_t px_anon_shared_open(px_anon_shared *o, px_host_handle section, size_t state_size);
void *px_anon_shared_state(const px_anon_shared *o);
/* The lock over the state, between every thread of every holder. */
void px_anon_shared_lock(const px_anon_shared *o);
void px_anon_shared_unlock(const px_anon_shared *o);
/* Event which (0 or 1): set or reset (with the lock held), or for a wait. */
void px_anon_shared_mirror(const px_anon_shared *o, int which, bool set);
px_host_handle px_anon_shared_event(const px_anon_shared *o, int which);
void px_anon_shared_close(px_anon_shared *o);

/* A file of o (taken over: closed on failure) with ops, its handle the section and
   f->data the object, or NULL; its ops' release is px_anon_shared_file_release. */
struct px_file;
struct px_file_ops;
struct px_file *px_anon_shared_file(px_anon_shared *o, const struct px_file_ops *ops, uint32_t status_flags,
                                    const char *guest_path);
void px_anon_shared_file_release(struct px_file *f);

#endif
