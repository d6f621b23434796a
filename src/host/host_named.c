/* host_named.h on Win32. */
#include <windows.h>
#include "core/errors.h"
#include "core/px.h"
#include "host/host_mem.h"
#include "host/host_named.h"
#include "host/host_sync.h"

int64_t px_host_mutex_take(px_host_handle mutex, bool *abandoned)
{
    DWORD w = WaitForSingleObject(mutex, INFINITE);
    *abandoned = w == WAIT_ABANDONED;
    if (w == WAIT_OBJECT_0 || w == WAIT_ABANDONED) return 0;
    return w == WAIT_FAILED ? px_err_last() : -LINUX_EIO;
}

bool px_host_table_enter(px_host_handle mutex, void (*repair)(void))
{
    bool abandoned;
    if (px_host_mutex_take(mutex, &abandoned) < 0) return false;
    if (abandoned) repair();
    return true;
}

int64_t px_host_process_open_checked(uint32_t pid, px_host_handle *out)
{
    *out = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE, FALSE, pid);
    if (*out) return 0;
    DWORD e = GetLastError();
    if (e == ERROR_INVALID_PARAMETER) return -LINUX_ESRCH; /* no such pid */
    if (e == ERROR_ACCESS_DENIED) return -LINUX_EACCES;
    int64_t r = px_err_win32(e);
    return r == -LINUX_ESRCH || r == -LINUX_EACCES ? -LINUX_EIO : r; /* only the two above mean those */
}

void px_host_name_pid_tid(wchar_t *out, size_t cap, const wchar_t *prefix, uint32_t pid, uint32_t tid)
{
    size_t n = 0;
    while (prefix[n] && n + 1 < cap) out[n] = prefix[n], n++;
    uint32_t parts[2] = {pid, tid};
    for (int p = 0; p < 2; p++) {
        wchar_t digits[10];
        int d = 0;
        uint32_t v = parts[p];
        do digits[d++] = (wchar_t)(L'0' + v % 10); while ((v /= 10) != 0);
        while (d && n + 1 < cap) out[n++] = digits[--d];
        if (p == 0 && n + 1 < cap) out[n++] = L'-';
    }
    out[n] = 0;
}

bool px_host_event_set_named(const wchar_t *name)
{
    HANDLE ev = OpenEventW(EVENT_MODIFY_STATE, FALSE, name);
    if (!ev) return false;
    SetEvent(ev);
    CloseHandle(ev);
    return true;
}

void *px_host_session_table_open(const wchar_t *section_name, const wchar_t *mutex_name, size_t size,
                                 bool (*init)(void *view), px_host_handle *mutex_out)
{
    px_host_handle section = px_host_section_new(NULL, size, true, false, section_name, NULL);
    if (!section) return NULL;
    void *view = px_host_view_map(section, 0, size, NULL, true);
    px_host_handle mutex = view ? px_host_mutex_named(mutex_name, NULL) : NULL;
    if (mutex) {
        bool abandoned;
        if (px_host_mutex_take(mutex, &abandoned) == 0) {
            bool ok = init(view);
            px_host_mutex_release(mutex);
            if (ok) {
                *mutex_out = mutex;
                return view; /* the section handle stays open (above) */
            }
        }
        px_host_close(mutex);
    }
    if (view) px_host_view_unmap(view);
    px_host_close(section);
    return NULL;
}
