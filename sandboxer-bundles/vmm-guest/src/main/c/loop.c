/* The event loop: the two virtio-serial ports (ttrpc and the stdio multiplex), SIGCHLD, and the pipes or ptys of
 * container processes. Everything is non-blocking; output that cannot be written yet is queued and flushed on
 * EPOLLOUT. A port whose host side is not connected reports POLLHUP continuously, so it is taken out of epoll and
 * polled every few milliseconds until the host connects again. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

#define TTRPC_HDR 10
#define TTRPC_MAX (4u << 20)
#define TTRPC_REQUEST 1
#define TTRPC_RESPONSE 2
#define STDIO_MAX (64u << 10)
#define STDIO_CHUNK (32u << 10)
#define STDIO_HIGH (1u << 20)
#define STDIO_LOW (256u << 10)
#define RESYNC_QUIET_MS 250
#define RECONNECT_POLL_MS 10

typedef struct {
    const char *name;
    int kind;
    int fd;
    int connected;
    int resync;
    uint64_t last_rx;
    buf_t in, out;
    struct evsrc ev;
} port_t;

static int epfd = -1;
static port_t agent_port = {.name = "io.atrium.agent", .kind = EV_AGENT_PORT, .fd = -1};
static port_t stdio_port = {.name = "io.atrium.stdio", .kind = EV_STDIO_PORT, .fd = -1};
static int output_paused;
static uint64_t ready_logged;

void ev_add(int fd, uint32_t events, struct evsrc *src) {
    struct epoll_event e = {.events = events, .data.ptr = src};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e)) logmsg("epoll add %d: %s", fd, strerror(errno));
}

void ev_mod(int fd, uint32_t events, struct evsrc *src) {
    struct epoll_event e = {.events = events, .data.ptr = src};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &e)) logmsg("epoll mod %d: %s", fd, strerror(errno));
}

void ev_del(int fd) { epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL); }

/* ---------------------------------------------------------------- ports */

static int find_port_dev(const char *name, char *dev, size_t devlen) {
    DIR *d = opendir("/sys/class/virtio-ports");
    if (!d) return -1;
    struct dirent *e;
    int found = -1;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[512], buf[128] = {0};
        snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0) continue;
        buf[strcspn(buf, "\n")] = 0;
        if (strcmp(buf, name)) continue;
        snprintf(dev, devlen, "/dev/%s", e->d_name);
        if (access(dev, F_OK)) { /* devtmpfs normally has it; create it from the sysfs dev number otherwise */
            snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/dev", e->d_name);
            fd = open(path, O_RDONLY | O_CLOEXEC);
            unsigned maj, min;
            if (fd >= 0 && (n = read(fd, buf, sizeof buf - 1)) > 0) {
                buf[n] = 0;
                if (sscanf(buf, "%u:%u", &maj, &min) == 2) mknod(dev, S_IFCHR | 0600, makedev(maj, min));
            }
            if (fd >= 0) close(fd);
        }
        found = 0;
        break;
    }
    closedir(d);
    return found;
}

static void port_set_events(port_t *pt) {
    if (pt->fd < 0 || !pt->connected) return;
    ev_mod(pt->fd, EPOLLIN | (pt->out.n ? EPOLLOUT : 0), &pt->ev);
}

static void port_disconnected(port_t *pt) {
    if (!pt->connected) return;
    DBG("%s: host disconnected", pt->name);
    ev_del(pt->fd);
    pt->connected = 0;
    pt->in.n = 0;
    pt->resync = 0;
    if (pt == &agent_port) {
        pt->out.n = 0; /* answers for a host that is gone mean nothing to the next one */
        task_drop_waiters();
    }
}

