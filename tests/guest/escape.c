/* Proves that no `syscall` instruction escapes picolx's rewriter. Under Wine an
   unrewritten `syscall` runs on the Linux host kernel and "works", so each path below
   calls uname through a raw `syscall` and reports whether the answer came from picolx
   (a release containing "picolx") or from the host kernel. Natively every line says
   "no"; under picolx every line must say "yes". */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>

typedef long (*uname_fn)(struct utsname *);

/* mov eax, 63 (SYS_uname); syscall; ret -- the argument is already in rdi. */
static const unsigned char uname_code[] = {0xb8, 0x3f, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xc3};
/* The same with other bytes around it, as a JIT that regenerates code would write:
   nop; xor eax, eax; mov eax, 63; syscall; nop; ret */
static const unsigned char uname_code2[] = {0x90, 0x31, 0xc0, 0xb8, 0x3f, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x90, 0xc3};

static long ordinary_uname(struct utsname *u)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "0"(63L), "D"(u) : "rcx", "r11", "memory");
    return r;
}

static void report(const char *path, uname_fn fn)
{
    struct utsname u;
    memset(&u, 0, sizeof u);
    long r = fn(&u);
    printf("%s: ret=%ld sysname=%s picolx=%s\n", path, r, u.sysname, strstr(u.release, "picolx") ? "yes" : "no");
    fflush(stdout);
}

int main(void)
{
    /* (a) ordinary code of the program */
    report("ordinary code", ordinary_uname);

    /* (b) a page filled at run time, then made executable (RW -> R|X) */
    unsigned char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) { printf("mmap RW failed\n"); return 1; }
    memcpy(page + 128, uname_code, sizeof uname_code);
    if (mprotect(page, 4096, PROT_READ | PROT_EXEC) != 0) { printf("mprotect failed\n"); return 1; }
    report("runtime page (RW then RX)", (uname_fn)(page + 128));

    /* (c) an RWX mapping written after it was mapped, JIT style */
    unsigned char *jit = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (jit == MAP_FAILED) { printf("mmap RWX failed\n"); return 1; }
    memcpy(jit + 64, uname_code, sizeof uname_code);
    report("RWX page written after mmap", (uname_fn)(jit + 64));

    /* (d) the same RWX page rewritten after it has run: new code at a new place */
    memcpy(jit + 1024, uname_code2, sizeof uname_code2);
    report("RWX page rewritten after running", (uname_fn)(jit + 1024));
    /* (e) and overwritten in place */
    memcpy(jit + 64, uname_code2, sizeof uname_code2);
    report("RWX page overwritten in place", (uname_fn)(jit + 64));
    return 0;
}
