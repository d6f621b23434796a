/* Linux x86-64 signal ABI: siginfo, the signal frame (rt_sigframe = return address,
   ucontext, siginfo, then the FPU/extended state), sigaction flags and si_code values.
   Layouts are the kernel's (arch/x86/include/uapi/asm/sigcontext.h, ucontext.h,
   include/uapi/asm-generic/siginfo.h); tests/unit/abi_test.c checks them against glibc's. */
#ifndef PX_ABI_LINUX_SIGNAL_H
#define PX_ABI_LINUX_SIGNAL_H

#include "linux_consts.h"
#include "linux_types.h"

/* dispositions (sa_handler values) */
#define LINUX_SIG_DFL 0
#define LINUX_SIG_IGN 1
#define LINUX_SIG_ERR ((uint64_t)-1)

/* The kernel's sigset_t: 64 signals, one bit each (bit sig-1). */
#define LINUX_SIGSET_SIZE 8
#define LINUX_SIGRTMIN 32
#define LINUX_SIGRTMAX 64

/* sa_flags */
#define LINUX_SA_NOCLDSTOP 0x00000001u
#define LINUX_SA_NOCLDWAIT 0x00000002u
#define LINUX_SA_SIGINFO 0x00000004u
#define LINUX_SA_UNSUPPORTED 0x00000400u
#define LINUX_SA_EXPOSE_TAGBITS 0x00000800u
#define LINUX_SA_RESTORER 0x04000000u
#define LINUX_SA_ONSTACK 0x08000000u
#define LINUX_SA_RESTART 0x10000000u
#define LINUX_SA_NODEFER 0x40000000u
#define LINUX_SA_RESETHAND 0x80000000u

/* si_code: who sent it */
#define LINUX_SI_USER 0
#define LINUX_SI_KERNEL 0x80
#define LINUX_SI_QUEUE (-1)
#define LINUX_SI_TIMER (-2)
#define LINUX_SI_MESGQ (-3)
#define LINUX_SI_ASYNCIO (-4)
#define LINUX_SI_SIGIO (-5)
#define LINUX_SI_TKILL (-6)
/* si_code of the fault signals */
#define LINUX_ILL_ILLOPC 1
#define LINUX_ILL_ILLOPN 2
#define LINUX_ILL_ILLADR 3
#define LINUX_ILL_ILLTRP 4
#define LINUX_ILL_PRVOPC 5
#define LINUX_ILL_PRVREG 6
#define LINUX_ILL_COPROC 7
#define LINUX_ILL_BADSTK 8
#define LINUX_FPE_INTDIV 1
#define LINUX_FPE_INTOVF 2
#define LINUX_FPE_FLTDIV 3
#define LINUX_FPE_FLTOVF 4
#define LINUX_FPE_FLTUND 5
#define LINUX_FPE_FLTRES 6
#define LINUX_FPE_FLTINV 7
#define LINUX_FPE_FLTSUB 8
#define LINUX_SEGV_MAPERR 1
#define LINUX_SEGV_ACCERR 2
#define LINUX_BUS_ADRALN 1
#define LINUX_BUS_ADRERR 2
#define LINUX_BUS_OBJERR 3
#define LINUX_TRAP_BRKPT 1
#define LINUX_TRAP_TRACE 2
#define LINUX_CLD_EXITED 1
#define LINUX_CLD_KILLED 2
#define LINUX_CLD_DUMPED 3
#define LINUX_CLD_TRAPPED 4
#define LINUX_CLD_STOPPED 5
#define LINUX_CLD_CONTINUED 6
#define LINUX_POLL_IN 1
#define LINUX_SYS_SECCOMP 1

/* x86-64 user segment selectors (__USER_CS, __USER_DS) as the frame records them */
#define LINUX_USER_CS 0x33
#define LINUX_USER_DS 0x2b

