/* The clone rules (src/task/clone.c): which objects a new task shares and which it gets
   a copy of, for every combination of CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND,
   CLONE_THREAD and CLONE_VFORK, and the combinations Linux refuses. The test runs on
   Linux: the refused set is also checked against the kernel itself (a real clone of a
   child that exits at once), so the table cannot drift from Linux's rules. */
#define _GNU_SOURCE
/* picolx's headers first: glibc's <signal.h> makes sa_handler a macro */
#include "core/px.h"
#include "task/clone.h"
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The six flags of the issue, bit i of a combination number. */
static const uint64_t six[6] = {
    LINUX_CLONE_VM, LINUX_CLONE_FS, LINUX_CLONE_FILES, LINUX_CLONE_SIGHAND, LINUX_CLONE_THREAD, LINUX_CLONE_VFORK,
};
static const char *const six_names[6] = {"VM", "FS", "FILES", "SIGHAND", "THREAD", "VFORK"};

static uint64_t flags_of(int combo)
{
    uint64_t f = 0;
    for (int i = 0; i < 6; i++)
        if (combo & (1 << i)) f |= six[i];
    return f;
}

static const char *name_of(uint64_t f)
{
    static char buf[128];
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; i < 6; i++)
        if (f & six[i]) n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", n ? "|" : "", six_names[i]);
    if (!n) snprintf(buf, sizeof buf, "0");
    return buf;
}

/* Linux's rules, written out from kernel/fork.c independently of clone.c. */
static bool linux_allows(uint64_t f)
{
    if ((f & LINUX_CLONE_THREAD) && !(f & LINUX_CLONE_SIGHAND)) return false;
    if ((f & LINUX_CLONE_SIGHAND) && !(f & LINUX_CLONE_VM)) return false;
    return true;
}

Test(clone, every_combination_of_the_six_flags)
{
    int allowed = 0;
    for (int combo = 0; combo < 64; combo++) {
        uint64_t f = flags_of(combo);
        px_clone_plan p;
        int64_t r = px_clone_plan_of(f | SIGCHLD, &p);
        if (!linux_allows(f)) {
            cr_expect_eq(r, -LINUX_EINVAL, "%s: Linux refuses it with EINVAL, got %lld", name_of(f), (long long)r);
            continue;
        }
        allowed++;
        cr_expect_eq(r, 0, "%s: Linux allows it, got %lld", name_of(f), (long long)r);
        if (r) continue;
        cr_expect_eq(p.how[PX_OBJ_MM], (f & LINUX_CLONE_VM) ? PX_CLONE_SHARE : PX_CLONE_COPY, "%s: mm", name_of(f));
        cr_expect_eq(p.how[PX_OBJ_FS], (f & LINUX_CLONE_FS) ? PX_CLONE_SHARE : PX_CLONE_COPY, "%s: fs", name_of(f));
        cr_expect_eq(p.how[PX_OBJ_FILES], (f & LINUX_CLONE_FILES) ? PX_CLONE_SHARE : PX_CLONE_COPY, "%s: files",
                     name_of(f));
        cr_expect_eq(p.how[PX_OBJ_SIGHAND], (f & LINUX_CLONE_SIGHAND) ? PX_CLONE_SHARE : PX_CLONE_COPY,
                     "%s: sighand", name_of(f));
        cr_expect_eq(p.how[PX_OBJ_PROCESS], (f & LINUX_CLONE_THREAD) ? PX_CLONE_SHARE : PX_CLONE_COPY,
                     "%s: process", name_of(f));
        cr_expect_eq(p.how[PX_OBJ_CRED], PX_CLONE_SHARE, "%s: cred (immutable)", name_of(f));
        cr_expect_eq(p.vfork, (f & LINUX_CLONE_VFORK) != 0, "%s: vfork", name_of(f));
        cr_expect_eq(p.exit_signal, (f & LINUX_CLONE_THREAD) ? -1 : SIGCHLD, "%s: exit signal", name_of(f));
        cr_expect_eq(p.same_parent, (f & LINUX_CLONE_THREAD) != 0, "%s: parent", name_of(f));
        bool vm_no_vfork = (f & LINUX_CLONE_VM) && !(f & LINUX_CLONE_VFORK);
        cr_expect_eq(p.keep_altstack, !vm_no_vfork, "%s: sigaltstack", name_of(f));
    }
    /* THREAD needs SIGHAND needs VM: of VM/SIGHAND/THREAD 4 of 8 ({}, VM, VM|SIGHAND,
       VM|SIGHAND|THREAD); VFORK, FS and FILES are free (x8) */
    cr_expect_eq(allowed, 4 * 8);
}

