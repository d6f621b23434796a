/* The rewriter: finds every `syscall` and every %fs:-relative instruction in a code
   region and makes each reach the runtime without an exception.

   A site is patched through a window: a run of whole instructions (>= 5 bytes) holding
   the site, replaced by `jmp trampoline` and int3 filler. The trampoline performs the
   window's instructions, transformed where needed, then goes on copying the code after
   the window (its tail) until that code leaves by itself (ret, jmp, a taken jcc) or it
   must jump back. Sites for which no window exists become ud2 traps, resolved by the
   fault handler. Last, direct jmp/jcc/call instructions aimed at a window, or at code that
   soon reaches a site, are pointed at a trampoline copying from their target on.

   What costs on a hot path is the number of taken jumps into and out of trampolines (the
   fs base load from the TEB and a borrowed register parked in the TEB measured as free on
   nullsys' malloc/free: both are off the dependency chains), hence tails and threading. */
#include <stdlib.h>

#include <Zydis/Zydis.h>

#include "core/px.h"
#include "rewrite/rewrite_core.h"

enum insn_kind {
    INSN_BAD,      /* did not decode: never moved */
    INSN_PLAIN,    /* copied as is */
    INSN_RIPREL,   /* copied, rip-relative displacement recomputed */
    INSN_BRANCH,   /* jmp/jcc rel8/rel32: re-encoded with rel32, last in a window only */
    INSN_END,      /* ret and the like: copied, last in a window only */
    INSN_CALL,     /* call rel32: emulated with the original return address, last only */
    INSN_FIXED,    /* depends on its address otherwise (call, loop, jrcxz, ...) or is a trap */
    INSN_SYSCALL,
    INSN_FS,       /* %fs: memory operand that can be transformed */
    INSN_FS_BAD,   /* %fs: memory operand that cannot */
};

typedef struct insn {
    uint32_t off;
    uint8_t len;
    uint8_t kind;
    uint16_t dead; /* INSN_FS: general registers dead right after it (by gpr64 number) */
} insn;

/* Longest window, in instructions and bytes: enough for short sites between branch targets. */
#define MAX_WINDOW_INSNS 8
/* A trampoline goes on copying the code after its window (see plan_tail), up to this many
   instructions: the guest then leaves it through its own ret, jmp or taken jcc instead of
   a jump back, and later sites on the way are done in the same visit. */
#define MAX_TAIL_INSNS 56
#define MAX_TRACE_INSNS (MAX_WINDOW_INSNS + MAX_TAIL_INSNS)
#define MAX_BACK 4
#define JMP_LEN 5
#define TRAMP_MAX 1024

typedef struct rw {
    const px_rw_env *env;
    const uint8_t *code; /* the region as it was: every decode and copy reads this */
    uint8_t *out;        /* the region itself: patches go here */
    uint64_t addr;
    size_t len;
    insn *insns;
    size_t count;
    uint8_t *target;    /* bitmap: a direct branch of the region jumps to this offset */
    uint8_t *inner;     /* bitmap: an instruction inside a window after its first: filler */
    uint8_t *covered;   /* bitmap: an instruction overwritten (windows, traps) */
    uint32_t *win_off;  /* the windows written, in address order: first instruction's offset */
    uint64_t *win_tramp; /* and its trampoline */
    size_t nwin;
    px_rw_result *res;
    ZydisDecoder dec;
    bool quick;         /* the sweep may use quick_plain_len */
    uint64_t next_tramp; /* where the last trampoline ended: the next one most likely goes there */
    uint32_t *sites;    /* the sites' instruction indexes, in order (few: the passes after
                           the sweep look at these instead of every instruction) */
    size_t nsites, sites_cap;
} rw;

static uint64_t now(const rw *r) { return r->env->now ? r->env->now() : 0; }

static bool bit_at(const uint8_t *map, uint64_t off) { return (map[off >> 3] >> (off & 7)) & 1; }
static void set_bit(uint8_t *map, uint64_t off) { map[off >> 3] |= (uint8_t)(1u << (off & 7)); }
static bool is_target(const rw *r, uint64_t off) { return bit_at(r->target, off); }

static bool is_gpr(ZydisRegister reg)
{
    ZydisRegisterClass c = ZydisRegisterGetClass(reg);
    return c == ZYDIS_REGCLASS_GPR64 || c == ZYDIS_REGCLASS_GPR32 || c == ZYDIS_REGCLASS_GPR16 ||
           c == ZYDIS_REGCLASS_GPR8;
}

static ZydisRegister gpr64(ZydisRegister reg)
{
    if (reg == ZYDIS_REGISTER_NONE || !is_gpr(reg)) return reg;
    return ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, reg);
}

/* The index of the single explicit %fs: memory operand, or -1. */
static int fs_operand(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops)
{
    int found = -1;
    for (int i = 0; i < in->operand_count; i++) {
        if (ops[i].type != ZYDIS_OPERAND_TYPE_MEMORY || ops[i].mem.segment != ZYDIS_REGISTER_FS)
            continue;
        if (found >= 0 || ops[i].visibility != ZYDIS_OPERAND_VISIBILITY_EXPLICIT) return -2;
        found = i;
    }
    return found;
}

/* Bit mask (by gpr64 number 0..15) of the general registers the instruction reads or
   writes, explicitly or not. */
static unsigned gprs_used_by(const ZydisDecodedOperand *op)
{
    unsigned mask = 0;
    ZydisRegister regs[2] = { ZYDIS_REGISTER_NONE, ZYDIS_REGISTER_NONE };
    if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) regs[0] = op->reg.value;
    else if (op->type == ZYDIS_OPERAND_TYPE_MEMORY) {
        regs[0] = op->mem.base;
        regs[1] = op->mem.index;
    }
    for (int k = 0; k < 2; k++) {
        ZydisRegister g = gpr64(regs[k]);
        if (g >= ZYDIS_REGISTER_RAX && g <= ZYDIS_REGISTER_R15) mask |= 1u << (g - ZYDIS_REGISTER_RAX);
        else if (g == ZYDIS_REGISTER_RIP || g == ZYDIS_REGISTER_EIP) mask |= 1u << 16;
    }
    return mask;
}

static unsigned gprs_used(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops)
{
    unsigned mask = 0;
    for (int i = 0; i < in->operand_count; i++) mask |= gprs_used_by(&ops[i]);
    return mask;
}

#define RSP_BIT (1u << (ZYDIS_REGISTER_RSP - ZYDIS_REGISTER_RAX))

enum fs_form { FS_NONE, FS_LOAD, FS_DEAD, FS_INPLACE, FS_SCRATCH };

/* In insn.dead, where rsp's bit would be (rsp is never dead): the status flags are. */
#define FLAGS_DEAD_BIT RSP_BIT
#define STATUS_FLAGS (ZYDIS_CPUFLAG_CF | ZYDIS_CPUFLAG_PF | ZYDIS_CPUFLAG_AF | ZYDIS_CPUFLAG_ZF | \
                      ZYDIS_CPUFLAG_SF | ZYDIS_CPUFLAG_OF)

/* How an %fs: instruction can be transformed (see emit_fs); dead: registers known dead
   after it. */
