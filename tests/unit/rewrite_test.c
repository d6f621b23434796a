/* The rewriter over synthetic snippets (executed natively: GS points at a fake TEB whose
   fs slot holds a fake TLS block, the syscall entry is a recording stub) and over real
   binaries (libc.so.6, static busybox: every site handled, counts checked against objdump). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/prctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/px.h"
#include "rewrite/rewrite_core.h"

/* ---- native harness ---- */

typedef struct gregs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rflags;
} gregs;

/* Read and written by the assembly below. */
gregs g_in, g_out;
uint64_t g_fn, g_stack_top, g_saved_rsp;
uint64_t g_sys_count, g_sys_ret, g_sys_regs[7]; /* rax rdi rsi rdx r10 r8 r9 */

/* run_guest(): loads g_in into the registers (flags too), switches to g_stack_top,
   calls g_fn, stores the registers into g_out. */
void run_guest(void);
void test_syscall_entry(void);
__asm__(
    ".intel_syntax noprefix\n"
    ".text\n"
    ".globl run_guest\n"
    "run_guest:\n"
    "  push rbx\n push rbp\n push r12\n push r13\n push r14\n push r15\n"
    "  mov [rip + g_saved_rsp], rsp\n"
    "  mov rsp, [rip + g_stack_top]\n"
    "  push qword ptr [rip + g_in + 120]\n"
    "  popfq\n"
    "  mov rax, [rip + g_in + 0]\n  mov rbx, [rip + g_in + 8]\n  mov rcx, [rip + g_in + 16]\n"
    "  mov rdx, [rip + g_in + 24]\n  mov rsi, [rip + g_in + 32]\n  mov rdi, [rip + g_in + 40]\n"
    "  mov rbp, [rip + g_in + 48]\n  mov r8, [rip + g_in + 56]\n  mov r9, [rip + g_in + 64]\n"
    "  mov r10, [rip + g_in + 72]\n  mov r11, [rip + g_in + 80]\n  mov r12, [rip + g_in + 88]\n"
    "  mov r13, [rip + g_in + 96]\n  mov r14, [rip + g_in + 104]\n  mov r15, [rip + g_in + 112]\n"
    "  call qword ptr [rip + g_fn]\n"
    "  mov [rip + g_out + 0], rax\n  mov [rip + g_out + 8], rbx\n  mov [rip + g_out + 16], rcx\n"
    "  mov [rip + g_out + 24], rdx\n  mov [rip + g_out + 32], rsi\n  mov [rip + g_out + 40], rdi\n"
    "  mov [rip + g_out + 48], rbp\n  mov [rip + g_out + 56], r8\n  mov [rip + g_out + 64], r9\n"
    "  mov [rip + g_out + 72], r10\n  mov [rip + g_out + 80], r11\n  mov [rip + g_out + 88], r12\n"
    "  mov [rip + g_out + 96], r13\n  mov [rip + g_out + 104], r14\n  mov [rip + g_out + 112], r15\n"
    "  pushfq\n"
    "  pop qword ptr [rip + g_out + 120]\n"
    "  mov rsp, [rip + g_saved_rsp]\n"
    "  pop r15\n pop r14\n pop r13\n pop r12\n pop rbp\n pop rbx\n"
    "  ret\n"
    /* The syscall entry as rewritten sites see it: rcx = return address; keeps all but
       rax, rcx, r11 (flags included) and never touches the stack. */
    ".globl test_syscall_entry\n"
    "test_syscall_entry:\n"
    "  mov [rip + g_sys_regs + 0], rax\n  mov [rip + g_sys_regs + 8], rdi\n"
    "  mov [rip + g_sys_regs + 16], rsi\n  mov [rip + g_sys_regs + 24], rdx\n"
    "  mov [rip + g_sys_regs + 32], r10\n  mov [rip + g_sys_regs + 40], r8\n"
    "  mov [rip + g_sys_regs + 48], r9\n"
    "  mov r11, [rip + g_sys_count]\n  lea r11, [r11 + 1]\n  mov [rip + g_sys_count], r11\n"
    "  mov rax, [rip + g_sys_ret]\n"
    "  mov r11, 0x5a5a\n"
    "  jmp rcx\n"
    ".att_syntax\n");

#define AREA_SIZE (4u << 20)
#define CODE_OFF 0
#define TRAMP_OFF (1u << 20)
#define STACK_OFF (3u << 20)
#define FS_SLOT (0x1480 + 8 * 5)
#define SCRATCH_SLOT (0x1480 + 8 * 6)

static uint8_t *area;      /* code, trampolines, stack: RWX, within 2 GiB of each other */
static uint64_t tramp_used;
static uint64_t fake_teb[0x2000 / 8];
volatile uint64_t fake_tls_block[64]; /* written by guest code behind the compiler's back */
#define TLS_BASE ((uint64_t)(uintptr_t)&fake_tls_block[32]) /* glibc's TLS lies below the TCB too */

typedef struct trap_rec { uint64_t addr, resume; enum px_trap_kind kind; } trap_rec;
static trap_rec traps[64];
static int ntraps;

static uint64_t area_alloc(void *ctx, uint64_t close_to, size_t size, uint8_t **write)
{
    (void)ctx; (void)close_to;
    if (tramp_used + size > AREA_SIZE - TRAMP_OFF - (2u << 20)) return 0;
    uint8_t *p = area + TRAMP_OFF + tramp_used;
    tramp_used += (size + 15) & ~15u;
    *write = p;
    return (uint64_t)p;
}

/* area_alloc with 64 bytes left free after each trampoline */
static uint64_t gap_alloc(void *ctx, uint64_t close_to, size_t size, uint8_t **write)
{
    uint64_t at = area_alloc(ctx, close_to, size + 64, write);
    return at;
}

static int record_trap(void *ctx, uint64_t addr, enum px_trap_kind kind, uint64_t resume)
{
    (void)ctx;
    if (ntraps < 64) traps[ntraps++] = (trap_rec){ addr, resume, kind };
    return 0;
}

static px_rw_env exec_env = {
    .teb_fs_slot = FS_SLOT,
    .teb_scratch_slot = SCRATCH_SLOT,
    .syscall_entry = (uint64_t)test_syscall_entry,
    .alloc_tramp = area_alloc,
    .add_trap = record_trap,
};

