/* px_loader_run: finds the program as a shell would, validates it, maps its PT_LOAD
   segments, builds the initial stack and environment, and enters the guest. Fixed-address
   programs go to a child process (spawn.c) unless this process is that child. */
#include <cpuid.h>
#include "core/px.h"
#include "core/errors.h"
#include "core/thread.h"
#include "host/host_file.h"
#include "host/host_random.h"
#include "fs/fd_handoff.h"
#include "fs/fs.h"
#include "fs/pseudo/pseudo.h"
#include "kernel/identity.h"
#include "mm/vm.h"
#include "vdso/vdso.h"
#include "elf.h"
#include "loader.h"
#include "spawn.h"
#include "stack.h"
#include "task/ptable.h"
#include "core/timing.h"

#define STATUS_NOT_EXECUTABLE 126
#define STATUS_NOT_FOUND 127
#define STACK_SIZE (8ull << 20)
#define MAX_IMAGE_SIZE (1ull << 30)
/* Dynamically linked programs: the interpreter is loaded beside the program
   (load_interpreter) and maps the libraries itself with file-backed mmap (src/mm).
   false makes them fail with "not supported yet" instead. */
static const bool dynamic_programs_supported = true;

static const char default_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/* ---- messages ---- */

static const struct { int64_t err; const char *text; } errno_texts[] = {
    {LINUX_ENOENT, "No such file or directory"},
    {LINUX_ENOTDIR, "Not a directory"},
    {LINUX_EACCES, "Permission denied"},
    {LINUX_EISDIR, "Is a directory"},
    {LINUX_ENAMETOOLONG, "File name too long"},
    {LINUX_ELOOP, "Too many levels of symbolic links"},
    {LINUX_ENOMEM, "Cannot allocate memory"},
    {LINUX_ENOSYS, "Function not implemented"},
    {LINUX_EIO, "Input/output error"},
};

static const char *errno_text(int64_t err)
{
    for (size_t i = 0; i < PX_ARRAY_LEN(errno_texts); i++)
        if (errno_texts[i].err == err) return errno_texts[i].text;
    const char *name = px_errno_name(err);
    return name ? name : "error";
}

/* The shell's status for a failed exec: 127 when the file is not there, else 126. */
static int fail_errno(const char *name, int64_t err)
{
    px_log("picolx: %s: %s", name, errno_text(err));
    return err == LINUX_ENOENT ? STATUS_NOT_FOUND : STATUS_NOT_EXECUTABLE;
}

/* ---- the guest's environment ---- */

static const char *env_get(char *const *env, const char *key)
{
    size_t n = strlen(key);
    for (; *env; env++)
        if (!strncmp(*env, key, n) && (*env)[n] == '=') return *env + n + 1;
    return NULL;
}

static char *concat(const char *a, const char *b, const char *c)
{
    size_t na = strlen(a), nb = strlen(b), nc = strlen(c);
    char *s = px_alloc(na + nb + nc + 1);
    if (!s) px_fatal(STATUS_NOT_EXECUTABLE, "out of memory");
    memcpy(s, a, na);
    memcpy(s + na, b, nb);
    memcpy(s + na + nb, c, nc + 1);
    return s;
}

/* Sets key=value in env (n entries, room for one more), replacing an entry with the same key. */
static void env_set(char **env, size_t *n, const char *entry)
{
    size_t key_len = strcspn(entry, "=");
    for (size_t i = 0; i < *n; i++)
        if (!strncmp(env[i], entry, key_len) && env[i][key_len] == '=') {
            env[i] = (char *)entry;
            return;
        }
    env[(*n)++] = (char *)entry;
    env[*n] = NULL;
}

