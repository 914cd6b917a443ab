/* Container processes: the rootfs disk, the cgroup, and fork/namespace/exec with a two-pipe handshake.
 *
 * A process is created stopped: the child sets itself up (namespaces, mounts, pivot_root, stdio, cgroup) and
 * reports "ready" (byte 0) or an error (byte 1 + text) on the report socket, then blocks on the start pipe. Start
 * writes one byte; the child execs, and the report socket (close-on-exec) reaches EOF — or carries the exec error.
 * A terminal is opened by the child inside the container (its own devpts instance, so `tty` names /dev/pts/N
 * there) and the master travels to the agent with the "ready" byte (SCM_RIGHTS). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "agent.h"

extern char **environ;

static int write_file(const char *path, const char *val) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t w = write(fd, val, strlen(val));
    int e = errno;
    close(fd);
    errno = e;
    return w < 0 ? -1 : 0;
}

static void mkdir_p(const char *path, mode_t mode) {
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') { *p = 0; mkdir(tmp, mode); *p = '/'; }
    mkdir(tmp, mode);
}

/* ---------------------------------------------------------------- rootfs disk */

static int find_disk_by_serial(const char *serial, char *dev, size_t devlen) {
    DIR *d = opendir("/sys/block");
    if (!d) return -1;
    struct dirent *e;
    int found = -1;
    while ((e = readdir(d)) && found) {
        if (strncmp(e->d_name, "vd", 2)) continue;
        char path[512], buf[64] = {0};
        snprintf(path, sizeof path, "/sys/block/%s/serial", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0) continue;
        buf[strcspn(buf, "\n")] = 0;
        if (!strcmp(buf, serial)) {
            snprintf(dev, devlen, "/dev/%s", e->d_name);
            found = 0;
        }
    }
    closedir(d);
    return found;
}

