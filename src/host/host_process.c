/* host_process.h on Win32. */
#include <windows.h>
#include <tlhelp32.h>
#include <winternl.h>
#include "core/errors.h"
#include "core/px.h"
#include "host/host_process.h"

uint32_t px_host_pid(void) { return GetCurrentProcessId(); }
px_host_handle px_host_self(void) { return GetCurrentProcess(); }
void px_host_exit(uint32_t status) { ExitProcess(status); }

uint32_t px_host_parent_pid(void)
{
    PROCESS_BASIC_INFORMATION info;
    ULONG got = 0;
    if (NtQueryInformationProcess(GetCurrentProcess(), ProcessBasicInformation, &info, sizeof info, &got) < 0)
        return 0;
    return (uint32_t)info.InheritedFromUniqueProcessId;
}

static int64_t of_filetime(FILETIME t) { return (int64_t)(((uint64_t)t.dwHighDateTime << 32) | t.dwLowDateTime); }

int64_t px_host_process_times(px_host_handle process, px_host_times *out)
{
    FILETIME c, e, k, u;
    if (!GetProcessTimes(process, &c, &e, &k, &u)) return px_err_last();
    *out = (px_host_times){of_filetime(c), of_filetime(e), of_filetime(k), of_filetime(u)};
    return 0;
}

int64_t px_host_process_cpu_times(px_host_handle process, px_host_times *out)
{
    int64_t r = px_host_process_times(process, out);
    if (r < 0) return r;
    DWORD pid = GetProcessId(process);
    if (!pid || pid == GetCurrentProcessId()) return 0;
    /* Wine counts another process's time only partly (its threads' times it reads from
       /proc, one by one): the sum of its live threads is the larger there. On Windows
       the process's own figure, which counts ended threads too, is never smaller. */
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
    if (snap == INVALID_HANDLE_VALUE) return 0;
    THREADENTRY32 te = {.dwSize = sizeof te};
    int64_t kernel = 0, user = 0;
    for (BOOL more = Thread32First(snap, &te); more; more = Thread32Next(snap, &te)) {
        if (te.th32OwnerProcessID != pid) continue;
        HANDLE t = OpenThread(THREAD_QUERY_LIMITED_INFORMATION, FALSE, te.th32ThreadID);
        FILETIME c, e, k, u;
        if (t && GetThreadTimes(t, &c, &e, &k, &u)) {
            kernel += of_filetime(k);
            user += of_filetime(u);
        }
        if (t) CloseHandle(t);
    }
    CloseHandle(snap);
    if (kernel + user > out->kernel + out->user) {
        out->kernel = kernel;
        out->user = user;
    }
    return 0;
}

int64_t px_host_thread_times_of(px_host_handle thread, px_host_times *out)
{
    FILETIME c, e, k, u;
    if (!GetThreadTimes(thread, &c, &e, &k, &u)) return px_err_last();
    *out = (px_host_times){of_filetime(c), of_filetime(e), of_filetime(k), of_filetime(u)};
    return 0;
}

int64_t px_host_thread_times(px_host_times *out) { return px_host_thread_times_of(GetCurrentThread(), out); }

const wchar_t *px_host_command_line(void) { return GetCommandLineW(); }

int64_t px_host_set_command_line(const wchar_t *cmdline)
{
    UNICODE_STRING *line = &NtCurrentTeb()->ProcessEnvironmentBlock->ProcessParameters->CommandLine;
    size_t bytes = wcslen(cmdline) * sizeof *cmdline;
    if (bytes + sizeof *cmdline > 0xfffe) return -LINUX_E2BIG;
    if (bytes + sizeof *cmdline <= line->MaximumLength) {
        line->Length = 0; /* a reader meanwhile sees an empty line, never a torn one */
        memcpy(line->Buffer, cmdline, bytes + sizeof *cmdline);
        line->Length = (USHORT)bytes;
        return 0;
    }
    /* room to spare for later execs; the old buffer stays (readers may hold it) */
    size_t cap = bytes * 2 + 512;
    if (cap > 0xfffe) cap = 0xfffe;
    wchar_t *buf = HeapAlloc(GetProcessHeap(), 0, cap);
    if (!buf) return -LINUX_ENOMEM;
    memcpy(buf, cmdline, bytes + sizeof *cmdline);
    line->Length = 0;
    line->MaximumLength = (USHORT)cap;
    line->Buffer = buf;
    line->Length = (USHORT)bytes;
    return 0;
}

int64_t px_host_module_path(wchar_t *buf, size_t size)
{
    HMODULE self;
    if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                            (LPCWSTR)(void *)px_host_module_path, &self))
        return px_err_last();
    DWORD n = GetModuleFileNameW(self, buf, (DWORD)size);
    if (n == 0) return px_err_last();
    if (n >= size) return -LINUX_ENAMETOOLONG;
    return n;
}

