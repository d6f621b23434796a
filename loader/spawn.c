/* Fixed-address programs in a child process. A running Wine process already uses the
   low addresses that non-PIE programs are linked at (0x400000), so the first process
   creates picolx.exe again suspended, reserves the program's ranges in it before any of
   its own code runs, and lets it load the program there. */
#include <stdio.h>
#include "core/errors.h"
#include "core/px.h"
#include "core/timing.h"
#include "host/host_env.h"
#include "host/host_file.h"
#include "host/host_mem.h"
#include "host/host_process.h"
#include "host/host_sync.h"
#include "host/host_thread.h"
#include "host/host_utf.h"
#include "mm/vm.h"
#include "spawn.h"

#define EXE_PATH_MAX 32768

/* Lists the reserved ranges for the child: "start-len,start-len" in hex. */
#define RESERVED_VAR L"PICOLX_CHILD_RESERVED"
/* The handle (hex) of an event the child sets once it reaches px_loader_run. */
#define STARTED_VAR L"PICOLX_CHILD_STARTED"
/* Under Wine, a child now and then dies while it starts, before it reaches px_loader_run:
   it ends with status 1 and no output, or CreateProcess fails with ERROR_INTERNAL_ERROR
   (Wine's answer when a child ends before its start-up is done); seen in several runs of
   the test suite. None of the program has run then, so it is started again, at most
   this many times in all. */
#define START_ATTEMPTS 3
/* Windows reserves in units of its allocation granularity. */
#define RESERVE_GRANULE 0x10000ull
/* Sizes tried for the brk area after the image, largest first; 0: none. */
static const uint64_t brk_sizes[] = {1ull << 30, 256ull << 20, 64ull << 20, 16ull << 20, 0};

typedef struct range { uint64_t start, len; } range;

static uint64_t parse_hex(const wchar_t **s)
{
    uint64_t v = 0;
    for (;; (*s)++) {
        wchar_t c = **s;
        if (c >= L'0' && c <= L'9') v = v * 16 + (uint64_t)(c - L'0');
        else if (c >= L'a' && c <= L'f') v = v * 16 + (uint64_t)(c - L'a' + 10);
        else return v;
    }
}

bool px_spawn_is_child(void)
{
    return px_host_env_is_set(RESERVED_VAR);
}

bool px_spawn_continues_parent(void)
{
    /* the hand-over's variable (fd_handoff.c) or the spare's, set until px_loader_run */
    return px_spawn_is_child() || px_host_env_is_set(L"PICOLX_HANDOFF") || px_host_env_is_set(L"PICOLX_SPARE");
}

/* For the test of that (tests/e2e spawn-child-dies-once): with PICOLX_TEST_CHILD_DIES set to
   a file name, a child that can create that file ends with status 1 before it says it
   started, as such a child does. */
static void die_first_time_when_testing(void)
{
    wchar_t marker[1024];
    if (px_host_env_get_w(L"PICOLX_TEST_CHILD_DIES", marker, PX_ARRAY_LEN(marker)) <= 0) return;
    px_host_handle h;
    if (px_host_file_open(marker, PX_HOST_FILE_WRITE, PX_HOST_CREATE_NEW, PX_HOST_FILE_EXCLUSIVE, &h) < 0) return;
    px_host_close(h);
    px_host_exit(1);
}

/* Tells the parent that this child has reached px_loader_run (px_spawn_start waits for it). */
static void tell_parent_started(void)
{
    wchar_t value[32];
    if (px_host_env_get_w(STARTED_VAR, value, PX_ARRAY_LEN(value)) <= 0) return; /* not a child */
    die_first_time_when_testing();
    px_host_env_set_w(STARTED_VAR, NULL);
    const wchar_t *s = value;
    px_host_handle started = (px_host_handle)(uintptr_t)parse_hex(&s);
    px_host_event_set(started);
    px_host_close(started);
}