static void port_check_connected(port_t *pt) {
    if (pt->fd < 0 || pt->connected) return;
    struct pollfd p = {.fd = pt->fd, .events = POLLIN | POLLOUT};
    if (poll(&p, 1, 0) < 0 || (p.revents & POLLHUP)) return;
    DBG("%s: host connected", pt->name);
    pt->connected = 1;
    pt->in.n = 0;
    ev_add(pt->fd, EPOLLIN | (pt->out.n ? EPOLLOUT : 0), &pt->ev);
}

static void port_flush(port_t *pt) {
    while (pt->connected && pt->out.n) {
        ssize_t w = write(pt->fd, pt->out.p, pt->out.n);
        if (w > 0) { buf_consume(&pt->out, (size_t)w); continue; }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno != EAGAIN) { logmsg("%s write: %s", pt->name, strerror(errno)); port_disconnected(pt); }
        break;
    }
    port_set_events(pt);
}

void flush_agent_port(int timeout_ms) {
    uint64_t end = now_ms() + (uint64_t)timeout_ms;
    while (agent_port.connected && agent_port.out.n && now_ms() < end) {
        port_flush(&agent_port);
        if (!agent_port.out.n) break;
        struct pollfd p = {.fd = agent_port.fd, .events = POLLOUT};
        poll(&p, 1, 10);
    }
}

static void port_open(port_t *pt) {
    char dev[300];
    if (find_port_dev(pt->name, dev, sizeof dev)) return;
    pt->fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (pt->fd < 0) { logmsg("open %s (%s): %s", dev, pt->name, strerror(errno)); return; }
    pt->ev.kind = pt->kind;
    pt->ev.obj = pt;
    logmsg("%s on %s", pt->name, dev);
    port_check_connected(pt);
}

/* ---------------------------------------------------------------- ttrpc */

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void ttrpc_reply(uint32_t stream, int code, const char *msg, const buf_t *payload) {
    buf_t resp = {0}, st = {0};
    pb_w_varint(&st, 1, (uint64_t)(int64_t)code);
    pb_w_str(&st, 2, msg);
    pb_w_msg(&resp, 1, &st);
    if (payload) pb_w_bytes(&resp, 2, payload->p, payload->n);
    uint8_t hdr[TTRPC_HDR];
    put_be32(hdr, (uint32_t)resp.n);
    put_be32(hdr + 4, stream);
    hdr[8] = TTRPC_RESPONSE;
    hdr[9] = 0;
    if (code) DBG("stream %u -> status %d %s", stream, code, msg ? msg : "");
    if (agent_port.connected) {
        buf_put(&agent_port.out, hdr, sizeof hdr);
        buf_put(&agent_port.out, resp.p, resp.n);
        port_flush(&agent_port);
    }
    buf_free(&resp);
    buf_free(&st);
}

static void ttrpc_request(uint32_t stream, const uint8_t *p, size_t n) {
    pb_msg m;
    if (pb_parse(p, n, &m)) {
        ttrpc_reply(stream, ST_INVALID_ARGUMENT, "malformed ttrpc request", NULL);
        return;
    }
    char *service = pb_strdup(&m, 1), *method = pb_strdup(&m, 2);
    DBG("stream %u: %s/%s (%zu bytes)", stream, service, method, m.b[3].n);
    if (strcmp(service, "containerd.task.v2.Task")) {
        char msg[300];
        snprintf(msg, sizeof msg, "service %.200s is not served by the guest agent", service);
        ttrpc_reply(stream, ST_UNIMPLEMENTED, msg, NULL);
    } else {
        task_dispatch(stream, method, m.b[3].p ? m.b[3].p : (const uint8_t *)"", m.b[3].n);
    }
    free(service);
    free(method);
}

