/* host_ea.h on NT: NtQueryEaFile and NtSetEaFile with FILE_FULL_EA_INFORMATION lists. */
#include <windows.h>
#include <winternl.h>
#include "core/errors.h"
#include "core/px.h"
#include "host/host_ea.h"

_Static_assert(PX_HOST_ACCESS_READ_EA == FILE_READ_EA && PX_HOST_ACCESS_WRITE_EA == FILE_WRITE_EA,
               "PX_HOST_ACCESS_*_EA are NT's");

NTSTATUS NTAPI NtQueryEaFile(HANDLE, PIO_STATUS_BLOCK, PVOID, ULONG, BOOLEAN, PVOID, ULONG, PULONG, BOOLEAN);
NTSTATUS NTAPI NtSetEaFile(HANDLE, PIO_STATUS_BLOCK, PVOID, ULONG);

#ifndef FILE_SUPPORTS_EXTENDED_ATTRIBUTES
#define FILE_SUPPORTS_EXTENDED_ATTRIBUTES 0x00800000
#endif
#define STATUS_NO_EAS_ON_FILE_ ((NTSTATUS)0xC0000052L)
#define STATUS_BUFFER_OVERFLOW_ ((NTSTATUS)0x80000005L)

/* FILE_FULL_EA_INFORMATION (ntifs.h), spelled out: mingw's winternl.h lacks it. */
typedef struct full_ea {
    ULONG next;
    UCHAR flags;
    UCHAR name_len;
    USHORT value_len;
    CHAR name[1]; /* the name, a NUL, then the value */
} full_ea;

static const struct { const char *name; uint32_t bit; } lx_names[] = {
    {"$LXUID", PX_HOST_LX_UID}, {"$LXGID", PX_HOST_LX_GID}, {"$LXMOD", PX_HOST_LX_MODE}, {"$LXDEV", PX_HOST_LX_DEV},
};

bool px_host_volume_has_eas(px_host_handle h)
{
    _Alignas(8) unsigned char buf[sizeof(FILE_FS_ATTRIBUTE_INFORMATION) + 64 * sizeof(WCHAR)];
    IO_STATUS_BLOCK io;
    NTSTATUS s = NtQueryVolumeInformationFile(h, &io, buf, sizeof buf, FileFsAttributeInformation);
    if (!NT_SUCCESS(s) && s != STATUS_BUFFER_OVERFLOW_) return false;
    return (((FILE_FS_ATTRIBUTE_INFORMATION *)buf)->FileSystemAttributes & FILE_SUPPORTS_EXTENDED_ATTRIBUTES) != 0;
}

static uint32_t u32_at(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

int64_t px_host_lx_ea_get(px_host_handle h, px_host_lx_ea *out)
{
    memset(out, 0, sizeof *out);
    _Alignas(8) unsigned char buf[4096];
    IO_STATUS_BLOCK io;
    NTSTATUS s = NtQueryEaFile(h, &io, buf, sizeof buf, FALSE, NULL, 0, NULL, TRUE);
    if (s == STATUS_NO_EAS_ON_FILE_) return 0;
    if (!NT_SUCCESS(s)) return px_err_nt(s);
    for (size_t at = 0; at + sizeof(full_ea) <= sizeof buf;) {
        const full_ea *e = (const full_ea *)(buf + at);
        const unsigned char *value = (const unsigned char *)e->name + e->name_len + 1;
        for (size_t i = 0; i < PX_ARRAY_LEN(lx_names); i++) {
            if (e->name_len != 6 || _strnicmp(e->name, lx_names[i].name, 6)) continue;
            uint32_t bit = lx_names[i].bit;
            if (bit == PX_HOST_LX_DEV ? e->value_len < 8 : e->value_len < 4) continue;
            out->have |= bit;
            if (bit == PX_HOST_LX_UID) out->uid = u32_at(value);
            if (bit == PX_HOST_LX_GID) out->gid = u32_at(value);
            if (bit == PX_HOST_LX_MODE) out->mode = u32_at(value);
            if (bit == PX_HOST_LX_DEV) {
                out->dev_major = u32_at(value);
                out->dev_minor = u32_at(value + 4);
            }
        }
        if (!e->next) break;
        at += e->next;
    }
    return 0;
}

int64_t px_host_lx_ea_set(px_host_handle h, const px_host_lx_ea *in)
{
    _Alignas(8) unsigned char buf[256];
    size_t at = 0;
    full_ea *last = NULL;
    for (size_t i = 0; i < PX_ARRAY_LEN(lx_names); i++) {
        uint32_t bit = lx_names[i].bit;
        if (!(in->have & bit)) continue;
        uint32_t v[2] = {bit == PX_HOST_LX_UID ? in->uid : bit == PX_HOST_LX_GID ? in->gid
                         : bit == PX_HOST_LX_MODE ? in->mode : in->dev_major, in->dev_minor};
        USHORT len = bit == PX_HOST_LX_DEV ? 8 : 4;
        full_ea *e = (full_ea *)(buf + at);
        memset(e, 0, sizeof *e);
        e->name_len = 6;
        e->value_len = len;
        memcpy(e->name, lx_names[i].name, 7);
        memcpy(e->name + 7, v, len); /* x86-64: little-endian, as WSL's */
        size_t size = (offsetof(full_ea, name) + 7 + len + 3) & ~(size_t)3;
        if (last) last->next = (ULONG)((unsigned char *)e - (unsigned char *)last);
        last = e;
        at += size;
    }
    if (!at) return 0;
    IO_STATUS_BLOCK io;
    NTSTATUS s = NtSetEaFile(h, &io, buf, (ULONG)at);
    return NT_SUCCESS(s) ? 0 : px_err_nt(s);
}
