/* Guest <-> runtime transitions. Offsets match px_regs (core/syscall.h) and
   px_task (core/thread.h). Windows x64 ABI on the runtime side. */
        .intel_syntax noprefix
        .text

/* Rewritten syscall sites jump here with rcx = the address to return to, rax = the
   syscall number and the arguments in rdi, rsi, rdx, r10, r8, r9. Like the kernel's
   entry it keeps every register but rax (the result), rcx and r11, never touches the
   guest stack or its red zone, and runs the handler on the runtime's own stack. */
        .globl  px_syscall_entry
        .p2align 4
px_syscall_entry:
        mov     r11, qword ptr [rip + px_teb_thread_slot]
        mov     r11, qword ptr gs:[r11]         /* px_task* from the TEB */
        mov     dword ptr [r11 + 0x24], 1       /* px_task.in_runtime */
        mov     qword ptr [r11 + 8], rsp        /* guest rsp, briefly */
        mov     rsp, qword ptr [r11]            /* runtime stack (16-byte aligned) */
        sub     rsp, 256                        /* px_regs */
        mov     qword ptr [rsp + 0], rax
        mov     qword ptr [rsp + 8], rbx
        mov     qword ptr [rsp + 24], rdx
        mov     qword ptr [rsp + 32], rsi
        mov     qword ptr [rsp + 40], rdi
        mov     qword ptr [rsp + 48], rbp
        mov     rdx, qword ptr [r11 + 8]
        mov     qword ptr [rsp + 56], rdx       /* rsp */
        mov     qword ptr [rsp + 64], r8
        mov     qword ptr [rsp + 72], r9
        mov     qword ptr [rsp + 80], r10
        mov     qword ptr [rsp + 96], r12
        mov     qword ptr [rsp + 104], r13
        mov     qword ptr [rsp + 112], r14
        mov     qword ptr [rsp + 120], r15
        mov     qword ptr [rsp + 128], rcx      /* rip */
        mov     qword ptr [rsp + 16], rcx       /* rcx = rip after a syscall */
        pushfq
        pop     rdx                             /* rax is still the number: no reload below */
        mov     qword ptr [rsp + 136], rdx      /* rflags */
        mov     qword ptr [rsp + 88], rdx       /* r11 = rflags after a syscall */
        movaps  xmmword ptr [rsp + 160], xmm0
        movaps  xmmword ptr [rsp + 176], xmm1
        movaps  xmmword ptr [rsp + 192], xmm2
        movaps  xmmword ptr [rsp + 208], xmm3
        movaps  xmmword ptr [rsp + 224], xmm4
        movaps  xmmword ptr [rsp + 240], xmm5
        test    edx, 0x400                      /* DF: cld costs a tenth of a null syscall, */
        jz      1f                              /* and the guest almost never has it set */
        cld
1:      mov     rbx, r11                        /* px_task*, kept across the call (callee-saved) */
        mov     rcx, rsp                        /* px_regs*: the handler's argument */
        /* px_syscall_dispatch's common case inline (a tenth of a null syscall): no
           wrapper, a number with a handler; anything else goes through it. */
        mov     qword ptr [rsp + 144], rax      /* orig_rax */
        sub     rsp, 32                         /* shadow space */
        cmp     qword ptr [rip + px_syscall_wrapper], 0
        jne     .Ldispatch_slow
        mov     edx, dword ptr [rip + px_syscall_table_size]
        cmp     rax, rdx
        jae     .Ldispatch_slow
        shl     rax, 5                          /* sizeof(px_syscall_desc) */
        lea     rdx, [rip + px_syscall_table]
        mov     rax, qword ptr [rdx + rax + 8]  /* .fn */
        test    rax, rax
        jz      .Ldispatch_slow
        call    rax
        mov     qword ptr [rsp + 32], rax       /* px_regs.rax */
