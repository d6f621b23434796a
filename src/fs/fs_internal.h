/* Inside the file-system layer: open file descriptions (px_file) with an ops table, the
   fd table, path resolution, and the backends' constructors. Only the backends
   (file_nt.c, dir.c, console.c, pipe.c, stat.c's queries) call Win32/NT. */
#ifndef PX_FS_INTERNAL_H
#define PX_FS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <wchar.h>
#include "core/px.h"
#include "fs/fs.h"
#include "core/uaccess.h"
#include "fs/path_norm.h"
#include "fs/wait.h"
#include "host/host_sync.h"

/* Everything stat, fstat and statx report, gathered once by a backend. */
typedef struct px_stat_info {
    uint64_t dev, ino, nlink, rdev;
    uint32_t mode, uid, gid;
    int64_t size, blksize, blocks;
    struct linux_timespec atime, mtime, ctime, btime;
    bool has_btime;
} px_stat_info;

typedef struct px_file px_file;
struct px_mount; /* vfs.h */
struct linux_statfs; /* abi/linux_types.h */

/* An op left NULL means the file does not support it; the handlers pick the errno
   Linux gives (ESPIPE for seeks on pipes, ENOTDIR for getdents on files, ...). */
typedef struct px_file_ops {
    int64_t (*read)(px_file *f, void *buf, uint64_t len);           /* at f->pos, advances it */
    int64_t (*write)(px_file *f, const void *buf, uint64_t len);    /* at f->pos (or the end, O_APPEND) */
    int64_t (*pread)(px_file *f, void *buf, uint64_t len, uint64_t offset);
    int64_t (*pwrite)(px_file *f, const void *buf, uint64_t len, uint64_t offset);
    int64_t (*lseek)(px_file *f, int64_t offset, int whence);
    int64_t (*stat)(px_file *f, px_stat_info *st);
    int64_t (*getdents)(px_file *f, void *buf, uint64_t len);
    int64_t (*ioctl)(px_file *f, uint64_t request, uint64_t arg);
    int64_t (*fsync)(px_file *f);
    int64_t (*truncate)(px_file *f, uint64_t len);
    /* fchmod, fchown, futimens on the open file itself, without looking its name up
       again (drvfs: its handle). NULL, or an answer of PX_FILE_OP_BY_PATH (the handle
       lacks the access): the handlers act on the file's path through the mount type.
       utimens gets UTIME_NOW already replaced, as the type's utimens. */
    int64_t (*chmod)(px_file *f, uint32_t mode);
    int64_t (*chown)(px_file *f, uint32_t uid, uint32_t gid);
    int64_t (*utimens)(px_file *f, const struct linux_timespec times[2]);
    int64_t (*readable_bytes)(px_file *f);  /* FIONREAD; NULL: ENOTTY */
    int64_t (*set_status_flags)(px_file *f, uint32_t flags); /* F_SETFL changed O_NONBLOCK/O_APPEND */
    /* poll/select readiness: the LINUX_POLL* bits that hold now (events says which are
       wanted; POLLERR and POLLHUP may be set regardless). NULL: always readable and
       writable, as regular files and directories are on Linux. */
    uint32_t (*poll)(px_file *f, uint32_t events);
    /* Registers a waiter: a handle that turns signalled once readiness may have changed
       since the poll op last answered (a console's input, a pipe's ready event armed by
       this call, a FIFO's events), for the handler's wait (kernel/block.h); or NULL:
       then poll re-checks after short sleeps. */
    void *(*poll_handle)(px_file *f);
    /* poll re-checks the file this often (ns) even when its handle stays quiet (a pipe
       whose peer process died: pipe_ring.c); 0: only when the handle fires */
    int64_t poll_recheck_ns;
    /* What a read (events LINUX_POLLIN) or write (LINUX_POLLOUT) that returned
       PX_WOULD_BLOCK (fs/wait.h) waits on before the handler tries it again: 0 with w
       filled, or -errno. Only files whose read or write may say PX_WOULD_BLOCK have it;
       for them a short count of a blocking write means "the rest would block": the
       handler writes the rest, as Linux's pipe_write goes on. */
    int64_t (*wait_on)(px_file *f, uint32_t events, px_wait_on *w);
    /* An open that waits (a FIFO for its partner): after the type's open gave f, the
       open handler calls it until it is not PX_WOULD_BLOCK (0: the open is complete,
       -errno: it failed), waiting on w between calls; on an error or an interrupt it
       drops f. NULL: the open is complete. */
    int64_t (*open_wait)(px_file *f, px_wait_on *w);
    void (*release)(px_file *f);            /* the last reference is gone */
    /* fpos.h: the description's position is about to be kept in the table other
       processes share (fork): a file that used its handle's own pointer (the host's
       standard handles) takes it into f->pos and keeps it there from now on. NULL: f->pos
       is its position already. */
    void (*position_shared)(px_file *f);
    /* f->handle is the Windows disk file holding the data (drvfs and lxfs regular files):
       MAP_SHARED maps it through a section, coherent with read and write */
    bool disk_data;
    /* How the file goes to a new process (fd_handoff.h); NULL: by its path for proc,
       devfs and sysfs, else not at all */
    const struct px_file_handoff *handoff;
    /* The socket calls (net/socket.h); NULL: not a socket (ENOTSOCK) */
    const struct px_socket_ops *socket;
} px_file_ops;

