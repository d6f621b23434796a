/* O_APPEND writes that land whole at the end of the file whatever other processes do
   at the same time, as on Linux. Windows' "write at the end of file" (what
   PX_HOST_OFFSET_END asks for) is atomic within one NT kernel, but Wine finds the end
   and writes in two steps of the calling process, so two processes appending at once
   can write at the same offset and one record overwrites the other. Here the size is
   read and the data written under a host byte-range lock of one byte far past any data
   of the file: every handle of every process that appends to the file takes the same
   lock, so the find-the-end-and-write pair is one step for all of them. Host locks go
   with the handle: a process that dies holding it leaves nothing locked. */
#include "fs/fs_internal.h"
#include "host/host_fileinfo.h"

/* The byte locked: past any data (Linux's largest file offset is 2^63-1), and apart from
   the lxfs log's own lock (lxfs_disk.c, at 2^62). */
#define APPEND_LOCK_OFFSET 0x7ffffffffffff000ull

int64_t px_append_write(void *h, const void *buf, size_t len, uint64_t *end_after)
{
    int64_t locked = px_host_file_lock(h, APPEND_LOCK_OFFSET, 1, true, true);
    uint64_t size;
    int64_t r = px_host_file_size(h, &size);
    if (r == 0) {
        /* without the lock (a host that refuses it), the host's own end-of-file write */
        r = px_host_file_pwrite(h, buf, len, locked == 0 ? size : PX_HOST_OFFSET_END);
        if (r >= 0 && end_after) {
            if (locked == 0) *end_after = size + (uint64_t)r;
            else if (px_host_file_size(h, &size) == 0) *end_after = size;
        }
    }
    if (locked == 0) px_host_file_unlock(h, APPEND_LOCK_OFFSET, 1);
    return r;
}