.Ldispatched:
        add     rsp, 32
        cmp     dword ptr [rbx + 0x20], 0       /* px_task.work: the exit path's work */
        jne     .Lexit_work
        /* a restart code (-516..-512) never reaches the guest: a wait woken for a signal
           that was taken meanwhile (by this thread before, or another) restarts there,
           as Linux's exit path restarts it when no handler runs */
        mov     rax, qword ptr [rsp + 0]
        add     rax, 516
        cmp     rax, 4
        jbe     .Lexit_work
.Lreturn_to_guest:
        mov     dword ptr [rbx + 0x24], 0       /* px_task.in_runtime: rbx = px_task* on every way here */
        movaps  xmm0, xmmword ptr [rsp + 160]
        movaps  xmm1, xmmword ptr [rsp + 176]
        movaps  xmm2, xmmword ptr [rsp + 192]
        movaps  xmm3, xmmword ptr [rsp + 208]
        movaps  xmm4, xmmword ptr [rsp + 224]
        movaps  xmm5, xmmword ptr [rsp + 240]
        mov     rbx, qword ptr [rsp + 8]
        mov     rdx, qword ptr [rsp + 24]
        mov     rsi, qword ptr [rsp + 32]
        mov     rdi, qword ptr [rsp + 40]
        mov     rbp, qword ptr [rsp + 48]
        mov     r8, qword ptr [rsp + 64]
        mov     r9, qword ptr [rsp + 72]
        mov     r10, qword ptr [rsp + 80]
        mov     r12, qword ptr [rsp + 96]
        mov     r13, qword ptr [rsp + 104]
        mov     r14, qword ptr [rsp + 112]
        mov     r15, qword ptr [rsp + 120]
        /* The guest's flags back. popfq is the most expensive instruction of the path
           (a sixth of a null syscall): when OF, DF, TF and AC are clear, as they almost
           always are at a syscall, test clears OF and sahf loads SF ZF AF PF CF from
           the low byte. */
        mov     eax, dword ptr [rsp + 136]
        test    eax, 0x40d00                    /* OF | DF | TF | AC */
        jnz     .Lreturn_popfq
        mov     ah, al
        sahf
.Lreturn_flags_done:
        mov     r11, qword ptr [rsp + 136]
        mov     rcx, qword ptr [rsp + 128]
        mov     rax, qword ptr [rsp + 0]
        mov     rsp, qword ptr [rsp + 56]
        jmp     rcx
.Lreturn_popfq:
        push    qword ptr [rsp + 136]
        popfq
        jmp     .Lreturn_flags_done
.Ldispatch_slow:
        call    px_syscall_dispatch             /* rcx = px_regs* still */
        jmp     .Ldispatched

/* The exit path's work (px_syscall_exit_work, core/dispatch.c); when it needs the
   guest's extended state, that is saved here, in assembly, before any C code could
   use the registers: xmm6-15 and the upper halves are still the guest's, xmm0-5 are in
   px_regs. rbx = px_task*, r12 = px_regs* (both callee-saved; the guest's values are
   in the frame). */
.Lexit_work:
        mov     rcx, rsp
        mov     rdx, rbx
        sub     rsp, 32
        call    px_syscall_exit_work
        add     rsp, 32
.Lexit_decided:
        test    eax, 1                          /* PX_EXIT_XSTATE */
        jnz     .Lexit_xstate
        test    eax, 2                          /* PX_EXIT_FULL */
        jnz     .Lreturn_full
        jmp     .Lreturn_to_guest
