/* main.o of the make -j2 case (tests/e2e/fork/meson.build) */
#include <stdio.h>
#include "util.h"
int main(void) { printf("sum %d, %s\n", add_up(100), greeting()); return 0; }
