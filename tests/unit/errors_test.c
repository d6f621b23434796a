/* The error tables (src/core/errors.c), run natively: every row is unique, none maps
   to success, every errno is a real one, and the lookups agree with the rows. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "core/px.h"
#include "core/errors.h"

struct table {
    const char *what;
    const px_err_row *rows;
    int64_t (*lookup)(uint32_t code);
};

static int64_t lookup_nt(uint32_t code) { return px_err_nt((int32_t)code); }

static const struct table tables[] = {
    {"win32", px_err_win32_rows, px_err_win32},
    {"nt", px_err_nt_rows, lookup_nt},
    {"winsock", px_err_winsock_rows, px_err_winsock},
};

static size_t count_of(size_t i)
{
    return i == 0 ? px_err_win32_count : i == 1 ? px_err_nt_count : px_err_winsock_count;
}

Test(errors, rows_are_unique)
{
    for (size_t t = 0; t < PX_ARRAY_LEN(tables); t++) {
        const px_err_row *rows = tables[t].rows;
        size_t n = count_of(t);
        cr_expect_gt(n, 0, "%s table is empty", tables[t].what);
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++) {
                cr_expect_neq(rows[i].code, rows[j].code, "%s: %s and %s share the code %#x", tables[t].what,
                              rows[i].name, rows[j].name, rows[i].code);
                cr_expect_str_neq(rows[i].name, rows[j].name, "%s: %s is listed twice", tables[t].what,
                                  rows[i].name);
            }
    }
}

Test(errors, nothing_maps_to_success)
{
    for (size_t t = 0; t < PX_ARRAY_LEN(tables); t++)
        for (size_t i = 0; i < count_of(t); i++) {
            const px_err_row *r = &tables[t].rows[i];
            cr_expect(r->linux_errno > 0 && r->linux_errno < LINUX_MAX_ERRNO, "%s: %s maps to %d",
                      tables[t].what, r->name, r->linux_errno);
            cr_expect_not_null(px_errno_name(r->linux_errno), "%s: %s maps to %d, which is no errno",
                               tables[t].what, r->name, r->linux_errno);
        }
}

Test(errors, lookups_follow_the_rows)
{
    for (size_t t = 0; t < PX_ARRAY_LEN(tables); t++)
        for (size_t i = 0; i < count_of(t); i++) {
            const px_err_row *r = &tables[t].rows[i];
            cr_expect_eq(tables[t].lookup(r->code), -(int64_t)r->linux_errno, "%s: %s", tables[t].what, r->name);
        }
}

/* End of file is no error: it has no row, so it can never come back as 0 (a success
   a caller would take for a 0-byte transfer); the readers check for it themselves. */
Test(errors, end_of_file_is_not_success)
{
    const uint32_t error_handle_eof = 38, status_end_of_file = 0xC0000011;
    cr_expect_eq(px_err_win32(error_handle_eof), -LINUX_EIO);
    cr_expect_eq(px_err_nt((int32_t)status_end_of_file), -LINUX_EIO);
}

Test(errors, unknown_codes_are_eio)
{
    cr_expect_eq(px_err_win32(0), -LINUX_EIO);       /* ERROR_SUCCESS as an error: never 0 */
    cr_expect_eq(px_err_win32(0xdeadbeef), -LINUX_EIO);
    cr_expect_eq(px_err_nt(0), -LINUX_EIO);          /* STATUS_SUCCESS likewise */
    cr_expect_eq(px_err_winsock(12345), -LINUX_EIO);
}

Test(errors, some_known_rows)
{
    cr_expect_eq(px_err_win32(2), -LINUX_ENOENT);            /* ERROR_FILE_NOT_FOUND */
    cr_expect_eq(px_err_win32(183), -LINUX_EEXIST);          /* ERROR_ALREADY_EXISTS */
    cr_expect_eq(px_err_nt((int32_t)0xC0000034), -LINUX_ENOENT); /* STATUS_OBJECT_NAME_NOT_FOUND */
    cr_expect_eq(px_err_nt((int32_t)0xC00000BA), -LINUX_EISDIR);
    cr_expect_eq(px_err_winsock(10035), -LINUX_EAGAIN);      /* WSAEWOULDBLOCK */
    cr_expect_eq(px_err_winsock(10061), -LINUX_ECONNREFUSED);
}

Test(errors, errno_names)
{
    cr_expect_str_eq(px_errno_name(LINUX_EPERM), "EPERM");
    cr_expect_str_eq(px_errno_name(LINUX_ENOENT), "ENOENT");
    cr_expect_str_eq(px_errno_name(LINUX_EAGAIN), "EAGAIN");
    cr_expect_str_eq(px_errno_name(LINUX_ECONNRESET), "ECONNRESET");
    cr_expect_str_eq(px_errno_name(LINUX_EHWPOISON), "EHWPOISON");
    cr_expect_null(px_errno_name(0));
    cr_expect_null(px_errno_name(41));   /* a hole in Linux's numbering */
    cr_expect_null(px_errno_name(LINUX_ERESTARTSYS));
    cr_expect_null(px_errno_name(-1));
}
