/* For tests/e2e/image_cache_e2e.py: prints what answer() returns, a constant in the
   program's code (mov $0x5a5a1234, %eax) that the test changes in the file between two
   runs, and makes a syscall and an %fs: access (errno), so that the rewriter has work. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

__attribute__((noipa)) int answer(void) { return 0x5a5a1234; }

int main(void)
{
    errno = 0;
    int bad = close(-1) == -1 && errno == EBADF;
    printf("answer %x, close(-1) EBADF %s\n", answer(), bad ? "yes" : "no");
    return 0;
}
