/* The store of picolx's image cache: entries as files in <home>\image-cache, by a 128-bit
   key, each written whole to a temporary file and renamed into place (a writer killed
   midway leaves only a .tmp that is never read, and is swept later), checked when read
   (length, key and a hash of the payload: a torn or foreign file is never used), kept
   under a size limit by least-recently-used eviction. What an entry holds is the
   rewriter's (rewrite/image_cache.c). */
#ifndef PX_CORE_IMAGE_STORE_H
#define PX_CORE_IMAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A 128-bit hash of data[0, len) with a seed: not cryptographic; any one changed 8-byte
   word always changes it (each lane's step is a bijection of its state). */
void px_hash128(const void *data, size_t len, uint64_t seed, uint64_t out[2]);

/* The cache is on unless PICOLX_IMAGE_CACHE=off (read once), and picolx has a home. */
bool px_image_cache_on(void);

/* The payload stored under key (mapped read-only at *payload, *len bytes, until
   px_image_cache_release): 0, -LINUX_ENOENT when there is none or it failed its checks
   (a bad one is deleted). Marks it used now. */
int64_t px_image_cache_get(const uint64_t key[2], const void **payload, size_t *len);
void px_image_cache_release(const void *payload);
/* Stores payload under key (replacing what is there), then evicts the least recently
   used entries while the cache is over its limit. Best effort: failures are silent. */
void px_image_cache_put(const uint64_t key[2], const void *payload, size_t len);

/* The size limit in bytes: <home>\image-cache-limit holds a number of MiB, or of KiB or
   GiB with a K or G after it (default 1024 MiB). */
uint64_t px_image_cache_limit(void);
/* Calls fn for each entry (its file name, size in bytes, last use in 100 ns units since
   1601); *count and *bytes: the totals. 0 or -LINUX_Exxx. */
int64_t px_image_cache_list(void (*fn)(void *ctx, const char *name, uint64_t size, int64_t used), void *ctx,
                            uint64_t *count, uint64_t *bytes);
/* Deletes every entry (and leftover temporary file). 0 or -LINUX_Exxx. */
int64_t px_image_cache_clear(void);

#endif