/* A Linux environment, not the Windows one, plus --env K=V overrides. */
static char **guest_environment(const char *const *extra)
{
    size_t nextra = 0;
    while (extra && extra[nextra]) nextra++;
    char **env = px_calloc(8 + nextra, sizeof *env);
    if (!env) px_fatal(STATUS_NOT_EXECUTABLE, "out of memory");
    size_t n = 0;
    env_set(env, &n, concat("PATH=", default_path, ""));
    env_set(env, &n, concat("HOME=", px_identity_home(), ""));
    /* Wine's and Windows 10's consoles understand xterm's escape sequences; a pipe
       ignores TERM. */
    env_set(env, &n, "TERM=xterm-256color");
    env_set(env, &n, "LANG=C.UTF-8");
    env_set(env, &n, concat("USER=", px_identity_user(), ""));
    env_set(env, &n, concat("LOGNAME=", px_identity_user(), ""));
    for (size_t i = 0; i < nextra; i++) env_set(env, &n, extra[i]);
    return env;
}

/* ---- finding the program ---- */

/* The guest's cwd as the file-system layer keeps it (chdir changes it, not Windows'). */
static char *guest_cwd(void)
{
    char cwd[PX_PATH_MAX];
    return px_fs_cwd(cwd, sizeof cwd) < 0 ? NULL : px_strdup(cwd);
}

/* path made absolute against cwd, with "." and ".." resolved textually (for AT_EXECFN
   and /proc/self/exe; the file itself is opened by the path as given). */
static char *absolute_path(const char *path)
{
    char *cwd = path[0] == '/' ? NULL : guest_cwd();
    char *joined = concat(cwd ? cwd : "", "/", path);
    px_free(cwd);
    char *out = px_alloc(strlen(joined) + 2);
    if (!out) px_fatal(STATUS_NOT_EXECUTABLE, "out of memory");
    size_t len = 0;
    for (char *s = joined; *s;) {
        while (*s == '/') s++;
        size_t part = strcspn(s, "/");
        if (part == 0) break;
        if (part == 1 && s[0] == '.') {
        } else if (part == 2 && s[0] == '.' && s[1] == '.') {
            while (len > 0 && out[len - 1] != '/') len--;
            if (len > 0) len--;
        } else {
            out[len++] = '/';
            memcpy(out + len, s, part);
            len += part;
        }
        s += part;
    }
    if (len == 0) out[len++] = '/';
    out[len] = 0;
    px_free(joined);
    return out;
}

/* 0 if guest_path names an existing non-directory (*host set), else -LINUX_Exxx. */
static int64_t probe_file(const char *guest_path, wchar_t **host)
{
    int64_t r = px_fs_host_path(LINUX_AT_FDCWD, guest_path, host);
    if (r < 0) return r;
    uint32_t attr = 0;
    r = px_host_path_attributes(*host, &attr);
    if (r == 0 && (attr & PX_HOST_ATTR_DIRECTORY)) r = -LINUX_EISDIR;
    if (r < 0) {
        px_free(*host);
        *host = NULL;
    }
    return r;
}

/* A name with a '/' is used as is; a bare name is searched in PATH, like a shell.
   On success *found is the guest path that was opened. */
static int find_program(const char *name, const char *path_var, char **found, wchar_t **host)
{
    if (!*name) return fail_errno(name, -LINUX_ENOENT);
    if (strchr(name, '/')) {
        int64_t r = probe_file(name, host);
        if (r < 0) return fail_errno(name, -r);
        *found = px_strdup(name);
        return 0;
    }
    int64_t first_error = 0;
    for (const char *dir = path_var; dir;) {
        size_t n = strcspn(dir, ":");
        char *d = px_alloc(n + 1);
        memcpy(d, dir, n);
        d[n] = 0;
        /* An empty PATH entry is the cwd. */
        char *candidate = concat(n ? d : ".", "/", name);
        px_free(d);
        int64_t r = probe_file(candidate, host);
        if (r == 0) {
            *found = candidate;
            return 0;
        }
        px_free(candidate);
        if (r != -LINUX_ENOENT && r != -LINUX_ENOTDIR && !first_error) first_error = r;
        dir = dir[n] ? dir + n + 1 : NULL;
    }
    if (first_error == -LINUX_EISDIR || first_error == -LINUX_ENOENT || !first_error) {
        px_log("picolx: %s: command not found", name);
        return STATUS_NOT_FOUND;
    }
    return fail_errno(name, -first_error);
}

