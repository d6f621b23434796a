/* Memory across fork, as Linux has it: MAP_SHARED memory (anonymous, and a file's) is
   shared between parent and child both ways, MAP_PRIVATE memory (anonymous, a file's)
   is a copy both ways, MADV_DONTFORK leaves a mapping out of the child and
   MADV_WIPEONFORK gives the child zeros; MADV_DOFORK and MADV_KEEPONFORK undo them, and
   wiping is for private anonymous memory only. A grandchild's writes reach its
   grandparent through shared memory too. Parent and child take turns through pipes
   (never sleeps); only the one whose turn it is prints. Runs in the cwd. */
#include "guest.h"
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define SHARED_LEN (3 * PAGE + 100) /* not a whole number of pages */

static int to_child[2], to_parent[2];
static volatile int vfork_seen; /* written by a vfork child */

/* One byte through a pipe: the other side's turn (so this side prints nothing after it). */
static void pass(int fd)
{
    if (write(fd, "t", 1) != 1) {
        printf("pipe write: FAIL\n");
        exit(2);
    }
}
static void await(int fd)
{
    char c;
    ssize_t n;
    while ((n = read(fd, &c, 1)) < 0 && errno == EINTR) {}
    if (n != 1) {
        printf("pipe read: FAIL\n");
        exit(2);
    }
}

static int all_are(const char *p, size_t len, char c)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != c) return 0;
    return 1;
}

/* Whether [p, p+len) is mapped: madvise says ENOMEM for a hole. */
static int mapped(void *p, size_t len) { return madvise(p, len, MADV_NORMAL) == 0; }