/* What lock.c keeps in an open file description (zero until the first lock call). The
   owner names the description in the lock table shared by picolx processes: a forked
   child that shares the description must keep the same owner. */
typedef struct px_file_lock_state {
    uint64_t owner, owner_time;  /* OFD and flock owner: creator pid << 32 | serial, its start time */
    uint64_t dev, ino, scope;    /* the file's identity in the table, once known */
    bool identified;
} px_file_lock_state;

/* An open file description: shared by dup'ed fds, as on Linux. */
struct px_file {
    volatile long refs;
    const px_file_ops *ops;
    uint32_t status_flags;   /* O_ACCMODE | O_APPEND | O_NONBLOCK | ... as the guest gave them */
    bool is_dir;
    uint64_t pos;            /* the file position, kept here: every I/O names its offset */
    uint32_t pos_slot;       /* fpos.h: nonzero while other processes share the position */
    uint32_t pos_depth;      /* fpos.h: atomic; syscalls of this process in it now */
    char *guest_path;        /* normalised absolute guest path, or NULL (pipes, consoles) */
    struct px_mount *mount;  /* the mount it was opened in, or NULL */
    void *handle;            /* the Windows HANDLE */
    void *data;              /* backend state */
    void *listing;           /* dir.c's getdents state of a directory, made on first use */
    px_file_lock_state lock; /* lock.c's: the description's lock owner and the file's identity */
    volatile uint32_t io_gen; /* atomic: moves at each read and write of it (epoll's EPOLLET) */
    px_host_rwlock pos_lock;  /* read, write, lseek, getdents of a positioned file (px_file_pos_lock) */
};

/* Linux's f_pos_lock: the calls that use and move a description's position (read, write,
   their v forms, lseek, getdents) on a file that has one (regular files, directories and
   the other files without readiness; not pipes, consoles or sockets, whose calls may
   block) run one at a time across the threads of a process, so two threads reading one
   fd get distinct bytes. (Processes sharing the description: fpos.h.) */
void px_file_pos_lock(px_file *f);
void px_file_pos_unlock(px_file *f);

#define PX_FILE_OP_BY_PATH 1 /* a px_file_ops chmod/chown/utimens answer: use the path */

/* The status flags F_SETFL may change. */
#define PX_SETFL_MASK (LINUX_O_APPEND | LINUX_O_NONBLOCK | LINUX_O_DIRECT | LINUX_O_NOATIME)

/* --- guest memory: what the handlers and backends add to core/uaccess.h --- */
/* A guest path into buf (PX_PATH_MAX bytes): 0, -LINUX_EFAULT, or -LINUX_ENAMETOOLONG
   when no NUL ends it within PATH_MAX bytes, as Linux's getname. */
