/* util.o of the make -j2 case (tests/e2e/fork/meson.build) */
#include "util.h"
int add_up(int n) { int s = 0; for (int i = 1; i <= n; i++) s += i; return s; }
const char *greeting(void) { return "built by make -j2"; }
