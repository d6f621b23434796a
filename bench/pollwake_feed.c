/* The Windows-side writer of bench/pollwake.sh: makes an anonymous Windows pipe (what
   picolx's own pipes and a Windows parent's are), starts the command line given as its
   arguments with the read end as stdin, and writes STAMPS 8-byte CLOCK_REALTIME stamps
   into it, GAP_US apart, then closes it and returns the child's exit status.
   usage: pollwake_feed.exe STAMPS GAP_US PROGRAM [ARGS...] */
#include <windows.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t now_ns(void)
{
    FILETIME ft;
    GetSystemTimePreciseAsFileTime(&ft);
    uint64_t t = ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
    return (int64_t)(t - 116444736000000000ull) * 100;
}

int main(int argc, char **argv)
{
    if (argc < 4) return 2;
    int n = atoi(argv[1]), gap_us = atoi(argv[2]);
    char cmd[8192] = "";
    for (int i = 3; i < argc; i++) { /* arguments with no spaces (a quoted Z:\ would escape its quote) */
        strcat(cmd, argv[i]);
        strcat(cmd, " ");
    }
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    HANDLE r, w;
    if (!CreatePipe(&r, &w, &sa, 65536)) return 3;
    SetHandleInformation(w, HANDLE_FLAG_INHERIT, 0);
    STARTUPINFOA si = {sizeof si};
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = r;
    si.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
    si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    PROCESS_INFORMATION pi;
    if (!CreateProcessA(NULL, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) return 4;
    CloseHandle(r);
    Sleep(4000); /* the child starts (picolx under load: seconds); stamps written meanwhile are not counted */
    HANDLE timer = CreateWaitableTimerExW(NULL, NULL, 2 /* high resolution */, TIMER_ALL_ACCESS);
    for (int i = 0; i < n; i++) {
        LARGE_INTEGER due = {.QuadPart = -(int64_t)gap_us * 10};
        SetWaitableTimer(timer, &due, 0, NULL, NULL, FALSE);
        WaitForSingleObject(timer, INFINITE);
        int64_t t = now_ns();
        DWORD put;
        if (!WriteFile(w, &t, sizeof t, &put, NULL)) break;
    }
    CloseHandle(w);
    WaitForSingleObject(pi.hProcess, INFINITE);
    DWORD code = 1;
    GetExitCodeProcess(pi.hProcess, &code);
    return (int)code;
}
