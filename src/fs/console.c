/* The console backend: a Windows console behind fd 0, 1 or 2. Output is UTF-8 (the guest
   writes UTF-8; the console gets UTF-16), input comes back as UTF-8 with "\r\n" -> "\n".
   TCGETS answers with a plausible cooked-mode termios, TIOCGWINSZ with the window size. */
#include "core/errors.h"
#include "core/uaccess.h"
#include "fs/fd_handoff.h"
#include "fs/fs_internal.h"
#include "host/host_console.h"
#include "core/cred.h"

typedef struct console_state {
    char pending_out[4];      /* the start of a UTF-8 sequence split across writes */
    int pending_out_len;
    char *in_buf;             /* UTF-8 input read from the console, not yet returned */
    size_t in_len, in_off;
    bool owns_handle;         /* opened for /dev/tty and the like: closed with the file */
    bool has_device_stat;
    px_stat_info device_stat; /* what stat of the device's path says (5:0 for /dev/tty) */
} console_state;

bool px_console_is_console(void *handle)
{
    return px_host_console_is(handle);
}

/* Length of the complete UTF-8 prefix of s[0..n) (a split sequence waits for the next write). */
static size_t complete_utf8_prefix(const char *s, size_t n)
{
    size_t back = 0;
    while (back < 3 && back < n && ((unsigned char)s[n - 1 - back] & 0xc0) == 0x80) back++;
    if (back == n) return n;
    unsigned char lead = (unsigned char)s[n - 1 - back];
    size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    return need > back + 1 ? n - 1 - back : n;
}

static int64_t write_utf16(px_host_handle h, const char *s, size_t n)
{
    return px_host_console_write_utf8(h, s, n);
}

static int64_t console_write(px_file *f, const void *buf, uint64_t len)
{
    console_state *cs = f->data;
    if (len > (1u << 30)) len = 1u << 30;
    const char *s = buf;
    size_t n = (size_t)len, used = 0;
    /* finish a sequence a previous write split */
    while (cs->pending_out_len > 0 && used < n) {
        cs->pending_out[cs->pending_out_len++] = s[used++];
        if (complete_utf8_prefix(cs->pending_out, (size_t)cs->pending_out_len) == (size_t)cs->pending_out_len ||
            cs->pending_out_len == 4) {
            int64_t r = write_utf16(f->handle, cs->pending_out, (size_t)cs->pending_out_len);
            cs->pending_out_len = 0;
            if (r < 0) return r;
        }
    }
    size_t whole = complete_utf8_prefix(s + used, n - used);
    int64_t r = write_utf16(f->handle, s + used, whole);
    if (r < 0) return r;
    for (size_t i = used + whole; i < n; i++) cs->pending_out[cs->pending_out_len++] = s[i];
    return (int64_t)len;
}

/* Reads one batch of console input, as UTF-8 with "\r\n" -> "\n". Returns bytes or 0 at EOF. */
static int64_t fill_input(px_file *f)
{
    console_state *cs = f->data;
    wchar_t w[1024];
    int64_t got = px_host_console_read(f->handle, w, PX_ARRAY_LEN(w));
    if (got < 0) return got;
    if (got == 0 || w[0] == 0x1a) return 0; /* Ctrl+Z at the start of a line is the console's EOF */
    char *utf8 = px_utf8_of_utf16(w, (int)got);
    if (!utf8) return -LINUX_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; utf8[i]; i++) {
        if (utf8[i] == '\r' && utf8[i + 1] == '\n') continue;
        utf8[n++] = utf8[i];
    }
    px_free(cs->in_buf);
    cs->in_buf = utf8;
    cs->in_len = n;
    cs->in_off = 0;
    return (int64_t)n;
}

/* True when a key press that gives a character waits (the other records are dropped).
   A read after POLLIN may still wait for the rest of the line in line-input mode (the
   console echoes only while a read is under way). */
static bool console_input_waiting(px_host_handle h) { return px_host_console_key_waiting(h); }

static int64_t console_read(px_file *f, void *buf, uint64_t len)
{
    console_state *cs = f->data;
    if (len == 0) return 0;
    if (cs->in_off >= cs->in_len) {
        /* until a key press waits, the handler waits (interruptibly) on the input
           handle (console_wait_on); ReadConsoleW may then still wait, uninterruptibly,
           for the rest of the line in line-input mode */
        if (px_host_console_input_pending(f->handle) >= 0 && !console_input_waiting(f->handle))
            return PX_WOULD_BLOCK;
        int64_t r = fill_input(f);
        if (r <= 0) return r;
    }
    size_t n = cs->in_len - cs->in_off;
    if (n > len) n = (size_t)len;
    memcpy(buf, cs->in_buf + cs->in_off, n);
    cs->in_off += n;
    return (int64_t)n;
}

static uint32_t console_poll(px_file *f, uint32_t events)
{
    console_state *cs = f->data;
    uint32_t ready = LINUX_POLLOUT | LINUX_POLLWRNORM; /* a tty takes output */
    if (!(events & (LINUX_POLLIN | LINUX_POLLRDNORM))) return ready;
    if (cs->in_off < cs->in_len) return ready | LINUX_POLLIN | LINUX_POLLRDNORM;
    if (px_host_console_input_pending(f->handle) > 0 && console_input_waiting(f->handle))
        ready |= LINUX_POLLIN | LINUX_POLLRDNORM;
    return ready;
}

