/* A Windows test driver for picolx's process trees, run under Wine (tree_driver.py):
   starts picolx.exe with a shell script and looks at the Windows processes it makes.
     cmdline  every process's Windows command line names the program it runs now
              (after fork + execve in the same process, and execve into a new one)
     kill     TerminateProcess of the first picolx process ends every process of it
     orphan   an ordinary exit of the first process leaves the others running
     sigchld  a child ended by TerminateProcess from Windows: its parent gets SIGCHLD with
              the exit code as its status, and wait gives the same
   Prints what it found; the exit status is the test's. */
#include <windows.h>
#include <winternl.h>
#include <shellapi.h>
#include <tlhelp32.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#define MAX_PROCS 256

static const wchar_t *picolx;

/* Appends word to cmd, quoted by the C runtime's rules. */
static void add_word(wchar_t *cmd, const wchar_t *word)
{
    if (*cmd) wcscat(cmd, L" ");
    if (*word && !wcspbrk(word, L" \t\n\v\"")) {
        wcscat(cmd, word);
        return;
    }
    size_t n = wcslen(cmd);
    cmd[n++] = L'"';
    for (const wchar_t *p = word;; p++) {
        size_t slashes = 0;
        while (p[slashes] == L'\\') slashes++;
        size_t times = p[slashes] == L'"' || !p[slashes] ? 2 : 1;
        for (size_t k = 0; k < slashes * times; k++) cmd[n++] = L'\\';
        p += slashes;
        if (!*p) break;
        if (*p == L'"') cmd[n++] = L'\\';
        cmd[n++] = *p;
    }
    cmd[n++] = L'"';
    cmd[n] = 0;
}

