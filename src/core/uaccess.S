/* The guest-memory routines of uaccess.h. Windows x64 ABI: rcx, rdx, r8, r9 in, rax
   out. Each routine keeps rdi and rsi (callee-saved) in r10 and r11 and touches
   nothing else that is callee-saved, and none moves rsp: so one fix-up fits them all.
   A fault at any instruction between px_uaccess_begin and px_uaccess_end makes the
   fault handler (fault.c) resume at px_uaccess_fixup, which returns -EFAULT. */
        .intel_syntax noprefix
        .text
        .p2align 4
        .globl  px_uaccess_begin
px_uaccess_begin:

/* int64_t px_uaccess_copy(void *dst, const void *src, size_t n) */
        .globl  px_uaccess_copy
px_uaccess_copy:
        mov     r10, rdi
        mov     r11, rsi
        mov     rdi, rcx
        mov     rsi, rdx
        mov     rcx, r8
        rep movsb
        mov     rdi, r10
        mov     rsi, r11
        xor     eax, eax
        ret

/* int64_t px_uaccess_clear(void *dst, size_t n) */
        .globl  px_uaccess_clear
px_uaccess_clear:
        mov     r10, rdi
        mov     r11, rsi
        mov     rdi, rcx
        mov     rcx, rdx
        xor     eax, eax
        rep stosb
        mov     rdi, r10
        ret

/* int64_t px_uaccess_strncpy(char *dst, const char *src, size_t cap) */
        .globl  px_uaccess_strncpy
px_uaccess_strncpy:
        mov     r10, rdi
        mov     r11, rsi
        xor     eax, eax
1:      cmp     rax, r8
        jae     2f
        movzx   r9d, byte ptr [rdx + rax]
        mov     byte ptr [rcx + rax], r9b
        test    r9d, r9d
        jz      2f
        inc     rax
        jmp     1b
2:      ret

/* int64_t px_uaccess_cmpxchg32(uint32_t *guest, uint32_t expected, uint32_t desired, uint32_t *old) */
        .globl  px_uaccess_cmpxchg32
px_uaccess_cmpxchg32:
        mov     r10, rdi
        mov     r11, rsi
        mov     eax, edx
        lock cmpxchg dword ptr [rcx], r8d
        mov     dword ptr [r9], eax
        xor     eax, eax
        ret

        .globl  px_uaccess_end
px_uaccess_end:

/* Outside the range: a fault here would be the runtime's own. */
        .globl  px_uaccess_fixup
px_uaccess_fixup:
        mov     rdi, r10
        mov     rsi, r11
        mov     rax, -14                        /* -LINUX_EFAULT */
        cld
        ret
