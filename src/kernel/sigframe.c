/* Signal frames: the layout of Linux's x86-64 rt_sigframe (arch/x86/kernel/signal.c
   get_sigframe and x64_setup_rt_frame, fpu/signal.c for the FPU part) built from a
   px_regs frame and an xsave area, and read back for rt_sigreturn. Host-neutral: the
   x86 instructions it needs (cpuid, xgetbv) are the CPU's, not the host's. */
#include <cpuid.h>
#include <string.h>
#include "core/px.h"
#include "core/uaccess.h"
#include "kernel/sigframe.h"

#define SIG_BIT(sig) (1ULL << ((sig) - 1))
#define RED_ZONE 128
#define FXSAVE_SIZE 512
#define XSAVE_HEADER_END 576
#define MXCSR_DEFAULT 0x1f80
#define FCW_DEFAULT 0x037f
/* The user features picolx saves: x87, SSE, AVX, AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM).
   Not MPX (gone from CPUs and kernels) nor supervisor or PKRU state. */
#define SAVED_FEATURES 0xe7ull

px_xstate_config px_xstate;

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

void px_xstate_init(void)
{
    if (px_xstate.size) return;
    px_xstate_config c = {.mask = 0, .size = FXSAVE_SIZE};
    unsigned a, b, cx, d;
    if (__get_cpuid(1, &a, &b, &cx, &d) && (cx & bit_OSXSAVE) && __get_cpuid_max(0, NULL) >= 0xd) {
        c.mask = xgetbv0() & SAVED_FEATURES;
        uint32_t size = XSAVE_HEADER_END;
        /* each component's offset and size in the standard form: CPUID.(0xd, i) */
        for (unsigned i = 2; i < 64; i++) {
            if (!(c.mask & (1ull << i))) continue;
            __cpuid_count(0xd, i, a, b, cx, d);
            if (a + b > size) size = a + b;
        }
        c.size = size;
    }
    c.area_size = (uint32_t)PX_ALIGN_UP(c.size, 64) + 64;
    px_xstate = c;
}

void px_xstate_set_init(void *area)
{
    memset(area, 0, px_xstate.size);
    struct linux_fpstate *fp = area;
    fp->cwd = FCW_DEFAULT;
    fp->mxcsr = MXCSR_DEFAULT;
    /* XSTATE_BV 0: xrstor puts every component in its initial configuration (MXCSR
       excepted, which it loads from the area) */
}

/* sas_ss_flags / on_sig_stack for a stack growing down */
static bool on_altstack(const struct linux_stack_t *s, uint64_t sp)
{
    if (s->ss_flags & (int32_t)LINUX_SS_AUTODISARM) return false;
    return s->ss_size && sp > s->ss_sp && sp - s->ss_sp <= s->ss_size;
}

static int32_t altstack_flags(const struct linux_stack_t *s, uint64_t sp)
{
    if (!s->ss_size || (s->ss_flags & LINUX_SS_DISABLE)) return LINUX_SS_DISABLE;
    return on_altstack(s, sp) ? LINUX_SS_ONSTACK : 0;
}

/* The FPU part of the frame: the xsave area and its 4-byte end magic. */
static uint64_t math_frame_size(void)
{
    return px_xstate.mask ? (uint64_t)px_xstate.size + LINUX_FP_XSTATE_MAGIC2_SIZE : FXSAVE_SIZE;
}

int64_t px_sigframe_place(const px_sigframe_args *a, px_sigframe_layout *out)
{
    uint64_t sp = a->regs->rsp - RED_ZONE;
    bool nested = on_altstack(&a->altstack, a->regs->rsp), entering = false;
    if ((a->sa_flags & LINUX_SA_ONSTACK) && altstack_flags(&a->altstack, sp) == 0) {
        sp = a->altstack.ss_sp + a->altstack.ss_size;
        entering = true;
    }
    uint64_t fpstate = PX_ALIGN_DOWN(sp - math_frame_size(), 64);
    uint64_t frame = PX_ALIGN_DOWN(fpstate - sizeof(struct linux_rt_sigframe), 16) - 8;
    /* past the bottom of the alternate stack: a bad frame, not a write below it */
    if ((nested || entering) && !(frame > a->altstack.ss_sp && frame - a->altstack.ss_sp <= a->altstack.ss_size))
        return -LINUX_EFAULT;
    out->frame = frame;
    out->fpstate = fpstate;
    out->size = fpstate + math_frame_size() - frame;
    out->on_altstack = nested || entering;
    return 0;
}