static void setup_exec(void)
{
    area = mmap(NULL, AREA_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(area != MAP_FAILED);
    memset(area, 0xCC, STACK_OFF);
    tramp_used = 0;
    ntraps = 0;
    exec_env.syscall_entry = (uint64_t)test_syscall_entry;
    for (int i = 0; i < 64; i++) fake_tls_block[i] = 0x1111111111111111ull * (uint64_t)(i % 15 + 1);
    fake_teb[FS_SLOT / 8] = TLS_BASE;
    cr_assert_eq(syscall(SYS_arch_prctl, ARCH_SET_GS, (uint64_t)fake_teb), 0);
    g_sys_count = 0;
    g_sys_ret = 0;
    memset(g_sys_regs, 0, sizeof g_sys_regs);
}

static px_rw_result rewrite_snippet(const uint8_t *bytes, size_t n)
{
    memcpy(area + CODE_OFF, bytes, n);
    px_rw_result res;
    memset(&res, 0, sizeof res);
    cr_assert_eq(px_rw_rewrite(&exec_env, area + CODE_OFF, (uint64_t)(area + CODE_OFF), n, &res), 0);
    cr_assert_eq(res.patched_sites + res.trap_sites, res.syscall_sites + res.fs_sites);
    cr_assert_eq(res.verify_failures, 0);
    return res;
}

static gregs start_regs(void)
{
    gregs g;
    uint64_t *v = (uint64_t *)&g;
    for (int i = 0; i < 15; i++) v[i] = 0x0100000000000000ull * (uint64_t)(i + 1) + 0x1234 * (uint64_t)i;
    g.rflags = 0x202;
    return g;
}

#define STACK_TOP_OFF (STACK_OFF + (512u << 10))
/* Runs the code at area+off with registers in; the 128 bytes below the guest's rsp
   (its red zone) and beyond hold a pattern that must survive. */
static bool guest_calls; /* the snippet itself calls: a call may use 16 bytes below rsp (no red zone across calls) */
static void run_at(uint64_t addr, gregs in)
{
    uint8_t *top = area + STACK_TOP_OFF;
    memset(top - 4096, 0xA5, 4096 + 64);
    g_in = in;
    g_fn = addr;
    g_stack_top = (uint64_t)top;
    run_guest();
    /* rsp at the guest's entry is top - 8 (the return address): red zone below it */
    for (int i = guest_calls ? 16 : 0; i < 128; i++) cr_assert_eq(top[-9 - i], 0xA5, "red zone byte %d overwritten", i);
}

#define FLAGS_MASK 0x8D5 /* CF PF AF ZF SF OF */
static void expect_regs(gregs want, bool syscall_clobbers)
{
    uint64_t *w = (uint64_t *)&want, *g = (uint64_t *)&g_out;
    static const char *names[] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9",
                                   "r10", "r11", "r12", "r13", "r14", "r15" };
    for (int i = 0; i < 15; i++) {
        if (syscall_clobbers && (i == 2 || i == 10)) continue;
        cr_assert_eq(g[i], w[i], "%s: 0x%lx, want 0x%lx", names[i], (unsigned long)g[i], (unsigned long)w[i]);
    }
    cr_assert_eq(g_out.rflags & FLAGS_MASK, want.rflags & FLAGS_MASK, "flags 0x%lx want 0x%lx",
                 (unsigned long)g_out.rflags, (unsigned long)want.rflags);
}

TestSuite(rewrite_exec, .init = setup_exec);

Test(rewrite_exec, errno_store_3_bytes)
{
    /* mov eax, 38; mov %eax,%fs:(%rdx); ret */
    static const uint8_t code[] = { 0xB8, 38, 0, 0, 0, 0x64, 0x89, 0x02, 0xC3 };
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.fs_sites, 1);
    cr_assert_eq(res.patched_sites, 1);
    cr_assert_eq(area[0], 0xE9);
    gregs in = start_regs();
    in.rdx = (uint64_t)-16;
    run_at((uint64_t)area, in);
    cr_assert_eq((uint32_t)fake_tls_block[30], 38); /* a 32-bit store */
    gregs want = in;
    want.rax = 38;
    expect_regs(want, false);
}

Test(rewrite_exec, tcache_load_base_is_destination)
{
    /* mov %fs:(%rax),%rax; add rbx, rax (flags); ret */
    static const uint8_t code[] = { 0x64, 0x48, 0x8B, 0x00, 0x48, 0x01, 0xC3, 0xC3 };
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.patched_sites, 1);
    gregs in = start_regs();
    in.rax = 0x18;
    run_at((uint64_t)area, in);
    gregs want = in;
    want.rax = fake_tls_block[32 + 3];
    want.rbx = in.rbx + want.rax;
    want.rflags = g_out.rflags; /* computed by add: checked through rbx */
    expect_regs(want, false);
}

Test(rewrite_exec, canary_load_absolute_and_cmp_flags)
{
    /* mov rax, fs:[0x28]; cmp rax, fs:[0x28]; jne +6; mov ebx, 1; ret; mov ebx, 2; ret */
    static const uint8_t code[] = {
        0x64, 0x48, 0x8B, 0x04, 0x25, 0x28, 0, 0, 0,
        0x64, 0x48, 0x3B, 0x04, 0x25, 0x28, 0, 0, 0,
        0x75, 0x06, 0xBB, 1, 0, 0, 0, 0xC3, 0xBB, 2, 0, 0, 0, 0xC3 };
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.fs_sites, 2);
    cr_assert_eq(res.patched_sites, 2);
    cr_assert_eq(res.trap_sites, 0);
    gregs in = start_regs();
    run_at((uint64_t)area, in);
    gregs want = in;
    want.rax = fake_tls_block[32 + 5];
    want.rbx = 1;
    want.rflags = 0x246; /* ZF PF from the equal compare */
    expect_regs(want, false);
}

Test(rewrite_exec, cmp_not_equal_then_jne)
{
    /* cmp rax, fs:[0x28]; jne +6; mov ebx, 1; ret; mov ebx, 2; ret */
    static const uint8_t code[] = {
        0x64, 0x48, 0x3B, 0x04, 0x25, 0x28, 0, 0, 0,
        0x75, 0x06, 0xBB, 1, 0, 0, 0, 0xC3, 0xBB, 2, 0, 0, 0, 0xC3 };
    rewrite_snippet(code, sizeof code);
    gregs in = start_regs();
    in.rax = fake_tls_block[32 + 5] + 1;
    run_at((uint64_t)area, in);
    cr_assert_eq(g_out.rbx, 2);
    cr_assert_eq(g_out.rflags & 0x40, 0);
    cr_assert_eq(g_out.rax, in.rax);
    cr_assert_eq(g_out.rcx, in.rcx);
}

Test(rewrite_exec, store_through_scratch_keeps_every_register)
{
    /* mov %rcx,%fs:-0x10(%rax,%rdx,8) then add that uses flags; nop padding; ret */
    static const uint8_t code[] = { 0x64, 0x48, 0x89, 0x4C, 0xD0, 0xF0, 0x90, 0x90, 0xC3 };
    rewrite_snippet(code, sizeof code);
    gregs in = start_regs();
    in.rax = 8;
    in.rdx = 2;
    in.rflags = 0x2C3; /* CF ZF SF set: must survive */
    run_at((uint64_t)area, in);
    cr_assert_eq(fake_tls_block[32 + (8 + 16 - 16) / 8], in.rcx);
    expect_regs(in, false);
}

