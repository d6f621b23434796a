/* Linux x86-64 ABI structures: fixed-width fields, no host headers, each layout asserted.
   Linux `long` is 64-bit; Windows is LLP64, so never use `long` here. */
#ifndef PX_ABI_LINUX_TYPES_H
#define PX_ABI_LINUX_TYPES_H

#include <stddef.h>
#include <stdint.h>

#define PX_ABI_ASSERT_SIZE(type, size) _Static_assert(sizeof(type) == (size), #type " has the wrong size")
#define PX_ABI_ASSERT_OFFSET(type, field, off) \
    _Static_assert(offsetof(type, field) == (off), #type "." #field " has the wrong offset")

struct linux_timespec {
    int64_t tv_sec;
    int64_t tv_nsec;
};
PX_ABI_ASSERT_SIZE(struct linux_timespec, 16);

struct linux_timeval {
    int64_t tv_sec;
    int64_t tv_usec;
};
PX_ABI_ASSERT_SIZE(struct linux_timeval, 16);

struct linux_timezone {
    int32_t tz_minuteswest;
    int32_t tz_dsttime;
};
PX_ABI_ASSERT_SIZE(struct linux_timezone, 8);

/* struct stat as the x86-64 kernel fills it (asm/stat.h). */
struct linux_stat {
    uint64_t st_dev;
    uint64_t st_ino;
    uint64_t st_nlink;
    uint32_t st_mode;
    uint32_t st_uid;
    uint32_t st_gid;
    uint32_t __pad0;
    uint64_t st_rdev;
    int64_t st_size;
    int64_t st_blksize;
    int64_t st_blocks;
    uint64_t st_atime_sec;
    uint64_t st_atime_nsec;
    uint64_t st_mtime_sec;
    uint64_t st_mtime_nsec;
    uint64_t st_ctime_sec;
    uint64_t st_ctime_nsec;
    int64_t __unused[3];
};
PX_ABI_ASSERT_SIZE(struct linux_stat, 144);
PX_ABI_ASSERT_OFFSET(struct linux_stat, st_mode, 24);
PX_ABI_ASSERT_OFFSET(struct linux_stat, st_size, 48);
PX_ABI_ASSERT_OFFSET(struct linux_stat, st_mtime_sec, 88);

struct linux_statx_timestamp {
    int64_t tv_sec;
    uint32_t tv_nsec;
    int32_t __reserved;
};
PX_ABI_ASSERT_SIZE(struct linux_statx_timestamp, 16);

struct linux_statx {
    uint32_t stx_mask;
    uint32_t stx_blksize;
    uint64_t stx_attributes;
    uint32_t stx_nlink;
    uint32_t stx_uid;
    uint32_t stx_gid;
    uint16_t stx_mode;
    uint16_t __spare0;
    uint64_t stx_ino;
    uint64_t stx_size;
    uint64_t stx_blocks;
    uint64_t stx_attributes_mask;
    struct linux_statx_timestamp stx_atime;
    struct linux_statx_timestamp stx_btime;
    struct linux_statx_timestamp stx_ctime;
    struct linux_statx_timestamp stx_mtime;
    uint32_t stx_rdev_major;
    uint32_t stx_rdev_minor;
    uint32_t stx_dev_major;
    uint32_t stx_dev_minor;
    uint64_t __spare2[14];
};
PX_ABI_ASSERT_SIZE(struct linux_statx, 256);
PX_ABI_ASSERT_OFFSET(struct linux_statx, stx_ino, 32);
PX_ABI_ASSERT_OFFSET(struct linux_statx, stx_atime, 64);
PX_ABI_ASSERT_OFFSET(struct linux_statx, stx_rdev_major, 128);

/* getdents64 record header; d_name follows, NUL-terminated, record 8-byte aligned. */
struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    uint16_t d_reclen;
    uint8_t d_type;
    char d_name[];
};
PX_ABI_ASSERT_OFFSET(struct linux_dirent64, d_name, 19);

struct linux_iovec {
    uint64_t iov_base;
    uint64_t iov_len;
};
PX_ABI_ASSERT_SIZE(struct linux_iovec, 16);

#define LINUX_UTSNAME_LEN 65
struct linux_utsname {
    char sysname[LINUX_UTSNAME_LEN];
    char nodename[LINUX_UTSNAME_LEN];
    char release[LINUX_UTSNAME_LEN];
    char version[LINUX_UTSNAME_LEN];
    char machine[LINUX_UTSNAME_LEN];
    char domainname[LINUX_UTSNAME_LEN];
};
PX_ABI_ASSERT_SIZE(struct linux_utsname, 390);

struct linux_sysinfo {
    int64_t uptime;
    uint64_t loads[3];
    uint64_t totalram;
    uint64_t freeram;
    uint64_t sharedram;
    uint64_t bufferram;
    uint64_t totalswap;
    uint64_t freeswap;
    uint16_t procs;
    uint16_t pad;
    uint32_t pad2;
    uint64_t totalhigh;
    uint64_t freehigh;
    uint32_t mem_unit;
    char _f[4];
};
PX_ABI_ASSERT_SIZE(struct linux_sysinfo, 112);
PX_ABI_ASSERT_OFFSET(struct linux_sysinfo, procs, 80);
PX_ABI_ASSERT_OFFSET(struct linux_sysinfo, mem_unit, 104);

struct linux_rlimit {
    uint64_t rlim_cur;
    uint64_t rlim_max;
};
PX_ABI_ASSERT_SIZE(struct linux_rlimit, 16);
#define LINUX_RLIM_INFINITY UINT64_MAX

