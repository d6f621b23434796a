/* The lxfs crash test (a Windows program, run under Wine): a worker process changes a
   store as fast as it can (chmod, rename, link, unlink, create), the driver kills it with
   TerminateProcess at a random moment, then opens the store as picolx would (replay, cut
   a torn tail, delete orphans) and checks it:
     - the store's own invariants (lx_store_check: entries, link counts, "..");
     - every regular inode has its data file and no data file is left without an inode;
     - the work's invariant, true after each single change: the ten slots w/f0..w/f9
       (one may be w/tmp in the middle of a rename pair) hold the ten original inodes,
       each once, each with its own contents;
     - an xattr set on the file in flight (a 3000-byte value, one letter repeated) is
       absent or whole, never torn.
   usage: crash_driver DIR ROUNDS        (DIR: a Windows path; made fresh)
          crash_driver --work DIR        (the worker) */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include "core/px.h"
#include "fs/lxfs/lxfs_disk.h"

#define SLOTS 10
#define XATTR_VALUE 3000

static int failures;
static void problem(void *ctx, const char *what)
{
    (void)ctx;
    printf("  store problem: %s\n", what);
}

static lx_inode *at(lx_store *s, const char *path)
{
    lx_inode *i = NULL;
    return lx_walk(s, path, &i, NULL, NULL, NULL) == 0 ? i : NULL;
}