static enum fs_form fs_form_of(const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops,
                               int m, unsigned dead, ZydisRegister *scratch)
{
    const ZydisDecodedOperandMem *mem = &ops[m].mem;
    if (mem->type != ZYDIS_MEMOP_TYPE_MEM || in->address_width != 64) return FS_NONE;
    if (mem->base != ZYDIS_REGISTER_NONE && ZydisRegisterGetClass(mem->base) != ZYDIS_REGCLASS_GPR64)
        return FS_NONE; /* rip-relative */
    if (mem->index != ZYDIS_REGISTER_NONE && ZydisRegisterGetClass(mem->index) != ZYDIS_REGCLASS_GPR64)
        return FS_NONE; /* vector index (gathers) */
    if (in->mnemonic == ZYDIS_MNEMONIC_MOV && m == 1 && ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER) {
        ZydisRegisterClass c = ZydisRegisterGetClass(ops[0].reg.value);
        ZydisRegister dst = gpr64(ops[0].reg.value);
        if ((c == ZYDIS_REGCLASS_GPR64 || c == ZYDIS_REGCLASS_GPR32) && dst != mem->base && dst != mem->index) {
            *scratch = dst;
            return FS_LOAD;
        }
    }
    unsigned used = gprs_used(in, ops);
    if (used & (RSP_BIT | (1u << 16))) return FS_NONE; /* push/pop/call/rsp-based: trap */
    static const ZydisRegister prefer[] = {
        ZYDIS_REGISTER_RCX, ZYDIS_REGISTER_RDX, ZYDIS_REGISTER_RSI, ZYDIS_REGISTER_RDI,
        ZYDIS_REGISTER_RAX, ZYDIS_REGISTER_RBX, ZYDIS_REGISTER_RBP, ZYDIS_REGISTER_R8,
        ZYDIS_REGISTER_R9, ZYDIS_REGISTER_R10, ZYDIS_REGISTER_R11, ZYDIS_REGISTER_R12,
        ZYDIS_REGISTER_R13, ZYDIS_REGISTER_R14, ZYDIS_REGISTER_R15,
    };
    for (size_t i = 0; i < PX_ARRAY_LEN(prefer); i++) {
        unsigned bit = 1u << (prefer[i] - ZYDIS_REGISTER_RAX);
        if (!(used & bit) && (dead & bit)) {
            *scratch = prefer[i];
            return FS_DEAD;
        }
    }
    /* The base register alone addresses it and the status flags are dead: the base itself
       can carry the fs base in and out (add, then sub unless it is dead too). */
    if ((dead & FLAGS_DEAD_BIT) && mem->base != ZYDIS_REGISTER_NONE && mem->base != ZYDIS_REGISTER_RSP &&
        mem->index == ZYDIS_REGISTER_NONE && in->cpu_flags && !(in->cpu_flags->tested & STATUS_FLAGS)) {
        unsigned others = 0;
        for (int i = 0; i < in->operand_count; i++)
            if (i != m) others |= gprs_used_by(&ops[i]);
        if (!(others & (1u << (mem->base - ZYDIS_REGISTER_RAX)))) {
            *scratch = mem->base;
            return FS_INPLACE;
        }
    }
    for (size_t i = 0; i < PX_ARRAY_LEN(prefer); i++) {
        if (!(used & (1u << (prefer[i] - ZYDIS_REGISTER_RAX)))) {
            *scratch = prefer[i];
            return FS_SCRATCH;
        }
    }
    return FS_NONE;
}

static bool decode(const rw *r, const uint8_t *p, size_t avail, ZydisDecodedInstruction *in,
                   ZydisDecodedOperand *ops)
{
    return ZYAN_SUCCESS(ZydisDecoderDecodeFull(&r->dec, p, avail, in, ops));
}

/* The instruction alone, without its operands: length, mnemonic, raw fields (a third
   cheaper where the operands are not needed). */
static bool decode_insn(const rw *r, const uint8_t *p, size_t avail, ZydisDecodedInstruction *in)
{
    ZydisDecoderContext ctx;
    return ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&r->dec, &ctx, p, avail, in));
}

static unsigned gpr_bit(ZydisRegister reg)
{
    ZydisRegister g = gpr64(reg);
    return g >= ZYDIS_REGISTER_RAX && g <= ZYDIS_REGISTER_R15 ? 1u << (g - ZYDIS_REGISTER_RAX) : 0;
}

/* Liveness budget: instructions looked at per site, and branch nesting. */
#define LIVE_BUDGET 32
#define LIVE_DEPTH 4

/* Of the registers in pending, those that may be read before being overwritten when the
   original code runs from off on. Follows fall-through and direct jumps (both ways of a
   jcc); anything it cannot follow (ret, call, indirect jumps, the region's end, running
   out of budget) counts as reading every pending register. Runs before any patching. */
static unsigned live_from(const rw *r, uint64_t off, unsigned pending, int *budget, int depth)
{
    unsigned live = 0;
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    while (pending) {
        if (off >= r->len || --*budget < 0 || !decode(r, r->code + off, r->len - off, &in, ops))
            return live | pending;
        unsigned reads = 0, writes = 0;
        bool zero_idiom = (in.mnemonic == ZYDIS_MNEMONIC_XOR || in.mnemonic == ZYDIS_MNEMONIC_SUB) &&
                          in.operand_count_visible == 2 && ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                          ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER && ops[0].reg.value == ops[1].reg.value;
        for (int i = 0; i < in.operand_count; i++) {
            const ZydisDecodedOperand *op = &ops[i];
            if (op->type == ZYDIS_OPERAND_TYPE_MEMORY) {
                reads |= gpr_bit(op->mem.base) | gpr_bit(op->mem.index);
            } else if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
                unsigned bit = gpr_bit(op->reg.value);
                ZydisRegisterClass c = ZydisRegisterGetClass(op->reg.value);
                bool full = c == ZYDIS_REGCLASS_GPR64 || c == ZYDIS_REGCLASS_GPR32; /* 32-bit writes zero-extend */
                if (zero_idiom) writes |= bit;
                else if ((op->actions & ZYDIS_OPERAND_ACTION_WRITE) && full &&
                         !(op->actions & ZYDIS_OPERAND_ACTION_MASK_READ))
                    writes |= bit;
                else if (op->actions) /* reads, conditional or partial writes */
                    reads |= bit;
            }
        }
        live |= pending & reads;
        pending &= ~(reads | writes);
        if (!pending) break;
        uint64_t to;
        bool direct = in.raw.imm[0].is_relative &&
                      ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&in, &ops[0], r->addr + off, &to)) &&
                      to >= r->addr && to < r->addr + r->len;
        switch (in.meta.category) {
        case ZYDIS_CATEGORY_UNCOND_BR:
            if (!direct) return live | pending;
            off = to - r->addr;
            continue;
        case ZYDIS_CATEGORY_COND_BR:
            if (!direct || depth >= LIVE_DEPTH) return live | pending;
            live |= live_from(r, to - r->addr, pending, budget, depth + 1);
            break;
        case ZYDIS_CATEGORY_CALL: case ZYDIS_CATEGORY_RET: case ZYDIS_CATEGORY_SYSCALL:
        case ZYDIS_CATEGORY_INTERRUPT: case ZYDIS_CATEGORY_SYSTEM:
            return live | pending;
        default:
            if (in.mnemonic == ZYDIS_MNEMONIC_UD2 || in.mnemonic == ZYDIS_MNEMONIC_HLT ||
                (in.attributes & ZYDIS_ATTRIB_IS_PRIVILEGED))
                return live | pending;
        }
        off += in.length;
    }
    return live;
}

/* The status flags are overwritten before being read when the original code runs on from
   off: looked for on the straight path only (any branch, call or ret counts as reading). */
static bool flags_dead_from(const rw *r, uint64_t off)
{
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    for (int n = 0; n < 8; n++) {
        if (off >= r->len || !decode(r, r->code + off, r->len - off, &in, ops) || !in.cpu_flags) return false;
        if (in.cpu_flags->tested & STATUS_FLAGS) return false;
        ZydisAccessedFlagsMask written = in.cpu_flags->modified | in.cpu_flags->set_0 | in.cpu_flags->set_1 |
                                in.cpu_flags->undefined;
        if ((written & STATUS_FLAGS) == STATUS_FLAGS) return true;
        if (in.meta.category == ZYDIS_CATEGORY_COND_BR || in.meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
            in.meta.category == ZYDIS_CATEGORY_CALL || in.meta.category == ZYDIS_CATEGORY_RET ||
            in.meta.category == ZYDIS_CATEGORY_SYSCALL || in.meta.category == ZYDIS_CATEGORY_INTERRUPT ||
            in.meta.category == ZYDIS_CATEGORY_SYSTEM || in.mnemonic == ZYDIS_MNEMONIC_UD2)
            return false;
        off += in.length;
    }
    return false;
}


/* ---- the quick path of the sweep ----

   Zydis takes ~65 ns per instruction, and a program's text is millions of bytes of which
   a few thousand instructions matter. quick_plain_len recognises, from a table of common
   opcodes, instructions that the sweep would class INSN_PLAIN (or INSN_RIPREL, when their
   memory operand is rip-relative) anyway: no %fs: (no 0x64 prefix at all), no relative
   immediate, no control flow, nothing privileged or trapping, no lock prefix. It returns
   their length, or 0 for everything else. quick_branch takes the direct branches and
   ret; Zydis decodes the rest. The unit tests compare both sweeps over real binaries. */

/* Per opcode of a map: OP_NONE not handled here (Zydis decides); OP_M a ModRM follows;
   OP_M8 ModRM then imm8; OP_MZ ModRM then imm16/32; OP_I8 imm8; OP_IZ imm16/32;
   OP_0 opcode alone; OP_IV imm16/32/64 (mov r, imm); OP_LEA ModRM, memory form only;
   OP_GRP3 test's immediate only for /0 /1; OP_R01 ModRM, /0 and /1 only (inc/dec);
   OP_MI8_0 / OP_MIZ_0 ModRM + imm, /0 only (mov r/m, imm). */
enum { OP_NONE, OP_M, OP_M8, OP_MZ, OP_I8, OP_IZ, OP_0, OP_IV, OP_LEA, OP_GRP3_8, OP_GRP3_Z, OP_R01,
       OP_MI8_0, OP_MIZ_0 };

