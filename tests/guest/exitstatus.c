/* Exits with the status given as its argument (exit(N) keeps N & 0xff). */
#include <stdlib.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int status = argc > 1 ? atoi(argv[1]) : 0;
    printf("exiting with %d\n", status);
    fflush(stdout);
    if (argc > 2) _Exit(status);   /* a second argument: without stdio's exit handlers */
    exit(status);
}