static int write_data(lx_disk *d, uint64_t ino, const char *text)
{
    wchar_t *p = lx_disk_data_path(d, ino);
    HANDLE h = CreateFileW(p, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    px_free(p);
    if (h == INVALID_HANDLE_VALUE) return -1;
    DWORD put;
    WriteFile(h, text, (DWORD)strlen(text), &put, NULL);
    CloseHandle(h);
    return 0;
}

static int make_store(const wchar_t *dir)
{
    wchar_t data[MAX_PATH];
    swprintf(data, MAX_PATH, L"%ls\\data", dir);
    if (!CreateDirectoryW(dir, NULL) || !CreateDirectoryW(data, NULL)) return -1;
    lx_store s;
    lx_store_init(&s);
    lx_attr a = {.mode = LINUX_S_IFDIR | 0755};
    lx_store_make_root(&s, &a);
    uint64_t w;
    lx_store_create(&s, LX_ROOT_INO, "w", 1, &a, &w);
    int64_t r = lx_disk_write_snapshot(&s, dir);
    lx_store_free(&s);
    if (r < 0) return -1;
    lx_disk *d;
    if (lx_disk_open(dir, &d) < 0) return -1;
    lx_disk_begin(d);
    for (int k = 0; k < SLOTS; k++) {
        char name[8], text[32];
        snprintf(name, sizeof name, "f%d", k);
        snprintf(text, sizeof text, "slot %d\n", k);
        lx_attr f = {.mode = LINUX_S_IFREG | 0644};
        uint64_t ino = d->st.max_ino + 1;
        write_data(d, ino, text);
        lx_store_create(&d->st, w, name, strlen(name), &f, &ino);
    }
    lx_disk_end(d);
    lx_disk_close(d);
    return 0;
}

/* The worker: forever, one slot after another, six steps each. Every step is one store
   change. */
static int work(const wchar_t *dir)
{
    lx_disk *d;
    if (lx_disk_open(dir, &d) < 0) return 2;
    /* the previous worker may have died between its two renames: put the file back */
    lx_disk_begin(d);
    uint64_t wdir = at(&d->st, "w")->ino;
    for (int k = 0; k < SLOTS && at(&d->st, "w/tmp"); k++) {
        char f[8], path[16];
        snprintf(f, sizeof f, "f%d", k);
        snprintf(path, sizeof path, "w/f%d", k);
        if (!at(&d->st, path)) lx_store_rename(&d->st, wdir, "tmp", 3, wdir, f, strlen(f), 0);
    }
    lx_disk_end(d);
    printf("worker ready\n");
    fflush(stdout);
    for (unsigned n = 0;; n++) {
        int k = (int)((n / 6) % SLOTS);
        char f[8], h[8], t[8] = "tmp";
        snprintf(f, sizeof f, "f%d", k);
        snprintf(h, sizeof h, "h%d", k);
        lx_disk_begin(d);
        uint64_t w = at(&d->st, "w")->ino;
        switch (n % 6) {
        case 0: lx_store_rename(&d->st, w, f, strlen(f), w, t, 3, 0); break;
        case 1: { /* chmod and an xattr of the file in flight */
            lx_inode *i = at(&d->st, "w/tmp");
            if (i) { lx_attr a = lx_attr_of(i); a.mode = (a.mode & ~0777u) | (n & 0777); lx_store_setattr(&d->st, i->ino, &a); }
            if (i) {
                char v[XATTR_VALUE];
                memset(v, 'a' + (int)(n % 26), sizeof v);
                lx_store_setxattr(&d->st, i->ino, "user.v", v, sizeof v, 0, lx_time_now());
            }
            break;
        }
        case 2: lx_store_rename(&d->st, w, t, 3, w, f, strlen(f), 0); break;
        case 3: lx_store_link(&d->st, at(&d->st, "w/f0") ? at(&d->st, "w/f0")->ino : 0, w, h, strlen(h)); break;
        case 4: lx_store_unlink(&d->st, w, h, strlen(h)); break;
        case 5: { /* a scratch file made and removed: its data file may be orphaned */
            lx_attr a = {.mode = LINUX_S_IFREG | 0600};
            uint64_t ino = d->st.max_ino + 1;
            write_data(d, ino, "scratch\n");
            if (lx_store_create(&d->st, w, "scratch", 7, &a, &ino) == 0) lx_store_unlink(&d->st, w, "scratch", 7);
            break;
        }
        }
        lx_disk_end(d);
    }
}

static int read_data(lx_disk *d, uint64_t ino, char *buf, size_t len)
{
    wchar_t *p = lx_disk_data_path(d, ino);
    HANDLE h = CreateFileW(p, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    px_free(p);
    if (h == INVALID_HANDLE_VALUE) return -1;
    DWORD got = 0;
    ReadFile(h, buf, (DWORD)len - 1, &got, NULL);
    buf[got] = 0;
    CloseHandle(h);
    return 0;
}

static int check(const wchar_t *dir, int round)
{
    lx_disk *d;
    int bad = 0;
    if (lx_disk_open(dir, &d) < 0) {
        printf("round %d: the store does not open\n", round);
        return 1;
    }
    lx_disk_begin(d);
    if (lx_store_check(&d->st, problem, NULL) < 0) bad++;
    /* data files: one per regular inode, none more (the open deleted orphans) */
    unsigned regular = 0, files = 0;
    lx_inode *i, *it;
    HASH_ITER(hh, d->st.inodes, i, it) {
        if ((i->mode & LINUX_S_IFMT) != LINUX_S_IFREG) continue;
        regular++;
        char buf[64];
        if (read_data(d, i->ino, buf, sizeof buf) < 0) { printf("  inode %llu has no data file\n", (unsigned long long)i->ino); bad++; }
    }
    wchar_t pattern[MAX_PATH];
    swprintf(pattern, MAX_PATH, L"%ls\\data\\*", d->dir);
    WIN32_FIND_DATAW fd;
    HANDLE fh = FindFirstFileW(pattern, &fd);
    if (fh != INVALID_HANDLE_VALUE) {
        do if (!(fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) files++;
        while (FindNextFileW(fh, &fd));
        FindClose(fh);
    }
    if (files != regular) { printf("  %u data files for %u regular inodes\n", files, regular); bad++; }
    /* the slots */
    int seen[SLOTS] = {0};
    lx_inode *tmp = at(&d->st, "w/tmp");
    for (int k = 0; k < SLOTS; k++) {
        char path[16], buf[64], want[32];
        snprintf(path, sizeof path, "w/f%d", k);
        lx_inode *f = at(&d->st, path);
        if (!f) f = tmp, tmp = NULL; /* at most one slot is in flight */
        if (!f) { printf("  slot %d is lost\n", k); bad++; continue; }
        snprintf(want, sizeof want, "slot %d\n", k);
        if (read_data(d, f->ino, buf, sizeof buf) < 0 || strcmp(buf, want)) { printf("  slot %d has the wrong contents\n", k); bad++; }
        lx_xattr *x = lx_xattr_find(f, "user.v", 6);
        bool whole = !x || x->size == XATTR_VALUE;
        for (uint32_t b = 1; x && whole && b < x->size; b++) whole = LX_XATTR_VALUE(x)[b] == LX_XATTR_VALUE(x)[0];
        if (!whole) { printf("  slot %d has a torn xattr\n", k); bad++; }
        seen[k]++;
    }
    if (tmp) { printf("  w/tmp exists while every slot is in place\n"); bad++; }
    lx_disk_end(d);
    printf("round %d: %s (%u inodes, %u records replayed, log %llu bytes)\n", round, bad ? "INCONSISTENT" : "consistent",
           HASH_COUNT(d->st.inodes), (unsigned)d->st.records, (unsigned long long)d->log_end);
    lx_disk_close(d);
    return bad != 0;
}

int wmain(int argc, wchar_t **argv)
{
    if (argc == 3 && !wcscmp(argv[1], L"--work")) return work(argv[2]);
    if (argc != 3) {
        fprintf(stderr, "usage: crash_driver DIR ROUNDS\n");
        return 2;
    }
    const wchar_t *dir = argv[1];
    int rounds = _wtoi(argv[2]);
    if (make_store(dir) < 0) {
        fprintf(stderr, "cannot make a store in %ls\n", dir);
        return 2;
    }
    srand(12345);
    wchar_t self[MAX_PATH], cmd[3 * MAX_PATH];
    GetModuleFileNameW(NULL, self, MAX_PATH);
    swprintf(cmd, PX_ARRAY_LEN(cmd), L"\"%ls\" --work \"%ls\"", self, dir);
    for (int round = 1; round <= rounds; round++) {
        STARTUPINFOW si = {.cb = sizeof si};
        PROCESS_INFORMATION pi;
        if (!CreateProcessW(self, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
            fprintf(stderr, "cannot start the worker\n");
            return 2;
        }
        Sleep(150 + (DWORD)(rand() % 400)); /* start-up under Wine, then some work */
        TerminateProcess(pi.hProcess, 9);
        WaitForSingleObject(pi.hProcess, INFINITE);
        CloseHandle(pi.hThread);
        CloseHandle(pi.hProcess);
        if (round % 3 == 0) { /* as if the kill had landed inside a write: half a record */
            wchar_t log[MAX_PATH];
            swprintf(log, MAX_PATH, L"%ls\\lxfs.log", dir);
            HANDLE h = CreateFileW(log, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
            static const uint8_t torn[7] = {0x30, 0, 0, 0, 0x12, 0x34, 0x56};
            DWORD put;
            if (h != INVALID_HANDLE_VALUE) { WriteFile(h, torn, sizeof torn, &put, NULL); CloseHandle(h); }
        }
        failures += check(dir, round);
    }
    printf("%d passed, %d failed\n", rounds - failures, failures);
    return failures ? 1 : 0;
}
