/* Signal frames (src/kernel/sigframe.c), natively: a frame built from a known px_regs
   frame and a real xsave area, read through glibc's ucontext_t, mcontext_t and
   siginfo_t as a handler would; placement rules; rt_sigreturn's reading and checks;
   the restart rules. Guest memory is this process's memory here. */
#define _GNU_SOURCE
#include "core/px.h"
#include "core/uaccess.h"
#include "kernel/sigframe.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ucontext.h>

int64_t px_uaccess_copy(void *dst, const void *src, size_t n)
{
    memcpy(dst, src, n);
    return 0;
}

#define STACK_SIZE (64 * 1024)
static uint8_t *stack_mem;     /* the "guest" stack */
static void *area;             /* an xsave area of this CPU */

static void setup(void)
{
    px_xstate_init();
    stack_mem = aligned_alloc(4096, STACK_SIZE);
    area = aligned_alloc(64, px_xstate.area_size);
    memset(area, 0, px_xstate.area_size);
    /* the live state, as entry.S would save it at the exit path */
    if (px_xstate.mask) {
        uint32_t lo = (uint32_t)px_xstate.mask, hi = (uint32_t)(px_xstate.mask >> 32);
        __asm__ volatile("xsave64 (%0)" : : "r"(area), "a"(lo), "d"(hi) : "memory");
    } else {
        __asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
    }
}

static void teardown(void)
{
    free(stack_mem);
    free(area);
}

static px_regs known_regs(uint64_t rsp)
{
    px_regs r;
    memset(&r, 0, sizeof r);
    uint64_t *g = &r.rax;
    for (int i = 0; i < 16; i++) g[i] = 0x1111111111111111ull * (uint64_t)(i + 1);
    r.rsp = rsp;
    r.rip = 0x401234;
    r.rflags = 0x246 | LINUX_X86_EFLAGS_DF;
    r.orig_rax = 39;
    for (int i = 0; i < 6; i++) {
        r.xmm[i][0] = 0xa0a0a0a0a0a0a0a0ull + (uint64_t)i;
        r.xmm[i][1] = 0xb0b0b0b0b0b0b0b0ull + (uint64_t)i;
    }
    return r;
}

static struct linux_siginfo segv_info(void)
{
    struct linux_siginfo si;
    memset(&si, 0, sizeof si);
    si.si_signo = LINUX_SIGSEGV;
    si.si_code = LINUX_SEGV_ACCERR;
    si.sigfault.addr = 0xdead000;
    return si;
}

#define SIG_BIT_USR1 (1ull << (LINUX_SIGUSR1 - 1))

static px_sigframe_args args_for(const px_regs *r, const struct linux_siginfo *si)
{
    px_sigframe_args a = {
        .regs = r, .info = si, .handler = 0x402000, .restorer = 0x403000,
        .sa_flags = LINUX_SA_SIGINFO | LINUX_SA_RESTORER, .saved_mask = SIG_BIT_USR1,
        .altstack = {.ss_flags = LINUX_SS_DISABLE}, .xstate = area,
        .cr2 = 0xdead000, .err = 7, .trapno = 14,
    };
    return a;
}
TestSuite(sigframe, .init = setup, .fini = teardown);

