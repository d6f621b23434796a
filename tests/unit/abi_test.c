/* abi/: the Linux structures picolx defines for itself, compared field by field with the
   native x86-64 Linux headers' (glibc and the kernel's uapi), since these tests run on
   x86-64 Linux. */
#define _GNU_SOURCE
/* ours first: glibc's headers define field names such as sa_handler as macros */
#include "linux_consts.h"
#include "linux_errno.h"
#include "linux_event.h"
#include "linux_sched.h"
#include "linux_signal.h"
#include "linux_socket.h"
#include "linux_types.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <sys/ucontext.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/inotify.h>
#include <sys/time.h>
#include <time.h>
#include <linux/sched.h>

#define SAME_SIZE(ours, theirs) \
    cr_expect_eq(sizeof(ours), sizeof(theirs), "sizeof(" #ours ") = %zu, sizeof(" #theirs ") = %zu", \
                 sizeof(ours), sizeof(theirs))
#define SAME_OFFSET(ours, ofield, theirs, tfield) \
    cr_expect_eq(offsetof(ours, ofield), offsetof(theirs, tfield), #ours "." #ofield " at %zu, " #theirs \
                 "." #tfield " at %zu", offsetof(ours, ofield), offsetof(theirs, tfield))
#define SAME_FIELD(ours, theirs, field) SAME_OFFSET(ours, field, theirs, field)
#define SAME_VALUE(ours, theirs) \
    cr_expect_eq((long long)(ours), (long long)(theirs), #ours " = %lld, " #theirs " = %lld", \
                 (long long)(ours), (long long)(theirs))

Test(abi, siginfo)
{
    typedef struct linux_siginfo ls;
    SAME_SIZE(ls, siginfo_t);
    SAME_FIELD(ls, siginfo_t, si_signo);
    SAME_FIELD(ls, siginfo_t, si_errno);
    SAME_FIELD(ls, siginfo_t, si_code);
    SAME_OFFSET(ls, kill.pid, siginfo_t, si_pid);
    SAME_OFFSET(ls, kill.uid, siginfo_t, si_uid);
    SAME_OFFSET(ls, timer.tid, siginfo_t, si_timerid);
    SAME_OFFSET(ls, timer.overrun, siginfo_t, si_overrun);
    SAME_OFFSET(ls, timer.sigval, siginfo_t, si_value); /* glibc names only the rt one */
    SAME_OFFSET(ls, rt.pid, siginfo_t, si_pid);
    SAME_OFFSET(ls, rt.sigval, siginfo_t, si_value);
    SAME_OFFSET(ls, rt.sigval.sival_int, siginfo_t, si_int);
    SAME_OFFSET(ls, rt.sigval.sival_ptr, siginfo_t, si_ptr);
    SAME_OFFSET(ls, sigchld.pid, siginfo_t, si_pid);
    SAME_OFFSET(ls, sigchld.status, siginfo_t, si_status);
    SAME_OFFSET(ls, sigchld.utime, siginfo_t, si_utime);
    SAME_OFFSET(ls, sigchld.stime, siginfo_t, si_stime);
    SAME_OFFSET(ls, sigfault.addr, siginfo_t, si_addr);
    SAME_OFFSET(ls, sigfault.addr_lsb, siginfo_t, si_addr_lsb);
    SAME_OFFSET(ls, sigfault.addr_bnd.lower, siginfo_t, si_lower);
    SAME_OFFSET(ls, sigfault.addr_bnd.upper, siginfo_t, si_upper);
    SAME_OFFSET(ls, sigfault.addr_pkey.pkey, siginfo_t, si_pkey);
    SAME_OFFSET(ls, sigpoll.band, siginfo_t, si_band);
    SAME_OFFSET(ls, sigpoll.fd, siginfo_t, si_fd);
    SAME_OFFSET(ls, sigsys.call_addr, siginfo_t, si_call_addr);
    SAME_OFFSET(ls, sigsys.syscall, siginfo_t, si_syscall);
    SAME_OFFSET(ls, sigsys.arch, siginfo_t, si_arch);
}

Test(abi, sigcontext_and_mcontext)
{
    typedef struct linux_sigcontext sc;
    SAME_SIZE(sc, struct sigcontext);
    SAME_SIZE(sc, mcontext_t);
#define REG(ours, glibc_index) \
    cr_expect_eq(offsetof(sc, ours), (size_t)(glibc_index) * 8, #ours " at %zu, gregs[" #glibc_index "] at %zu", \
                 offsetof(sc, ours), (size_t)(glibc_index) * 8); \
    SAME_FIELD(sc, struct sigcontext, ours)
    REG(r8, REG_R8); REG(r9, REG_R9); REG(r10, REG_R10); REG(r11, REG_R11);
    REG(r12, REG_R12); REG(r13, REG_R13); REG(r14, REG_R14); REG(r15, REG_R15);
    REG(rdi, REG_RDI); REG(rsi, REG_RSI); REG(rbp, REG_RBP); REG(rbx, REG_RBX);
    REG(rdx, REG_RDX); REG(rax, REG_RAX); REG(rcx, REG_RCX); REG(rsp, REG_RSP);
    REG(rip, REG_RIP); REG(eflags, REG_EFL); REG(cs, REG_CSGSFS); REG(err, REG_ERR);
    REG(trapno, REG_TRAPNO); REG(oldmask, REG_OLDMASK); REG(cr2, REG_CR2);
#undef REG
    SAME_FIELD(sc, struct sigcontext, gs);
    SAME_FIELD(sc, struct sigcontext, fs);
    SAME_OFFSET(sc, ss, struct sigcontext, __pad0);
    SAME_FIELD(sc, struct sigcontext, fpstate);
    SAME_OFFSET(sc, fpstate, mcontext_t, fpregs);
    SAME_OFFSET(sc, reserved1, mcontext_t, __reserved1);
}

Test(abi, fpstate_and_xstate)
{
    typedef struct linux_fpstate fp;
    SAME_SIZE(fp, struct _fpstate);
    SAME_SIZE(fp, struct _libc_fpstate);
    SAME_FIELD(fp, struct _fpstate, cwd);
    SAME_FIELD(fp, struct _fpstate, swd);
    SAME_OFFSET(fp, twd, struct _fpstate, ftw);
    SAME_FIELD(fp, struct _fpstate, fop);
    SAME_FIELD(fp, struct _fpstate, rip);
    SAME_FIELD(fp, struct _fpstate, rdp);
    SAME_FIELD(fp, struct _fpstate, mxcsr);
    SAME_OFFSET(fp, mxcsr_mask, struct _fpstate, mxcr_mask);
    SAME_OFFSET(fp, st_space, struct _fpstate, _st);
    SAME_OFFSET(fp, xmm_space, struct _fpstate, _xmm);
    SAME_OFFSET(fp, xmm_space, struct _libc_fpstate, _xmm);
    /* sw_reserved: the last 48 bytes, which glibc leaves in its reserved array */
    cr_expect_eq(offsetof(fp, sw_reserved), sizeof(struct _fpstate) - sizeof(struct _fpx_sw_bytes));
    typedef struct linux_fpx_sw_bytes sw;
    SAME_SIZE(sw, struct _fpx_sw_bytes);
    SAME_FIELD(sw, struct _fpx_sw_bytes, magic1);
    SAME_FIELD(sw, struct _fpx_sw_bytes, extended_size);
    SAME_OFFSET(sw, xfeatures, struct _fpx_sw_bytes, xstate_bv);
    SAME_FIELD(sw, struct _fpx_sw_bytes, xstate_size);
    SAME_VALUE(LINUX_FP_XSTATE_MAGIC1, FP_XSTATE_MAGIC1);
    SAME_VALUE(LINUX_FP_XSTATE_MAGIC2, FP_XSTATE_MAGIC2);
    SAME_VALUE(LINUX_FP_XSTATE_MAGIC2_SIZE, FP_XSTATE_MAGIC2_SIZE);
    typedef struct linux_xstate xs;
    SAME_SIZE(xs, struct _xstate);
    SAME_OFFSET(xs, header, struct _xstate, xstate_hdr);
    SAME_OFFSET(xs, header.xfeatures, struct _xstate, xstate_hdr.xstate_bv);
    SAME_OFFSET(xs, ymmh_space, struct _xstate, ymmh);
    SAME_SIZE(struct linux_xstate_header, struct _xsave_hdr);
}

Test(abi, ucontext_and_stack)
{
    typedef struct linux_ucontext uc;
    SAME_FIELD(uc, ucontext_t, uc_flags);
    SAME_FIELD(uc, ucontext_t, uc_link);
    SAME_FIELD(uc, ucontext_t, uc_stack);
    SAME_FIELD(uc, ucontext_t, uc_mcontext);
    SAME_FIELD(uc, ucontext_t, uc_sigmask);
    /* the kernel's sigset is 8 bytes; glibc's 128-byte sigset_t and its FPU copy follow */
    cr_expect_eq(sizeof(uc), offsetof(ucontext_t, uc_sigmask) + LINUX_SIGSET_SIZE);
    typedef struct linux_stack_t st;
    SAME_SIZE(st, stack_t);
    SAME_FIELD(st, stack_t, ss_sp);
    SAME_FIELD(st, stack_t, ss_flags);
    SAME_FIELD(st, stack_t, ss_size);
    SAME_VALUE(LINUX_SS_ONSTACK, SS_ONSTACK);
    SAME_VALUE(LINUX_SS_DISABLE, SS_DISABLE);
    SAME_VALUE(LINUX_SA_SIGINFO, SA_SIGINFO);
    SAME_VALUE(LINUX_SA_ONSTACK, SA_ONSTACK);
    SAME_VALUE(LINUX_SA_RESTART, SA_RESTART);
    SAME_VALUE(LINUX_SA_NODEFER, SA_NODEFER);
    SAME_VALUE(LINUX_SA_RESETHAND, SA_RESETHAND);
    SAME_VALUE(LINUX_SA_NOCLDSTOP, SA_NOCLDSTOP);
    SAME_VALUE(LINUX_SA_NOCLDWAIT, SA_NOCLDWAIT);
    SAME_VALUE(LINUX_SI_USER, SI_USER);
    SAME_VALUE(LINUX_SI_KERNEL, SI_KERNEL);
    SAME_VALUE(LINUX_SI_QUEUE, SI_QUEUE);
    SAME_VALUE(LINUX_SI_TIMER, SI_TIMER);
    SAME_VALUE(LINUX_SI_TKILL, SI_TKILL);
    SAME_VALUE(LINUX_SEGV_MAPERR, SEGV_MAPERR);
    SAME_VALUE(LINUX_SEGV_ACCERR, SEGV_ACCERR);
    SAME_VALUE(LINUX_BUS_ADRERR, BUS_ADRERR);
    SAME_VALUE(LINUX_FPE_INTDIV, FPE_INTDIV);
    SAME_VALUE(LINUX_ILL_ILLOPC, ILL_ILLOPC);
    SAME_VALUE(LINUX_TRAP_BRKPT, TRAP_BRKPT);
    SAME_VALUE(LINUX_CLD_EXITED, CLD_EXITED);
    SAME_VALUE(LINUX_CLD_CONTINUED, CLD_CONTINUED);
    SAME_VALUE(LINUX_SIGSYS, SIGSYS);
    SAME_VALUE(LINUX_SIGRTMAX, _NSIG - 1);
}

Test(abi, rt_sigframe)
{
    /* Linux puts pretcode at the handler's rsp, the ucontext right after it, then the
       siginfo: the offsets glibc's and musl's sigreturn trampolines rely on. */
    cr_expect_eq(offsetof(struct linux_rt_sigframe, uc), 8);
    cr_expect_eq(offsetof(struct linux_rt_sigframe, info), 8 + sizeof(struct linux_ucontext));
    cr_expect_eq(sizeof(struct linux_rt_sigframe) % 8, 0);
}

Test(abi, signalfd_siginfo)
{
    typedef struct linux_signalfd_siginfo s;
    typedef struct signalfd_siginfo n;
    SAME_SIZE(s, n);
    SAME_FIELD(s, n, ssi_signo); SAME_FIELD(s, n, ssi_code); SAME_FIELD(s, n, ssi_pid);
    SAME_FIELD(s, n, ssi_fd); SAME_FIELD(s, n, ssi_tid); SAME_FIELD(s, n, ssi_overrun);
    SAME_FIELD(s, n, ssi_status); SAME_FIELD(s, n, ssi_int); SAME_FIELD(s, n, ssi_ptr);
    SAME_FIELD(s, n, ssi_utime); SAME_FIELD(s, n, ssi_stime); SAME_FIELD(s, n, ssi_addr);
    SAME_FIELD(s, n, ssi_addr_lsb); SAME_FIELD(s, n, ssi_syscall); SAME_FIELD(s, n, ssi_call_addr);
    SAME_FIELD(s, n, ssi_arch);
    SAME_VALUE(LINUX_SFD_CLOEXEC, SFD_CLOEXEC);
    SAME_VALUE(LINUX_SFD_NONBLOCK, SFD_NONBLOCK);
}

Test(abi, clone_args)
{
    typedef struct linux_clone_args a;
    typedef struct clone_args k;
    SAME_SIZE(a, k);
    SAME_FIELD(a, k, flags); SAME_FIELD(a, k, pidfd); SAME_FIELD(a, k, child_tid);
    SAME_FIELD(a, k, parent_tid); SAME_FIELD(a, k, exit_signal); SAME_FIELD(a, k, stack);
    SAME_FIELD(a, k, stack_size); SAME_FIELD(a, k, tls); SAME_FIELD(a, k, set_tid);
    SAME_FIELD(a, k, set_tid_size); SAME_FIELD(a, k, cgroup);
    SAME_VALUE(LINUX_CLONE_ARGS_SIZE_VER0, CLONE_ARGS_SIZE_VER0);
    SAME_VALUE(LINUX_CLONE_ARGS_SIZE_VER1, CLONE_ARGS_SIZE_VER1);
    SAME_VALUE(LINUX_CLONE_ARGS_SIZE_VER2, CLONE_ARGS_SIZE_VER2);
    SAME_VALUE(LINUX_CLONE_VM, CLONE_VM);
    SAME_VALUE(LINUX_CLONE_THREAD, CLONE_THREAD);
    SAME_VALUE(LINUX_CLONE_CLEAR_SIGHAND, CLONE_CLEAR_SIGHAND);
    SAME_VALUE(LINUX_CLONE_INTO_CGROUP, CLONE_INTO_CGROUP);
}

Test(abi, rusage_and_timers)
{
    typedef struct linux_rusage r;
    SAME_SIZE(r, struct rusage);
    SAME_FIELD(r, struct rusage, ru_utime); SAME_FIELD(r, struct rusage, ru_stime);
    SAME_FIELD(r, struct rusage, ru_maxrss); SAME_FIELD(r, struct rusage, ru_minflt);
    SAME_FIELD(r, struct rusage, ru_inblock); SAME_FIELD(r, struct rusage, ru_nsignals);
    SAME_FIELD(r, struct rusage, ru_nvcsw); SAME_FIELD(r, struct rusage, ru_nivcsw);
    SAME_SIZE(struct linux_itimerspec, struct itimerspec);
    SAME_FIELD(struct linux_itimerspec, struct itimerspec, it_interval);
    SAME_FIELD(struct linux_itimerspec, struct itimerspec, it_value);
    SAME_SIZE(struct linux_itimerval, struct itimerval);
    SAME_FIELD(struct linux_itimerval, struct itimerval, it_interval);
    SAME_FIELD(struct linux_itimerval, struct itimerval, it_value);
    SAME_VALUE(LINUX_ITIMER_REAL, ITIMER_REAL);
    SAME_VALUE(LINUX_ITIMER_PROF, ITIMER_PROF);
    SAME_SIZE(struct linux_sigevent, struct sigevent);
    SAME_FIELD(struct linux_sigevent, struct sigevent, sigev_value);
    SAME_FIELD(struct linux_sigevent, struct sigevent, sigev_signo);
    SAME_FIELD(struct linux_sigevent, struct sigevent, sigev_notify);
    SAME_VALUE(LINUX_SIGEV_THREAD_ID, SIGEV_THREAD_ID);
}

Test(abi, sockets)
{
    SAME_SIZE(struct linux_sockaddr, struct sockaddr);
    SAME_SIZE(struct linux_sockaddr_storage, struct sockaddr_storage);
    typedef struct linux_sockaddr_in in4;
    SAME_SIZE(in4, struct sockaddr_in);
    SAME_FIELD(in4, struct sockaddr_in, sin_family);
    SAME_FIELD(in4, struct sockaddr_in, sin_port);
    SAME_FIELD(in4, struct sockaddr_in, sin_addr);
    SAME_FIELD(in4, struct sockaddr_in, sin_zero);
    typedef struct linux_sockaddr_in6 in6;
    SAME_SIZE(in6, struct sockaddr_in6);
    SAME_FIELD(in6, struct sockaddr_in6, sin6_family);
    SAME_FIELD(in6, struct sockaddr_in6, sin6_port);
    SAME_FIELD(in6, struct sockaddr_in6, sin6_flowinfo);
    SAME_FIELD(in6, struct sockaddr_in6, sin6_addr);
    SAME_FIELD(in6, struct sockaddr_in6, sin6_scope_id);
    typedef struct linux_sockaddr_un un;
    SAME_SIZE(un, struct sockaddr_un);
    SAME_FIELD(un, struct sockaddr_un, sun_family);
    SAME_FIELD(un, struct sockaddr_un, sun_path);
    typedef struct linux_msghdr mh;
    SAME_SIZE(mh, struct msghdr);
    SAME_FIELD(mh, struct msghdr, msg_name); SAME_FIELD(mh, struct msghdr, msg_namelen);
    SAME_FIELD(mh, struct msghdr, msg_iov); SAME_FIELD(mh, struct msghdr, msg_iovlen);
    SAME_FIELD(mh, struct msghdr, msg_control); SAME_FIELD(mh, struct msghdr, msg_controllen);
    SAME_FIELD(mh, struct msghdr, msg_flags);
    SAME_SIZE(struct linux_mmsghdr, struct mmsghdr);
    SAME_FIELD(struct linux_mmsghdr, struct mmsghdr, msg_len);
    typedef struct linux_cmsghdr ch;
    SAME_SIZE(ch, struct cmsghdr);
    SAME_FIELD(ch, struct cmsghdr, cmsg_len); SAME_FIELD(ch, struct cmsghdr, cmsg_level);
    SAME_FIELD(ch, struct cmsghdr, cmsg_type);
    SAME_VALUE(LINUX_CMSG_LEN(4), CMSG_LEN(4));
    SAME_VALUE(LINUX_CMSG_SPACE(4), CMSG_SPACE(4));
    SAME_VALUE(LINUX_CMSG_SPACE(12), CMSG_SPACE(12));
    SAME_SIZE(struct linux_ucred, struct ucred);
    SAME_SIZE(struct linux_linger, struct linger);
    SAME_VALUE(LINUX_AF_UNIX, AF_UNIX); SAME_VALUE(LINUX_AF_INET, AF_INET);
    SAME_VALUE(LINUX_AF_INET6, AF_INET6); SAME_VALUE(LINUX_AF_NETLINK, AF_NETLINK);
    SAME_VALUE(LINUX_SOCK_STREAM, SOCK_STREAM); SAME_VALUE(LINUX_SOCK_DGRAM, SOCK_DGRAM);
    SAME_VALUE(LINUX_SOCK_SEQPACKET, SOCK_SEQPACKET);
    SAME_VALUE(LINUX_SOCK_NONBLOCK, SOCK_NONBLOCK); SAME_VALUE(LINUX_SOCK_CLOEXEC, SOCK_CLOEXEC);
    SAME_VALUE(LINUX_SOL_SOCKET, SOL_SOCKET); SAME_VALUE(LINUX_SCM_RIGHTS, SCM_RIGHTS);
    SAME_VALUE(LINUX_SO_ERROR, SO_ERROR); SAME_VALUE(LINUX_SO_PEERCRED, SO_PEERCRED);
    SAME_VALUE(LINUX_SO_RCVTIMEO, SO_RCVTIMEO); SAME_VALUE(LINUX_SO_PROTOCOL, SO_PROTOCOL);
    SAME_VALUE(LINUX_MSG_NOSIGNAL, MSG_NOSIGNAL); SAME_VALUE(LINUX_MSG_DONTWAIT, MSG_DONTWAIT);
    SAME_VALUE(LINUX_MSG_CMSG_CLOEXEC, MSG_CMSG_CLOEXEC); SAME_VALUE(LINUX_MSG_WAITFORONE, MSG_WAITFORONE);
}

Test(abi, epoll_and_inotify)
{
    typedef struct linux_epoll_event e;
    SAME_SIZE(e, struct epoll_event);
    SAME_FIELD(e, struct epoll_event, events);
    SAME_FIELD(e, struct epoll_event, data);
    SAME_VALUE(LINUX_EPOLLIN, EPOLLIN); SAME_VALUE(LINUX_EPOLLRDHUP, EPOLLRDHUP);
    SAME_VALUE(LINUX_EPOLLET, EPOLLET); SAME_VALUE(LINUX_EPOLLONESHOT, EPOLLONESHOT);
    SAME_VALUE(LINUX_EPOLLEXCLUSIVE, EPOLLEXCLUSIVE); SAME_VALUE(LINUX_EPOLL_CLOEXEC, EPOLL_CLOEXEC);
    SAME_VALUE(LINUX_EPOLL_CTL_MOD, EPOLL_CTL_MOD);
    typedef struct linux_inotify_event i;
    SAME_SIZE(i, struct inotify_event);
    SAME_FIELD(i, struct inotify_event, wd); SAME_FIELD(i, struct inotify_event, mask);
    SAME_FIELD(i, struct inotify_event, cookie); SAME_FIELD(i, struct inotify_event, len);
    SAME_FIELD(i, struct inotify_event, name);
    SAME_VALUE(LINUX_IN_CLOSE_WRITE, IN_CLOSE_WRITE); SAME_VALUE(LINUX_IN_MOVED_TO, IN_MOVED_TO);
    SAME_VALUE(LINUX_IN_ISDIR, IN_ISDIR); SAME_VALUE(LINUX_IN_MASK_CREATE, IN_MASK_CREATE);
    SAME_VALUE(LINUX_IN_NONBLOCK, IN_NONBLOCK);
}

/* Every errno the header names has glibc's value. */
Test(abi, errno_values)
{
#define CHECK_ERRNO(name, value) SAME_VALUE(LINUX_##name, name);
    LINUX_ERRNO_LIST(CHECK_ERRNO)
#undef CHECK_ERRNO
    SAME_VALUE(LINUX_EWOULDBLOCK, EWOULDBLOCK);
    SAME_VALUE(LINUX_EDEADLOCK, EDEADLOCK);
}