Test(rewrite_exec, scratch_parked_in_teb_not_on_stack)
{
    /* cmpq $0x0,%fs:-0x40 (the tcache check in free); jne +4; add ebx,1; ret; add ebx,2; ret.
       Every register is live after the compare: one is borrowed through the TEB word. */
    static const uint8_t code[] = {
        0x64, 0x48, 0x83, 0x3C, 0x25, 0xC0, 0xFF, 0xFF, 0xFF, 0x00,
        0x75, 0x04, 0x83, 0xC3, 0x01, 0xC3, 0x83, 0xC3, 0x02, 0xC3 };
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.patched_sites, 1);
    fake_teb[SCRATCH_SLOT / 8] = 0;
    gregs in = start_regs();
    run_at((uint64_t)area, in);
    cr_assert_eq(fake_teb[SCRATCH_SLOT / 8], in.rcx, "the borrowed register went through the TEB word");
    for (int i = 0; i < 4096 - 8; i++) /* the top 8: the return address */
        cr_assert_eq(area[STACK_TOP_OFF - 4096 + i], 0xA5, "stack byte -%d written", 4096 - i);
    gregs want = in;
    want.rbx = (uint32_t)(in.rbx + 2); /* fs:-0x40 is not zero */
    want.rflags = g_out.rflags;
    expect_regs(want, false);
    fake_tls_block[32 - 8] = 0;
    run_at((uint64_t)area, in);
    cr_assert_eq(g_out.rbx, (uint32_t)(in.rbx + 1));
}

Test(rewrite_exec, dead_register_is_clobbered_without_saving)
{
    /* cmpq $0x0,%fs:-0x40; jne +6; mov ebx,1; ret; mov ebx,2; ret: rbx is overwritten on
       both paths, so it can hold the fs base; nothing else may change. */
    static const uint8_t code[] = {
        0x64, 0x48, 0x83, 0x3C, 0x25, 0xC0, 0xFF, 0xFF, 0xFF, 0x00,
        0x75, 0x06, 0xBB, 1, 0, 0, 0, 0xC3, 0xBB, 2, 0, 0, 0, 0xC3 };
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.patched_sites, 1);
    fake_teb[SCRATCH_SLOT / 8] = 0x5ca7c4;
    gregs in = start_regs();
    run_at((uint64_t)area, in);
    cr_assert_eq(fake_teb[SCRATCH_SLOT / 8], 0x5ca7c4, "no register was parked");
    gregs want = in;
    want.rbx = 2;
    want.rflags = g_out.rflags;
    cr_assert_eq(g_out.rflags & 0x40, 0);
    expect_regs(want, false);
    fake_tls_block[32 - 8] = 0;
    run_at((uint64_t)area, in);
    cr_assert_eq(g_out.rbx, 1);
    cr_assert_eq(g_out.rflags & 0x40, 0x40);
    cr_assert_eq(g_out.rcx, in.rcx);
}

Test(rewrite_exec, register_read_on_the_taken_path_is_live)
{
    /* cmpq $0x0,%fs:-0x40; je +6; mov ecx,1; ret; L: mov ebx,ecx; mov ecx,2; ret.
       rcx is overwritten when falling through but read at L: it must survive. */
    static const uint8_t code[] = {
        0x64, 0x48, 0x83, 0x3C, 0x25, 0xC0, 0xFF, 0xFF, 0xFF, 0x00,
        0x74, 0x06, 0xB9, 1, 0, 0, 0, 0xC3, 0x89, 0xCB, 0xB9, 2, 0, 0, 0, 0xC3 };
    rewrite_snippet(code, sizeof code);
    fake_tls_block[32 - 8] = 0;
    gregs in = start_regs();
    in.rcx = 0x12345678;
    run_at((uint64_t)area, in);
    cr_assert_eq(g_out.rbx, 0x12345678);
    cr_assert_eq(g_out.rcx, 2);
    gregs want = in;
    want.rbx = 0x12345678;
    want.rcx = 2;
    want.rflags = g_out.rflags;
    expect_regs(want, false);
}

Test(rewrite_exec, dead_register_store_through_loop_back)
{
    /* L: mov %ecx,%fs:(%rdx); add rdx, 4; mov eax, edx; dec esi; jne L; ret:
       eax is overwritten before any read, also around the loop. */
    static const uint8_t code[] = {
        0x64, 0x89, 0x0A, 0x48, 0x83, 0xC2, 0x04, 0x89, 0xD0, 0xFF, 0xCE, 0x75, 0xF3, 0xC3 };
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.patched_sites, 1);
    fake_teb[SCRATCH_SLOT / 8] = 0x5ca7c4;
    gregs in = start_regs();
    in.rdx = (uint64_t)-24;
    in.rsi = 3;
    in.rcx = 0xabcdef;
    run_at((uint64_t)area, in);
    cr_assert_eq(fake_teb[SCRATCH_SLOT / 8], 0x5ca7c4);
    for (int i = 0; i < 3; i++) cr_assert_eq((uint32_t)(fake_tls_block[32 - 3 + i / 2] >> (32 * (i % 2))), 0xabcdef);
    gregs want = in;
    want.rdx = in.rdx + 12;
    want.rax = (uint32_t)want.rdx;
    want.rsi = 0;
    want.rflags = g_out.rflags;
    expect_regs(want, false);
}

Test(rewrite_exec, one_window_across_a_jcc_for_two_sites)
{
    /* 0: mov %fs:(%rbx),%ebp; test $2,%al; jne L; cmpq $0,%fs:-0x40; je M; mov ecx,1; ret;
       L: mov ecx,2; ret; M: mov ecx,3; ret. Both sites share one trampoline. */
    static const uint8_t code[] = {
        0x64, 0x8B, 0x2B, 0xA8, 0x02, 0x75, 0x12,
        0x64, 0x48, 0x83, 0x3C, 0x25, 0xC0, 0xFF, 0xFF, 0xFF, 0x00,
        0x74, 0x0C, 0xB9, 1, 0, 0, 0, 0xC3,
        0xB9, 2, 0, 0, 0, 0xC3,
        0xB9, 3, 0, 0, 0, 0xC3 };
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.fs_sites, 2);
    cr_assert_eq(res.patched_sites, 2);
    cr_assert_eq(res.windows, 1);
    gregs in = start_regs();
    in.rbx = (uint64_t)-8;
    in.rax = 0;
    uint32_t ebp = (uint32_t)fake_tls_block[31];
    for (int run = 0; run < 3; run++) {
        if (run == 1) in.rax = 2;
        if (run == 2) {
            in.rax = 0;
            fake_tls_block[24] = 0;
        }
        run_at((uint64_t)area, in);
        gregs want = in;
        want.rbp = ebp;
        want.rcx = (uint64_t)run + 1;
        want.rflags = g_out.rflags;
        expect_regs(want, false);
    }
}

