/* host_console.h on Win32. */
#include <windows.h>
#include "core/errors.h"
#include "core/px.h"
#include "host/host_console.h"

px_host_handle px_host_std_handle(int which)
{
    static const DWORD ids[] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
    if (which < PX_HOST_STDIN || which > PX_HOST_STDERR) return NULL;
    HANDLE h = GetStdHandle(ids[which]);
    return h == INVALID_HANDLE_VALUE ? NULL : h;
}

void px_host_stderr_write(const char *s, size_t n)
{
    DWORD done;
    WriteFile(GetStdHandle(STD_ERROR_HANDLE), s, (DWORD)n, &done, NULL);
}

bool px_host_console_is(px_host_handle h)
{
    DWORD mode;
    return GetFileType(h) == FILE_TYPE_CHAR && GetConsoleMode(h, &mode);
}

int64_t px_host_console_write_utf8(px_host_handle h, const char *s, size_t n)
{
    if (n == 0) return 0;
    int wn = MultiByteToWideChar(CP_UTF8, 0, s, (int)n, NULL, 0);
    if (wn <= 0) return -LINUX_EINVAL;
    wchar_t *w = px_alloc((size_t)wn * sizeof *w);
    if (!w) return -LINUX_ENOMEM;
    MultiByteToWideChar(CP_UTF8, 0, s, (int)n, w, wn);
    DWORD done = 0;
    BOOL ok = WriteConsoleW(h, w, (DWORD)wn, &done, NULL);
    int64_t r = ok ? 0 : px_err_last();
    px_free(w);
    return r;
}

int64_t px_host_console_read(px_host_handle h, wchar_t *buf, size_t cap)
{
    DWORD got = 0;
    if (!ReadConsoleW(h, buf, (DWORD)cap, &got, NULL)) return px_err_last();
    return got;
}

int64_t px_host_console_input_pending(px_host_handle h)
{
    DWORD pending;
    return GetNumberOfConsoleInputEvents(h, &pending) ? (int64_t)pending : px_err_last();
}

bool px_host_console_key_waiting(px_host_handle h)
{
    INPUT_RECORD rec[64];
    for (;;) {
        DWORD n = 0;
        if (!PeekConsoleInputW(h, rec, PX_ARRAY_LEN(rec), &n) || n == 0) return false;
        DWORD skip = 0;
        while (skip < n && !(rec[skip].EventType == KEY_EVENT && rec[skip].Event.KeyEvent.bKeyDown &&
                             rec[skip].Event.KeyEvent.uChar.UnicodeChar))
            skip++;
        if (skip < n) return true;
        DWORD dropped;
        if (!ReadConsoleInputW(h, rec, n, &dropped)) return false;
    }
}

int64_t px_host_console_size(px_host_handle h, uint16_t *rows, uint16_t *cols)
{
    CONSOLE_SCREEN_BUFFER_INFO info;
    BOOL ok = GetConsoleScreenBufferInfo(h, &info);
    if (!ok) { /* an input handle: ask the console's output buffer */
        HANDLE out = CreateFileW(L"CONOUT$", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                                 NULL, OPEN_EXISTING, 0, NULL);
        if (out == INVALID_HANDLE_VALUE) return -LINUX_ENOTTY;
        ok = GetConsoleScreenBufferInfo(out, &info);
        CloseHandle(out);
        if (!ok) return -LINUX_ENOTTY;
    }
    *rows = (uint16_t)(info.srWindow.Bottom - info.srWindow.Top + 1);
    *cols = (uint16_t)(info.srWindow.Right - info.srWindow.Left + 1);
    return 0;
}

void px_host_console_set_utf8_output(void) { SetConsoleOutputCP(CP_UTF8); }