.Lexit_xstate:
        mov     r12, rsp
        mov     eax, dword ptr [rip + px_xstate + 12]   /* area_size */
        sub     rsp, rax
        and     rsp, -64
        mov     eax, dword ptr [rip + px_xstate]        /* mask: 0 without xsave */
        mov     edx, dword ptr [rip + px_xstate + 4]
        test    rax, rax
        jz      1f
        xor     ecx, ecx                        /* xsave leaves the header's other bytes alone */
        mov     qword ptr [rsp + 512], rcx
        mov     qword ptr [rsp + 520], rcx
        mov     qword ptr [rsp + 528], rcx
        mov     qword ptr [rsp + 536], rcx
        mov     qword ptr [rsp + 544], rcx
        mov     qword ptr [rsp + 552], rcx
        mov     qword ptr [rsp + 560], rcx
        mov     qword ptr [rsp + 568], rcx
        xsave64 [rsp]
        jmp     2f
1:      fxsave64 [rsp]
2:      mov     rcx, r12
        mov     rdx, rbx
        mov     r8, rsp
        sub     rsp, 32
        call    px_syscall_exit_xstate
        add     rsp, 32
        mov     r13d, eax                       /* PX_EXIT_FULL: kept for below */
        test    eax, 1                          /* load the area */
        jz      4f
        mov     eax, dword ptr [rip + px_xstate]
        mov     edx, dword ptr [rip + px_xstate + 4]
        test    rax, rax
        jz      3f
        xrstor64 [rsp]
        jmp     4f
3:      fxrstor64 [rsp]
4:      mov     rsp, r12
        test    r13d, 2                         /* PX_EXIT_FULL */
        jnz     .Lreturn_full
        jmp     .Lreturn_to_guest

/* The return that gives back every register of the frame, rcx and r11 included, and
   the TEB scratch word from the frame's pad (the rewriter's borrowed register, see
   core/thread.h): iretq from an interrupt frame built on the runtime stack, so the
   guest stack below its rsp is never written. */
.Lreturn_full:
        mov     dword ptr [rbx + 0x24], 0       /* px_task.in_runtime */
        mov     rax, qword ptr [rip + px_teb_scratch_slot]
        mov     rcx, qword ptr [rsp + 152]
        mov     qword ptr gs:[rax], rcx
        movaps  xmm0, xmmword ptr [rsp + 160]
        movaps  xmm1, xmmword ptr [rsp + 176]
        movaps  xmm2, xmmword ptr [rsp + 192]
        movaps  xmm3, xmmword ptr [rsp + 208]
        movaps  xmm4, xmmword ptr [rsp + 224]
        movaps  xmm5, xmmword ptr [rsp + 240]
        sub     rsp, 48                         /* iretq frame at rsp, px_regs at rsp + 48 */
        mov     rax, qword ptr [rsp + 48 + 128]
        mov     qword ptr [rsp + 0], rax        /* rip */
        xor     eax, eax
        mov     ax, cs
        mov     qword ptr [rsp + 8], rax
        mov     rax, qword ptr [rsp + 48 + 136]
        mov     qword ptr [rsp + 16], rax       /* rflags */
        mov     rax, qword ptr [rsp + 48 + 56]
        mov     qword ptr [rsp + 24], rax       /* rsp */
        xor     eax, eax
        mov     ax, ss
        mov     qword ptr [rsp + 32], rax
        mov     rax, qword ptr [rsp + 48 + 0]
        mov     rbx, qword ptr [rsp + 48 + 8]
        mov     rcx, qword ptr [rsp + 48 + 16]
        mov     rdx, qword ptr [rsp + 48 + 24]
        mov     rsi, qword ptr [rsp + 48 + 32]
        mov     rdi, qword ptr [rsp + 48 + 40]
        mov     rbp, qword ptr [rsp + 48 + 48]
        mov     r8, qword ptr [rsp + 48 + 64]
        mov     r9, qword ptr [rsp + 48 + 72]
        mov     r10, qword ptr [rsp + 48 + 80]
        mov     r11, qword ptr [rsp + 48 + 88]
        mov     r12, qword ptr [rsp + 48 + 96]
        mov     r13, qword ptr [rsp + 48 + 104]
        mov     r14, qword ptr [rsp + 48 + 112]
        mov     r15, qword ptr [rsp + 48 + 120]
        iretq