static unsigned long mount_flag(const char *o, int *clear) {
    static const struct { const char *name; unsigned long flag; int clear; } t[] = {
        {"ro", MS_RDONLY, 0}, {"rw", MS_RDONLY, 1}, {"nosuid", MS_NOSUID, 0}, {"suid", MS_NOSUID, 1},
        {"nodev", MS_NODEV, 0}, {"dev", MS_NODEV, 1}, {"noexec", MS_NOEXEC, 0}, {"exec", MS_NOEXEC, 1},
        {"relatime", MS_RELATIME, 0}, {"norelatime", MS_RELATIME, 1}, {"strictatime", MS_STRICTATIME, 0},
        {"noatime", MS_NOATIME, 0}, {"nodiratime", MS_NODIRATIME, 0}, {"sync", MS_SYNCHRONOUS, 0},
        {"bind", MS_BIND, 0}, {"rbind", MS_BIND | MS_REC, 0},
        {"private", 0, 0}, {"rprivate", 0, 0}, {"slave", 0, 0}, {"rslave", 0, 0}, {"shared", 0, 0},
        {"rshared", 0, 0}, {"defaults", 0, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (!strcmp(o, t[i].name)) { *clear = t[i].clear; return t[i].flag ? t[i].flag : (unsigned long)-1; }
    return 0;
}

/* splits options into mount flags and a data string */
static unsigned long parse_opts(char **opts, int n, char *data, size_t datalen) {
    unsigned long flags = 0;
    data[0] = 0;
    for (int i = 0; i < n; i++) {
        int clear = 0;
        unsigned long f = mount_flag(opts[i], &clear);
        if (f == (unsigned long)-1) continue;
        if (f) { if (clear) flags &= ~f; else flags |= f; continue; }
        size_t l = strlen(data);
        snprintf(data + l, datalen - l, "%s%s", l ? "," : "", opts[i]);
    }
    return flags;
}

int mount_rootfs_disk(container_t *c, const char *type, const char *source, char **opts, int nopts, char *err,
                      size_t errlen) {
    char dev[300];
    uint64_t end = now_ms() + 10000;
    if (!strncmp(source, "serial:", 7)) {
        /* hot-plugged disks appear after the PCIe slot is probed: wait a little */
        while (find_disk_by_serial(source + 7, dev, sizeof dev)) {
            if (now_ms() > end) { snprintf(err, errlen, "no disk with serial %s appeared", source + 7); return -1; }
            usleep(5000);
        }
    } else if (!strncmp(source, "/dev/", 5)) {
        snprintf(dev, sizeof dev, "%s", source);
    } else {
        snprintf(err, errlen, "rootfs source %s: expected serial:<serial> or /dev/<disk>", source);
        return -1;
    }
    snprintf(c->rootfs, sizeof c->rootfs, "/run/atrium/%s/rootfs", c->id);
    mkdir_p(c->rootfs, 0755);
    char data[512];
    unsigned long flags = parse_opts(opts, nopts, data, sizeof data);
    /* the serial shows in sysfs before the block device can be opened: ENXIO/ENODEV until it is ready */
    while (mount(dev, c->rootfs, type && *type ? type : "ext4", flags, data[0] ? data : NULL)) {
        int e = errno;
        if ((e == ENXIO || e == ENODEV || e == ENOENT) && now_ms() < end) { usleep(10000); continue; }
        snprintf(err, errlen, "mount %s (%s) on %s: %s", dev, type, c->rootfs, strerror(e));
        return -1;
    }
    c->mounted = 1;
    DBG("container %s: rootfs %s mounted", c->id, dev);
    return 0;
}

void umount_rootfs(container_t *c) {
    if (!c->mounted) return;
    if (umount2(c->rootfs, MNT_DETACH)) logmsg("umount %s: %s", c->rootfs, strerror(errno));
    c->mounted = 0;
    char dir[600];
    rmdir(c->rootfs);
    snprintf(dir, sizeof dir, "/run/atrium/%s", c->id);
    rmdir(dir);
}

/* ---------------------------------------------------------------- cgroup v2 */

int cgroup_setup(container_t *c, char *err, size_t errlen) {
    snprintf(c->cgroup, sizeof c->cgroup, "/sys/fs/cgroup/%s", c->id);
    if (mkdir(c->cgroup, 0755) && errno != EEXIST) {
        snprintf(err, errlen, "cgroup %s: %s", c->cgroup, strerror(errno));
        c->cgroup[0] = 0;
        return -1;
    }
    char path[700], val[64];
    jv *res = jpath(c->spec, "linux.resources");
    long long mem = jint(jpath(res, "memory.limit"), 0);
    if (mem > 0) {
        snprintf(path, sizeof path, "%s/memory.max", c->cgroup);
        snprintf(val, sizeof val, "%lld", mem);
        if (write_file(path, val)) logmsg("%s: %s", path, strerror(errno));
        snprintf(path, sizeof path, "%s/memory.swap.max", c->cgroup);
        write_file(path, "0");
    }
    long long quota = jint(jpath(res, "cpu.quota"), 0), period = jint(jpath(res, "cpu.period"), 100000);
    if (quota > 0) {
        snprintf(path, sizeof path, "%s/cpu.max", c->cgroup);
        snprintf(val, sizeof val, "%lld %lld", quota, period > 0 ? period : 100000);
        if (write_file(path, val)) logmsg("%s: %s", path, strerror(errno));
    }
    long long shares = jint(jpath(res, "cpu.shares"), 0);
    if (shares >= 2) {
        snprintf(path, sizeof path, "%s/cpu.weight", c->cgroup);
        snprintf(val, sizeof val, "%lld", 1 + ((shares - 2) * 9999) / 262142);
        write_file(path, val);
    }
    long long pids = jint(jpath(res, "pids.limit"), 0);
    if (pids > 0) {
        snprintf(path, sizeof path, "%s/pids.max", c->cgroup);
        snprintf(val, sizeof val, "%lld", pids);
        write_file(path, val);
    }
    return 0;
}

int cgroup_pids(container_t *c, pid_t *out, int max) {
    if (!c->cgroup[0]) return 0;
    char path[700];
    snprintf(path, sizeof path, "%s/cgroup.procs", c->cgroup);
    FILE *f = fopen(path, "re");
    if (!f) return 0;
    int n = 0, pid;
    while (n < max && fscanf(f, "%d", &pid) == 1) out[n++] = pid;
    fclose(f);
    return n;
}

void cgroup_kill_all(container_t *c, int sig) {
    if (!c->cgroup[0]) return;
    char path[700];
    snprintf(path, sizeof path, "%s/cgroup.kill", c->cgroup);
    if (sig == SIGKILL && !write_file(path, "1")) return;
    pid_t pids[4096];
    int n = cgroup_pids(c, pids, 4096);
    for (int i = 0; i < n; i++) kill(pids[i], sig);
}

int cgroup_freeze(container_t *c, int frozen) {
    char path[700];
    snprintf(path, sizeof path, "%s/cgroup.freeze", c->cgroup);
    return write_file(path, frozen ? "1" : "0");
}

void cgroup_remove(container_t *c) {
    if (!c->cgroup[0]) return;
    for (int i = 0; i < 200 && rmdir(c->cgroup) && errno == EBUSY; i++) usleep(5000);
    c->cgroup[0] = 0;
}

/* Update: the node's Resources record as JSON (io.atrium/linux-resources); zero means "leave as is" */
int cgroup_apply_resources(container_t *c, const jv *res, char *err, size_t errlen) {
    char path[700], val[128];
    struct { const char *file; long long v; const char *fmt; } nums[] = {
        {"memory.max", jint(jget(res, "memoryLimitBytes"), 0), "%lld"},
        {"pids.max", jint(jget(res, "pidsLimit"), 0), "%lld"},
    };
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
        if (nums[i].v <= 0) continue;
        snprintf(path, sizeof path, "%s/%s", c->cgroup, nums[i].file);
        snprintf(val, sizeof val, nums[i].fmt, nums[i].v);
        if (write_file(path, val)) { snprintf(err, errlen, "%s: %s", nums[i].file, strerror(errno)); return -1; }
    }
    long long quota = jint(jget(res, "cpuQuota"), 0), period = jint(jget(res, "cpuPeriod"), 0);
    if (quota > 0 || period > 0) {
        snprintf(path, sizeof path, "%s/cpu.max", c->cgroup);
        if (quota > 0) snprintf(val, sizeof val, "%lld %lld", quota, period > 0 ? period : 100000);
        else snprintf(val, sizeof val, "max %lld", period);
        if (write_file(path, val)) { snprintf(err, errlen, "cpu.max: %s", strerror(errno)); return -1; }
    }
    long long shares = jint(jget(res, "cpuShares"), 0);
    if (shares >= 2) {
        snprintf(path, sizeof path, "%s/cpu.weight", c->cgroup);
        snprintf(val, sizeof val, "%lld", 1 + ((shares - 2) * 9999) / 262142);
        if (write_file(path, val)) { snprintf(err, errlen, "cpu.weight: %s", strerror(errno)); return -1; }
    }
    const char *sets[][2] = {{"cpusetCpus", "cpuset.cpus"}, {"cpusetMems", "cpuset.mems"}};
    for (size_t i = 0; i < 2; i++) {
        const char *v = jstr(jget(res, sets[i][0]), "");
        if (!*v) continue;
        snprintf(path, sizeof path, "%s/%s", c->cgroup, sets[i][1]);
        if (write_file(path, v)) { snprintf(err, errlen, "%s: %s", sets[i][1], strerror(errno)); return -1; }
    }
    jv *unified = jget(res, "unified");
    for (int i = 0; unified && unified->type == J_OBJ && i < unified->n; i++) {
        const char *k = unified->keys[i], *v = jstr(unified->items[i], NULL);
        if (!v || strchr(k, '/') || k[0] == '.' || !strchr(k, '.')) {
            snprintf(err, errlen, "unified key %.100s is not a cgroup file", k);
            return -1;
        }
        snprintf(path, sizeof path, "%s/%s", c->cgroup, k);
        if (write_file(path, v)) { snprintf(err, errlen, "%s: %s", k, strerror(errno)); return -1; }
    }
    return 0;
}

static long long cg_value(container_t *c, const char *file, const char *key) {
    char path[700], line[256];
    snprintf(path, sizeof path, "%s/%s", c->cgroup, file);
    FILE *f = fopen(path, "re");
    if (!f) return 0;
    long long v = 0;
    size_t kl = key ? strlen(key) : 0;
    while (fgets(line, sizeof line, f)) {
        if (!key) { v = strtoll(line, NULL, 10); break; }
        if (!strncmp(line, key, kl) && line[kl] == ' ') { v = strtoll(line + kl + 1, NULL, 10); break; }
    }
    fclose(f);
    return v;
}

long long cgroup_oom_kills(container_t *c) { return c->cgroup[0] ? cg_value(c, "memory.events", "oom_kill") : 0; }

/* Stats: io.atrium/container-stats, the fields of the node's ContainerStats record */
int cgroup_stats_json(container_t *c, buf_t *out) {
    long long usage = cg_value(c, "memory.current", NULL), inactive = cg_value(c, "memory.stat", "inactive_file");
    char json[768];
    int n = snprintf(json, sizeof json,
                     "{\"cpu_usage_nanos\":%lld,\"memory_usage_bytes\":%lld,\"working_set_bytes\":%lld,"
                     "\"rss_bytes\":%lld,\"page_faults\":%lld,\"major_page_faults\":%lld,\"pids\":%lld,"
                     "\"oom_kills\":%lld}",
                     cg_value(c, "cpu.stat", "usage_usec") * 1000, usage, usage > inactive ? usage - inactive : 0,
                     cg_value(c, "memory.stat", "anon"), cg_value(c, "memory.stat", "pgfault"),
                     cg_value(c, "memory.stat", "pgmajfault"), cg_value(c, "pids.current", NULL),
                     cg_value(c, "memory.events", "oom_kill"));
    buf_put(out, json, (size_t)n);
    return 0;
}

/* ---------------------------------------------------------------- child side */

static void child_fail(int fd, const char *what, int e) __attribute__((noreturn));
static void child_fail(int fd, const char *what, int e) {
    char msg[600];
    msg[0] = 1;
    int n = snprintf(msg + 1, sizeof msg - 1, "%s: %s", what, strerror(e));
    ssize_t w = write(fd, msg, (size_t)n + 1);
    (void)w;
    _exit(127);
}

static void bind_dev(const char *root, const char *name, int fd) {
    char dst[1100], src[64];
    snprintf(dst, sizeof dst, "%s/dev/%s", root, name);
    snprintf(src, sizeof src, "/dev/%s", name);
    int t = open(dst, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
    if (t >= 0) close(t);
    if (mount(src, dst, NULL, MS_BIND, NULL)) child_fail(fd, dst, errno);
}

static void setup_mounts(container_t *c, int fd) {
    const char *root = c->rootfs;
    jv *mounts = jget(c->spec, "mounts");
    int have_proc = 0;
    for (int i = 0; mounts && mounts->type == J_ARR && i < mounts->n; i++) {
        jv *m = mounts->items[i];
        const char *dest = jstr(jget(m, "destination"), NULL), *type = jstr(jget(m, "type"), "");
        const char *src = jstr(jget(m, "source"), "");
        if (!dest || dest[0] != '/' || strstr(dest, "..")) continue;
        char **opts = jstrarray(jget(m, "options"));
        int nopts = 0;
        while (opts && opts[nopts]) nopts++;
        char data[512], target[1100];
        unsigned long flags = parse_opts(opts, nopts, data, sizeof data);
        strv_free(opts);
        snprintf(target, sizeof target, "%s%s", root, dest);
        int is_bind = !strcmp(type, "bind") || (flags & MS_BIND);
        if (is_bind) {
            /* host paths (hosts, resolv.conf, volumes) do not exist inside the VM: only guest paths bind */
            struct stat st;
            if (stat(src, &st)) { DBG("container %s: skip bind %s (no %s in the guest)", c->id, dest, src); continue; }
            if (S_ISDIR(st.st_mode)) mkdir_p(target, 0755);
            else { char *sl = strrchr(target, '/'); *sl = 0; mkdir_p(target, 0755); *sl = '/';
                   int t = open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0644); if (t >= 0) close(t); }
            if (mount(src, target, NULL, MS_BIND | (flags & MS_REC), NULL)) child_fail(fd, target, errno);
            if (flags & MS_RDONLY) mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | (flags & ~(MS_BIND | MS_REC)), NULL);
            continue;
        }
        mkdir_p(target, 0755);
        if (!strcmp(type, "proc")) have_proc = 1;
        if (!strcmp(type, "cgroup")) type = "cgroup2"; /* the guest runs cgroup v2 only */
        if (!strcmp(type, "devpts")) {
            /* a private instance: the container sees only its own ptys */
            snprintf(data, sizeof data, "newinstance,ptmxmode=0666,mode=0620");
        }
        if (mount(type, target, type, flags & ~(MS_BIND | MS_REC), data[0] ? data : NULL)) {
            if (!strcmp(type, "mqueue") || !strcmp(type, "cgroup2")) {
                DBG("container %s: %s on %s: %s (skipped)", c->id, type, dest, strerror(errno));
                continue;
            }
            child_fail(fd, target, errno);
        }
        if (!strcmp(dest, "/dev") && !strcmp(type, "tmpfs")) {
            const char *nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
            for (size_t k = 0; k < sizeof nodes / sizeof *nodes; k++) bind_dev(root, nodes[k], fd);
            char l[1100];
            const char *links[][2] = {{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
                                      {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
                                      {"pts/ptmx", "ptmx"}};
            for (size_t k = 0; k < sizeof links / sizeof *links; k++) {
                snprintf(l, sizeof l, "%s/dev/%s", root, links[k][1]);
                symlink(links[k][0], l);
            }
            snprintf(l, sizeof l, "%s/dev/shm", root);
            mkdir(l, 01777);
            mount("shm", l, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777");
        }
    }
    if (!have_proc) {
        char target[1100];
        snprintf(target, sizeof target, "%s/proc", root);
        mkdir(target, 0555);
        if (mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) child_fail(fd, target, errno);
    }
}

static void enter_rootfs(container_t *c, int fd) {
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) child_fail(fd, "make / private", errno);
    if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL)) child_fail(fd, "bind rootfs", errno);
    setup_mounts(c, fd);
    if (chdir(c->rootfs)) child_fail(fd, "chdir rootfs", errno);
    if (!syscall(SYS_pivot_root, ".", ".")) {
        if (umount2(".", MNT_DETACH)) child_fail(fd, "detach old root", errno);
    } else if (errno == EINVAL) {
        /* the VM's root is the initramfs, which pivot_root cannot move away from: move the container's rootfs
         * over / in this mount namespace and chroot into it (what switch_root and runc --no-pivot do) */
        if (mount(".", "/", NULL, MS_MOVE, NULL)) child_fail(fd, "move rootfs to /", errno);
        if (chroot(".")) child_fail(fd, "chroot", errno);
    } else {
        child_fail(fd, "pivot_root", errno);
    }
    if (chdir("/")) child_fail(fd, "chdir /", errno);
    if (jbool(jpath(c->spec, "root.readonly"), 0)
        && mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL))
        child_fail(fd, "remount / read-only", errno);
}

