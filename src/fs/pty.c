/* Pseudo-terminals: /dev/ptmx makes a master, /dev/pts/N (or TIOCGPTPEER) its slave.
   The bytes go through a crossed pair of pipe_ring.c rings (end 0 the master, end 1 the
   slave), so a pty works between picolx processes and goes through fork and execve as a
   pipe does. What both sides share is a named section per pty, "Local\picolx-pty-<N>"
   (pty_shared): the termios, the window size, the lock, the session and foreground group
   it is the terminal of, the canonical line being typed, and the echo.

   The line discipline (Linux's n_tty, as far as programs look at it) runs in the writer:
   - the master's write is typed input: ICRNL/INLCR/IGNCR/ISTRIP, ISIG's VINTR, VQUIT and
     VSUSP (the signal to the foreground group, the character dropped), and with ICANON the
     line edited in pty_shared (VERASE, VKILL) and put into the ring whole at '\n', VEOL,
     VEOL2 or VEOF; without it each byte goes in as it comes. Echo (ECHO, ECHOE, ECHOK,
     ECHOKE, ECHOCTL, ECHONL) goes to the master's echo buffer, which its read drains
     before the slave's output.
   - the slave's write is output: OPOST with ONLCR and OCRNL.
   - a canonical read of the slave returns at most one line: the ring holds only whole
     lines, and the positions where a VEOF ended one (marks) cut reads there; a mark with
     nothing before it is the end of file (a read of 0).
   Hang-ups are the rings' ends: when every slave is closed the master reads EIO (and
   polls POLLHUP); when the master is closed the slave reads 0 and writes EIO.

   Not here: opening /dev/pts/N in a process that holds neither the master it came from
   nor another open slave of it (the ring's tokens are in those processes only: ENXIO),
   VMIN > 1 and VTIME (a read returns what there is, at least a byte), flow control
   (IXON, TCXONC), packet mode, and a session's hang-up when its leader exits. */
#include <stdio.h>
#include "core/cred.h"
#include "core/errors.h"
#include "core/uaccess.h"
#include "fs/fd_handoff.h"
#include "fs/fs_internal.h"
#include "fs/pipe_ring.h"
#include "fs/pty.h"
#include "fs/shared_lock.h"
#include "host/host_mem.h"
#include "host/host_sync.h"

#define PTY_RING_CAPACITY (64u * 1024u)
#define LINE_MAX_BYTES 4095u      /* Linux's N_TTY_BUF_SIZE less one */
#define ECHO_MAX 4096u
#define MARKS_MAX 64u
#define SHARED_SIZE (16u * 1024u)
#define EOF_POLL_NS (20 * 1000000ll) /* a slave's wait notices a mark this soon */

/* termios bits (asm-generic/termbits.h) */
enum {
    IN_ISTRIP = 040, IN_INLCR = 0100, IN_IGNCR = 0200, IN_ICRNL = 0400, IN_IXON = 02000, IN_IUTF8 = 040000,
    OUT_OPOST = 01, OUT_ONLCR = 04, OUT_OCRNL = 010,
    CF_B38400 = 017, CF_CS8 = 060, CF_CREAD = 0200,
    LF_ISIG = 01, LF_ICANON = 02, LF_ECHO = 010, LF_ECHOE = 020, LF_ECHOK = 040, LF_ECHONL = 0100,
    LF_NOFLSH = 0200, LF_ECHOCTL = 01000, LF_ECHOKE = 04000, LF_IEXTEN = 0100000,
};
enum { CC_VINTR = 0, CC_VQUIT = 1, CC_VERASE = 2, CC_VKILL = 3, CC_VEOF = 4, CC_VTIME = 5, CC_VMIN = 6,
       CC_VSUSP = 10, CC_VEOL = 11, CC_VEOL2 = 16 };
/* ioctls of ptys only (asm-generic/ioctls.h) */
#define TIOCSCTTY 0x540Eu
#define TIOCOUTQ 0x5411u
#define TIOCNOTTY 0x5422u
#define TIOCGETD 0x5424u
#define TCSBRK 0x5409u
#define TCFLSH 0x540Bu
#define TIOCSBRK 0x5427u
#define TIOCCBRK 0x5428u
#define TCSBRKP 0x5425u
#define TIOCGPTN 0x80045430u
#define TIOCSPTLCK 0x40045431u
#define TIOCGPTLCK 0x80045439u
#define TIOCGPTPEER 0x5441u

typedef struct pty_shared {
    uint32_t lock;                 /* px_shared_lock: everything below */
    uint32_t read_lock;            /* a canonical read's look and take */
    uint32_t locked;               /* TIOCSPTLCK: no slave may be opened */
    uint32_t owner_uid;
    struct linux_termios termios;  /* the slave's, which the master's TCGETS shows too */
    struct linux_winsize winsize;
    int32_t sid, fg_pgid;          /* the session it is the terminal of (0: none), its foreground group */
    uint64_t pushed, taken;        /* bytes ever put into the slave's ring, ever read from it */
    uint64_t marks[MARKS_MAX];     /* positions (in pushed) where a VEOF ended a line */
    uint32_t mark_head, mark_count;
    uint32_t line_len, echo_len;
    char line[LINE_MAX_BYTES + 1];
    char echo[ECHO_MAX];
} pty_shared;
_Static_assert(sizeof(pty_shared) <= SHARED_SIZE, "the shared state fits its section");