static void fill_fpstate(const px_sigframe_args *a, uint8_t *fp_image)
{
    memcpy(fp_image, a->xstate, px_xstate.size);
    struct linux_fpstate *fp = (struct linux_fpstate *)fp_image;
    if (px_xstate.mask) {
        struct linux_xstate_header *h = (struct linux_xstate_header *)(fp_image + FXSAVE_SIZE);
        /* xmm registers not in use were not necessarily written: they are zero */
        if (!(h->xfeatures & LINUX_XFEATURE_MASK_SSE)) memset(fp->xmm_space, 0, sizeof fp->xmm_space);
        h->xfeatures |= LINUX_XFEATURE_MASK_SSE;
    }
    /* xmm0-5 are volatile in the Windows ABI: the guest's are the ones entry.S saved */
    memcpy(fp->xmm_space, a->regs->xmm, sizeof a->regs->xmm);
    memset(&fp->sw_reserved, 0, sizeof fp->sw_reserved);
    if (px_xstate.mask) {
        fp->sw_reserved.magic1 = LINUX_FP_XSTATE_MAGIC1;
        fp->sw_reserved.extended_size = px_xstate.size + LINUX_FP_XSTATE_MAGIC2_SIZE;
        fp->sw_reserved.xfeatures = px_xstate.mask;
        fp->sw_reserved.xstate_size = px_xstate.size;
        uint32_t magic2 = LINUX_FP_XSTATE_MAGIC2;
        memcpy(fp_image + px_xstate.size, &magic2, sizeof magic2);
    }
}

void px_sigframe_fill(const px_sigframe_args *a, const px_sigframe_layout *l, void *buf)
{
    const px_regs *r = a->regs;
    memset(buf, 0, l->size);
    struct linux_rt_sigframe *f = buf;
    f->pretcode = a->restorer;
    f->uc.uc_flags = LINUX_UC_SIGCONTEXT_SS | LINUX_UC_STRICT_RESTORE_SS |
                     (px_xstate.mask ? LINUX_UC_FP_XSTATE : 0);
    f->uc.uc_link = 0;
    f->uc.uc_stack.ss_sp = a->altstack.ss_sp;
    f->uc.uc_stack.ss_size = a->altstack.ss_size;
    f->uc.uc_stack.ss_flags = altstack_flags(&a->altstack, r->rsp);
    struct linux_sigcontext *sc = &f->uc.uc_mcontext;
    sc->r8 = r->r8; sc->r9 = r->r9; sc->r10 = r->r10; sc->r11 = r->r11;
    sc->r12 = r->r12; sc->r13 = r->r13; sc->r14 = r->r14; sc->r15 = r->r15;
    sc->rdi = r->rdi; sc->rsi = r->rsi; sc->rbp = r->rbp; sc->rbx = r->rbx;
    sc->rdx = r->rdx; sc->rax = r->rax; sc->rcx = r->rcx; sc->rsp = r->rsp;
    sc->rip = r->rip;
    sc->eflags = r->rflags;
    sc->cs = LINUX_USER_CS;
    sc->ss = LINUX_USER_DS;
    sc->err = a->err;
    sc->trapno = a->trapno;
    sc->oldmask = a->saved_mask;
    sc->cr2 = a->cr2;
    sc->fpstate = l->fpstate;
    /* the TEB scratch word of an interrupted rewritten %fs: access (entry.S's pad) */
    sc->reserved1[0] = r->pad;
    sc->reserved1[1] = a->site;
    sc->reserved1[2] = a->site_return;
    f->uc.uc_sigmask = a->saved_mask;
    if ((a->sa_flags & LINUX_SA_SIGINFO) && a->info) f->info = *a->info;
    fill_fpstate(a, (uint8_t *)buf + (l->fpstate - l->frame));
}

void px_sigframe_handler_regs(const px_sigframe_args *a, const px_sigframe_layout *l, px_regs *regs)
{
    int sig = a->info ? a->info->si_signo : 0;
    regs->rdi = (uint64_t)sig;
    regs->rsi = l->frame + offsetof(struct linux_rt_sigframe, info);
    regs->rdx = l->frame + offsetof(struct linux_rt_sigframe, uc);
    regs->rax = 0;
    regs->rsp = l->frame;
    regs->rip = a->handler;
    regs->rflags &= ~(uint64_t)(LINUX_X86_EFLAGS_DF | LINUX_X86_EFLAGS_RF | LINUX_X86_EFLAGS_TF);
    memset(regs->xmm, 0, sizeof regs->xmm);
}

int64_t px_sigframe_setup(const px_sigframe_args *a, px_regs *regs, px_sigframe_layout *out)
{
    /* x86-64 has no kernel-provided return path: without SA_RESTORER there is nowhere
       to return to (Linux: -EFAULT, then SIGSEGV) */
    if (!(a->sa_flags & LINUX_SA_RESTORER)) return -LINUX_EFAULT;
    int64_t r = px_sigframe_place(a, out);
    if (r) return r;
    void *image = px_alloc(out->size);
    if (!image) return -LINUX_ENOMEM;
    px_sigframe_fill(a, out, image);
    r = px_copy_out(out->frame, image, out->size);
    px_free(image);
    if (r) return r;
    px_sigframe_handler_regs(a, out, regs);
    return 0;
}

