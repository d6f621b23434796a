/* Handing a guest process's state to a new picolx process: execve of a program that
   cannot be mapped in this one (a fixed range Windows holds), and later fork. The state
   travels as a blob of tagged records; this module writes and reads the blob, carries it
   across (a section the new process inherits, named by an environment variable), and
   owns the records of the file-system layer: the open files, the fd table, the cwd and
   the root. Other parts (src/kernel/exec.c) add their own records with px_handoff_put.

   Open files: a backend whose files can be handed over names a px_file_handoff in its
   ops table (px_file_ops.handoff). Its Windows handle is duplicated into the new process
   and the backend's save/rebuild pair carries the rest (an inode, a pipe's mode). Files
   of proc, devfs and sysfs are opened again by their path there; anything else (tmpfs,
   FIFOs) is closed with a one-line warning naming the fd. */
#ifndef PX_FS_FD_HANDOFF_H
#define PX_FS_FD_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fs/fs_internal.h"

/* Record tags: one namespace for every part that adds records. */
enum px_handoff_tag {
    PX_HANDOFF_TAG_FILE = 1,    /* an open file description (here) */
    PX_HANDOFF_TAG_FD = 2,      /* an fd: its number, its file, close-on-exec (here) */
    PX_HANDOFF_TAG_FS = 3,      /* the fs context: umask, cwd, root (here) */
    PX_HANDOFF_TAG_EXEC = 16,   /* exec.c: the program's path, argv and envp */
    PX_HANDOFF_TAG_TASK = 18,   /* src/task/task.c: tid, signal mask, pending, sigaltstack, comm */
    PX_HANDOFF_TAG_PROCESS = 19, /* src/task/process.c: ids, rlimits, prctl state, shared pending */
    PX_HANDOFF_TAG_CRED = 20,   /* identity.c: uids, gids, groups */
    PX_HANDOFF_TAG_SIGHAND = 21, /* signal.c: the 64 actions */
    PX_HANDOFF_TAG_FORK = 22,   /* src/kernel/fork.c: the registers and what else only fork's child needs */
    PX_HANDOFF_TAG_MM = 23,     /* src/mm/mm_fork.c: the address space, for fork's copy of it */
    PX_HANDOFF_TAG_SIGINFO = 24, /* signal.c: the infos of pending signals and the queued real-time ones (execve) */
    PX_HANDOFF_TAG_ITIMERS = 25, /* itimer.c: what is left of each armed interval timer (execve) */
};

typedef struct px_handoff px_handoff;

/* An empty blob; NULL when out of memory. */
px_handoff *px_handoff_new(void);
/* Frees it, closing the section of a blob being sent. */
void px_handoff_free(px_handoff *h);
/* Appends a record (len bytes of data). False when out of memory. */
bool px_handoff_put(px_handoff *h, uint32_t tag, const void *data, size_t len);
/* The index-th record with this tag (from 0), or NULL; *len its size. */
const void *px_handoff_get(const px_handoff *h, uint32_t tag, size_t index, size_t *len);

/* --- the file-system layer's part --- */

/* Adds every open fd (for exec: not the close-on-exec ones, as Linux closes them), the
   cwd and the root. Files that cannot go are left out with a warning on stderr. */
int64_t px_fd_handoff_export(px_handoff *h, bool for_exec);
/* The sender once the new process runs: closes every fd (that process has its own
   handles; a pipe's reader must see the end when it closes its copy). */
void px_fd_handoff_close_all(void);
/* In the new process: replaces the fd table (fds 0-2 from the std handles) by the
   handed-over one, rebuilding each file, then sets the cwd and the root. */
int64_t px_fd_handoff_import(const px_handoff *h);

/* The fs context's save and restore (its record, PX_HANDOFF_TAG_FS): the calling task's
   umask, cwd and root. export calls save; import calls restore. */
int64_t px_fs_context_save(px_handoff *h);
void px_fs_context_restore(const px_handoff *h);

/* --- carrying it to the new process --- */

/* Before CreateProcess (with handle inheritance): an inheritable section big enough for
   the blob, named in the environment the child gets. 0 or -LINUX_Exxx. */
int64_t px_handoff_send_begin(px_handoff *h);
/* With the new process created (suspended) and before it runs: duplicates the files'
   handles into it (a file whose handle cannot go is dropped with a warning), writes the
   blob into the section and removes the variable from this process's environment.
   process NULL: the child was not created; only the clean-up. 0 or -LINUX_Exxx. */
int64_t px_handoff_send_end(px_handoff *h, void *process);
/* To a process that runs already (fork's spare): the blob in a new section duplicated into
   it (*remote_section: the handle's value there), the files' handles duplicated too.
   0 or -LINUX_Exxx. */