bool px_spawn_adopt_reservations(void)
{
    tell_parent_started();
    wchar_t list[1024];
    if (px_host_env_get_w(RESERVED_VAR, list, PX_ARRAY_LEN(list)) <= 0) return false;
    px_host_env_set_w(RESERVED_VAR, NULL); /* neither the guest nor its children see it */
    for (const wchar_t *s = list; *s;) {
        uint64_t start = parse_hex(&s);
        if (*s++ != L'-') break;
        uint64_t len = parse_hex(&s);
        /* The parent may have had to reserve less brk area than listed: trust the reservation. */
        px_host_region region;
        if (px_host_mem_query((void *)(uintptr_t)start, &region) == 0 && region.allocation_base == start &&
            region.state == PX_HOST_MEM_RESERVED) {
            if (region.size < len) len = region.size;
            px_vm_adopt_reservation(start, len);
        }
        if (*s == L',') s++;
    }
    return true;
}

/* The 64 KiB-aligned ranges of the PT_LOAD segments, merged when they touch. */
static size_t image_ranges(const px_elf_info *info, range *out)
{
    size_t n = 0;
    for (uint16_t i = 0; i < info->phnum; i++) {
        const linux_elf64_phdr *p = &info->phdr[i];
        if (p->p_type != ELF_PT_LOAD || p->p_memsz == 0) continue;
        uint64_t start = PX_ALIGN_DOWN(p->p_vaddr, RESERVE_GRANULE);
        uint64_t end = PX_ALIGN_UP(p->p_vaddr + p->p_memsz, RESERVE_GRANULE);
        if (n > 0 && start <= out[n - 1].start + out[n - 1].len) {
            uint64_t prev_end = out[n - 1].start + out[n - 1].len;
            if (end > prev_end) out[n - 1].len = end - out[n - 1].start;
        } else {
            out[n].start = start;
            out[n].len = end - start;
            n++;
        }
    }
    return n;
}

/* picolx.exe next to libpicolx.dll (the module this code is in). */
static bool picolx_exe_path(wchar_t *path, size_t size)
{
    if (px_host_module_path(path, size) < 0) return false;
    wchar_t *slash = wcsrchr(path, L'\\');
    wchar_t *base = slash ? slash + 1 : path;
    static const wchar_t exe[] = L"picolx.exe";
    if ((size_t)(base - path) + PX_ARRAY_LEN(exe) > size) return false;
    memcpy(base, exe, sizeof exe);
    return true;
}

/* ---- the command line of the processes picolx starts ----

   Every picolx process is a Windows process, and Windows tools show its command line: it
   names the program the process runs now, as `"picolx.exe" run <the first process's run
   options> -- <the program's Linux path> <argv[1]...>`, updated at execve. picolx.exe
   parses it as any `picolx run` (options first); a child that gets a hand-over (fork,
   exec, spare) finds it in px_loader_run before any program is loaded, so the program
   words are only a name there. A first process's child for a fixed-address program
   (px_spawn_reserved) loads them: they are its own words again. */

/* The words of a command line by the C runtime's rules (what wmain gets): word 0 runs to
   the next quote when it starts with one, else to white space; then 2n backslashes and a
   quote are n backslashes and a quote that opens or closes quoting, 2n+1 and a quote are
   n backslashes and a literal quote, and "" inside quotes is a literal quote. Returns
   the next word of *s (px_alloc'd), or NULL at the end. */