typedef struct pty_end {
    int index;
    bool master;
    bool sent;                     /* handed to a new process: the section outlives us (parked) */
    px_file *rx, *tx;              /* the ring ends: what this side reads, what it writes */
    px_file *slave_rx, *slave_tx;  /* a new master's: the slave's ends until a slave file holds them */
    pty_shared *sh;
    px_host_handle section;
    px_stat_info st;               /* fstat's answer */
    px_stat_info slave_st;         /* a master's: what its slave's fstat says */
    struct pty_end *next;          /* this process's ends (opening /dev/pts/N); under ends_lock */
} pty_end;

/* job control is the task layer's (set once at start: px_pty_set_jobs) */
static const px_pty_jobs *jobs;
void px_pty_set_jobs(const px_pty_jobs *j) { jobs = j; }

static px_host_rwlock ends_lock = PX_HOST_RWLOCK_INIT;
static pty_end *ends;
static const px_file_ops pty_ops;

static pty_end *end_of(px_file *f) { return f->data; }

static void shared_name(int index, wchar_t *out, size_t cap)
{
    char name[48];
    snprintf(name, sizeof name, "Local\\picolx-pty-%d", index);
    size_t n = 0;
    for (; name[n] && n + 1 < cap; n++) out[n] = (wchar_t)name[n];
    out[n] = 0;
}

static bool is_canonical(const pty_shared *s) { return (s->termios.c_lflag & LF_ICANON) != 0; }

/* --- the default termios of a new pty, as Linux's tty_std_termios --- */

static void default_termios(struct linux_termios *t)
{
    memset(t, 0, sizeof *t);
    t->c_iflag = IN_ICRNL | IN_IXON;
    t->c_oflag = OUT_OPOST | OUT_ONLCR;
    t->c_cflag = CF_B38400 | CF_CS8 | CF_CREAD;
    t->c_lflag = LF_ISIG | LF_ICANON | LF_ECHO | LF_ECHOE | LF_ECHOK | LF_ECHOCTL | LF_ECHOKE | LF_IEXTEN;
    static const uint8_t cc[17] = {3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0};
    memcpy(t->c_cc, cc, sizeof cc);
}

/* --- echo and signals (called with sh->lock held) --- */

static void echo_bytes(pty_shared *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        /* echo is output: it gets the output processing */
        if ((s->termios.c_oflag & OUT_OPOST) && (s->termios.c_oflag & OUT_ONLCR) && c == '\n') {
            if (s->echo_len < ECHO_MAX) s->echo[s->echo_len++] = '\r';
        }
        if (s->echo_len < ECHO_MAX) s->echo[s->echo_len++] = c; /* a full buffer drops echo, as a full tty does */
    }
}

/* The echo of one typed character: control characters as ^X under ECHOCTL. */
static void echo_char(pty_shared *s, unsigned char c)
{
    if ((s->termios.c_lflag & LF_ECHOCTL) && (c < 0x20 || c == 0x7f) && c != '\t' && c != '\n') {
        char two[2] = {'^', (char)(c ^ 0x40)};
        echo_bytes(s, two, 2);
    } else {
        echo_bytes(s, (const char *)&c, 1);
    }
}

static void erase_one(pty_shared *s)
{
    if (!s->line_len) return;
    size_t n = 1;
    if (s->termios.c_iflag & IN_IUTF8) /* a whole UTF-8 character */
        while (n < s->line_len && ((unsigned char)s->line[s->line_len - n] & 0xc0) == 0x80) n++;
    s->line_len -= (uint32_t)n;
    if ((s->termios.c_lflag & LF_ECHO) && (s->termios.c_lflag & LF_ECHOE)) echo_bytes(s, "\b \b", 3);
}

/* --- the master's write: typed input --- */

/* Puts bytes into the slave's ring whole: n, PX_WOULD_BLOCK or -LINUX_EAGAIN (no room:
   nothing went in), -LINUX_EPIPE. Called with sh->lock held; n <= 4096 goes in at once. */
static int64_t push(pty_end *e, const char *p, size_t n, bool nonblock)
{
    if (!n) return 0;
    int64_t r = px_pipe_ring_send(e->tx, p, n, PX_RING_NONBLOCK);
    if (r == -LINUX_EAGAIN && !nonblock) {
        /* the ring's own blocking send enlists us for its room before it says so */
        r = px_pipe_ring_send(e->tx, p, n, 0);
    }
    if (r > 0) e->sh->pushed += (uint64_t)r;
    return r;
}

static void mark_line_end(pty_shared *s)
{
    if (s->mark_count == MARKS_MAX) return; /* so many unread ends of file: the oldest stay */
    s->marks[(s->mark_head + s->mark_count++) % MARKS_MAX] = s->pushed;
}

static void flush_input_locked(pty_end *e);

/* A signal character: the signal to the foreground group, the queues flushed. */
static void send_signal(pty_end *e, unsigned char c, int sig)
{
    pty_shared *s = e->sh;
    if (!(s->termios.c_lflag & LF_NOFLSH)) {
        s->line_len = 0;
        flush_input_locked(e);
    }
    if (s->termios.c_lflag & LF_ECHO) echo_char(s, c);
    int32_t pgid = s->fg_pgid;
    if (pgid > 0) {
        px_shared_unlock(&s->lock); /* the signal may wake someone who takes it */
        if (jobs) jobs->signal_group(pgid, sig);
        px_shared_lock(&s->lock);
    }
}

