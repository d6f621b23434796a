/* A static-pie sample for elf_test (a valid ET_DYN). */
#include <stdio.h>
int main(int argc, char **argv) { printf("%d %s\n", argc, argv[0]); return 0; }