Test(rewrite_exec, syscall_after_mov_eax)
{
    /* mov eax, 39; syscall; ret */
    static const uint8_t code[] = { 0xB8, 39, 0, 0, 0, 0x0F, 0x05, 0xC3 };
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.syscall_sites, 1);
    cr_assert_eq(res.patched_sites, 1);
    cr_assert_eq(res.back_windows, 1);
    g_sys_ret = 4242;
    gregs in = start_regs();
    run_at((uint64_t)area, in);
    cr_assert_eq(g_sys_count, 1);
    cr_assert_eq(g_sys_regs[0], 39);
    cr_assert_eq(g_sys_regs[1], in.rdi);
    cr_assert_eq(g_sys_regs[4], in.r10);
    gregs want = in;
    want.rax = 4242;
    expect_regs(want, true);
}

Test(rewrite_exec, syscall_then_error_check)
{
    /* syscall; cmp rax, -4095; jae +6; mov ebx, 1; ret; mov ebx, 2; ret */
    static const uint8_t code[] = {
        0x0F, 0x05, 0x48, 0x3D, 0x01, 0xF0, 0xFF, 0xFF, 0x73, 0x06,
        0xBB, 1, 0, 0, 0, 0xC3, 0xBB, 2, 0, 0, 0, 0xC3 };
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.patched_sites, 1);
    gregs in = start_regs();
    g_sys_ret = (uint64_t)-2;
    run_at((uint64_t)area, in);
    cr_assert_eq(g_out.rbx, 2);
    cr_assert_eq(g_out.rax, (uint64_t)-2);
    g_sys_ret = 7;
    run_at((uint64_t)area, in);
    cr_assert_eq(g_out.rbx, 1);
    cr_assert_eq(g_sys_count, 2);
}

Test(rewrite_exec, branch_target_right_after_syscall)
{
    /* mov eax, 1; syscall; L: add rbx, 1; cmp rbx, 3; jne L; ret */
    static const uint8_t code[] = {
        0xB8, 1, 0, 0, 0, 0x0F, 0x05,
        0x48, 0x83, 0xC3, 0x01, 0x48, 0x83, 0xFB, 0x03, 0x75, 0xF6, 0xC3 };
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.patched_sites, 1);
    cr_assert_eq(res.back_windows, 1);
    cr_assert_eq(area[7], 0x48, "the branch target must stay in place");
    gregs in = start_regs();
    in.rbx = 0;
    run_at((uint64_t)area, in);
    cr_assert_eq(g_sys_count, 1);
    cr_assert_eq(g_out.rbx, 3);
}

Test(rewrite_exec, loop_back_onto_syscall)
{
    /* L: syscall; dec rbx; jne L; ret */
    static const uint8_t code[] = { 0x0F, 0x05, 0x48, 0xFF, 0xCB, 0x75, 0xF9, 0xC3 };
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.patched_sites, 1);
    gregs in = start_regs();
    in.rbx = 5;
    run_at((uint64_t)area, in);
    cr_assert_eq(g_sys_count, 5);
    cr_assert_eq(g_out.rbx, 0);
}

Test(rewrite_exec, rip_relative_and_jcc_in_window)
{
    /* syscall; lea rdx,[rip+0x10]; ret ... (lea target computed from the original place) */
    static const uint8_t code[] = { 0x0F, 0x05, 0x48, 0x8D, 0x15, 0x10, 0, 0, 0, 0xC3 };
    rewrite_snippet(code, sizeof code);
    gregs in = start_regs();
    run_at((uint64_t)area, in);
    cr_assert_eq(g_out.rdx, (uint64_t)area + 9 + 0x10);
}

Test(rewrite_exec, call_after_fs_load_returns_to_original_address)
{
    /* 0: mov %fs:(%rax),%rax; 4: call 10; 9: ret; 10: mov rdx, [rsp]; add rbx, rax; ret */
    static const uint8_t code[] = { 0x64, 0x48, 0x8B, 0x00, 0xE8, 0x01, 0, 0, 0, 0xC3,
                                    0x48, 0x8B, 0x14, 0x24, 0x48, 0x01, 0xC3, 0xC3 };
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.patched_sites, 1);
    gregs in = start_regs();
    in.rax = 0;
    in.rbx = 1;
    guest_calls = true;
    run_at((uint64_t)area, in);
    cr_assert_eq(g_out.rax, fake_tls_block[32]);
    cr_assert_eq(g_out.rbx, 1 + fake_tls_block[32]);
    cr_assert_eq(g_out.rdx, (uint64_t)area + 9, "the callee sees the original return address");
    cr_assert_eq(g_out.rcx, in.rcx);
}

Test(rewrite_exec, unpatchable_fs_site_traps_to_trampoline)
{
    /* offset 0: mov %eax,%fs:(%rdx); ret. Nothing before it, too short alone. */
    static const uint8_t code[] = { 0x64, 0x89, 0x02, 0xC3 };
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.trap_fs, 1);
    cr_assert_eq(area[0], 0x0F);
    cr_assert_eq(area[1], 0x0B);
    cr_assert_eq(area[2], 0xCC);
    cr_assert_eq(ntraps, 1);
    cr_assert_eq(traps[0].kind, PX_TRAP_REDIRECT);
    cr_assert_eq(traps[0].addr, (uint64_t)area);
    /* what the fault handler does: continue at the trampoline */
    gregs in = start_regs();
    in.rdx = 8;
    in.rax = 77;
    run_at(traps[0].resume, in);
    cr_assert_eq((uint32_t)fake_tls_block[33], 77);
    expect_regs(in, false);
}

Test(rewrite_exec, unpatchable_syscall_becomes_ud2)
{
    /* syscall; ret at the region start */
    static const uint8_t code[] = { 0x0F, 0x05, 0xC3 };
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.trap_syscall, 1);
    cr_assert_eq(area[0], 0x0F);
    cr_assert_eq(area[1], 0x0B);
    cr_assert_eq(traps[0].kind, PX_TRAP_SYSCALL);
}

Test(rewrite_exec, jump_into_window_redirects)
{
    /* mov eax, 39; syscall; ret: the window starts at the mov, so a jump the scan did not
       see to the syscall lands on int3 filler, registered to the trampoline's syscall. */
    static const uint8_t code[] = { 0xB8, 39, 0, 0, 0, 0x0F, 0x05, 0xC3 };
    rewrite_snippet(code, sizeof code);
    cr_assert_eq(ntraps, 1);
    cr_assert_eq(traps[0].addr, (uint64_t)area + 5);
    cr_assert_eq(traps[0].kind, PX_TRAP_REDIRECT);
    cr_assert_eq(area[5], 0xCC);
    gregs in = start_regs();
    in.rax = 60;
    run_at(traps[0].resume, in);
    cr_assert_eq(g_sys_count, 1);
    cr_assert_eq(g_sys_regs[0], 60);
}