static int64_t master_write(px_file *f, const void *buf, uint64_t len)
{
    pty_end *e = end_of(f);
    pty_shared *s = e->sh;
    bool nonblock = (f->status_flags & LINUX_O_NONBLOCK) != 0;
    const unsigned char *in = buf;
    uint64_t done = 0;
    int64_t err = 0;
    bool marked = false;
    px_shared_lock(&s->lock);
    while (done < len && !err) {
        struct linux_termios t = s->termios;
        unsigned char c = in[done];
        if ((t.c_iflag & IN_ISTRIP)) c &= 0x7f;
        if (c == '\r' && (t.c_iflag & IN_IGNCR)) { done++; continue; }
        if (c == '\r' && (t.c_iflag & IN_ICRNL)) c = '\n';
        else if (c == '\n' && (t.c_iflag & IN_INLCR)) c = '\r';
        if (t.c_lflag & LF_ISIG) {
            int sig = c && c == t.c_cc[CC_VINTR] ? LINUX_SIGINT : c && c == t.c_cc[CC_VQUIT] ? LINUX_SIGQUIT
                      : c && c == t.c_cc[CC_VSUSP] ? LINUX_SIGTSTP : 0;
            if (sig) {
                send_signal(e, c, sig);
                done++;
                continue;
            }
        }
        bool echo = (t.c_lflag & LF_ECHO) != 0;
        if (!(t.c_lflag & LF_ICANON)) {
            int64_t r = push(e, (const char *)&c, 1, nonblock);
            if (r < 0) { err = r; break; }
            if (echo) echo_char(s, c);
            done++;
            continue;
        }
        if (c && c == t.c_cc[CC_VERASE]) {
            erase_one(s);
        } else if (c && c == t.c_cc[CC_VKILL]) {
            if (echo && (t.c_lflag & LF_ECHOKE)) {
                while (s->line_len) erase_one(s);
            } else {
                s->line_len = 0;
                if (echo && (t.c_lflag & LF_ECHOK)) echo_char(s, c), echo_bytes(s, "\n", 1);
            }
        } else if (c && c == t.c_cc[CC_VEOF]) {
            int64_t r = push(e, s->line, s->line_len, nonblock);
            if (r < 0) { err = r; break; }
            s->line_len = 0;
            mark_line_end(s);
            marked = true;
        } else if (c == '\n' || (c && (c == t.c_cc[CC_VEOL] || c == t.c_cc[CC_VEOL2]))) {
            if (s->line_len < sizeof s->line) s->line[s->line_len] = (char)c;
            int64_t r = push(e, s->line, s->line_len + 1u, nonblock);
            if (r < 0) { err = r; break; }
            s->line_len = 0;
            if (echo || (c == '\n' && (t.c_lflag & LF_ECHONL))) echo_char(s, c);
        } else {
            if (s->line_len < LINE_MAX_BYTES) { /* a full line takes no more, as Linux's */
                s->line[s->line_len++] = (char)c;
                if (echo) echo_char(s, c);
            }
        }
        done++;
    }
    bool echoed = s->echo_len != 0;
    px_shared_unlock(&s->lock);
    if (echoed) px_pipe_ring_wake_readers(e->rx); /* a reader of the master waits on that ring */
    if (marked) px_pipe_ring_wake_readers(e->tx); /* and the slave's on the other */
    if (done) return (int64_t)done;
    if (err == -LINUX_EPIPE) return -LINUX_EIO; /* no slave will ever read it */
    return err;
}

/* --- the slave's write: output --- */

static int64_t slave_write(px_file *f, const void *buf, uint64_t len)
{
    pty_end *e = end_of(f);
    bool nonblock = (f->status_flags & LINUX_O_NONBLOCK) != 0;
    const char *in = buf;
    uint64_t done = 0;
    while (done < len) {
        uint32_t oflag = __atomic_load_n(&e->sh->termios.c_oflag, __ATOMIC_RELAXED);
        bool onlcr = (oflag & OUT_OPOST) && (oflag & OUT_ONLCR), ocrnl = (oflag & OUT_OPOST) && (oflag & OUT_OCRNL);
        char out[4096]; /* up to PIPE_BUF: the ring takes it whole or not at all */
        size_t n = 0;
        uint64_t used = done;
        while (used < len && n + 2 <= sizeof out) {
            char c = in[used++];
            if (c == '\n' && onlcr) out[n++] = '\r';
            else if (c == '\r' && ocrnl) c = '\n';
            out[n++] = c;
        }
        int64_t r = px_pipe_ring_send(e->tx, out, n, nonblock ? PX_RING_NONBLOCK : 0);
        if (r < 0) {
            if (done) return (int64_t)done;
            return r == -LINUX_EPIPE ? -LINUX_EIO : r; /* the master is gone: a hang-up */
        }
        done = used;
    }
    return (int64_t)done;
}

/* --- reads --- */