/* Signal entry: where a thread is sent to deliver a signal outside a syscall (a fault's
   handler, or another thread that redirected it while it ran guest code), with
   rsp = its runtime stack top and rcx = its px_task*. Its guest registers were saved
   by whoever sent it (kernel/signal.c); the FPU state is still the guest's, so that
   xmm0-5 go into the frame here and the rest is saved by the exit path as after a
   syscall. px_signal_entry_work fills the frame and decides. */
        .globl  px_signal_entry
        .p2align 4
px_signal_entry:
        mov     dword ptr [rcx + 0x24], 1       /* px_task.in_runtime */
        mov     rbx, rcx
        sub     rsp, 256
        mov     rax, qword ptr [rip + px_teb_scratch_slot]
        mov     rax, qword ptr gs:[rax]
        mov     qword ptr [rsp + 152], rax      /* the TEB scratch word, in pad */
        movaps  xmmword ptr [rsp + 160], xmm0
        movaps  xmmword ptr [rsp + 176], xmm1
        movaps  xmmword ptr [rsp + 192], xmm2
        movaps  xmmword ptr [rsp + 208], xmm3
        movaps  xmmword ptr [rsp + 224], xmm4
        movaps  xmmword ptr [rsp + 240], xmm5
        cld
        mov     rcx, rsp
        mov     rdx, rbx
        sub     rsp, 32
        call    px_signal_entry_work
        add     rsp, 32
        jmp     .Lexit_decided

/* The host's callee-saved state (Windows x64: rbx, rbp, rdi, rsi, r12-r15, xmm6-15, the
   x87 control word) pushed, and t->host_rsp (rcx = px_task*) recorded: px_leave_guest
   undoes it. For px_enter_guest and px_resume_guest. */
        .macro  SAVE_HOST_STATE
        push    rbx
        push    rbp
        push    rdi
        push    rsi
        push    r12
        push    r13
        push    r14
        push    r15
        sub     rsp, 168
        movaps  xmmword ptr [rsp + 0], xmm6
        movaps  xmmword ptr [rsp + 16], xmm7
        movaps  xmmword ptr [rsp + 32], xmm8
        movaps  xmmword ptr [rsp + 48], xmm9
        movaps  xmmword ptr [rsp + 64], xmm10
        movaps  xmmword ptr [rsp + 80], xmm11
        movaps  xmmword ptr [rsp + 96], xmm12
        movaps  xmmword ptr [rsp + 112], xmm13
        movaps  xmmword ptr [rsp + 128], xmm14
        movaps  xmmword ptr [rsp + 144], xmm15
        fnstcw  word ptr [rsp + 160]
        mov     qword ptr [rcx + 0], rsp        /* t->host_rsp */
        .endm

/* int64_t px_enter_guest(px_task *t, uint64_t entry, uint64_t stack)
   Saves the host's callee-saved state, records the runtime stack top in t->host_rsp,
   and starts the guest with every general register 0 (rdx = 0: no atexit function),
   as Linux starts a process. */
        .globl  px_enter_guest
        .p2align 4
px_enter_guest:
        SAVE_HOST_STATE
        mov     dword ptr [rcx + 0x24], 0       /* t->in_runtime: the guest runs */
        mov     qword ptr [r8 - 8], rdx         /* entry, consumed by ret below */
        lea     rsp, [r8 - 8]
        fninit                                  /* x87 control word 0x37f, as Linux */
        xor     eax, eax
        xor     ebx, ebx
        xor     ecx, ecx
        xor     edx, edx
        xor     esi, esi
        xor     edi, edi
        xor     ebp, ebp
        xor     r8d, r8d
        xor     r9d, r9d
        xor     r10d, r10d
        xor     r11d, r11d
        xor     r12d, r12d
        xor     r13d, r13d
        xor     r14d, r14d
        xor     r15d, r15d
        ret

