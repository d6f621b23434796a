/* Tasks and their objects (task.c): the process's first task, the hand-over of a task
   and every object it points at to another Windows process, the real clone operations.
   The task struct itself is px_task (core/thread.h: entry.S reads its first fields). */
#ifndef PX_TASK_TASK_H
#define PX_TASK_TASK_H

#include <stdbool.h>
#include <stdint.h>
#include "core/thread.h"
#include "task/clone.h"

struct px_handoff;

/* Makes the process's first task (tid = pid = the Windows process id) with new objects
   (the host's credentials, Debian's limits, fds none yet, cwd "/", no handlers) and
   attaches it to the calling thread. Call once, before the file-system layer starts.
   NULL when out of memory. */
px_task *px_task_boot(void);

/* execve in a new process: one record per object of t (task, process, cred, sighand;
   the fs context and fd table through px_fd_handoff_export). false when out of memory. */
bool px_task_save(const px_task *t, struct px_handoff *h);
/* The same for exec (close-on-exec fds left out) or for fork (for_exec false: every fd,
   with its close-on-exec flag; pid and ppid nonzero: the child's, so that the records
   are the child's task and process). */
bool px_task_save_for(const px_task *t, struct px_handoff *h, bool for_exec, int32_t pid, int32_t ppid);
/* In the new process, on the first task: its objects take the records' contents (fds
   last, so that they are checked against the restored RLIMIT_NOFILE). */
void px_task_restore(px_task *t, const struct px_handoff *h);

/* The objects' take/copy/drop for px_task_clone. */
extern const px_clone_ops px_task_clone_ops;

/* The calling task's name (PR_GET_NAME; src/kernel/prctl.c). */
void px_task_comm(char out[PX_TASK_COMM_LEN]);

#endif
