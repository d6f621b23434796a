/* proc at /proc: the guest's own process (self, <pid>/) and the system-wide files, in
   Linux's formats. A file's contents are generated when it is opened (a snapshot) and
   then read with positions. The tree is data: tables of entries, plus the two dynamic
   directories (the pid, and <pid>/fd). */
#include <stdio.h>
#include "fs/pseudo/pseudo.h"
#include "host/host_process.h"
#include "host/host_system.h"
#include "host/host_time.h"
#include "fs/pseudo/proc_pids.h"
#include "core/cred.h"
#include "core/utsname.h"
#include "mm/vm.h"

typedef struct proc_entry proc_entry;
/* A file's text; tid is the thread whose view it is (the pid for the process's own
   files, a tid under task/<tid>/). */
typedef void proc_gen_fn(px_text *t, int32_t tid);
typedef int64_t proc_link_fn(int fd, char *out, size_t size);

struct proc_entry {
    const char *name;
    uint8_t type;              /* LINUX_DT_DIR, _REG or _LNK */
    uint32_t perm;
    proc_gen_fn *gen;          /* files */
    proc_link_fn *link;        /* symlinks */
    const proc_entry *children; /* directories: a table ended by a NULL name */
};

/* --- what the loader told us --- */

uint64_t px_proc_initial_stack(void) { return px_vm_get_args().initial_rsp; }

void px_proc_note_initial_stack(uint64_t rsp)
{
    /* argc, argv[argc], NULL, envp[], NULL: the strings lie together, argv's below envp's */
    const uint64_t *sp = (const uint64_t *)(uintptr_t)rsp;
    uint64_t argc = sp[0];
    const uint64_t *argv = sp + 1, *envp = argv + argc + 1;
    px_vm_args a = {.initial_rsp = rsp};
    if (argc) {
        a.arg_start = argv[0];
        a.arg_end = argv[argc - 1] + strlen((const char *)(uintptr_t)argv[argc - 1]) + 1;
    }
    size_t envc = 0;
    while (envp[envc]) envc++;
    if (envc) {
        a.env_start = envp[0];
        a.env_end = envp[envc - 1] + strlen((const char *)(uintptr_t)envp[envc - 1]) + 1;
    } else {
        a.env_start = a.env_end = a.arg_end;
    }
    px_vm_set_args(&a);
}

/* --- helpers --- */

static const char *basename_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* comm: the program's file name, cut to 15 bytes as the kernel's TASK_COMM_LEN. */
/* The threads of the process beyond the first, as the tasks layer tells them
   (px_proc_set_thread_source); without a source the process has one thread. */
static const px_proc_thread_source *thread_source;

void px_proc_set_thread_source(const px_proc_thread_source *s) { __atomic_store_n(&thread_source, s, __ATOMIC_RELEASE); }

/* The signal layer's answer for status (px_proc_set_signal_source); NULL: all zeros. */
static px_proc_signal_source *signal_source;

void px_proc_set_signal_source(px_proc_signal_source *s) { __atomic_store_n(&signal_source, s, __ATOMIC_RELEASE); }

/* The process's threads' tids (the first thread's is the pid), up to cap: how many. */
static size_t thread_tids(int32_t *tids, size_t cap)
{
    const px_proc_thread_source *s = __atomic_load_n(&thread_source, __ATOMIC_ACQUIRE);
    if (s) return s->list(tids, cap);
    if (cap) tids[0] = (int32_t)px_proc_self_pid();
    return 1;
}

static bool thread_exists(int32_t tid)
{
    int32_t tids[256];
    size_t n = thread_tids(tids, 256);
    for (size_t i = 0; i < n && i < 256; i++)
        if (tids[i] == tid) return true;
    return false;
}

/* A thread's comm: its PR_SET_NAME, else the program's name (Linux: the name exec gave). */
static void comm_of_thread(int32_t tid, char out[16])
{
    const px_proc_thread_source *s = __atomic_load_n(&thread_source, __ATOMIC_ACQUIRE);
    px_task *first = px_thread_initial();
    if (tid == (int32_t)px_proc_self_pid() && first && first->comm_set) {
        snprintf(out, 16, "%.15s", first->comm);
        return;
    }
    if (s && tid != (int32_t)px_proc_self_pid() && s->comm(tid, out)) return;
    char exe[PX_PATH_MAX];
    snprintf(out, 16, "%s", px_vm_get_exe_path(exe, sizeof exe) ? basename_of(exe) : "picolx");
}


static struct linux_utsname uname_now(void)
{
    struct linux_utsname u;
    px_uname_get(&u);
    return u;
}

/* Linux's USER_HZ: clock ticks of /proc (100 a second); Windows counts 100 ns units. */
#define TICKS_OF_100NS(x) ((x) / 100000)

static int64_t boot_time_unix(void)
{
    struct linux_timespec now = px_pseudo_now();
    return now.tv_sec - (int64_t)(px_host_uptime_ms() / 1000);
}

/* Octal escapes for the characters that separate fields in mounts (as the kernel's mangle). */
static void put_mangled(px_text *t, const char *s)
{
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\') px_text_printf(t, "\\%03o", (unsigned)(uint8_t)*s);
        else px_text_put(t, s, 1);
    }
}

/* --- system-wide files --- */