Test(rewrite_exec, second_pass_changes_nothing)
{
    static const uint8_t code[] = {
        0xB8, 39, 0, 0, 0, 0x0F, 0x05, 0x64, 0x89, 0x02, 0x48, 0x8B, 0xC3, 0xC3 };
    rewrite_snippet(code, sizeof code);
    uint8_t once[sizeof code];
    memcpy(once, area, sizeof code);
    px_rw_result res;
    memset(&res, 0, sizeof res);
    cr_assert_eq(px_rw_rewrite(&exec_env, area, (uint64_t)area, sizeof code, &res), 0);
    cr_assert_eq(res.syscall_sites + res.fs_sites, 0);
    cr_assert_eq(memcmp(once, area, sizeof code), 0);
    g_sys_ret = 3;
    gregs in = start_regs();
    in.rdx = 0;
    run_at((uint64_t)area, in);
    cr_assert_eq((uint32_t)fake_tls_block[32], 3);
    cr_assert_eq(g_out.rax, in.rbx);
}

/* ---- trampolines that copy on past their window ---- */

/* The last byte of the trampolines that is not int3 filler. */
static uint8_t last_tramp_byte(void)
{
    uint64_t i = tramp_used;
    while (i > 0 && area[TRAMP_OFF + i - 1] == 0xCC) i--;
    cr_assert(i > 0);
    return area[TRAMP_OFF + i - 1];
}

Test(rewrite_exec, tail_leaves_through_the_original_ret)
{
    /* mov rax, fs:[0x10]; add rbx, rax; ret: the trampoline ends with the ret itself. */
    static const uint8_t code[] = { 0x64, 0x48, 0x8B, 0x04, 0x25, 0x10, 0, 0, 0, 0x48, 0x01, 0xC3, 0xC3 };
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.windows, 1);
    cr_assert_eq(last_tramp_byte(), 0xC3);
    area[9] = 0xCC; /* the original add and ret are no longer reached */
    area[12] = 0xCC;
    gregs in = start_regs();
    run_at((uint64_t)area, in);
    gregs want = in;
    want.rax = fake_tls_block[32 + 2];
    want.rbx = in.rbx + want.rax;
    want.rflags = g_out.rflags;
    expect_regs(want, false);
}

Test(rewrite_exec, tail_takes_a_later_site_in_the_same_visit)
{
    /* mov rax, fs:[0x10]; add rbx, 1 (x8); mov fs:[0x18], rbx; ret: the second site has a
       window of its own, but the way through the first trampoline never uses it. */
    uint8_t code[9 + 8 * 4 + 9 + 1];
    static const uint8_t load[9] = { 0x64, 0x48, 0x8B, 0x04, 0x25, 0x10, 0, 0, 0 };
    static const uint8_t add1[4] = { 0x48, 0x83, 0xC3, 0x01 };
    static const uint8_t store[9] = { 0x64, 0x48, 0x89, 0x1C, 0x25, 0x18, 0, 0, 0 };
    memcpy(code, load, 9);
    for (int i = 0; i < 8; i++) memcpy(code + 9 + 4 * i, add1, 4);
    memcpy(code + 41, store, 9);
    code[50] = 0xC3;
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.fs_sites, 2);
    cr_assert_eq(res.patched_sites, 2);
    cr_assert_eq(res.windows, 2);
    cr_assert_eq(area[41], 0xE9);
    area[41] = 0xCC; /* the second window: a trap if anything came here */
    gregs in = start_regs();
    run_at((uint64_t)area, in);
    gregs want = in;
    want.rax = fake_tls_block[32 + 2];
    want.rbx = in.rbx + 8;
    want.rflags = g_out.rflags;
    expect_regs(want, false);
    cr_assert_eq(fake_tls_block[32 + 3], in.rbx + 8);
}

Test(rewrite_exec, tail_loop_stays_in_the_trampoline)
{
    /* L: add rbx, fs:[0x10]; dec ecx; jne L; ret: the copied jne goes to the copy of L,
       not to the window (which is made a trap here to prove it). */
    static const uint8_t code[] = { 0x64, 0x48, 0x03, 0x1C, 0x25, 0x10, 0, 0, 0, 0xFF, 0xC9, 0x75, 0xF3, 0xC3 };
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.windows, 1);
    cr_assert_eq(area[0], 0xE9);
    int32_t rel;
    memcpy(&rel, area + 1, 4);
    uint8_t *tramp = area + 5 + rel;
    gregs in = start_regs();
    in.rcx = 5;
    run_at((uint64_t)tramp, in); /* entered once; the window itself is never used again */
    memset(area, 0xCC, 5);
    run_at((uint64_t)tramp, in);
    gregs want = in;
    want.rbx = in.rbx + 5 * fake_tls_block[32 + 2];
    want.rcx = 0;
    want.rflags = g_out.rflags;
    expect_regs(want, false);
}

Test(rewrite_exec, tail_stops_before_a_call)
{
    /* mov rax, fs:[0x10]; mov rdx, rax; call f; ret; f: add rdx, 1; ret. The trampoline
       jumps back to the call (a real one: the return stack predictor stays in step), and a
       later window may not cover that address. */
    static const uint8_t code[] = { 0x64, 0x48, 0x8B, 0x04, 0x25, 0x10, 0, 0, 0, 0x48, 0x89, 0xC2,
                                    0xE8, 0x01, 0, 0, 0, 0xC3, 0x48, 0x83, 0xC2, 0x01, 0xC3 };
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.windows, 1);
    cr_assert_eq(area[12], 0xE8); /* untouched */
    cr_assert_eq(area[9], 0x48);
    area[9] = 0xCC;
    guest_calls = true;
    gregs in = start_regs();
    run_at((uint64_t)area, in);
    guest_calls = false;
    gregs want = in;
    want.rax = fake_tls_block[32 + 2];
    want.rdx = want.rax + 1;
    want.rflags = g_out.rflags;
    expect_regs(want, false);
}

/* ---- the base register carries the fs base when the flags are dead ---- */

Test(rewrite_exec, store_through_base_when_flags_are_dead)
{
    /* mov %ebp,%fs:(%rbx); add $1,%rcx (kills every status flag); ret. rbx is live at the
       ret: add gs:[fs], rbx; mov [rbx], ebp; sub gs:[fs], rbx. No TEB scratch word. */
    static const uint8_t code[] = { 0x64, 0x89, 0x2B, 0x48, 0x83, 0xC1, 0x01, 0xC3 };
    fake_teb[SCRATCH_SLOT / 8] = 0x5ca7c4;
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.patched_sites, 1);
    gregs in = start_regs();
    in.rbx = (uint64_t)-24;
    run_at((uint64_t)area, in);
    cr_assert_eq((uint32_t)fake_tls_block[29], (uint32_t)in.rbp);
    cr_assert_eq(fake_teb[SCRATCH_SLOT / 8], 0x5ca7c4);
    gregs want = in;
    want.rcx = in.rcx + 1;
    want.rflags = g_out.rflags;
    expect_regs(want, false);
}