static wchar_t *next_word(const wchar_t **s, bool first)
{
    const wchar_t *p = *s;
    while (*p == L' ' || *p == L'\t') p++;
    if (!*p) return NULL;
    wchar_t *w = px_alloc((wcslen(p) + 1) * sizeof *w), *o = w;
    if (!w) return NULL;
    if (first) {
        wchar_t end = *p == L'"' ? L'"' : 0;
        if (end) p++;
        while (*p && (end ? *p != end : (*p != L' ' && *p != L'\t'))) *o++ = *p++;
        if (end && *p) p++;
    } else {
        bool quoted = false;
        while (*p && (quoted || (*p != L' ' && *p != L'\t'))) {
            size_t slashes = 0;
            while (p[slashes] == L'\\') slashes++;
            if (p[slashes] == L'"') {
                for (size_t k = 0; k < slashes / 2; k++) *o++ = L'\\';
                p += slashes;
                if (slashes % 2) {
                    *o++ = *p++;
                } else if (quoted && p[1] == L'"') {
                    *o++ = L'"';
                    p += 2;
                } else {
                    quoted = !quoted;
                    p++;
                }
            } else if (slashes) {
                for (size_t k = 0; k < slashes; k++) *o++ = L'\\';
                p += slashes;
            } else {
                *o++ = *p++;
            }
        }
    }
    *o = 0;
    *s = p;
    return w;
}

/* A growing wide string; ok turns false once memory ran out. */
typedef struct wbuf { wchar_t *s; size_t len, cap; bool ok; } wbuf;

static void wbuf_add(wbuf *b, const wchar_t *s, size_t n)
{
    if (!b->ok) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        wchar_t *s2 = px_realloc(b->s, cap * sizeof *s2);
        if (!s2) {
            b->ok = false;
            return;
        }
        b->s = s2;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n * sizeof *s);
    b->len += n;
    b->s[b->len] = 0;
}

/* Appends a space and word, quoted so that next_word reads it back as it is. */
static void wbuf_add_word(wbuf *b, const wchar_t *word)
{
    if (b->len) wbuf_add(b, L" ", 1);
    if (*word && !wcspbrk(word, L" \t\n\v\"")) {
        wbuf_add(b, word, wcslen(word));
        return;
    }
    wbuf_add(b, L"\"", 1);
    for (const wchar_t *p = word;; p++) {
        size_t slashes = 0;
        while (p[slashes] == L'\\') slashes++;
        /* backslashes before a quote (the word's or the closing one) are doubled */
        size_t times = p[slashes] == L'"' || !p[slashes] ? 2 : 1;
        for (size_t k = 0; k < slashes * times; k++) wbuf_add(b, L"\\", 1);
        p += slashes;
        if (!*p) break;
        if (*p == L'"') wbuf_add(b, L"\\", 1);
        wbuf_add(b, p, 1);
    }
    wbuf_add(b, L"\"", 1);
}

/* A guest string as a word: UTF-8 to UTF-16; bytes that are not UTF-8 show as U+FFFD. */
static void wbuf_add_utf8_word(wbuf *b, const char *s)
{
    wchar_t *w = px_host_utf16_of_utf8(s);
    if (!w) {
        size_t n = strlen(s);
        w = px_alloc((n + 1) * sizeof *w);
        if (!w) {
            b->ok = false;
            return;
        }
        for (size_t i = 0; i <= n; i++) w[i] = (unsigned char)s[i] < 0x80 ? (wchar_t)s[i] : 0xFFFD;
    }
    wbuf_add_word(b, w);
    px_free(w);
}

/* `picolx run`'s options that take the next word (src/cli/main.c's list). */
static bool option_takes_value(const wchar_t *w)
{
    return !wcscmp(w, L"--root") || !wcscmp(w, L"-d") || !wcscmp(w, L"--distro") || !wcscmp(w, L"--env");
}

static px_host_rwlock command_line_lock = PX_HOST_RWLOCK_INIT;
static wchar_t *run_prefix;   /* "picolx.exe" run <options> -- */
static wchar_t *program_words; /* the path and argv[1..], quoted; NULL until known */

/* Reads this process's command line as created: the run options into run_prefix, and the
   program words unless an execve named others already. Under command_line_lock. */