/* rflags bits the signal path touches */
#define LINUX_X86_EFLAGS_CF 0x00000001u
#define LINUX_X86_EFLAGS_PF 0x00000004u
#define LINUX_X86_EFLAGS_AF 0x00000010u
#define LINUX_X86_EFLAGS_ZF 0x00000040u
#define LINUX_X86_EFLAGS_SF 0x00000080u
#define LINUX_X86_EFLAGS_TF 0x00000100u
#define LINUX_X86_EFLAGS_IF 0x00000200u
#define LINUX_X86_EFLAGS_DF 0x00000400u
#define LINUX_X86_EFLAGS_OF 0x00000800u
#define LINUX_X86_EFLAGS_RF 0x00010000u
#define LINUX_X86_EFLAGS_AC 0x00040000u
/* The flags rt_sigreturn takes from the frame (the kernel's FIX_EFLAGS); others stay. */
#define LINUX_FIX_EFLAGS (LINUX_X86_EFLAGS_AC | LINUX_X86_EFLAGS_OF | LINUX_X86_EFLAGS_DF | \
                          LINUX_X86_EFLAGS_TF | LINUX_X86_EFLAGS_SF | LINUX_X86_EFLAGS_ZF | \
                          LINUX_X86_EFLAGS_AF | LINUX_X86_EFLAGS_PF | LINUX_X86_EFLAGS_CF | \
                          LINUX_X86_EFLAGS_RF)

/* ucontext.uc_flags */
#define LINUX_UC_FP_XSTATE 0x1
#define LINUX_UC_SIGCONTEXT_SS 0x2
#define LINUX_UC_STRICT_RESTORE_SS 0x4

/* The extended-state frame: sw_reserved of the fxsave area says an xsave layout
   follows (magic1), and magic2 ends it, at fpstate + extended_size - 4. */
#define LINUX_FP_XSTATE_MAGIC1 0x46505853u
#define LINUX_FP_XSTATE_MAGIC2 0x46505845u
#define LINUX_FP_XSTATE_MAGIC2_SIZE 4
/* xsave feature bits (XCR0) */
#define LINUX_XFEATURE_MASK_FP 0x1ull
#define LINUX_XFEATURE_MASK_SSE 0x2ull
#define LINUX_XFEATURE_MASK_YMM 0x4ull
#define LINUX_XFEATURE_MASK_FPSSE (LINUX_XFEATURE_MASK_FP | LINUX_XFEATURE_MASK_SSE)

union linux_sigval {
    int32_t sival_int;
    uint64_t sival_ptr;
};
PX_ABI_ASSERT_SIZE(union linux_sigval, 8);

/* siginfo_t: 128 bytes, three ints then a union chosen by signal and si_code. */
#define LINUX_SI_MAX_SIZE 128
struct linux_siginfo {
    int32_t si_signo;
    int32_t si_errno;
    int32_t si_code;
    int32_t _pad0;                 /* the union is 8-byte aligned */
    union {
        int32_t _pad[28];
        struct {                   /* kill, tkill, tgkill; SI_USER */
            int32_t pid;
            uint32_t uid;
        } kill;
        struct {                   /* POSIX timers */
            int32_t tid;
            int32_t overrun;
            union linux_sigval sigval;
            int32_t sys_private;
        } timer;
        struct {                   /* sigqueue, real-time signals */
            int32_t pid;
            uint32_t uid;
            union linux_sigval sigval;
        } rt;
        struct {                   /* SIGCHLD */
            int32_t pid;
            uint32_t uid;
            int32_t status;
            int32_t _pad1;
            int64_t utime;         /* clock ticks */
            int64_t stime;
        } sigchld;
        struct {                   /* SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP */
            uint64_t addr;
            union {
                int16_t addr_lsb;  /* BUS_MCEERR_*: the corrupted unit's size */
                struct {
                    uint8_t _dummy_bnd[8];  /* __ADDR_BND_PKEY_PAD: pointer alignment */
                    uint64_t lower, upper;  /* SEGV_BNDERR */
                } addr_bnd;
                struct {
                    uint8_t _dummy_pkey[8];
                    uint32_t pkey;          /* SEGV_PKUERR */
                } addr_pkey;
            };
        } sigfault;
        struct {                   /* SIGIO, SIGPOLL */
            int64_t band;
            int32_t fd;
        } sigpoll;
        struct {                   /* SIGSYS from seccomp */
            uint64_t call_addr;
            int32_t syscall;
            uint32_t arch;
        } sigsys;
    };
};
PX_ABI_ASSERT_SIZE(struct linux_siginfo, LINUX_SI_MAX_SIZE);
PX_ABI_ASSERT_OFFSET(struct linux_siginfo, si_code, 8);
PX_ABI_ASSERT_OFFSET(struct linux_siginfo, kill.pid, 16);
PX_ABI_ASSERT_OFFSET(struct linux_siginfo, kill.uid, 20);
PX_ABI_ASSERT_OFFSET(struct linux_siginfo, timer.overrun, 20);
PX_ABI_ASSERT_OFFSET(struct linux_siginfo, timer.sigval, 24);
PX_ABI_ASSERT_OFFSET(struct linux_siginfo, rt.sigval, 24);
PX_ABI_ASSERT_OFFSET(struct linux_siginfo, sigchld.status, 24);
PX_ABI_ASSERT_OFFSET(struct linux_siginfo, sigchld.utime, 32);
PX_ABI_ASSERT_OFFSET(struct linux_siginfo, sigchld.stime, 40);
PX_ABI_ASSERT_OFFSET(struct linux_siginfo, sigfault.addr, 16);
PX_ABI_ASSERT_OFFSET(struct linux_siginfo, sigfault.addr_lsb, 24);
PX_ABI_ASSERT_OFFSET(struct linux_siginfo, sigfault.addr_bnd.lower, 32);
PX_ABI_ASSERT_OFFSET(struct linux_siginfo, sigfault.addr_pkey.pkey, 32);
PX_ABI_ASSERT_OFFSET(struct linux_siginfo, sigpoll.fd, 24);
PX_ABI_ASSERT_OFFSET(struct linux_siginfo, sigsys.syscall, 24);
PX_ABI_ASSERT_OFFSET(struct linux_siginfo, sigsys.arch, 28);