static inline int64_t px_path_in(char *buf, uint64_t guest)
{
    int64_t n = px_string_in(buf, guest, PX_PATH_MAX, -LINUX_ENAMETOOLONG);
    return n < 0 ? n : 0;
}
/* The buffer of a read or write (the ops' buf is a guest address, or the runtime's own
   buffer for sendfile and mappings: both go through these). They move what they can
   up to the first bad page and return that count, or -LINUX_EFAULT when nothing moved:
   read(2) and write(2) then return a short count, as Linux's copy_to_user leaves them. */
int64_t px_copy_out_partial(uint64_t dst, const void *src, size_t n);
int64_t px_copy_in_partial(void *dst, uint64_t src, size_t n);
/* Windows (Wine) refuses a whole guest buffer that is bad anywhere, where Linux moves
   the part before the bad page: a backend whose Windows read or write failed so does it
   again through the runtime's memory (pread/pwrite at offset, with a buffer that cannot
   fault), up to PX_IO_BOUNCE_MAX bytes (a short count: the caller asks again). */
#define PX_IO_BOUNCE_MAX (1024 * 1024)
typedef int64_t px_pread_fn(px_file *f, void *buf, uint64_t len, uint64_t offset);
typedef int64_t px_pwrite_fn(px_file *f, const void *buf, uint64_t len, uint64_t offset);
int64_t px_pread_bounced(px_file *f, uint64_t buf, uint64_t len, uint64_t offset, px_pread_fn *pread);
/* The error of the first try when the buffer was readable after all (the failure was
   the file's). */
int64_t px_pwrite_bounced(px_file *f, uint64_t buf, uint64_t len, uint64_t offset, px_pwrite_fn *pwrite,
                          int64_t first_error);

/* The guest's iovec array copied in (io_syscalls.c), checked as Linux's import_iovec:
   0 with *out (px_iov_free it) and *total, or -errno. stack: room for PX_IOV_ON_STACK. */
struct linux_iovec;
#define PX_IOV_ON_STACK 8
int64_t px_iov_in(uint64_t guest, int64_t count, struct linux_iovec *stack, struct linux_iovec **out, uint64_t *total);
void px_iov_free(struct linux_iovec *iov, struct linux_iovec *stack);

/* --- fd.c --- */
/* The calling thread group's RLIMIT_NOFILE soft limit (capped by fs.nr_open): no fd at or
   above it can be opened (EMFILE, EBADF for dup2, EINVAL for F_DUPFD). */
int px_fd_limit(void);
#define PX_FD_LIMIT px_fd_limit()
/* One past the highest fd the table has room for: loops over open fds stop here (fds
   above a lowered limit stay open, as on Linux). */
int px_fd_table_end(void);

px_file *px_file_new(const px_file_ops *ops, void *handle, uint32_t status_flags);
px_file *px_file_ref(px_file *f);
void px_file_unref(px_file *f);

/* Installs f at the lowest free fd >= min_fd; takes over the caller's reference.
   Returns the fd, or -LINUX_EMFILE (then f is unreferenced). */
int64_t px_fd_install(px_file *f, int min_fd, bool cloexec);
/* Installs f at exactly fd (closing what was there); takes over the reference. */
int64_t px_fd_install_at(px_file *f, int fd, bool cloexec);
/* A new reference to the file at fd, or NULL (EBADF). Release with px_file_unref. */
px_file *px_fd_get(int fd);
int64_t px_fd_close(int fd);
int64_t px_fd_get_cloexec(int fd);
int64_t px_fd_set_cloexec(int fd, bool cloexec);
/* fds 0, 1, 2 from the process's standard handles, whatever they are. */
int64_t px_fd_init_std(void);

/* --- path.c --- */
/* The guest's cwd (the calling task's fs context): a normalised absolute (global) guest
   path copied into buf. Its length, or -LINUX_ENAMETOOLONG when it does not fit. */
int64_t px_fs_cwd(char *buf, size_t size);
void px_fs_set_cwd(const char *abs_guest);
/* UTF-8 <-> UTF-16 with px_alloc'd results; NULL on invalid input or no memory. */
wchar_t *px_utf16_of_utf8(const char *s);
char *px_utf8_of_utf16(const wchar_t *w, int wlen); /* wlen < 0: NUL-terminated */

