/* host_build.h on Win32: the DLL's own PE header. */
#include <windows.h>
#include "host/host_build.h"

extern IMAGE_DOS_HEADER __ImageBase; /* the linker's symbol for this module's base */

uint64_t px_host_build_stamp(void)
{
    const uint8_t *base = (const uint8_t *)&__ImageBase;
    __asm__("" : "+r"(base)); /* the headers reach past the DOS header the symbol is typed as */
    const IMAGE_NT_HEADERS64 *nt = (const IMAGE_NT_HEADERS64 *)(base + ((const IMAGE_DOS_HEADER *)base)->e_lfanew);
    return ((uint64_t)nt->FileHeader.TimeDateStamp << 32) ^ nt->OptionalHeader.SizeOfImage ^
           ((uint64_t)nt->OptionalHeader.CheckSum << 16);
}