Test(clone, the_calls_libc_makes)
{
    px_clone_plan p;
    /* fork() */
    cr_assert_eq(px_clone_plan_of(SIGCHLD, &p), 0);
    for (int k = 0; k < PX_OBJ_COUNT; k++)
        cr_expect_eq(p.how[k], k == PX_OBJ_CRED ? PX_CLONE_SHARE : PX_CLONE_COPY, "fork: object %d", k);
    /* vfork(), posix_spawn: the address space shared, the parent waits */
    cr_assert_eq(px_clone_plan_of(LINUX_CLONE_VM | LINUX_CLONE_VFORK | SIGCHLD, &p), 0);
    cr_expect(p.vfork && p.how[PX_OBJ_MM] == PX_CLONE_SHARE && p.how[PX_OBJ_FILES] == PX_CLONE_COPY);
    cr_expect(p.keep_altstack);
    /* pthread_create (glibc's flags) */
    uint64_t pthread = LINUX_CLONE_VM | LINUX_CLONE_FS | LINUX_CLONE_FILES | LINUX_CLONE_SIGHAND | LINUX_CLONE_THREAD |
                       LINUX_CLONE_SYSVSEM | LINUX_CLONE_SETTLS | LINUX_CLONE_PARENT_SETTID |
                       LINUX_CLONE_CHILD_CLEARTID;
    cr_assert_eq(px_clone_plan_of(pthread, &p), 0);
    for (int k = 0; k < PX_OBJ_COUNT; k++) cr_expect_eq(p.how[k], PX_CLONE_SHARE, "thread: object %d", k);
    cr_expect_eq(p.exit_signal, -1);
    cr_expect(!p.keep_altstack);
}

Test(clone, the_other_refused_combinations)
{
    static const struct { uint64_t flags; const char *why; } rows[] = {
        {LINUX_CLONE_FS | LINUX_CLONE_NEWNS, "CLONE_FS with CLONE_NEWNS"},
        {LINUX_CLONE_FS | LINUX_CLONE_NEWUSER, "CLONE_FS with CLONE_NEWUSER"},
        {LINUX_CLONE_VM | LINUX_CLONE_SIGHAND | LINUX_CLONE_THREAD | LINUX_CLONE_NEWPID, "CLONE_THREAD with CLONE_NEWPID"},
        {LINUX_CLONE_VM | LINUX_CLONE_SIGHAND | LINUX_CLONE_THREAD | LINUX_CLONE_NEWUSER, "CLONE_THREAD with CLONE_NEWUSER"},
        {LINUX_CLONE_VM | LINUX_CLONE_SIGHAND | LINUX_CLONE_CLEAR_SIGHAND, "CLONE_SIGHAND with CLONE_CLEAR_SIGHAND"},
        {LINUX_CLONE_PIDFD | LINUX_CLONE_DETACHED, "CLONE_PIDFD with CLONE_DETACHED"},
        {LINUX_CLONE_PIDFD | LINUX_CLONE_VM | LINUX_CLONE_SIGHAND | LINUX_CLONE_THREAD, "CLONE_PIDFD with CLONE_THREAD"},
        {LINUX_CLONE_PIDFD | LINUX_CLONE_PARENT_SETTID, "CLONE_PIDFD with CLONE_PARENT_SETTID (one field in clone)"},
        {LINUX_CLONE_NEWNS, "a new mount namespace (a kernel without namespaces)"},
        {LINUX_CLONE_NEWPID, "a new pid namespace"},
        {LINUX_CLONE_NEWNET, "a new network namespace"},
    };
    for (size_t i = 0; i < PX_ARRAY_LEN(rows); i++) {
        px_clone_plan p;
        cr_expect_eq(px_clone_plan_of(rows[i].flags | SIGCHLD, &p), -LINUX_EINVAL, "%s", rows[i].why);
    }
    px_clone_plan p;
    cr_assert_eq(px_clone_plan_of(LINUX_CLONE_CLEAR_SIGHAND | SIGCHLD, &p), 0);
    cr_expect_eq(p.how[PX_OBJ_SIGHAND], PX_CLONE_COPY_CLEARED, "CLONE_CLEAR_SIGHAND: handlers reset in the copy");
    cr_assert_eq(px_clone_plan_of(LINUX_CLONE_PARENT | SIGCHLD, &p), 0);
    cr_expect(p.same_parent);
}

/* ---- the kernel's own answer ---- */

static int child_exits(void *arg)
{
    (void)arg;
    return 0;
}

/* clone(2) with f on this Linux: 0 if it made the child (which is reaped), or the errno. */
static int linux_clone_errno(uint64_t f)
{
    size_t size = 256 * 1024;
    char *stack = malloc(size);
    static volatile pid_t ctid;
    ctid = 1;
    int flags = (int)f;
    if (f & LINUX_CLONE_THREAD) flags |= CLONE_CHILD_CLEARTID; /* to know when the thread is gone */
    else flags |= SIGCHLD;
    pid_t pid = clone(child_exits, stack + size, flags, NULL, NULL, NULL, (pid_t *)&ctid);
    int err = pid < 0 ? errno : 0;
    if (pid > 0) {
        if (f & LINUX_CLONE_THREAD) {
            while (ctid != 0) syscall(SYS_futex, &ctid, FUTEX_WAIT, ctid, NULL, NULL, 0);
        } else {
            int st;
            waitpid(pid, &st, __WALL);
        }
    }
    free(stack);
    return err;
}