static char *lookup_path(char **env, const char *file, char *out, size_t outlen) {
    if (strchr(file, '/')) return (char *)file;
    const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (char **e = env; e && *e; e++)
        if (!strncmp(*e, "PATH=", 5)) path = *e + 5;
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(out, outlen, "%.*s/%s", (int)n, path, file);
        if (!access(out, X_OK)) return out;
        path += n + (colon ? 1 : 0);
    }
    return (char *)file;
}

struct child_args {
    proc_t *p;
    const jv *spec;
    int is_exec;
    int mnt_fd;
    int stdio[3];
    int start_rd, report_wr;
};

static void child_main(struct child_args *a) __attribute__((noreturn));
static void child_main(struct child_args *a) {
    int fd = a->report_wr;
    container_t *c = a->p->c;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
    setsid();
    /* join the cgroup while its path is still visible */
    char path[700];
    snprintf(path, sizeof path, "%s/cgroup.procs", c->cgroup);
    if (c->cgroup[0] && write_file(path, "0")) child_fail(fd, "join cgroup", errno);
    if (a->is_exec) {
        if (setns(a->mnt_fd, CLONE_NEWNS)) child_fail(fd, "setns mount", errno);
    } else {
        if (unshare(CLONE_NEWNS)) child_fail(fd, "unshare mount namespace", errno);
        enter_rootfs(c, fd);
    }
    for (int i = 0; i < 3 && !a->p->terminal; i++)
        if (dup2(a->stdio[i], i) < 0) child_fail(fd, "dup2 stdio", errno);
    int master = -1;
    if (a->p->terminal) {
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0) child_fail(fd, "open /dev/ptmx in the container", errno);
        char *name;
        if (unlockpt(master) || !(name = ptsname(master))) child_fail(fd, "unlock pty", errno);
        int slave = open(name, O_RDWR | O_NOCTTY);
        if (slave < 0) child_fail(fd, name, errno);
        for (int i = 0; i < 3; i++) dup2(slave, i);
        if (slave > 2) close(slave);
        if (ioctl(0, TIOCSCTTY, 0)) child_fail(fd, "set controlling terminal", errno);
    }
    syscall(SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);

    const char *cwd = jstr(jpath(a->spec, "cwd"), "/");
    char **args = jstrarray(jget(a->spec, "args"));
    char **env = jstrarray(jget(a->spec, "env"));
    if (!args || !args[0]) child_fail(fd, "process.args", EINVAL);
    if (!env) env = calloc(1, sizeof(char *));
    uid_t uid = (uid_t)jint(jpath(a->spec, "user.uid"), 0);
    gid_t gid = (gid_t)jint(jpath(a->spec, "user.gid"), 0);
    jv *extra = jpath(a->spec, "user.additionalGids");
    gid_t groups[64];
    int ng = 0;
    for (int i = 0; extra && extra->type == J_ARR && i < extra->n && ng < 64; i++) groups[ng++] = (gid_t)jint(extra->items[i], 0);

    char ok = 0;
    struct iovec iov = {&ok, 1};
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } cm;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (master >= 0) {
        mh.msg_control = cm.buf;
        mh.msg_controllen = sizeof cm.buf;
        struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(h), &master, sizeof(int));
    }
    if (sendmsg(fd, &mh, MSG_NOSIGNAL) != 1) _exit(127);
    if (master >= 0) close(master);
    char go;
    if (read(a->start_rd, &go, 1) != 1) _exit(0); /* deleted before start */

    if (setgroups((size_t)ng, groups)) child_fail(fd, "setgroups", errno);
    if (setgid(gid)) child_fail(fd, "setgid", errno);
    if (setuid(uid)) child_fail(fd, "setuid", errno);
    if (chdir(cwd)) child_fail(fd, cwd, errno);
    char exe[1024];
    char *file = lookup_path(env, args[0], exe, sizeof exe);
    environ = env;
    execv(file, args);
    char what[1100];
    snprintf(what, sizeof what, "exec %s", args[0]);
    child_fail(fd, what, errno);
}

