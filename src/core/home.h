/* picolx's own per-user directory: %PICOLX_HOME%, else %LOCALAPPDATA%\picolx (the
   registry of installed distros, the stat memo). */
#ifndef PX_CORE_HOME_H
#define PX_CORE_HOME_H

#include <stdbool.h>
#include <wchar.h>

/* "<home>\leaf" (px_alloc'd), or NULL when no home can be named. create: make the home
   directory if it is missing (not leaf itself). */
wchar_t *px_home_path(const wchar_t *leaf, bool create);

#endif