static uint8_t map1[256], map0f[256];

static void fill(uint8_t *map, unsigned lo, unsigned hi, uint8_t kind)
{
    for (unsigned i = lo; i <= hi; i++) map[i] = kind;
}

static void quick_init(void)
{
    static bool done;
    if (done) return;
    for (unsigned row = 0; row < 0x40; row += 8) { /* add or adc sbb and sub xor cmp */
        fill(map1, row, row + 3, OP_M);
        map1[row + 4] = OP_I8;
        map1[row + 5] = OP_IZ;
    }
    fill(map1, 0x50, 0x5F, OP_0);              /* push/pop r */
    map1[0x63] = OP_M;                          /* movsxd */
    map1[0x68] = OP_IZ; map1[0x6A] = OP_I8;     /* push imm */
    map1[0x69] = OP_MZ; map1[0x6B] = OP_M8;     /* imul */
    map1[0x80] = OP_M8; map1[0x81] = OP_MZ; map1[0x83] = OP_M8;
    fill(map1, 0x84, 0x8B, OP_M);               /* test xchg mov */
    map1[0x8D] = OP_LEA;
    fill(map1, 0x90, 0x99, OP_0);               /* nop/xchg, cbw, cwd */
    map1[0xA8] = OP_I8; map1[0xA9] = OP_IZ;     /* test a, imm */
    fill(map1, 0xB0, 0xB7, OP_I8);
    fill(map1, 0xB8, 0xBF, OP_IV);
    map1[0xC0] = OP_M8; map1[0xC1] = OP_M8;     /* shifts */
    fill(map1, 0xD0, 0xD3, OP_M);
    map1[0xC6] = OP_MI8_0; map1[0xC7] = OP_MIZ_0;
    map1[0xF6] = OP_GRP3_8; map1[0xF7] = OP_GRP3_Z;
    map1[0xFE] = OP_R01;

    /* 0F: only opcodes valid with and without any mandatory prefix and in both ModRM
       forms (0F 6C needs 66, 0F 17 a memory operand, 0F D7 a register: Zydis decides) */
    map0f[0x10] = map0f[0x11] = OP_M;           /* movups/movss/movupd/movsd */
    map0f[0x1F] = OP_M;                         /* nop r/m */
    map0f[0x1E] = OP_M;                         /* endbr64, hint nops */
    map0f[0x28] = map0f[0x29] = OP_M;           /* movaps/movapd */
    fill(map0f, 0x40, 0x4F, OP_M);              /* cmov */
    map0f[0x54] = map0f[0x57] = OP_M;           /* andps, xorps */
    map0f[0x6E] = map0f[0x6F] = map0f[0x7E] = map0f[0x7F] = OP_M; /* movd/movq/movdq* */
    fill(map0f, 0x90, 0x9F, OP_M);              /* setcc */
    map0f[0xA3] = map0f[0xAB] = map0f[0xB3] = map0f[0xBB] = OP_M; /* bt bts btr btc */
    map0f[0xA4] = map0f[0xAC] = OP_M8;          /* shld/shrd imm */
    map0f[0xA5] = map0f[0xAD] = map0f[0xAF] = OP_M;
    map0f[0xB0] = map0f[0xB1] = OP_M;           /* cmpxchg */
    map0f[0xB6] = map0f[0xB7] = map0f[0xBE] = map0f[0xBF] = OP_M; /* movzx/movsx */
    map0f[0xBC] = map0f[0xBD] = OP_M;           /* bsf/bsr/tzcnt/lzcnt */
    map0f[0xC0] = map0f[0xC1] = OP_M;           /* xadd */
    fill(map0f, 0xC8, 0xCF, OP_0);              /* bswap */
    map0f[0xD4] = map0f[0xDB] = map0f[0xEB] = map0f[0xEF] = OP_M; /* paddq pand por pxor */
    map0f[0x74] = map0f[0x75] = map0f[0x76] = OP_M; /* pcmpeq */

    done = true;
}

/* Bytes taken by ModRM, SIB and displacement at p, or 0 if past the end. *riprel: the
   operand is rip-relative (mod 00, rm 101: ModRM and disp32). */
static size_t modrm_len(const uint8_t *p, size_t avail, bool *riprel)
{
    if (avail < 1) return 0;
    uint8_t mod = p[0] >> 6, rm = p[0] & 7;
    if (mod == 3) return 1;
    size_t n = 1;
    if (rm == 4) {
        if (avail < 2) return 0;
        n = 2;
        if (mod == 0 && (p[1] & 7) == 5) n += 4; /* no base: disp32 */
    } else if (mod == 0 && rm == 5) {
        *riprel = true;
        return avail >= 5 ? 5 : 0;
    }
    n += mod == 1 ? 1 : mod == 2 ? 4 : 0;
    return n <= avail ? n : 0;
}

static size_t quick_plain_len(const uint8_t *code, size_t avail, bool *riprel)
{
    const uint8_t *p = code, *end = code + (avail < 15 ? avail : 15);
    bool opsize = false, rex_w = false, addrsize = false;
    uint8_t rep = 0; /* the last F2 or F3 */
    for (;; p++) {
        if (p >= end) return 0;
        uint8_t b = *p;
        if (b == 0x66) opsize = true;
        else if (b == 0xF2 || b == 0xF3) rep = b;
        else if (b == 0x67) addrsize = true;
        else if (b == 0x2E || b == 0x3E || b == 0x26 || b == 0x36) continue;
        else break; /* 0x64 (fs), 0x65, 0xF0 (lock): not handled here */
    }
    if ((*p & 0xF0) == 0x40) { /* REX, directly before the opcode */
        rex_w = *p & 8;
        if (++p >= end) return 0;
    }
    const uint8_t *map = map1;
    uint8_t op = *p;
    if (op == 0x0F) {
        if (++p >= end) return 0;
        map = map0f;
        op = *p;
        /* F2/F3 select another instruction in map 0F, which may not exist */
        if (rep && !(op == 0x10 || op == 0x11 ||
                     (rep == 0xF3 && (op == 0x1E || op == 0x6F || op == 0x7F || op == 0x7E || op == 0xBC || op == 0xBD))))
            return 0;
    }
    /* VEX and EVEX (0xC4, 0xC5, 0x62) stay with Zydis: which of their fields are valid
       depends on each opcode, and they are a small part of ordinary code. */
    uint8_t kind = map[op];
    p++;
    size_t imm = 0;
    switch (kind) {
    case OP_NONE: return 0;
    case OP_0: break;
    case OP_I8: imm = 1; break;
    case OP_IZ: imm = opsize && !rex_w ? 2 : 4; break;
    case OP_IV: imm = rex_w ? 8 : opsize ? 2 : 4; break;
    default: {
        if (p >= end) return 0;
        uint8_t modrm = *p, reg = (modrm >> 3) & 7;
        if (kind == OP_LEA && modrm >= 0xC0) return 0;
        if (kind == OP_R01 && reg > 1) return 0;
        if ((kind == OP_MI8_0 || kind == OP_MIZ_0) && reg != 0) return 0;
        size_t m = modrm_len(p, (size_t)(end - p), riprel);
        if (!m || (*riprel && addrsize)) return 0; /* eip-relative: Zydis decides */
        p += m;
        if (kind == OP_M8 || kind == OP_MI8_0 || (kind == OP_GRP3_8 && reg <= 1)) imm = 1;
        else if (kind == OP_MZ || kind == OP_MIZ_0 || (kind == OP_GRP3_Z && reg <= 1)) imm = opsize && !rex_w ? 2 : 4;
        break;
    }
    }
    p += imm;
    return p <= end ? (size_t)(p - code) : 0;
}

/* ---- scan: a linear sweep recording boundaries, kinds and direct branch targets ---- */

/* Instructions average about 4 bytes: room for len / 3 at first, grown when short (an
   array sized for one instruction per byte was tens of MiB of fresh pages for a large
   program, all touched by the sweep). */
static bool reserve_insn(rw *r, size_t *cap)
{
    if (r->count < *cap) return true;
    size_t grown = *cap * 2 > r->len + 1 ? r->len + 1 : *cap * 2;
    insn *p = px_realloc(r->insns, sizeof(insn) * grown);
    if (!p) return false;
    r->insns = p;
    *cap = grown;
    return true;
}

/* The quick path for what is most of the rest: direct branches and ret without any
   prefix (call rel32, jmp rel32/rel8, jcc rel8/rel32, ret), classed and with their
   targets recorded as the Zydis path below does. Returns the length, or 0. */