/* --- file_nt.c: the drvfs type's operations (a Windows directory as it is) --- */
/* A drvfs instance (px_mount.data): the \\?\ form of its Windows directory. */
typedef struct px_drvfs {
    wchar_t *prefix;        /* \\?\C:\distro (no trailing '\'): prepended to paths inside */
    size_t prefix_len;
    char *root_utf8;        /* the Windows directory in UTF-8, for the inverse mapping */
} px_drvfs;
/* The Windows path of rel inside drvfs mount m, names Windows forbids escaped
   (px_drvfs_escape_utf16). A name that is not UTF-8 gives -LINUX_ENOENT (lookups) or,
   with for_create, -LINUX_EINVAL. */
int64_t px_nt_host_path(struct px_mount *m, const char *rel, bool for_create, wchar_t **out);
/* Case-sensitive names on drvfs (drvfs_names.c). px_drvfs_case_mismatch: -1 when the
   open h is path with the same case (or the host's name of it says nothing), else the
   index in path where the first component whose case differs starts.
   px_drvfs_case_escape: that component to its case-escaped form (*path reallocated;
   false: nothing to escape). px_drvfs_open_exact: an OPEN_EXISTING open of *path that
   keeps only the name with the exact case, *path rewritten to the form found;
   *missing_at: where the component the host did not find starts when it was an escaped
   one (-1: the host's own "not found"). px_drvfs_mark_dir: the directory of path holds an
   escaped name. px_drvfs_promote_variant: path (a plain name) went; an escaped variant
   of it takes its name. px_drvfs_names_fold_equal: a and b are one name to the host. */
ptrdiff_t px_drvfs_case_mismatch(const struct px_mount *m, void *h, const wchar_t *path);
bool px_drvfs_case_escape(wchar_t **path, size_t start);
size_t px_drvfs_last_component(const wchar_t *path);
int64_t px_drvfs_open_exact(const struct px_mount *m, wchar_t **path, uint32_t access, uint32_t share, uint32_t options,
                            void **out, ptrdiff_t *missing_at, bool *path_not_found);
void px_drvfs_mark_dir(const wchar_t *path);
bool px_drvfs_names_fold_equal(const wchar_t *a, const wchar_t *b);
/* A lookup of *path the host missed may have gone through a directory it found in
   another case ("Σ/in" where Σ is stored escaped beside σ reaches σ\in). Only a
   directory marked as holding escaped names can hold such a twin, so each directory
   on the way below a marked one is looked up exactly and *path rewritten to the forms
   found. True: *path changed, worth another try. One attribute query per directory,
   paid only after a miss. */
bool px_drvfs_exact_dirs(const struct px_mount *m, wchar_t **path);
void px_drvfs_promote_variant(const wchar_t *path);
/* A host path with escaped forbidden characters whose escaped form is not there, but a
   host name with those characters as they are is (Wine): that component becomes the
   host's short name of it (drvfs_names.c). *path may be replaced. 0 or -LINUX_ENOMEM. */
int64_t px_drvfs_host_form(const struct px_mount *m, wchar_t **path);
/* One O_APPEND write of up to 0x7ffff000 bytes on a host file handle, whole at the end
   even with other processes appending at once (append.c): the count, or -LINUX_Exxx;
   *end_after (may be NULL): the end of the file just after it. */
int64_t px_append_write(void *handle, const void *buf, size_t len, uint64_t *end_after);
int64_t px_nt_open(struct px_mount *m, const char *rel, uint32_t flags, uint32_t mode, px_file **out);
/* Wraps a handle the process already has (a std handle that is a disk file). */
px_file *px_nt_file_of_handle(void *handle, uint32_t status_flags);
int64_t px_nt_stat_path(struct px_mount *m, const char *rel, px_stat_info *st);
int64_t px_nt_stat_handle(void *handle, bool may_read, px_stat_info *st);
/* st_dev of drvfs files: the volume serial of the first one asked about (stat.c). */
uint64_t px_nt_volume_serial(void *handle);
int64_t px_nt_mkdir(struct px_mount *m, const char *rel, uint32_t mode);
int64_t px_nt_unlink(struct px_mount *m, const char *rel);
int64_t px_nt_rmdir(struct px_mount *m, const char *rel);
int64_t px_nt_rename(struct px_mount *m, const char *from, const char *to, uint32_t flags);
int64_t px_nt_link(struct px_mount *m, const char *existing, const char *new_rel);
int64_t px_nt_chmod(struct px_mount *m, const char *rel, uint32_t mode);
int64_t px_nt_chown(struct px_mount *m, const char *rel, uint32_t uid, uint32_t gid);
int64_t px_nt_utimens(struct px_mount *m, const char *rel, const struct linux_timespec times[2]);
int64_t px_nt_truncate(struct px_mount *m, const char *rel, uint64_t len);
int64_t px_nt_statfs(struct px_mount *m, const char *rel, struct linux_statfs *out);
int64_t px_nt_is_directory(struct px_mount *m, const char *rel); /* 1, 0, or -errno */