static bool split_own_command_line(void)
{
    if (run_prefix) return true;
    wchar_t *exe = px_alloc(EXE_PATH_MAX * sizeof *exe);
    if (!exe || !picolx_exe_path(exe, EXE_PATH_MAX)) {
        px_free(exe);
        return false;
    }
    wbuf prefix = {.ok = true}, program = {.ok = true};
    wbuf_add_word(&prefix, exe);
    px_free(exe);
    wbuf_add_word(&prefix, L"run");
    const wchar_t *s = px_host_command_line();
    wchar_t *w = next_word(&s, true);
    px_free(w);
    w = next_word(&s, false);
    bool is_run = w && !wcscmp(w, L"run");
    px_free(w);
    bool options = is_run;
    while ((w = next_word(&s, false))) {
        if (options && !wcscmp(w, L"--")) {
            options = false;
        } else if (options && w[0] == L'-') {
            wbuf_add_word(&prefix, w);
            if (option_takes_value(w)) {
                px_free(w);
                if (!(w = next_word(&s, false))) break;
                wbuf_add_word(&prefix, w);
            }
        } else {
            options = false;
            wbuf_add_word(&program, w);
        }
        px_free(w);
    }
    wbuf_add_word(&prefix, L"--");
    if (!prefix.ok || !program.ok) {
        px_free(prefix.s);
        px_free(program.s);
        return false;
    }
    run_prefix = prefix.s;
    if (!program_words) program_words = program.s ? program.s : px_calloc(1, sizeof(wchar_t));
    else px_free(program.s);
    return program_words != NULL;
}

/* The command line for a child that runs (or is named after) this process's program:
   px_alloc'd, or NULL (then the child gets this process's own). */
static wchar_t *child_command_line(void)
{
    px_host_rwlock_lock(&command_line_lock);
    wbuf b = {.ok = true};
    if (split_own_command_line()) {
        wbuf_add(&b, run_prefix, wcslen(run_prefix));
        if (*program_words) wbuf_add(&b, L" ", 1);
        wbuf_add(&b, program_words, wcslen(program_words));
    }
    px_host_rwlock_unlock(&command_line_lock);
    if (!b.ok || !b.s) {
        px_free(b.s);
        return NULL;
    }
    return b.s;
}

/* px_host_spawn_suspended with child_command_line's. */
static int64_t spawn_named(const wchar_t *exe, px_host_child *child)
{
    wchar_t *cmdline = child_command_line();
    int64_t r = px_host_spawn_suspended(exe, cmdline ? cmdline : px_host_command_line(), child);
    px_free(cmdline);
    return r;
}

void px_spawn_set_program(const char *path, const char *const *argv)
{
    wbuf words = {.ok = true};
    wbuf_add_utf8_word(&words, path);
    for (size_t i = 1; argv && argv[0] && argv[i]; i++) wbuf_add_utf8_word(&words, argv[i]);
    if (!words.ok) {
        px_free(words.s);
        return; /* the old name stays */
    }
    px_host_rwlock_lock(&command_line_lock);
    bool split = split_own_command_line();
    px_free(program_words);
    program_words = words.s;
    px_host_rwlock_unlock(&command_line_lock);
    /* a spare started for the old program carries its name (and its fixed ranges) */
    px_spawn_spare_discard();
    if (!split) return;
    wchar_t *cmdline = child_command_line();
    if (cmdline) px_host_set_command_line(cmdline);
    px_free(cmdline);
}

static const char *errno_name(int64_t err)
{
    const char *name = px_errno_name(-err);
    return name ? name : "error";
}

/* One start of the child. 0 with *process once it reaches px_loader_run; -1 when it died
   before (*exit_code: its status; it may be started again); else 126 after a message. */