static void agent_input(void) {
    port_t *pt = &agent_port;
    while (pt->in.n >= TTRPC_HDR) {
        uint32_t len = get_be32(pt->in.p), stream = get_be32(pt->in.p + 4);
        uint8_t type = pt->in.p[8];
        if (len > TTRPC_MAX) {
            /* the stream cannot be re-framed: drop it until the host reconnects or goes quiet */
            logmsg("ttrpc: frame of %u bytes exceeds %u; discarding input until the host reconnects", len, TTRPC_MAX);
            pt->in.n = 0;
            pt->resync = 1;
            return;
        }
        if (pt->in.n < TTRPC_HDR + len) return;
        if (type == TTRPC_REQUEST) ttrpc_request(stream, pt->in.p + TTRPC_HDR, len);
        else logmsg("ttrpc: ignoring frame type %u on stream %u", type, stream);
        buf_consume(&pt->in, TTRPC_HDR + len);
    }
}

/* ---------------------------------------------------------------- stdio multiplex */

void stdio_send(const char *id, int kind, int stream, const uint8_t *data, size_t n) {
    size_t idl = strlen(id);
    uint8_t hdr[8];
    put_be32(hdr, (uint32_t)(4 + idl + n));
    hdr[4] = (uint8_t)kind;
    hdr[5] = (uint8_t)stream;
    hdr[6] = (uint8_t)(idl >> 8);
    hdr[7] = (uint8_t)idl;
    buf_put(&stdio_port.out, hdr, sizeof hdr);
    buf_put(&stdio_port.out, id, idl);
    if (n) buf_put(&stdio_port.out, data, n);
    port_flush(&stdio_port);
}

static void stdio_input(void) {
    port_t *pt = &stdio_port;
    while (pt->in.n >= 4) {
        uint32_t len = get_be32(pt->in.p);
        if (len > STDIO_MAX || len < 4) {
            logmsg("stdio: bad frame length %u; discarding input until the host reconnects", len);
            pt->in.n = 0;
            pt->resync = 1;
            return;
        }
        if (pt->in.n < 4 + len) return;
        const uint8_t *f = pt->in.p + 4;
        int kind = f[0], stream = f[1];
        size_t idl = (size_t)f[2] << 8 | f[3];
        if (4 + idl <= len && stream == 0) {
            char id[512];
            if (idl < sizeof id) {
                memcpy(id, f + 4, idl);
                id[idl] = 0;
                proc_t *p = find_proc_by_io(id);
                if (!p) DBG("stdio: no process for %s", id);
                else if (kind == 1) proc_stdin_write(p, f + 4 + idl, len - 4 - idl);
                else if (kind == 2) proc_stdin_close(p);
            }
        }
        buf_consume(&pt->in, 4 + len);
    }
}

/* ---------------------------------------------------------------- process I/O */

static void update_output_pause(void) {
    int want = stdio_port.out.n > STDIO_HIGH ? 1 : stdio_port.out.n < STDIO_LOW ? 0 : output_paused;
    if (want == output_paused) return;
    output_paused = want;
    DBG("container output %s", want ? "paused" : "resumed");
    for (container_t *c = containers; c; c = c->next)
        for (proc_t *p = &c->init; p; p = p == &c->init ? c->execs : p->next)
            for (int s = 1; s <= 2; s++)
                if (p->out_fd[s] >= 0) ev_mod(p->out_fd[s], want ? 0 : EPOLLIN, &p->ev_out[s]);
}

void proc_watch_output(proc_t *p) {
    for (int s = 1; s <= 2; s++) {
        if (p->out_fd[s] < 0) continue;
        p->ev_out[s] = (struct evsrc){EV_PROC_OUT, p, s};
        ev_add(p->out_fd[s], output_paused ? 0 : EPOLLIN, &p->ev_out[s]);
    }
    if (p->in_fd >= 0) p->ev_in = (struct evsrc){EV_PROC_IN, p, 0};
}

static void close_output(proc_t *p, int s) {
    if (p->out_fd[s] < 0) return;
    ev_del(p->out_fd[s]);
    if (!(p->terminal && p->out_fd[s] == p->pty_master)) close(p->out_fd[s]);
    p->out_fd[s] = -1;
    if (p->io_id[s]) stdio_send(p->io_id[s], 2, s, NULL, 0);
}