Test(rewrite_exec, store_through_dead_base_is_not_restored)
{
    /* mov %ebp,%fs:0x8(%rbx); xor %ebx,%ebx; ret */
    static const uint8_t code[] = { 0x64, 0x89, 0x6B, 0x08, 0x31, 0xDB, 0xC3 };
    fake_teb[SCRATCH_SLOT / 8] = 0x5ca7c4;
    rewrite_snippet(code, sizeof code);
    gregs in = start_regs();
    in.rbx = (uint64_t)-32;
    run_at((uint64_t)area, in);
    cr_assert_eq((uint32_t)fake_tls_block[29], (uint32_t)in.rbp);
    cr_assert_eq(fake_teb[SCRATCH_SLOT / 8], 0x5ca7c4);
    gregs want = in;
    want.rbx = 0;
    want.rflags = g_out.rflags;
    expect_regs(want, false);
}

Test(rewrite_exec, flags_read_after_keep_the_borrowed_register)
{
    /* add %ebp,%fs:(%rbx); jc +1; ret; inc ecx... : the flags of the add are read, so the
       base cannot carry the fs base (its add/sub would spoil CF). */
    static const uint8_t code[] = { 0x64, 0x01, 0x2B, 0x72, 0x01, 0xC3, 0xFF, 0xC1, 0xC3 };
    rewrite_snippet(code, sizeof code);
    fake_tls_block[29] = 0xFFFFFFFFull;
    gregs in = start_regs();
    in.rbx = (uint64_t)-24;
    in.rbp = 1;
    run_at((uint64_t)area, in);
    cr_assert_eq((uint32_t)fake_tls_block[29], 0);
    gregs want = in;
    want.rcx = (uint32_t)(in.rcx + 1); /* the carry was seen */
    want.rflags = g_out.rflags;
    expect_regs(want, false);
}

/* ---- direct branches threaded to the trampolines ---- */

static uint64_t rel32_target(const uint8_t *insn_end)
{
    int32_t rel;
    memcpy(&rel, insn_end - 4, 4);
    return (uint64_t)(insn_end + rel);
}

Test(rewrite_exec, call_goes_straight_to_an_entry_trace)
{
    /* call f; ret; f: mov rdx, rbx; mov rax, fs:[0x10]; add rax, rdx; ret. The call now
       enters a trampoline copying f from its start: neither f's first instruction nor the
       window is used (both are made traps here). */
    static const uint8_t code[] = { 0xE8, 1, 0, 0, 0, 0xC3, 0x48, 0x89, 0xDA,
                                    0x64, 0x48, 0x8B, 0x04, 0x25, 0x10, 0, 0, 0, 0x48, 0x01, 0xD0, 0xC3 };
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.windows, 1);
    cr_assert_eq(res.entry_traces, 1);
    cr_assert_eq(res.threaded_branches, 1);
    cr_assert_eq(area[9], 0xE9);
    uint64_t to = rel32_target(area + 5);
    cr_assert(to >= (uint64_t)area + TRAMP_OFF, "call still goes to 0x%lx", (unsigned long)to);
    memset(area + 6, 0xCC, 8);
    guest_calls = true;
    gregs in = start_regs();
    run_at((uint64_t)area, in);
    guest_calls = false;
    gregs want = in;
    want.rdx = in.rbx;
    want.rax = fake_tls_block[32 + 2] + in.rbx;
    want.rflags = g_out.rflags;
    expect_regs(want, false);
}

Test(rewrite_exec, jmp_and_jcc_to_a_window_go_to_its_trampoline)
{
    /* test ecx, ecx; je L (rel32); jmp L (rel32); nop x4; L: mov rax, fs:[0x10]; ret */
    static const uint8_t code[] = { 0x85, 0xC9, 0x0F, 0x84, 9, 0, 0, 0, 0xE9, 4, 0, 0, 0, 0x90, 0x90, 0x90, 0x90,
                                    0x64, 0x48, 0x8B, 0x04, 0x25, 0x10, 0, 0, 0, 0xC3 };
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.windows, 1);
    cr_assert_eq(res.entry_traces, 0);
    cr_assert_eq(res.threaded_branches, 2);
    cr_assert_eq(area[17], 0xE9);
    uint64_t tramp = rel32_target(area + 22);
    cr_assert_eq(rel32_target(area + 8), tramp);
    cr_assert_eq(rel32_target(area + 13), tramp);
    memset(area + 17, 0xCC, 5);
    for (int ecx = 0; ecx < 2; ecx++) {
        gregs in = start_regs();
        in.rcx = (uint64_t)ecx;
        run_at((uint64_t)area, in);
        gregs want = in;
        want.rax = fake_tls_block[32 + 2];
        want.rflags = g_out.rflags;
        expect_regs(want, false);
    }
}

Test(rewrite_exec, forward_jcc_to_a_later_site_in_the_tail)
{
    /* f: mov rcx, fs:[0x8]; ret (only to come first: its trampoline is emitted twice
       anyway, there being no last one to follow).
       g: mov rax, fs:[0x10]; test rbx, rbx; je L; add rbx, 1; L: add rbx, fs:[0x18]; ret.
       The copy of je in g's trampoline goes forward to the copy of L (a site ahead), whose
       place is known only once emitted: that trampoline is emitted a second time. */
    static const uint8_t code[] = { 0x64, 0x48, 0x8B, 0x0C, 0x25, 0x08, 0, 0, 0, 0xC3,
                                    0x64, 0x48, 0x8B, 0x04, 0x25, 0x10, 0, 0, 0, 0x48, 0x85, 0xDB, 0x74, 0x04,
                                    0x48, 0x83, 0xC3, 0x01, 0x64, 0x48, 0x03, 0x1C, 0x25, 0x18, 0, 0, 0, 0xC3 };
    px_rw_result res = rewrite_snippet(code, sizeof code);
    cr_assert_eq(res.fs_sites, 3);
    cr_assert_eq(res.windows, 3);
    cr_assert_eq(res.tramp_reemits, 2);
    cr_assert_eq(area[10], 0xE9);
    cr_assert_eq(area[28], 0xE9);
    memset(area + 28, 0xCC, 9); /* the third window: both ways must stay in the copy */
    for (uint64_t rbx = 0; rbx < 6; rbx += 5) {
        gregs in = start_regs();
        in.rbx = rbx;
        run_at((uint64_t)area + 10, in);
        gregs want = in;
        want.rax = fake_tls_block[32 + 2];
        want.rbx = (rbx ? rbx + 1 : 0) + fake_tls_block[32 + 3];
        want.rflags = g_out.rflags;
        expect_regs(want, false);
    }
}

