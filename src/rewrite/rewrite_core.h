/* The rewriter's pure part: scan, plan, emit and verify over a code buffer and its
   runtime address. No Windows headers: the unit tests build it natively. */
#ifndef PX_REWRITE_CORE_H
#define PX_REWRITE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rewrite/rewrite_trap.h"

/* The address-dependent fields of rewritten code and trampolines. */
enum px_rw_reloc {
    PX_RW_REL32,      /* a 32-bit displacement from the instruction's end (field + end_delta) */
    PX_RW_ABS_GUEST,  /* a 64-bit guest address (an emulated call's return address) */
    PX_RW_ABS_ENTRY,  /* a 64-bit pointer to env->syscall_entry */
};

/* What the rewriter needs from its host (the runtime, or a unit test). */
typedef struct px_rw_env {
    uint64_t teb_fs_slot;    /* gs:[teb_fs_slot] holds the guest's FS base */
    uint64_t teb_scratch_slot; /* gs:[teb_scratch_slot]: where rewritten code parks a register */
    uint64_t syscall_entry;  /* jumped to with rcx = return address */
    void *ctx;
    /* Reserves size bytes of executable memory whose every byte is within +-2 GiB
       (less a margin) of close_to. Returns its runtime address and, in *write, where to
       write it (the same address in the runtime); 0 when there is none. */
    uint64_t (*alloc_tramp)(void *ctx, uint64_t close_to, size_t size, uint8_t **write);
    /* Records a trap site: a ud2/int3 at addr that the fault handler resolves. */
    int (*add_trap)(void *ctx, uint64_t addr, enum px_trap_kind kind, uint64_t resume);
    /* Optional (the image cache): each address-dependent field written, in the region or
       a trampoline, once it is final, so that the result can be moved elsewhere. */
    void (*add_reloc)(void *ctx, uint64_t field, enum px_rw_reloc kind, uint8_t end_delta);
    /* true: every instruction through Zydis (the tests compare against this sweep) */
    bool zydis_only;
    /* true: trust the emitter (see verify_tramp) and do not decode each trampoline again */
    bool skip_verify;
    /* optional: a timestamp for the phase times of px_rw_result (any unit) */
    uint64_t (*now)(void);
} px_rw_env;

typedef struct px_rw_result {
    uint64_t syscall_sites;   /* syscall instructions found */
    uint64_t fs_sites;        /* instructions with an %fs: memory operand found */
    uint64_t patched_sites;   /* reached through a jmp to a trampoline */
    uint64_t trap_sites;      /* trap_syscall + trap_fs + lost_sites */
    uint64_t trap_syscall;    /* ud2, PX_TRAP_SYSCALL */
    uint64_t trap_fs;         /* ud2, PX_TRAP_REDIRECT to a one-instruction trampoline */
    uint64_t lost_sites;      /* nothing possible: left as they were */
    uint64_t windows;         /* patch windows written */
    uint64_t back_windows;    /* of which start before their first site */
    uint64_t tramp_bytes;     /* trampoline memory used */
    uint64_t verify_failures; /* emitted code that did not decode as intended */
    uint64_t entry_traces;    /* trampolines entered straight from a branch (no window) */
    uint64_t threaded_branches; /* direct jmp/jcc/call sent straight to a trampoline */
    uint64_t tramp_reemits;   /* trampolines emitted a second time (see build_tramp) */
    /* Phase times in env->now units (0 without it): the sweep; windows and traps (all of
       it, of which emitting trampolines and verifying them); threading branches (all). */
    uint64_t time_sweep, time_sites, time_emit, time_verify, time_thread;
} px_rw_result;

/* Rewrites code[0, len), which the guest sees at addr. The result is added to *out.
   Returns 0, or -LINUX_ENOMEM. */
int px_rw_rewrite(const px_rw_env *env, uint8_t *code, uint64_t addr, size_t len,
                  px_rw_result *out);

/* The syscall sequence of a trampoline ends with the entry pointer and the address of the
   syscall instruction it replaced; the code goes on right after. Given the 29 bytes
   before a return address the entry stub got in rcx, whether they are such a sequence
   (its pointer equal to entry), and the site. */
bool px_rw_syscall_site_of(const uint8_t *ret_minus_29, uint64_t entry, uint64_t *site);
#define PX_RW_SYSCALL_SEQ_LEN 29

#endif