/* The whole file into a runtime buffer: 0, -LINUX_EFBIG for a file too large to be a
   program, or another -LINUX_Exxx. */
static int64_t read_file(const wchar_t *host, uint8_t **out, size_t *out_size)
{
    uint64_t since = px_timing_now();
    px_host_handle h;
    int64_t r = px_host_file_open(host, PX_HOST_FILE_READ, PX_HOST_OPEN_EXISTING, 0, &h);
    if (r < 0) return r;
    uint64_t size = 0;
    r = px_host_file_size(h, &size);
    if (r == 0 && size > MAX_IMAGE_SIZE) r = -LINUX_EFBIG;
    size_t total = r ? 0 : (size_t)size;
    uint8_t *buf = r ? NULL : px_alloc(total ? total : 1);
    if (!r && !buf) r = -LINUX_ENOMEM;
    size_t got = 0;
    while (!r && got < total) {
        int64_t n = px_host_file_read(h, buf + got, total - got);
        if (n < 0) r = n;
        else if (n == 0) break;
        else got += (size_t)n;
    }
    px_host_close(h);
    if (r) {
        px_free(buf);
        return r;
    }
    *out = buf;
    *out_size = got;
    px_timing_work("loader: read file", 0, got, since);
    return 0;
}

/* The first bytes of the file (up to sizeof head->bytes) and its size: 0 or -LINUX_Exxx. */
typedef struct file_head {
    uint8_t bytes[16384];
    size_t len;
    uint64_t file_size;
} file_head;

static int64_t read_head(const wchar_t *host, file_head *head)
{
    px_host_handle h;
    int64_t r = px_host_file_open(host, PX_HOST_FILE_READ, PX_HOST_OPEN_EXISTING, 0, &h);
    if (r < 0) return r;
    r = px_host_file_size(h, &head->file_size);
    head->len = 0;
    while (!r && head->len < sizeof head->bytes) {
        int64_t n = px_host_file_read(h, head->bytes + head->len, sizeof head->bytes - head->len);
        if (n < 0) r = n;
        else if (n == 0) break;
        else head->len += (size_t)n;
    }
    px_host_close(h);
    return r;
}

/* A fixed-address program (ET_EXEC) runs in a new process (spawn.c), which reads the
   file itself: this one needs only its headers. STATUS_... of the child, or -1 when
   the head does not show such a program (the whole file decides, as before). */
static int spawn_from_head(const wchar_t *host, const char *display)
{
    file_head *head = px_alloc(sizeof *head);
    if (!head) return -1;
    px_elf_info info;
    int status = -1;
    if (read_head(host, head) == 0 && !px_elf_check_head(head->bytes, head->len, head->file_size, &info) &&
        info.type == ELF_ET_EXEC && (!info.interp || dynamic_programs_supported)) {
        px_timing_mark("ELF headers checked (fixed address)");
        status = px_spawn_reserved(&info, display);
    }
    px_free(head);
    return status;
}

static int read_whole_file(const wchar_t *host, const char *name, uint8_t **out, size_t *out_size)
{
    int64_t r = read_file(host, out, out_size);
    if (r == -LINUX_EFBIG) {
        px_log("picolx: %s: file too large to be a program", name);
        return STATUS_NOT_EXECUTABLE;
    }
    return r ? fail_errno(name, -r) : 0;
}

/* ---- mapping ---- */

/* Maps the PT_LOAD segments of a validated image: at their addresses (ET_EXEC) or at a
   base px_vm_map chooses (ET_DYN). Sets *bias (load address - linked address). */
/* Where Linux puts a position-independent program (ELF_ET_DYN_BASE without ASLR): low
   enough that its brk area has room above it, as mappings are placed top down. */
#define PIE_BASE 0x555555554000ull