/* --- dir.c --- */
int64_t px_dir_getdents(px_file *f, void *buf, uint64_t len);
int64_t px_dir_lseek(px_file *f, int64_t offset, int whence);
void px_dir_release(px_file *f);

/* --- poll.c: readiness for poll and select (their handlers: poll_syscalls.c) --- */
typedef struct px_poll_entry {
    px_file *file;      /* NULL: a negative fd (ignored) or a closed one (POLLNVAL) */
    bool closed;
    uint32_t events;    /* wanted, plus POLLERR and POLLHUP which are always reported */
    uint32_t revents;
} px_poll_entry;
/* Fills in every revents from the files' poll ops, now; returns how many have some. */
int64_t px_poll_check(px_poll_entry *e, size_t n);
/* A guest timespec (0: NULL, never) as a deadline from now on CLOCK_MONOTONIC (the
   waits' timeouts: ppoll, pselect6, epoll_pwait2): 0, -LINUX_EFAULT or -LINUX_EINVAL. */
struct px_deadline;
int64_t px_deadline_of_timespec(uint64_t tsp, struct px_deadline *d);
/* fstat of an anonymous inode (eventfd, epoll, pidfd: Linux's anon_inodefs) */
int64_t px_anon_inode_stat(px_stat_info *st, uint64_t ino);
/* The same as a file's stat op, for the files of Linux's one shared anonymous inode
   (eventfd, timerfd, pidfd: inode 1). */
int64_t px_anon_file_stat(px_file *f, px_stat_info *st);
/* What to wait on when none is ready: each file's wake-up object (poll_handle, armed
   now), and a short re-check time when some file has none or they are too many. */
void px_poll_wait_on(px_poll_entry *e, size_t n, px_wait_on *w);

/* --- lock.c --- */
/* A file's identity in the lock table, and a lock's owner (lock.c says what they hold). */
typedef struct px_lock_key {
    uint64_t dev, ino, scope;
} px_lock_key;
typedef struct px_lock_owner {
    uint64_t id, time;
} px_lock_owner;
/* A lock call that may wait (F_SETLKW, flock without LOCK_NB), between its tries: what
   was asked, and its waiter's state (the waiter record stays from the first wait to the
   end of the call, for deadlock detection). */
typedef struct px_lock_call {
    px_lock_key key;
    px_lock_owner owner;
    int kind, type;
    int64_t start, end;
    bool wait;
    void *wake;    /* its auto-reset event, made for the first wait */
    int32_t slot;  /* its waiter record; -1: none */
} px_lock_call;
/* fcntl F_GETLK, F_SETLK, F_SETLKW and the F_OFD_* forms on f (ufl: the guest's struct
   flock), and flock(2)'s op. Each returns the result, or PX_WOULD_BLOCK with w filled:
   the handler waits on w, then calls px_lock_retry (the same answers) until the call is
   done, or px_lock_abandon when the wait was interrupted. */
int64_t px_lock_fcntl(px_file *f, int cmd, uint64_t ufl, px_lock_call *call, px_wait_on *w);
int64_t px_lock_flock(px_file *f, uint32_t op, px_lock_call *call, px_wait_on *w);
int64_t px_lock_retry(px_lock_call *call, px_wait_on *w);
void px_lock_abandon(px_lock_call *call);
void px_lock_release_file(px_file *f);   /* the last reference to f is gone */
void px_lock_release_posix(px_file *f);  /* an fd of f was closed */

