/* Stats that must follow every change of a file, however they are remembered: picolx
   keeps what a drvfs stat learned from a handle (inode, link count, exec bit) across runs
   while the file's times say it is unchanged (src/fs/stat_memo.c). Each state is
   stat'ed twice after it has settled (over a second old: the memo writes only then),
   so a stale record would show as a difference from Linux.

   statmemo change   makes and changes files in the cwd, printing stats along the way
   statmemo again    stats the result again (a second process: what the first remembered) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static ino_t known_inos[8];
static const char *known_names[8];
static int known;

/* inode numbers differ between systems: name them by the file they were first seen on */
static const char *ino_tag(const char *name, ino_t ino)
{
    for (int i = 0; i < known; i++)
        if (known_inos[i] == ino) return known_names[i];
    if (known < 8) {
        known_inos[known] = ino;
        known_names[known++] = name;
    }
    return name;
}

static void show(const char *label, const char *name)
{
    for (int round = 0; round < 2; round++) {
        struct stat st;
        if (lstat(name, &st) != 0) {
            printf("%s %s: missing\n", label, name);
            return;
        }
        printf("%s %s: %s nlink=%lu size=%lld mode=%04o ino=%s\n", label, name, S_ISDIR(st.st_mode) ? "dir" : "file",
               S_ISDIR(st.st_mode) ? (unsigned long)st.st_nlink : (unsigned long)st.st_nlink,
               S_ISDIR(st.st_mode) ? 0LL : (long long)st.st_size, (unsigned)(st.st_mode & 07777),
               ino_tag(name, st.st_ino));
    }
}

static void settle(void)
{
    struct timespec t = {1, 300 * 1000 * 1000};
    nanosleep(&t, NULL);
}

static void put(const char *name, const char *text, mode_t mode)
{
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) != 0) {
        perror(name);
        exit(2);
    }
    chmod(name, mode);
}

static void stat_all(const char *label)
{
    show(label, "f");
    show(label, "g");
    show(label, "h");
    show(label, "d");
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "again")) {
        show("again", "h"); /* first: its inode is the tag the others are compared to */
        stat_all("again");
        return 0;
    }
    if (argc != 2 || strcmp(argv[1], "change")) {
        fprintf(stderr, "usage: statmemo change|again\n");
        return 2;
    }
    put("f", "data", 0644);
    put("h", "other file", 0644);
    mkdir("d", 0755);
    settle();
    stat_all("start");
    link("f", "g"); /* a second name: both show two links */
    stat_all("linked");
    settle();
    stat_all("linked+settled");
    put("f", "#!/x", 0755); /* same size, other content: a program now */
    settle();
    stat_all("program");
    mkdir("d/sub", 0755); /* the directory gains a link */
    settle();
    stat_all("subdir");
    unlink("g");
    settle();
    stat_all("unlinked");
    rename("h", "f"); /* another file under the old name */
    settle();
    stat_all("replaced");
    put("f", "data", 0644);
    settle();
    stat_all("rewritten");
    return 0;
}