static int map_image(const uint8_t *image, const px_elf_info *info, const char *name, bool program, uint64_t *bias)
{
    uint64_t since = px_timing_now();
    uint64_t span = info->max_vaddr - info->min_vaddr;
    *bias = 0;
    if (info->type == ELF_ET_DYN) {
        /* Reserve the whole span (plus room to honour p_align), then map into it. */
        uint64_t extra = info->max_align > PX_PAGE_SIZE ? info->max_align : 0;
        int64_t at = px_vm_map(program ? PIE_BASE : 0, span + extra, LINUX_PROT_NONE,
                               LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS, -1, 0);
        if (at < 0) {
            px_log("picolx: %s: cannot reserve %llu bytes for the program: %s", name,
                   (unsigned long long)span, errno_text(-at));
            return STATUS_NOT_EXECUTABLE;
        }
        uint64_t base = PX_ALIGN_UP((uint64_t)at, info->max_align);
        if (base > (uint64_t)at) px_vm_unmap((uint64_t)at, base - (uint64_t)at);
        if ((uint64_t)at + span + extra > base + span) px_vm_unmap(base + span, (uint64_t)at + extra - base);
        *bias = base - info->min_vaddr;
    }

    /* Two segments may share a page: map each page once, copy, then protect. */
    uint64_t mapped_end = 0;
    for (uint16_t i = 0; i < info->phnum; i++) {
        const linux_elf64_phdr *p = &info->phdr[i];
        if (p->p_type != ELF_PT_LOAD || p->p_memsz == 0) continue;
        uint64_t vaddr = p->p_vaddr + *bias;
        uint64_t start = PX_ALIGN_DOWN(vaddr, PX_PAGE_SIZE);
        uint64_t end = PX_ALIGN_UP(vaddr + p->p_memsz, PX_PAGE_SIZE);
        uint64_t from = start > mapped_end ? start : mapped_end;
        if (from < end) {
            int64_t r = px_vm_map(from, end - from, LINUX_PROT_READ | LINUX_PROT_WRITE,
                                  LINUX_MAP_FIXED | LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS, -1, 0);
            if (r < 0) {
                px_log("picolx: %s: cannot map segment at 0x%llx-0x%llx: %s", name, (unsigned long long)from,
                       (unsigned long long)end, errno_text(-r));
                return STATUS_NOT_EXECUTABLE;
            }
            mapped_end = end;
        }
        px_vm_set_kind(start, end - start, PX_VM_IMAGE); /* for /proc/self/maps */
        memcpy((void *)(uintptr_t)vaddr, image + p->p_offset, p->p_filesz);
        /* The bss is fresh zero memory, except what shares the last file page. */
        uint64_t file_end = vaddr + p->p_filesz;
        uint64_t zero_end = PX_ALIGN_UP(file_end, PX_PAGE_SIZE);
        if (zero_end > vaddr + p->p_memsz) zero_end = vaddr + p->p_memsz;
        if (zero_end > file_end) memset((void *)(uintptr_t)file_end, 0, zero_end - file_end);
    }

    uint64_t prev_end = 0;
    int prev_prot = 0;
    for (uint16_t i = 0; i < info->phnum; i++) {
        const linux_elf64_phdr *p = &info->phdr[i];
        if (p->p_type != ELF_PT_LOAD || p->p_memsz == 0) continue;
        uint64_t vaddr = p->p_vaddr + *bias;
        uint64_t start = PX_ALIGN_DOWN(vaddr, PX_PAGE_SIZE);
        uint64_t end = PX_ALIGN_UP(vaddr + p->p_memsz, PX_PAGE_SIZE);
        int prot = px_elf_prot(p->p_flags);
        int64_t r = 0;
        if (start < prev_end) { /* the shared page gets both segments' rights */
            r = px_vm_protect(start, prev_end - start, prot | prev_prot);
            start = prev_end;
        }
        if (r >= 0 && start < end) r = px_vm_protect(start, end - start, prot);
        if (r < 0) {
            px_log("picolx: %s: cannot protect segment at 0x%llx: %s", name, (unsigned long long)vaddr,
                   errno_text(-r));
            return STATUS_NOT_EXECUTABLE;
        }
        prev_end = end;
        prev_prot = prot;
    }
    px_timing_work("loader: map image", info->min_vaddr + *bias, info->max_vaddr - info->min_vaddr, since);
    return 0;
}