Test(sigframe, fields_land_where_glibc_reads_them)
{
    uint64_t rsp = (uint64_t)(uintptr_t)(stack_mem + STACK_SIZE - 1000);
    px_regs r = known_regs(rsp), h = r;
    struct linux_siginfo si = segv_info();
    px_sigframe_args a = args_for(&r, &si);
    px_sigframe_layout l;
    cr_assert_eq(px_sigframe_setup(&a, &h, &l), 0);

    /* placement: below the red zone, (rsp + 8) % 16 == 0 at the handler, fpstate 64-aligned */
    cr_expect_eq((l.frame + 8) % 16, 0);
    cr_expect_eq(l.fpstate % 64, 0);
    cr_expect_leq(l.frame + l.size, rsp - 128);
    cr_expect_geq(l.fpstate, l.frame + sizeof(struct linux_rt_sigframe));
    cr_expect_not(l.on_altstack);

    uint64_t *pretcode = (uint64_t *)(uintptr_t)l.frame;
    ucontext_t *uc = (ucontext_t *)(uintptr_t)(l.frame + 8);
    siginfo_t *info = (siginfo_t *)(uintptr_t)(l.frame + 8 + sizeof(struct linux_ucontext));
    cr_expect_eq(*pretcode, 0x403000);
    const greg_t *g = uc->uc_mcontext.gregs;
    cr_expect_eq((uint64_t)g[REG_RAX], r.rax);
    cr_expect_eq((uint64_t)g[REG_RBX], r.rbx);
    cr_expect_eq((uint64_t)g[REG_RCX], r.rcx);
    cr_expect_eq((uint64_t)g[REG_RDX], r.rdx);
    cr_expect_eq((uint64_t)g[REG_RSI], r.rsi);
    cr_expect_eq((uint64_t)g[REG_RDI], r.rdi);
    cr_expect_eq((uint64_t)g[REG_RBP], r.rbp);
    cr_expect_eq((uint64_t)g[REG_RSP], r.rsp);
    cr_expect_eq((uint64_t)g[REG_R8], r.r8);
    cr_expect_eq((uint64_t)g[REG_R9], r.r9);
    cr_expect_eq((uint64_t)g[REG_R10], r.r10);
    cr_expect_eq((uint64_t)g[REG_R11], r.r11);
    cr_expect_eq((uint64_t)g[REG_R12], r.r12);
    cr_expect_eq((uint64_t)g[REG_R13], r.r13);
    cr_expect_eq((uint64_t)g[REG_R14], r.r14);
    cr_expect_eq((uint64_t)g[REG_R15], r.r15);
    cr_expect_eq((uint64_t)g[REG_RIP], r.rip);
    cr_expect_eq((uint64_t)g[REG_EFL], r.rflags);
    cr_expect_eq((uint64_t)g[REG_CSGSFS], (uint64_t)LINUX_USER_DS << 48 | LINUX_USER_CS);
    cr_expect_eq((uint64_t)g[REG_ERR], 7);
    cr_expect_eq((uint64_t)g[REG_TRAPNO], 14);
    cr_expect_eq((uint64_t)g[REG_OLDMASK], SIG_BIT_USR1);
    cr_expect_eq((uint64_t)g[REG_CR2], 0xdead000);
    cr_expect_eq(uc->uc_sigmask.__val[0], SIG_BIT_USR1);
    cr_expect_eq(uc->uc_link, NULL);
    cr_expect_eq(uc->uc_stack.ss_flags, SS_DISABLE);
    cr_expect_eq(uc->uc_flags & LINUX_UC_SIGCONTEXT_SS, LINUX_UC_SIGCONTEXT_SS);
    cr_expect_eq(info->si_signo, SIGSEGV);
    cr_expect_eq(info->si_code, SEGV_ACCERR);
    cr_expect_eq(info->si_addr, (void *)0xdead000);

    /* the FPU state: where mcontext's fpregs points, xmm0-5 the guest's, the rest the live state */
    struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
    cr_expect_eq((uint64_t)(uintptr_t)fp, l.fpstate);
    for (int i = 0; i < 6; i++) {
        cr_expect_eq(memcmp(&fp->_xmm[i], r.xmm[i], 16), 0, "xmm%d", i);
    }
    const struct linux_fpstate *live = area;
    cr_expect_eq(fp->mxcsr, live->mxcsr);
    cr_expect_eq(fp->cwd, live->cwd);
    cr_expect_eq(memcmp(&fp->_xmm[6], &live->xmm_space[6 * 4], 10 * 16), 0, "xmm6-15");
    const struct _fpx_sw_bytes *sw = (const struct _fpx_sw_bytes *)((const uint8_t *)fp + 464);
    if (px_xstate.mask) {
        cr_expect_eq(uc->uc_flags & LINUX_UC_FP_XSTATE, LINUX_UC_FP_XSTATE);
        cr_expect_eq(sw->magic1, FP_XSTATE_MAGIC1);
        cr_expect_eq(sw->xstate_size, px_xstate.size);
        cr_expect_eq(sw->extended_size, px_xstate.size + FP_XSTATE_MAGIC2_SIZE);
        cr_expect_eq(sw->xstate_bv, px_xstate.mask);
        uint32_t magic2;
        memcpy(&magic2, (const uint8_t *)fp + sw->xstate_size, 4);
        cr_expect_eq(magic2, FP_XSTATE_MAGIC2);
        cr_expect_eq(l.fpstate + sw->extended_size, l.frame + l.size);
        const struct _xstate *xs = (const struct _xstate *)fp;
        cr_expect(xs->xstate_hdr.xstate_bv & LINUX_XFEATURE_MASK_SSE);
    }

    /* the handler's registers */
    cr_expect_eq(h.rip, 0x402000);
    cr_expect_eq(h.rsp, l.frame);
    cr_expect_eq(h.rdi, LINUX_SIGSEGV);
    cr_expect_eq(h.rsi, (uint64_t)(uintptr_t)info);
    cr_expect_eq(h.rdx, (uint64_t)(uintptr_t)uc);
    cr_expect_eq(h.rax, 0);
    cr_expect_eq(h.rflags & LINUX_X86_EFLAGS_DF, 0);
    cr_expect_eq(h.rbx, r.rbx, "the other registers stay");
}