static int64_t master_read(px_file *f, void *buf, uint64_t len)
{
    pty_end *e = end_of(f);
    pty_shared *s = e->sh;
    if (!len) return 0;
    px_shared_lock(&s->lock);
    if (s->echo_len) {
        size_t n = s->echo_len < len ? s->echo_len : (size_t)len;
        char copy[ECHO_MAX];
        memcpy(copy, s->echo, n);
        memmove(s->echo, s->echo + n, s->echo_len - n);
        s->echo_len -= (uint32_t)n;
        px_shared_unlock(&s->lock);
        return px_copy_out((uint64_t)(uintptr_t)buf, copy, n) < 0 ? -LINUX_EFAULT : (int64_t)n;
    }
    px_shared_unlock(&s->lock);
    uint64_t whole;
    bool ended = false;
    int64_t r = px_pipe_ring_recv(e->rx, buf, len, (f->status_flags & LINUX_O_NONBLOCK) ? PX_RING_NONBLOCK : 0,
                                  &whole, &ended);
    if (r == 0 && ended) return -LINUX_EIO; /* every slave closed */
    return r;
}

/* What a canonical read may take: up to the next mark, and through the first line end. */
static int64_t canonical_read(pty_end *e, void *buf, uint64_t len, bool nonblock)
{
    pty_shared *s = e->sh;
    px_shared_lock(&s->read_lock);
    px_shared_lock(&s->lock);
    uint64_t limit = len;
    if (s->mark_count) {
        uint64_t mark = s->marks[s->mark_head];
        if (mark <= s->taken) { /* a VEOF with nothing before it: the end of file, once */
            s->mark_head = (s->mark_head + 1) % MARKS_MAX;
            s->mark_count--;
            px_shared_unlock(&s->lock);
            px_shared_unlock(&s->read_lock);
            return 0;
        }
        if (mark - s->taken < limit) limit = mark - s->taken;
    }
    struct linux_termios t = s->termios;
    px_shared_unlock(&s->lock);
    char look[4096];
    if (limit > sizeof look) limit = sizeof look;
    uint64_t whole;
    bool ended = false;
    int64_t r = px_pipe_ring_recv(e->rx, look, limit, PX_RING_PEEK | (nonblock ? PX_RING_NONBLOCK : 0), &whole, &ended);
    if (r > 0) {
        uint64_t n = (uint64_t)r;
        for (uint64_t i = 0; i < (uint64_t)r; i++) {
            unsigned char c = (unsigned char)look[i];
            if (c == '\n' || (c && (c == t.c_cc[CC_VEOL] || c == t.c_cc[CC_VEOL2]))) {
                n = i + 1;
                break;
            }
        }
        r = px_pipe_ring_recv(e->rx, look, n, PX_RING_NONBLOCK, &whole, &ended);
        if (r > 0) {
            px_shared_lock(&s->lock);
            s->taken += (uint64_t)r;
            if (s->mark_count && s->marks[s->mark_head] == s->taken) { /* the line a VEOF ended: read whole */
                s->mark_head = (s->mark_head + 1) % MARKS_MAX;
                s->mark_count--;
            }
            px_shared_unlock(&s->lock);
        }
    }
    px_shared_unlock(&s->read_lock);
    if (r > 0 && px_copy_out((uint64_t)(uintptr_t)buf, look, (size_t)r) < 0) return -LINUX_EFAULT;
    return r;
}

static int64_t slave_read(px_file *f, void *buf, uint64_t len)
{
    pty_end *e = end_of(f);
    pty_shared *s = e->sh;
    bool nonblock = (f->status_flags & LINUX_O_NONBLOCK) != 0;
    if (!len) return 0;
    if (!px_pipe_ring_peer_open(e->rx)) return 0; /* the master is gone: a hung-up terminal reads nothing */
    int64_t r;
    if (is_canonical(s)) {
        r = canonical_read(e, buf, len, nonblock);
    } else {
        bool poll_only = s->termios.c_cc[CC_VMIN] == 0 && s->termios.c_cc[CC_VTIME] == 0;
        uint64_t whole;
        bool ended = false;
        r = px_pipe_ring_recv(e->rx, buf, len, (nonblock || poll_only) ? PX_RING_NONBLOCK : 0, &whole, &ended);
        if (r == -LINUX_EAGAIN && poll_only && !nonblock) r = 0;
        if (r > 0) __atomic_add_fetch(&s->taken, (uint64_t)r, __ATOMIC_RELAXED);
    }
    if (r == PX_WOULD_BLOCK && !px_pipe_ring_peer_open(e->rx)) return 0;
    return r;
}

static int64_t pty_read(px_file *f, void *buf, uint64_t len)
{
    return end_of(f)->master ? master_read(f, buf, len) : slave_read(f, buf, len);
}

static int64_t pty_write(px_file *f, const void *buf, uint64_t len)
{
    return end_of(f)->master ? master_write(f, buf, len) : slave_write(f, buf, len);
}

/* --- flushing and the terminal's settings --- */

