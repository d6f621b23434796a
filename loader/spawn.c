/* Fixed-address programs in a child process. A running Wine process already uses the
   low addresses that non-PIE programs are linked at (0x400000), so the first process
   creates picolx.exe again suspended, reserves the program's ranges in it before any of
   its own code runs, and lets it load the program there. */
#include <windows.h>
#include <stdio.h>
#include "core/px.h"
#include "mm/vm.h"
#include "spawn.h"
#include "timing.h"

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
    return GetEnvironmentVariableW(RESERVED_VAR, NULL, 0) != 0;
}

/* For the test of that (tests/e2e spawn-child-dies-once): with PICOLX_TEST_CHILD_DIES set to
   a file name, a child that can create that file ends with status 1 before it says it
   started, as such a child does. */
static void die_first_time_when_testing(void)
{
    wchar_t marker[MAX_PATH];
    DWORD n = GetEnvironmentVariableW(L"PICOLX_TEST_CHILD_DIES", marker, PX_ARRAY_LEN(marker));
    if (n == 0 || n >= PX_ARRAY_LEN(marker)) return;
    HANDLE h = CreateFileW(marker, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) return;
    CloseHandle(h);
    ExitProcess(1);
}

/* Tells the parent that this child has reached px_loader_run (px_spawn_start waits for it). */
static void tell_parent_started(void)
{
    wchar_t value[32];
    DWORD n = GetEnvironmentVariableW(STARTED_VAR, value, PX_ARRAY_LEN(value));
    if (n == 0 || n >= PX_ARRAY_LEN(value)) return; /* not a child */
    die_first_time_when_testing();
    SetEnvironmentVariableW(STARTED_VAR, NULL);
    const wchar_t *s = value;
    HANDLE started = (HANDLE)(uintptr_t)parse_hex(&s);
    SetEvent(started);
    CloseHandle(started);
}

bool px_spawn_adopt_reservations(void)
{
    tell_parent_started();
    wchar_t list[1024];
    DWORD n = GetEnvironmentVariableW(RESERVED_VAR, list, PX_ARRAY_LEN(list));
    if (n == 0 || n >= PX_ARRAY_LEN(list)) return false;
    SetEnvironmentVariableW(RESERVED_VAR, NULL); /* neither the guest nor its children see it */
    for (const wchar_t *s = list; *s;) {
        uint64_t start = parse_hex(&s);
        if (*s++ != L'-') break;
        uint64_t len = parse_hex(&s);
        /* The parent may have had to reserve less brk area than listed: trust the reservation. */
        MEMORY_BASIC_INFORMATION mbi;
        if (VirtualQuery((void *)(uintptr_t)start, &mbi, sizeof mbi) == sizeof mbi &&
            (uintptr_t)mbi.AllocationBase == start && mbi.State == MEM_RESERVE) {
            if (mbi.RegionSize < len) len = mbi.RegionSize;
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
static bool picolx_exe_path(wchar_t *path, DWORD size)
{
    HMODULE self;
    if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                            (LPCWSTR)(void *)picolx_exe_path, &self))
        return false;
    DWORD n = GetModuleFileNameW(self, path, size);
    if (n == 0 || n >= size) return false;
    wchar_t *slash = wcsrchr(path, L'\\');
    wchar_t *base = slash ? slash + 1 : path;
    static const wchar_t exe[] = L"picolx.exe";
    if ((size_t)(base - path) + PX_ARRAY_LEN(exe) > size) return false;
    memcpy(base, exe, sizeof exe);
    return true;
}

static void make_inheritable(DWORD which)
{
    HANDLE h = GetStdHandle(which);
    if (h && h != INVALID_HANDLE_VALUE) SetHandleInformation(h, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
}

/* A job that ends the child when this process goes away (killed or closed). */
static void tie_child_to_us(HANDLE child)
{
    HANDLE job = CreateJobObjectW(NULL, NULL);
    if (!job) return;
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits = {0};
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof limits) ||
        !AssignProcessToJobObject(job, child))
        CloseHandle(job); /* not essential: the child then merely outlives a killed parent */
    /* else the handle stays open until this process ends */
}

/* One start of the child. 0 with *process once it reaches px_loader_run; -1 when it died
   before (*exit_code: its status; it may be started again); else 126 after a message. */