/* The fxsave area (struct _fpstate_64): x87, MXCSR, xmm0-15. 512 bytes, 16-aligned. */
struct linux_fpx_sw_bytes {
    uint32_t magic1;         /* LINUX_FP_XSTATE_MAGIC1 when an xsave layout follows */
    uint32_t extended_size;  /* the whole layout: xstate_size + LINUX_FP_XSTATE_MAGIC2_SIZE */
    uint64_t xfeatures;      /* the features the layout holds (XCR0 bits) */
    uint32_t xstate_size;    /* the xsave area alone */
    uint32_t padding[7];
};
PX_ABI_ASSERT_SIZE(struct linux_fpx_sw_bytes, 48);

struct linux_fpstate {
    uint16_t cwd;            /* x87 control word */
    uint16_t swd;            /* status word */
    uint16_t twd;            /* abridged tag word (fxsave's, not fsave's) */
    uint16_t fop;
    uint64_t rip;
    uint64_t rdp;
    uint32_t mxcsr;
    uint32_t mxcsr_mask;
    uint32_t st_space[32];   /* st0-7, 16 bytes each */
    uint32_t xmm_space[64];  /* xmm0-15, 16 bytes each */
    uint32_t reserved2[12];
    struct linux_fpx_sw_bytes sw_reserved; /* bytes the processor leaves alone */
};
PX_ABI_ASSERT_SIZE(struct linux_fpstate, 512);
PX_ABI_ASSERT_OFFSET(struct linux_fpstate, mxcsr, 24);
PX_ABI_ASSERT_OFFSET(struct linux_fpstate, st_space, 32);
PX_ABI_ASSERT_OFFSET(struct linux_fpstate, xmm_space, 160);
PX_ABI_ASSERT_OFFSET(struct linux_fpstate, sw_reserved, 464);

/* The xsave header, right after the fxsave area (standard, non-compacted form). */
struct linux_xstate_header {
    uint64_t xfeatures;      /* XSTATE_BV: the features in the area that are not in their init state */
    uint64_t xcomp_bv;       /* 0: the standard form, which is what signal frames use */
    uint64_t reserved[6];
};
PX_ABI_ASSERT_SIZE(struct linux_xstate_header, 64);

/* The start of an xsave area: what every x86-64 with AVX has; further components
   (AVX-512, PKRU, ...) follow at offsets CPUID leaf 0xd gives. */
struct linux_xstate {
    struct linux_fpstate fpstate;
    struct linux_xstate_header header;
    uint32_t ymmh_space[64];  /* the upper halves of ymm0-15 */
};
PX_ABI_ASSERT_SIZE(struct linux_xstate, 832);
PX_ABI_ASSERT_OFFSET(struct linux_xstate, header, 512);
PX_ABI_ASSERT_OFFSET(struct linux_xstate, ymmh_space, 576);