/* Throws away what the slave has not read (sh->lock held). */
static void flush_input_locked(pty_end *e)
{
    pty_shared *s = e->sh;
    px_file *rx = e->master ? e->slave_rx : e->rx;
    char sink[4096];
    uint64_t whole;
    bool ended;
    /* only where the slave's reading end is: a master whose slave is elsewhere leaves
       what that slave has not read (rare) */
    int64_t r;
    while (rx && (r = px_pipe_ring_recv(rx, sink, sizeof sink, PX_RING_NONBLOCK, &whole, &ended)) > 0)
        s->taken += (uint64_t)r;
    s->mark_count = 0;
}

static void flush_output(pty_end *e)
{
    px_file *rx = e->master ? e->rx : NULL;
    pty_shared *s = e->sh;
    px_shared_lock(&s->lock);
    s->echo_len = 0;
    px_shared_unlock(&s->lock);
    if (!rx) return; /* the slave's output is the master's to read: it cannot be taken back here */
    char sink[4096];
    uint64_t whole;
    bool ended;
    while (px_pipe_ring_recv(rx, sink, sizeof sink, PX_RING_NONBLOCK, &whole, &ended) > 0) {}
}

static int64_t set_termios(pty_end *e, uint64_t arg, bool flush)
{
    struct linux_termios t;
    if (PX_GET(&t, arg) < 0) return -LINUX_EFAULT;
    pty_shared *s = e->sh;
    px_shared_lock(&s->lock);
    bool was_canonical = is_canonical(s);
    s->termios = t;
    int64_t r = 0;
    if (flush) {
        s->line_len = 0;
        flush_input_locked(e);
    } else if (was_canonical && !(t.c_lflag & LF_ICANON) && s->line_len) {
        /* leaving canonical mode: the line typed so far becomes readable */
        r = push(e, s->line, s->line_len, true);
        if (r >= 0) s->line_len = 0;
        r = 0;
    }
    px_shared_unlock(&s->lock);
    return r;
}

/* The caller's session and group, from the process table. */
static void who_am_i(int32_t *pid, int32_t *pgid, int32_t *sid)
{
    *pid = *pgid = *sid = 0;
    if (jobs) jobs->who(pid, pgid, sid);
}

static int64_t take_as_controlling(pty_end *e, int64_t steal)
{
    int32_t pid, pgid, sid;
    who_am_i(&pid, &pgid, &sid);
    if (pid != sid) return -LINUX_EPERM; /* only a session leader gets a controlling terminal */
    pty_shared *s = e->sh;
    px_shared_lock(&s->lock);
    int64_t r = 0;
    if (s->sid && s->sid != sid && !(steal == 1 && px_current_cred()->euid == 0)) r = -LINUX_EPERM;
    else s->sid = sid, s->fg_pgid = pgid;
    px_shared_unlock(&s->lock);
    return r;
}

static int64_t group_ioctl(pty_end *e, uint64_t request, uint64_t arg)
{
    int32_t pid, pgid, sid;
    who_am_i(&pid, &pgid, &sid);
    pty_shared *s = e->sh;
    /* the slave answers only in the session it is the terminal of; the master always */
    if (!e->master && s->sid != sid) return -LINUX_ENOTTY;
    int32_t v;
    switch (request) {
    case LINUX_TIOCGPGRP: v = s->fg_pgid; return PX_PUT(arg, &v);
    case LINUX_TIOCGSID:
        if (!s->sid) return -LINUX_ENOTTY;
        v = s->sid;
        return PX_PUT(arg, &v);
    default: /* TIOCSPGRP */
        if (PX_GET(&v, arg) < 0) return -LINUX_EFAULT;
        if (v < 0) return -LINUX_EINVAL;
        if (s->sid != sid) return -LINUX_ENOTTY;
        __atomic_store_n(&s->fg_pgid, v, __ATOMIC_RELAXED);
        return 0;
    }
}

static int64_t open_peer(px_file *f, uint32_t flags);