static int start_once(const px_elf_info *info, const char *name, px_spawn_hook before_resume, void *ctx,
                      void **process, DWORD *exit_code)
{
    range ranges[info->phnum + 1];
    size_t n = image_ranges(info, ranges);

    /* The child's reservations are listed before it exists, so the brk area is listed at
       its largest; the child checks with VirtualQuery what it really got. */
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

    wchar_t exe[MAX_PATH];
    if (!picolx_exe_path(exe, PX_ARRAY_LEN(exe))) {
        px_log("picolx: %s: cannot find picolx.exe next to libpicolx.dll", name);
        return 126;
    }
    const wchar_t *cmd = GetCommandLineW();
    size_t cmd_len = wcslen(cmd) + 1;
    wchar_t *cmdline = px_alloc(cmd_len * sizeof *cmdline);
    if (!cmdline) return 126;
    memcpy(cmdline, cmd, cmd_len * sizeof *cmdline);

    make_inheritable(STD_INPUT_HANDLE);
    make_inheritable(STD_OUTPUT_HANDLE);
    make_inheritable(STD_ERROR_HANDLE);
    STARTUPINFOW si = {.cb = sizeof si, .dwFlags = STARTF_USESTDHANDLES};
    si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    si.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
    si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    PROCESS_INFORMATION pi;
    SECURITY_ATTRIBUTES inherit = {.nLength = sizeof inherit, .bInheritHandle = TRUE};
    HANDLE started = CreateEventW(&inherit, TRUE, FALSE, NULL);
    if (!started) {
        px_log("picolx: %s: cannot create an event (Windows error %lu)", name, GetLastError());
        px_free(cmdline);
        return 126;
    }
    wchar_t started_value[24];
    swprintf(started_value, PX_ARRAY_LEN(started_value), L"%llx", (unsigned long long)(uintptr_t)started);
    SetEnvironmentVariableW(STARTED_VAR, started_value);
    SetEnvironmentVariableW(RESERVED_VAR, list);
    wchar_t origin[32];
    bool timing = px_timing_origin_value(origin, PX_ARRAY_LEN(origin));
    if (timing) SetEnvironmentVariableW(PX_TIMING_ORIGIN_VAR, origin);
    px_timing_mark("spawn: CreateProcess (suspended)");
    BOOL created = CreateProcessW(exe, cmdline, NULL, NULL, TRUE, CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT,
                                  NULL, NULL, &si, &pi);
    DWORD create_error = GetLastError();
    SetEnvironmentVariableW(RESERVED_VAR, NULL);
    SetEnvironmentVariableW(STARTED_VAR, NULL);
    if (timing) SetEnvironmentVariableW(PX_TIMING_ORIGIN_VAR, NULL);
    px_timing_mark("spawn: child created");
    px_free(cmdline);
    if (!created) {
        CloseHandle(started);
        if (create_error == ERROR_INTERNAL_ERROR) { /* Wine: the child died before its start-up ended */
            *exit_code = create_error;
            return -1;
        }
        px_log("picolx: %s: cannot start the process that runs it (Windows error %lu)", name, create_error);
        return 126;
    }

    for (size_t i = 0; i < n; i++) {
        bool last = i == n - 1;
        void *got = NULL;
        for (size_t k = 0; k < (last ? PX_ARRAY_LEN(brk_sizes) : 1) && !got; k++)
            got = VirtualAllocEx(pi.hProcess, (void *)(uintptr_t)ranges[i].start,
                                 ranges[i].len + (last ? brk_sizes[k] : 0), MEM_RESERVE, PAGE_NOACCESS);
        if (!got) {
            px_log("picolx: %s: cannot reserve 0x%llx-0x%llx for the program (Windows error %lu)", name,
                   (unsigned long long)ranges[i].start, (unsigned long long)(ranges[i].start + ranges[i].len),
                   GetLastError());
            TerminateProcess(pi.hProcess, 126);
            CloseHandle(pi.hThread);
            CloseHandle(pi.hProcess);
            CloseHandle(started);
            return 126;
        }
    }

    if (before_resume && !before_resume(pi.hProcess, ctx)) {
        TerminateProcess(pi.hProcess, 126);
        CloseHandle(pi.hThread);
        CloseHandle(pi.hProcess);
        CloseHandle(started);
        return 126;
    }
    tie_child_to_us(pi.hProcess);
    /* Ctrl-C reaches the child through the shared console; we wait for its status. */
    SetConsoleCtrlHandler(NULL, TRUE);
    px_timing_mark("spawn: ranges reserved, child resumed");
    ResumeThread(pi.hThread);
    CloseHandle(pi.hThread);
    HANDLE either[2] = {started, pi.hProcess};
    DWORD first = WaitForMultipleObjects(2, either, FALSE, INFINITE);
    CloseHandle(started);
    if (first == WAIT_OBJECT_0 + 1) {
        if (!GetExitCodeProcess(pi.hProcess, exit_code)) *exit_code = 126;
        CloseHandle(pi.hProcess);
        return -1;
    }
    *process = pi.hProcess;
    return 0;
}

int px_spawn_start(const px_elf_info *info, const char *name, px_spawn_hook before_resume, void *ctx,
                   void **process)
{
    DWORD exit_code = 0;
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
        int r = start_once(info, name, before_resume, ctx, process, &exit_code);
        if (r >= 0) return r;
        px_timing_mark("spawn: the child died before it reached the program");
    }
    px_log("picolx: %s: the process that runs it ended before it started, %d times (last status %lu)", name,
           START_ATTEMPTS, exit_code);
    return 126;
}

int px_spawn_wait(void *process, const char *name)
{
    PROCESS_INFORMATION pi = {.hProcess = process};
    WaitForSingleObject(pi.hProcess, INFINITE);
    px_timing_mark("spawn: child ended");
    DWORD code = 126;
    GetExitCodeProcess(pi.hProcess, &code);
    CloseHandle(pi.hProcess);
    if (code > 255) { /* an NTSTATUS: the child died of something the runtime did not catch */
        px_log("picolx: %s: the process ended with Windows status 0x%08lx", name, code);
        return 128 + (code == (DWORD)STATUS_ACCESS_VIOLATION ? LINUX_SIGSEGV : LINUX_SIGKILL);
    }
    return (int)code;
}

int px_spawn_reserved(const px_elf_info *info, const char *name)
{
    void *process;
    int status = px_spawn_start(info, name, NULL, NULL, &process);
    return status ? status : px_spawn_wait(process, name);
}
