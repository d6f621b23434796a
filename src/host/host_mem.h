/* Host memory: reservations, commits, protections, queries; sections and their views. */
#ifndef PX_HOST_MEM_H
#define PX_HOST_MEM_H

#include "host/host.h"

/* Page access as bits: any combination (write implies read on the host). */
#define PX_HOST_PROT_NONE 0
#define PX_HOST_PROT_READ 1
#define PX_HOST_PROT_WRITE 2
#define PX_HOST_PROT_EXEC 4
/* With WRITE, on a copy-on-write view: a write makes the page private (PAGE_WRITECOPY). */
#define PX_HOST_PROT_COPY 8

/* Reserves len bytes at `at` (NULL: anywhere), inaccessible. The base, or NULL. */
void *px_host_mem_reserve(void *at, size_t len);
/* The same anywhere, from the top of the address space down (as Linux places mmap),
   away from the host's own heaps, which grow from the bottom. */
void *px_host_mem_reserve_high(size_t len);
/* Reserves and commits (zero pages) with prot. The base, or NULL. */
void *px_host_mem_alloc(void *at, size_t len, int prot);
int64_t px_host_mem_commit(void *at, size_t len, int prot);
int64_t px_host_mem_decommit(void *at, size_t len);
/* Frees the whole reservation that begins at base. */
int64_t px_host_mem_release(void *base);
/* *old (if not NULL) gets the first page's previous prot. */
int64_t px_host_mem_protect(void *at, size_t len, int prot, int *old);
/* Committed pages made read-write guard pages: the first access raises the host's
   guard-page exception once, and the pages are plain read-write from then on (how
   Windows lets a stack overflow be handled on the overflowing stack itself). */
int64_t px_host_mem_guard(void *at, size_t len);

enum px_host_mem_state { PX_HOST_MEM_FREE, PX_HOST_MEM_RESERVED, PX_HOST_MEM_COMMITTED };
/* A run of pages alike in state and prot, from the page of the address asked. */
typedef struct px_host_region {
    uint64_t base, size;       /* this run */
    uint64_t allocation_base;  /* its reservation's base (0 for free memory) */
    enum px_host_mem_state state;
    int prot;                  /* PX_HOST_PROT_* of committed pages */
    bool mapped;               /* a view of a section (or an image), not private memory */
    bool guard;                /* committed guard pages (px_host_mem_guard): reading them costs the guard */
} px_host_region;
int64_t px_host_mem_query(const void *at, px_host_region *out);
/* The lowest and highest address the process may map. */
void px_host_mem_bounds(uint64_t *lowest, uint64_t *highest);
/* Reservations begin at multiples of this (64 KiB on Windows). */
uint64_t px_host_mem_granularity(void);
/* After writing code through data pointers. */
void px_host_flush_icache(void);

/* A section: memory that views map, backed by file (NULL: the pagefile) of size bytes
   (0 with a file: its size). name: a named section other processes open (NULL: none);
   *existed (if not NULL) says another process had made it. NULL on failure. */
px_host_handle px_host_section_new(px_host_handle file, uint64_t size, bool writable, bool inheritable,
                                   const wchar_t *name, bool *existed);
px_host_handle px_host_section_open(const wchar_t *name, bool writable);
/* Maps size bytes (0: all) of the section from offset at `at` (NULL: anywhere). NULL on failure. */
void *px_host_view_map(px_host_handle section, uint64_t offset, size_t size, void *at, bool writable);
/* The same as a copy-on-write view (FILE_MAP_COPY) of a read-only section: the pages
   show the file (writes by others show through) until this process writes one. */
void *px_host_view_map_copy(px_host_handle section, uint64_t offset, size_t size, void *at);
int64_t px_host_view_unmap(void *view);
/* Writes a view's dirty pages to its file. */
int64_t px_host_view_flush(void *at, size_t len);
/* fork: a handle of another process (one with the right to duplicate its handles), such
   as a section its views map, as a handle of this one with the same access: 0 and *out,
   or -LINUX_Exxx. */
int64_t px_host_handle_from(px_host_handle process, uint64_t value, px_host_handle *out);

/* Whether the page at `at` may be read without a fault of any kind (committed,
   readable, not a guard page); *run_end: where the run of pages alike ends. (trace.c) */
bool px_host_mem_readable(const void *at, uint64_t *run_end);

#endif
