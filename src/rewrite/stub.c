/* STUB: replaced by the rewriter. */
#include "core/px.h"
#include "rewrite/rewrite.h"
px_rewrite_counters px_rewrite_stats;
int px_rewrite_init(void) { return 0; }
int64_t px_rewrite_region(uint64_t start, uint64_t len) { (void)start; (void)len; return -LINUX_ENOSYS; }
enum px_trap_kind px_rewrite_classify_trap(uint64_t rip, uint64_t *resume) { (void)rip; (void)resume; return PX_TRAP_NONE; }
