/* A store log kept in memory, for the unit tests of the stores that append records to
   a log file (lxfs's lxstore.c, drvfs's drvfs_meta_store.c): their append hook. */
#ifndef TESTS_UNIT_MEMLOG_H
#define TESTS_UNIT_MEMLOG_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct memlog { uint8_t *buf; size_t len, cap; } memlog;

static inline int64_t mem_append(void *io, const uint8_t *rec, size_t len)
{
    memlog *m = io;
    if (m->len + len > m->cap) {
        m->cap = (m->len + len) * 2;
        m->buf = realloc(m->buf, m->cap);
    }
    memcpy(m->buf + m->len, rec, len);
    m->len += len;
    return 0;
}

#endif
