/* The runtime's entry points: PxRun sets up the process and hands the program to the
   loader; the exits end the guest as Linux would. */
#include <stdio.h>
#include "picolx.h"
#include "core/image_store.h"
#include "core/px.h"
#include "core/runtime.h"
#include "kernel/thread_clone.h"
#include "fs/fifo.h"
#include "fs/pipe_ring.h"
#include "fs/pty.h"
#include "task/task.h"
#include "task/process.h"
#include "task/ptable.h"
#include "kernel/signal.h"
#include "core/thread.h"
#include "fs/fs.h"
#include "fs/fs_internal.h"
#include "fs/lxfs/lxfs.h"
#include "import/import.h"
#include "loader.h"
#include "core/timing.h"
#include "mm/vm.h"
#include "rewrite/rewrite.h"
#include "trace/trace.h"
#include "host/host_env.h"
#include "host/host_file.h"
#include "host/host_process.h"
#include "host/host_thread.h"
#include "host/host_system.h"
#include "host/host_utf.h"

px_config px_cfg;
static int summary_written;

const char *PxVersion(void) { return "0.1.0"; }

/* picolx cache: the image cache's files (core/image_store.h) */
PxStatus PxCacheList(void *context, PxCacheEntryCallback callback, uint64_t *entries, uint64_t *bytes, uint64_t *limit)
{
    if (!entries || !bytes || !limit) return PX_STATUS_INVALID_ARGUMENT;
    *limit = px_image_cache_limit();
    return px_image_cache_list(callback, context, entries, bytes) == 0 ? PX_STATUS_OK : PX_STATUS_HOST_ERROR;
}

PxStatus PxCacheClear(void) { return px_image_cache_clear() == 0 ? PX_STATUS_OK : PX_STATUS_HOST_ERROR; }


static bool forked(void);

static void write_summary_once(void)
{
    /* one summary per trace: the first process's (a forked one's lines are in the trace) */
    if (px_cfg.trace && !forked() && __atomic_exchange_n(&summary_written, 1, __ATOMIC_SEQ_CST) == 0)
        px_trace_summary();
    px_timing_report();
}

/* The root as given, without a trailing separator ("Z:\" -> "Z:"); NULL: the current drive. */
static char *root_from_option(const char *root)
{
    char drive[4];
    if (!root) {
        wchar_t cwd[32768];
        int64_t n = px_host_cwd(cwd, PX_ARRAY_LEN(cwd));
        if (n < 2 || cwd[1] != L':') return NULL;
        drive[0] = (char)cwd[0]; drive[1] = ':'; drive[2] = 0;
        root = drive;
    }
    char *r = px_strdup(root);
    size_t n = strlen(r);
    while (n > 0 && (r[n - 1] == '\\' || r[n - 1] == '/')) r[--n] = 0;
    return r;
}

/* Whether the root (UTF-8, without its trailing separator) names a directory. */
static bool root_is_directory(const char *root)
{
    size_t n = strlen(root);
    char *probe = px_alloc(n + 2);
    if (!probe) return false;
    memcpy(probe, root, n);
    memcpy(probe + n, "\\", 2);
    wchar_t *w = px_host_utf16_of_utf8(probe);
    px_free(probe);
    uint32_t attr = 0;
    bool dir = w && px_host_path_attributes(w, &attr) == 0 && (attr & PX_HOST_ATTR_DIRECTORY);
    px_free(w);
    return dir;
}

static char *initial_cwd(void)
{
    wchar_t cwd[32768];
    int64_t n = px_host_cwd(cwd, PX_ARRAY_LEN(cwd));
    char *guest = n > 0 ? px_fs_guest_path_of_host(cwd) : NULL;
    return guest ? guest : px_strdup("/");
}

