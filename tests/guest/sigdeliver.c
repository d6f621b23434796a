/* Signal delivery to handlers within one process: raise, kill(getpid()), tgkill and
   sigqueue to oneself; SA_SIGINFO fields, sa_mask, SA_NODEFER, SA_RESETHAND;
   sigprocmask then unblocking, sigsuspend, sigtimedwait; alarm interrupting pause and
   a pipe read (EINTR without SA_RESTART, the read going on with it); setitimer ending
   a loop without syscalls; SIGSEGV with siglongjmp, SIGFPE from a division by zero,
   SIGILL, SIGTRAP, and a handler that changes the ucontext. argv[1] "bench": the time
   of kill(self) to the handler and back, printed (not compared). argv[1] "overflow": a
   recursion that runs the main stack out; the SIGSEGV handler runs on its sigaltstack,
   says where the fault was and exits 3 (Python's faulthandler). */
#include "guest.h"
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static volatile sig_atomic_t hits, nested_depth, max_depth, last_sig;
static volatile int seen_code, seen_pid, seen_value, seen_signo;
static volatile int blocked_in_handler, nesting_entries;

static void count(int sig)
{
    hits++;
    last_sig = sig;
}

static void with_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    hits++;
    seen_signo = si->si_signo;
    seen_code = si->si_code;
    seen_pid = si->si_pid == getpid();
    seen_value = si->si_value.sival_int;
    (void)sig;
}

/* Records whether SIGUSR2 is blocked inside, and recurses once into itself. */
static void nesting(int sig)
{
    nested_depth++;
    nesting_entries++;
    if (nested_depth > max_depth) max_depth = nested_depth;
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    if (nesting_entries == 1) blocked_in_handler = sigismember(&cur, SIGUSR2) * 2 + sigismember(&cur, sig);
    if (nesting_entries == 1) raise(sig);
    nested_depth--;
}

static void install(int sig, void (*fn)(int), int flags, const sigset_t *mask)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    if (mask) sa.sa_mask = *mask;
    else sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void install_info(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = flags | SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static int pipe_fds[2];
static void write_to_pipe(int sig)
{
    (void)sig;
    hits++;
    write(pipe_fds[1], "late", 4);
}

static volatile int spin_stop;
static void stop_spin(int sig)
{
    (void)sig;
    spin_stop = 1;
}

/* Makes the faulting page writable and returns: the write is run again. */
static char *fix_page;
static volatile int fixes;
static void fix_fault(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    fixes++;
    mprotect((void *)((uintptr_t)si->si_addr & ~(uintptr_t)4095), 4096, PROT_READ | PROT_WRITE);
}

static sigjmp_buf jump;
static volatile uintptr_t fault_addr;
static volatile int fault_code, fault_signo;
static void fault_handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    fault_signo = sig;
    fault_code = si->si_code;
    fault_addr = (uintptr_t)si->si_addr;
    siglongjmp(jump, 1);
}

/* Skips the faulting 2-byte instruction (ud2, or the "idiv %ecx" below) and sets rax. */
static void skip_and_set(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    fault_signo = sig;
    fault_code = si->si_code;
    uc->uc_mcontext.gregs[REG_RIP] += 2;
    uc->uc_mcontext.gregs[REG_RAX] = 4242;
}

static volatile int trap_hits;
static void on_trap(int sig)
{
    (void)sig;
    trap_hits++;
}

static char altstack_mem[65536];
static volatile int on_alt, alt_flags;
static void on_altstack_handler(int sig)
{
    (void)sig;
    char here;
    on_alt = &here >= altstack_mem && &here < altstack_mem + sizeof altstack_mem;
    stack_t cur;
    sigaltstack(NULL, &cur);
    alt_flags = cur.ss_flags;
}

/* Clobbers xmm8 and the x87/SSE control state the interrupted code had. */
static void clobber_fpu(int sig)
{
    (void)sig;
    __asm__ volatile("pcmpeqd %%xmm8, %%xmm8" ::: "xmm8");
    unsigned mxcsr = 0x1f80 | 0x8000; /* flush to zero */
    __asm__ volatile("ldmxcsr %0" ::"m"(mxcsr));
}

