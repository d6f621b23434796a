/* Linux metadata on drvfs (drvfs_meta.h): the EA path, the store's log in picolx's home,
   and the rules of chmod, chown, mknod and of opening FIFOs and device nodes.

   The log (<home>\drvfs-meta.log) is shared by every picolx process as lxfs's log is
   (lxfs_disk.c): a change is made under a byte-range lock of it after applying what the
   others appended, and is one record written with one write; a reader only compares the
   log's size with what it has applied (no lock, no wineserver round trip). The torn
   tail a killed process may leave is cut, and a long log compacted, when a process opens
   it while no other has it open. */
#include "core/cred.h"
#include "core/home.h"
#include "fs/drvfs_meta.h"
#include "fs/fifo.h"
#include "fs/pseudo/pseudo.h"
#include "host/host_ea.h"
#include "host/host_fileinfo.h"
#include "host/host_sync.h"
#include "host/host_thread.h"
#include "fs/fs.h"

#define LOCK_OFFSET_HIGH 0x40000000u /* a byte far past any log: the lock, not data */
#define COMPACT_MIN_RECORDS 4096
#define FILETIME_UNIX_EPOCH 116444736000000000LL

static struct {
    px_host_once once;
    px_host_rwlock lock;   /* this process's threads; the byte-range lock for the others */
    px_host_handle log;    /* NULL: no log (no home): nothing stored, defaults everywhere */
    uint64_t log_end;      /* how much of it st has applied */
    dm_store st;
    int ea_volume;         /* -1 unknown, 0 no, 1 the root's volume keeps EAs */
} g = {.once = PX_HOST_ONCE_INIT, .ea_volume = -1};

/* --- the log --- */

static int64_t log_append(void *io, const uint8_t *rec, size_t len)
{
    (void)io;
    int64_t put = px_host_file_pwrite(g.log, rec, len, g.log_end);
    if (put < 0) return put;
    if ((size_t)put != len) return -LINUX_EIO;
    g.log_end += len;
    return 0;
}