static int64_t pty_ioctl(px_file *f, uint64_t request, uint64_t arg)
{
    pty_end *e = end_of(f);
    pty_shared *s = e->sh;
    switch (request) {
    case LINUX_TCGETS: {
        struct linux_termios t;
        px_shared_lock(&s->lock);
        t = s->termios;
        px_shared_unlock(&s->lock);
        return PX_PUT(arg, &t);
    }
    case LINUX_TCSETS: return set_termios(e, arg, false);
    case LINUX_TCSETSW: return set_termios(e, arg, false); /* output is never held back: drained already */
    case LINUX_TCSETSF: return set_termios(e, arg, true);
    case LINUX_TIOCGWINSZ: {
        struct linux_winsize ws;
        px_shared_lock(&s->lock);
        ws = s->winsize;
        px_shared_unlock(&s->lock);
        return PX_PUT(arg, &ws);
    }
    case LINUX_TIOCSWINSZ: {
        struct linux_winsize ws;
        if (PX_GET(&ws, arg) < 0) return -LINUX_EFAULT;
        px_shared_lock(&s->lock);
        bool changed = memcmp(&ws, &s->winsize, sizeof ws) != 0;
        s->winsize = ws;
        int32_t pgid = s->fg_pgid;
        px_shared_unlock(&s->lock);
        if (changed && pgid > 0 && jobs) jobs->signal_group(pgid, LINUX_SIGWINCH);
        return 0;
    }
    case TCFLSH: {
        if (arg > 2) return -LINUX_EINVAL;
        if (arg != 1) { /* TCIFLUSH, TCIOFLUSH */
            px_shared_lock(&s->lock);
            s->line_len = 0;
            flush_input_locked(e);
            px_shared_unlock(&s->lock);
        }
        if (arg != 0) flush_output(e);
        return 0;
    }
    case TCSBRK:
    case TCSBRKP:
    case TIOCSBRK:
    case TIOCCBRK: return 0; /* tcdrain: output is in the ring already; a break means nothing on a pty */
    case TIOCGETD: {
        int32_t ldisc = 0; /* N_TTY */
        return PX_PUT(arg, &ldisc);
    }
    case TIOCOUTQ: {
        int64_t n = e->master ? 0 : px_pipe_ring_queued(e->tx, false);
        int32_t v = (int32_t)n;
        return PX_PUT(arg, &v);
    }
    case TIOCSCTTY: return e->master ? -LINUX_EINVAL : take_as_controlling(e, (int64_t)arg);
    case TIOCNOTTY: {
        int32_t pid, pgid, sid;
        who_am_i(&pid, &pgid, &sid);
        if (s->sid != sid || !sid) return -LINUX_ENOTTY;
        if (pid == sid) { /* the leader lets go: the terminal has no session now */
            px_shared_lock(&s->lock);
            s->sid = s->fg_pgid = 0;
            px_shared_unlock(&s->lock);
        }
        return 0;
    }
    case LINUX_TIOCGPGRP:
    case LINUX_TIOCSPGRP:
    case LINUX_TIOCGSID: return group_ioctl(e, request, arg);
    case TIOCGPTN: {
        if (!e->master) return -LINUX_ENOTTY;
        uint32_t n = (uint32_t)e->index;
        return PX_PUT(arg, &n);
    }
    case TIOCSPTLCK: {
        if (!e->master) return -LINUX_ENOTTY;
        int32_t v;
        if (PX_GET(&v, arg) < 0) return -LINUX_EFAULT;
        __atomic_store_n(&s->locked, v != 0, __ATOMIC_RELAXED);
        return 0;
    }
    case TIOCGPTLCK: {
        if (!e->master) return -LINUX_ENOTTY;
        int32_t v = (int32_t)__atomic_load_n(&s->locked, __ATOMIC_RELAXED);
        return PX_PUT(arg, &v);
    }
    case TIOCGPTPEER: return e->master ? open_peer(f, (uint32_t)arg) : -LINUX_ENOTTY;
    default: return -LINUX_ENOTTY;
    }
}

/* --- readiness --- */

static int64_t pty_readable_bytes(px_file *f)
{
    pty_end *e = end_of(f);
    int64_t n = px_pipe_ring_queued(e->rx, false);
    if (e->master) n += __atomic_load_n(&e->sh->echo_len, __ATOMIC_RELAXED);
    return n;
}

static uint32_t pty_poll(px_file *f, uint32_t events)
{
    (void)events;
    pty_end *e = end_of(f);
    uint32_t ready = 0;
    bool peer = px_pipe_ring_peer_open(e->rx);
    bool data = !px_pipe_ring_empty(e->rx);
    if (e->master) {
        if (__atomic_load_n(&e->sh->echo_len, __ATOMIC_RELAXED)) data = true;
        if (data) ready |= LINUX_POLLIN | LINUX_POLLRDNORM;
        if (!peer && !data) ready |= LINUX_POLLHUP; /* Linux's master: only the hang-up */
        else if (px_pipe_ring_has_room(e->tx)) ready |= LINUX_POLLOUT | LINUX_POLLWRNORM;
        return ready;
    }
    if (!peer) /* a hung-up slave */
        return LINUX_POLLIN | LINUX_POLLRDNORM | LINUX_POLLOUT | LINUX_POLLWRNORM | LINUX_POLLERR | LINUX_POLLHUP;
    if (data || __atomic_load_n(&e->sh->mark_count, __ATOMIC_RELAXED)) ready |= LINUX_POLLIN | LINUX_POLLRDNORM;
    if (px_pipe_ring_has_room(e->tx)) ready |= LINUX_POLLOUT | LINUX_POLLWRNORM;
    return ready;
}

static void *pty_poll_handle(px_file *f)
{
    pty_end *e = end_of(f);
    return px_pipe_ring_poll_handle_crossed(e->rx, e->tx, true);
}

static int64_t pty_wait_on(px_file *f, uint32_t events, px_wait_on *w)
{
    pty_end *e = end_of(f);
    px_file *ring = events == LINUX_POLLIN ? e->rx : e->tx;
    int64_t r = ring->ops->wait_on(ring, events, w);
    if (r == 0 && !e->master && events == LINUX_POLLIN) w->retry_ns = EOF_POLL_NS; /* a VEOF mark puts no byte in */
    return r;
}

static int64_t pty_stat(px_file *f, px_stat_info *st)
{
    *st = end_of(f)->st;
    return 0;
}

/* --- making and dropping ends --- */

static void list_add(pty_end *e)
{
    px_host_rwlock_lock(&ends_lock);
    e->next = ends;
    ends = e;
    px_host_rwlock_unlock(&ends_lock);
}

static void list_remove(pty_end *e)
{
    px_host_rwlock_lock(&ends_lock);
    for (pty_end **p = &ends; *p; p = &(*p)->next)
        if (*p == e) {
            *p = e->next;
            break;
        }
    px_host_rwlock_unlock(&ends_lock);
}

