/* What the picolx processes of a session share through named objects (fs/lock.c's lock
   table, fs/fifo.c's FIFOs): a mutex whose holder may have died, and other processes
   that may be gone. (The named sections, events and mutexes themselves: host_mem.h,
   host_sync.h.) */
#ifndef PX_HOST_NAMED_H
#define PX_HOST_NAMED_H

#include "host/host.h"

/* Takes mutex, waiting as long as it takes. *abandoned says its holder died holding it:
   it is ours now, and what it guards may be half-changed. 0 or -LINUX_Exxx. */
int64_t px_host_mutex_take(px_host_handle mutex, bool *abandoned);

/* Takes a session table's mutex (px_host_session_table_open's), running repair first
   when the last holder died holding it. False when it cannot be taken. */
bool px_host_table_enter(px_host_handle mutex, void (*repair)(void));

/* A table every picolx process of the session maps (fs/lock.c's locks, task/ptable.c's
   processes): the named section of size bytes and its named mutex. init runs with the
   mutex held on the view (a new section is all zeros) and says whether the table is one
   this build can use. The view and *mutex, or NULL with nothing kept. The section handle
   stays open for the process's life: under Wine a view alone does not keep the name, and
   the next process would make a table of its own. */
void *px_host_session_table_open(const wchar_t *section_name, const wchar_t *mutex_name, size_t size,
                                 bool (*init)(void *view), px_host_handle *mutex);

/* The name of one thread's object among the session's: prefix then "<pid>-<tid>" in
   decimal, in out (cap wide characters, cut to fit). */
void px_host_name_pid_tid(wchar_t *out, size_t cap, const wchar_t *prefix, uint32_t pid, uint32_t tid);

/* Sets the named event of a waiter in some process of the session. False when no such
   event exists: its maker closed it, or died. */
bool px_host_event_set_named(const wchar_t *name);

/* Opens process pid for waiting on its end and reading its times: 0 and *out, or
   -LINUX_ESRCH when there is no such process, -LINUX_EACCES when it runs but we may not
   open it, another -LINUX_Exxx otherwise. */
int64_t px_host_process_open_checked(uint32_t pid, px_host_handle *out);

#endif
