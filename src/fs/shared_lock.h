/* A lock word in memory several processes map (pipe rings, shared eventfd and timerfd
   states): it holds the holder's Windows process id, 0 when free. A holder that died
   holding it (killed inside its copy) is found out and the lock taken from it. Held for
   short steps only: waiters spin, then yield. */
#ifndef PX_FS_SHARED_LOCK_H
#define PX_FS_SHARED_LOCK_H

#include <stdint.h>

void px_shared_lock(uint32_t *word);
void px_shared_unlock(uint32_t *word);

#endif