/* The kernel's struct termios (TCGETS), not glibc's larger one. */
#define LINUX_NCCS 19
struct linux_termios {
    uint32_t c_iflag;
    uint32_t c_oflag;
    uint32_t c_cflag;
    uint32_t c_lflag;
    uint8_t c_line;
    uint8_t c_cc[LINUX_NCCS];
};
PX_ABI_ASSERT_SIZE(struct linux_termios, 36);

struct linux_winsize {
    uint16_t ws_row;
    uint16_t ws_col;
    uint16_t ws_xpixel;
    uint16_t ws_ypixel;
};
PX_ABI_ASSERT_SIZE(struct linux_winsize, 8);

/* The kernel's struct sigaction for rt_sigaction (sa_mask is sigsetsize = 8 bytes). */
struct linux_sigaction {
    uint64_t sa_handler;
    uint64_t sa_flags;
    uint64_t sa_restorer;
    uint64_t sa_mask;
};
PX_ABI_ASSERT_SIZE(struct linux_sigaction, 32);

/* stack_t of sigaltstack(2). */
struct linux_stack_t {
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t pad;
    uint64_t ss_size;
};
PX_ABI_ASSERT_SIZE(struct linux_stack_t, 24);

/* ELF64 auxiliary vector entry. */
struct linux_auxv {
    uint64_t a_type;
    uint64_t a_val;
};
PX_ABI_ASSERT_SIZE(struct linux_auxv, 16);

/* getrusage(2) */
struct linux_rusage {
    struct linux_timeval ru_utime;
    struct linux_timeval ru_stime;
    int64_t ru_maxrss;   /* KiB */
    int64_t ru_ixrss, ru_idrss, ru_isrss;
    int64_t ru_minflt, ru_majflt, ru_nswap;
    int64_t ru_inblock, ru_oublock;
    int64_t ru_msgsnd, ru_msgrcv, ru_nsignals;
    int64_t ru_nvcsw, ru_nivcsw;
};
PX_ABI_ASSERT_SIZE(struct linux_rusage, 144);
PX_ABI_ASSERT_OFFSET(struct linux_rusage, ru_maxrss, 32);

/* times(2): in clock ticks (USER_HZ = 100) */
struct linux_tms {
    int64_t tms_utime, tms_stime, tms_cutime, tms_cstime;
};
PX_ABI_ASSERT_SIZE(struct linux_tms, 32);
#define LINUX_USER_HZ 100

/* poll(2), ppoll(2) */
struct linux_pollfd {
    int32_t fd;
    int16_t events;
    int16_t revents;
};
PX_ABI_ASSERT_SIZE(struct linux_pollfd, 8);
PX_ABI_ASSERT_OFFSET(struct linux_pollfd, revents, 6);
#define LINUX_POLLIN 0x0001
#define LINUX_POLLPRI 0x0002
#define LINUX_POLLOUT 0x0004
#define LINUX_POLLERR 0x0008
#define LINUX_POLLHUP 0x0010
#define LINUX_POLLNVAL 0x0020
#define LINUX_POLLRDNORM 0x0040
#define LINUX_POLLRDBAND 0x0080
#define LINUX_POLLWRNORM 0x0100
#define LINUX_POLLWRBAND 0x0200
#define LINUX_POLLRDHUP 0x2000

/* select(2), pselect6(2): a bitmap of FD_SETSIZE bits in 64-bit words */
#define LINUX_FD_SETSIZE 1024
struct linux_fd_set {
    uint64_t bits[LINUX_FD_SETSIZE / 64];
};
PX_ABI_ASSERT_SIZE(struct linux_fd_set, 128);

/* struct statfs as the x86-64 kernel fills it (asm-generic/statfs.h, 64-bit longs). */
struct linux_statfs {
    int64_t f_type;
    int64_t f_bsize;
    uint64_t f_blocks;
    uint64_t f_bfree;
    uint64_t f_bavail;
    uint64_t f_files;
    uint64_t f_ffree;
    int32_t f_fsid[2];
    int64_t f_namelen;
    int64_t f_frsize;
    int64_t f_flags;
    int64_t f_spare[4];
};
PX_ABI_ASSERT_SIZE(struct linux_statfs, 120);
PX_ABI_ASSERT_OFFSET(struct linux_statfs, f_fsid, 56);
PX_ABI_ASSERT_OFFSET(struct linux_statfs, f_namelen, 64);

/* struct flock for fcntl F_GETLK/F_SETLK(W)/F_OFD_* */
struct linux_flock {
    int16_t l_type;
    int16_t l_whence;
    int32_t __pad0;
    int64_t l_start;
    int64_t l_len;
    int32_t l_pid;
    int32_t __pad1;
};
PX_ABI_ASSERT_SIZE(struct linux_flock, 32);
PX_ABI_ASSERT_OFFSET(struct linux_flock, l_start, 8);
PX_ABI_ASSERT_OFFSET(struct linux_flock, l_pid, 24);

/* openat2(2)'s struct open_how */
struct linux_open_how {
    uint64_t flags;
    uint64_t mode;
    uint64_t resolve;
};
PX_ABI_ASSERT_SIZE(struct linux_open_how, 24);

/* utime(2)'s struct utimbuf */
struct linux_utimbuf {
    int64_t actime;
    int64_t modtime;
};
PX_ABI_ASSERT_SIZE(struct linux_utimbuf, 16);

#endif
