/* eventfd as Linux has it: counts, EFD_SEMAPHORE, EFD_NONBLOCK, overflow, poll, a read
   that waits for a thread's write, bad arguments. */
#include "guest.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

static int efd;

static void *writer(void *arg)
{
    usleep(100000);
    uint64_t v = 7;
    write(efd, &v, 8);
    return arg;
}

int main(void)
{
    GUEST_START();
    uint64_t v = 0;
    int fd = eventfd(3, 0);
    CHECK("eventfd(3, 0)", fd >= 0);
    EXPECT_RET("read", read(fd, &v, 8), 8);
    printf("value %llu\n", (unsigned long long)v);
    v = 5;
    EXPECT_RET("write 5", write(fd, &v, 8), 8);
    EXPECT_RET("write 6", write(fd, &(uint64_t){6}, 8), 8);
    EXPECT_RET("read", read(fd, &v, 8), 8);
    printf("value %llu\n", (unsigned long long)v);
    EXPECT_ERRNO("read of 4 bytes", read(fd, &v, 4), EINVAL);
    EXPECT_ERRNO("write of UINT64_MAX", write(fd, &(uint64_t){UINT64_MAX}, 8), EINVAL);
    close(fd);

    fd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
    CHECK("eventfd(2, SEMAPHORE|NONBLOCK|CLOEXEC)", fd >= 0);
    EXPECT_RET("F_GETFD", fcntl(fd, F_GETFD), FD_CLOEXEC);
    EXPECT_RET("read 1", read(fd, &v, 8), 8);
    printf("value %llu\n", (unsigned long long)v);
    EXPECT_RET("read 2", read(fd, &v, 8), 8);
    printf("value %llu\n", (unsigned long long)v);
    EXPECT_ERRNO("read at 0, nonblocking", read(fd, &v, 8), EAGAIN);
    struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
    EXPECT_RET("poll at 0", poll(&p, 1, 0), 1);
    printf("revents %#x\n", p.revents);
    EXPECT_RET("write max", write(fd, &(uint64_t){0xfffffffffffffffeull}, 8), 8);
    EXPECT_ERRNO("write past max, nonblocking", write(fd, &(uint64_t){1}, 8), EAGAIN);
    p.revents = 0;
    EXPECT_RET("poll at max", poll(&p, 1, 0), 1);
    printf("revents %#x\n", p.revents);
    close(fd);

    efd = eventfd(0, 0);
    pthread_t t;
    pthread_create(&t, NULL, writer, NULL);
    EXPECT_RET("read that waits for the writer", read(efd, &v, 8), 8);
    printf("value %llu\n", (unsigned long long)v);
    pthread_join(t, NULL);
    close(efd);
    EXPECT_ERRNO("eventfd(0, bad flag)", eventfd(0, 0x10), EINVAL);
    return GUEST_END();
}