/* An input handle is signalled while input records wait; output handles never wait. */
static void *console_poll_handle(px_file *f)
{
    return px_host_console_input_pending(f->handle) >= 0 ? f->handle : NULL;
}

/* What a blocked read waits on: the input handle (a write never says it would block). */
static int64_t console_wait_on(px_file *f, uint32_t events, px_wait_on *w)
{
    void *h = events == LINUX_POLLIN ? console_poll_handle(f) : NULL;
    if (!h) return -LINUX_EINVAL;
    px_wait_on_add(w, h);
    return 0;
}

static void fill_termios(struct linux_termios *t)
{
    memset(t, 0, sizeof *t);
    t->c_iflag = 0x100 | 0x400;              /* ICRNL IXON */
    t->c_oflag = 0x1 | 0x4;                  /* OPOST ONLCR */
    t->c_cflag = 0xf | 0x30 | 0x80;          /* B38400 CS8 CREAD */
    t->c_lflag = 0x1 | 0x2 | 0x8 | 0x10 | 0x20 | 0x200 | 0x800 | 0x8000; /* ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN */
    static const uint8_t cc[LINUX_NCCS] = {
        3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0,
    }; /* VINTR VQUIT VERASE VKILL VEOF VTIME VMIN VSWTC VSTART VSTOP VSUSP VEOL VREPRINT VDISCARD VWERASE VLNEXT VEOL2 */
    memcpy(t->c_cc, cc, sizeof cc);
}

static int64_t window_size(px_file *f, struct linux_winsize *ws)
{
    uint16_t rows, cols;
    int64_t r = px_host_console_size(f->handle, &rows, &cols); /* an input handle: its output buffer's */
    if (r < 0) return r;
    memset(ws, 0, sizeof *ws);
    ws->ws_row = rows;
    ws->ws_col = cols;
    return 0;
}

static int64_t console_ioctl(px_file *f, uint64_t request, uint64_t arg)
{
    switch (request) {
    case LINUX_TCGETS: {
        struct linux_termios t;
        fill_termios(&t);
        return PX_PUT(arg, &t);
    }
    case LINUX_TIOCGWINSZ: {
        struct linux_winsize ws;
        int64_t r = window_size(f, &ws);
        return r < 0 ? r : PX_PUT(arg, &ws);
    }
    default:
        /* TCSETS and the rest: the console's modes are not mapped yet (raw mode is a later issue) */
        return -LINUX_EINVAL;
    }
}

static int64_t console_stat(px_file *f, px_stat_info *st)
{
    console_state *cs = f->data;
    if (cs->has_device_stat) {
        *st = cs->device_stat;
        return 0;
    }
    memset(st, 0, sizeof *st);
    st->mode = LINUX_S_IFCHR | 0620;
    st->rdev = (136 << 8); /* /dev/pts/0 */
    st->dev = 0x16;        /* devpts */
    st->ino = 3;
    st->nlink = 1;
    st->uid = px_current_fsuid();
    st->gid = px_current_fsgid();
    st->blksize = 1024;
    return 0;
}

static void console_release(px_file *f)
{
    console_state *cs = f->data;
    /* the std handles belong to the process; picolx's own messages still use them */
    if (cs->owns_handle) px_host_close(f->handle);
    px_free(cs->in_buf);
    px_free(cs);
}

/* A new process (fd_handoff.h): the handle is duplicated; a device node's stat goes along. */
static size_t console_handoff_save(px_file *f, void *state)
{
    console_state *cs = f->data;
    if (!cs->has_device_stat) return 0;
    _Static_assert(sizeof cs->device_stat <= PX_HANDOFF_STATE_MAX, "console state fits");
    memcpy(state, &cs->device_stat, sizeof cs->device_stat);
    return sizeof cs->device_stat;
}

static px_file *console_handoff_rebuild(const px_handoff_file *hf)
{
    if (hf->state_len == sizeof(px_stat_info)) {
        px_stat_info st;
        memcpy(&st, hf->state, sizeof st);
        return px_console_device_file(hf->handle, hf->status_flags, &st);
    }
    px_file *f = px_console_file(hf->handle, hf->status_flags);
    if (f) ((console_state *)f->data)->owns_handle = true;
    return f;
}

const px_file_handoff px_console_handoff = {
    .kind = PX_HANDOFF_CONSOLE, .save = console_handoff_save, .rebuild = console_handoff_rebuild,
};

static const px_file_ops console_ops;
const px_file_ops *px_console_ops(void) { return &console_ops; }

static const px_file_ops console_ops = {
    .read = console_read,
    .write = console_write,
    .stat = console_stat,
    .ioctl = console_ioctl,
    .poll = console_poll,
    .poll_handle = console_poll_handle,
    .wait_on = console_wait_on,
    .release = console_release,
    .handoff = &px_console_handoff,
};

px_file *px_console_file(void *handle, uint32_t status_flags)
{
    console_state *cs = px_calloc(1, sizeof *cs);
    if (!cs) return NULL;
    px_host_console_set_utf8_output();
    px_file *f = px_file_new(&console_ops, handle, status_flags);
    if (!f) {
        px_free(cs);
        return NULL;
    }
    f->data = cs;
    return f;
}

px_file *px_console_device_file(void *handle, uint32_t status_flags, const px_stat_info *st)
{
    px_file *f = px_console_file(handle, status_flags);
    if (!f) return NULL;
    console_state *cs = f->data;
    cs->owns_handle = true;
    cs->has_device_stat = true;
    cs->device_stat = *st;
    return f;
}