/* reads the child's report: returns 0 for "ready"/EOF-after-exec, -1 with err filled otherwise */
static int read_report(int fd, int want_ready, int *passed_fd, char *err, size_t errlen) {
    char msg[600];
    size_t got = 0;
    uint64_t end = now_ms() + 10000;
    while (got < sizeof msg - 1) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left = (int)(end > now_ms() ? end - now_ms() : 0);
        if (poll(&p, 1, left) <= 0) { snprintf(err, errlen, "process did not report in time"); return -1; }
        struct iovec iov = {msg + got, sizeof msg - 1 - got};
        union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } cm;
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof cm.buf};
        ssize_t r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        struct cmsghdr *h = r > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
        if (h && h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
            int pfd;
            memcpy(&pfd, CMSG_DATA(h), sizeof(int));
            if (passed_fd && *passed_fd < 0) *passed_fd = pfd; else close(pfd);
        }
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
        if (want_ready && got >= 1 && msg[0] == 0) return 0;
    }
    if (got == 0) {
        if (want_ready) { snprintf(err, errlen, "process exited during setup"); return -1; }
        return 0; /* exec happened: the close-on-exec pipe closed */
    }
    if (msg[0] == 0 && !want_ready) return 0;
    msg[got] = 0;
    snprintf(err, errlen, "%s", msg + 1);
    return -1;
}