static void pty_release(px_file *f)
{
    pty_end *e = end_of(f);
    list_remove(e);
    if (e->rx) px_file_unref(e->rx);
    if (e->tx) px_file_unref(e->tx);
    if (e->slave_rx) px_file_unref(e->slave_rx);
    if (e->slave_tx) px_file_unref(e->slave_tx);
    if (e->sh) px_host_view_unmap(e->sh);
    if (e->section && !e->sent) px_host_close(e->section);
    px_free(e);
}

/* A file of one side: takes rx, tx and the mapping (also when it fails: NULL; then
   rx's and tx's handles stay open when they are the caller's: handles_kept). */
static px_file *end_file(int index, bool master, px_file *rx, px_file *tx, pty_shared *sh, px_host_handle section,
                         const px_stat_info *st, uint32_t flags, bool handles_kept)
{
    pty_end *e = px_calloc(1, sizeof *e);
    uint32_t status = flags & ~(uint32_t)(LINUX_O_CREAT | LINUX_O_EXCL | LINUX_O_TRUNC | LINUX_O_NOCTTY);
    /* the file's handle is rx's token, and tx's goes as the hand-over's second */
    px_file *f = e ? px_file_new(&pty_ops, rx->handle, status) : NULL;
    if (!f) {
        px_free(e);
        if (handles_kept) rx->handle = tx->handle = NULL;
        px_file_unref(rx);
        px_file_unref(tx);
        px_host_view_unmap(sh);
        px_host_close(section);
        return NULL;
    }
    *e = (pty_end){.index = index, .master = master, .rx = rx, .tx = tx, .sh = sh, .section = section, .st = *st};
    f->data = e;
    list_add(e);
    return f;
}

/* The shared state of pty index, mapped: NULL when it does not exist. */
static pty_shared *map_shared(int index, px_host_handle *section)
{
    wchar_t name[48];
    shared_name(index, name, PX_ARRAY_LEN(name));
    *section = px_host_section_open(name, true);
    if (!*section) return NULL;
    pty_shared *sh = px_host_view_map(*section, 0, SHARED_SIZE, NULL, true);
    if (!sh) {
        px_host_close(*section);
        *section = NULL;
    }
    return sh;
}

bool px_pty_exists(int index)
{
    if (index < 1 || index > PX_PTY_MAX) return false;
    wchar_t name[48];
    shared_name(index, name, PX_ARRAY_LEN(name));
    px_host_handle h = px_host_section_open(name, false);
    if (h) px_host_close(h);
    return h != NULL;
}

int64_t px_pty_open_master(uint32_t flags, const px_stat_info *master_st,
                           void (*slave_stat)(int index, px_stat_info *st, void *ctx), void *ctx, px_file **out)
{
    px_host_handle section = NULL;
    int index = 0;
    for (int i = 1; i <= PX_PTY_MAX && !section; i++) { /* the lowest free number, as devpts gives */
        wchar_t name[48];
        shared_name(i, name, PX_ARRAY_LEN(name));
        bool existed = false;
        section = px_host_section_new(NULL, SHARED_SIZE, true, false, name, &existed);
        if (section && existed) {
            px_host_close(section);
            section = NULL;
        }
        index = i;
    }
    if (!section) return -LINUX_ENOSPC; /* devpts out of numbers */
    pty_shared *sh = px_host_view_map(section, 0, SHARED_SIZE, NULL, true);
    if (!sh) {
        px_host_close(section);
        return -LINUX_ENOMEM;
    }
    memset(sh, 0, sizeof *sh);
    default_termios(&sh->termios);
    sh->locked = 1; /* until unlockpt */
    sh->owner_uid = px_current_cred()->euid;
    px_file *rx[2], *tx[2];
    int64_t r = px_pipe_ring_create_crossed(rx, tx, false, PTY_RING_CAPACITY);
    if (r < 0) {
        px_host_view_unmap(sh);
        px_host_close(section);
        return r;
    }
    px_file *f = end_file(index, true, rx[0], tx[0], sh, section, master_st, flags, false);
    if (!f) {
        px_file_unref(rx[1]);
        px_file_unref(tx[1]);
        return -LINUX_ENOMEM;
    }
    pty_end *e = end_of(f);
    e->slave_rx = rx[1];
    e->slave_tx = tx[1];
    slave_stat(index, &e->slave_st, ctx);
    *out = f;
    return 0;
}

/* Makes this process's slave controlling for a session leader without one (an open
   without O_NOCTTY). */
static void maybe_controlling(pty_end *e, uint32_t flags)
{
    if (flags & LINUX_O_NOCTTY) return;
    int32_t pid, pgid, sid;
    who_am_i(&pid, &pgid, &sid);
    if (pid != sid || !sid) return;
    px_shared_lock(&e->sh->lock);
    if (!e->sh->sid) e->sh->sid = sid, e->sh->fg_pgid = pgid;
    px_shared_unlock(&e->sh->lock);
}

/* A new slave file of pty index: from a master of this process (which gives up the
   slave's ends it kept) or an open slave here. */