/* The interpreter (PT_INTERP, e.g. /lib64/ld-linux-x86-64.so.2) at a second base:
   returns its load base (AT_BASE) and entry point, where the guest starts. */
static int load_interpreter(const char *interp, const char *name, uint64_t *base, uint64_t *entry)
{
    wchar_t *host = NULL;
    int64_t r = probe_file(interp, &host);
    if (r < 0) {
        px_log("picolx: %s: interpreter %s: %s", name, interp, errno_text(-r));
        return -r == LINUX_ENOENT ? STATUS_NOT_FOUND : STATUS_NOT_EXECUTABLE;
    }
    uint8_t *image;
    size_t size;
    int status = read_whole_file(host, interp, &image, &size);
    px_free(host);
    if (status) return status;
    px_elf_info info;
    const char *err = px_elf_check(image, size, &info);
    if (!err && (info.type != ELF_ET_DYN || info.interp)) err = "not a usable interpreter";
    if (err) {
        px_log("picolx: %s: interpreter %s: %s", name, interp, err);
        px_free(image);
        return STATUS_NOT_EXECUTABLE;
    }
    uint64_t bias;
    status = map_image(image, &info, interp, false, &bias);
    /* /proc/self/maps names the interpreter's segments after it, not after the program */
    for (uint16_t i = 0; !status && i < info.phnum; i++) {
        const linux_elf64_phdr *p = &info.phdr[i];
        if (p->p_type != ELF_PT_LOAD || p->p_memsz == 0) continue;
        uint64_t start = PX_ALIGN_DOWN(p->p_vaddr + bias, PX_PAGE_SIZE);
        px_vm_set_path(start, PX_ALIGN_UP(p->p_vaddr + bias + p->p_memsz, PX_PAGE_SIZE) - start, interp);
    }
    px_free(image);
    if (status) return status;
    *base = info.min_vaddr + bias;
    *entry = info.entry + bias;
    return 0;
}

/* ---- the start ---- */

static uint64_t cpu_hwcap(void)
{
    unsigned int a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) ? d : 0; /* what Linux reports in AT_HWCAP on x86 */
}

static void random_bytes(uint8_t *buf, size_t n)
{
    if (px_host_random(buf, n) != 0)
        px_fatal(STATUS_NOT_EXECUTABLE, "no random bytes for AT_RANDOM");
}

/* "#!interpreter [arg]" of a script: one level, as execve does. Rewrites *argv. */
static int script_argv(const uint8_t *image, size_t size, const char *script, const char *const **argv, int *argc)
{
    size_t line_len = 0;
    while (line_len < size && line_len < 255 && image[line_len] != '\n') line_len++;
    char line[256];
    memcpy(line, image + 2, line_len - 2);
    line[line_len - 2] = 0;
    char *s = line + strspn(line, " \t");
    char *interp = s;
    s += strcspn(s, " \t");
    char *arg = NULL;
    if (*s) {
        *s++ = 0;
        s += strspn(s, " \t");
        if (*s) { /* like Linux: the rest of the line is one argument, trailing blanks dropped */
            arg = s;
            size_t n = strlen(arg);
            while (n > 0 && (arg[n - 1] == ' ' || arg[n - 1] == '\t' || arg[n - 1] == '\r')) arg[--n] = 0;
        }
    }
    if (!*interp) {
        px_log("picolx: %s: no interpreter on the #! line", script);
        return STATUS_NOT_EXECUTABLE;
    }
    const char **v = px_calloc((size_t)*argc + 3, sizeof *v);
    if (!v) px_fatal(STATUS_NOT_EXECUTABLE, "out of memory");
    int n = 0;
    v[n++] = px_strdup(interp);
    if (arg) v[n++] = px_strdup(arg);
    v[n++] = px_strdup(script);
    for (int i = 1; i < *argc; i++) v[n++] = (*argv)[i];
    *argv = v;
    *argc = n;
    return 0;
}