/* reads what is there; returns 1 at EOF */
static int drain_output(proc_t *p, int s) {
    uint8_t data[STDIO_CHUNK];
    for (int i = 0; i < 64; i++) {
        ssize_t r = read(p->out_fd[s], data, sizeof data);
        if (r > 0) {
            if (p->io_id[s]) stdio_send(p->io_id[s], 1, s, data, (size_t)r);
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EAGAIN) return 0;
        return 1; /* 0 = EOF; EIO = pty with no slave left */
    }
    return 0;
}

void proc_release_io(proc_t *p) {
    for (int s = 1; s <= 2; s++) {
        if (p->out_fd[s] >= 0) drain_output(p, s);
        close_output(p, s);
    }
    if (p->in_fd >= 0) {
        ev_del(p->in_fd);
        if (p->in_fd != p->pty_master) close(p->in_fd);
        p->in_fd = -1;
    }
    buf_free(&p->in_q);
    if (p->pty_master >= 0) { close(p->pty_master); p->pty_master = -1; }
}

static void stdin_flush(proc_t *p) {
    while (p->in_fd >= 0 && p->in_q.n) {
        ssize_t w = write(p->in_fd, p->in_q.p, p->in_q.n);
        if (w > 0) { buf_consume(&p->in_q, (size_t)w); continue; }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) break;
        p->in_q.n = 0; /* EPIPE: the process stopped reading for good */
        break;
    }
    if (p->in_fd < 0) return;
    if (p->in_q.n) {
        /* the pty master is also watched for output; stdin then waits for the next output event or tick */
        if (p->in_fd != p->pty_master) {
            struct epoll_event e = {.events = EPOLLOUT, .data.ptr = &p->ev_in};
            if (epoll_ctl(epfd, EPOLL_CTL_MOD, p->in_fd, &e)) epoll_ctl(epfd, EPOLL_CTL_ADD, p->in_fd, &e);
        }
        return;
    }
    if (p->in_fd != p->pty_master) epoll_ctl(epfd, EPOLL_CTL_DEL, p->in_fd, NULL);
    if (p->in_close_pending) {
        if (p->in_fd == p->pty_master) {
            static const uint8_t eot = 4; /* ^D: end of input for a program reading the terminal */
            ssize_t w = write(p->in_fd, &eot, 1);
            (void)w;
        } else {
            close(p->in_fd);
        }
        p->in_fd = -1;
    }
}

void proc_stdin_write(proc_t *p, const uint8_t *data, size_t n) {
    if (p->in_fd < 0) return;
    buf_put(&p->in_q, data, n);
    stdin_flush(p);
}

void proc_stdin_close(proc_t *p) {
    p->in_close_pending = 1;
    stdin_flush(p);
}

/* ---------------------------------------------------------------- main loop */

static void on_port(port_t *pt, uint32_t events) {
    if (events & EPOLLOUT) port_flush(pt);
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        uint8_t data[65536];
        for (;;) {
            ssize_t r = read(pt->fd, data, sizeof data);
            if (r > 0) {
                pt->last_rx = now_ms();
                if (!pt->resync) buf_put(&pt->in, data, (size_t)r);
                if (pt->in.n > TTRPC_MAX + TTRPC_HDR) { pt->in.n = 0; pt->resync = 1; }
                continue;
            }
            if (r < 0 && errno == EINTR) continue;
            if (r < 0 && errno == EAGAIN) break;
            port_disconnected(pt); /* 0: the host side closed */
            return;
        }
        if (pt == &agent_port) agent_input(); else stdio_input();
    }
    if (pt == &stdio_port) update_output_pause();
}

static void on_sigchld(int sfd) {
    struct signalfd_siginfo si;
    while (read(sfd, &si, sizeof si) == sizeof si) {}
    for (;;) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid <= 0) break;
        proc_t *p = find_proc_by_pid(pid);
        if (!p) { DBG("reaped orphan %d", pid); continue; }
        p->reaped = 1;
        p->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255;
        clock_gettime(CLOCK_REALTIME, &p->exited_at);
        task_on_exit(p);
    }
}

