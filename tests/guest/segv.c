/* Dereferences NULL: the process dies of SIGSEGV (status 128 + 11 in a shell). */
#include <stdio.h>

int main(void)
{
    printf("before the fault\n");
    fflush(stdout);
    volatile int *p = (volatile int *)0;
    *p = 1;
    printf("after the fault: must not print\n");
    return 0;
}
