/* PICOLX_TIMING=1: a start-up timing report on stderr at exit. Off by default; when off,
   each hook is one load and branch. Times come from the host's monotonic counter; a
   child process started for a fixed-address program (loader/spawn.c) reports against its
   parent's origin, so both reports share one time line. */
#ifndef PX_CORE_TIMING_H
#define PX_CORE_TIMING_H

#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>
#include <stdint.h>

extern bool px_timing_on;

/* Reads PICOLX_TIMING (and the parent's origin, in a child); first thing in PxRun. */
void px_timing_init(void);
/* A timestamp for px_timing_work (0 when the report is off). */
uint64_t px_timing_now(void);
/* A point in the start-up ("ELF loaded"); what must be a string literal. */
void px_timing_mark(const char *what);
/* A piece of work that began at since (px_timing_now): what (a literal), where and how
   many bytes. Summed per kind; the first ones are also listed one by one. */
void px_timing_work(const char *what, uint64_t addr, uint64_t bytes, uint64_t since);
/* Adds ticks (px_timing_now units) measured elsewhere to the sum of kind what: for the
   phases inside a piece of work (not listed one by one). */
void px_timing_add(const char *what, uint64_t count, uint64_t bytes, uint64_t ticks);
/* Prints the report once (later calls do nothing). */
void px_timing_report(void);
/* For spawn.c: the environment variable that hands the origin to the child, and its
   value (hex QPC ticks) in value (size characters); false when the report is off. */
#define PX_TIMING_ORIGIN_VAR L"PICOLX_TIMING_ORIGIN"
bool px_timing_origin_value(wchar_t *value, size_t size);

#endif