/* A read whose syscall instruction has a known address: a handler's ucontext shows a
   call it interrupted at that instruction when it restarts (SA_RESTART: Linux rewinds
   rip to it; musl's pthread_cancel relies on that), after it when it returns EINTR. */
extern const char sd_read_site[], sd_read_after[];
__attribute__((noinline)) static long read_at_site(int fd, void *buf, long n)
{
    long ret;
    __asm__ volatile(".globl sd_read_site\n.globl sd_read_after\nsd_read_site: syscall\nsd_read_after:"
                     : "=a"(ret)
                     : "0"((long)SYS_read), "D"((long)fd), "S"(buf), "d"(n)
                     : "rcx", "r11", "memory");
    return ret;
}
static int site_pipe[2];
static volatile uintptr_t site_rip;
static volatile int site_feed;
static void site_probe(int sig, siginfo_t *si, void *ucv)
{
    (void)sig, (void)si;
    site_rip = (uintptr_t)((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RIP];
    if (site_feed) write(site_pipe[1], "x", 1); /* the restarted read then gets a byte */
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bench(void)
{
    install(SIGUSR1, count, 0, NULL);
    int n = 20000;
    pid_t pid = getpid();
    double t0 = now_s();
    for (int i = 0; i < n; i++) kill(pid, SIGUSR1);
    double t1 = now_s();
    printf("kill(self) to handler and back: %.2f us (%d rounds, %d hits)\n", (t1 - t0) / n * 1e6, n, (int)hits);
    /* a SIGSEGV handler that fixes the fault (mprotect) and returns; one mprotect more per round */
    install_info(SIGSEGV, fix_fault, 0);
    fix_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int m = 2000;
    t0 = now_s();
    for (int i = 0; i < m; i++) {
        mprotect(fix_page, 4096, PROT_READ);
        *(volatile char *)&fix_page[i % 4096] = 1;
    }
    t1 = now_s();
    printf("SIGSEGV fixed by the handler and back: %.2f us (%d rounds, %d fixes)\n", (t1 - t0) / m * 1e6, m, fixes);
    return 0;
}

static char *overflow_stack_top;

static void on_overflow(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    stack_t cur;
    sigaltstack(NULL, &cur);
    char line[160];
    int n = snprintf(line, sizeof line, "SIGSEGV %d, SEGV_MAPERR %d, on the sigaltstack %d, %s the stack top\n",
                     sig == SIGSEGV, si->si_code == SEGV_MAPERR, (cur.ss_flags & SS_ONSTACK) != 0,
                     (char *)si->si_addr < overflow_stack_top ? "below" : "not below");
    (void)!write(1, line, (size_t)n);
    _exit(3);
}

static int run_down(int n)
{
    volatile char frame[1024];
    frame[0] = (char)n;
    if (n < 0) return 0; /* never: the stack runs out first */
    return run_down(n + 1) + frame[0]; /* not a tail call: every level keeps its frame */
}

static int overflow(void)
{
    char top;
    overflow_stack_top = &top;
    stack_t ss = {.ss_sp = malloc(65536), .ss_size = 65536};
    sigaltstack(&ss, NULL);
    struct sigaction sa = {.sa_sigaction = on_overflow, .sa_flags = SA_SIGINFO | SA_ONSTACK};
    sigaction(SIGSEGV, &sa, NULL);
    return run_down(0);
}

int main(int argc, char **argv)
{
    GUEST_START();
    if (argc > 1 && !strcmp(argv[1], "overflow")) return overflow();
    if (argc > 1 && !strcmp(argv[1], "bench")) return bench();
    if (argc > 1 && !strcmp(argv[1], "spin-alarm")) {
        /* SIGALRM's default action ends a loop that makes no syscalls (status 142) */
        alarm(1);
        volatile unsigned long n = 0;
        for (;;) n++;
    }
    pid_t pid = getpid();
    pid_t tid = (pid_t)syscall(SYS_gettid);

    /* handlers by raise, kill and tgkill */
    install(SIGUSR1, count, 0, NULL);
    hits = 0;
    raise(SIGUSR1);
    CHECK("raise runs the handler", hits == 1 && last_sig == SIGUSR1);
    kill(pid, SIGUSR1);
    CHECK("kill(getpid()) runs the handler", hits == 2);
    syscall(SYS_tgkill, pid, tid, SIGUSR1);
    CHECK("tgkill runs the handler", hits == 3);

    /* SA_SIGINFO */
    install_info(SIGUSR2, with_info, 0);
    hits = 0;
    kill(pid, SIGUSR2);
    CHECK("SA_SIGINFO kill: si_signo", seen_signo == SIGUSR2);
    printf("kill si_code=%d from self=%d\n", seen_code, seen_pid);
    syscall(SYS_tgkill, pid, tid, SIGUSR2);
    printf("tgkill si_code=%d from self=%d\n", seen_code, seen_pid);
    union sigval v = {.sival_int = 77};
    sigqueue(pid, SIGUSR2, v);
    printf("sigqueue si_code=%d value=%d hits=%d\n", seen_code, seen_value, (int)hits);

    /* sa_mask blocks SIGUSR2 inside; the signal itself is blocked unless SA_NODEFER */
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR2);
    install(SIGUSR1, nesting, 0, &m);
    max_depth = nesting_entries = 0;
    raise(SIGUSR1);
    printf("default: depth %d, entries %d, blocked inside (usr2*2+self) %d\n", (int)max_depth, nesting_entries,
           blocked_in_handler);
    install(SIGUSR1, nesting, SA_NODEFER, NULL);
    max_depth = nesting_entries = 0;
    raise(SIGUSR1);
    printf("SA_NODEFER: depth %d, entries %d, blocked inside %d\n", (int)max_depth, nesting_entries,
           blocked_in_handler);
    sigset_t after;
    sigprocmask(SIG_BLOCK, NULL, &after);
    CHECK("the mask is back after the handlers", !sigismember(&after, SIGUSR1) && !sigismember(&after, SIGUSR2));

    /* SA_RESETHAND */
    install(SIGURG, count, SA_RESETHAND, NULL);
    hits = 0;
    raise(SIGURG);
    struct sigaction cur;
    sigaction(SIGURG, NULL, &cur);
    CHECK("SA_RESETHAND: ran once, then SIG_DFL", hits == 1 && cur.sa_handler == SIG_DFL);

    /* blocked, pending, delivered when unblocked */
    install(SIGUSR1, count, 0, NULL);
    sigset_t u1;
    sigemptyset(&u1);
    sigaddset(&u1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &u1, NULL);
    hits = 0;
    raise(SIGUSR1);
    sigset_t pend;
    sigpending(&pend);
    CHECK("blocked: pending, not run", hits == 0 && sigismember(&pend, SIGUSR1));
    sigprocmask(SIG_UNBLOCK, &u1, NULL);
    CHECK("unblocked: run", hits == 1);

    /* sigsuspend: waits with SIGUSR1 unblocked, the mask back afterwards */
    sigprocmask(SIG_BLOCK, &u1, NULL);
    install(SIGALRM, count, 0, NULL);
    hits = 0;
    alarm(1);
    sigset_t none;
    sigemptyset(&none);
    int r = sigsuspend(&none);
    int e = errno;
    sigprocmask(SIG_BLOCK, NULL, &after);
    printf("sigsuspend: ret=%d errno=%s hits=%d usr1 still blocked=%d\n", r, errno_name(e), (int)hits,
           sigismember(&after, SIGUSR1));

    /* sigtimedwait takes a blocked signal without its handler */
    hits = 0;
    raise(SIGUSR1);
    siginfo_t si;
    struct timespec ts = {1, 0};
    r = sigtimedwait(&u1, &si, &ts);
    printf("sigtimedwait: ret=%d si_signo=%d hits=%d\n", r, si.si_signo, (int)hits);
    ts.tv_sec = 0;
    ts.tv_nsec = 1000000;
    EXPECT_ERRNO("sigtimedwait, nothing pending: EAGAIN", sigtimedwait(&u1, &si, &ts), EAGAIN);
    sigprocmask(SIG_UNBLOCK, &u1, NULL);

    /* alarm interrupts pause */
    hits = 0;
    alarm(1);
    r = pause();
    e = errno;
    printf("pause: ret=%d errno=%s hits=%d\n", r, errno_name(e), (int)hits);

    /* alarm interrupts a pipe read: EINTR without SA_RESTART */
    pipe(pipe_fds);
    char buf[16];
    hits = 0;
    alarm(1);
    r = (int)read(pipe_fds[0], buf, sizeof buf);
    e = errno;
    printf("read without SA_RESTART: ret=%d errno=%s hits=%d\n", r, errno_name(e), (int)hits);
    /* with SA_RESTART the read goes on and gets what the handler wrote */
    install(SIGALRM, write_to_pipe, SA_RESTART, NULL);
    hits = 0;
    alarm(1);
    r = (int)read(pipe_fds[0], buf, sizeof buf);
    printf("read with SA_RESTART: ret=%d data=%.*s hits=%d\n", r, r > 0 ? r : 0, buf, (int)hits);

    /* nanosleep interrupted: EINTR and the time left */
    install(SIGALRM, count, 0, NULL);
    alarm(1);
    struct timespec req = {5, 0}, rem = {0, 0};
    r = nanosleep(&req, &rem);
    e = errno;
    printf("nanosleep: ret=%d errno=%s rem in (2s, 5s)=%d\n", r, errno_name(e), rem.tv_sec >= 2 && rem.tv_sec < 5);

    /* setitimer ends a loop that makes no syscalls */
    install(SIGALRM, stop_spin, 0, NULL);
    struct itimerval it = {{0, 0}, {0, 200000}};
    setitimer(ITIMER_REAL, &it, NULL);
    unsigned long spins = 0;
    while (!spin_stop) spins++;
    CHECK("setitimer ends a loop without syscalls", spin_stop == 1 && spins > 0);
    struct itimerval left;
    getitimer(ITIMER_REAL, &left);
    CHECK("getitimer: disarmed after it fired", left.it_value.tv_sec == 0 && left.it_value.tv_usec == 0);

    /* SA_ONSTACK: the handler runs on the alternate stack, which says SS_ONSTACK there */
    stack_t ss = {.ss_sp = altstack_mem, .ss_size = sizeof altstack_mem, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    install(SIGUSR1, on_altstack_handler, SA_ONSTACK, NULL);
    raise(SIGUSR1);
    stack_t now;
    sigaltstack(NULL, &now);
    printf("SA_ONSTACK: on it=%d flags inside=%d flags after=%d\n", on_alt, alt_flags, now.ss_flags);
    install(SIGUSR1, on_altstack_handler, 0, NULL);
    raise(SIGUSR1);
    printf("without SA_ONSTACK: on it=%d\n", on_alt);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);

    /* SIGSEGV: unmapped and PROT_NONE, siglongjmp out */
    install_info(SIGSEGV, fault_handler, 0);
    char *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (sigsetjmp(jump, 1) == 0) {
        *(volatile char *)page = 1;
        printf("no fault\n");
    }
    printf("PROT_NONE write: sig=%d code=%s addr ok=%d\n", fault_signo,
           fault_code == SEGV_ACCERR ? "SEGV_ACCERR" : fault_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other",
           fault_addr == (uintptr_t)page);
    munmap(page, 4096);
    if (sigsetjmp(jump, 1) == 0) {
        (void)*(volatile char *)(page + 16);
        printf("no fault\n");
    }
    printf("unmapped read: sig=%d code=%s addr ok=%d\n", fault_signo,
           fault_code == SEGV_ACCERR ? "SEGV_ACCERR" : fault_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other",
           fault_addr == (uintptr_t)(page + 16));
    sigprocmask(SIG_BLOCK, NULL, &after);
    CHECK("siglongjmp restored the mask", !sigismember(&after, SIGSEGV));

    /* a SIGSEGV handler that fixes the fault and returns (as garbage collectors do) */
    install_info(SIGSEGV, fix_fault, 0);
    fix_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *(volatile char *)&fix_page[100] = 42;
    printf("fixed fault: handler ran %d, value %d\n", fixes, fix_page[100]);
    munmap(fix_page, 4096);

    /* the FPU/SSE state of the interrupted code comes back after a handler that changes it */
    install(SIGUSR1, clobber_fpu, 0, NULL);
    uint64_t in_lo = 0x1122334455667788ull, out_lo = 0;
    unsigned mxcsr_after = 0;
    __asm__ volatile("movq %[in], %%xmm8\n\t"
                     "mov %[nr], %%eax\n\tmov %[pid], %%edi\n\tmov %[sig], %%esi\n\tsyscall\n\t"
                     "movq %%xmm8, %[out]\n\tstmxcsr %[mx]"
                     : [out] "=r"(out_lo), [mx] "=m"(mxcsr_after)
                     : [in] "r"(in_lo), [nr] "i"(SYS_kill), [pid] "r"(pid), [sig] "i"(SIGUSR1)
                     : "rax", "rdi", "rsi", "rcx", "r11", "xmm8", "memory");
    printf("FPU state after a handler: xmm8 kept=%d mxcsr=%#x\n", out_lo == in_lo, mxcsr_after);

    /* SIGFPE from an integer division by zero */
    install_info(SIGFPE, fault_handler, 0);
    volatile int zero = 0, seven = 7;
    if (sigsetjmp(jump, 1) == 0) {
        volatile int q = seven / zero;
        (void)q;
        printf("no fault\n");
    }
    printf("1/0: sig=%d FPE_INTDIV=%d\n", fault_signo, fault_code == FPE_INTDIV);

    /* a handler that changes rip and rax: the idiv is skipped, rax (the quotient) set */
    install_info(SIGFPE, skip_and_set, 0);
    long quotient;
    __asm__ volatile("mov $7, %%eax\n\tcltd\n\tidiv %1" : "=a"(quotient) : "c"(zero) : "rdx");
    printf("changed ucontext: quotient=%ld\n", quotient);

    /* SIGILL from ud2, skipped by the handler */
    install_info(SIGILL, skip_and_set, 0);
    long after_ud2;
    __asm__ volatile("mov $1, %%eax\n\tud2\n\t" : "=a"(after_ud2));
    printf("ud2: sig=%d ILL_ILLOPN=%d rax=%ld\n", fault_signo, fault_code == ILL_ILLOPN, after_ud2);

    /* SIGTRAP from int3 resumes after it */
    install(SIGTRAP, on_trap, 0, NULL);
    __asm__ volatile("int3");
    CHECK("int3: the handler ran and the program goes on", trap_hits == 1);

    /* the frame of a blocked read at its syscall instruction, restarted and not */
    if (pipe(site_pipe) == 0) {
        struct itimerval soon = {{0, 0}, {0, 50000}};
        char c;
        install_info(SIGALRM, site_probe, SA_RESTART);
        site_feed = 1;
        setitimer(ITIMER_REAL, &soon, NULL);
        long r = read_at_site(site_pipe[0], &c, 1);
        CHECK("a restarted read's frame shows its syscall instruction", site_rip == (uintptr_t)sd_read_site);
        CHECK("the restarted read got the handler's byte", r == 1);
        install_info(SIGALRM, site_probe, 0);
        site_feed = 0;
        setitimer(ITIMER_REAL, &soon, NULL);
        r = read_at_site(site_pipe[0], &c, 1);
        CHECK("an interrupted read's frame shows the instruction after it", site_rip == (uintptr_t)sd_read_after);
        CHECK("the interrupted read returned EINTR", r == -EINTR);
    }
    return GUEST_END();
}