/* cpuid flag names by bit, from the kernel's cpufeatures.h, for the words Linux shows first. */
typedef struct cpuid_flag { uint32_t leaf, subleaf; uint8_t reg; uint8_t bit; const char *name; } cpuid_flag;
enum { EAX, EBX, ECX, EDX };
static const cpuid_flag cpu_flags[] = {
    {1, 0, EDX, 0, "fpu"}, {1, 0, EDX, 1, "vme"}, {1, 0, EDX, 2, "de"}, {1, 0, EDX, 3, "pse"},
    {1, 0, EDX, 4, "tsc"}, {1, 0, EDX, 5, "msr"}, {1, 0, EDX, 6, "pae"}, {1, 0, EDX, 7, "mce"},
    {1, 0, EDX, 8, "cx8"}, {1, 0, EDX, 9, "apic"}, {1, 0, EDX, 11, "sep"}, {1, 0, EDX, 12, "mtrr"},
    {1, 0, EDX, 13, "pge"}, {1, 0, EDX, 14, "mca"}, {1, 0, EDX, 15, "cmov"}, {1, 0, EDX, 16, "pat"},
    {1, 0, EDX, 17, "pse36"}, {1, 0, EDX, 19, "clflush"}, {1, 0, EDX, 21, "dts"}, {1, 0, EDX, 22, "acpi"},
    {1, 0, EDX, 23, "mmx"}, {1, 0, EDX, 24, "fxsr"}, {1, 0, EDX, 25, "sse"}, {1, 0, EDX, 26, "sse2"},
    {1, 0, EDX, 27, "ss"}, {1, 0, EDX, 28, "ht"}, {1, 0, EDX, 29, "tm"}, {1, 0, EDX, 31, "pbe"},
    {0x80000001, 0, EDX, 11, "syscall"}, {0x80000001, 0, EDX, 20, "nx"}, {0x80000001, 0, EDX, 22, "mmxext"},
    {0x80000001, 0, EDX, 26, "pdpe1gb"}, {0x80000001, 0, EDX, 27, "rdtscp"}, {0x80000001, 0, EDX, 29, "lm"},
    {1, 0, ECX, 0, "pni"}, {1, 0, ECX, 1, "pclmulqdq"}, {1, 0, ECX, 2, "dtes64"}, {1, 0, ECX, 3, "monitor"},
    {1, 0, ECX, 4, "ds_cpl"}, {1, 0, ECX, 5, "vmx"}, {1, 0, ECX, 6, "smx"}, {1, 0, ECX, 7, "est"},
    {1, 0, ECX, 8, "tm2"}, {1, 0, ECX, 9, "ssse3"}, {1, 0, ECX, 10, "cid"}, {1, 0, ECX, 12, "fma"},
    {1, 0, ECX, 13, "cx16"}, {1, 0, ECX, 14, "xtpr"}, {1, 0, ECX, 15, "pdcm"}, {1, 0, ECX, 17, "pcid"},
    {1, 0, ECX, 18, "dca"}, {1, 0, ECX, 19, "sse4_1"}, {1, 0, ECX, 20, "sse4_2"}, {1, 0, ECX, 21, "x2apic"},
    {1, 0, ECX, 22, "movbe"}, {1, 0, ECX, 23, "popcnt"}, {1, 0, ECX, 24, "tsc_deadline_timer"},
    {1, 0, ECX, 25, "aes"}, {1, 0, ECX, 26, "xsave"}, {1, 0, ECX, 28, "avx"}, {1, 0, ECX, 29, "f16c"},
    {1, 0, ECX, 30, "rdrand"}, {1, 0, ECX, 31, "hypervisor"},
    {0x80000001, 0, ECX, 0, "lahf_lm"}, {0x80000001, 0, ECX, 1, "cmp_legacy"}, {0x80000001, 0, ECX, 2, "svm"},
    {0x80000001, 0, ECX, 5, "abm"}, {0x80000001, 0, ECX, 6, "sse4a"}, {0x80000001, 0, ECX, 7, "misalignsse"},
    {0x80000001, 0, ECX, 8, "3dnowprefetch"}, {0x80000001, 0, ECX, 11, "xop"}, {0x80000001, 0, ECX, 16, "fma4"},
    {7, 0, EBX, 0, "fsgsbase"}, {7, 0, EBX, 3, "bmi1"}, {7, 0, EBX, 4, "hle"}, {7, 0, EBX, 5, "avx2"},
    {7, 0, EBX, 7, "smep"}, {7, 0, EBX, 8, "bmi2"}, {7, 0, EBX, 9, "erms"}, {7, 0, EBX, 10, "invpcid"},
    {7, 0, EBX, 11, "rtm"}, {7, 0, EBX, 16, "avx512f"}, {7, 0, EBX, 17, "avx512dq"}, {7, 0, EBX, 18, "rdseed"},
    {7, 0, EBX, 19, "adx"}, {7, 0, EBX, 20, "smap"}, {7, 0, EBX, 21, "avx512ifma"}, {7, 0, EBX, 23, "clflushopt"},
    {7, 0, EBX, 24, "clwb"}, {7, 0, EBX, 28, "avx512cd"}, {7, 0, EBX, 29, "sha_ni"}, {7, 0, EBX, 30, "avx512bw"},
    {7, 0, EBX, 31, "avx512vl"}, {7, 0, ECX, 1, "avx512vbmi"}, {7, 0, ECX, 2, "umip"}, {7, 0, ECX, 3, "pku"},
    {7, 0, ECX, 6, "avx512_vbmi2"}, {7, 0, ECX, 8, "gfni"}, {7, 0, ECX, 9, "vaes"}, {7, 0, ECX, 10, "vpclmulqdq"},
    {7, 0, ECX, 11, "avx512_vnni"}, {7, 0, ECX, 12, "avx512_bitalg"}, {7, 0, ECX, 14, "avx512_vpopcntdq"},
    {7, 0, ECX, 22, "rdpid"}, {7, 0, EDX, 4, "fsrm"}, {7, 0, EDX, 26, "flush_l1d"}, {7, 0, EDX, 29, "arch_capabilities"},
};

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static void gen_cpuinfo(px_text *t, int32_t tid)
{
    uint32_t r[4], max_leaf, max_ext;
    char vendor[13];
    cpuid(0, 0, r);
    max_leaf = r[0];
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    vendor[12] = 0;
    cpuid(0x80000000, 0, r);
    max_ext = r[0];
    char brand[49] = "";
    if (max_ext >= 0x80000004) {
        for (uint32_t i = 0; i < 3; i++) {
            cpuid(0x80000002 + i, 0, r);
            memcpy(brand + 16 * i, r, 16);
        }
        brand[48] = 0;
    }
    const char *model_name = brand;
    while (*model_name == ' ') model_name++;
    cpuid(1, 0, r);
    uint32_t family = (r[0] >> 8) & 0xf, model = (r[0] >> 4) & 0xf, stepping = r[0] & 0xf;
    if (family == 0xf) family += (r[0] >> 20) & 0xff;
    if (family >= 6) model |= ((r[0] >> 16) & 0xf) << 4;
    uint32_t clflush = ((r[1] >> 8) & 0xff) * 8;

    px_text flags = {0};
    for (size_t i = 0; i < PX_ARRAY_LEN(cpu_flags); i++) {
        const cpuid_flag *fl = &cpu_flags[i];
        if (fl->leaf < 0x80000000 ? fl->leaf > max_leaf : fl->leaf > max_ext) continue;
        cpuid(fl->leaf, fl->subleaf, r);
        if (r[fl->reg] & (1u << fl->bit)) px_text_printf(&flags, "%s%s", flags.len ? " " : "", fl->name);
    }
    uint32_t phys_bits = 36, virt_bits = 48;
    if (max_ext >= 0x80000008) {
        cpuid(0x80000008, 0, r);
        phys_bits = r[0] & 0xff;
        virt_bits = (r[0] >> 8) & 0xff;
    }
    uint32_t n = px_host_cpu_count(), mhz = px_host_cpu_mhz();
    for (uint32_t cpu = 0; cpu < n; cpu++) {
        px_text_printf(t, "processor\t: %u\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\nmodel name\t: %s\n"
                          "stepping\t: %u\ncpu MHz\t\t: %u.000\nphysical id\t: 0\nsiblings\t: %u\ncore id\t\t: %u\n"
                          "cpu cores\t: %u\napicid\t\t: %u\ninitial apicid\t: %u\nfpu\t\t: yes\nfpu_exception\t: yes\n"
                          "cpuid level\t: %u\nwp\t\t: yes\nflags\t\t: %s\nbugs\t\t:\nbogomips\t: %u.00\n"
                          "clflush size\t: %u\ncache_alignment\t: %u\naddress sizes\t: %u bits physical, %u bits virtual\n"
                          "power management:\n\n",
                        cpu, vendor, family, model, model_name, stepping, mhz, n, cpu, n, cpu, cpu, max_leaf,
                        flags.data ? flags.data : "", mhz * 2, clflush, clflush, phys_bits, virt_bits);
    }
    px_text_free(&flags);
}