PxStatus PxRun(const PxRunOptions *o, int argc, const char *const *argv, int *exit_status)
{
    if (!o || o->size < sizeof *o || argc < 1 || !argv || !argv[0] || !exit_status)
        return PX_STATUS_INVALID_ARGUMENT;
    px_timing_init();
    *exit_status = 125;
    char *distro_store = NULL;
    if (o->distro) {
        if (o->root) return PX_STATUS_INVALID_ARGUMENT;
        wchar_t *store = px_distro_store_dir(o->distro);
        distro_store = store ? px_utf8_of_utf16(store, -1) : NULL;
        px_free(store);
        if (!distro_store) {
            px_log("picolx: -d %s: no distro of that name is installed (picolx list shows them)", o->distro);
            return PX_STATUS_NOT_FOUND;
        }
    }
    px_cfg.root = distro_store ? distro_store : root_from_option(o->root);
    if (!px_cfg.root) {
        px_log("picolx: no root directory: use --root WINDOWS_DIR");
        return PX_STATUS_INVALID_ARGUMENT;
    }
    if (!root_is_directory(px_cfg.root)) {
        px_log("picolx: --root %s: not a directory", o->root ? o->root : px_cfg.root);
        *exit_status = 127;
        return PX_STATUS_NOT_FOUND;
    }
    px_cfg.trace = o->trace != 0;
    if (px_cfg.trace && px_trace_open(o->trace_path) != 0) {
        px_log("picolx: --trace=%s: cannot open the trace file", o->trace_path);
        return PX_STATUS_INVALID_ARGUMENT;
    }
    if (px_thread_slots_init() != 0 || px_fault_init() != 0 || px_vm_init() != 0 ||
        px_rewrite_init(&(px_rewrite_config){.teb_fs_slot = px_teb_fs_slot, .teb_scratch_slot = px_teb_scratch_slot,
                                             .syscall_entry = (uint64_t)(uintptr_t)&px_syscall_entry}) != 0 ||
        !px_task_boot()) {
        px_log("picolx: cannot set up the runtime in this process");
        return PX_STATUS_HOST_ERROR;
    }
    char *cwd = distro_store ? px_strdup("/") : initial_cwd();
    if (distro_store && px_lxfs_mount_root(distro_store) < 0) {
        px_log("picolx: -d %s: cannot open its store in %s", o->distro, distro_store);
        return PX_STATUS_HOST_ERROR;
    }
    px_pty_set_jobs(&px_pty_task_jobs);
    if (px_fs_init(px_cfg.root, cwd) != 0) {
        px_log("picolx: cannot set up the file system under %s", px_cfg.root);
        return PX_STATUS_HOST_ERROR;
    }
    px_free(cwd);
    px_timing_mark("runtime and file system ready");
    px_launch l = {.argc = argc, .argv = argv, .extra_env = o->env};
    *exit_status = px_loader_run(&l);
    write_summary_once();
    if (*exit_status == 127) return PX_STATUS_NOT_FOUND;
    if (*exit_status == 126) return PX_STATUS_NOT_EXECUTABLE;
    return PX_STATUS_OK;
}

/* Whether this process was made by fork (its exit code is read by a picolx parent). */
static bool forked(void)
{
    px_task *t = px_self();
    return t && t->process && t->process->forked;
}

/* The peak working set, for the parent's wait4 (its ru_maxrss). */
static uint64_t own_peak_rss(void)
{
    px_host_memory_use mem;
    return px_host_process_memory(&mem) == 0 ? mem.peak_working_set : 0;
}

void px_process_exit(int status)
{
    px_process_exit_code((uint32_t)(status & 0xff));
}

void px_process_exit_code(uint32_t code)
{
    px_thread_await_starting();
    px_host_threads_await_started(2000); /* the runtime's own (the doorbell's, a timer's) */
    px_spawn_spare_end();
    px_pipe_ring_process_exit(); /* before the parent can see us gone: its pipes' ends too */
    px_fifo_process_exit();
    px_process_vfork_release();
    px_signal_process_ends(px_wait_status_of_exit_code(code), own_peak_rss());
    write_summary_once();
    px_lock_release_process();
    px_stat_prefetch_stop();
    px_task *t = px_self();
    if (t && t->host_rsp) px_leave_guest(t, code);
    px_host_exit(code);
}

static const char *signal_message(int sig)
{
    switch (sig) {
    case LINUX_SIGSEGV: return "Segmentation fault";
    case LINUX_SIGILL: return "Illegal instruction";
    case LINUX_SIGFPE: return "Floating point exception";
    case LINUX_SIGBUS: return "Bus error";
    case LINUX_SIGTRAP: return "Trace/breakpoint trap";
    case LINUX_SIGABRT: return "Aborted";
    case LINUX_SIGKILL: return "Killed";
    case LINUX_SIGTERM: return "Terminated";
    case LINUX_SIGALRM: return "Alarm clock";
    case LINUX_SIGHUP: return "Hangup";
    case LINUX_SIGQUIT: return "Quit";
    case LINUX_SIGUSR1: return "User defined signal 1";
    case LINUX_SIGUSR2: return "User defined signal 2";
    default: return "Killed by a signal";
    }
}

void px_process_killed(int sig)
{
    /* The first process says what a shell would; a forked one leaves that to its parent. */
    bool child = forked();
    if (!child) px_log("%s", signal_message(sig));
    px_host_threads_await_started(2000);
    px_spawn_spare_end();
    px_pipe_ring_process_exit();
    px_fifo_process_exit();
    px_process_vfork_release();
    px_signal_process_ends(sig, own_peak_rss());
    write_summary_once();
    px_lock_release_process();
    px_stat_prefetch_stop();
    /* No core file is written, so no status says "core dumped" (Linux with RLIMIT_CORE 0). */
    px_host_exit(child ? PX_EXIT_SIGNALED | (uint32_t)sig : 128 + (uint32_t)sig);
}