static int open_stdio(proc_t *p, int stdio[3], char *err, size_t errlen) {
    int fds[2];
    (void)err; (void)errlen;
    for (int i = 0; i < 3; i++) stdio[i] = -1;
    if (p->terminal) return 0; /* the child opens the pty inside the container */
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (p->io_id[0] && !pipe2(fds, O_CLOEXEC)) {
        stdio[0] = fds[0];
        p->in_fd = fds[1];
        fcntl(fds[1], F_SETFL, O_NONBLOCK);
    } else {
        stdio[0] = dup(devnull);
    }
    for (int s = 1; s <= 2; s++) {
        if (p->io_id[s] && !pipe2(fds, O_CLOEXEC)) {
            stdio[s] = fds[1];
            p->out_fd[s] = fds[0];
            fcntl(fds[0], F_SETFL, O_NONBLOCK);
        } else {
            stdio[s] = dup(devnull);
        }
    }
    close(devnull);
    return 0;
}

int spawn_process(proc_t *p, const jv *spec, int is_exec, char *err, size_t errlen) {
    int start[2], report[2], stdio[3], mnt_fd = -1;
    char path[128];
    container_t *c = p->c;
    if (is_exec) {
        if (c->init.status != TS_RUNNING) { /* a paused container would freeze the new process mid-setup */
            snprintf(err, errlen, "container %s is %s", c->id, c->init.status == TS_PAUSED ? "paused" : "not running");
            return -1;
        }
        snprintf(path, sizeof path, "/proc/%d/ns/mnt", c->init.pid);
        mnt_fd = open(path, O_RDONLY | O_CLOEXEC);
        snprintf(path, sizeof path, "/proc/%d/ns/pid", c->init.pid);
        int pid_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (mnt_fd < 0 || pid_fd < 0 || setns(pid_fd, CLONE_NEWPID)) {
            snprintf(err, errlen, "enter container %s: %s", c->id, strerror(errno));
            if (mnt_fd >= 0) close(mnt_fd);
            if (pid_fd >= 0) close(pid_fd);
            return -1;
        }
        close(pid_fd);
    } else if (unshare(CLONE_NEWPID)) {
        snprintf(err, errlen, "unshare pid namespace: %s", strerror(errno));
        return -1;
    }
    /* from here the agent's next child is born in the container's pid namespace; switch back right after fork */
    if (open_stdio(p, stdio, err, errlen) || pipe2(start, O_CLOEXEC)
        || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, report)) {
        if (!err[0]) snprintf(err, errlen, "pipe: %s", strerror(errno));
        setns(root_pidns_fd, CLONE_NEWPID);
        if (mnt_fd >= 0) close(mnt_fd);
        proc_release_io(p);
        return -1;
    }
    struct child_args a = {p, spec, is_exec, mnt_fd, {stdio[0], stdio[1], stdio[2]}, start[0], report[1]};
    pid_t pid = fork();
    if (pid == 0) child_main(&a);
    int fork_errno = errno;
    if (setns(root_pidns_fd, CLONE_NEWPID)) logmsg("return to the root pid namespace: %s", strerror(errno));
    if (mnt_fd >= 0) close(mnt_fd);
    close(start[0]);
    close(report[1]);
    for (int i = 0; i < 3; i++)
        if (stdio[i] >= 0) close(stdio[i]);
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(fork_errno));
        close(start[1]);
        close(report[0]);
        proc_release_io(p);
        return -1;
    }
    p->pid = pid;
    p->start_fd = start[1];
    p->report_fd = report[0];
    int master = -1;
    if (read_report(report[0], 1, &master, err, errlen) || (p->terminal && master < 0)) {
        if (!err[0]) snprintf(err, errlen, "no terminal from the container");
        if (master >= 0) close(master);
        kill(pid, SIGKILL); /* reaped by the loop; the process is unknown to the loop until registered */
        close(start[1]);
        close(report[0]);
        p->start_fd = p->report_fd = -1;
        proc_release_io(p);
        p->pid = 0;
        return -1;
    }
    if (master >= 0) {
        fcntl(master, F_SETFL, O_NONBLOCK);
        p->pty_master = master;
        p->out_fd[1] = master;
        p->in_fd = p->io_id[0] ? master : -1;
    }
    p->status = TS_CREATED;
    return 0;
}

int start_process(proc_t *p, char *err, size_t errlen) {
    char go = 1;
    if (p->start_fd < 0 || write(p->start_fd, &go, 1) != 1) {
        snprintf(err, errlen, "process cannot be started: %s", strerror(errno));
        return -1;
    }
    close(p->start_fd);
    p->start_fd = -1;
    int r = read_report(p->report_fd, 0, NULL, err, errlen);
    close(p->report_fd);
    p->report_fd = -1;
    return r;
}