static void gen_meminfo(px_text *t, int32_t tid)
{
    px_host_memory mem = {0};
    px_host_memory_status(&mem);
    uint64_t total = mem.total >> 10, avail = mem.available >> 10;
    /* the commit limit beyond physical memory is the page file: Linux's swap (as sysinfo) */
    uint64_t swap_total = mem.commit_limit > mem.total ? (mem.commit_limit - mem.total) >> 10 : 0;
    uint64_t swap_free = mem.commit_available > mem.available ? (mem.commit_available - mem.available) >> 10 : 0;
    if (swap_free > swap_total) swap_free = swap_total;
    static const char *const zero_rows[] = {"Buffers", "Cached", "SwapCached", "Active", "Inactive", "Active(anon)",
        "Inactive(anon)", "Active(file)", "Inactive(file)", "Unevictable", "Mlocked"};
    px_text_printf(t, "MemTotal:       %8llu kB\nMemFree:        %8llu kB\nMemAvailable:   %8llu kB\n",
                   (unsigned long long)total, (unsigned long long)avail, (unsigned long long)avail);
    for (size_t i = 0; i < PX_ARRAY_LEN(zero_rows); i++) {
        int pad = 16 - (int)strlen(zero_rows[i]) - 1;
        px_text_printf(t, "%s:%*s%8d kB\n", zero_rows[i], pad, "", 0);
    }
    px_text_printf(t, "SwapTotal:      %8llu kB\nSwapFree:       %8llu kB\nDirty:          %8d kB\n"
                      "Writeback:      %8d kB\nShmem:          %8d kB\n"
                      "CommitLimit:    %8llu kB\nCommitted_AS:   %8llu kB\nVmallocTotal:   %8llu kB\n"
                      "HugePages_Total:   %5d\nHugePages_Free:    %5d\nHugepagesize:   %8d kB\n",
                   (unsigned long long)swap_total, (unsigned long long)swap_free, 0, 0, 0,
                   (unsigned long long)(mem.commit_limit >> 10),
                   (unsigned long long)((mem.commit_limit - mem.commit_available) >> 10),
                   34359738367ull, 0, 0, 2048);
}

/* Per-processor idle/kernel/user times (100 ns units; kernel includes idle, as NT counts). */
typedef px_host_cpu_times cpu_times;

static void put_cpu_line(px_text *t, const char *label, const cpu_times *c)
{
    uint64_t system = c->kernel > c->idle ? c->kernel - c->idle : 0;
    px_text_printf(t, "%s %llu 0 %llu %llu 0 0 0 0 0 0\n", label, (unsigned long long)TICKS_OF_100NS(c->user),
                   (unsigned long long)TICKS_OF_100NS(system), (unsigned long long)TICKS_OF_100NS(c->idle));
}

static void gen_stat(px_text *t, int32_t tid)
{
    cpu_times cpus[64];
    uint32_t n = px_host_cpu_times_each(cpus, 64), want = px_host_cpu_count();
    if (n == 0) { /* the host has the totals: share them out */
        cpu_times all;
        px_host_system_times(&all);
        n = want > 64 ? 64 : want;
        for (uint32_t i = 0; i < n; i++) cpus[i] = (cpu_times){all.idle / n, all.kernel / n, all.user / n};
    }
    cpu_times total = {0};
    for (uint32_t i = 0; i < n; i++) {
        total.idle += cpus[i].idle;
        total.kernel += cpus[i].kernel;
        total.user += cpus[i].user;
    }
    put_cpu_line(t, "cpu ", &total);
    for (uint32_t i = 0; i < n; i++) {
        char label[16];
        snprintf(label, sizeof label, "cpu%u", i);
        put_cpu_line(t, label, &cpus[i]);
    }
    px_text_printf(t, "intr 0\nctxt 0\nbtime %lld\nprocesses 1\nprocs_running 1\nprocs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n",
                   (long long)boot_time_unix());
}

static void gen_uptime(px_text *t, int32_t tid)
{
    uint64_t ms = px_host_uptime_ms();
    cpu_times cpus[64];
    uint32_t n = px_host_cpu_times_each(cpus, 64);
    uint64_t idle = 0;
    for (uint32_t i = 0; i < n; i++) idle += cpus[i].idle;
    px_text_printf(t, "%llu.%02llu %llu.%02llu\n", (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000 / 10),
                   (unsigned long long)(idle / 10000000), (unsigned long long)(idle / 100000 % 100));
}

/* Windows keeps no load average: the guest sees an idle machine with itself running. */
static void gen_loadavg(px_text *t, int32_t tid) { px_text_printf(t, "0.00 0.00 0.00 1/1 %d\n", (int)px_proc_self_pid()); }

