/* host_mem.h on Win32: VirtualAlloc and friends, file mappings. */
#include <windows.h>
#include "core/errors.h"
#include "core/px.h"
#include "host/host_mem.h"

static DWORD page_protection(int prot)
{
    bool w = prot & PX_HOST_PROT_WRITE, r = (prot & PX_HOST_PROT_READ) || w, x = prot & PX_HOST_PROT_EXEC;
    if (w && (prot & PX_HOST_PROT_COPY)) return x ? PAGE_EXECUTE_WRITECOPY : PAGE_WRITECOPY;
    if (x) return w ? PAGE_EXECUTE_READWRITE : r ? PAGE_EXECUTE_READ : PAGE_EXECUTE;
    return w ? PAGE_READWRITE : r ? PAGE_READONLY : PAGE_NOACCESS;
}

static int prot_of(DWORD protection)
{
    switch (protection & 0xff) {
    case PAGE_READONLY: return PX_HOST_PROT_READ;
    case PAGE_READWRITE: case PAGE_WRITECOPY: return PX_HOST_PROT_READ | PX_HOST_PROT_WRITE;
    case PAGE_EXECUTE: return PX_HOST_PROT_EXEC;
    case PAGE_EXECUTE_READ: return PX_HOST_PROT_READ | PX_HOST_PROT_EXEC;
    case PAGE_EXECUTE_READWRITE: case PAGE_EXECUTE_WRITECOPY:
        return PX_HOST_PROT_READ | PX_HOST_PROT_WRITE | PX_HOST_PROT_EXEC;
    default: return PX_HOST_PROT_NONE;
    }
}

void *px_host_mem_reserve(void *at, size_t len) { return VirtualAlloc(at, len, MEM_RESERVE, PAGE_NOACCESS); }

void *px_host_mem_reserve_high(size_t len)
{
    return VirtualAlloc(NULL, len, MEM_RESERVE | MEM_TOP_DOWN, PAGE_NOACCESS);
}

void *px_host_mem_alloc(void *at, size_t len, int prot)
{
    return VirtualAlloc(at, len, MEM_RESERVE | MEM_COMMIT, page_protection(prot));
}

int64_t px_host_mem_commit(void *at, size_t len, int prot)
{
    return VirtualAlloc(at, len, MEM_COMMIT, page_protection(prot)) ? 0 : px_err_last();
}

int64_t px_host_mem_decommit(void *at, size_t len)
{
    return VirtualFree(at, len, MEM_DECOMMIT) ? 0 : px_err_last();
}

int64_t px_host_mem_release(void *base) { return VirtualFree(base, 0, MEM_RELEASE) ? 0 : px_err_last(); }

int64_t px_host_mem_protect(void *at, size_t len, int prot, int *old)
{
    DWORD was;
    if (!VirtualProtect(at, len, page_protection(prot), &was)) return px_err_last();
    if (old) *old = prot_of(was);
    return 0;
}

int64_t px_host_mem_guard(void *at, size_t len)
{
    DWORD was;
    return VirtualProtect(at, len, PAGE_READWRITE | PAGE_GUARD, &was) ? 0 : px_err_last();
}

int64_t px_host_mem_query(const void *at, px_host_region *out)
{
    MEMORY_BASIC_INFORMATION mbi;
    if (VirtualQuery(at, &mbi, sizeof mbi) != sizeof mbi) return px_err_last();
    *out = (px_host_region){
        .base = (uint64_t)(uintptr_t)mbi.BaseAddress,
        .size = mbi.RegionSize,
        .allocation_base = (uint64_t)(uintptr_t)mbi.AllocationBase,
        .state = mbi.State == MEM_COMMIT ? PX_HOST_MEM_COMMITTED
               : mbi.State == MEM_RESERVE ? PX_HOST_MEM_RESERVED : PX_HOST_MEM_FREE,
        .prot = mbi.State == MEM_COMMIT ? prot_of(mbi.Protect) : PX_HOST_PROT_NONE,
        .mapped = mbi.Type == MEM_MAPPED || mbi.Type == MEM_IMAGE,
        .guard = mbi.State == MEM_COMMIT && (mbi.Protect & PAGE_GUARD),
    };
    return 0;
}

void px_host_mem_bounds(uint64_t *lowest, uint64_t *highest)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    *lowest = (uint64_t)(uintptr_t)si.lpMinimumApplicationAddress;
    *highest = (uint64_t)(uintptr_t)si.lpMaximumApplicationAddress;
}

uint64_t px_host_mem_granularity(void)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwAllocationGranularity;
}

void px_host_flush_icache(void) { FlushInstructionCache(GetCurrentProcess(), NULL, 0); }

px_host_handle px_host_section_new(px_host_handle file, uint64_t size, bool writable, bool inheritable,
                                   const wchar_t *name, bool *existed)
{
    SECURITY_ATTRIBUTES inherit = {.nLength = sizeof inherit, .bInheritHandle = TRUE};
    HANDLE h = CreateFileMappingW(file ? file : INVALID_HANDLE_VALUE, inheritable ? &inherit : NULL,
                                  writable ? PAGE_READWRITE : PAGE_READONLY, (DWORD)(size >> 32), (DWORD)size, name);
    if (existed) *existed = h && GetLastError() == ERROR_ALREADY_EXISTS;
    return h;
}

px_host_handle px_host_section_open(const wchar_t *name, bool writable)
{
    return OpenFileMappingW(writable ? FILE_MAP_READ | FILE_MAP_WRITE : FILE_MAP_READ, FALSE, name);
}

void *px_host_view_map(px_host_handle section, uint64_t offset, size_t size, void *at, bool writable)
{
    return MapViewOfFileEx(section, writable ? FILE_MAP_READ | FILE_MAP_WRITE : FILE_MAP_READ, (DWORD)(offset >> 32),
                           (DWORD)offset, size, at);
}

void *px_host_view_map_copy(px_host_handle section, uint64_t offset, size_t size, void *at)
{
    return MapViewOfFileEx(section, FILE_MAP_COPY, (DWORD)(offset >> 32), (DWORD)offset, size, at);
}

int64_t px_host_view_unmap(void *view) { return UnmapViewOfFile(view) ? 0 : px_err_last(); }
int64_t px_host_view_flush(void *at, size_t len) { return FlushViewOfFile(at, len) ? 0 : px_err_last(); }

int64_t px_host_handle_from(px_host_handle process, uint64_t value, px_host_handle *out)
{
    HANDLE copy;
    if (!DuplicateHandle(process, (HANDLE)(uintptr_t)value, GetCurrentProcess(), &copy, 0, FALSE,
                         DUPLICATE_SAME_ACCESS))
        return px_err_last();
    *out = copy;
    return 0;
}

bool px_host_mem_readable(const void *at, uint64_t *run_end)
{
    MEMORY_BASIC_INFORMATION mbi;
    if (VirtualQuery(at, &mbi, sizeof mbi) != sizeof mbi) return false;
    DWORD readable = PAGE_READONLY | PAGE_READWRITE | PAGE_WRITECOPY | PAGE_EXECUTE_READ | PAGE_EXECUTE_READWRITE |
                     PAGE_EXECUTE_WRITECOPY;
    *run_end = (uint64_t)(uintptr_t)mbi.BaseAddress + mbi.RegionSize;
    return mbi.State == MEM_COMMIT && (mbi.Protect & readable) && !(mbi.Protect & PAGE_GUARD);
}