static int64_t read_all(px_host_handle h, uint64_t from, uint64_t to, uint8_t **out)
{
    size_t n = (size_t)(to - from), got = 0;
    uint8_t *buf = px_alloc(n ? n : 1);
    if (!buf) return -LINUX_ENOMEM;
    while (got < n) {
        int64_t r = px_host_file_pread(h, buf + got, n - got, from + got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    *out = buf;
    return (int64_t)got;
}

/* Replays the whole log into a fresh store: the valid length, or -1 (no log: empty or
   foreign, started over by the caller). */
static int64_t load(px_host_handle h, uint64_t *size_out)
{
    uint64_t size;
    if (px_host_file_size(h, &size) < 0) return -1;
    *size_out = size;
    uint8_t *buf;
    int64_t n = read_all(h, 0, size, &buf);
    if (n < 0) return -1;
    dm_store_free(&g.st);
    dm_store_init(&g.st);
    int64_t valid = dm_store_replay(&g.st, buf, (size_t)n);
    px_free(buf);
    return valid;
}

static void catch_up(void)
{
    uint64_t size;
    if (px_host_file_size(g.log, &size) < 0 || size <= g.log_end) return;
    uint8_t *buf;
    int64_t n = read_all(g.log, g.log_end, size, &buf);
    if (n < 0) return;
    g.log_end += dm_store_apply_records(&g.st, buf, (size_t)n);
    px_free(buf);
}

static int64_t lock_log(void) { return px_host_file_lock(g.log, (uint64_t)LOCK_OFFSET_HIGH << 32, 1, true, true); }
static void unlock_log(void) { px_host_file_unlock(g.log, (uint64_t)LOCK_OFFSET_HIGH << 32, 1); }

typedef struct seq { px_host_handle h; int64_t r; } seq;
static int64_t seq_emit(void *io, const uint8_t *rec, size_t len)
{
    seq *s = io;
    int64_t put = px_host_file_write(s->h, rec, len);
    return put < 0 ? put : (size_t)put == len ? 0 : -LINUX_EIO;
}

/* Alone with the log: rewrite a long one as its live state (.new, renamed over it). */
static void compact(const wchar_t *path)
{
    uint64_t live = HASH_COUNT(g.st.entries);
    if (g.st.records < COMPACT_MIN_RECORDS || g.st.records < 3 * live) return;
    size_t n = wcslen(path);
    wchar_t *tmp = px_alloc((n + 5) * sizeof *tmp);
    if (!tmp) return;
    memcpy(tmp, path, n * sizeof *tmp);
    memcpy(tmp + n, L".new", 5 * sizeof *tmp);
    seq s;
    if (px_host_file_open_ex(tmp, PX_HOST_ACCESS_WRITE, 0, PX_HOST_DISP_CREATE_ALWAYS, PX_HOST_OPEN_NORMAL, &s.h) == 0) {
        int64_t r = dm_store_snapshot(&g.st, seq_emit, &s);
        if (r == 0) r = px_host_file_flush(s.h);
        px_host_close(s.h);
        /* the atomic step: the old log or the new one, never a mix */
        if (r < 0 || px_host_path_move(tmp, path, PX_HOST_MOVE_REPLACE | PX_HOST_MOVE_WRITE_THROUGH) < 0)
            px_host_file_delete(tmp);
    }
    px_free(tmp);
}

static void open_log(void)
{
    px_host_rwlock_init(&g.lock);
    dm_store_init(&g.st);
    wchar_t *path = px_home_path(L"drvfs-meta.log", true);
    if (!path) return;
    px_host_handle h;
    /* alone? then a torn tail is cut and a long log compacted */
    if (px_host_file_open_ex(path, PX_HOST_ACCESS_READ | PX_HOST_ACCESS_WRITE, 0, PX_HOST_DISP_OPEN_EXISTING, 0, &h) == 0) {
        uint64_t size = 0;
        int64_t valid = load(h, &size);
        if (valid < 0) valid = 0; /* not a log of ours: started over below */
        if ((uint64_t)valid != size) px_host_file_set_size(h, (uint64_t)valid);
        px_host_close(h);
        if (valid > 0) compact(path);
    }
    int64_t r = -LINUX_EBUSY;
    /* another process may be in its exclusive moment above: that lasts only so long */
    for (uint32_t waited = 0; r == -LINUX_EBUSY && waited <= 10000; waited += 10) {
        r = px_host_file_open_ex(path, PX_HOST_ACCESS_READ | PX_HOST_ACCESS_WRITE, PX_HOST_SHARE_ALL,
                                 PX_HOST_DISP_OPEN_ALWAYS, PX_HOST_OPEN_NORMAL, &h);
        if (r == -LINUX_EBUSY) px_host_sleep_ms(10);
    }
    px_free(path);
    if (r < 0) return;
    g.log = h;
    if (lock_log() < 0) {
        px_host_close(h);
        g.log = NULL;
        return;
    }
    uint64_t size = 0;
    int64_t valid = load(h, &size);
    if (valid < 0) { /* new (or foreign): a header makes it ours */
        px_host_file_set_size(h, 0);
        valid = px_host_file_pwrite(h, DM_LOG_MAGIC, DM_LOG_HEADER, 0) == DM_LOG_HEADER ? DM_LOG_HEADER : -1;
    }
    unlock_log();
    if (valid < 0) {
        px_host_close(h);
        g.log = NULL;
        dm_store_free(&g.st);
        return;
    }
    /* a torn tail another process has open stays: appends go after the valid prefix */
    g.log_end = (uint64_t)valid;
    g.st.append = log_append;
}

static bool ready(void)
{
    px_host_once_run(&g.once, open_log);
    return g.log != NULL;
}

/* Runs change on the store under both locks, after catching up. */
static int64_t store_put(uint64_t dev, uint64_t ino, const dm_meta *m)
{
    if (!ready()) return -LINUX_EPERM; /* nowhere to keep it: what drvfs says without metadata */
    px_host_rwlock_lock(&g.lock);
    int64_t r = lock_log();
    if (r == 0) {
        catch_up();
        r = dm_store_put(&g.st, dev, ino, m);
        unlock_log();
    }
    px_host_rwlock_unlock(&g.lock);
    px_stat_cache_invalidate();
    return r;
}

static bool store_get(uint64_t dev, uint64_t ino, dm_meta *out)
{
    if (!ready()) return false;
    px_host_rwlock_lock(&g.lock);
    catch_up(); /* applies whole records only: another process's append in flight waits for next time */
    const dm_meta *m = dm_store_get(&g.st, dev, ino);
    if (m) *out = *m;
    px_host_rwlock_unlock(&g.lock);
    return m != NULL;
}

/* --- the default owner --- */

/* Set by the tasks layer with the session's first ids (identity.c); until then (and in
   the unit of a process that never made a first cred) the caller's. */
static volatile int owner_known;
static uint32_t owner_uid, owner_gid;

void px_fs_set_default_owner(uint32_t uid, uint32_t gid)
{
    owner_uid = uid;
    owner_gid = gid;
    __atomic_store_n(&owner_known, 1, __ATOMIC_RELEASE);
}

void px_drvfs_meta_default_owner(uint32_t *uid, uint32_t *gid)
{
    if (__atomic_load_n(&owner_known, __ATOMIC_ACQUIRE)) {
        *uid = owner_uid;
        *gid = owner_gid;
    } else {
        *uid = px_current_fsuid();
        *gid = px_current_fsgid();
    }
}

/* --- identity and the EA volume --- */

static bool ea_volume(px_host_handle h)
{
    int known = __atomic_load_n(&g.ea_volume, __ATOMIC_RELAXED);
    if (known >= 0 || !h) return known == 1;
    known = px_host_volume_has_eas(h) ? 1 : 0;
    __atomic_store_n(&g.ea_volume, known, __ATOMIC_RELAXED);
    return known == 1;
}

static bool identity_of(px_host_handle h, uint64_t *dev, uint64_t *ino)
{
    *dev = px_nt_volume_serial(h);
    return px_host_file_index(h, ino) == 0;
}

bool px_drvfs_meta_maybe_ea_volume(void) { return __atomic_load_n(&g.ea_volume, __ATOMIC_RELAXED) != 0; }

bool px_drvfs_meta_in_use(px_host_handle h)
{
    if (h) ea_volume(h); /* learnt once */
    if (__atomic_load_n(&g.ea_volume, __ATOMIC_RELAXED) == 1) return true;
    if (!ready()) return false;
    px_host_rwlock_lock(&g.lock);
    catch_up();
    bool any = g.st.entries != NULL;
    px_host_rwlock_unlock(&g.lock);
    return any;
}

static void meta_of_ea(const px_host_lx_ea *ea, dm_meta *m)
{
    if (ea->have & PX_HOST_LX_MODE) { m->have |= DM_HAVE_MODE; m->mode = ea->mode; }
    if ((ea->have & (PX_HOST_LX_UID | PX_HOST_LX_GID)) == (PX_HOST_LX_UID | PX_HOST_LX_GID)) {
        m->have |= DM_HAVE_OWNER;
        m->uid = ea->uid;
        m->gid = ea->gid;
    }
    if (ea->have & PX_HOST_LX_DEV) {
        m->have |= DM_HAVE_RDEV;
        m->rdev = ((uint64_t)(ea->dev_major & 0xfff) << 8) | (ea->dev_minor & 0xff) |
                  ((uint64_t)(ea->dev_minor & ~0xffu) << 12) | ((uint64_t)(ea->dev_major & ~0xfffu) << 32);
    }
}

/* A record whose file lost the marker is another file's (drvfs_meta.h). */
static bool marker_holds(const dm_meta *m, uint32_t attributes)
{
    return !(m->have & DM_HAVE_MARK) || (attributes & PX_HOST_ATTR_HIDDEN);
}

/* Marks the file (h, else path) as one with a record: true when the marker took (the
   host file system may not keep it: the record then holds unconditionally). */
static bool mark_file(px_host_handle h, const wchar_t *path)
{
    uint32_t attrs;
    if (h) {
        if (px_host_file_attributes(h, &attrs) < 0) return false;
        if (attrs & PX_HOST_ATTR_HIDDEN) return true;
        px_host_handle w;
        if (px_host_file_reopen(h, PX_HOST_ACCESS_READ_ATTRIBUTES | PX_HOST_ACCESS_WRITE_ATTRIBUTES | PX_HOST_ACCESS_SYNCHRONIZE,
                                PX_HOST_SHARE_ALL, PX_HOST_OPEN_DIRECTORIES | PX_HOST_OPEN_NO_REPARSE, &w) < 0)
            return false;
        bool ok = px_host_file_set_basic(w, 0, 0, 0, 0, attrs | PX_HOST_ATTR_HIDDEN) == 0 &&
                  px_host_file_attributes(w, &attrs) == 0 && (attrs & PX_HOST_ATTR_HIDDEN);
        px_host_close(w);
        return ok;
    }
    if (!path || px_host_path_attributes(path, &attrs) < 0) return false;
    if (attrs & PX_HOST_ATTR_HIDDEN) return true;
    return px_host_path_set_attributes(path, attrs | PX_HOST_ATTR_HIDDEN) == 0 && px_host_path_attributes(path, &attrs) == 0 &&
           (attrs & PX_HOST_ATTR_HIDDEN);
}

bool px_drvfs_meta_of(px_host_handle h, uint64_t dev, uint64_t ino, dm_meta *out)
{
    memset(out, 0, sizeof *out);
    bool found = store_get(dev, ino, out);
    uint32_t attrs;
    if (found && h && px_host_file_attributes(h, &attrs) == 0 && !marker_holds(out, attrs)) {
        memset(out, 0, sizeof *out);
        found = false;
    }
    if (h && ea_volume(h)) { /* the EAs are the truth for mode, owner and device; the store keeps nanoseconds */
        px_host_handle r;
        px_host_lx_ea ea;
        out->have &= DM_HAVE_ATIME | DM_HAVE_MTIME;
        if (px_host_file_reopen(h, PX_HOST_ACCESS_READ_EA | PX_HOST_ACCESS_SYNCHRONIZE, PX_HOST_SHARE_ALL,
                                PX_HOST_OPEN_DIRECTORIES | PX_HOST_OPEN_NO_REPARSE, &r) == 0) {
            if (px_host_lx_ea_get(r, &ea) == 0) meta_of_ea(&ea, out);
            px_host_close(r);
        }
        found = out->have != 0;
    }
    return found;
}

/* --- stat --- */

void px_drvfs_meta_apply(px_stat_info *st, const px_nt_attrs *a, const dm_meta *m)
{
    uint32_t host_fmt = st->mode & LINUX_S_IFMT, fmt = m->mode & LINUX_S_IFMT;
    if (!marker_holds(m, a->attributes)) return;
    if (m->have & DM_HAVE_MODE) {
        /* a stored type must agree with what Windows has (a directory or a file); one
           that does not is another file's (an index reused behind picolx's back) */
        bool agrees = fmt == 0 || (host_fmt == LINUX_S_IFDIR) == (fmt == LINUX_S_IFDIR);
        if (!agrees) return;
        st->mode = (fmt ? fmt : host_fmt) | (m->mode & 07777);
        if (fmt != 0 && fmt != LINUX_S_IFREG && fmt != LINUX_S_IFDIR) st->size = 0, st->blocks = 0;
    }
    if (m->have & DM_HAVE_OWNER) {
        st->uid = m->uid;
        st->gid = m->gid;
    }
    if (m->have & DM_HAVE_RDEV) st->rdev = m->rdev;
    if ((m->have & DM_HAVE_ATIME) && a->access_time == m->atime_host)
        st->atime = (struct linux_timespec){.tv_sec = m->atime_sec, .tv_nsec = m->atime_nsec};
    if ((m->have & DM_HAVE_MTIME) && a->write_time == m->mtime_host)
        st->mtime = (struct linux_timespec){.tv_sec = m->mtime_sec, .tv_nsec = m->mtime_nsec};
}

void px_drvfs_meta_overlay(px_stat_info *st, const px_nt_attrs *a)
{
    dm_meta m;
    if (store_get(st->dev, st->ino, &m)) px_drvfs_meta_apply(st, a, &m);
}

/* --- changes --- */

/* Writes m for the file: the EAs (mode, owner, device) on an EA volume, the store for
   the rest (all of it elsewhere). */
static int64_t put_meta(px_host_handle h, const wchar_t *host_path, uint64_t dev, uint64_t ino, const dm_meta *m)
{
    px_host_handle own = NULL;
    if (!h && host_path && __atomic_load_n(&g.ea_volume, __ATOMIC_RELAXED) != 0 &&
        px_host_file_open_ex(host_path, PX_HOST_ACCESS_READ_ATTRIBUTES, PX_HOST_SHARE_ALL, PX_HOST_DISP_OPEN_EXISTING,
                             PX_HOST_OPEN_DIRECTORIES | PX_HOST_OPEN_NO_REPARSE, &own) == 0)
        h = own;
    int64_t r;
    if (h && ea_volume(h)) {
        px_host_lx_ea ea = {0};
        if (m->have & DM_HAVE_MODE) { ea.have |= PX_HOST_LX_MODE; ea.mode = m->mode; }
        if (m->have & DM_HAVE_OWNER) { ea.have |= PX_HOST_LX_UID | PX_HOST_LX_GID; ea.uid = m->uid; ea.gid = m->gid; }
        if (m->have & DM_HAVE_RDEV) {
            ea.have |= PX_HOST_LX_DEV;
            ea.dev_major = (uint32_t)(((m->rdev >> 8) & 0xfff) | ((m->rdev >> 32) & ~0xfffu));
            ea.dev_minor = (uint32_t)((m->rdev & 0xff) | ((m->rdev >> 12) & ~0xffu));
        }
        px_host_handle w;
        r = px_host_file_reopen(h, PX_HOST_ACCESS_WRITE_EA | PX_HOST_ACCESS_SYNCHRONIZE, PX_HOST_SHARE_ALL,
                                PX_HOST_OPEN_DIRECTORIES | PX_HOST_OPEN_NO_REPARSE, &w);
        if (r == 0) {
            r = px_host_lx_ea_set(w, &ea);
            px_host_close(w);
        }
        dm_meta times = *m;
        times.have &= DM_HAVE_ATIME | DM_HAVE_MTIME;
        dm_meta old;
        if (r == 0 && (times.have || store_get(dev, ino, &old))) r = store_put(dev, ino, &times);
        px_stat_cache_invalidate();
    } else {
        dm_meta marked = *m;
        marked.have &= ~DM_HAVE_MARK;
        if (mark_file(h, host_path)) marked.have |= DM_HAVE_MARK;
        r = store_put(dev, ino, &marked);
    }
    if (own) px_host_close(own);
    return r;
}

/* The file's metadata now, as a full record: what is stored, else its defaults. */
static dm_meta current_meta(const px_stat_info *st)
{
    dm_meta m;
    if (!store_get(st->dev, st->ino, &m)) memset(&m, 0, sizeof m);
    m.have &= ~DM_HAVE_MARK; /* put_meta marks it again */
    m.have |= DM_HAVE_MODE | DM_HAVE_OWNER;
    m.mode = st->mode;
    m.uid = st->uid;
    m.gid = st->gid;
    if ((st->mode & LINUX_S_IFMT) == LINUX_S_IFCHR || (st->mode & LINUX_S_IFMT) == LINUX_S_IFBLK) {
        m.have |= DM_HAVE_RDEV;
        m.rdev = st->rdev;
    }
    return m;
}

int64_t px_drvfs_meta_chmod(px_host_handle h, const wchar_t *host_path, const px_stat_info *st, uint32_t mode)
{
    uint32_t uid = px_current_fsuid();
    if (uid != 0 && uid != st->uid) return -LINUX_EPERM;
    bool is_dir = (st->mode & LINUX_S_IFMT) == LINUX_S_IFDIR;
    /* as Linux: setgid goes when the caller is not in the file's group */
    if (uid != 0 && st->gid != px_current_fsgid() && !is_dir) mode &= ~(uint32_t)LINUX_S_ISGID;
    /* what stat shows already (tar and cp -p chmod every file they write): nothing to
       keep, so no record (a default's exec bit still follows the file's first bytes) */
    if ((st->mode & 07777) == (mode & 07777)) return 0;
    dm_meta m = current_meta(st);
    m.mode = (st->mode & LINUX_S_IFMT) | (mode & 07777);
    return put_meta(h, host_path, st->dev, st->ino, &m);
}

int64_t px_drvfs_meta_chown(px_host_handle h, const wchar_t *host_path, const px_stat_info *st, uint32_t uid,
                            uint32_t gid)
{
    uint32_t me = px_current_fsuid();
    if (me != 0) { /* the owner may only give the file to a group of his own */
        if ((uid != UINT32_MAX && uid != st->uid) || me != st->uid) return -LINUX_EPERM;
        if (gid != UINT32_MAX && gid != px_current_fsgid() && gid != st->gid) return -LINUX_EPERM;
    }
    uint32_t new_uid = uid == UINT32_MAX ? st->uid : uid, new_gid = gid == UINT32_MAX ? st->gid : gid;
    dm_meta m = current_meta(st);
    uint32_t fmt = st->mode & LINUX_S_IFMT;
    if ((uid != UINT32_MAX || gid != UINT32_MAX) && fmt != LINUX_S_IFDIR && fmt != LINUX_S_IFLNK) {
        /* as Linux: a change of owner drops setuid, and setgid where it means "executable" */
        m.mode &= ~(uint32_t)LINUX_S_ISUID;
        if (m.mode & 010) m.mode &= ~(uint32_t)LINUX_S_ISGID;
    }
    /* nothing changes (tar as root gives most files root's ids): no record, so a file
       with none keeps belonging to whoever runs picolx, as drvfs without metadata */
    if (new_uid == st->uid && new_gid == st->gid && m.mode == st->mode) return 0;
    m.uid = new_uid;
    m.gid = new_gid;
    return put_meta(h, host_path, st->dev, st->ino, &m);
}

static int64_t host_time_of(const struct linux_timespec *t)
{
    int64_t v = t->tv_sec * 10000000 + t->tv_nsec / 100 + FILETIME_UNIX_EPOCH;
    return v > 0 ? v : 1; /* as file_nt.c's set_times */
}

void px_drvfs_meta_times_set(px_host_handle h, const struct linux_timespec times[2])
{
    bool fine = false;
    for (int i = 0; i < 2; i++)
        if (times[i].tv_nsec != LINUX_UTIME_OMIT && times[i].tv_nsec % 100) fine = true;
    if (!fine && !px_drvfs_meta_in_use(h)) return;
    uint64_t dev, ino;
    if (!identity_of(h, &dev, &ino)) return;
    dm_meta m;
    bool had = store_get(dev, ino, &m);
    if (!had) memset(&m, 0, sizeof m);
    if (!fine && !(m.have & (DM_HAVE_ATIME | DM_HAVE_MTIME))) return;
    for (int i = 0; i < 2; i++) {
        const struct linux_timespec *t = &times[i];
        if (t->tv_nsec == LINUX_UTIME_OMIT) continue;
        uint32_t bit = i == 0 ? DM_HAVE_ATIME : DM_HAVE_MTIME;
        if (t->tv_nsec % 100 == 0) { m.have &= ~bit; continue; }
        m.have |= bit;
        if (i == 0) { m.atime_sec = t->tv_sec; m.atime_nsec = (uint32_t)t->tv_nsec; m.atime_host = host_time_of(t); }
        else { m.mtime_sec = t->tv_sec; m.mtime_nsec = (uint32_t)t->tv_nsec; m.mtime_host = host_time_of(t); }
    }
    (void)store_put(dev, ino, &m); /* the times themselves are set: only the nanoseconds are lost on failure */
}

void px_drvfs_meta_created(px_host_handle h, uint32_t mode)
{
    bool is_dir = (mode & LINUX_S_IFMT) == LINUX_S_IFDIR;
    uint32_t uid, gid;
    px_drvfs_meta_default_owner(&uid, &gid);
    /* the defaults are right for the session's own user's 0644 files and 0755 directories */
    bool default_mode = (mode & 07777) == (is_dir ? 0755u : 0644u) && uid == px_current_fsuid() && gid == px_current_fsgid();
    bool eas = ea_volume(h);
    if (default_mode && !eas && !px_drvfs_meta_in_use(NULL)) return;
    uint64_t dev, ino;
    if (!identity_of(h, &dev, &ino)) return;
    dm_meta old;
    bool stale = store_get(dev, ino, &old);
    if (default_mode && !eas) {
        /* the defaults are right: only a record left by an earlier file of that index goes */
        if (stale) store_put(dev, ino, &(dm_meta){0});
        return;
    }
    dm_meta m = {.have = DM_HAVE_MODE | DM_HAVE_OWNER, .mode = mode, .uid = px_current_fsuid(), .gid = px_current_fsgid()};
    (void)put_meta(h, NULL, dev, ino, &m);
}

int64_t px_drvfs_meta_identity(px_mount *m, const char *rel, px_stat_info *st)
{
    wchar_t *path;
    int64_t r = px_nt_host_path(m, rel, false, &path);
    if (r < 0) return r;
    px_host_handle h;
    r = px_host_file_open_ex(path, PX_HOST_ACCESS_READ_ATTRIBUTES, PX_HOST_SHARE_ALL, PX_HOST_DISP_OPEN_EXISTING,
                             PX_HOST_OPEN_DIRECTORIES | PX_HOST_OPEN_NO_REPARSE, &h);
    px_free(path);
    if (r < 0) return r;
    px_host_file_facts facts;
    r = px_host_file_info(h, &facts);
    if (r == 0) {
        memset(st, 0, sizeof *st);
        st->dev = px_nt_volume_serial(h);
        st->ino = facts.index;
        st->nlink = facts.links;
        st->mode = (facts.attrs.attributes & PX_HOST_ATTR_DIRECTORY) ? LINUX_S_IFDIR : LINUX_S_IFREG;
    }
    px_host_close(h);
    return r;
}

void px_drvfs_meta_unlinked(const px_stat_info *st)
{
    bool is_dir = (st->mode & LINUX_S_IFMT) == LINUX_S_IFDIR;
    if (!is_dir && st->nlink > 1) return; /* other names keep it */
    dm_meta old;
    if (store_get(st->dev, st->ino, &old)) store_put(st->dev, st->ino, &(dm_meta){0});
}

/* --- the exec bit of files with no mode --- */

bool px_drvfs_meta_sniff_known(const dm_meta *m, const px_nt_attrs *a, bool *program)
{
    if (!(m->have & DM_HAVE_SNIFF) || m->sniff_write_time != a->write_time || m->sniff_size != a->size) return false;
    *program = (m->have & DM_SNIFF_PROGRAM) != 0;
    return true;
}

void px_drvfs_meta_sniffed(uint64_t dev, uint64_t ino, const px_nt_attrs *a, bool program)
{
    dm_meta m;
    if (!store_get(dev, ino, &m)) memset(&m, 0, sizeof m);
    m.have = (m.have & ~DM_SNIFF_PROGRAM) | DM_HAVE_SNIFF | (program ? DM_SNIFF_PROGRAM : 0);
    m.sniff_write_time = a->write_time;
    m.sniff_size = a->size;
    (void)store_put(dev, ino, &m); /* lost: the next stat reads again */
}

/* --- directories --- */

int64_t px_drvfs_meta_may_change_dir(px_mount *m, const char *rel)
{
    uint32_t uid = px_current_fsuid();
    if (uid == 0 || !px_drvfs_meta_in_use(NULL)) return 0;
    char parent[PX_PATH_MAX];
    size_t n = strlen(rel);
    if (n >= sizeof parent) return 0;
    memcpy(parent, rel, n + 1);
    char *slash = strrchr(parent, '/');
    if (slash) *slash = 0;
    else parent[0] = 0; /* the mount's root */
    px_stat_info st;
    if (px_nt_stat_path(m, parent, &st) < 0) return 0; /* the operation itself says what is wrong */
    uint32_t bits = st.uid == uid ? st.mode >> 6 : st.gid == px_current_fsgid() ? st.mode >> 3 : st.mode;
    return (bits & 3) == 3 ? 0 : -LINUX_EACCES; /* write and search */
}

/* --- opens and mknod --- */

static uint64_t fifo_space(uint64_t dev)
{
    uint64_t key[2] = {0x7366767264ull /* "drvfs" */, dev};
    return px_fifo_space_of(key, sizeof key);
}

int64_t px_drvfs_meta_open(px_file *f, uint32_t flags, px_file **out)
{
    if (!px_drvfs_meta_in_use(f->handle)) return 0;
    /* root's opens need only know about FIFOs and device nodes: without any, the
       file's identity is not asked for (a query of the new handle) */
    if (px_current_fsuid() == 0 && !ea_volume(f->handle) &&
        !__atomic_load_n(&g.st.specials, __ATOMIC_RELAXED))
        return 0;
    uint64_t dev, ino;
    dm_meta m;
    if (!identity_of(f->handle, &dev, &ino) || !px_drvfs_meta_of(f->handle, dev, ino, &m)) return 0;
    if (!(m.have & DM_HAVE_MODE) || (flags & LINUX_O_PATH)) return 0;
    uint32_t uid = px_current_fsuid();
    if (uid != 0) {
        uint32_t acc = flags & LINUX_O_ACCMODE;
        uint32_t want = (acc == LINUX_O_RDONLY ? 4 : acc == LINUX_O_WRONLY ? 2 : 6) | ((flags & LINUX_O_TRUNC) ? 2 : 0);
        uint32_t owner = (m.have & DM_HAVE_OWNER) ? m.uid : uid, group = (m.have & DM_HAVE_OWNER) ? m.gid : px_current_fsgid();
        uint32_t bits = owner == uid ? m.mode >> 6 : group == px_current_fsgid() ? m.mode >> 3 : m.mode;
        if ((bits & want & 7) != want) {
            px_file_unref(f);
            return -LINUX_EACCES;
        }
    }
    uint32_t fmt = m.mode & LINUX_S_IFMT;
    if (fmt == LINUX_S_IFIFO) {
        int64_t r = px_fifo_open(fifo_space(dev), ino, f, flags, out); /* takes f over */
        return r < 0 ? r : 1;
    }
    if (fmt == LINUX_S_IFCHR) {
        px_stat_info st;
        int64_t r = f->ops->stat(f, &st);
        const char *path = f->guest_path;
        if (r == 0) r = px_devfs_open_rdev(st.rdev, flags, &st, path, out);
        px_file_unref(f);
        return r < 0 ? r : 1;
    }
    if (fmt == LINUX_S_IFBLK || fmt == LINUX_S_IFSOCK) { /* no driver here, as Linux without one */
        px_file_unref(f);
        return -LINUX_ENXIO;
    }
    return 0;
}

int64_t px_drvfs_mknod(px_mount *m, const char *rel, uint32_t mode, uint64_t dev)
{
    if (!rel[0]) return -LINUX_EEXIST;
    wchar_t *path;
    int64_t r = px_drvfs_meta_may_change_dir(m, rel);
    if (r == 0) r = px_nt_host_path(m, rel, true, &path);
    if (r < 0) return r;
    px_host_handle h;
    px_stat_cache_invalidate();
    r = px_host_file_open_ex(path, PX_HOST_ACCESS_READ_ATTRIBUTES | PX_HOST_ACCESS_WRITE_ATTRIBUTES | PX_HOST_ACCESS_DELETE,
                             PX_HOST_SHARE_ALL, PX_HOST_DISP_CREATE_NEW, PX_HOST_OPEN_NORMAL, &h);
    if (r < 0) {
        px_free(path);
        return r == -LINUX_ENOENT && px_nt_is_directory(m, rel) == 1 ? -LINUX_EEXIST : r;
    }
    uint64_t vol, ino;
    r = identity_of(h, &vol, &ino) ? 0 : -LINUX_EIO;
    uint32_t fmt = mode & LINUX_S_IFMT;
    dm_meta meta = {.have = DM_HAVE_MODE | DM_HAVE_OWNER, .mode = mode, .uid = px_current_fsuid(), .gid = px_current_fsgid()};
    if (fmt == LINUX_S_IFCHR || fmt == LINUX_S_IFBLK) {
        meta.have |= DM_HAVE_RDEV;
        meta.rdev = dev;
    }
    if (r == 0) r = put_meta(h, NULL, vol, ino, &meta);
    if (r < 0) px_host_file_delete_handle(h); /* no node without its type */
    px_host_close(h);
    px_free(path);
    return r;
}

/* --- open and mkdir: file_nt.c's, with the metadata steps around them --- */

/* Whether rel names something now (the by-name query: no handle). */
static bool name_exists(px_mount *m, const char *rel)
{
    wchar_t *path;
    if (px_nt_host_path(m, rel, false, &path) < 0) return false;
    px_nt_attrs attrs;
    bool there = px_nt_query_attrs(path, &attrs, NULL) == 0;
    px_free(path);
    return there;
}

int64_t px_drvfs_open(px_mount *m, const char *rel, uint32_t flags, uint32_t mode, px_file **out)
{
    bool created = (flags & LINUX_O_CREAT) && ((flags & LINUX_O_EXCL) || !name_exists(m, rel));
    int64_t r = px_nt_open(m, rel, flags, mode, out);
    if (r < 0) return r;
    px_file *f = *out;
    if (!created) {
        r = px_drvfs_meta_open(f, flags, out); /* on a FIFO, device node or error: f taken over */
        return r < 0 ? r : 0;
    }
    if ((r = px_drvfs_meta_may_change_dir(m, rel)) < 0) { /* made in a directory the user may not write */
        px_host_handle d;
        if (px_host_file_reopen(f->handle, PX_HOST_ACCESS_DELETE | PX_HOST_ACCESS_SYNCHRONIZE, PX_HOST_SHARE_ALL, 0, &d) == 0) {
            px_host_file_delete_handle(d);
            px_host_close(d);
        }
        px_file_unref(f);
        return r;
    }
    px_drvfs_meta_created(f->handle, (f->is_dir ? LINUX_S_IFDIR : LINUX_S_IFREG) | (mode & 07777));
    return 0;
}

int64_t px_drvfs_mkdir(px_mount *m, const char *rel, uint32_t mode)
{
    if (!rel[0]) return -LINUX_EEXIST;
    int64_t r = px_drvfs_meta_may_change_dir(m, rel);
    if (r < 0) return px_nt_is_directory(m, rel) >= 0 ? -LINUX_EEXIST : r;
    if ((r = px_nt_mkdir(m, rel, mode)) < 0) return r;
    wchar_t *path;
    px_host_handle h;
    if (px_nt_host_path(m, rel, false, &path) == 0) {
        if (px_host_file_open_ex(path, PX_HOST_ACCESS_READ_ATTRIBUTES, PX_HOST_SHARE_ALL, PX_HOST_DISP_OPEN_EXISTING,
                                 PX_HOST_OPEN_DIRECTORIES, &h) == 0) {
            px_drvfs_meta_created(h, LINUX_S_IFDIR | (mode & 07777)); /* a mode other than 0755 is kept */
            px_host_close(h);
        }
        px_free(path);
    }
    return 0;
}
