/* One open file description read by two threads (issue 9): each read takes its bytes
   at the shared position and moves it, one read at a time (Linux's f_pos_lock), so every
   8-byte record of the file is read exactly once, whole; the same for writes appending
   through one description's position. Runs in the cwd. */
#include "guest.h"
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define RECORDS 20000

static int fd;
static int seen[RECORDS], torn;

static void *reader(void *arg)
{
    char rec[9] = {0};
    for (;;) {
        ssize_t n = read(fd, rec, 8);
        if (n <= 0) break;
        int v = atoi(rec);
        if (n != 8 || v < 0 || v >= RECORDS) __atomic_add_fetch(&torn, 1, __ATOMIC_SEQ_CST);
        else __atomic_add_fetch(&seen[v], 1, __ATOMIC_SEQ_CST);
    }
    return arg;
}

static void *writer(void *arg)
{
    char rec[9];
    for (int i = 0; i < RECORDS / 2; i++) {
        snprintf(rec, sizeof rec, "%c%06d\n", (int)(intptr_t)arg, i);
        if (write(fd, rec, 8) != 8) __atomic_add_fetch(&torn, 1, __ATOMIC_SEQ_CST);
    }
    return arg;
}

int main(void)
{
    GUEST_START();
    FILE *f = fopen("records", "w");
    for (int i = 0; i < RECORDS; i++) fprintf(f, "%07d\n", i);
    fclose(f);
    fd = open("records", O_RDONLY);
    pthread_t a, b;
    pthread_create(&a, NULL, reader, NULL);
    pthread_create(&b, NULL, reader, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    close(fd);
    int once = 0, more = 0, missed = 0;
    for (int i = 0; i < RECORDS; i++) {
        if (seen[i] == 1) once++;
        else if (seen[i]) more++;
        else missed++;
    }
    printf("two readers: read once %d, more than once %d, missed %d, torn %d\n", once, more, missed, torn);

    fd = open("records", O_WRONLY | O_TRUNC);
    pthread_create(&a, NULL, writer, (void *)(intptr_t)'a');
    pthread_create(&b, NULL, writer, (void *)(intptr_t)'b');
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("two writers: the file holds %ld bytes (every record its own place)\n", (long)lseek(fd, 0, SEEK_END));
    close(fd);
    unlink("records");
    return GUEST_END();
}