static size_t quick_branch(rw *r, size_t off, insn *ins)
{
    const uint8_t *p = r->code + off;
    size_t avail = r->len - off, len;
    int64_t rel;
    uint8_t kind = INSN_BRANCH;
    if (p[0] == 0xC3) {
        ins->len = 1;
        ins->kind = INSN_END;
        ins->dead = 0;
        return 1;
    } else if (p[0] == 0xE8 || p[0] == 0xE9) {
        if (avail < 5) return 0;
        int32_t d;
        memcpy(&d, p + 1, 4);
        rel = d;
        len = 5;
        if (p[0] == 0xE8) kind = INSN_CALL;
    } else if (p[0] == 0xEB || (p[0] & 0xF0) == 0x70) {
        if (avail < 2) return 0;
        rel = (int8_t)p[1];
        len = 2;
    } else if (p[0] == 0x0F && avail >= 2 && (p[1] & 0xF0) == 0x80) {
        if (avail < 6) return 0;
        int32_t d;
        memcpy(&d, p + 2, 4);
        rel = d;
        len = 6;
    } else {
        return 0;
    }
    uint64_t to = r->addr + off + len + (uint64_t)rel;
    if (to >= r->addr && to < r->addr + r->len) set_bit(r->target, to - r->addr);
    ins->len = (uint8_t)len;
    ins->kind = kind;
    ins->dead = 0;
    return len;
}

static bool note_site(rw *r)
{
    if (r->nsites == r->sites_cap) {
        size_t cap = r->sites_cap ? r->sites_cap * 2 : 256;
        uint32_t *p = px_realloc(r->sites, sizeof *p * cap);
        if (!p) return false;
        r->sites = p;
        r->sites_cap = cap;
    }
    r->sites[r->nsites++] = (uint32_t)(r->count - 1);
    return true;
}

static int scan(rw *r)
{
    size_t cap = r->len / 3 + 16 < r->len + 1 ? r->len / 3 + 16 : r->len + 1;
    r->insns = px_alloc(sizeof(insn) * cap);
    r->target = px_calloc(r->len / 8 + 1, 1);
    if (!r->insns || !r->target) return -LINUX_ENOMEM;
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    ZydisDecoderContext ctx;
    size_t off = 0;
    while (off < r->len) {
        if (!reserve_insn(r, &cap)) return -LINUX_ENOMEM;
        insn *ins = &r->insns[r->count++];
        ins->off = (uint32_t)off;
        bool riprel_quick = false;
        size_t quick = r->quick ? quick_plain_len(r->code + off, r->len - off, &riprel_quick) : 0;
        if (quick) {
            ins->len = (uint8_t)quick;
            ins->kind = riprel_quick ? INSN_RIPREL : INSN_PLAIN;
            ins->dead = 0;
            off += quick;
            continue;
        }
        if (r->quick && (quick = quick_branch(r, off, ins))) {
            off += quick;
            continue;
        }
        /* Operands are decoded only where they matter: an %fs: operand needs the FS
           attribute, a rip-relative operand or relative immediate sets IS_RELATIVE
           (Zydis fills mem.segment = FS and base = RIP only then). Most instructions
           have neither, and their operands were a fifth of the sweep's time. */
        bool ok = ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&r->dec, &ctx, r->code + off, r->len - off, &in));
        if (ok && (in.attributes & (ZYDIS_ATTRIB_HAS_SEGMENT_FS | ZYDIS_ATTRIB_IS_RELATIVE)))
            ok = ZYAN_SUCCESS(ZydisDecoderDecodeOperands(&r->dec, &ctx, &in, ops, in.operand_count));
        else if (ok)
            in.operand_count = 0; /* none needed below: has_fs and riprel stay false */
        if (!ok) {
            ins->len = 1;
            ins->kind = INSN_BAD;
            off++;
            continue;
        }
        ins->len = in.length;
        ins->kind = INSN_PLAIN;
        ins->dead = 0;
        if (in.mnemonic == ZYDIS_MNEMONIC_SYSCALL) {
            ins->kind = INSN_SYSCALL;
            r->res->syscall_sites++;
            if (!note_site(r)) return -LINUX_ENOMEM;
        } else if (in.raw.imm[0].is_relative) { /* jmp/jcc/call/loop/jrcxz/xbegin rel */
            uint64_t to;
            if (ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&in, &ops[0], r->addr + off, &to)) &&
                to >= r->addr && to < r->addr + r->len) {
                uint64_t t = to - r->addr;
                r->target[t >> 3] |= (uint8_t)(1u << (t & 7));
            }
            bool jmp_or_jcc = in.meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
                              in.meta.category == ZYDIS_CATEGORY_COND_BR;
            bool rel = in.raw.imm[0].size == 8 || in.raw.imm[0].size == 32;
            ins->kind = (jmp_or_jcc && rel && (in.mnemonic == ZYDIS_MNEMONIC_JMP ||
                         (in.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && (in.opcode & 0xF0) == 0x70) ||
                         (in.opcode_map == ZYDIS_OPCODE_MAP_0F && (in.opcode & 0xF0) == 0x80)))
                        ? INSN_BRANCH : INSN_FIXED;
            if (in.mnemonic == ZYDIS_MNEMONIC_CALL && in.length == 5 && r->code[off] == 0xE8)
                ins->kind = INSN_CALL;
        } else {
            bool has_fs = false, riprel = false;
            for (int k = 0; k < in.operand_count; k++) {
                if (ops[k].type != ZYDIS_OPERAND_TYPE_MEMORY) continue;
                has_fs |= ops[k].mem.segment == ZYDIS_REGISTER_FS;
                riprel |= ops[k].mem.base == ZYDIS_REGISTER_RIP;
            }
            bool ends = in.meta.category == ZYDIS_CATEGORY_RET || in.meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
                        in.mnemonic == ZYDIS_MNEMONIC_HLT;
            if (has_fs) {
                int m = fs_operand(&in, ops);
                ZydisRegister s;
                r->res->fs_sites++;
                enum fs_form form = m >= 0 ? fs_form_of(&in, ops, m, 0, &s) : FS_NONE;
                ins->kind = form != FS_NONE ? INSN_FS : INSN_FS_BAD;
                if (!note_site(r)) return -LINUX_ENOMEM;
                ins->dead = 0;
                if (form == FS_SCRATCH) {
                    int budget = LIVE_BUDGET;
                    unsigned all = 0xFFFFu & ~RSP_BIT;
                    ins->dead = (uint16_t)(all & ~live_from(r, off + in.length, all, &budget, 0));
                    if (flags_dead_from(r, off + in.length)) ins->dead |= FLAGS_DEAD_BIT;
                }
            } else if ((in.attributes & ZYDIS_ATTRIB_IS_PRIVILEGED) || in.meta.category == ZYDIS_CATEGORY_CALL ||
                       in.mnemonic == ZYDIS_MNEMONIC_UD2 || in.mnemonic == ZYDIS_MNEMONIC_INT3 ||
                       in.mnemonic == ZYDIS_MNEMONIC_INT || in.mnemonic == ZYDIS_MNEMONIC_INT1 ||
                       in.mnemonic == ZYDIS_MNEMONIC_SYSENTER || (riprel && ends)) {
                /* our own traps or the guest's keep their address; a call would leave a
                   trampoline address on the stack for unwinders to choke on */
                ins->kind = INSN_FIXED;
            } else if (ends) {
                ins->kind = INSN_END;
            } else if (riprel) {
                ins->kind = INSN_RIPREL;
            }
        }
        off += in.length;
    }
    return 0;
}

/* ---- emit ---- */

typedef struct tramp {
    uint8_t buf[TRAMP_MAX];
    size_t pos;
    uint64_t at;              /* runtime address of buf[0] */
    uint8_t lens[4 * MAX_TRACE_INSNS]; /* every emitted instruction's length, for verify */
    int nlens;
    size_t first, end;        /* the original instructions copied: [first, end] */
    uint32_t starts[MAX_TRACE_INSNS]; /* where each copied instruction begins */
    size_t cur;               /* the instruction being emitted */
    bool forward;             /* a branch went to a copy not emitted yet: starts were guessed */
    struct { uint16_t pos; uint8_t kind, end_delta; } relocs[2 * MAX_TRACE_INSNS]; /* for env->add_reloc */
    int nrelocs;
} tramp;

/* The field at t->pos + at_pos of the instruction put next is address-dependent. */
static bool note_reloc(tramp *t, size_t at_pos, enum px_rw_reloc kind, uint8_t end_delta)
{
    if (t->nrelocs >= (int)PX_ARRAY_LEN(t->relocs)) return false;
    t->relocs[t->nrelocs].pos = (uint16_t)(t->pos + at_pos);
    t->relocs[t->nrelocs].kind = (uint8_t)kind;
    t->relocs[t->nrelocs++].end_delta = end_delta;
    return true;
}