static void make_inheritable(DWORD which)
{
    HANDLE h = GetStdHandle(which);
    if (h && h != INVALID_HANDLE_VALUE) SetHandleInformation(h, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
}

/* ---- the tree's job ----

   A picolx process tree ends when its first process is killed from Windows: the first
   process puts itself into a job with KILL_ON_JOB_CLOSE when it starts its first child,
   so every process it and they start later is in it too; its handle is the only one,
   and it closes however the process ends. On an ordinary exit the first process lifts
   the limit first, so that orphans go on running as on Linux. A child knows it is in a
   tree by TREE_VAR, which is in a child's environment only (set around CreateProcess)
   and removed when picolx's DLL loads. Jobs nest (Windows 8, Wine 8: measured), so a
   first process inside someone else's job still gets its own. */
#define TREE_VAR L"PICOLX_IN_TREE"
static bool in_tree;        /* started by a picolx process of this tree */
static HANDLE tree_job;     /* the first process's job, once it has children */
static SRWLOCK spawn_lock = SRWLOCK_INIT;

__attribute__((constructor)) static void note_tree(void)
{
    if (GetEnvironmentVariableW(TREE_VAR, NULL, 0) == 0) return;
    in_tree = true;
    SetEnvironmentVariableW(TREE_VAR, NULL); /* neither the guest nor its programs see it */
}

/* Under spawn_lock. Best effort: without a job a killed first process leaves its tree. */
static void make_tree_job(void)
{
    if (in_tree || tree_job) return;
    in_tree = true;
    HANDLE job = CreateJobObjectW(NULL, NULL);
    if (!job) return;
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits = {0};
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof limits) ||
        !AssignProcessToJobObject(job, GetCurrentProcess())) {
        CloseHandle(job);
        return;
    }
    tree_job = job; /* not inheritable: the only handle */
}

/* ExitProcess (not TerminateProcess) runs this: the tree's other processes live on. */
__attribute__((destructor)) static void let_tree_live(void)
{
    if (!tree_job) return;
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits = {0};
    SetInformationJobObject(tree_job, JobObjectExtendedLimitInformation, &limits, sizeof limits);
}

int64_t px_host_spawn_suspended(const wchar_t *exe, const wchar_t *cmdline, px_host_child *out)
{
    /* CreateProcessW may write into the command line */
    size_t len = wcslen(cmdline) + 1;
    wchar_t *cmd = px_alloc(len * sizeof *cmd);
    if (!cmd) return -LINUX_ENOMEM;
    memcpy(cmd, cmdline, len * sizeof *cmd);
    make_inheritable(STD_INPUT_HANDLE);
    make_inheritable(STD_OUTPUT_HANDLE);
    make_inheritable(STD_ERROR_HANDLE);
    STARTUPINFOW si = {.cb = sizeof si, .dwFlags = STARTF_USESTDHANDLES};
    si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    si.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
    si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    PROCESS_INFORMATION pi;
    AcquireSRWLockExclusive(&spawn_lock);
    make_tree_job();
    SetEnvironmentVariableW(TREE_VAR, L"1");
    BOOL created = CreateProcessW(exe, cmd, NULL, NULL, TRUE, CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT, NULL,
                                  NULL, &si, &pi);
    DWORD error = GetLastError();
    SetEnvironmentVariableW(TREE_VAR, NULL);
    ReleaseSRWLockExclusive(&spawn_lock);
    px_free(cmd);
    if (!created) return error == ERROR_INTERNAL_ERROR ? PX_HOST_SPAWN_DIED : px_err_win32(error);
    *out = (px_host_child){.process = pi.hProcess, .thread = pi.hThread, .pid = pi.dwProcessId};
    return 0;
}

int64_t px_host_child_reserve(px_host_child *c, uint64_t addr, uint64_t len)
{
    if (!VirtualAllocEx(c->process, (void *)(uintptr_t)addr, len, MEM_RESERVE, PAGE_NOACCESS)) return px_err_last();
    return 0;
}

int64_t px_host_child_resume(px_host_child *c)
{
    int64_t r = ResumeThread(c->thread) == (DWORD)-1 ? px_err_last() : 0;
    CloseHandle(c->thread);
    c->thread = NULL;
    return r;
}

void px_host_child_kill(px_host_child *c, uint32_t status)
{
    TerminateProcess(c->process, status);
    if (c->thread) CloseHandle(c->thread);
    CloseHandle(c->process);
    c->thread = c->process = NULL;
}

void px_host_tie_to_self(px_host_handle process)
{
    HANDLE job = CreateJobObjectW(NULL, NULL);
    if (!job) return;
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits = {0};
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof limits) ||
        !AssignProcessToJobObject(job, process))
        CloseHandle(job); /* not essential: the child then merely outlives a killed parent */
    /* else the handle stays open until this process ends */
}