/* void px_leave_guest(px_task *t, int64_t code): back to px_enter_guest's caller. */
        .globl  px_leave_guest
        .p2align 4
px_leave_guest:
        mov     rsp, qword ptr [rcx + 0]
        mov     rax, rdx
        fldcw   word ptr [rsp + 160]
        movaps  xmm6, xmmword ptr [rsp + 0]
        movaps  xmm7, xmmword ptr [rsp + 16]
        movaps  xmm8, xmmword ptr [rsp + 32]
        movaps  xmm9, xmmword ptr [rsp + 48]
        movaps  xmm10, xmmword ptr [rsp + 64]
        movaps  xmm11, xmmword ptr [rsp + 80]
        movaps  xmm12, xmmword ptr [rsp + 96]
        movaps  xmm13, xmmword ptr [rsp + 112]
        movaps  xmm14, xmmword ptr [rsp + 128]
        movaps  xmm15, xmmword ptr [rsp + 144]
        add     rsp, 168
        pop     r15
        pop     r14
        pop     r13
        pop     r12
        pop     rsi
        pop     rdi
        pop     rbp
        pop     rbx
        ret
/* int64_t px_resume_guest(px_task *t, const px_regs *frame, const px_guest_fpu *fpu)
   fork's child: like px_enter_guest (the host state saved, t->host_rsp recorded, so
   px_leave_guest returns from here), but the guest goes on with every register of the
   parent's frame (rax already the child's 0), xmm0-5 from the frame, xmm6-15, MXCSR
   and the x87 control word from fpu (px_guest_fpu: xmm6-15 at 0, mxcsr at 160, fcw at
   164). rcx = t, rdx = frame, r8 = fpu. */
        .globl  px_resume_guest
        .p2align 4
px_resume_guest:
        SAVE_HOST_STATE
        fninit
        fldcw   word ptr [r8 + 164]
        ldmxcsr dword ptr [r8 + 160]
        movups  xmm6, xmmword ptr [r8 + 0]
        movups  xmm7, xmmword ptr [r8 + 16]
        movups  xmm8, xmmword ptr [r8 + 32]
        movups  xmm9, xmmword ptr [r8 + 48]
        movups  xmm10, xmmword ptr [r8 + 64]
        movups  xmm11, xmmword ptr [r8 + 80]
        movups  xmm12, xmmword ptr [r8 + 96]
        movups  xmm13, xmmword ptr [r8 + 112]
        movups  xmm14, xmmword ptr [r8 + 128]
        movups  xmm15, xmmword ptr [r8 + 144]
        /* The frame goes onto the runtime stack below the saved host state, so that the
           return path of px_syscall_entry can load it. */
        sub     rsp, 256
        mov     rbx, rcx                        /* px_task*, as .Lreturn_to_guest expects */
        mov     rsi, rdx
        mov     rdi, rsp
        mov     ecx, 32
        rep movsq
        jmp     .Lreturn_to_guest

/* void px_guest_fpu_save(px_guest_fpu *out): xmm6-15, MXCSR and the x87 control word as
   they are now (in a handler, still the guest's: callee-saved in the Windows ABI). */
        .globl  px_guest_fpu_save
        .p2align 4
px_guest_fpu_save:
        movups  xmmword ptr [rcx + 0], xmm6
        movups  xmmword ptr [rcx + 16], xmm7
        movups  xmmword ptr [rcx + 32], xmm8
        movups  xmmword ptr [rcx + 48], xmm9
        movups  xmmword ptr [rcx + 64], xmm10
        movups  xmmword ptr [rcx + 80], xmm11
        movups  xmmword ptr [rcx + 96], xmm12
        movups  xmmword ptr [rcx + 112], xmm13
        movups  xmmword ptr [rcx + 128], xmm14
        movups  xmmword ptr [rcx + 144], xmm15
        stmxcsr dword ptr [rcx + 160]
        fnstcw  word ptr [rcx + 164]
        ret