void px_sigreturn_parse(const struct linux_rt_sigframe *f, px_regs *regs, px_sigreturn_state *out)
{
    const struct linux_sigcontext *sc = &f->uc.uc_mcontext;
    regs->r8 = sc->r8; regs->r9 = sc->r9; regs->r10 = sc->r10; regs->r11 = sc->r11;
    regs->r12 = sc->r12; regs->r13 = sc->r13; regs->r14 = sc->r14; regs->r15 = sc->r15;
    regs->rdi = sc->rdi; regs->rsi = sc->rsi; regs->rbp = sc->rbp; regs->rbx = sc->rbx;
    regs->rdx = sc->rdx; regs->rax = sc->rax; regs->rcx = sc->rcx; regs->rsp = sc->rsp;
    regs->rip = sc->rip;
    regs->rflags = (regs->rflags & ~(uint64_t)LINUX_FIX_EFLAGS) | (sc->eflags & LINUX_FIX_EFLAGS);
    regs->orig_rax = (uint64_t)-1;
    regs->pad = sc->reserved1[0];
    out->sigmask = f->uc.uc_sigmask & ~(SIG_BIT(LINUX_SIGKILL) | SIG_BIT(LINUX_SIGSTOP));
    out->altstack = f->uc.uc_stack;
    out->fpu_init = sc->fpstate == 0;
    out->site = sc->reserved1[1];
    out->site_return = sc->reserved1[2];
}

int64_t px_sigreturn_read_xstate(uint64_t fpstate, void *area, px_regs *regs)
{
    px_xstate_set_init(area);
    struct linux_fpstate *fp = area;
    if (!fpstate) {
        memset(regs->xmm, 0, sizeof regs->xmm);
        return 0;
    }
    if (px_copy_in(area, fpstate, FXSAVE_SIZE)) return -LINUX_EFAULT;
    /* an xsave layout needs both magics and a size this CPU's layout allows, and a
       64-byte aligned area; otherwise only the fxsave part counts */
    const struct linux_fpx_sw_bytes sw = fp->sw_reserved;
    bool xsave = px_xstate.mask && !(fpstate % 64) && sw.magic1 == LINUX_FP_XSTATE_MAGIC1 &&
                 sw.xstate_size >= XSAVE_HEADER_END && sw.xstate_size <= px_xstate.size &&
                 sw.xstate_size <= sw.extended_size;
    if (xsave) {
        uint32_t magic2;
        if (px_copy_in(&magic2, fpstate + sw.xstate_size, sizeof magic2)) return -LINUX_EFAULT;
        xsave = magic2 == LINUX_FP_XSTATE_MAGIC2;
    }
    if (fp->mxcsr & 0xffff0000u) return -LINUX_EFAULT;  /* reserved MXCSR bits: xrstor faults */
    struct linux_xstate_header *h = (struct linux_xstate_header *)((uint8_t *)area + FXSAVE_SIZE);
    if (xsave) {
        if (px_copy_in((uint8_t *)area + FXSAVE_SIZE, fpstate + FXSAVE_SIZE, sw.xstate_size - FXSAVE_SIZE))
            return -LINUX_EFAULT;
        /* xrstor faults on a compacted or reserved header or on features not enabled */
        if (h->xcomp_bv || (h->xfeatures & ~px_xstate.mask)) return -LINUX_EFAULT;
        for (size_t i = 0; i < PX_ARRAY_LEN(h->reserved); i++)
            if (h->reserved[i]) return -LINUX_EFAULT;
        h->xfeatures &= sw.xfeatures;
    } else if (px_xstate.mask) {
        memset(h, 0, sizeof *h);
        h->xfeatures = LINUX_XFEATURE_MASK_FPSSE;  /* fxsave layout: FP and SSE, the rest initial */
    }
    memset(&fp->sw_reserved, 0, sizeof fp->sw_reserved);
    if (px_xstate.mask && !(h->xfeatures & LINUX_XFEATURE_MASK_SSE)) memset(regs->xmm, 0, sizeof regs->xmm);
    else memcpy(regs->xmm, fp->xmm_space, sizeof regs->xmm);
    return 0;
}

int64_t px_sigreturn_read(px_regs *regs, px_sigreturn_state *out, void *area)
{
    struct linux_rt_sigframe f;
    if (px_copy_in(&f, regs->rsp - 8, sizeof f)) return -LINUX_EFAULT;
    px_regs r = *regs;
    px_sigreturn_parse(&f, &r, out);
    if (px_sigreturn_read_xstate(f.uc.uc_mcontext.fpstate, area, &r)) return -LINUX_EFAULT;
    *regs = r;
    return 0;
}

enum px_restart_action px_restart_action(int64_t result, bool handler_runs, uint64_t sa_flags)
{
    switch (result) {
    case -LINUX_ERESTARTNOHAND:
        return handler_runs ? PX_RESTART_EINTR : PX_RESTART_CALL;
    case -LINUX_ERESTARTSYS:
        return handler_runs && !(sa_flags & LINUX_SA_RESTART) ? PX_RESTART_EINTR : PX_RESTART_CALL;
    case -LINUX_ERESTARTNOINTR:
        return PX_RESTART_CALL;
    case -LINUX_ERESTART_RESTARTBLOCK:
        return handler_runs ? PX_RESTART_EINTR : PX_RESTART_BLOCK;
    default:
        return PX_RESTART_NONE;
    }
}