static bool put(tramp *t, const void *p, size_t n)
{
    if (t->pos + n > TRAMP_MAX || t->nlens >= (int)sizeof t->lens) return false;
    memcpy(t->buf + t->pos, p, n);
    t->pos += n;
    t->lens[t->nlens++] = (uint8_t)n;
    return true;
}

static bool rel32(uint64_t from_end, uint64_t to, int32_t *out)
{
    int64_t d = (int64_t)(to - from_end);
    if (d != (int32_t)d) return false;
    *out = (int32_t)d;
    return true;
}

static bool put_jmp(tramp *t, uint64_t to)
{
    uint8_t b[5] = { 0xE9 };
    int32_t d;
    if (!rel32(t->at + t->pos + 5, to, &d) || !note_reloc(t, 1, PX_RW_REL32, 4)) return false;
    memcpy(b + 1, &d, 4);
    return put(t, b, 5);
}

/* syscall: rcx = where to continue, then the entry stub through an absolute pointer,
   followed by the address of the syscall instruction it stands for (data, never run):
   the signal frame of a call interrupted there reports that address as Linux would
   (px_rewrite_syscall_site_of), as musl's cancellation checks it. */
static bool emit_syscall(const rw *r, tramp *t, uint64_t site)
{
    static const uint8_t lea_rcx[7] = { 0x48, 0x8D, 0x0D, 22, 0, 0, 0 }; /* lea rcx, [rip+22] */
    static const uint8_t jmp_ind[6] = { 0xFF, 0x25, 0, 0, 0, 0 };        /* jmp [rip+0] */
    uint64_t entry = r->env->syscall_entry;
    if (!put(t, lea_rcx, 7) || !put(t, jmp_ind, 6) || !note_reloc(t, 0, PX_RW_ABS_ENTRY, 0) || !put(t, &entry, 8))
        return false;
    t->nlens--; /* the pointer is data: verify skips it */
    if (!note_reloc(t, 0, PX_RW_ABS_GUEST, 0) || !put(t, &site, 8)) return false;
    t->nlens--; /* so is the site */
    return true;
}

bool px_rw_syscall_site_of(const uint8_t *ret_minus_29, uint64_t entry, uint64_t *site)
{
    static const uint8_t head[13] = { 0x48, 0x8D, 0x0D, 22, 0, 0, 0, 0xFF, 0x25, 0, 0, 0, 0 };
    uint64_t ptr;
    if (memcmp(ret_minus_29, head, sizeof head) != 0) return false;
    memcpy(&ptr, ret_minus_29 + 13, 8);
    if (ptr != entry) return false;
    memcpy(site, ret_minus_29 + 21, 8);
    return true;
}

static bool encode(const rw *r, tramp *t, ZydisEncoderRequest *req, ZydisDecodedInstruction *chk,
                   ZydisDecodedOperand *chk_ops)
{
    uint8_t b[ZYDIS_MAX_INSTRUCTION_LENGTH];
    ZyanUSize n = sizeof b;
    if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(req, b, &n))) return false;
    if (!decode(r, b, n, chk, chk_ops) || chk->length != n) return false;
    return put(t, b, n);
}

static void mem_request(ZydisEncoderOperand *op, ZydisRegister base, ZydisRegister index,
                        uint8_t scale, int64_t disp, uint16_t size)
{
    memset(op, 0, sizeof *op);
    op->type = ZYDIS_OPERAND_TYPE_MEMORY;
    op->mem.base = base;
    op->mem.index = index;
    op->mem.scale = index == ZYDIS_REGISTER_NONE ? 0 : scale;
    op->mem.displacement = disp;
    op->mem.size = size;
}

static bool mem_is(const ZydisDecodedOperand *op, ZydisRegister base, ZydisRegister index,
                   uint8_t scale, int64_t disp)
{
    const ZydisDecodedOperandMem *m = &op->mem;
    return op->type == ZYDIS_OPERAND_TYPE_MEMORY && m->segment != ZYDIS_REGISTER_FS &&
           m->segment != ZYDIS_REGISTER_GS && m->base == base && m->index == index &&
           (index == ZYDIS_REGISTER_NONE || m->scale == scale) && m->disp.value == disp;
}

/* reg += gs:[slot] or reg -= gs:[slot] (FS_INPLACE): 64-bit, flags clobbered. */
static bool emit_gs_arith(const rw *r, tramp *t, ZydisMnemonic mnemonic, ZydisRegister reg, uint64_t slot)
{
    ZydisEncoderRequest req;
    ZydisDecodedInstruction chk;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    memset(&req, 0, sizeof req);
    req.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
    req.mnemonic = mnemonic;
    req.prefixes = ZYDIS_ATTRIB_HAS_SEGMENT_GS;
    req.operand_count = 2;
    req.operands[0].type = ZYDIS_OPERAND_TYPE_REGISTER;
    req.operands[0].reg.value = reg;
    mem_request(&req.operands[1], ZYDIS_REGISTER_NONE, ZYDIS_REGISTER_NONE, 0, (int64_t)slot, 8);
    if (!encode(r, t, &req, &chk, ops)) return false;
    return chk.mnemonic == mnemonic && ops[0].reg.value == reg && ops[1].mem.segment == ZYDIS_REGISTER_GS &&
           ops[1].mem.base == ZYDIS_REGISTER_NONE && ops[1].mem.index == ZYDIS_REGISTER_NONE &&
           ops[1].mem.disp.value == (int64_t)slot;
}

/* reg = gs:[slot] (load) or gs:[slot] = reg (store): a 64-bit move to or from a TEB word. */
static bool emit_gs_mov(const rw *r, tramp *t, ZydisRegister reg, uint64_t slot, bool store)
{
    ZydisEncoderRequest req;
    ZydisDecodedInstruction chk;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    int regop = store ? 1 : 0, memop = store ? 0 : 1;
    memset(&req, 0, sizeof req);
    req.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
    req.mnemonic = ZYDIS_MNEMONIC_MOV;
    req.prefixes = ZYDIS_ATTRIB_HAS_SEGMENT_GS;
    req.operand_count = 2;
    req.operands[regop].type = ZYDIS_OPERAND_TYPE_REGISTER;
    req.operands[regop].reg.value = reg;
    mem_request(&req.operands[memop], ZYDIS_REGISTER_NONE, ZYDIS_REGISTER_NONE, 0, (int64_t)slot, 8);
    if (!encode(r, t, &req, &chk, ops)) return false;
    return chk.mnemonic == ZYDIS_MNEMONIC_MOV && ops[regop].reg.value == reg &&
           ops[memop].mem.segment == ZYDIS_REGISTER_GS && ops[memop].mem.base == ZYDIS_REGISTER_NONE &&
           ops[memop].mem.index == ZYDIS_REGISTER_NONE && ops[memop].mem.disp.value == (int64_t)slot;
}

/* reg = reg + add */
static bool emit_add_lea(const rw *r, tramp *t, ZydisRegister reg, ZydisRegister add)
{
    ZydisEncoderRequest req;
    ZydisDecodedInstruction chk;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    memset(&req, 0, sizeof req);
    req.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
    req.mnemonic = ZYDIS_MNEMONIC_LEA;
    req.operand_count = 2;
    req.operands[0].type = ZYDIS_OPERAND_TYPE_REGISTER;
    req.operands[0].reg.value = reg;
    mem_request(&req.operands[1], reg, add, 1, 0, 8);
    if (!encode(r, t, &req, &chk, ops)) return false;
    return chk.mnemonic == ZYDIS_MNEMONIC_LEA && ops[0].reg.value == reg &&
           ((ops[1].mem.base == reg && ops[1].mem.index == add) ||
            (ops[1].mem.base == add && ops[1].mem.index == reg)) && ops[1].mem.disp.value == 0;
}


/* An %fs: instruction, with M = fs:[base + index*scale + disp]. The forms, best first:
   - a load `mov r64/r32, M` whose destination is not an address register uses the
     destination itself: dst = fs base; [dst += base;] mov dst, [dst + ...].
   - anything else needs a register S the instruction does not touch. One the original
     code overwrites before reading on every path from here (see live_from) is simply
     clobbered: S = fs base; [lea S,[S+base]]; the instruction on [S + ...].
   - a base-only operand whose base the instruction uses nowhere else, when the status
     flags are dead afterwards (flags_dead_from: the next instructions overwrite them all
     before any branch): the base carries the fs base: add base, gs:[fs]; the instruction
     on [base + disp]; sub base, gs:[fs] unless the base is dead too (FS_INPLACE).
   - failing that, S is borrowed and saved
     in a per-thread TEB word (the guest stack is never touched): gs:[scratch] = S;
     S = fs base; [lea S,[S+base]]; the instruction on [S + ...]; S = gs:[scratch].
     lea/mov leave the flags alone, so the instruction's own flag effects are what the
     guest sees. */