static int start_once(const px_elf_info *info, const char *name, px_spawn_hook before_resume, void *ctx,
                      void **process, uint32_t *exit_code)
{
    range ranges[info->phnum + 1];
    size_t n = image_ranges(info, ranges);

    /* The child's reservations are listed before it exists, so the brk area is listed at
       its largest; the child checks with a memory query what it really got. */
    wchar_t list[1024];
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t len = ranges[i].len + (i == n - 1 ? brk_sizes[0] : 0);
        if (i > 0 && used + 1 < PX_ARRAY_LEN(list)) list[used++] = L',';
        int w = swprintf(list + used, PX_ARRAY_LEN(list) - used, L"%llx-%llx",
                         (unsigned long long)ranges[i].start, (unsigned long long)len);
        if (w < 0) {
            px_log("picolx: %s: too many segments", name);
            return 126;
        }
        used += (size_t)w;
    }

    wchar_t *exe = px_alloc(EXE_PATH_MAX * sizeof *exe);
    if (!exe || !picolx_exe_path(exe, EXE_PATH_MAX)) {
        px_log("picolx: %s: cannot find picolx.exe next to libpicolx.dll", name);
        px_free(exe);
        return 126;
    }
    px_host_handle started = px_host_event_new(true, false, true);
    if (!started) {
        px_log("picolx: %s: cannot create an event", name);
        px_free(exe);
        return 126;
    }
    wchar_t started_value[24];
    swprintf(started_value, PX_ARRAY_LEN(started_value), L"%llx", (unsigned long long)(uintptr_t)started);
    px_host_env_set_w(STARTED_VAR, started_value);
    px_host_env_set_w(RESERVED_VAR, list);
    wchar_t origin[32];
    bool timing = px_timing_origin_value(origin, PX_ARRAY_LEN(origin));
    if (timing) px_host_env_set_w(PX_TIMING_ORIGIN_VAR, origin);
    px_timing_mark("spawn: CreateProcess (suspended)");
    px_host_child child;
    int64_t created = spawn_named(exe, &child);
    px_free(exe);
    px_host_env_set_w(RESERVED_VAR, NULL);
    px_host_env_set_w(STARTED_VAR, NULL);
    if (timing) px_host_env_set_w(PX_TIMING_ORIGIN_VAR, NULL);
    px_timing_mark("spawn: child created");
    if (created != 0) {
        px_host_close(started);
        if (created == PX_HOST_SPAWN_DIED) { /* Wine: the child died before its start-up ended */
            *exit_code = 1; /* as a child that died later says */
            return -1;
        }
        px_log("picolx: %s: cannot start the process that runs it (%s)", name, errno_name(created));
        return 126;
    }

    for (size_t i = 0; i < n; i++) {
        bool last = i == n - 1;
        int64_t got = -LINUX_ENOMEM;
        for (size_t k = 0; k < (last ? PX_ARRAY_LEN(brk_sizes) : 1) && got < 0; k++)
            got = px_host_child_reserve(&child, ranges[i].start, ranges[i].len + (last ? brk_sizes[k] : 0));
        if (got < 0) {
            px_log("picolx: %s: cannot reserve 0x%llx-0x%llx for the program (%s)", name,
                   (unsigned long long)ranges[i].start, (unsigned long long)(ranges[i].start + ranges[i].len),
                   errno_name(got));
            px_host_child_kill(&child, 126);
            px_host_close(started);
            return 126;
        }
    }

    if (before_resume && !before_resume(child.process, ctx)) {
        px_host_child_kill(&child, 126);
        px_host_close(started);
        return 126;
    }
    px_host_tie_to_self(child.process);
    /* Ctrl-C reaches the child through the shared console; we wait for its status. */
    px_host_ignore_ctrl_c();
    px_timing_mark("spawn: ranges reserved, child resumed");
    px_host_child_resume(&child);
    px_host_handle either[2] = {started, child.process};
    int64_t first = px_host_wait_any(2, either, PX_HOST_FOREVER);
    px_host_close(started);
    if (first == 1) {
        if (px_host_process_exit_code(child.process, exit_code) < 0) *exit_code = 126;
        px_host_close(child.process);
        return -1;
    }
    *process = child.process;
    return 0;
}