Test(sigframe, no_siginfo_without_sa_siginfo)
{
    uint64_t rsp = (uint64_t)(uintptr_t)(stack_mem + STACK_SIZE - 64);
    px_regs r = known_regs(rsp), h = r;
    struct linux_siginfo si = segv_info();
    px_sigframe_args a = args_for(&r, &si);
    a.sa_flags = LINUX_SA_RESTORER;
    memset(stack_mem, 0x55, STACK_SIZE);
    px_sigframe_layout l;
    cr_assert_eq(px_sigframe_setup(&a, &h, &l), 0);
    const struct linux_rt_sigframe *f = (const void *)(uintptr_t)l.frame;
    cr_expect_eq(f->info.si_signo, 0);
    cr_expect_eq(h.rdi, LINUX_SIGSEGV);
}

Test(sigframe, needs_a_restorer)
{
    px_regs r = known_regs((uint64_t)(uintptr_t)(stack_mem + STACK_SIZE));
    struct linux_siginfo si = segv_info();
    px_sigframe_args a = args_for(&r, &si);
    a.sa_flags = LINUX_SA_SIGINFO;
    px_sigframe_layout l;
    cr_expect_eq(px_sigframe_setup(&a, &r, &l), -LINUX_EFAULT);
}

Test(sigframe, alternate_stack)
{
    /* the lower half of the buffer is the alternate stack, the guest runs in the upper */
    uint64_t alt = (uint64_t)(uintptr_t)stack_mem, alt_size = STACK_SIZE / 2;
    px_regs r = known_regs((uint64_t)(uintptr_t)(stack_mem + STACK_SIZE - 16));
    struct linux_siginfo si = segv_info();
    px_sigframe_args a = args_for(&r, &si);
    a.altstack = (struct linux_stack_t){.ss_sp = alt, .ss_size = alt_size};
    px_sigframe_layout l;
    /* without SA_ONSTACK: the normal stack */
    cr_assert_eq(px_sigframe_place(&a, &l), 0);
    cr_expect_gt(l.frame, alt + alt_size);
    /* with it: at the top of the alternate stack, no red zone there */
    a.sa_flags |= LINUX_SA_ONSTACK;
    cr_assert_eq(px_sigframe_place(&a, &l), 0);
    cr_expect(l.on_altstack);
    cr_expect_leq(l.frame + l.size, alt + alt_size);
    cr_expect_gt(l.frame + l.size + 64, alt + alt_size);
    cr_expect_eq((l.frame + 8) % 16, 0);
    px_regs h = r;
    cr_assert_eq(px_sigframe_setup(&a, &h, &l), 0);
    const struct linux_rt_sigframe *f = (const void *)(uintptr_t)l.frame;
    cr_expect_eq(f->uc.uc_stack.ss_sp, alt);
    cr_expect_eq(f->uc.uc_stack.ss_size, alt_size);
    cr_expect_eq(f->uc.uc_stack.ss_flags, 0, "not on it when the signal came");
    /* a signal while on it nests below the current rsp, and says SS_ONSTACK */
    px_regs inner = known_regs(l.frame - 256);
    a.regs = &inner;
    px_sigframe_layout l2;
    cr_assert_eq(px_sigframe_setup(&a, &inner, &l2), 0);
    cr_expect_leq(l2.frame + l2.size, l.frame - 256 - 128);
    cr_expect_eq(((const struct linux_rt_sigframe *)(uintptr_t)l2.frame)->uc.uc_stack.ss_flags, LINUX_SS_ONSTACK);
    /* one that does not fit is a bad frame, not a write below the stack */
    px_regs deep = known_regs(alt + 200);
    a.regs = &deep;
    cr_expect_eq(px_sigframe_place(&a, &l2), -LINUX_EFAULT);
}