Test(clone, the_kernel_agrees_on_the_six_flags)
{
    for (int combo = 0; combo < 64; combo++) {
        uint64_t f = flags_of(combo);
        px_clone_plan p;
        int64_t ours = px_clone_plan_of(f | SIGCHLD, &p);
        int theirs = linux_clone_errno(f);
        cr_expect_eq(ours == 0 ? 0 : (int)-ours, theirs, "%s: picolx %lld, Linux errno %d", name_of(f),
                     (long long)ours, theirs);
    }
}

/* ---- px_task_clone: references taken, copies made, all given back ---- */

typedef struct fake_object {
    int refs;
    int kind;
    bool is_copy;
    bool cleared;
} fake_object;

static int copies_made, copies_to_fail = -1;

static void *fake_share(enum px_task_object kind, void *obj)
{
    (void)kind;
    ((fake_object *)obj)->refs++;
    return obj;
}

static void *fake_copy(enum px_task_object kind, void *obj, const px_task *child, enum px_clone_how how)
{
    (void)obj;
    cr_expect_neq(child->tid, 0, "the child's tid is set before its objects are made");
    if (copies_made++ == copies_to_fail) return NULL;
    fake_object *o = calloc(1, sizeof *o);
    o->refs = 1;
    o->kind = (int)kind;
    o->is_copy = true;
    o->cleared = how == PX_CLONE_COPY_CLEARED;
    return o;
}

static void fake_drop(enum px_task_object kind, void *obj)
{
    (void)kind;
    fake_object *o = obj;
    if (--o->refs == 0 && o->is_copy) free(o);
}

static const px_clone_ops fake_ops = {.share = fake_share, .copy = fake_copy, .drop = fake_drop};

static fake_object parent_objects[PX_OBJ_COUNT];

static px_task make_parent(void)
{
    px_task t = {0};
    t.tid = 100;
    t.sigmask = 0x5;
    t.altstack_sp = 0x7000;
    t.altstack_size = 0x4000;
    memcpy(t.comm, "parent", 7);
    t.comm_set = 1;
    for (int k = 0; k < PX_OBJ_COUNT; k++) {
        parent_objects[k] = (fake_object){.refs = 1, .kind = k};
        px_task_set_object(&t, (enum px_task_object)k, &parent_objects[k]);
    }
    return t;
}

Test(clone, task_clone_shares_and_copies_by_the_plan)
{
    for (int combo = 0; combo < 64; combo++) {
        uint64_t f = flags_of(combo);
        if (!linux_allows(f)) continue;
        px_task parent = make_parent();
        px_clone_plan plan;
        px_clone_plan_of(f | SIGCHLD, &plan);
        px_task *child = NULL;
        cr_assert_eq(px_task_clone(&parent, f | SIGCHLD, 101, &fake_ops, &child), 0, "%s", name_of(f));
        cr_expect_eq(child->tid, 101);
        cr_expect_eq(child->sigmask, 0x5, "%s: the mask is inherited", name_of(f));
        cr_expect_eq(child->pending, 0);
        cr_expect_str_eq(child->comm, "parent");
        cr_expect_eq(child->altstack_size, plan.keep_altstack ? 0x4000u : 0u, "%s: sigaltstack", name_of(f));
        for (int k = 0; k < PX_OBJ_COUNT; k++) {
            fake_object *mine = px_task_object(child, (enum px_task_object)k);
            if (plan.how[k] == PX_CLONE_SHARE) {
                cr_expect_eq(mine, &parent_objects[k], "%s: object %d shared", name_of(f), k);
                cr_expect_eq(parent_objects[k].refs, 2, "%s: object %d one more reference", name_of(f), k);
            } else {
                cr_expect(mine != &parent_objects[k] && mine->is_copy, "%s: object %d copied", name_of(f), k);
                cr_expect_eq(parent_objects[k].refs, 1, "%s: object %d untouched", name_of(f), k);
            }
        }
        px_task_release(child, &fake_ops);
        for (int k = 0; k < PX_OBJ_COUNT; k++)
            cr_expect_eq(parent_objects[k].refs, 1, "%s: object %d given back", name_of(f), k);
    }
}

Test(clone, task_clone_refuses_and_gives_back_on_failure)
{
    px_task parent = make_parent();
    px_task *child = NULL;
    cr_expect_eq(px_task_clone(&parent, LINUX_CLONE_SIGHAND, 101, &fake_ops, &child), -LINUX_EINVAL);
    cr_expect_null(child);
    /* fork: the second copy fails; the first copy and the shared cred go back */
    copies_made = 0;
    copies_to_fail = 1;
    cr_expect_eq(px_task_clone(&parent, SIGCHLD, 101, &fake_ops, &child), -LINUX_ENOMEM);
    copies_to_fail = -1;
    cr_expect_null(child);
    for (int k = 0; k < PX_OBJ_COUNT; k++) cr_expect_eq(parent_objects[k].refs, 1, "object %d given back", k);
    /* CLONE_CLEAR_SIGHAND reaches the sighand copy */
    cr_assert_eq(px_task_clone(&parent, LINUX_CLONE_CLEAR_SIGHAND | SIGCHLD, 101, &fake_ops, &child), 0);
    cr_expect(((fake_object *)child->sighand)->cleared);
    px_task_release(child, &fake_ops);
}