static const char *mount_options(const px_mount *m)
{
    if (!strcmp(m->type->name, "proc") || !strcmp(m->type->name, "sysfs")) return "rw,nosuid,nodev,noexec,relatime";
    if (!strcmp(m->type->name, "devtmpfs")) return "rw,nosuid,relatime,mode=755";
    if (!strcmp(m->type->name, "tmpfs")) return "rw,nosuid,nodev";
    return "rw,relatime";
}

static void gen_mounts(px_text *t, int32_t tid)
{
    const px_mount *m;
    for (int i = 0; (m = px_vfs_mount_at(i)); i++) {
        put_mangled(t, m->source ? m->source : m->type->name);
        px_text_puts(t, " ");
        put_mangled(t, m->point);
        px_text_printf(t, " %s %s 0 0\n", m->type->name, mount_options(m));
    }
}

static void gen_mountinfo(px_text *t, int32_t tid)
{
    const px_mount *m;
    for (int i = 0; (m = px_vfs_mount_at(i)); i++) {
        px_text_printf(t, "%d %d %u:%u / ", 20 + i, i ? 20 : 1, (unsigned)(m->dev >> 8) & 0xfff, (unsigned)(m->dev & 0xff));
        put_mangled(t, m->point);
        px_text_printf(t, " %s - %s ", mount_options(m), m->type->name);
        put_mangled(t, m->source ? m->source : m->type->name);
        px_text_puts(t, " rw\n");
    }
}

static void gen_filesystems(px_text *t, int32_t tid)
{
    px_text_puts(t, "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\n");
    const px_mount *m;
    for (int i = 0; (m = px_vfs_mount_at(i)); i++) {
        bool seen = false;
        static const char *const listed[] = {"sysfs", "tmpfs", "proc", "devtmpfs"};
        for (size_t k = 0; k < PX_ARRAY_LEN(listed); k++) seen |= !strcmp(listed[k], m->type->name);
        for (int j = 0; j < i && !seen; j++) seen = !strcmp(px_vfs_mount_at(j)->type->name, m->type->name);
        if (!seen) px_text_printf(t, "\t%s\n", m->type->name);
    }
}

static void gen_version(px_text *t, int32_t tid)
{
    struct linux_utsname u = uname_now();
    px_text_printf(t, "%s version %s (picolx) %s\n", u.sysname, u.release, u.version);
}

static void gen_ostype(px_text *t, int32_t tid) { px_text_printf(t, "%s\n", uname_now().sysname); }
static void gen_osrelease(px_text *t, int32_t tid) { px_text_printf(t, "%s\n", uname_now().release); }
static void gen_kversion(px_text *t, int32_t tid) { px_text_printf(t, "%s\n", uname_now().version); }
static void gen_hostname(px_text *t, int32_t tid) { px_text_printf(t, "%s\n", uname_now().nodename); }
static void gen_domainname(px_text *t, int32_t tid) { px_text_printf(t, "%s\n", uname_now().domainname); }
static void gen_pid_max(px_text *t, int32_t tid) { px_text_puts(t, "32768\n"); } /* the process table's (task/ptable.h) */
static void gen_zero(px_text *t, int32_t tid) { px_text_puts(t, "0\n"); }
static void gen_ngroups_max(px_text *t, int32_t tid) { px_text_puts(t, "65536\n"); }