static bool emit_fs(const rw *r, tramp *t, const uint8_t *p, size_t avail, unsigned dead)
{
    ZydisDecodedInstruction in, chk;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT], chk_ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!decode(r, p, avail, &in, ops)) return false;
    int m = fs_operand(&in, ops);
    if (m < 0) return false;
    ZydisRegister s = ZYDIS_REGISTER_NONE;
    enum fs_form form = fs_form_of(&in, ops, m, dead, &s);
    if (form == FS_NONE) return false;
    const ZydisDecodedOperandMem *mem = &ops[m].mem;

    if (form == FS_SCRATCH && !emit_gs_mov(r, t, s, r->env->teb_scratch_slot, true)) return false;
    if (form == FS_INPLACE ? !emit_gs_arith(r, t, ZYDIS_MNEMONIC_ADD, s, r->env->teb_fs_slot)
                           : !emit_gs_mov(r, t, s, r->env->teb_fs_slot, false))
        return false;

    /* The new operand: [s + base + disp] or [s + index*scale + disp] ([s + disp] in place). */
    ZydisRegister nbase = s, nindex = mem->index;
    uint8_t nscale = mem->scale;
    if (form == FS_INPLACE) {
        nindex = ZYDIS_REGISTER_NONE;
    } else if (mem->base != ZYDIS_REGISTER_NONE && mem->index != ZYDIS_REGISTER_NONE) {
        if (!emit_add_lea(r, t, s, mem->base)) return false;
    } else if (mem->base != ZYDIS_REGISTER_NONE) {
        nindex = mem->base;
        nscale = 1;
        if (mem->base == ZYDIS_REGISTER_RSP) { /* rsp cannot be an index (form a only) */
            nbase = ZYDIS_REGISTER_RSP;
            nindex = s;
        }
    }
    int64_t disp = mem->disp.has_displacement ? mem->disp.value : 0;

    ZydisEncoderRequest req;
    if (!ZYAN_SUCCESS(ZydisEncoderDecodedInstructionToEncoderRequest(&in, ops, in.operand_count_visible, &req)))
        return false;
    req.prefixes &= ~(ZydisInstructionAttributes)ZYDIS_ATTRIB_HAS_SEGMENT_FS;
    ZydisEncoderOperand *eo = &req.operands[m];
    if (eo->type != ZYDIS_OPERAND_TYPE_MEMORY) return false;
    mem_request(eo, nbase, nindex, nscale, disp, eo->mem.size);
    if (!encode(r, t, &req, &chk, chk_ops)) return false;
    if (chk.mnemonic != in.mnemonic || chk.operand_count != in.operand_count ||
        !mem_is(&chk_ops[m], nbase, nindex, nscale, disp))
        return false;

    if (form == FS_INPLACE && !(dead & (1u << (s - ZYDIS_REGISTER_RAX))))
        return emit_gs_arith(r, t, ZYDIS_MNEMONIC_SUB, s, r->env->teb_fs_slot);
    return form != FS_SCRATCH || emit_gs_mov(r, t, s, r->env->teb_scratch_slot, false);
}

static bool falls_through(const rw *r, const insn *ins)
{
    bool jmp = ins->kind == INSN_BRANCH && r->code[ins->off] != 0x0F && (r->code[ins->off] & 0xF0) != 0x70;
    return !(ins->kind == INSN_END || ins->kind == INSN_CALL || jmp);
}

/* A direct branch to an instruction this trampoline copies may go to the copy: equivalent,
   since the copy runs on exactly like the original. Worth it only when a site lies ahead in
   the copy (a loop over a site stays inside); otherwise the original is as good and the
   copy might have to jump back to it. The copy's offset may come from the sizing pass
   (forward branches): sizes never change. */
static uint64_t copy_of(const rw *r, tramp *t, uint64_t to)
{
    if (to < r->addr + r->insns[t->first].off || to > r->addr + r->insns[t->end].off) return to;
    size_t lo = t->first, hi = t->end;
    uint64_t off = to - r->addr;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->insns[mid].off < off) lo = mid + 1;
        else hi = mid;
    }
    if (r->insns[lo].off != off) return to;
    for (size_t k = lo; k <= t->end; k++)
        if (r->insns[k].kind == INSN_FS || r->insns[k].kind == INSN_SYSCALL) {
            if (lo > t->cur) t->forward = true;
            return t->at + t->starts[lo - t->first];
        }
    return to;
}

static bool emit_insn(const rw *r, tramp *t, const insn *ins)
{
    const uint8_t *p = r->code + ins->off;
    uint64_t from = r->addr + ins->off;
    switch (ins->kind) {
    case INSN_SYSCALL: return emit_syscall(r, t, from);
    case INSN_FS: return emit_fs(r, t, p, r->len - ins->off, ins->dead);
    case INSN_PLAIN:
    case INSN_END: return put(t, p, ins->len);
    case INSN_RIPREL: {
        ZydisDecodedInstruction in;
        if (!decode_insn(r, p, r->len - ins->off, &in) || in.raw.disp.size != 32) return false;
        int32_t old;
        memcpy(&old, p + in.raw.disp.offset, 4);
        uint64_t target = from + ins->len + (int64_t)old;
        int32_t d;
        if (!rel32(t->at + t->pos + ins->len, target, &d) ||
            !note_reloc(t, in.raw.disp.offset, PX_RW_REL32, (uint8_t)(ins->len - in.raw.disp.offset)))
            return false;
        uint8_t b[ZYDIS_MAX_INSTRUCTION_LENGTH];
        memcpy(b, p, ins->len);
        memcpy(b + in.raw.disp.offset, &d, 4);
        return put(t, b, ins->len);
    }
    case INSN_CALL: {
        /* The return address pushed must be the original one (unwinders; the callee
           returns to the window's end): lea rsp,[rsp-8]; push rax; mov rax, ret;
           mov [rsp+8], rax; pop rax; jmp target. No flags change and nothing is locked;
           rsp-16 is scratch the call hands to the callee anyway (no red zone across calls). */
        uint64_t ret = from + ins->len;
        int32_t rel;
        memcpy(&rel, p + 1, 4);
        uint8_t movabs[10] = { 0x48, 0xB8 };
        memcpy(movabs + 2, &ret, 8);
        static const uint8_t lea_down8[5] = { 0x48, 0x8D, 0x64, 0x24, 0xF8 };
        static const uint8_t push_rax = 0x50, pop_rax = 0x58, store[5] = { 0x48, 0x89, 0x44, 0x24, 0x08 };
        return put(t, lea_down8, 5) && put(t, &push_rax, 1) && note_reloc(t, 2, PX_RW_ABS_GUEST, 0) &&
               put(t, movabs, 10) && put(t, store, 5) &&
               put(t, &pop_rax, 1) && put_jmp(t, ret + (int64_t)rel);
    }
    case INSN_BRANCH: {
        /* jmp/jcc rel8/rel32 (scan): the target is the end plus the immediate */
        ZydisDecodedInstruction in;
        if (!decode_insn(r, p, r->len - ins->off, &in) || !in.raw.imm[0].is_relative ||
            in.length != ins->len)
            return false;
        uint64_t to = copy_of(r, t, from + in.length + (uint64_t)in.raw.imm[0].value.s);
        if (in.mnemonic == ZYDIS_MNEMONIC_JMP) return put_jmp(t, to);
        uint8_t cc = in.opcode & 0x0F;
        uint8_t b[6] = { 0x0F, (uint8_t)(0x80 | cc) };
        int32_t d;
        if (!rel32(t->at + t->pos + 6, to, &d) || !note_reloc(t, 2, PX_RW_REL32, 4)) return false;
        memcpy(b + 2, &d, 4);
        return put(t, b, 6);
    }
    default: return false;
    }
}

/* The trampoline of instructions [t->first, t->end], continuing after the last one unless
   it never falls through. */
static bool emit_tramp(const rw *r, tramp *t)
{
    t->pos = 0;
    t->nlens = 0;
    t->nrelocs = 0;
    t->forward = false;
    for (size_t k = t->first; k <= t->end; k++) {
        t->starts[k - t->first] = (uint32_t)t->pos;
        t->cur = k;
        if (!emit_insn(r, t, &r->insns[k])) return false;
    }
    const insn *l = &r->insns[t->end];
    return !falls_through(r, l) || put_jmp(t, r->addr + l->off + l->len);
}