/* --- console.c, pipe.c --- */
#define PX_PIPE_CAPACITY 65536 /* Linux's default pipe capacity */
bool px_console_is_console(void *handle);
px_file *px_console_file(void *handle, uint32_t status_flags);
/* The console files' ops (the terminal ioctls of the handlers tell consoles by them). */
const px_file_ops *px_console_ops(void);
/* A console handle opened for a device node (/dev/tty, /dev/console, /dev/pts/0): the file
   owns it (closed at release) and fstat answers st, as stat of the node does. */
px_file *px_console_device_file(void *handle, uint32_t status_flags, const px_stat_info *st);
px_file *px_pipe_file(void *handle, uint32_t status_flags);
int64_t px_pipe_create(px_file **read_end, px_file **write_end, uint32_t status_flags);
/* F_GETPIPE_SZ (size 0) and F_SETPIPE_SZ: the pipe's capacity as the guest set it, kept by
   the two ends made together (another process's ends learn it at the hand-over); the host
   pipe itself keeps PX_PIPE_CAPACITY. -LINUX_EBADF for a file that is not a pipe. */
int64_t px_pipe_size(px_file *f, bool set, uint64_t size);
/* A character device we know nothing more about (NUL, a serial port): plain ReadFile/WriteFile. */
px_file *px_chardev_file(void *handle, uint32_t status_flags);

/* --- stat.c --- */
void px_stat_to_linux(const px_stat_info *in, struct linux_stat *out);
struct linux_timespec px_timespec_of_filetime(int64_t filetime);
/* What the by-name query (NtQueryFullAttributesFile, no handle: ~8 µs under Wine, where
   opening a file costs a wineserver round trip) tells of a drvfs name. Times in FILETIME
   units. */
typedef struct px_nt_attrs {
    int64_t creation_time, access_time, write_time, change_time;
    int64_t allocation_size, size;
    uint32_t attributes;
} px_nt_attrs;
/* 0, or -LINUX_Exxx of the lookup; *path_not_found (may be NULL) says whether it was the
   host's "path not found" (host_fileinfo.h's px_host_path_not_found). */
int64_t px_nt_query_attrs(const wchar_t *host_path, px_nt_attrs *a, bool *path_not_found);
/* st from a's sizes, times and attributes with the facts only a handle gives. */
void px_nt_fill_stat(px_stat_info *st, const px_nt_attrs *a, uint64_t dev, uint64_t ino, uint64_t nlink,
                     bool is_program);
/* The short-lived cache of path stats (see stat.c): lookup answers only while `now`
   (the path's by-name query) still agrees; invalidate is for every name this process
   changes. */
bool px_stat_cache_lookup(const void *mount, const char *rel, const px_nt_attrs *now, px_stat_info *st);
void px_stat_cache_store(const void *mount, const char *rel, const px_stat_info *st);
void px_stat_cache_invalidate(void);

/* --- linkfile.c: drvfs symlinks as link files --- */
int64_t px_nt_symlink(struct px_mount *m, const char *target, const char *rel);
int64_t px_nt_readlink(struct px_mount *m, const char *rel, char *buf, uint64_t size);
int64_t px_nt_find_link(struct px_mount *m, const char *rel, size_t *link_len);
/* The length of a link file's target (a is its by-name query), or -LINUX_EINVAL when
   host_path is not a link file. */
int64_t px_nt_link_file_size(const struct px_mount *m, const wchar_t *host_path, const px_nt_attrs *a);

/* --- stat_prefetch.c: a listed directory's stats fetched ahead by worker threads --- */
void px_stat_prefetch_note(struct px_mount *m, const char *dir_rel, const char *name); /* a regular file listed */
void px_stat_prefetch_guest_stat(struct px_mount *m, const char *rel); /* the guest stats rel */

/* --- stat_memo.c: the facts a full stat needed a handle for, kept across runs --- */
bool px_stat_memo_lookup(const wchar_t *host_path, const px_nt_attrs *a, px_stat_info *st);
/* st: a full stat of host_path (its exec bit read from the file), a: the by-name query
   made before it. */
void px_stat_memo_remember(const wchar_t *host_path, const px_nt_attrs *a, const px_stat_info *st);

#endif
