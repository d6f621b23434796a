/* fs/anon_shared.h: eventfd's and timerfd's state between processes. */
#include <stdio.h>
#include <string.h>
#include "core/px.h"
#include "fs/anon_shared.h"
#include "fs/fs_internal.h"
#include "fs/shared_lock.h"
#include "host/host_mem.h"
#include "host/host_process.h"
#include "host/host_time.h"

#define ANON_MAGIC 0x316e6f6e61787870ull /* "pxxanon1" */
#define NAME_CHARS 64

typedef struct anon_view {
    uint64_t magic;
    uint32_t lock;       /* fs/shared_lock.h */
    uint32_t state_size;
    wchar_t names[2][NAME_CHARS];
    uint64_t state[PX_ANON_STATE_MAX / 8];
} anon_view;

static int64_t open_events(px_anon_shared *o)
{
    for (int k = 0; k < 2; k++) {
        o->view->names[k][NAME_CHARS - 1] = 0;
        o->events[k] = px_host_event_named(o->view->names[k], true, NULL);
        if (!o->events[k]) return -LINUX_ENOMEM;
    }
    return 0;
}

int64_t px_anon_shared_new(px_anon_shared *o, size_t state_size)
{
    static uint32_t made; /* names this process gave: with its id and the time, unique */
    memset(o, 0, sizeof *o);
    if (state_size > PX_ANON_STATE_MAX) return -LINUX_EINVAL;
    o->section = px_host_section_new(NULL, sizeof(anon_view), true, false, NULL, NULL);
    o->view = o->section ? px_host_view_map(o->section, 0, sizeof(anon_view), NULL, true) : NULL;
    if (!o->view) {
        px_anon_shared_close(o);
        return -LINUX_ENOMEM;
    }
    o->view->magic = ANON_MAGIC;
    o->view->state_size = (uint32_t)state_size;
    uint32_t seq = __atomic_add_fetch(&made, 1, __ATOMIC_RELAXED);
    for (int k = 0; k < 2; k++)
        swprintf(o->view->names[k], NAME_CHARS, L"Local\\picolx-anon-%u-%llx-%u-%c", px_host_pid(),
                 (unsigned long long)px_host_ticks(), seq, k ? L'b' : L'a');
    if (open_events(o) < 0) {
        px_anon_shared_close(o);
        return -LINUX_ENOMEM;
    }
    return 0;
}

int64_t px_anon_shared_open(px_anon_shared *o, px_host_handle section, size_t state_size)
{
    memset(o, 0, sizeof *o);
    o->section = section;
    o->view = px_host_view_map(section, 0, sizeof(anon_view), NULL, true);
    if (!o->view || o->view->magic != ANON_MAGIC || o->view->state_size != state_size || open_events(o) < 0) {
        px_anon_shared_close(o);
        return -LINUX_EINVAL;
    }
    return 0;
}

void *px_anon_shared_state(const px_anon_shared *o) { return o->view->state; }

void px_anon_shared_lock(const px_anon_shared *o) { px_shared_lock(&o->view->lock); }

void px_anon_shared_unlock(const px_anon_shared *o) { px_shared_unlock(&o->view->lock); }

void px_anon_shared_mirror(const px_anon_shared *o, int which, bool set)
{
    if (set) px_host_event_set(o->events[which]);
    else px_host_event_reset(o->events[which]);
}

px_host_handle px_anon_shared_event(const px_anon_shared *o, int which) { return o->events[which]; }

void px_anon_shared_close(px_anon_shared *o)
{
    for (int k = 0; k < 2; k++)
        if (o->events[k]) px_host_close(o->events[k]);
    if (o->view) px_host_view_unmap(o->view);
    if (o->section) px_host_close(o->section);
    memset(o, 0, sizeof *o);
}

px_file *px_anon_shared_file(px_anon_shared *o, const struct px_file_ops *ops, uint32_t status_flags,
                             const char *guest_path)
{
    px_anon_shared *kept = px_alloc(sizeof *kept);
    px_file *f = kept ? px_file_new(ops, o->section, status_flags) : NULL;
    char *name = f ? px_strdup(guest_path) : NULL;
    if (!name) {
        px_anon_shared_close(o);
        px_free(kept);
        px_free(f);
        return NULL;
    }
    *kept = *o;
    f->data = kept;
    f->guest_path = name;
    return f;
}

void px_anon_shared_file_release(px_file *f)
{
    px_anon_shared_close(f->data); /* f->handle is its section */
    px_free(f->data);
}