/* The trampoline decodes into exactly the instructions emitted. */
static bool verify_tramp(const rw *r, const tramp *t, const uint8_t *at)
{
    ZydisDecodedInstruction in;
    size_t pos = 0;
    for (int i = 0; i < t->nlens; i++) {
        if (!decode_insn(r, at + pos, t->pos - pos, &in) || in.length != t->lens[i]) return false;
        pos += in.length;
        /* the syscall sequence's jmp [rip+0] is followed by its entry pointer and site */
        if (in.mnemonic == ZYDIS_MNEMONIC_JMP && in.length == 6 && at[pos - 6] == 0xFF && at[pos - 5] == 0x25)
            pos += 16;
    }
    return pos == t->pos;
}

/* Emits, allocates, verifies. Sizes do not depend on the address (rip-relative fixups
   do): the trampoline is emitted where the allocator will most likely put it (right
   after the last one), and again only if it went elsewhere, or if a branch in it went
   forward to a copy whose place was not known yet. Returns the trampoline address or 0. */
static uint64_t build_tramp(rw *r, tramp *t, size_t first, size_t end)
{
    uint64_t close_to = r->addr + r->insns[first].off;
    t->first = first;
    t->end = end;
    memset(t->starts, 0, sizeof t->starts);
    uint64_t since = now(r);
    t->at = r->next_tramp ? r->next_tramp : close_to;
    bool emitted = emit_tramp(r, t);
    if (!emitted && t->at != close_to) { /* out of reach there: size it nearby */
        t->at = close_to;
        emitted = emit_tramp(r, t);
    }
    if (!emitted) return 0;
    uint8_t *write;
    size_t size = t->pos;
    uint64_t at = r->env->alloc_tramp(r->env->ctx, close_to, size, &write);
    if (!at) return 0;
    r->next_tramp = at + PX_ALIGN_UP(size, 16);
    if (at != t->at || t->forward) {
        t->at = at;
        if (!emit_tramp(r, t) || t->pos != size) return 0;
        r->res->tramp_reemits++;
    }
    memcpy(write, t->buf, t->pos);
    if (r->env->add_reloc)
        for (int i = 0; i < t->nrelocs; i++)
            r->env->add_reloc(r->env->ctx, at + t->relocs[i].pos, (enum px_rw_reloc)t->relocs[i].kind,
                              t->relocs[i].end_delta);
    r->res->tramp_bytes += t->pos;
    uint64_t verify_since = now(r);
    r->res->time_emit += verify_since - since;
    bool ok = r->env->skip_verify || verify_tramp(r, t, write);
    r->res->time_verify += now(r) - verify_since;
    if (!ok) {
        r->res->verify_failures++;
        return 0;
    }
    return at;
}

/* ---- plan ---- */

static bool movable(const insn *ins)
{
    switch (ins->kind) {
    case INSN_PLAIN: case INSN_RIPREL: case INSN_BRANCH: case INSN_END: case INSN_CALL:
    case INSN_SYSCALL: case INSN_FS: return true;
    default: return false;
    }
}

/* Instruction k may sit inside a window after its first instruction: nothing jumps to it
   and the instruction before it falls through to it (after a ret or jmp the next one is
   reached only by a jump: likely through a table or pointer the scan cannot see). */
static bool can_follow(const rw *r, size_t k)
{
    const insn *ins = &r->insns[k], *prev = &r->insns[k - 1];
    bool prev_jcc = prev->kind == INSN_BRANCH && (r->code[prev->off] == 0x0F || (r->code[prev->off] & 0xF0) == 0x70);
    return movable(ins) && !is_target(r, ins->off) && (prev->kind != INSN_BRANCH || prev_jcc) &&
           prev->kind != INSN_END && prev->kind != INSN_CALL;
}

static bool is_site(const insn *ins)
{
    return ins->kind == INSN_SYSCALL || ins->kind == INSN_FS || ins->kind == INSN_FS_BAD;
}

/* Finds a window [*first, *last] holding site i, starting at or after floor. */
static bool plan_window(const rw *r, size_t i, uint32_t floor, size_t *first, size_t *last)
{
    for (size_t back = 0; back <= MAX_BACK && back <= i; back++) {
        size_t s = i - back;
        if (r->insns[s].off < floor || !movable(&r->insns[s])) return false;
        if (back > 0 && !can_follow(r, s + 1)) return false;
        size_t e = i;
        uint32_t size = r->insns[i].off + r->insns[i].len - r->insns[s].off;
        while (size < JMP_LEN && e + 1 < r->count && e + 1 - s < MAX_WINDOW_INSNS && can_follow(r, e + 1)) {
            e++;
            size += r->insns[e].len;
        }
        if (size >= JMP_LEN) {
            /* Take in a site a few instructions on (past conditional branches too): one
               trip to a trampoline instead of two. */
            for (size_t k = e + 1; k < r->count && k + 1 - s <= MAX_WINDOW_INSNS && can_follow(r, k); k++)
                if (r->insns[k].kind == INSN_FS || r->insns[k].kind == INSN_SYSCALL) e = k;
            *first = s;
            *last = e;
            return true;
        }
    }
    return false;
}

/* How far the trampoline of a window ending at last goes on copying the original code
   (which stays in place behind the window): along the fall-through path, taking jcc's
   as they come, up to a ret or jmp, which leaves the trampoline as the original would,
   or to the first instruction it may not move or that is better left where it is: a call
   (an emulated one would leave the return stack predictor out of step, so its ret would
   mispredict) or anything fixed. Returns the last instruction copied. */
static size_t plan_tail(const rw *r, size_t last, size_t max_insns)
{
    size_t e = last;
    uint32_t bytes = 0;
    while (falls_through(r, &r->insns[e]) && e + 1 < r->count && e - last < max_insns) {
        const insn *n = &r->insns[e + 1];
        if (n->kind == INSN_CALL || !movable(n)) break;
        /* room in the trampoline: a rewritten %fs: instruction grows by up to 3 TEB moves */
        bytes += n->len + (n->kind == INSN_FS || n->kind == INSN_SYSCALL ? 32 : 4);
        if (bytes > TRAMP_MAX / 2) break;
        e++;
    }
    return e;
}

static void add_trap(rw *r, uint64_t addr, enum px_trap_kind kind, uint64_t resume)
{
    if (r->env->add_trap) r->env->add_trap(r->env->ctx, addr, kind, resume);
}

/* No window: ud2 at the site. */
static void trap_site(rw *r, size_t i)
{
    insn *ins = &r->insns[i];
    uint8_t *p = r->out + ins->off;
    uint64_t at = r->addr + ins->off;
    set_bit(r->covered, ins->off);
    r->res->trap_sites++;
    if (ins->kind == INSN_SYSCALL) {
        p[0] = 0x0F;
        p[1] = 0x0B;
        add_trap(r, at, PX_TRAP_SYSCALL, 0);
        r->res->trap_syscall++;
        return;
    }
    tramp t;
    uint64_t tr = ins->kind == INSN_FS ? build_tramp(r, &t, i, i) : 0;
    if (!tr) {
        r->res->lost_sites++;
        return;
    }
    p[0] = 0x0F;
    p[1] = 0x0B;
    memset(p + 2, 0xCC, ins->len - 2);
    add_trap(r, at, PX_TRAP_REDIRECT, tr);
    r->res->trap_fs++;
}

/* Writes jmp + int3 filler over the window and checks it decodes as that jump. */
static bool patch_window(rw *r, size_t first, size_t last, uint64_t tr, const tramp *t)
{
    uint32_t start = r->insns[first].off, end = r->insns[last].off + r->insns[last].len;
    uint8_t *p = r->out + start;
    uint8_t saved[MAX_WINDOW_INSNS * ZYDIS_MAX_INSTRUCTION_LENGTH];
    memcpy(saved, p, end - start);
    int32_t d;
    if (!rel32(r->addr + start + JMP_LEN, tr, &d)) return false;
    p[0] = 0xE9;
    memcpy(p + 1, &d, 4);
    memset(p + JMP_LEN, 0xCC, end - start - JMP_LEN);
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    uint64_t to;
    if (!decode(r, p, end - start, &in, ops) || in.mnemonic != ZYDIS_MNEMONIC_JMP || in.length != JMP_LEN ||
        !ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&in, &ops[0], r->addr + start, &to)) || to != tr) {
        memcpy(p, saved, end - start);
        r->res->verify_failures++;
        return false;
    }
    if (r->env->add_reloc) r->env->add_reloc(r->env->ctx, r->addr + start + 1, PX_RW_REL32, 4);
    /* A jump the scan missed into the window lands on filler: send it to the matching
       point of the trampoline (boundaries inside the jmp's own bytes cannot trap). */
    for (size_t k = first + 1; k <= last; k++)
        if (r->insns[k].off - start >= JMP_LEN)
            add_trap(r, r->addr + r->insns[k].off, PX_TRAP_REDIRECT, tr + t->starts[k - first]);
    for (size_t k = first; k <= last; k++) {
        set_bit(r->covered, r->insns[k].off);
        if (k > first) set_bit(r->inner, r->insns[k].off);
    }
    r->win_off[r->nwin] = start;
    r->win_tramp[r->nwin++] = tr;
    return true;
}