/* A validated program, ready to be mapped. */
typedef struct program {
    uint8_t *image;
    size_t size;
    px_elf_info info;
    const char *const *argv;
    const char *const *envp;
    char *execfn;        /* AT_EXECFN: the name that was executed (a script's own path) */
    char *found;         /* the ELF file's guest path (a script's interpreter) */
    const char *display; /* for messages */
} program;

/* Maps a validated program, its interpreter, the stack and the vDSO; sets the exe path
   and *entry, *rsp. 0 or a status (after a message). The image is freed. */
static int start_program(program *p, uint64_t *entry_out, uint64_t *rsp_out)
{
    const px_elf_info *info = &p->info;
    const char *display = p->display;
    char *exe_path = absolute_path(p->found);
    px_vm_set_exe_path(exe_path);
    px_free(exe_path);
    uint64_t bias;
    int status = map_image(p->image, info, display, true, &bias);
    if (status) return status;
    uint64_t image_end = info->max_vaddr + bias;
    px_vm_set_brk_base(image_end);
    px_timing_mark("program mapped");

    uint64_t entry = info->entry + bias, interp_base = 0;
    if (info->interp) {
        char *interp = px_strdup(info->interp);
        status = load_interpreter(interp, display, &interp_base, &entry);
        px_free(interp);
        if (status) return status;
        px_timing_mark("interpreter mapped");
    }

    int stack_prot = LINUX_PROT_READ | LINUX_PROT_WRITE | (info->exec_stack ? LINUX_PROT_EXEC : 0);
    int64_t stack = px_vm_map(0, STACK_SIZE, stack_prot, LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS | LINUX_MAP_STACK, -1, 0);
    if (stack < 0) {
        px_log("picolx: %s: cannot map the stack: %s", display, errno_text(-stack));
        return STATUS_NOT_EXECUTABLE;
    }
    px_vm_guard_stack((uint64_t)stack);
    px_stack_params sp = {
        .argv = p->argv,
        .envp = p->envp,
        .execfn = p->execfn,
        .platform = "x86_64",
        .phdr = info->phdr_vaddr ? info->phdr_vaddr + bias : 0,
        /* Without a loaded copy of the program headers, the stack gets one. */
        .phdr_copy = info->phdr_vaddr ? NULL : info->phdr,
        .phdr_copy_size = (size_t)info->phnum * sizeof(linux_elf64_phdr),
        .phent = sizeof(linux_elf64_phdr),
        .phnum = info->phnum,
        .base = interp_base,
        .entry = info->entry + bias,
        .hwcap = cpu_hwcap(),
        .hwcap2 = 0, /* no HWCAP2_FSGSBASE: the guest must not use wrfsbase (see architecture.md) */
        .uid = px_identity_uid(),
        .euid = px_identity_uid(),
        .gid = px_identity_gid(),
        .egid = px_identity_gid(),
        .sysinfo_ehdr = px_vdso_map(), /* 0 if it cannot be mapped: the guest then makes syscalls */
    };
    random_bytes(sp.random, sizeof sp.random);
    uint64_t rsp = px_stack_build((uint8_t *)(uintptr_t)stack, (uint64_t)stack, STACK_SIZE, &sp);
    px_free(p->image);
    p->image = NULL;
    if (!rsp) {
        px_log("picolx: %s: Argument list too long", display);
        return STATUS_NOT_EXECUTABLE;
    }
    px_proc_note_initial_stack(rsp); /* /proc/self/cmdline, environ, stat */
    char exe[PX_PATH_MAX];
    px_vm_get_exe_path(exe, sizeof exe);
    px_ptable_set_exec(px_identity_pid(), exe, (char *const *)p->argv, p->execfn); /* for ps */
    px_timing_mark("stack, auxv and vDSO ready");
    *entry_out = entry;
    *rsp_out = rsp;
    return 0;
}