Test(rewrite_exec, trampolines_placed_apart_run_the_same)
{
    /* An allocator that never puts a trampoline where the last one ended: each is emitted
       again at its real place (build_tramp's guess misses), and runs as before. */
    static const uint8_t code[] = { 0x64, 0x48, 0x8B, 0x04, 0x25, 0x10, 0, 0, 0, 0x48, 0x85, 0xDB, 0x74, 0x04,
                                    0x48, 0x83, 0xC3, 0x01, 0x64, 0x48, 0x03, 0x1C, 0x25, 0x18, 0, 0, 0, 0xC3 };
    tramp_used = 4096 - 48;
    uint64_t (*alloc)(void *, uint64_t, size_t, uint8_t **) = exec_env.alloc_tramp;
    exec_env.alloc_tramp = gap_alloc;
    px_rw_result res = rewrite_snippet(code, sizeof code);
    exec_env.alloc_tramp = alloc;
    cr_assert_eq(res.windows, 2);
    cr_assert_geq(res.tramp_reemits, 2);
    gregs in = start_regs();
    in.rbx = 7;
    run_at((uint64_t)area, in);
    gregs want = in;
    want.rax = fake_tls_block[32 + 2];
    want.rbx = 8 + fake_tls_block[32 + 3];
    want.rflags = g_out.rflags;
    expect_regs(want, false);
}

/* ---- real binaries ---- */

static uint64_t fake_base, fake_used;
static uint8_t *fake_buf;
#define FAKE_SIZE (32u << 20)
static uint64_t fake_alloc(void *ctx, uint64_t close_to, size_t size, uint8_t **write)
{
    (void)ctx; (void)close_to;
    if (fake_used + size > FAKE_SIZE) return 0;
    *write = fake_buf + fake_used;
    uint64_t at = fake_base + fake_used;
    fake_used += (size + 15) & ~15u;
    return at;
}

static uint64_t count_cmd(const char *cmd)
{
    FILE *f = popen(cmd, "r");
    cr_assert(f, "%s", cmd);
    unsigned long long n = 0;
    cr_assert_eq(fscanf(f, "%llu", &n), 1, "%s", cmd);
    pclose(f);
    return n;
}

/* The image cache (src/rewrite/image_cache.c) moves a stored result by the fields the
   rewriter reports (env->add_reloc): rewriting the same code at another address, with
   its trampolines elsewhere again and another syscall entry, must give the same bytes
   but in those fields, and each field must point at the same place, moved. */
typedef struct reloc_seen { uint64_t field; int kind; uint8_t end_delta; } reloc_seen;
static reloc_seen *relocs_seen;
static size_t relocs_count, relocs_cap;
static void note_reloc_seen(void *ctx, uint64_t field, enum px_rw_reloc kind, uint8_t end_delta)
{
    (void)ctx;
    if (relocs_count == relocs_cap) {
        relocs_cap = relocs_cap ? relocs_cap * 2 : 4096;
        relocs_seen = realloc(relocs_seen, relocs_cap * sizeof *relocs_seen);
        cr_assert(relocs_seen);
    }
    relocs_seen[relocs_count++] = (reloc_seen){field, (int)kind, end_delta};
}

#define MOVE_CODE 0x12345000ull   /* where the second rewrite's code is, further on */
#define MOVE_TRAMPS 0x30000ull    /* and its trampolines, further still */

static void check_moved_rewrite(const px_rw_env *env, const uint8_t *orig, uint64_t vaddr, uint64_t filesz)
{
    uint8_t *a = malloc(filesz), *b = malloc(filesz);
    memcpy(a, orig, filesz);
    memcpy(b, orig, filesz);
    px_rw_env env_a = *env, env_b = *env;
    env_a.add_reloc = note_reloc_seen;
    env_b.syscall_entry = env->syscall_entry + 0x4000;
    px_rw_result res;
    memset(&res, 0, sizeof res);
    relocs_count = 0;
    /* far from the program's other segments, which rip-relative operands reach: as the
       runtime's pools are, which never overlap guest memory */
    uint64_t saved_base = fake_base, base_a = fake_base = saved_base + (512ull << 20);
    fake_used = 0;
    cr_assert_eq(px_rw_rewrite(&env_a, a, vaddr, filesz, &res), 0);
    uint64_t used = fake_used;
    uint8_t *tramps_a = malloc(used + 1);
    memcpy(tramps_a, fake_buf, used);
    uint64_t base_b = fake_base = base_a + MOVE_CODE + MOVE_TRAMPS, vaddr_b = vaddr + MOVE_CODE;
    fake_used = 0;
    memset(&res, 0, sizeof res);
    cr_assert_eq(px_rw_rewrite(&env_b, b, vaddr_b, filesz, &res), 0);
    fake_base = saved_base;
    cr_assert_eq(fake_used, used, "the moved rewrite took other trampoline memory");
    const uint8_t *tramps_b = fake_buf;
    uint8_t *code_cov = calloc(filesz, 1), *tramp_cov = calloc(used + 1, 1);
    for (size_t i = 0; i < relocs_count; i++) {
        const reloc_seen *x = &relocs_seen[i];
        size_t size = x->kind == PX_RW_REL32 ? 4 : 8;
        bool in_code = x->field >= vaddr && x->field + size <= vaddr + filesz;
        bool in_tramps = x->field >= base_a && x->field + size <= base_a + used;
        cr_assert(in_code || in_tramps, "a field outside the code and its trampolines: %llx", (unsigned long long)x->field);
        const uint8_t *pa = in_code ? a + (x->field - vaddr) : tramps_a + (x->field - base_a);
        const uint8_t *pb = in_code ? b + (x->field - vaddr) : tramps_b + (x->field - base_a);
        memset(in_code ? code_cov + (x->field - vaddr) : tramp_cov + (x->field - base_a), 1, size);
        uint64_t field_b = in_code ? x->field + MOVE_CODE : x->field - base_a + base_b;
        if (x->kind == PX_RW_REL32) {
            int32_t da, db;
            memcpy(&da, pa, 4);
            memcpy(&db, pb, 4);
            uint64_t ta = x->field + x->end_delta + (int64_t)da, tb = field_b + x->end_delta + (int64_t)db;
            bool to_tramps = ta >= base_a && ta < base_a + used;
            cr_assert_eq(to_tramps ? tb - base_b : tb - vaddr_b, to_tramps ? ta - base_a : ta - vaddr,
                         "a rel32 at %llx points elsewhere once moved", (unsigned long long)x->field);
        } else {
            uint64_t va, vb;
            memcpy(&va, pa, 8);
            memcpy(&vb, pb, 8);
            if (x->kind == PX_RW_ABS_ENTRY) cr_assert(va == env_a.syscall_entry && vb == env_b.syscall_entry);
            else cr_assert_eq(vb - vaddr_b, va - vaddr, "a guest address at %llx moved wrong", (unsigned long long)x->field);
        }
    }
    for (uint64_t i = 0; i < filesz; i++)
        cr_assert(a[i] == b[i] || code_cov[i], "code byte %llx depends on the address but no field says so",
                  (unsigned long long)(vaddr + i));
    for (uint64_t i = 0; i < used; i++)
        cr_assert(tramps_a[i] == tramps_b[i] || tramp_cov[i],
                  "trampoline byte +%llx depends on the address but no field says so", (unsigned long long)i);
    printf("moved rewrite at %llx: %zu fields, every address-dependent byte in one\n", (unsigned long long)vaddr,
           relocs_count);
    free(a);
    free(b);
    free(tramps_a);
    free(code_cov);
    free(tramp_cov);
}

