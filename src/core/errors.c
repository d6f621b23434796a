/* Windows errors to Linux errno: the one place they are translated, host-neutral (the
   rows carry the codes' numeric values; errors_win.c checks them against the SDK), so
   tests/unit/errors_test.c runs the tables natively. Each table is one .inc file. */
#include "core/px.h"
#include "core/errors.h"

/* The lookups are switches: a code listed twice is a compile error (duplicate case). */
#define PX_ERR(name, value, err) case (uint32_t)(value): return -(int64_t)LINUX_##err;

int64_t px_err_win32(uint32_t err)
{
    switch (err) {
#include "core/errors_win32.inc"
    default: return -LINUX_EIO; /* unknown Windows errors surface as I/O errors */
    }
}

int64_t px_err_nt(int32_t status)
{
    switch ((uint32_t)status) {
#include "core/errors_nt.inc"
    default: return -LINUX_EIO; /* unknown NT errors surface as I/O errors */
    }
}

int64_t px_err_winsock(uint32_t err)
{
    switch (err) {
#include "core/errors_winsock.inc"
    default: return -LINUX_EIO;
    }
}
#undef PX_ERR

/* The same rows as data, for the tests. */
#define PX_ERR(name, value, err) {#name, (uint32_t)(value), LINUX_##err},
const px_err_row px_err_win32_rows[] = {
#include "core/errors_win32.inc"
};
const px_err_row px_err_nt_rows[] = {
#include "core/errors_nt.inc"
};
const px_err_row px_err_winsock_rows[] = {
#include "core/errors_winsock.inc"
};
#undef PX_ERR
const size_t px_err_win32_count = PX_ARRAY_LEN(px_err_win32_rows);
const size_t px_err_nt_count = PX_ARRAY_LEN(px_err_nt_rows);
const size_t px_err_winsock_count = PX_ARRAY_LEN(px_err_winsock_rows);

#define PX_ERRNO_NAME(name, value) [value] = #name,
static const char *const errno_names[] = {LINUX_ERRNO_LIST(PX_ERRNO_NAME)};
#undef PX_ERRNO_NAME

const char *px_errno_name(int64_t err)
{
    if (err <= 0 || err >= (int64_t)PX_ARRAY_LEN(errno_names)) return NULL;
    return errno_names[err];
}
