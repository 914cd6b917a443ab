/* PID 1 boot: file systems, kernel modules, hostname, network, then the channel loop. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

int agent_debug;
int root_pidns_fd = -1;
int loop_run(void);

uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void logmsg(const char *fmt, ...) {
    char line[1024];
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    int n = snprintf(line, sizeof line, "[%5ld.%03ld] atrium-agent: ", (long)ts.tv_sec, ts.tv_nsec / 1000000);
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(2, line, (size_t)n);
    (void)w;
}

static void mnt(const char *src, const char *dst, const char *type, unsigned long flags, const char *data) {
    mkdir(dst, 0755);
    if (mount(src, dst, type, flags, data) && errno != EBUSY) logmsg("mount %s on %s: %s", type, dst, strerror(errno));
}

static char cmdline[4096];

static const char *cmdline_arg(const char *key, char *out, size_t outlen) {
    size_t kl = strlen(key);
    for (char *p = cmdline; *p;) {
        while (*p == ' ' || *p == '\n') p++;
        char *e = p;
        while (*e && *e != ' ' && *e != '\n') e++;
        if ((size_t)(e - p) > kl && !strncmp(p, key, kl) && p[kl] == '=') {
            size_t n = (size_t)(e - p) - kl - 1;
            if (n >= outlen) n = outlen - 1;
            memcpy(out, p + kl + 1, n);
            out[n] = 0;
            return out;
        }
        p = e;
    }
    return NULL;
}

static void load_modules(void) {
    /* /etc/atrium-modules lists module files, dependencies first (written by the guest build from modules.dep) */
    FILE *f = fopen("/etc/atrium-modules", "r");
    if (!f) return;
    char path[512];
    while (fgets(path, sizeof path, f)) {
        path[strcspn(path, "\n")] = 0;
        if (!*path) continue;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) { logmsg("module %s: %s", path, strerror(errno)); continue; }
        if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST) logmsg("finit_module %s: %s", path, strerror(errno));
        else DBG("loaded %s", path);
        close(fd);
    }
    fclose(f);
}

static void link_up(const char *ifname) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
    if (!ioctl(s, SIOCGIFFLAGS, &ifr)) {
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(s, SIOCSIFFLAGS, &ifr)) logmsg("%s up: %s", ifname, strerror(errno));
    }
    close(s);
}

/* runs busybox synchronously (boot only, before the loop owns SIGCHLD) */
static int run(char *const argv[]) {
    pid_t pid = fork();
    if (pid == 0) {
        execv("/bin/busybox", argv);
        _exit(127);
    }
    int st = 0;
    while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(st) || WEXITSTATUS(st)) {
        logmsg("busybox %s %s %s failed (status %d)", argv[1], argv[2] ? argv[2] : "", argv[2] && argv[3] ? argv[3] : "", st);
        return -1;
    }
    return 0;
}

static void setup_network(void) {
    link_up("lo");
    char ip[64], gw[64];
    if (!cmdline_arg("atrium.ip", ip, sizeof ip)) return;
    /* the NIC is probed when virtio_net loads; give it a moment under emulation */
    for (int i = 0; i < 300 && access("/sys/class/net/eth0", F_OK); i++) usleep(10000);
    char *up[] = {"busybox", "ip", "link", "set", "eth0", "up", NULL};
    char *addr[] = {"busybox", "ip", "addr", "add", ip, "dev", "eth0", NULL};
    run(up);
    run(addr);
    if (cmdline_arg("atrium.gw", gw, sizeof gw)) {
        char *route[] = {"busybox", "ip", "route", "add", "default", "via", gw, "dev", "eth0", NULL};
        run(route);
    }
    logmsg("eth0 %s gateway %s", ip, cmdline_arg("atrium.gw", gw, sizeof gw) ? gw : "none");
}

static void setup_cgroups(void) {
    mnt("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    const char *ctl[] = {"+cpu", "+cpuset", "+memory", "+pids", "+io"};
    for (size_t i = 0; i < sizeof ctl / sizeof *ctl; i++) {
        int fd = open("/sys/fs/cgroup/cgroup.subtree_control", O_WRONLY | O_CLOEXEC);
        if (fd < 0) return;
        if (write(fd, ctl[i], strlen(ctl[i])) < 0) DBG("cgroup controller %s: %s", ctl[i], strerror(errno));
        close(fd);
    }
}

void power_off(void) {
    sync();
    for (container_t *c = containers; c; c = c->next) {
        cgroup_kill_all(c, SIGKILL);
        umount_rootfs(c);
    }
    sync();
    logmsg("power off");
    reboot(RB_POWER_OFF);
    for (;;) pause();
}

int main(void) {
    if (getpid() != 1) {
        fprintf(stderr, "atrium-agent must run as PID 1 of the guest\n");
        return 2;
    }
    mnt("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
    int con = open("/dev/console", O_RDWR | O_NOCTTY);
    if (con >= 0) {
        dup2(con, 0); dup2(con, 1); dup2(con, 2);
        if (con > 2) close(con);
    }
    mnt("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mnt("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mnt("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,ptmxmode=0666");
    mnt("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    mnt("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
    mnt("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    setup_cgroups();
    mkdir("/run/atrium", 0700);

    int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, cmdline, sizeof cmdline - 1);
        cmdline[n > 0 ? n : 0] = 0;
        close(fd);
    }
    char val[256];
    if (cmdline_arg("atrium.debug", val, sizeof val) && strcmp(val, "0")) agent_debug = 1;
    logmsg("starting");
    if (cmdline_arg("atrium.hostname", val, sizeof val) && sethostname(val, strlen(val)))
        logmsg("sethostname: %s", strerror(errno));

    root_pidns_fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    signal(SIGPIPE, SIG_IGN);
    load_modules();
    setup_network();
    return loop_run();
}