Test(sigframe, sigreturn_round_trip)
{
    uint64_t rsp = (uint64_t)(uintptr_t)(stack_mem + STACK_SIZE - 512);
    px_regs r = known_regs(rsp), h = r;
    struct linux_siginfo si = segv_info();
    px_sigframe_args a = args_for(&r, &si);
    px_sigframe_layout l;
    cr_assert_eq(px_sigframe_setup(&a, &h, &l), 0);
    /* the handler changes what it may, returns (ret pops pretcode) into the restorer */
    ucontext_t *uc = (ucontext_t *)(uintptr_t)(l.frame + 8);
    uc->uc_mcontext.gregs[REG_RIP] = 0x405555;
    uc->uc_mcontext.gregs[REG_RAX] = 77;
    uc->uc_mcontext.gregs[REG_EFL] = 0x202 | 0x200000;   /* ID is not the frame's to change */
    uc->uc_sigmask.__val[0] = ~0ull;
    uc->uc_mcontext.fpregs->_xmm[2].element[0] = 0x12345678;
    px_regs s = h;
    s.rsp = l.frame + 8;
    s.rflags = 0x246;
    px_sigreturn_state st;
    void *restored = aligned_alloc(64, px_xstate.area_size);
    cr_assert_eq(px_sigreturn_read(&s, &st, restored), 0);
    cr_expect_eq(s.rip, 0x405555);
    cr_expect_eq(s.rax, 77);
    cr_expect_eq(s.rbx, r.rbx);
    cr_expect_eq(s.rsp, r.rsp);
    cr_expect_eq(s.r15, r.r15);
    cr_expect_eq(s.orig_rax, (uint64_t)-1);
    cr_expect_eq(s.rflags, 0x202, "FIX_EFLAGS bits from the frame, others kept");
    cr_expect_eq(st.sigmask, ~0ull & ~((1ull << (LINUX_SIGKILL - 1)) | (1ull << (LINUX_SIGSTOP - 1))));
    cr_expect_eq(s.xmm[2][0] & 0xffffffff, 0x12345678);
    cr_expect_eq(s.xmm[0][0], r.xmm[0][0]);
    const struct linux_fpstate *fp = restored;
    cr_expect_eq(fp->mxcsr, ((const struct linux_fpstate *)area)->mxcsr);
    cr_expect_eq(fp->sw_reserved.magic1, 0, "the software bytes are not loaded");
    if (px_xstate.mask) {
        /* a compacted or reserved header is a bad frame */
        struct _xstate *xs = (struct _xstate *)uc->uc_mcontext.fpregs;
        xs->xstate_hdr.__glibc_reserved1[0] = 1;
        px_regs s2 = h;
        s2.rsp = l.frame + 8;
        cr_expect_eq(px_sigreturn_read(&s2, &st, restored), -LINUX_EFAULT);
        xs->xstate_hdr.__glibc_reserved1[0] = 0;
        /* without the magic the fxsave part alone counts: FP and SSE */
        struct _fpx_sw_bytes *sw = (struct _fpx_sw_bytes *)((uint8_t *)xs + 464);
        sw->magic1 = 0;
        cr_expect_eq(px_sigreturn_read(&s2, &st, restored), 0);
        const struct linux_xstate_header *hd = (const void *)((const uint8_t *)restored + 512);
        cr_expect_eq(hd->xfeatures, LINUX_XFEATURE_MASK_FPSSE);
        cr_expect_eq(s2.xmm[2][0] & 0xffffffff, 0x12345678);
    }
    /* reserved MXCSR bits: xrstor would fault, so a bad frame */
    uc->uc_mcontext.fpregs->mxcsr = 0xffff1f80;
    px_regs s3 = h;
    s3.rsp = l.frame + 8;
    cr_expect_eq(px_sigreturn_read(&s3, &st, restored), -LINUX_EFAULT);
    /* no fpstate: the initial FPU state */
    uc->uc_mcontext.fpregs = NULL;
    cr_expect_eq(px_sigreturn_read(&s3, &st, restored), 0);
    cr_expect(st.fpu_init);
    cr_expect_eq(((const struct linux_fpstate *)restored)->mxcsr, 0x1f80);
    cr_expect_eq(((const struct linux_fpstate *)restored)->cwd, 0x37f);
    cr_expect_eq(s3.xmm[0][0], 0);
    free(restored);
}