/* ---- fork's spare process ----

   Creating a Windows process and starting picolx in it costs more than the rest of a fork
   (shared/notes/processes-on-wine.md: a process started ahead and waiting took fork below
   the CreateProcess floor). So after a process's first fork, a spare is started in the
   background: picolx.exe with the same command line, which sets its runtime up and then
   waits on an event for a fork's hand-over (or ends with this process). The next fork
   reserves its ranges in it, gives it the blob through a small shared mailbox and lets it
   go; a fork that finds no spare ready starts a process as before.

   The spare's state is this Windows process's (one spare at a time), under spare_lock. */
#define SPARE_VAR L"PICOLX_SPARE"

typedef struct spare_mailbox {
    uint64_t handoff_section; /* the blob's section, a handle value in the spare */
} spare_mailbox;

static px_host_rwlock spare_lock = PX_HOST_RWLOCK_INIT;
/* The longest a fork waits for a spare being made (then it makes a process itself). */
#define SPARE_WAIT_MS 10000
static struct {
    bool ready, starting;
    px_host_child child;      /* thread handle closed: it runs */
    px_host_handle go;        /* auto-reset event: the mailbox holds a blob */
    px_mm_range fixed[PX_SPARE_FIXED_MAX];
    size_t n_fixed;
    px_host_handle mailbox_section;
    spare_mailbox *mailbox;
    px_host_handle maker;     /* the thread that makes the spare (may still run) */
} spare;
/* Held around "set a variable, create a process, clear it", so that no child inherits a
   variable meant for another (the spare is made on a thread of its own). */
static px_host_rwlock spawn_env_lock = PX_HOST_RWLOCK_INIT;

void px_spawn_env_lock(void) { px_host_rwlock_lock(&spawn_env_lock); }
void px_spawn_env_unlock(void) { px_host_rwlock_unlock(&spawn_env_lock); }

static void make_spare(void *unused)
{
    (void)unused;
    wchar_t *exe = px_alloc(EXE_PATH_MAX * sizeof *exe);
    px_host_handle go = px_host_event_new(false, false, true);
    px_host_handle section = px_host_section_new(NULL, sizeof(spare_mailbox), true, true, NULL, NULL);
    spare_mailbox *mailbox = section ? px_host_view_map(section, 0, sizeof(spare_mailbox), NULL, true) : NULL;
    px_host_child child = {0};
    px_mm_range fixed[PX_SPARE_FIXED_MAX];
    size_t n_fixed = 0;
    int64_t r = -LINUX_ENOMEM;
    if (exe && go && mailbox && picolx_exe_path(exe, EXE_PATH_MAX)) {
        wchar_t value[64];
        swprintf(value, PX_ARRAY_LEN(value), L"%llx,%llx,%x", (unsigned long long)(uintptr_t)go,
                 (unsigned long long)(uintptr_t)section, px_host_pid());
        px_spawn_env_lock();
        px_host_env_set_w(SPARE_VAR, value);
        r = spawn_named(exe, &child);
        px_host_env_set_w(SPARE_VAR, NULL);
        px_spawn_env_unlock();
        /* a fixed-address program's ranges: a running Wine process has its own things there */
        n_fixed = px_mm_fork_fixed_ranges(fixed, PX_ARRAY_LEN(fixed));
        for (size_t i = 0; i < n_fixed && r == 0; i++) {
            r = px_host_child_reserve(&child, fixed[i].base, fixed[i].size);
            if (r < 0) px_host_child_kill(&child, 0);
        }
        if (r == 0) r = px_host_child_resume(&child);
    }
    px_free(exe);
    px_host_rwlock_lock(&spare_lock);
    spare.starting = false;
    if (r == 0) {
        spare.ready = true;
        spare.child = child;
        spare.go = go;
        spare.mailbox_section = section;
        spare.mailbox = mailbox;
        memcpy(spare.fixed, fixed, sizeof fixed);
        spare.n_fixed = n_fixed;
    }
    px_host_rwlock_unlock(&spare_lock);
    if (r != 0) {
        if (mailbox) px_host_view_unmap(mailbox);
        if (section) px_host_close(section);
        if (go) px_host_close(go);
    }
}

