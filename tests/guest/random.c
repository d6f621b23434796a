/* getrandom: lengths, flags, and two draws that differ. */
#include "guest.h"
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    GUEST_START();
    unsigned char a[300], b[256];
    EXPECT_RET("getrandom 0 bytes", getrandom(a, 0, 0), 0);
    EXPECT_RET("getrandom 1 byte", getrandom(a, 1, 0), 1);
    EXPECT_RET("getrandom 16 bytes", getrandom(a, 16, 0), 16);
    EXPECT_RET("getrandom 256 bytes", getrandom(a, 256, 0), 256);
    EXPECT_RET("getrandom 256 bytes again", getrandom(b, 256, 0), 256);
    CHECK("two draws differ", memcmp(a, b, 256) != 0);
    int zeros = 0;
    for (int i = 0; i < 256; i++) zeros += a[i] == 0;
    CHECK("not mostly zeros", zeros < 32);
    EXPECT_RET("GRND_NONBLOCK", getrandom(a, 32, GRND_NONBLOCK), 32);
    EXPECT_RET("GRND_RANDOM", getrandom(a, 8, GRND_RANDOM), 8);
    static unsigned char big[1 << 20];
    long got = syscall(SYS_getrandom, big, sizeof big, 0);
    CHECK("a large request returns a positive count", got > 0 && got <= (long)sizeof big);
    EXPECT_ERRNO("bad flags", syscall(SYS_getrandom, a, 8, 0x1000), EINVAL);
    EXPECT_RET("getentropy 32", getentropy(a, 32), 0);
    EXPECT_ERRNO("getentropy 257", getentropy(a, 257), EIO);
    return GUEST_END();
}