Test(sigframe, bad_frame_address)
{
    px_regs s = known_regs(8);   /* the frame would be at 0 */
    px_sigreturn_state st;
    void *restored = aligned_alloc(64, px_xstate.area_size);
    cr_expect_eq(px_sigreturn_read(&s, &st, restored), -LINUX_EFAULT);
    cr_expect_eq(s.rip, 0x401234, "regs untouched");
    free(restored);
}

Test(sigframe, restart_rules)
{
    cr_expect_eq(px_restart_action(-LINUX_EINTR, false, 0), PX_RESTART_NONE);
    cr_expect_eq(px_restart_action(5, true, 0), PX_RESTART_NONE);
    cr_expect_eq(px_restart_action(-LINUX_ERESTARTSYS, false, 0), PX_RESTART_CALL);
    cr_expect_eq(px_restart_action(-LINUX_ERESTARTSYS, true, 0), PX_RESTART_EINTR);
    cr_expect_eq(px_restart_action(-LINUX_ERESTARTSYS, true, LINUX_SA_RESTART), PX_RESTART_CALL);
    cr_expect_eq(px_restart_action(-LINUX_ERESTARTNOHAND, false, 0), PX_RESTART_CALL);
    cr_expect_eq(px_restart_action(-LINUX_ERESTARTNOHAND, true, LINUX_SA_RESTART), PX_RESTART_EINTR);
    cr_expect_eq(px_restart_action(-LINUX_ERESTARTNOINTR, true, 0), PX_RESTART_CALL);
    cr_expect_eq(px_restart_action(-LINUX_ERESTART_RESTARTBLOCK, false, 0), PX_RESTART_BLOCK);
    cr_expect_eq(px_restart_action(-LINUX_ERESTART_RESTARTBLOCK, true, LINUX_SA_RESTART), PX_RESTART_EINTR);
}

Test(sigframe, xstate_config)
{
    cr_expect_geq(px_xstate.size, 512);
    cr_expect_geq(px_xstate.area_size, px_xstate.size + 64);
    if (px_xstate.mask) {
        cr_expect_eq(px_xstate.mask & LINUX_XFEATURE_MASK_FPSSE, LINUX_XFEATURE_MASK_FPSSE);
        cr_expect_geq(px_xstate.size, 576);
    }
}