int main(void)
{
    GUEST_START();
    CHECK("pipes", pipe(to_child) == 0 && pipe(to_parent) == 0);

    char *sa = mmap(NULL, SHARED_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    char *pa = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int fd = open("fork_shared.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK("open", fd >= 0);
    CHECK("ftruncate", ftruncate(fd, 3 * PAGE) == 0);
    char *sf = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *pf = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK("mmap shared anonymous", sa != MAP_FAILED);
    CHECK("mmap private anonymous", pa != MAP_FAILED);
    CHECK("mmap shared file", sf != MAP_FAILED);
    CHECK("mmap private file", pf != MAP_FAILED);
    if (sa == MAP_FAILED || pa == MAP_FAILED || sf == MAP_FAILED || pf == MAP_FAILED) return GUEST_END();
    CHECK("shared anonymous starts zero", all_are(sa, SHARED_LEN, 0));
    memset(sa, 'p', SHARED_LEN);
    memset(pa, 'p', 2 * PAGE);
    memset(sf, 'p', 3 * PAGE);
    memset(pf, 'q', 3 * PAGE); /* private: the file keeps 'p' */
    /* a shared mapping split by mprotect: the read-only part stays shared too */
    CHECK("mprotect shared page read-only", mprotect(sa + 2 * PAGE, PAGE, PROT_READ) == 0);

    /* shared anonymous memory moved by mremap: the moved mapping is the one shared (its
       pages past the object's first page would be SIGBUS: the object does not grow) */
    char *grown = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap to grow", grown != MAP_FAILED);
    memset(grown, 'm', PAGE);
    grown = mremap(grown, PAGE, 3 * PAGE, MREMAP_MAYMOVE);
    CHECK("mremap grows shared anonymous", grown != MAP_FAILED);
    if (grown == MAP_FAILED) return GUEST_END();
    CHECK("mremap kept the bytes", all_are(grown, PAGE, 'm'));

    /* mremap with old_size 0: a second mapping of the same shared pages */
    char *alias = mremap(grown, 0, PAGE, MREMAP_MAYMOVE);
    CHECK("mremap old_size 0 of shared anonymous", alias != MAP_FAILED && alias != grown);
    if (alias == MAP_FAILED) return GUEST_END();
    alias[1] = 'a';
    CHECK("the alias shares the pages", grown[1] == 'a' && alias[0] == 'm');
    grown[1] = 'm';
    EXPECT_ERRNO("mremap old_size 0 of private memory", (long)mremap(pa, 0, PAGE, MREMAP_MAYMOVE), EINVAL);
    EXPECT_ERRNO("mremap old_size 0 without MREMAP_MAYMOVE", (long)mremap(grown, 0, PAGE, 0), ENOMEM);

    /* fork-time advice, and what Linux refuses */
    char *dontfork = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *wipe = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *undone = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *sa_dontfork = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap advised", dontfork != MAP_FAILED && wipe != MAP_FAILED && undone != MAP_FAILED &&
                          sa_dontfork != MAP_FAILED);
    memset(dontfork, 'd', 2 * PAGE);
    memset(wipe, 'w', 3 * PAGE);
    memset(undone, 'u', 2 * PAGE);
    memset(sa_dontfork, 's', PAGE);
    EXPECT_RET("MADV_DONTFORK", madvise(dontfork, 2 * PAGE, MADV_DONTFORK), 0);
    EXPECT_RET("MADV_WIPEONFORK middle page", madvise(wipe + PAGE, PAGE, MADV_WIPEONFORK), 0);
    EXPECT_RET("MADV_DONTFORK then", madvise(undone, PAGE, MADV_DONTFORK), 0);
    EXPECT_RET("MADV_WIPEONFORK then", madvise(undone + PAGE, PAGE, MADV_WIPEONFORK), 0);
    EXPECT_RET("MADV_DOFORK", madvise(undone, PAGE, MADV_DOFORK), 0);
    EXPECT_RET("MADV_KEEPONFORK", madvise(undone + PAGE, PAGE, MADV_KEEPONFORK), 0);
    EXPECT_RET("MADV_DONTFORK shared anonymous", madvise(sa_dontfork, PAGE, MADV_DONTFORK), 0);
    EXPECT_ERRNO("MADV_WIPEONFORK shared anonymous", madvise(sa, PAGE, MADV_WIPEONFORK), EINVAL);
    EXPECT_ERRNO("MADV_WIPEONFORK shared file", madvise(sf, PAGE, MADV_WIPEONFORK), EINVAL);
    EXPECT_ERRNO("MADV_WIPEONFORK private file", madvise(pf, PAGE, MADV_WIPEONFORK), EINVAL);
    EXPECT_RET("MADV_KEEPONFORK shared file", madvise(sf, PAGE, MADV_KEEPONFORK), 0);
    EXPECT_RET("MADV_DOFORK shared file", madvise(sf, PAGE, MADV_DOFORK), 0);
    fflush(stdout);

    /* vfork lends the child the whole address space: the advice is for fork only */
    pid_t vpid = vfork();
    if (vpid == 0) {
        vfork_seen = (dontfork[0] == 'd') + 2 * (wipe[PAGE] == 'w') + 4 * (sa[0] == 'p');
        _exit(0);
    }
    CHECK("vfork child sees advised memory as it is", vpid > 0 && waitpid(vpid, NULL, 0) == vpid && vfork_seen == 7);

    pid_t pid = fork(); /* nobody prints until the child has had its turn */
    if (pid < 0) {
        CHECK("fork", 0);
        return GUEST_END();
    }
    if (pid == 0) {
        /* the child's first turn: it has what the parent had */
        CHECK("child: shared anonymous has the parent's bytes", all_are(sa, SHARED_LEN, 'p'));
        CHECK("child: private anonymous has the parent's bytes", all_are(pa, 2 * PAGE, 'p'));
        CHECK("child: shared file has the parent's bytes", all_are(sf, 3 * PAGE, 'p'));
        CHECK("child: private file has the parent's bytes", all_are(pf, 3 * PAGE, 'q'));
        CHECK("child: MADV_DONTFORK range is unmapped", !mapped(dontfork, PAGE) && !mapped(dontfork + PAGE, PAGE));
        CHECK("child: MADV_DONTFORK range can be mapped anew",
              mmap(dontfork, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == dontfork);
        CHECK("child: shared MADV_DONTFORK range is unmapped", !mapped(sa_dontfork, PAGE));
        CHECK("child: WIPEONFORK page reads zero", all_are(wipe + PAGE, PAGE, 0));
        CHECK("child: pages around it are copied", all_are(wipe, PAGE, 'w') && all_are(wipe + 2 * PAGE, PAGE, 'w'));
        CHECK("child: DOFORK and KEEPONFORK undid the advice", mapped(undone, 2 * PAGE) && all_are(undone, 2 * PAGE, 'u'));
        memset(sa, 'c', 2 * PAGE);       /* the read-only third page stays 'p' */
        memset(sf + PAGE, 'c', PAGE);
        memset(pa, 'c', 2 * PAGE);
        memset(pf, 'c', 3 * PAGE);
        memset(wipe, 'c', 3 * PAGE);
        memset(alias + PAGE / 2, 'c', PAGE / 2); /* the alias: the same pages */
        CHECK("child: msync of the shared file", msync(sf, 3 * PAGE, MS_SYNC) == 0);
        fflush(stdout);
        pass(to_parent[1]);

        /* the child's second turn: the parent wrote */
        await(to_child[0]);
        CHECK("child: sees the parent's shared anonymous write", all_are(sa, PAGE, 'P') && all_are(sa + PAGE, PAGE, 'c'));
        CHECK("child: sees the parent's write on the read-only page", all_are(sa + 2 * PAGE, SHARED_LEN - 2 * PAGE, 'P'));
        CHECK("child: sees the parent's shared file write", all_are(sf, PAGE, 'P') && all_are(sf + PAGE, PAGE, 'c'));
        CHECK("child: private anonymous stays its own", all_are(pa, 2 * PAGE, 'c'));
        CHECK("child: private file stays its own", all_are(pf, 3 * PAGE, 'c'));
        char got[PAGE];
        CHECK("child: pread sees the shared file", pread(fd, got, PAGE, 2 * PAGE) == PAGE && all_are(got, PAGE, 'P'));
        /* a grandchild writes: the grandparent sees it */
        fflush(stdout);
        pid_t grandchild = fork();
        if (grandchild == 0) {
            memset(sa + PAGE, 'g', PAGE);
            memset(sf + 2 * PAGE, 'g', PAGE);
            _exit(all_are(sa, PAGE, 'P') ? 0 : 3);
        }
        int status = -1;
        CHECK("child: grandchild ended well", grandchild > 0 && waitpid(grandchild, &status, 0) == grandchild &&
                                              WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK("child: sees the grandchild's writes", all_are(sa + PAGE, PAGE, 'g') && all_are(sf + 2 * PAGE, PAGE, 'g'));
        /* unmapping in the child leaves the parent's mapping alone */
        CHECK("child: munmap of part of the shared anonymous", munmap(sa, PAGE) == 0);
        CHECK("child: munmap of the shared file", munmap(sf, 3 * PAGE) == 0);
        fflush(stdout);
        _exit(guest_failures ? 1 : 0);
    }

    /* the parent's turn: the child wrote */
    await(to_parent[0]);
    CHECK("parent: sees the child's shared anonymous write", all_are(sa, 2 * PAGE, 'c'));
    CHECK("parent: the read-only page is unchanged", all_are(sa + 2 * PAGE, SHARED_LEN - 2 * PAGE, 'p'));
    CHECK("parent: sees the child's shared file write", all_are(sf, PAGE, 'p') && all_are(sf + PAGE, PAGE, 'c'));
    CHECK("parent: private anonymous stays its own", all_are(pa, 2 * PAGE, 'p'));
    CHECK("parent: private file stays its own", all_are(pf, 3 * PAGE, 'q'));
    CHECK("parent: sees the child's write in the grown mapping", all_are(grown, PAGE / 2, 'm') && all_are(grown + PAGE / 2, PAGE / 2, 'c'));
    CHECK("parent: WIPEONFORK page keeps its bytes", all_are(wipe, 3 * PAGE, 'w'));
    CHECK("parent: MADV_DONTFORK range is still there", mapped(dontfork, 2 * PAGE) && all_are(dontfork, 2 * PAGE, 'd'));
    CHECK("parent: shared MADV_DONTFORK range is still there", all_are(sa_dontfork, PAGE, 's'));
    memset(sa, 'P', PAGE);
    CHECK("parent: mprotect the read-only page writable", mprotect(sa + 2 * PAGE, PAGE, PROT_READ | PROT_WRITE) == 0);
    memset(sa + 2 * PAGE, 'P', SHARED_LEN - 2 * PAGE);
    memset(sf, 'P', PAGE);
    memset(sf + 2 * PAGE, 'P', PAGE);
    memset(pa, 'P', 2 * PAGE);
    memset(pf, 'P', 3 * PAGE);
    fflush(stdout);
    pass(to_child[1]);

    int status = -1;
    CHECK("parent: waitpid", waitpid(pid, &status, 0) == pid);
    CHECK("parent: child ended well", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK("parent: sees the grandchild's writes", all_are(sa + PAGE, PAGE, 'g') && all_are(sf + 2 * PAGE, PAGE, 'g'));
    CHECK("parent: its mappings outlive the child's munmap", all_are(sa, PAGE, 'P') && all_are(sf, PAGE, 'P'));
    char got[3 * PAGE];
    CHECK("parent: the file has every shared write",
          pread(fd, got, 3 * PAGE, 0) == 3 * PAGE && all_are(got, PAGE, 'P') && all_are(got + PAGE, PAGE, 'c') &&
              all_are(got + 2 * PAGE, PAGE, 'g'));
    CHECK("parent: msync", msync(sf, 3 * PAGE, MS_SYNC) == 0);
    CHECK("parent: munmap", munmap(sa, SHARED_LEN) == 0 && munmap(sf, 3 * PAGE) == 0 && munmap(pf, 3 * PAGE) == 0);

    /* a shared anonymous mapping made after the first fork is shared with the next child */
    int *counter = mmap(NULL, sizeof *counter, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK("mmap counter", counter != MAP_FAILED);
    *counter = 41;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        (*counter)++;
        _exit(0);
    }
    CHECK("counter child", pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status));
    CHECK("counter incremented by the child", *counter == 42);

    /* /dev/zero: MAP_SHARED is shared anonymous memory, MAP_PRIVATE private */
    int zfd = open("/dev/zero", O_RDWR);
    char *zs = zfd < 0 ? MAP_FAILED : mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, zfd, 0);
    char *zp = zfd < 0 ? MAP_FAILED : mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, zfd, 0);
    CHECK("mmap /dev/zero shared and private", zs != MAP_FAILED && zp != MAP_FAILED);
    if (zs == MAP_FAILED || zp == MAP_FAILED) return GUEST_END();
    CHECK("/dev/zero mappings read zero", all_are(zs, PAGE, 0) && all_are(zp, PAGE, 0));
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        zs[5] = 'c';
        zp[5] = 'c';
        _exit(0);
    }
    CHECK("/dev/zero child", pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status));
    CHECK("parent: sees the child's write in shared /dev/zero", zs[5] == 'c');
    CHECK("parent: private /dev/zero stays its own", zp[5] == 0);
    close(zfd);

    /* MADV_REMOVE: shared pages read zero in every process that maps them */
    zs[6] = 'p';
    fflush(stdout);
    pid = fork();
    if (pid == 0) _exit(madvise(zs, PAGE, MADV_REMOVE) == 0 ? 0 : 3);
    CHECK("MADV_REMOVE in the child", pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                                      WEXITSTATUS(status) == 0);
    CHECK("parent: the removed pages read zero", all_are(zs, PAGE, 0));
    EXPECT_ERRNO("MADV_REMOVE of private anonymous", madvise(pa, PAGE, MADV_REMOVE), EINVAL);
    char *pf2 = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK("mmap private file again", pf2 != MAP_FAILED);
    EXPECT_ERRNO("MADV_REMOVE of a private file mapping", madvise(pf2, PAGE, MADV_REMOVE), EACCES);
    /* a shared file mapping grown by mremap maps more of the file, still shared */
    char *fm = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK("mmap file to grow", fm != MAP_FAILED);
    char *fm3 = fm == MAP_FAILED ? MAP_FAILED : mremap(fm, PAGE, 3 * PAGE, MREMAP_MAYMOVE);
    CHECK("mremap grows the shared file mapping", fm3 != MAP_FAILED);
    if (fm3 == MAP_FAILED) return GUEST_END();
    CHECK("the grown mapping has the file", all_are(fm3, PAGE, 'P') && all_are(fm3 + PAGE, PAGE, 'c') &&
                                            all_are(fm3 + 2 * PAGE, PAGE, 'g'));
    char *fm_alias = mremap(fm3, 0, PAGE, MREMAP_MAYMOVE);
    CHECK("mremap old_size 0 of the shared file mapping", fm_alias != MAP_FAILED && fm_alias != fm3);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        memset(fm3 + 2 * PAGE, 'z', PAGE);
        if (fm_alias != MAP_FAILED) fm_alias[0] = 'z';
        _exit(0);
    }
    CHECK("grown mapping child", pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status));
    CHECK("parent: sees the child's write in the grown file mapping", all_are(fm3 + 2 * PAGE, PAGE, 'z'));
    CHECK("parent: and through the alias", fm3[0] == 'z');
    CHECK("parent: pread agrees", pread(fd, got, 1, 2 * PAGE) == 1 && got[0] == 'z');

    /* past the shared object's size, the grown mapping is SIGBUS, in a child too */
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        volatile char *past = grown + PAGE;
        *past = 1;
        _exit(0);
    }
    CHECK("touch past the object", pid > 0 && waitpid(pid, &status, 0) == pid);
    printf("child touching past the object: %s %d\n", WIFSIGNALED(status) ? "signal" : "exit",
           WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    close(fd);
    return GUEST_END();
}
