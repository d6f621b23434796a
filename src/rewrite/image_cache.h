/* The image cache, the rewriter's side: the result of rewriting a region of code loaded
   from a file (the program, ld.so, a shared library), stored in picolx's home
   (core/image_store.h) and taken from there the next time the same bytes are to be
   rewritten, moved to wherever they are now, without decoding anything. */
#ifndef PX_REWRITE_IMAGE_CACHE_H
#define PX_REWRITE_IMAGE_CACHE_H

#include <stdint.h>

/* px_rewrite_region for [start, start+len), through the cache when it is on: a stored
   result for exactly these bytes is applied; otherwise the region is rewritten and the
   result stored. Returns 0 or -LINUX_Exxx, as px_rewrite_region. */
int64_t px_image_cache_rewrite(uint64_t start, uint64_t len);

#endif