int px_loader_run(const px_launch *l)
{
    if (px_spawn_is_spare()) { /* fork's spare: nothing to do until a fork hands us its state */
        px_handoff *h = px_handoff_receive_section(px_spawn_spare_wait());
        return h ? px_fork_continue(h) : 126;
    }
    bool in_child = px_spawn_adopt_reservations();
    px_handoff *handed_over = px_handoff_receive();
    if (handed_over && px_fork_is_handoff(handed_over)) return px_fork_continue(handed_over); /* fork's child */
    if (handed_over) return px_exec_continue(handed_over); /* an execve another process began */
    char **envp = guest_environment(l->extra_env);
    const char *const *argv = l->argv;
    int argc = l->argc;
    const char *path_var = env_get(envp, "PATH");

    char *found = NULL;
    wchar_t *host = NULL;
    int status = find_program(argv[0], path_var ? path_var : default_path, &found, &host);
    if (status) return status;
    if (!in_child) {
        int spawned = spawn_from_head(host, argv[0]);
        if (spawned >= 0) return spawned;
    }
    uint8_t *image;
    size_t size;
    status = read_whole_file(host, argv[0], &image, &size);
    px_free(host);
    if (status) return status;
    px_timing_mark("program found and read");

    /* AT_EXECFN is the name that was executed, as execve got it from a shell (a script's
       own path); /proc/self/exe is the absolute path of the ELF file that runs. */
    char *execfn = px_strdup(found);
    const char *display = argv[0];
    if (size >= 2 && image[0] == '#' && image[1] == '!') {
        if ((status = script_argv(image, size, found, &argv, &argc))) return status;
        px_free(image);
        display = argv[0];
        /* The #! interpreter is a path (relative to the cwd), never searched in PATH. */
        int64_t r = probe_file(argv[0], &host);
        if (r < 0) {
            px_log("picolx: %s: bad interpreter %s: %s", found, argv[0], errno_text(-r));
            return r == -LINUX_ENOENT ? STATUS_NOT_FOUND : STATUS_NOT_EXECUTABLE;
        }
        if ((status = read_whole_file(host, argv[0], &image, &size))) return status;
        px_free(host);
        px_free(found);
        found = px_strdup(argv[0]);
    }

    px_elf_info info;
    const char *err = px_elf_check(image, size, &info);
    if (err) {
        px_log("picolx: %s: %s", display, err);
        return STATUS_NOT_EXECUTABLE;
    }
    if (info.interp && !dynamic_programs_supported) {
        px_log("picolx: %s: dynamically linked programs are not supported yet", display);
        return STATUS_NOT_EXECUTABLE;
    }
    px_timing_mark("ELF checked");
    if (info.type == ELF_ET_EXEC && !in_child) {
        status = px_spawn_reserved(&info, display);
        px_free(image);
        return status;
    }

    program p = {
        .image = image, .size = size, .info = info, .argv = argv, .envp = (const char *const *)envp,
        .execfn = execfn, .found = found, .display = display,
    };
    uint64_t entry, rsp;
    if ((status = start_program(&p, &entry, &rsp))) return status;

    px_task *t = px_self(); /* the process's first task (px_task_boot), with its objects */
    if (!t) px_fatal(STATUS_NOT_EXECUTABLE, "no task");
    px_timing_mark("first guest instruction");
    return (int)px_enter_guest(t, entry, rsp);
}

/* ---- execve ---- */

struct px_exec_program {
    program p;
    bool needs_process; /* a fixed range this process cannot give it */
};

/* Reads path as execve opens it: -LINUX_Exxx as execve reports it. */
static int64_t exec_read(const char *path, uint8_t **image, size_t *size)
{
    wchar_t *host = NULL;
    int64_t r = probe_file(path, &host);
    if (r == -LINUX_EISDIR) return -LINUX_EACCES; /* execve of a directory */
    if (r < 0) return r;
    if ((r = px_fs_may_exec(path)) < 0) { /* the x bits, as stat shows them (drvfs keeps them) */
        px_free(host);
        return r;
    }
    r = read_file(host, image, size);
    px_free(host);
    return r == -LINUX_EFBIG ? -LINUX_ENOEXEC : r;
}