static HANDLE start(const wchar_t *const *words, DWORD *pid)
{
    static wchar_t cmd[8192];
    cmd[0] = 0;
    add_word(cmd, picolx);
    for (size_t i = 0; words[i]; i++) add_word(cmd, words[i]);
    STARTUPINFOW si = {.cb = sizeof si};
    PROCESS_INFORMATION pi;
    if (!CreateProcessW(picolx, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) {
        printf("cannot start picolx: %lu\n", GetLastError());
        exit(2);
    }
    CloseHandle(pi.hThread);
    *pid = pi.dwProcessId;
    return pi.hProcess;
}

/* The pids of root and its descendants now (root first). */
static int descendants(DWORD root, DWORD *out)
{
    DWORD pids[4096], parents[4096];
    int n = 0, got = 0;
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
    PROCESSENTRY32W pe = {.dwSize = sizeof pe};
    for (BOOL ok = Process32FirstW(snap, &pe); ok && n < 4096; ok = Process32NextW(snap, &pe)) {
        pids[n] = pe.th32ProcessID;
        parents[n++] = pe.th32ParentProcessID;
    }
    CloseHandle(snap);
    out[got++] = root;
    for (bool more = true; more;) {
        more = false;
        for (int i = 0; i < n; i++) {
            bool known = false, child = false;
            for (int k = 0; k < got; k++) {
                if (out[k] == pids[i]) known = true;
                if (out[k] == parents[i]) child = true;
            }
            if (child && !known && got < MAX_PROCS) {
                out[got++] = pids[i];
                more = true;
            }
        }
    }
    return got;
}

/* The command line of process pid as Windows tools read it: from its PEB. */
static bool command_line(DWORD pid, wchar_t *buf, size_t size)
{
    HANDLE h = OpenProcess(PROCESS_QUERY_INFORMATION | PROCESS_VM_READ, FALSE, pid);
    if (!h) return false;
    PROCESS_BASIC_INFORMATION info;
    PEB peb;
    RTL_USER_PROCESS_PARAMETERS params;
    SIZE_T got;
    bool ok = NtQueryInformationProcess(h, ProcessBasicInformation, &info, sizeof info, NULL) >= 0 &&
              ReadProcessMemory(h, info.PebBaseAddress, &peb, sizeof peb, &got) &&
              ReadProcessMemory(h, peb.ProcessParameters, &params, sizeof params, &got) &&
              params.CommandLine.Length / 2 < size &&
              ReadProcessMemory(h, params.CommandLine.Buffer, buf, params.CommandLine.Length, &got);
    if (ok) buf[params.CommandLine.Length / 2] = 0;
    CloseHandle(h);
    return ok;
}

/* Whether pid's command line is picolx.exe followed by exactly the words want. */
static bool has_words(DWORD pid, const wchar_t *const *want)
{
    wchar_t line[8192];
    if (!command_line(pid, line, 8192)) return false;
    int argc;
    wchar_t **argv = CommandLineToArgvW(line, &argc);
    if (!argv) return false;
    size_t len = wcslen(argv[0]);
    bool ok = len >= 10 && !_wcsicmp(argv[0] + len - 10, L"picolx.exe");
    int i = 0;
    for (; ok && want[i]; i++) ok = i + 1 < argc && !wcscmp(argv[i + 1], want[i]);
    ok = ok && i + 1 == argc;
    LocalFree(argv);
    return ok;
}

static void show(const DWORD *pids, int n)
{
    for (int i = 0; i < n; i++) {
        wchar_t line[8192];
        if (command_line(pids[i], line, 8192)) printf("  process %d: %ls\n", i, line);
    }
}

/* Ends every process of the list still there; returns how many were. */
static int end_all(const DWORD *pids, int n, DWORD wait_ms)
{
    int left = 0;
    for (int i = 0; i < n; i++) {
        HANDLE h = OpenProcess(SYNCHRONIZE | PROCESS_TERMINATE, FALSE, pids[i]);
        if (!h) continue;
        if (WaitForSingleObject(h, wait_ms) == WAIT_TIMEOUT) {
            left++;
            TerminateProcess(h, 1);
        }
        CloseHandle(h);
    }
    return left;
}

static const wchar_t *const sleep_argv[] = {L"run", L"--root", L"Z:\\", L"--", L"/bin/sleep", L"30", NULL};
static const wchar_t *const python_argv[] = {L"run", L"--root", L"Z:\\", L"--", L"/usr/bin/python3", L"-c",
                                             L"import time; time.sleep(30)", L"x", L"two \"words\"", NULL};

static int test_cmdline(void)
{
    const wchar_t *const words[] = {L"run", L"--root", L"Z:\\", L"--", L"/bin/bash", L"-c",
        L"/bin/sleep 30 & exec /usr/bin/python3 -c 'import time; time.sleep(30)' x 'two \"words\"'", NULL};
    DWORD root, pids[MAX_PROCS];
    HANDLE h = start(words, &root);
    bool sleep_seen = false, python_seen = false, root_renamed = false;
    int n = 0;
    for (int tries = 0; tries < 450 && !(sleep_seen && python_seen && root_renamed); tries++) {
        Sleep(200);
        n = descendants(root, pids);
        root_renamed = has_words(root, python_argv);
        for (int i = 1; i < n; i++) {
            sleep_seen |= has_words(pids[i], sleep_argv);
            python_seen |= has_words(pids[i], python_argv);
        }
    }
    printf("forked child that exec'd /bin/sleep (same process): %s\n", sleep_seen ? "named" : "NOT FOUND");
    printf("new process of exec'd python3: %s\n", python_seen ? "named" : "NOT FOUND");
    printf("first process (waits for it): %s\n", root_renamed ? "renamed" : "NOT RENAMED");
    show(pids, n);
    TerminateProcess(h, 1);
    end_all(pids, n, 30000);
    return sleep_seen && python_seen && root_renamed ? 0 : 1;
}

/* The number of processes of the list whose command line names `sleep 100`. */
static int count_sleepers(const DWORD *pids, int n)
{
    int count = 0;
    for (int i = 1; i < n; i++) {
        wchar_t line[8192];
        if (!command_line(pids[i], line, 8192)) continue;
        size_t len = wcslen(line);
        if (len > 10 && !wcscmp(line + len - 10, L"/sleep 100")) count++;
    }
    return count;
}

static int test_kill(void)
{
    const wchar_t *const words[] = {L"run", L"--root", L"Z:\\", L"--", L"/bin/bash", L"-c",
                                    L"sleep 100 & sleep 100 & wait", NULL};
    DWORD root, pids[MAX_PROCS];
    HANDLE h = start(words, &root);
    int n = 0, sleepers = 0;
    for (int tries = 0; tries < 450 && sleepers < 2; tries++) {
        Sleep(200);
        n = descendants(root, pids);
        sleepers = count_sleepers(pids, n);
    }
    printf("sleep processes running: %d\n", sleepers);
    Sleep(1000); /* the spare that follows a fork */
    n = descendants(root, pids);
    TerminateProcess(h, 9);
    WaitForSingleObject(h, 30000);
    int left = end_all(pids + 1, n - 1, 30000);
    printf("processes left 30 s after the first was killed: %d\n", left);
    return sleepers == 2 && left == 0 ? 0 : 1;
}

static int test_orphan(void)
{
    const wchar_t *const words[] = {L"run", L"--root", L"Z:\\", L"--", L"/bin/bash", L"-c",
                                    L"sleep 100 & sleep 3; exit 0", NULL};
    DWORD root, pids[MAX_PROCS];
    HANDLE h = start(words, &root);
    int n = 0, sleepers = 0;
    for (int tries = 0; tries < 450 && sleepers < 1; tries++) {
        Sleep(100);
        n = descendants(root, pids);
        sleepers = count_sleepers(pids, n);
    }
    WaitForSingleObject(h, 60000);
    DWORD code = 0;
    GetExitCodeProcess(h, &code);
    Sleep(1000);
    int alive = 0;
    for (int i = 1; i < n; i++) {
        HANDLE p = OpenProcess(SYNCHRONIZE, FALSE, pids[i]);
        if (p && WaitForSingleObject(p, 0) == WAIT_TIMEOUT && count_sleepers((DWORD[]){0, pids[i]}, 2)) alive++;
        if (p) CloseHandle(p);
    }
    printf("first process exited with %lu; orphaned sleep processes still running: %d\n", code, alive);
    end_all(pids + 1, n - 1, 0);
    return sleepers == 1 && code == 0 && alive == 1 ? 0 : 1;
}

/* python3 forks a child that execs `sleep 100` and waits for its SIGCHLD (blocked, by
   sigtimedwait: no wait call that would notice the end by itself); the driver ends the
   sleep process from Windows with exit code 1. python3 exits 0 when SIGCHLD came with
   CLD_EXITED, status 1 and the child's pid, and waitpid then gave 1 << 8. */
static int test_sigchld(void)
{
    const wchar_t *const words[] = {L"run", L"--root", L"Z:\\", L"--", L"/usr/bin/python3", L"-c",
        L"import os, signal, sys\n"
        L"signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGCHLD])\n"
        L"pid = os.fork()\n"
        L"if pid == 0: os.execv('/bin/sleep', ['sleep', '100'])\n"
        L"info = signal.sigtimedwait([signal.SIGCHLD], 60)\n"
        L"print('SIGCHLD:', info, flush=True)\n"
        L"ok = info is not None and info.si_pid == pid and info.si_code == os.CLD_EXITED and info.si_status == 1\n"
        L"st = os.waitpid(pid, 0)[1]\n"
        L"print('wait status:', st, flush=True)\n"
        L"sys.exit(0 if ok and st == 256 else 1)\n", NULL};
    DWORD root, pids[MAX_PROCS];
    HANDLE h = start(words, &root);
    int n = 0, sleepers = 0;
    DWORD sleeper = 0;
    for (int tries = 0; tries < 450 && !sleeper; tries++) {
        Sleep(100);
        n = descendants(root, pids);
        for (int i = 1; i < n && !sleeper; i++)
            if (count_sleepers((DWORD[]){0, pids[i]}, 2)) sleeper = pids[i];
    }
    sleepers = sleeper != 0;
    printf("sleep process running: %d\n", sleepers);
    HANDLE s = sleeper ? OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE, sleeper) : NULL;
    if (s) {
        Sleep(500); /* python3 waits in sigtimedwait by now */
        TerminateProcess(s, 1);
        CloseHandle(s);
    }
    DWORD code = 99;
    bool ended = WaitForSingleObject(h, 90000) == WAIT_OBJECT_0;
    GetExitCodeProcess(h, &code);
    printf("first process %s, exit code %lu (0: SIGCHLD and wait as Linux)\n", ended ? "ended" : "still running", code);
    end_all(pids, n, 0);
    return s && ended && code == 0 ? 0 : 1;
}

int wmain(int argc, wchar_t **argv)
{
    if (argc != 3) {
        fputs("usage: tree_driver PICOLX_EXE cmdline|kill|orphan|sigchld\n", stderr);
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    picolx = argv[1];
    if (!wcscmp(argv[2], L"cmdline")) return test_cmdline();
    if (!wcscmp(argv[2], L"kill")) return test_kill();
    if (!wcscmp(argv[2], L"orphan")) return test_orphan();
    if (!wcscmp(argv[2], L"sigchld")) return test_sigchld();
    return 2;
}