static void gen_uuid(px_text *t, int32_t tid)
{
    uint8_t b[16] = {0};
    px_pseudo_random_bytes(b, sizeof b); /* a fresh version-4 UUID at each read, as Linux's random/uuid */
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    px_text_printf(t, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n", b[0], b[1], b[2], b[3],
                   b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static void gen_boot_id(px_text *t, int32_t tid)
{
    static char boot_id[40];
    if (!boot_id[0]) { /* one per picolx process: no machine-wide store to keep it in */
        px_text u = {0};
        gen_uuid(&u, 0);
        if (u.data) snprintf(boot_id, sizeof boot_id, "%s", u.data);
        px_text_free(&u);
    }
    px_text_puts(t, boot_id);
}

/* --- the process --- */

typedef struct vm_totals { uint64_t size, data, stack, exe; } vm_totals;

static vm_totals vm_sum(void)
{
    vm_totals v = {0};
    uint64_t cursor = 0;
    px_vm_region r;
    while (px_vm_next_region(&cursor, &r)) {
        uint64_t len = r.end - r.start;
        v.size += len;
        if (r.kind == PX_VM_STACK) v.stack += len;
        else if (r.kind == PX_VM_IMAGE && (r.prot & LINUX_PROT_EXEC)) v.exe += len;
        else if ((r.prot & LINUX_PROT_WRITE) && !(r.flags & LINUX_MAP_SHARED)) v.data += len;
    }
    return v;
}

static uint64_t resident_bytes(uint64_t *peak)
{
    px_host_memory_use use;
    if (px_host_process_memory(&use) < 0) return *peak = 0;
    *peak = use.peak_working_set;
    return use.working_set;
}

static bool region_is_main_stack(const px_vm_region *r, uint64_t initial_rsp)
{
    return r->kind == PX_VM_STACK && (!initial_rsp || (initial_rsp >= r->start && initial_rsp < r->end));
}

static void gen_maps(px_text *t, int32_t tid)
{
    uint64_t initial_rsp = px_vm_get_args().initial_rsp;
    char exe[PX_PATH_MAX];
    bool has_exe = px_vm_get_exe_path(exe, sizeof exe) > 0;
    uint64_t cursor = 0;
    px_vm_region r;
    while (px_vm_next_region(&cursor, &r)) {
        const char *name = NULL;
        px_file *f = NULL;
        switch (r.kind) {
        case PX_VM_STACK: name = region_is_main_stack(&r, initial_rsp) ? "[stack]" : NULL; break;
        case PX_VM_BRK: name = "[heap]"; break;
        case PX_VM_IMAGE: name = has_exe ? exe : NULL; break;
        case PX_VM_FILE:
            /* no name recorded (an older mapping): while its fd is open, that file's path */
            if (r.fd >= 0 && (f = px_fd_get(r.fd))) name = f->guest_path;
            break;
        default: break;
        }
        if (r.path) name = r.path; /* what the mm recorded at mmap ([vdso], a file's guest path) */
        size_t before = t->len;
        px_text_printf(t, "%08llx-%08llx %c%c%c%c %08llx 00:00 0 ", (unsigned long long)r.start, (unsigned long long)r.end,
                       (r.prot & LINUX_PROT_READ) ? 'r' : '-', (r.prot & LINUX_PROT_WRITE) ? 'w' : '-',
                       (r.prot & LINUX_PROT_EXEC) ? 'x' : '-', (r.flags & LINUX_MAP_SHARED) ? 's' : 'p',
                       (unsigned long long)r.offset);
        if (name) { /* the kernel pads the name to column 73 */
            size_t width = t->len - before;
            if (width < 73) px_text_printf(t, "%*s", (int)(73 - width), "");
            px_text_puts(t, name);
        }
        px_text_puts(t, "\n");
        if (f) px_file_unref(f);
    }
    px_text_puts(t, "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n");
}

static uint32_t open_fd_count(void)
{
    uint32_t n = 0;
    for (int fd = 0; fd < PX_FD_LIMIT; fd++) {
        px_file *f = px_fd_get(fd);
        if (f) {
            n++;
            px_file_unref(f);
        }
    }
    return n;
}

static void gen_status(px_text *t, int32_t tid)
{
    char comm[16];
    comm_of_thread(tid, comm);
    vm_totals v = vm_sum();
    uint64_t peak, rss = resident_bytes(&peak);
    uint32_t uid = px_current_cred()->uid, gid = px_current_cred()->gid;
    int pid = (int)px_proc_self_pid();
    bool root = uid == 0;
    int32_t tids[1];
    int threads = (int)thread_tids(tids, 0);
    px_text_printf(t, "Name:\t%s\nUmask:\t%04o\nState:\tR (running)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n"
                      "TracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t%u\nGroups:\t%u \n",
                   comm, px_fs_umask(), pid, (int)tid, (int)px_proc_self_ppid(), uid, uid, uid, uid, gid, gid, gid, gid,
                   open_fd_count() > 64 ? 256u : 64u, gid);
    px_text_printf(t, "VmPeak:\t%8llu kB\nVmSize:\t%8llu kB\nVmLck:\t%8d kB\nVmPin:\t%8d kB\nVmHWM:\t%8llu kB\n"
                      "VmRSS:\t%8llu kB\nRssAnon:\t%8llu kB\nRssFile:\t%8d kB\nRssShmem:\t%8d kB\nVmData:\t%8llu kB\n"
                      "VmStk:\t%8llu kB\nVmExe:\t%8llu kB\nVmLib:\t%8d kB\nVmPTE:\t%8d kB\nVmSwap:\t%8d kB\n",
                   (unsigned long long)(v.size >> 10), (unsigned long long)(v.size >> 10), 0, 0,
                   (unsigned long long)(peak >> 10), (unsigned long long)(rss >> 10), (unsigned long long)(rss >> 10), 0, 0,
                   (unsigned long long)(v.data >> 10), (unsigned long long)(v.stack >> 10),
                   (unsigned long long)(v.exe >> 10), 0, 0, 0);
    uint32_t n = px_host_cpu_count();
    const char *caps = root ? "000001ffffffffff" : "0000000000000000";
    px_proc_signals sig = {0};
    px_proc_signal_source *source = __atomic_load_n(&signal_source, __ATOMIC_ACQUIRE);
    if (source) source(tid, &sig);
    px_text_printf(t, "Threads:\t%d\nSigQ:\t%d/63536\nSigPnd:\t%016llx\nShdPnd:\t%016llx\n"
                      "SigBlk:\t%016llx\nSigIgn:\t%016llx\nSigCgt:\t%016llx\n",
                   threads, __builtin_popcountll(sig.pending | sig.shared_pending), (unsigned long long)sig.pending,
                   (unsigned long long)sig.shared_pending, (unsigned long long)sig.blocked,
                   (unsigned long long)sig.ignored, (unsigned long long)sig.caught);
    px_text_printf(t, "CapInh:\t0000000000000000\nCapPrm:\t%s\nCapEff:\t%s\nCapBnd:\t000001ffffffffff\n"
                      "CapAmb:\t0000000000000000\nNoNewPrivs:\t%d\nSeccomp:\t0\nSeccomp_filters:\t0\n"
                      "Cpus_allowed:\t%llx\nCpus_allowed_list:\t0-%u\nMems_allowed:\t1\nMems_allowed_list:\t0\n"
                      "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n",
                   caps, caps, sig.no_new_privs, n >= 64 ? ~0ull : (1ull << n) - 1, n - 1);
}

static void process_times(uint64_t *utime, uint64_t *stime, uint64_t *start_ticks)
{
    px_host_times times;
    *utime = *stime = *start_ticks = 0;
    if (px_host_process_times(px_host_self(), &times) < 0) return;
    *utime = TICKS_OF_100NS((uint64_t)times.user);
    *stime = TICKS_OF_100NS((uint64_t)times.kernel);
    uint64_t age = (uint64_t)px_host_time_coarse() - (uint64_t)times.creation; /* 100 ns units */
    uint64_t uptime = px_host_uptime_ms() * 10000;
    *start_ticks = TICKS_OF_100NS(uptime > age ? uptime - age : 0);
}

static void gen_pid_stat(px_text *t, int32_t tid)
{
    char comm[16];
    comm_of_thread(tid, comm);
    int pid = (int)px_proc_self_pid();
    int32_t no_tids[1];
    unsigned threads = (unsigned)thread_tids(no_tids, 0);
    vm_totals v = vm_sum();
    uint64_t peak, rss = resident_bytes(&peak), utime, stime, start;
    process_times(&utime, &stime, &start);
    uint64_t code_start = 0, code_end = 0, stack_start = 0, data_start = 0, data_end = 0, brk_start = 0;
    px_vm_args args = px_vm_get_args();
    uint64_t cursor = 0;
    px_vm_region r;
    while (px_vm_next_region(&cursor, &r)) {
        if (r.kind == PX_VM_IMAGE && (r.prot & LINUX_PROT_EXEC) && !code_start) code_start = r.start, code_end = r.end;
        else if (r.kind == PX_VM_IMAGE && (r.prot & LINUX_PROT_WRITE) && !data_start) data_start = r.start, data_end = r.end;
        else if (r.kind == PX_VM_BRK && !brk_start) brk_start = r.start;
        else if (region_is_main_stack(&r, args.initial_rsp)) stack_start = r.end;
    }
    if (args.initial_rsp) stack_start = args.initial_rsp;
    /* fields 1-52 of proc(5) */
    px_text_printf(t, "%d (%s) R %d %d %d %d -1 4194304 0 0 0 0 %llu %llu 0 0 20 0 %u 0 %llu %llu %llu "
                      "18446744073709551615 %llu %llu %llu 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 %llu %llu %llu %llu %llu "
                      "%llu %llu 0\n",
                   (int)tid, comm, (int)px_proc_self_ppid(), pid, pid, px_devfs_has_console() ? 34816 : 0,
                   (unsigned long long)utime, (unsigned long long)stime, threads, (unsigned long long)start,
                   (unsigned long long)v.size, (unsigned long long)(rss / LINUX_PAGE_SIZE), (unsigned long long)code_start,
                   (unsigned long long)code_end, (unsigned long long)stack_start, (unsigned long long)data_start,
                   (unsigned long long)data_end, (unsigned long long)brk_start, (unsigned long long)args.arg_start,
                   (unsigned long long)args.arg_end, (unsigned long long)args.env_start, (unsigned long long)args.env_end);
}

static void gen_statm(px_text *t, int32_t tid)
{
    vm_totals v = vm_sum();
    uint64_t peak, rss = resident_bytes(&peak);
    px_text_printf(t, "%llu %llu 0 %llu 0 %llu 0\n", (unsigned long long)(v.size / LINUX_PAGE_SIZE),
                   (unsigned long long)(rss / LINUX_PAGE_SIZE), (unsigned long long)(v.exe / LINUX_PAGE_SIZE),
                   (unsigned long long)((v.data + v.stack) / LINUX_PAGE_SIZE));
}

/* From the guest's memory, as Linux reads it: changes the program made show; a part
   the program unmapped ends the text there. */
static void put_guest_range(px_text *t, uint64_t start, uint64_t end)
{
    char chunk[4096];
    for (uint64_t at = start; at < end;) {
        size_t n = end - at < sizeof chunk ? (size_t)(end - at) : sizeof chunk;
        if (px_copy_in(chunk, at, n) < 0) break;
        px_text_put(t, chunk, n);
        at += n;
    }
}

static void gen_cmdline(px_text *t, int32_t tid)
{
    px_vm_args a = px_vm_get_args();
    put_guest_range(t, a.arg_start, a.arg_end);
}

static void gen_environ(px_text *t, int32_t tid)
{
    px_vm_args a = px_vm_get_args();
    put_guest_range(t, a.env_start, a.env_end);
}

static void gen_comm(px_text *t, int32_t tid)
{
    char comm[16];
    comm_of_thread(tid, comm);
    px_text_printf(t, "%s\n", comm);
}

static int64_t link_exe(int fd, char *out, size_t size)
{
    size_t n = px_vm_get_exe_path(out, size);
    if (!n) return -LINUX_ENOENT;
    return n < size ? 0 : -LINUX_ENAMETOOLONG;
}

static int64_t link_cwd(int fd, char *out, size_t size)
{
    return px_fs_cwd(out, size) < 0 ? -LINUX_ENAMETOOLONG : 0;
}

static int64_t link_root(int fd, char *out, size_t size)
{
    snprintf(out, size, "/");
    return 0;
}

static int64_t link_self(int fd, char *out, size_t size)
{
    snprintf(out, size, "%d", (int)px_proc_self_pid());
    return 0;
}

static int64_t link_thread_self(int fd, char *out, size_t size)
{
    px_task *self = px_self();
    snprintf(out, size, "%d/task/%d", (int)px_proc_self_pid(), self && self->tid ? (int)self->tid : (int)px_proc_self_pid());
    return 0;
}

static int64_t link_mounts(int fd, char *out, size_t size)
{
    snprintf(out, size, "self/mounts");
    return 0;
}

/* What /proc/self/fd/N shows: the path of a named file, else the kernel's names for pipes,
   sockets and terminals. */
static int64_t link_fd(int fd, char *out, size_t size)
{
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_ENOENT;
    px_stat_info st;
    memset(&st, 0, sizeof st);
    if (f->guest_path) snprintf(out, size, "%s", f->guest_path);
    else if (!f->ops->stat || f->ops->stat(f, &st) < 0) snprintf(out, size, "anon_inode:[unknown]");
    else if ((st.mode & LINUX_S_IFMT) == LINUX_S_IFIFO) snprintf(out, size, "pipe:[%llu]", (unsigned long long)st.ino);
    else if ((st.mode & LINUX_S_IFMT) == LINUX_S_IFSOCK) snprintf(out, size, "socket:[%llu]", (unsigned long long)st.ino);
    else if ((st.mode & LINUX_S_IFMT) == LINUX_S_IFCHR && (st.rdev >> 8) == 136) snprintf(out, size, "/dev/pts/%u", (unsigned)(st.rdev & 0xff));
    else if ((st.mode & LINUX_S_IFMT) == LINUX_S_IFCHR && st.rdev == ((1 << 8) | 3)) snprintf(out, size, "/dev/null");
    else snprintf(out, size, "anon_inode:[unknown]");
    px_file_unref(f);
    return 0;
}

/* --- the tree --- */

#define DIR_(n, kids) {n, LINUX_DT_DIR, 0555, NULL, NULL, kids}
#define FILE_(n, g) {n, LINUX_DT_REG, 0444, g, NULL, NULL}
#define LINK_(n, l) {n, LINUX_DT_LNK, 0777, NULL, l, NULL}
#define END_ {NULL, 0, 0, NULL, NULL, NULL}

static const proc_entry random_entries[] = {FILE_("boot_id", gen_boot_id), FILE_("uuid", gen_uuid), END_};
static const proc_entry kernel_entries[] = {
    FILE_("domainname", gen_domainname), FILE_("hostname", gen_hostname), FILE_("ngroups_max", gen_ngroups_max),
    FILE_("osrelease", gen_osrelease), FILE_("ostype", gen_ostype), FILE_("pid_max", gen_pid_max),
    DIR_("random", random_entries), FILE_("version", gen_kversion), END_};
static const proc_entry vm_entries[] = {FILE_("overcommit_memory", gen_zero), END_};
static const proc_entry sys_entries[] = {DIR_("kernel", kernel_entries), DIR_("vm", vm_entries), END_};

/* <pid>/fd: listed and looked up by fd number */
static const proc_entry fd_dir_entries[] = {END_};
static const proc_entry fd_link_entry = {"", LINUX_DT_LNK, 0700, NULL, link_fd, NULL};

/* <pid>/task: a directory per thread, listed and looked up by tid, with the files that
   differ by thread (and cmdline, the process's) */
static const proc_entry task_dir_entries[] = {END_};
static const proc_entry task_tid_entries[] = {
    FILE_("cmdline", gen_cmdline), FILE_("comm", gen_comm), FILE_("stat", gen_pid_stat), FILE_("status", gen_status),
    END_};
static const proc_entry task_tid_entry = DIR_("", task_tid_entries);

static const proc_entry pid_entries[] = {
    FILE_("cmdline", gen_cmdline), FILE_("comm", gen_comm), LINK_("cwd", link_cwd), FILE_("environ", gen_environ),
    LINK_("exe", link_exe), {"fd", LINUX_DT_DIR, 0500, NULL, NULL, fd_dir_entries}, FILE_("maps", gen_maps),
    FILE_("mountinfo", gen_mountinfo), FILE_("mounts", gen_mounts), LINK_("root", link_root), FILE_("stat", gen_pid_stat),
    FILE_("statm", gen_statm), FILE_("status", gen_status), DIR_("task", task_dir_entries), END_};
static const proc_entry pid_dir_entry = DIR_("", pid_entries);

static const proc_entry root_entries[] = {
    FILE_("cpuinfo", gen_cpuinfo), FILE_("filesystems", gen_filesystems), FILE_("loadavg", gen_loadavg),
    FILE_("meminfo", gen_meminfo), LINK_("mounts", link_mounts), LINK_("self", link_self), FILE_("stat", gen_stat),
    DIR_("sys", sys_entries), LINK_("thread-self", link_thread_self), FILE_("uptime", gen_uptime),
    FILE_("version", gen_version), END_};
static const proc_entry root_entry = DIR_("", root_entries);

/* Parses a decimal number that is the whole of [s, s+n): -1 if it is not one. */
static int64_t parse_number(const char *s, size_t n)
{
    if (n == 0 || n > 9 || (s[0] == '0' && n > 1)) return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Finds the entry rel names; *fd is the fd of an fd/N link; *tid the thread whose view
   it is (the pid, or N under task/N). */
static int64_t lookup_view(const char *rel, const proc_entry **out, int *fd, int32_t *tid)
{
    const proc_entry *e = &root_entry;
    *fd = -1;
    *tid = (int32_t)px_proc_self_pid();
    while (*rel) {
        const char *end = strchr(rel, '/');
        size_t n = end ? (size_t)(end - rel) : strlen(rel);
        if (e->type != LINUX_DT_DIR) return -LINUX_ENOTDIR;
        const proc_entry *next = NULL;
        if (e == &root_entry) {
            int64_t pid = parse_number(rel, n);
            if (pid >= 0 && pid == px_proc_self_pid()) next = &pid_dir_entry;
        } else if (e->children == task_dir_entries) {
            int64_t num = parse_number(rel, n);
            if (num > 0 && thread_exists((int32_t)num)) {
                next = &task_tid_entry;
                *tid = (int32_t)num;
            }
        } else if (e->children == fd_dir_entries) {
            int64_t num = parse_number(rel, n);
            px_file *f = num >= 0 && num < PX_FD_LIMIT ? px_fd_get((int)num) : NULL;
            if (f) {
                px_file_unref(f);
                next = &fd_link_entry;
                *fd = (int)num;
            }
        }
        for (const proc_entry *c = e->children; !next && c->name; c++)
            if (strlen(c->name) == n && !memcmp(c->name, rel, n)) next = c;
        if (!next) return -LINUX_ENOENT;
        e = next;
        rel += n;
        if (*rel == '/') rel++;
    }
    *out = e;
    return 0;
}

static int64_t lookup(const char *rel, const proc_entry **out, int *fd)
{
    int32_t tid;
    return lookup_view(rel, out, fd, &tid);
}

static void stat_of(px_mount *m, const char *rel, const proc_entry *e, int fd, px_stat_info *st)
{
    px_pseudo_stat_init(st, m, rel, px_pseudo_mode_of_type(e->type) | e->perm);
    if (e == &fd_link_entry) {
        px_file *f = px_fd_get(fd);
        if (f) { /* lr-x, l-wx or lrwx, by how the fd was opened */
            static const uint32_t perm_of_access[4] = {0500, 0300, 0700, 0700};
            st->mode = LINUX_S_IFLNK | perm_of_access[f->status_flags & LINUX_O_ACCMODE];
            px_file_unref(f);
        }
        st->size = 64;
    }
    if (e->type == LINUX_DT_DIR) {
        uint64_t subdirs = 0;
        for (const proc_entry *c = e->children; c->name; c++) subdirs += c->type == LINUX_DT_DIR;
        if (e == &root_entry) subdirs++; /* the pid */
        st->nlink = 2 + subdirs;
    }
}

static int64_t proc_stat(px_mount *m, const char *rel, px_stat_info *st)
{
    const proc_entry *e;
    int fd;
    if (px_proc_pids_owns(rel, px_proc_self_pid())) return px_proc_pids_stat(m, rel, st);
    int64_t r = lookup(rel, &e, &fd);
    if (r < 0) return r;
    stat_of(m, rel, e, fd, st);
    return 0;
}

static int64_t proc_readlink(px_mount *m, const char *rel, char *buf, uint64_t size)
{
    const proc_entry *e;
    int fd;
    if (px_proc_pids_owns(rel, px_proc_self_pid())) return px_proc_pids_readlink(m, rel, buf, size);
    int64_t r = lookup(rel, &e, &fd);
    if (r < 0) return r;
    if (e->type != LINUX_DT_LNK) return -LINUX_EINVAL;
    char target[PX_PATH_MAX];
    r = e->link(fd, target, sizeof target);
    return r < 0 ? r : px_pseudo_copy_link(target, buf, size);
}

static int64_t proc_access(px_mount *m, const char *rel, int mode)
{
    px_stat_info st;
    int64_t r = proc_stat(m, rel, &st);
    if (r < 0) return r;
    if ((mode & LINUX_W_OK) && !(st.mode & 0222)) return -LINUX_EACCES;
    if ((mode & LINUX_X_OK) && !(st.mode & 0111)) return -LINUX_EACCES;
    return 0;
}

/* The entries of a proc directory (rel names it; e is its entry). */
static void list_dir(px_mount *m, const char *rel, const proc_entry *e, px_pseudo_listing *l)
{
    char child[PX_PATH_MAX], name[32];
    size_t rl = strlen(rel);
    if (rl + PX_NAME_MAX + 2 >= sizeof child) return;
    memcpy(child, rel, rl);
    char *tail = child + rl;
    if (rl) *tail++ = '/';
    if (e == &root_entry) px_proc_pids_list(m, l, px_proc_self_pid()); /* every process of the table */
    if (e->children == task_dir_entries) {
        int32_t tids[256];
        size_t n = thread_tids(tids, 256);
        for (size_t i = 0; i < n && i < 256; i++) {
            snprintf(name, sizeof name, "%d", (int)tids[i]);
            strcpy(tail, name);
            px_pseudo_list_add(l, name, px_pseudo_ino(m, child), LINUX_DT_DIR);
        }
    }
    if (e->children == fd_dir_entries) {
        for (int fd = 0; fd < PX_FD_LIMIT; fd++) {
            px_file *f = px_fd_get(fd);
            if (!f) continue;
            px_file_unref(f);
            snprintf(name, sizeof name, "%d", fd);
            strcpy(tail, name);
            px_pseudo_list_add(l, name, px_pseudo_ino(m, child), LINUX_DT_LNK);
        }
    }
    for (const proc_entry *c = e->children; c->name; c++) {
        strcpy(tail, c->name);
        px_pseudo_list_add(l, c->name, px_pseudo_ino(m, child), c->type);
    }
}

/* fd/ and task/ list the fds open and the threads running when they are read, as
   Linux's do (fd/ its own fd among them). */
static void refill_dir(px_mount *m, const char *rel, px_pseudo_listing *l)
{
    const proc_entry *e;
    int fd;
    if (lookup(rel, &e, &fd) == 0) list_dir(m, rel, e, l);
}

static int64_t open_dir(px_mount *m, const char *rel, const proc_entry *e, const px_stat_info *st, uint32_t flags,
                        px_file **out)
{
    px_pseudo_listing l = {0};
    list_dir(m, rel, e, &l);
    bool changing = e->children == fd_dir_entries || e->children == task_dir_entries; /* listed when read */
    return px_pseudo_open_refilled_listing(m, rel, &l, changing ? refill_dir : NULL, st, flags, out);
}

static int64_t proc_open(px_mount *m, const char *rel, uint32_t flags, uint32_t mode, px_file **out)
{
    const proc_entry *e;
    int fd;
    int32_t tid;
    if (px_proc_pids_owns(rel, px_proc_self_pid())) return px_proc_pids_open(m, rel, flags, out);
    int64_t r = lookup_view(rel, &e, &fd, &tid);
    if (r == -LINUX_ENOENT && (flags & LINUX_O_CREAT)) return -LINUX_EACCES;
    if (r < 0) return r;
    if (e->type == LINUX_DT_LNK) return -LINUX_ELOOP; /* the VFS follows links before it opens: O_NOFOLLOW */
    r = px_pseudo_check_open(flags, e->type == LINUX_DT_DIR, false);
    if (r < 0) return r;
    px_stat_info st;
    stat_of(m, rel, e, fd, &st);
    if (e->type == LINUX_DT_DIR) return open_dir(m, rel, e, &st, flags, out);
    px_text t = {0};
    if (!(flags & LINUX_O_PATH)) e->gen(&t, tid);
    return px_pseudo_open_text(m, rel, &t, &st, flags, out);
}

/* Whether the path f was opened by still names f (not so for a deleted or renamed-over
   file). A file with no path (pipe, console) has none to follow. */
static bool reachable_by_path(px_file *f)
{
    if (!f->guest_path) return false;
    const char *rel;
    px_mount *m = px_vfs_mount_of(f->guest_path, &rel);
    px_stat_info by_path, by_file;
    if (!m || !m->type->stat || m->type->stat(m, rel, &by_path) < 0) return false;
    if (!f->ops->stat || f->ops->stat(f, &by_file) < 0) return true;
    return by_path.ino == by_file.ino && by_path.dev == by_file.dev;
}

/* fd/N is a magic link when its path no longer leads to its file: open and stat then reach
   the open file itself. The same px_file comes back (its position and status flags are
   shared with fd N, where Linux would make a new open file description of the same pipe
   or inode): enough for `echo > /dev/stdout` and `cat /dev/stdin` on pipes. */
static int64_t proc_magic_link(px_mount *m, const char *rel, uint32_t flags, px_file **out)
{
    const proc_entry *e;
    int fd;
    if (lookup(rel, &e, &fd) < 0 || e != &fd_link_entry) return -LINUX_EINVAL;
    px_file *f = px_fd_get(fd);
    if (!f) return -LINUX_EINVAL;
    int64_t r = reachable_by_path(f) ? -LINUX_EINVAL : 0;
    if (r == 0 && out && !(flags & LINUX_O_PATH)) {
        uint32_t want = flags & LINUX_O_ACCMODE, has = f->status_flags & LINUX_O_ACCMODE;
        if ((want != LINUX_O_WRONLY && has == LINUX_O_WRONLY) || (want != LINUX_O_RDONLY && has == LINUX_O_RDONLY))
            r = -LINUX_EACCES; /* one end of a Windows pipe cannot become the other */
        else if ((flags & LINUX_O_DIRECTORY) && !f->is_dir)
            r = -LINUX_ENOTDIR;
    }
    if (r == 0 && out) {
        *out = f;
        return 0;
    }
    px_file_unref(f);
    return r;
}

const px_fs_type px_proc_fs_type = {
    .name = "proc",
    .has_symlinks = true,
    .magic = 0x9fa0, /* PROC_SUPER_MAGIC */
    .open = proc_open,
    .stat = proc_stat,
    .readlink = proc_readlink,
    .access = proc_access,
    .magic_link = proc_magic_link,
};