int64_t px_loader_exec_prepare(const char *path, const char *const *argv, const char *const *envp,
                               px_exec_program **out)
{
    if (!*path) return -LINUX_ENOENT;
    int argc = 0;
    size_t bytes = 0;
    for (; argv[argc]; argc++) bytes += strlen(argv[argc]) + 1 + sizeof(uint64_t);
    for (size_t i = 0; envp[i]; i++) bytes += strlen(envp[i]) + 1 + sizeof(uint64_t);
    if (bytes > STACK_SIZE / 4) return -LINUX_E2BIG; /* Linux's limit: a quarter of the stack */

    uint8_t *image = NULL;
    size_t size = 0;
    int64_t r = exec_read(path, &image, &size);
    if (r < 0) return r;
    char *found = px_strdup(path);
    const char *const *new_argv = argv;
    if (size >= 2 && image[0] == '#' && image[1] == '!') {
        /* script_argv puts the script's path where argv[0] was: as execve does */
        const char *const *with_name = argv;
        if (argc == 0) {
            static const char *const empty[] = {"", NULL};
            with_name = empty;
            argc = 1;
        }
        new_argv = with_name;
        int status = script_argv(image, size, found, &new_argv, &argc);
        px_free(image);
        image = NULL;
        if (status) r = -LINUX_ENOEXEC;
        else if ((r = exec_read(new_argv[0], &image, &size)) == 0) {
            if (size >= 2 && image[0] == '#' && image[1] == '!') r = -LINUX_ENOEXEC; /* one level only */
            px_free(found);
            found = px_strdup(new_argv[0]);
        }
        if (r < 0) goto fail;
    }

    px_elf_info info;
    if (px_elf_check(image, size, &info)) {
        r = -LINUX_ENOEXEC;
        goto fail;
    }
    if (info.interp) {
        wchar_t *host = NULL;
        if ((r = probe_file(info.interp, &host)) < 0) goto fail;
        px_free(host);
    }
    px_exec_program *e = px_calloc(1, sizeof *e);
    if (!e) {
        r = -LINUX_ENOMEM;
        goto fail;
    }
    e->p = (program){
        .image = image, .size = size, .info = info, .argv = new_argv, .envp = envp,
        .execfn = px_strdup(path), .found = found, .display = new_argv[0] ? new_argv[0] : path,
    };
    /* A fixed-address program cannot move: where Windows holds its range, it needs a new
       process (px_loader_exec_spawn). */
    e->needs_process = info.type == ELF_ET_EXEC && !px_vm_fixed_range_usable(info.min_vaddr, info.max_vaddr);
    *out = e;
    return 0;
fail:
    px_free(image);
    px_free(found);
    return r;
}

bool px_loader_exec_needs_process(const px_exec_program *e)
{
    return e->needs_process;
}

int px_loader_exec_spawn(px_exec_program *e, px_spawn_hook before_resume, void *ctx, void **process)
{
    return px_spawn_start(&e->p.info, e->p.display, before_resume, ctx, process);
}

int px_loader_exec_wait(px_exec_program *e, void *process)
{
    return px_spawn_wait(process, e->p.display);
}

uint32_t px_loader_exec_wait_code(void *process) { return px_spawn_wait_code(process); }

int px_loader_exec_start(px_exec_program *e, uint64_t *entry, uint64_t *rsp)
{
    return start_program(&e->p, entry, rsp);
}

void px_loader_exec_free(px_exec_program *e)
{
    /* a #! script's argv is the loader's own array; its strings are partly the caller's */
    if (e->p.argv && e->p.found && e->p.execfn && strcmp(e->p.found, e->p.execfn)) px_free((void *)e->p.argv);
    px_free(e->p.image);
    px_free(e->p.execfn);
    px_free(e->p.found);
    px_free(e);
}