static int64_t new_slave(int index, uint32_t flags, const px_stat_info *st, px_file **out)
{
    px_file *rx = NULL, *tx = NULL;
    px_host_rwlock_lock(&ends_lock);
    for (pty_end *e = ends; e && !rx; e = e->next) {
        if (e->index != index) continue;
        if (e->master && e->slave_rx) {
            rx = e->slave_rx, tx = e->slave_tx;
            e->slave_rx = e->slave_tx = NULL;
        } else if (!e->master) {
            rx = px_file_ref(e->rx), tx = px_file_ref(e->tx);
        }
    }
    px_host_rwlock_unlock(&ends_lock);
    if (!rx) return -LINUX_ENXIO;
    px_host_handle section;
    pty_shared *sh = map_shared(index, &section);
    if (!sh) {
        px_file_unref(rx);
        px_file_unref(tx);
        return -LINUX_EIO;
    }
    if (__atomic_load_n(&sh->locked, __ATOMIC_RELAXED)) {
        px_file_unref(rx);
        px_file_unref(tx);
        px_host_view_unmap(sh);
        px_host_close(section);
        return -LINUX_EIO;
    }
    px_file *f = end_file(index, false, rx, tx, sh, section, st, flags, false);
    if (!f) return -LINUX_ENOMEM;
    maybe_controlling(end_of(f), flags);
    *out = f;
    return 0;
}

int64_t px_pty_open_slave(int index, uint32_t flags, const px_stat_info *st, px_file **out)
{
    if (!px_pty_exists(index)) return -LINUX_ENOENT;
    px_host_handle section;
    pty_shared *sh = map_shared(index, &section);
    if (!sh) return -LINUX_ENOENT;
    bool locked = __atomic_load_n(&sh->locked, __ATOMIC_RELAXED) != 0;
    px_host_view_unmap(sh);
    px_host_close(section);
    if (locked) return -LINUX_EIO; /* not unlocked yet (unlockpt) */
    return new_slave(index, flags, st, out);
}

/* TIOCGPTPEER: the slave as a new fd, with no lookup of its name. */
static int64_t open_peer(px_file *f, uint32_t flags)
{
    pty_end *e = end_of(f);
    if (flags & ~(uint32_t)(LINUX_O_ACCMODE | LINUX_O_NOCTTY | LINUX_O_NONBLOCK | LINUX_O_CLOEXEC)) return -LINUX_EINVAL;
    px_file *slave;
    int64_t r = new_slave(e->index, flags & ~(uint32_t)LINUX_O_CLOEXEC, &e->slave_st, &slave);
    if (r < 0) return r;
    return px_fd_install(slave, 0, (flags & LINUX_O_CLOEXEC) != 0);
}

int px_pty_index_of(px_file *f) { return f->ops == &pty_ops ? end_of(f)->index : -1; }

/* --- to a new process: both ring ends and the stat; the state by its name --- */

typedef struct pty_handoff_state {
    int32_t index;
    uint8_t master;
    px_stat_info st, slave_st;
    uint32_t ring_lens[2];     /* the ring ends' states follow, rx's first */
} pty_handoff_state;

static size_t pty_handoff_save(px_file *f, void *state)
{
    pty_end *e = end_of(f);
    pty_handoff_state s = {.index = e->index, .master = e->master, .st = e->st, .slave_st = e->slave_st};
    size_t n = px_pipe_ring_save_ends(e->rx, e->tx, (uint8_t *)state + sizeof s, s.ring_lens);
    memcpy(state, &s, sizeof s);
    e->sent = true; /* the new process opens the state by name: ours stays until we end */
    return sizeof s + n;
}

static void *pty_handoff_aux(px_file *f) { return end_of(f)->tx->handle; }

static px_file *pty_handoff_rebuild(const px_handoff_file *hf)
{
    pty_handoff_state s;
    if (hf->state_len < sizeof s || !hf->handle || !hf->aux_handle) return NULL;
    memcpy(&s, hf->state, sizeof s);
    if (sizeof s + (uint64_t)s.ring_lens[0] + s.ring_lens[1] != hf->state_len) return NULL;
    px_host_handle section;
    pty_shared *sh = map_shared(s.index, &section);
    if (!sh) return NULL;
    px_file *rx, *tx;
    if (!px_pipe_ring_rebuild_ends(hf, (const uint8_t *)hf->state + sizeof s, s.ring_lens, &rx, &tx)) {
        px_host_view_unmap(sh);
        px_host_close(section);
        return NULL;
    }
    px_file *f = end_file(s.index, s.master != 0, rx, tx, sh, section, &s.st, hf->status_flags, true);
    if (f) end_of(f)->slave_st = s.slave_st;
    return f;
}

const px_file_handoff px_pty_handoff = {
    .kind = PX_HANDOFF_PTY, .save = pty_handoff_save, .rebuild = pty_handoff_rebuild, .aux_handle = pty_handoff_aux};

static const px_file_ops pty_ops = {
    .read = pty_read,
    .write = pty_write,
    .stat = pty_stat,
    .ioctl = pty_ioctl,
    .readable_bytes = pty_readable_bytes,
    .poll = pty_poll,
    .poll_handle = pty_poll_handle,
    .poll_recheck_ns = EOF_POLL_NS,
    .wait_on = pty_wait_on,
    .release = pty_release,
    .handoff = &px_pty_handoff,
};