void px_spawn_spare_prepare(void)
{
    px_host_rwlock_lock(&spare_lock);
    bool start = !spare.ready && !spare.starting;
    if (start) spare.starting = true;
    px_host_rwlock_unlock(&spare_lock);
    if (!start) return;
    px_host_handle thread = px_host_thread_start(make_spare, NULL, 64 << 10);
    if (thread) {
        px_host_rwlock_lock(&spare_lock);
        if (spare.maker) px_host_close(spare.maker);
        spare.maker = thread; /* the process's exit waits for it (px_spawn_spare_end) */
        px_host_rwlock_unlock(&spare_lock);
    } else {
        px_host_rwlock_lock(&spare_lock);
        spare.starting = false;
        px_host_rwlock_unlock(&spare_lock);
    }
}

/* The ready spare's parts, now the caller's (false: none is ready). */
static bool take_spare(px_host_child *child, px_host_handle *go, px_host_handle *section, spare_mailbox **mailbox,
                       px_spawn_spare *out)
{
    px_host_rwlock_lock(&spare_lock);
    bool ready = spare.ready;
    if (ready) {
        memcpy(out->fixed, spare.fixed, sizeof out->fixed);
        out->n_fixed = spare.n_fixed;
        *child = spare.child;
        *go = spare.go;
        *section = spare.mailbox_section;
        *mailbox = spare.mailbox;
        spare.ready = false;
    }
    px_host_rwlock_unlock(&spare_lock);
    if (ready && px_host_wait(child->process, 0) == 0) { /* it died meanwhile */
        px_host_close(child->process);
        ready = false;
    }
    if (!ready) return false;
    return true;
}

/* A spare still being made is waited for: it is further on than a process made now,
   and making both at once would slow each (forks in a loop, as a shell's). */
static void wait_for_starting_spare(void)
{
    px_host_handle maker = NULL;
    px_host_rwlock_lock(&spare_lock);
    if (!spare.ready && spare.starting && spare.maker)
        px_host_handle_dup(spare.maker, px_host_self(), false, &maker);
    px_host_rwlock_unlock(&spare_lock);
    if (!maker) return;
    px_host_wait(maker, SPARE_WAIT_MS);
    px_host_close(maker);
}

bool px_spawn_spare_take(px_host_child *child, px_spawn_spare *out)
{
    px_host_handle go, section;
    spare_mailbox *mailbox;
    wait_for_starting_spare();
    if (!take_spare(child, &go, &section, &mailbox, out)) return false;
    out->go = go;
    out->mailbox_section = section;
    out->mailbox = mailbox;
    return true;
}

void px_spawn_spare_go(px_spawn_spare *s, uint64_t handoff_section)
{
    s->mailbox->handoff_section = handoff_section;
    px_host_event_set(s->go);
    px_spawn_spare_close(s);
}

void px_spawn_spare_close(px_spawn_spare *s)
{
    if (s->mailbox) px_host_view_unmap(s->mailbox);
    if (s->mailbox_section) px_host_close(s->mailbox_section);
    if (s->go) px_host_close(s->go);
    s->go = s->mailbox_section = NULL;
    s->mailbox = NULL;
}

void px_spawn_spare_discard(void)
{
    px_host_child child;
    px_spawn_spare s = {0};
    if (!take_spare(&child, &s.go, &s.mailbox_section, &s.mailbox, &s)) return; /* one being made is left be */
    px_spawn_spare_close(&s);
    px_host_child_kill(&child, 0);
}