/* ---- threading: direct branches straight to the trampolines ---- */

/* How far after a branch target an entry trace looks for a site (instructions). */
#define ENTRY_REACH 32

typedef struct edge {
    uint32_t to;  /* target offset */
    uint32_t src; /* instruction index of the branch */
} edge;

static int edge_cmp(const void *a, const void *b)
{
    const edge *x = a, *y = b;
    return x->to != y->to ? (x->to < y->to ? -1 : 1) : (x->src < y->src ? -1 : x->src > y->src);
}

static size_t insn_at(const rw *r, uint32_t off)
{
    size_t lo = 0, hi = r->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->insns[mid].off < off) lo = mid + 1;
        else hi = mid;
    }
    return lo < r->count && r->insns[lo].off == off ? lo : SIZE_MAX;
}

/* The trampoline a branch to offset `to` may go to instead, or 0. A window's own start
   has its trampoline. Elsewhere, code that reaches a site within ENTRY_REACH instructions
   gets an entry trace: a trampoline copying the original code from `to` on, through the
   site (done in place) and on like a window's tail. Either runs exactly as the original
   would from `to`, so a direct jmp, jcc or call there may skip the jump into the window. */
static uint64_t entry_for(rw *r, uint32_t to)
{
    size_t lo = 0, hi = r->nwin;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->win_off[mid] < to) lo = mid + 1;
        else hi = mid;
    }
    if (lo < r->nwin && r->win_off[lo] == to) return r->win_tramp[lo];
    size_t first = insn_at(r, to);
    if (first == SIZE_MAX || bit_at(r->inner, to) || !movable(&r->insns[first]) ||
        r->insns[first].kind == INSN_CALL)
        return 0;
    size_t end = plan_tail(r, first, MAX_TRACE_INSNS - 1), site = first;
    while (site <= end && site - first < ENTRY_REACH && r->insns[site].kind != INSN_FS &&
           r->insns[site].kind != INSN_SYSCALL)
        site++;
    if (site > end || site - first >= ENTRY_REACH) return 0;
    /* It comes back after its last instruction: never onto a window's filler. */
    while (end > site && falls_through(r, &r->insns[end]) && end + 1 < r->count &&
           bit_at(r->inner, r->insns[end + 1].off))
        end--;
    if (falls_through(r, &r->insns[end]) && end + 1 < r->count && bit_at(r->inner, r->insns[end + 1].off))
        return 0;
    tramp t;
    uint64_t tr = build_tramp(r, &t, first, end);
    if (tr) r->res->entry_traces++;
    return tr;
}

/* Points every intact direct rel32 jmp, jcc and call of the region whose target has a
   trampoline (entry_for) at that trampoline: one taken branch instead of two. The return
   address a call pushes stays the original one. */
static int thread_branches(rw *r)
{
    /* entry_for gives a trampoline only for a target with a site at most ENTRY_REACH - 1
       instructions on (a window's start is one too, MAX_BACK before its site at most):
       other branches are dropped before the sort, which large programs with few sites
       (hundreds of thousands of branches, a hundred sites) spent their time in. */
    uint8_t *near_site = px_calloc(r->len / 8 + 1, 1);
    edge *edges = px_alloc(sizeof *edges * (r->count + 1));
    if (!edges || !near_site) {
        px_free(edges);
        px_free(near_site);
        return -LINUX_ENOMEM;
    }
    for (size_t n = 0; n < r->nsites; n++) {
        size_t s = r->sites[n];
        if (r->insns[s].kind != INSN_FS && r->insns[s].kind != INSN_SYSCALL) continue;
        for (size_t k = s + 1 > ENTRY_REACH ? s + 1 - ENTRY_REACH : 0; k <= s; k++) set_bit(near_site, r->insns[k].off);
    }
    size_t n = 0;
    for (size_t j = 0; j < r->count; j++) {
        const insn *ins = &r->insns[j];
        const uint8_t *p = r->code + ins->off;
        if ((ins->kind != INSN_BRANCH && ins->kind != INSN_CALL) || bit_at(r->covered, ins->off)) continue;
        bool rel32_form = (ins->len == 5 && (p[0] == 0xE8 || p[0] == 0xE9)) ||
                          (ins->len == 6 && p[0] == 0x0F && (p[1] & 0xF0) == 0x80);
        if (!rel32_form) continue;
        int32_t rel;
        memcpy(&rel, p + ins->len - 4, 4);
        uint64_t to = r->addr + ins->off + ins->len + (int64_t)rel;
        if (to < r->addr || to >= r->addr + r->len || !bit_at(near_site, to - r->addr)) continue;
        edges[n++] = (edge){ (uint32_t)(to - r->addr), (uint32_t)j };
    }
    qsort(edges, n, sizeof *edges, edge_cmp);
    for (size_t g = 0; g < n;) {
        size_t h = g;
        while (h < n && edges[h].to == edges[g].to) h++;
        uint64_t tr = entry_for(r, edges[g].to);
        for (; tr && g < h; g++) {
            const insn *ins = &r->insns[edges[g].src];
            int32_t d;
            if (!rel32(r->addr + ins->off + ins->len, tr, &d)) continue;
            memcpy(r->out + ins->off + ins->len - 4, &d, 4);
            if (r->env->add_reloc) r->env->add_reloc(r->env->ctx, r->addr + ins->off + ins->len - 4, PX_RW_REL32, 4);
            r->res->threaded_branches++;
        }
        g = h;
    }
    px_free(edges);
    px_free(near_site);
    return 0;
}

int px_rw_rewrite(const px_rw_env *env, uint8_t *code, uint64_t addr, size_t len, px_rw_result *out)
{
    if (len == 0) return 0;
    if (len > UINT32_MAX) return -LINUX_EINVAL;
    uint8_t *pristine = px_alloc(len);
    rw r = { .env = env, .code = pristine, .out = code, .addr = addr, .len = len, .res = out,
             .quick = !env->zydis_only };
    quick_init();
    ZydisDecoderInit(&r.dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    int rc = pristine ? 0 : -LINUX_ENOMEM;
    uint64_t since = now(&r);
    if (rc == 0) {
        memcpy(pristine, code, len);
        rc = scan(&r);
    }
    uint64_t sites_since = now(&r);
    out->time_sweep += sites_since - since;
    if (rc == 0) {
        r.inner = px_calloc(len / 8 + 1, 1);
        r.covered = px_calloc(len / 8 + 1, 1);
        size_t sites = r.nsites;
        r.win_off = px_alloc(sizeof *r.win_off * (sites + 1));
        r.win_tramp = px_alloc(sizeof *r.win_tramp * (sites + 1));
        if (!r.inner || !r.covered || !r.win_off || !r.win_tramp) rc = -LINUX_ENOMEM;
    }
    uint32_t floor = 0; /* windows and traps never overlap: each starts at or after it */
    for (size_t n = 0; rc == 0 && n < r.nsites; n++) {
        size_t i = r.sites[n];
        if (r.insns[i].off < floor) continue;
        size_t first, last;
        tramp t;
        uint64_t tr;
        size_t end = 0;
        if (r.insns[i].kind != INSN_FS_BAD && plan_window(&r, i, floor, &first, &last) &&
            ((tr = build_tramp(&r, &t, first, end = plan_tail(&r, last, MAX_TAIL_INSNS))) != 0 ||
             (end > last && (tr = build_tramp(&r, &t, first, end = last)) != 0)) &&
            patch_window(&r, first, last, tr, &t)) {
            /* The trampoline comes back where it stopped copying: keep that a boundary no
               later window covers (as if a branch went there). */
            if (falls_through(&r, &r.insns[end]) && end + 1 < r.count) {
                set_bit(r.target, r.insns[end + 1].off);
            }
            size_t sites = 0;
            for (size_t k = first; k <= last; k++) sites += is_site(&r.insns[k]);
            out->patched_sites += sites;
            out->windows++;
            out->back_windows += first < i;
            floor = r.insns[last].off + r.insns[last].len; /* the window's later sites are done */
            continue;
        }
        trap_site(&r, i);
        floor = r.insns[i].off + r.insns[i].len;
    }
    uint64_t thread_since = now(&r);
    out->time_sites += thread_since - sites_since;
    if (rc == 0) rc = thread_branches(&r);
    out->time_thread += now(&r) - thread_since;
    px_free(r.insns);
    px_free(r.sites);
    px_free(r.target);
    px_free(r.inner);
    px_free(r.covered);
    px_free(r.win_off);
    px_free(r.win_tramp);
    px_free(pristine);
    return rc;
}