int loop_run(void) {
    epfd = epoll_create1(EPOLL_CLOEXEC);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    static struct evsrc sig_ev = {EV_SIGNAL, NULL, 0};
    ev_add(sfd, EPOLLIN, &sig_ev);
    on_sigchld(sfd); /* anything that exited during boot */

    uint64_t start = now_ms();
    while (agent_port.fd < 0 || stdio_port.fd < 0) {
        if (agent_port.fd < 0) port_open(&agent_port);
        if (stdio_port.fd < 0) port_open(&stdio_port);
        if (agent_port.fd >= 0 && stdio_port.fd >= 0) break;
        if (now_ms() - start > 10000) break;
        usleep(2000);
    }
    if (agent_port.fd < 0) logmsg("no virtio-serial port named %s: nothing to serve (waiting anyway)", agent_port.name);
    if (stdio_port.fd < 0) logmsg("no virtio-serial port named %s: container stdio is discarded", stdio_port.name);
    logmsg("ready to serve");

    struct epoll_event evs[32];
    for (;;) {
        uint64_t now = now_ms();
        int timeout = -1;
        if ((agent_port.fd >= 0 && !agent_port.connected) || (stdio_port.fd >= 0 && !stdio_port.connected)
            || agent_port.fd < 0)
            timeout = RECONNECT_POLL_MS;
        if (agent_port.resync || stdio_port.resync) timeout = RECONNECT_POLL_MS;
        for (container_t *c = containers; c; c = c->next)
            for (proc_t *p = &c->init; p; p = p == &c->init ? c->execs : p->next)
                if (p->in_q.n && p->in_fd == p->pty_master) timeout = RECONNECT_POLL_MS;
        uint64_t dl = task_next_deadline();
        if (dl) {
            int t = dl > now ? (int)(dl - now) : 0;
            if (timeout < 0 || t < timeout) timeout = t;
        }
        int n = epoll_wait(epfd, evs, 32, timeout);
        for (int i = 0; i < n; i++) {
            struct evsrc *src = evs[i].data.ptr;
            uint32_t e = evs[i].events;
            switch (src->kind) {
            case EV_AGENT_PORT:
                on_port(src->obj, e);
                /* a ttrpc call (Delete) may have freed processes whose events are later in this batch: drop the
                 * rest; epoll is level-triggered, so whatever is still pending is reported again */
                n = 0;
                break;
            case EV_STDIO_PORT: on_port(src->obj, e); break;
            case EV_SIGNAL: on_sigchld(sfd); break;
            case EV_PROC_OUT: {
                proc_t *p = src->obj;
                if (p->out_fd[src->stream] >= 0 && drain_output(p, src->stream)) {
                    close_output(p, src->stream);
                    task_check_finished(p);
                }
                update_output_pause();
                break;
            }
            case EV_PROC_IN: stdin_flush(src->obj); break;
            }
        }
        now = now_ms();
        if (agent_port.fd < 0) port_open(&agent_port);
        port_check_connected(&agent_port);
        port_check_connected(&stdio_port);
        for (port_t *pt = &agent_port; pt; pt = pt == &agent_port ? &stdio_port : NULL)
            if (pt->resync && now - pt->last_rx >= RESYNC_QUIET_MS) {
                logmsg("%s: input quiet again; accepting frames", pt->name);
                pt->resync = 0;
            }
        for (container_t *c = containers; c; c = c->next)
            for (proc_t *p = &c->init; p; p = p == &c->init ? c->execs : p->next)
                if (p->in_q.n && p->in_fd == p->pty_master) stdin_flush(p);
        task_deadlines(now);
        if (!ready_logged && agent_port.connected) {
            ready_logged = 1;
            DBG("host connected to the agent port");
        }
    }
}