static void rewrite_binary(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *file = malloc((size_t)size);
    cr_assert_eq(fread(file, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    /* <elf.h> is shadowed by loader/elf.h here: read the few fields by offset */
    cr_assert_eq(memcmp(file, "\177ELF", 4), 0);
    uint64_t phoff;
    uint16_t phentsize, phnum;
    memcpy(&phoff, file + 0x20, 8);
    memcpy(&phentsize, file + 0x36, 2);
    memcpy(&phnum, file + 0x38, 2);

    px_rw_result res;
    memset(&res, 0, sizeof res);
    px_rw_env env = { .teb_fs_slot = FS_SLOT, .teb_scratch_slot = SCRATCH_SLOT, .syscall_entry = 0x7fff00001000ull, .alloc_tramp = fake_alloc };
    fake_buf = malloc(FAKE_SIZE);
    for (int i = 0; i < phnum; i++) {
        const uint8_t *ph = file + phoff + (size_t)i * phentsize;
        uint32_t type, flags;
        uint64_t offset, vaddr, filesz, memsz;
        memcpy(&type, ph, 4);
        memcpy(&flags, ph + 4, 4);
        memcpy(&offset, ph + 8, 8);
        memcpy(&vaddr, ph + 16, 8);
        memcpy(&filesz, ph + 32, 8);
        memcpy(&memsz, ph + 40, 8);
        if (type != 1 /* PT_LOAD */ || !(flags & 1 /* PF_X */)) continue;
        uint8_t *seg = malloc(filesz);
        memcpy(seg, file + offset, filesz);
        fake_base = (vaddr + memsz + 0xFFFF) & ~0xFFFFull;
        check_moved_rewrite(&env, seg, vaddr, filesz);
        /* The sweep's quick path must change nothing: every instruction through Zydis
           gives the same code and trampolines, byte for byte. */
        uint8_t *slow = malloc(filesz);
        memcpy(slow, seg, filesz);
        px_rw_env slow_env = env;
        slow_env.zydis_only = true;
        px_rw_result slow_res;
        memset(&slow_res, 0, sizeof slow_res);
        fake_used = 0;
        cr_assert_eq(px_rw_rewrite(&slow_env, slow, vaddr, filesz, &slow_res), 0);
        uint64_t slow_used = fake_used;
        uint8_t *slow_tramps = malloc(slow_used + 1);
        memcpy(slow_tramps, fake_buf, slow_used);
        fake_used = 0;
        uint64_t lost_before = res.lost_sites;
        cr_assert_eq(px_rw_rewrite(&env, seg, vaddr, filesz, &res), 0);
        cr_assert_eq(fake_used, slow_used);
        cr_assert_eq(memcmp(seg, slow, filesz), 0, "the quick sweep rewrote %s differently", path);
        cr_assert_eq(memcmp(fake_buf, slow_tramps, slow_used), 0, "the quick sweep built other trampolines");
        free(slow);
        free(slow_tramps);
        /* A second sweep over the result finds nothing left to do. */
        px_rw_result again;
        memset(&again, 0, sizeof again);
        cr_assert_eq(px_rw_rewrite(&env, seg, vaddr, filesz, &again), 0);
        cr_assert_eq(again.syscall_sites + again.fs_sites, res.lost_sites - lost_before,
                     "%llu sites left after rewriting", (unsigned long long)(again.syscall_sites + again.fs_sites));
        free(seg);
    }
    free(fake_buf);
    free(file);

    char cmd[512];
    snprintf(cmd, sizeof cmd, "objdump -d --no-show-raw-insn %s | grep -cP ':\\tsyscall\\s*$'", path);
    uint64_t want_syscalls = count_cmd(cmd);
    snprintf(cmd, sizeof cmd, "objdump -d --no-show-raw-insn %s | grep -c '%%fs:'", path);
    uint64_t want_fs = count_cmd(cmd);
    printf("%s: syscall %llu (objdump %llu), %%fs %llu (objdump %llu); patched %llu, trapped %llu "
           "(ud2 syscall %llu, ud2 fs %llu, none possible %llu); %llu windows (%llu starting before "
           "their site), %llu entry traces, %llu branches threaded, %llu KiB of trampolines, %llu verify failures\n",
           path, (unsigned long long)res.syscall_sites, (unsigned long long)want_syscalls,
           (unsigned long long)res.fs_sites, (unsigned long long)want_fs,
           (unsigned long long)res.patched_sites, (unsigned long long)res.trap_sites,
           (unsigned long long)res.trap_syscall, (unsigned long long)res.trap_fs,
           (unsigned long long)res.lost_sites, (unsigned long long)res.windows,
           (unsigned long long)res.back_windows, (unsigned long long)res.entry_traces,
           (unsigned long long)res.threaded_branches, (unsigned long long)(res.tramp_bytes >> 10),
           (unsigned long long)res.verify_failures);
    fflush(stdout);
    cr_expect_eq(res.syscall_sites, want_syscalls);
    cr_expect_eq(res.fs_sites, want_fs);
    cr_assert_eq(res.patched_sites + res.trap_sites, res.syscall_sites + res.fs_sites);
    cr_assert_eq(res.verify_failures, 0);
    /* traps are a small minority: under 2% of the sites */
    cr_assert_lt(res.trap_sites * 50, res.syscall_sites + res.fs_sites);
}

Test(rewrite_real, libc, .timeout = 120) { rewrite_binary("/usr/lib/x86_64-linux-gnu/libc.so.6"); }
Test(rewrite_real, busybox, .timeout = 120) { rewrite_binary("/bin/busybox"); }
/* a large program with few sites: most of its instructions go through the sweep's quick paths */
Test(rewrite_real, python3, .timeout = 120) { rewrite_binary("/usr/bin/python3.11"); }