int64_t px_handoff_send_to(px_handoff *h, void *process, uint64_t *remote_section);
/* In that process: the blob in the section it was given (closed here), or NULL. */
px_handoff *px_handoff_receive_section(void *section);
/* In a new process: the blob its parent sent (the variable removed), or NULL. */
px_handoff *px_handoff_receive(void);

/* --- the backends' hooks --- */

/* What a backend gets back to rebuild a file in the new process. */
typedef struct px_handoff_file {
    void *handle;             /* the Windows handle, now this process's (the file owns it); NULL: none */
    void *aux_handle;         /* the backend's second handle (px_file_handoff.aux_handle), or NULL */
    uint32_t status_flags;
    bool is_dir;
    uint64_t pos;
    const char *guest_path;   /* or NULL */
    struct px_mount *mount;   /* the mount at the same point here, or NULL */
    const void *state;        /* what the backend's save wrote */
    size_t state_len;
} px_handoff_file;

#define PX_HANDOFF_STATE_MAX 4096

/* Which rebuild a file needs: one per backend. */
enum px_handoff_kind {
    PX_HANDOFF_REOPEN = 1, /* no handle: opened again by its path */
    PX_HANDOFF_NT,         /* drvfs files and directories (file_nt.c) */
    PX_HANDOFF_LXFS,       /* lxfs regular files (lxfs.c) */
    PX_HANDOFF_PIPE,       /* anonymous pipes (pipe.c) */
    PX_HANDOFF_CHARDEV,    /* other character devices (pipe.c) */
    PX_HANDOFF_CONSOLE,    /* consoles (console.c) */
    PX_HANDOFF_PIPE_RING,  /* pipes the guest made (pipe_ring.c) */
    PX_HANDOFF_FIFO,       /* FIFOs of any file system (fifo.c): by name, no handle */
    PX_HANDOFF_EVENTFD,    /* eventfds (eventfd_syscalls.c): their shared section */
    PX_HANDOFF_TIMERFD,    /* timerfds (timerfd_syscalls.c): their shared section */
    PX_HANDOFF_SIGNALFD,   /* signalfds (signalfd_syscalls.c): their mask, no handle */
    PX_HANDOFF_MEMFD,      /* memfds (memfd.c): the tmpfs file, and the seals' section beside it */
    PX_HANDOFF_EPOLL,      /* epoll sets (epoll_syscalls.c): a copy of the interest list, no handle */
    PX_HANDOFF_UNIX_PAIR,  /* socketpair's AF_UNIX sockets (net/unix_pair.c): two ring ends, two tokens */
    PX_HANDOFF_INET,       /* AF_INET and AF_INET6 sockets (net/inet.c): the host socket duplicated */
    PX_HANDOFF_PTY,
    PX_HANDOFF_UNIX_NAMED, /* socket(2)'s AF_UNIX sockets not connected (net/unix_named.c): their name's section */        /* pseudo-terminals (pty.c): two ring ends, two tokens, the state by name */
    PX_HANDOFF_KINDS
};

/* A backend's pair, named by its ops table. save writes at most PX_HANDOFF_STATE_MAX
   bytes of backend state and returns the count (NULL: none); rebuild makes the file in
   the new process (NULL on failure; the handle is then closed by the caller). */
typedef struct px_file_handoff {
    enum px_handoff_kind kind;
    bool no_handle;   /* the state names it all: no Windows handle goes along */
    bool handle_optional; /* a file of this kind may have no handle yet (an unbound socket) */
    size_t (*save)(px_file *f, void *state);
    px_file *(*rebuild)(const px_handoff_file *hf);
    /* a second Windows handle to go along (duplicated as the file's own), or NULL; the
       rebuild owns it, and it is closed when the rebuild fails */
    void *(*aux_handle)(px_file *f);
} px_file_handoff;

extern const px_file_handoff px_handoff_reopen; /* for files best opened again (lxfs directories) */
extern const px_file_handoff px_nt_handoff;      /* file_nt.c */
extern const px_file_handoff px_lxfs_handoff;    /* lxfs/lxfs.c */
extern const px_file_handoff px_pipe_handoff;    /* pipe.c */
extern const px_file_handoff px_chardev_handoff; /* pipe.c */
extern const px_file_handoff px_console_handoff; /* console.c */
extern const px_file_handoff px_fifo_handoff;    /* fifo.c */
extern const px_file_handoff px_eventfd_handoff; /* eventfd_syscalls.c */
extern const px_file_handoff px_timerfd_handoff; /* timerfd_syscalls.c */
extern const px_file_handoff px_signalfd_handoff; /* signalfd_syscalls.c */
extern const px_file_handoff px_memfd_handoff;   /* memfd.c */
extern const px_file_handoff px_epoll_handoff;   /* epoll_syscalls.c */
extern const px_file_handoff px_unix_pair_handoff; /* net/unix_pair.c */
extern const px_file_handoff px_inet_handoff;      /* net/inet.c */
extern const px_file_handoff px_unix_named_handoff; /* net/unix_named.c */

#endif