void px_spawn_spare_end(void)
{
    /* A process that ends while its thread is inside CreateProcess loses the thread in
       the middle of a host call (Wine prints "wine client error"): let it finish first. */
    px_host_rwlock_lock(&spare_lock);
    px_host_handle maker = spare.maker;
    spare.maker = NULL;
    px_host_rwlock_unlock(&spare_lock);
    if (maker) {
        px_host_wait(maker, 5000);
        px_host_close(maker);
    }
    px_spawn_spare_discard();
}

void *px_spawn_spare_wait(void)
{
    wchar_t value[64];
    if (px_host_env_get_w(SPARE_VAR, value, PX_ARRAY_LEN(value)) <= 0) return NULL;
    px_host_env_set_w(SPARE_VAR, NULL); /* neither the guest nor its children see it */
    const wchar_t *s = value;
    px_host_handle go = (px_host_handle)(uintptr_t)parse_hex(&s);
    px_host_handle section = *s == L',' ? (s++, (px_host_handle)(uintptr_t)parse_hex(&s)) : NULL;
    uint32_t parent_pid = *s == L',' ? (s++, (uint32_t)parse_hex(&s)) : 0;
    px_host_handle parent = parent_pid ? px_host_process_open(parent_pid) : NULL;
    spare_mailbox *mailbox = section ? px_host_view_map(section, 0, sizeof(spare_mailbox), NULL, false) : NULL;
    if (!go || !mailbox || !parent) px_host_exit(0); /* nobody can give us anything */
    px_host_handle either[2] = {go, parent};
    if (px_host_wait_any(2, either, PX_HOST_FOREVER) != 0) px_host_exit(0); /* the parent ended first */
    void *handoff = (void *)(uintptr_t)mailbox->handoff_section;
    px_host_view_unmap(mailbox);
    px_host_close(section);
    px_host_close(go);
    px_host_close(parent);
    return handoff;
}

bool px_spawn_is_spare(void)
{
    return px_host_env_is_set(SPARE_VAR);
}

int64_t px_loader_start_copy(px_host_child *child)
{
    wchar_t *exe = px_alloc(EXE_PATH_MAX * sizeof *exe);
    if (!exe || !picolx_exe_path(exe, EXE_PATH_MAX)) {
        px_free(exe);
        return -LINUX_ENOENT;
    }
    int64_t r = spawn_named(exe, child);
    px_free(exe);
    return r;
}

int px_spawn_start(const px_elf_info *info, const char *name, px_spawn_hook before_resume, void *ctx,
                   void **process)
{
    uint32_t exit_code = 0;
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
        int r = start_once(info, name, before_resume, ctx, process, &exit_code);
        if (r >= 0) return r;
        px_timing_mark("spawn: the child died before it reached the program");
    }
    px_log("picolx: %s: the process that runs it ended before it started, %d times (last status %u)", name,
           START_ATTEMPTS, exit_code);
    return 126;
}

uint32_t px_spawn_wait_code(void *process)
{
    px_host_wait(process, PX_HOST_FOREVER);
    px_timing_mark("spawn: child ended");
    uint32_t code = 126;
    px_host_process_exit_code(process, &code);
    px_host_close(process);
    return code;
}

int px_spawn_wait(void *process, const char *name)
{
    px_host_wait(process, PX_HOST_FOREVER);
    px_timing_mark("spawn: child ended");
    uint32_t code = 126;
    px_host_process_exit_code(process, &code);
    px_host_close(process);
    int sig = px_host_crash_signal(code);
    if (sig) { /* the child died of something the runtime did not catch */
        px_log("picolx: %s: the process ended with Windows status 0x%08x", name, code);
        return 128 + sig;
    }
    return (int)code;
}

int px_spawn_reserved(const px_elf_info *info, const char *name)
{
    void *process;
    int status = px_spawn_start(info, name, NULL, NULL, &process);
    return status ? status : px_spawn_wait(process, name);
}