/* struct sigcontext (x86-64): the general registers of the interrupted code. */
struct linux_sigcontext {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp;
    uint64_t rip;
    uint64_t eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err;            /* the fault's error code */
    uint64_t trapno;         /* the exception vector (14: page fault) */
    uint64_t oldmask;        /* the blocked signals before the handler, as uc_sigmask */
    uint64_t cr2;            /* the faulting address of a page fault */
    uint64_t fpstate;        /* guest address of the struct linux_fpstate, or 0: FPU in init state */
    uint64_t reserved1[8];
};
PX_ABI_ASSERT_SIZE(struct linux_sigcontext, 256);
PX_ABI_ASSERT_OFFSET(struct linux_sigcontext, rdi, 64);
PX_ABI_ASSERT_OFFSET(struct linux_sigcontext, rsp, 120);
PX_ABI_ASSERT_OFFSET(struct linux_sigcontext, rip, 128);
PX_ABI_ASSERT_OFFSET(struct linux_sigcontext, eflags, 136);
PX_ABI_ASSERT_OFFSET(struct linux_sigcontext, cs, 144);
PX_ABI_ASSERT_OFFSET(struct linux_sigcontext, ss, 150);
PX_ABI_ASSERT_OFFSET(struct linux_sigcontext, err, 152);
PX_ABI_ASSERT_OFFSET(struct linux_sigcontext, cr2, 176);
PX_ABI_ASSERT_OFFSET(struct linux_sigcontext, fpstate, 184);

/* stack_t (sigaltstack(2), uc_stack) is struct linux_stack_t of linux_types.h, its
   LINUX_SS_* flags in linux_consts.h. */
#define LINUX_SIGSTKSZ 8192

/* The kernel's struct ucontext (its sigset is 8 bytes: glibc's ucontext_t is longer
   but begins with the same fields). */
struct linux_ucontext {
    uint64_t uc_flags;       /* LINUX_UC_* */
    uint64_t uc_link;        /* 0 */
    struct linux_stack_t uc_stack;
    struct linux_sigcontext uc_mcontext;
    uint64_t uc_sigmask;
};
PX_ABI_ASSERT_SIZE(struct linux_ucontext, 304);
PX_ABI_ASSERT_OFFSET(struct linux_ucontext, uc_stack, 16);
PX_ABI_ASSERT_OFFSET(struct linux_ucontext, uc_mcontext, 40);
PX_ABI_ASSERT_OFFSET(struct linux_ucontext, uc_sigmask, 296);

/* What setup_rt_frame puts on the stack: the handler's return address (sa_restorer),
   the ucontext, the siginfo; the FPU state follows, 64-byte aligned, above it. */
struct linux_rt_sigframe {
    uint64_t pretcode;
    struct linux_ucontext uc;
    struct linux_siginfo info;
};
PX_ABI_ASSERT_SIZE(struct linux_rt_sigframe, 440);
PX_ABI_ASSERT_OFFSET(struct linux_rt_sigframe, uc, 8);
PX_ABI_ASSERT_OFFSET(struct linux_rt_sigframe, info, 312);

/* What read(2) of a signalfd returns: 128 bytes a signal. */
struct linux_signalfd_siginfo {
    uint32_t ssi_signo;
    int32_t ssi_errno;
    int32_t ssi_code;
    uint32_t ssi_pid;
    uint32_t ssi_uid;
    int32_t ssi_fd;
    uint32_t ssi_tid;
    uint32_t ssi_band;
    uint32_t ssi_overrun;
    uint32_t ssi_trapno;
    int32_t ssi_status;
    int32_t ssi_int;
    uint64_t ssi_ptr;
    uint64_t ssi_utime;
    uint64_t ssi_stime;
    uint64_t ssi_addr;
    uint16_t ssi_addr_lsb;
    uint16_t _pad2;
    int32_t ssi_syscall;
    uint64_t ssi_call_addr;
    uint32_t ssi_arch;
    uint8_t _pad[28];
};
PX_ABI_ASSERT_SIZE(struct linux_signalfd_siginfo, 128);
PX_ABI_ASSERT_OFFSET(struct linux_signalfd_siginfo, ssi_ptr, 48);
PX_ABI_ASSERT_OFFSET(struct linux_signalfd_siginfo, ssi_addr, 72);
PX_ABI_ASSERT_OFFSET(struct linux_signalfd_siginfo, ssi_syscall, 84);
PX_ABI_ASSERT_OFFSET(struct linux_signalfd_siginfo, ssi_arch, 96);

/* signalfd4(2) flags */
#define LINUX_SFD_CLOEXEC 02000000
#define LINUX_SFD_NONBLOCK 04000

#endif