void px_host_ignore_ctrl_c(void) { SetConsoleCtrlHandler(NULL, TRUE); }

static void (*console_event_fn)(int kind);

/* Runs on a new thread Windows starts for the event; TRUE keeps Windows from ending the
   process (the Linux side decides what the event does). */
static BOOL WINAPI console_event(DWORD type)
{
    int kind = type == CTRL_C_EVENT ? PX_HOST_CONSOLE_INTERRUPT
             : type == CTRL_BREAK_EVENT ? PX_HOST_CONSOLE_BREAK
             : type == CTRL_CLOSE_EVENT ? PX_HOST_CONSOLE_CLOSE : -1;
    if (kind < 0 || !console_event_fn) return FALSE;
    console_event_fn(kind);
    return TRUE;
}

void px_host_on_console_event(void (*fn)(int kind))
{
    console_event_fn = fn;
    SetConsoleCtrlHandler(console_event, TRUE);
}

px_host_handle px_host_process_open(uint32_t pid)
{
    return OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
}

int64_t px_host_process_set_nice(uint32_t pid, int32_t nice)
{
    DWORD cls = nice < -10 ? HIGH_PRIORITY_CLASS : nice < 0 ? ABOVE_NORMAL_PRIORITY_CLASS
              : nice == 0 ? NORMAL_PRIORITY_CLASS : nice < 10 ? BELOW_NORMAL_PRIORITY_CLASS : IDLE_PRIORITY_CLASS;
    HANDLE h = pid == GetCurrentProcessId() ? GetCurrentProcess() : OpenProcess(PROCESS_SET_INFORMATION, FALSE, pid);
    if (!h) return px_err_last();
    int64_t r = SetPriorityClass(h, cls) ? 0 : px_err_last();
    if (h != GetCurrentProcess()) CloseHandle(h);
    return r;
}

int64_t px_host_process_exit_code(px_host_handle process, uint32_t *code)
{
    DWORD c;
    if (!GetExitCodeProcess(process, &c)) return px_err_last();
    *code = c;
    return 0;
}

int px_host_crash_signal(uint32_t code)
{
    if (code <= 255) return 0;
    return code == (uint32_t)STATUS_ACCESS_VIOLATION ? LINUX_SIGSEGV : LINUX_SIGKILL;
}

int64_t px_host_handle_inherit(px_host_handle h, bool inherit)
{
    return SetHandleInformation(h, HANDLE_FLAG_INHERIT, inherit ? HANDLE_FLAG_INHERIT : 0) ? 0 : px_err_last();
}

int64_t px_host_handle_dup(px_host_handle h, px_host_handle to, bool inheritable, px_host_handle *out)
{
    HANDLE copy;
    if (!DuplicateHandle(GetCurrentProcess(), h, to, &copy, 0, inheritable, DUPLICATE_SAME_ACCESS))
        return px_err_last();
    *out = copy;
    return 0;
}

px_host_handle px_host_process_open_for_handles(uint32_t pid)
{
    return OpenProcess(PROCESS_DUP_HANDLE | SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
}

int64_t px_host_handle_take(px_host_handle from, uint64_t remote, px_host_handle *out)
{
    HANDLE copy;
    if (!DuplicateHandle(from, (HANDLE)(uintptr_t)remote, GetCurrentProcess(), &copy, 0, FALSE,
                         DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE))
        return px_err_last();
    *out = copy;
    return 0;
}

void px_host_handle_close_in(px_host_handle from, uint64_t remote)
{
    DuplicateHandle(from, (HANDLE)(uintptr_t)remote, NULL, NULL, 0, FALSE, DUPLICATE_CLOSE_SOURCE);
}

int64_t px_host_process_read(px_host_handle process, uint64_t addr, void *to, size_t len)
{
    SIZE_T got = 0;
    if (!ReadProcessMemory(process, (const void *)(uintptr_t)addr, to, len, &got)) return px_err_last();
    return got == len ? 0 : -LINUX_EFAULT;
}

int64_t px_host_process_terminate(px_host_handle process, uint32_t code)
{
    return TerminateProcess(process, code) ? 0 : px_err_last();
}

int64_t px_host_process_write(px_host_handle process, uint64_t addr, const void *from, size_t len)
{
    SIZE_T done = 0;
    if (!WriteProcessMemory(process, (void *)(uintptr_t)addr, from, len, &done)) return px_err_last();
    return done == len ? 0 : -LINUX_EFAULT;
}

px_host_handle px_host_process_open_to_end(uint32_t pid)
{
    return OpenProcess(SYNCHRONIZE | PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
}
