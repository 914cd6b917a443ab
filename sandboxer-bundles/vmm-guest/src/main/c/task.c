/* containerd.task.v2.Task handlers. Each decodes its request with pb_parse (field numbers from shim.proto),
 * acts, and replies on the same ttrpc stream; Wait replies later, when the process has finished. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "agent.h"

#define DRAIN_GRACE_MS 1000
#define OCI_SPEC_TYPE "io.atrium/oci-spec"
#define RESOURCES_TYPE "io.atrium/linux-resources"
#define STATS_TYPE "io.atrium/container-stats"
#define STDIO_SCHEME "atrium-stdio:"

container_t *containers;

typedef struct waiter {
    uint32_t stream;
    proc_t *p;
    struct waiter *next;
} waiter_t;
static waiter_t *waiters;

container_t *find_container(const char *id) {
    for (container_t *c = containers; c; c = c->next)
        if (!strcmp(c->id, id)) return c;
    return NULL;
}

proc_t *find_proc(container_t *c, const char *exec_id) {
    if (!exec_id || !*exec_id) return &c->init;
    for (proc_t *p = c->execs; p; p = p->next)
        if (!strcmp(p->exec_id, exec_id)) return p;
    return NULL;
}

#define FOR_EACH_PROC(c, p) for (proc_t *p = &(c)->init; p; p = p == &(c)->init ? (c)->execs : p->next)

proc_t *find_proc_by_pid(pid_t pid) {
    for (container_t *c = containers; c; c = c->next)
        FOR_EACH_PROC(c, p) if (p->pid == pid && !p->reaped) return p;
    return NULL;
}

proc_t *find_proc_by_io(const char *io_id) {
    for (container_t *c = containers; c; c = c->next)
        FOR_EACH_PROC(c, p) if (p->io_id[0] && !strcmp(p->io_id[0], io_id)) return p;
    return NULL;
}

static void proc_init(proc_t *p, container_t *c) {
    memset(p, 0, sizeof *p);
    p->c = c;
    p->start_fd = p->report_fd = p->pty_master = p->in_fd = -1;
    p->out_fd[0] = p->out_fd[1] = p->out_fd[2] = -1;
}

static void proc_free_strings(proc_t *p) {
    for (int i = 0; i < 3; i++) { free(p->io_id[i]); free(p->io_uri[i]); p->io_id[i] = p->io_uri[i] = NULL; }
    free(p->exec_id);
    p->exec_id = NULL;
}

static void proc_abandon(proc_t *p) {
    if (p->start_fd >= 0) close(p->start_fd); /* a created, never started process sees EOF and exits */
    if (p->report_fd >= 0) close(p->report_fd);
    p->start_fd = p->report_fd = -1;
    proc_release_io(p);
}

/* ---------------------------------------------------------------- replies */

static void reply_ok(uint32_t stream, buf_t *payload) {
    ttrpc_reply(stream, ST_OK, NULL, payload);
    if (payload) buf_free(payload);
}

static void reply_err(uint32_t stream, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void reply_err(uint32_t stream, int code, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ttrpc_reply(stream, code, msg, NULL);
}

static void reply_wait(uint32_t stream, proc_t *p) {
    buf_t b = {0};
    pb_w_varint(&b, 1, (uint32_t)p->exit_status);
    pb_w_timestamp(&b, 2, p->exited_at);
    reply_ok(stream, &b);
}

/* ---------------------------------------------------------------- exits */

static void finish(proc_t *p) {
    if (p->status == TS_STOPPED) return;
    proc_release_io(p);
    /* a terminal has no separate stderr: close a requested stderr stream too, so the host is not left waiting */
    if (p->terminal && p->io_id[2]) stdio_send(p->io_id[2], 2, 2, NULL, 0);
    if (p == &p->c->init) {
        long long ooms = cgroup_oom_kills(p->c);
        if (ooms > 0) logmsg("container %s: %lld OOM kill(s) in its cgroup", p->c->id, ooms);
    }
    p->status = TS_STOPPED;
    p->drain_deadline = 0;
    DBG("process %s%s%s (pid %d) finished with %d", p->c->id, p->exec_id ? "/" : "", p->exec_id ? p->exec_id : "",
        p->pid, p->exit_status);
    for (waiter_t **w = &waiters; *w;) {
        if ((*w)->p == p) {
            waiter_t *done = *w;
            *w = done->next;
            reply_wait(done->stream, p);
            free(done);
        } else {
            w = &(*w)->next;
        }
    }
}

void task_on_exit(proc_t *p) {
    if (p->start_fd >= 0) { close(p->start_fd); p->start_fd = -1; }
    /* output may still be in the pipes: finish once it has drained, or after a grace period when a background
     * child keeps a pipe open */
    p->drain_deadline = now_ms() + DRAIN_GRACE_MS;
    if (p == &p->c->init) {
        /* the init process gone means the pid namespace is gone: the kernel killed the rest */
        for (proc_t *e = p->c->execs; e; e = e->next)
            if (e->status == TS_CREATED) proc_abandon(e);
    }
    task_check_finished(p);
}

void task_check_finished(proc_t *p) {
    if (p->reaped && p->out_fd[1] < 0 && p->out_fd[2] < 0) finish(p);
}

uint64_t task_next_deadline(void) {
    uint64_t d = 0;
    for (container_t *c = containers; c; c = c->next)
        FOR_EACH_PROC(c, p) if (p->drain_deadline && (!d || p->drain_deadline < d)) d = p->drain_deadline;
    return d;
}

void task_deadlines(uint64_t now) {
    for (container_t *c = containers; c; c = c->next)
        FOR_EACH_PROC(c, p) if (p->drain_deadline && p->drain_deadline <= now) finish(p);
}

void task_drop_waiters(void) {
    while (waiters) {
        waiter_t *w = waiters;
        waiters = w->next;
        free(w);
    }
}

static void drop_waiters_of(proc_t *p) {
    for (waiter_t **w = &waiters; *w;) {
        if ((*w)->p == p) { waiter_t *d = *w; *w = d->next; free(d); }
        else w = &(*w)->next;
    }
}

/* ---------------------------------------------------------------- helpers */

typedef struct {
    pb_msg m;
    char *id, *exec_id;
    container_t *c;
    proc_t *p;
} req_t;

/* parses the request and finds the container (and process when field 2 is exec_id) */
static int req_open(uint32_t stream, const uint8_t *pl, size_t n, int has_exec, req_t *r) {
    memset(r, 0, sizeof *r);
    if (pb_parse(pl, n, &r->m)) { reply_err(stream, ST_INVALID_ARGUMENT, "malformed request message"); return -1; }
    r->id = pb_strdup(&r->m, 1);
    r->exec_id = has_exec ? pb_strdup(&r->m, 2) : strdup("");
    r->c = find_container(r->id);
    if (!r->c) {
        reply_err(stream, ST_NOT_FOUND, "container %s not found", r->id);
        return -1;
    }
    r->p = find_proc(r->c, r->exec_id);
    if (!r->p) {
        reply_err(stream, ST_NOT_FOUND, "exec %s not found in container %s", r->exec_id, r->id);
        return -1;
    }
    return 0;
}

static void req_close(req_t *r) {
    free(r->id);
    free(r->exec_id);
}

static int valid_id(const char *id) {
    if (!*id || strlen(id) > 128) return 0;
    for (const char *s = id; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("-_.", *s)))
            return 0;
    return id[0] != '.';
}

/* stdio endpoints: "atrium-stdio:<id>" or empty */
static int set_stdio(proc_t *p, const pb_msg *m, const int fields[3], char *err, size_t errlen) {
    for (int i = 0; i < 3; i++) {
        char *uri = pb_strdup(m, fields[i]);
        p->io_uri[i] = uri;
        if (!*uri) continue;
        if (strncmp(uri, STDIO_SCHEME, strlen(STDIO_SCHEME)) || !uri[strlen(STDIO_SCHEME)]) {
            snprintf(err, errlen, "unsupported stdio endpoint %.200s: the guest takes %s<id> or nothing", uri,
                     STDIO_SCHEME);
            return -1;
        }
        p->io_id[i] = strdup(uri + strlen(STDIO_SCHEME));
    }
    return 0;
}

static jv *parse_any_json(const pb_msg *m, int field, const char *want_type, char *err, size_t errlen) {
    if (!m->has[field]) { snprintf(err, errlen, "missing OCI spec (Any with type_url %s)", want_type); return NULL; }
    pb_msg any;
    if (pb_parse(m->b[field].p, m->b[field].n, &any)) { snprintf(err, errlen, "malformed Any"); return NULL; }
    char *type = pb_strdup(&any, 1);
    if (want_type && strcmp(type, want_type)) {
        snprintf(err, errlen, "options type %.200s is not supported (expected %s)", type, want_type);
        free(type);
        return NULL;
    }
    free(type);
    jv *v = json_parse((const char *)(any.b[2].p ? any.b[2].p : (const uint8_t *)""), any.b[2].n, err, errlen);
    if (v && v->type != J_OBJ) { snprintf(err, errlen, "spec is not a JSON object"); json_free(v); v = NULL; }
    return v;
}

static void container_free(container_t *c) {
    for (container_t **pp = &containers; *pp; pp = &(*pp)->next)
        if (*pp == c) { *pp = c->next; break; }
    FOR_EACH_PROC(c, p) { drop_waiters_of(p); proc_abandon(p); }
    while (c->execs) {
        proc_t *e = c->execs;
        c->execs = e->next;
        proc_free_strings(e);
        free(e);
    }
    proc_free_strings(&c->init);
    json_free(c->spec);
    free(c->id);
    free(c->bundle);
    free(c);
}

struct mount_arg {
    int n;
    char *type, *source;
    char **opts;
    int nopts;
};

static void opt_cb(pb_bytes b, void *arg) {
    struct mount_arg *a = arg;
    a->opts = realloc(a->opts, sizeof(char *) * (size_t)(a->nopts + 2));
    a->opts[a->nopts] = strndup((const char *)b.p, b.n);
    a->opts[++a->nopts] = NULL;
}

static void mount_cb(pb_bytes b, void *arg) {
    struct mount_arg *a = arg;
    if (a->n++) return; /* one disk per container */
    pb_msg m;
    if (pb_parse(b.p, b.n, &m)) return;
    a->type = pb_strdup(&m, 1);
    a->source = pb_strdup(&m, 2);
    pb_each(b.p, b.n, 4, opt_cb, a);
}

/* ---------------------------------------------------------------- methods */

static void do_create(uint32_t stream, const uint8_t *pl, size_t n) {
    pb_msg m;
    char err[1024] = "";
    if (pb_parse(pl, n, &m)) { reply_err(stream, ST_INVALID_ARGUMENT, "malformed CreateTaskRequest"); return; }
    char *id = pb_strdup(&m, 1);
    if (!valid_id(id)) { reply_err(stream, ST_INVALID_ARGUMENT, "invalid container id '%.200s'", id); free(id); return; }
    if (find_container(id)) { reply_err(stream, ST_ALREADY_EXISTS, "container %s already exists", id); free(id); return; }
    if (m.has[8] && m.b[8].n) { reply_err(stream, ST_UNIMPLEMENTED, "checkpoint restore is not supported in the guest"); free(id); return; }
    struct mount_arg ma = {0};
    if (pb_each(pl, n, 3, mount_cb, &ma) || ma.n != 1 || !ma.source) {
        reply_err(stream, ST_INVALID_ARGUMENT, "container %s: exactly one rootfs mount (a disk) is required, got %d", id, ma.n);
        free(id); free(ma.type); free(ma.source); strv_free(ma.opts);
        return;
    }
    jv *spec = parse_any_json(&m, 10, OCI_SPEC_TYPE, err, sizeof err);
    if (!spec) {
        reply_err(stream, ST_INVALID_ARGUMENT, "container %s: %s", id, err);
        free(id); free(ma.type); free(ma.source); strv_free(ma.opts);
        return;
    }
    container_t *c = calloc(1, sizeof *c);
    c->id = id;
    c->bundle = pb_strdup(&m, 2);
    c->spec = spec;
    proc_init(&c->init, c);
    c->init.terminal = m.has[4] && m.v[4];
    if (jbool(jpath(spec, "process.terminal"), 0) != c->init.terminal) c->init.terminal = 1;
    c->next = containers;
    containers = c;
    static const int io_fields[3] = {5, 6, 7};
    int code = ST_INVALID_ARGUMENT;
    if (set_stdio(&c->init, &m, io_fields, err, sizeof err)) goto fail;
    code = ST_INTERNAL;
    if (mount_rootfs_disk(c, ma.type, ma.source, ma.opts, ma.nopts, err, sizeof err)) {
        code = strstr(err, "no disk") ? ST_NOT_FOUND : ST_INTERNAL;
        goto fail;
    }
    if (cgroup_setup(c, err, sizeof err)) goto fail;
    jv *proc = jget(spec, "process");
    if (!proc || !jget(proc, "args")) { code = ST_INVALID_ARGUMENT; snprintf(err, sizeof err, "spec has no process.args"); goto fail; }
    if (spawn_process(&c->init, proc, 0, err, sizeof err)) goto fail;
    proc_watch_output(&c->init);
    free(ma.type); free(ma.source); strv_free(ma.opts);
    logmsg("container %s created (pid %d)", c->id, c->init.pid);
    buf_t b = {0};
    pb_w_varint(&b, 1, (uint32_t)c->init.pid);
    reply_ok(stream, &b);
    return;
fail:
    free(ma.type); free(ma.source); strv_free(ma.opts);
    reply_err(stream, code, "create container %s: %s", c->id, err);
    cgroup_remove(c);
    umount_rootfs(c);
    container_free(c);
}

static void do_start(uint32_t stream, const uint8_t *pl, size_t n) {
    req_t r;
    char err[1024] = "";
    if (req_open(stream, pl, n, 1, &r)) { req_close(&r); return; }
    proc_t *p = r.p;
    if (p->status != TS_CREATED) {
        reply_err(stream, ST_FAILED_PRECONDITION, "process %s%s%s is not in the created state", r.id, p->exec_id ? "/" : "",
                  p->exec_id ? p->exec_id : "");
    } else if (start_process(p, err, sizeof err)) {
        reply_err(stream, ST_FAILED_PRECONDITION, "start %s%s%s: %s", r.id, p->exec_id ? "/" : "", p->exec_id ? p->exec_id : "", err);
    } else {
        if (p->status == TS_CREATED) p->status = TS_RUNNING;
        buf_t b = {0};
        pb_w_varint(&b, 1, (uint32_t)p->pid);
        reply_ok(stream, &b);
    }
    req_close(&r);
}

static void do_state(uint32_t stream, const uint8_t *pl, size_t n) {
    req_t r;
    if (req_open(stream, pl, n, 1, &r)) { req_close(&r); return; }
    proc_t *p = r.p;
    buf_t b = {0};
    pb_w_str(&b, 1, r.id);
    pb_w_str(&b, 2, r.c->bundle);
    pb_w_varint(&b, 3, (uint32_t)p->pid);
    pb_w_varint(&b, 4, (uint32_t)p->status);
    for (int i = 0; i < 3; i++) pb_w_str(&b, 5 + i, p->io_uri[i]);
    pb_w_varint(&b, 8, (uint64_t)p->terminal);
    if (p->status == TS_STOPPED) {
        pb_w_varint(&b, 9, (uint32_t)p->exit_status);
        pb_w_timestamp(&b, 10, p->exited_at);
    }
    pb_w_str(&b, 11, p->exec_id);
    reply_ok(stream, &b);
    req_close(&r);
}

static void do_wait(uint32_t stream, const uint8_t *pl, size_t n) {
    req_t r;
    if (req_open(stream, pl, n, 1, &r)) { req_close(&r); return; }
    if (r.p->status == TS_STOPPED) {
        reply_wait(stream, r.p);
    } else {
        waiter_t *w = calloc(1, sizeof *w);
        w->stream = stream;
        w->p = r.p;
        w->next = waiters;
        waiters = w;
    }
    req_close(&r);
}

static void do_kill(uint32_t stream, const uint8_t *pl, size_t n) {
    req_t r;
    if (req_open(stream, pl, n, 1, &r)) { req_close(&r); return; }
    int sig = r.m.has[3] ? (int)r.m.v[3] : SIGTERM;
    int all = r.m.has[4] && r.m.v[4];
    proc_t *p = r.p;
    if (sig <= 0 || sig >= NSIG) {
        reply_err(stream, ST_INVALID_ARGUMENT, "invalid signal %d", sig);
    } else if (all && p == &r.c->init) {
        if (p->status == TS_PAUSED) cgroup_freeze(r.c, 0);
        cgroup_kill_all(r.c, sig);
        reply_ok(stream, NULL);
    } else if (p->status == TS_STOPPED || p->reaped || p->pid <= 0) {
        reply_err(stream, ST_NOT_FOUND, "process %s%s%s already finished", r.id, p->exec_id ? "/" : "", p->exec_id ? p->exec_id : "");
    } else if (kill(p->pid, sig)) {
        reply_err(stream, ST_INTERNAL, "kill %d: %s", p->pid, strerror(errno));
    } else {
        reply_ok(stream, NULL);
    }
    req_close(&r);
}

static void do_delete(uint32_t stream, const uint8_t *pl, size_t n) {
    req_t r;
    if (req_open(stream, pl, n, 1, &r)) { req_close(&r); return; }
    proc_t *p = r.p;
    container_t *c = r.c;
    if (p->status == TS_RUNNING || p->status == TS_PAUSED) {
        reply_err(stream, ST_FAILED_PRECONDITION, "process %s%s%s is running; kill it first", r.id,
                  p->exec_id ? "/" : "", p->exec_id ? p->exec_id : "");
        req_close(&r);
        return;
    }
    if (p->status == TS_CREATED) {
        /* never started: let it go and collect it */
        proc_abandon(p);
        kill(p->pid, SIGKILL);
        p->exit_status = 128 + SIGKILL;
        clock_gettime(CLOCK_REALTIME, &p->exited_at);
        p->status = TS_STOPPED;
    }
    buf_t b = {0};
    pb_w_varint(&b, 1, (uint32_t)p->pid);
    pb_w_varint(&b, 2, (uint32_t)p->exit_status);
    pb_w_timestamp(&b, 3, p->exited_at);
    if (p != &c->init) {
        for (proc_t **pp = &c->execs; *pp; pp = &(*pp)->next)
            if (*pp == p) { *pp = p->next; break; }
        drop_waiters_of(p);
        proc_abandon(p);
        proc_free_strings(p);
        free(p);
    } else {
        FOR_EACH_PROC(c, e) if (e->status != TS_STOPPED && e->pid > 0) kill(e->pid, SIGKILL);
        cgroup_kill_all(c, SIGKILL);
        umount_rootfs(c);
        cgroup_remove(c);
        logmsg("container %s deleted (exit %d)", c->id, p->exit_status);
        container_free(c);
    }
    reply_ok(stream, &b);
    req_close(&r);
}

static void do_exec(uint32_t stream, const uint8_t *pl, size_t n) {
    req_t r;
    char err[1024] = "";
    if (req_open(stream, pl, n, 0, &r)) { req_close(&r); return; }
    char *exec_id = pb_strdup(&r.m, 2);
    if (!valid_id(exec_id)) {
        reply_err(stream, ST_INVALID_ARGUMENT, "invalid exec id '%.200s'", exec_id);
        free(exec_id); req_close(&r); return;
    }
    if (find_proc(r.c, exec_id)) {
        reply_err(stream, ST_ALREADY_EXISTS, "exec %s already exists in container %s", exec_id, r.id);
        free(exec_id); req_close(&r); return;
    }
    jv *spec = parse_any_json(&r.m, 7, NULL, err, sizeof err);
    if (!spec) {
        reply_err(stream, ST_INVALID_ARGUMENT, "exec %s: process spec: %s", exec_id, err);
        free(exec_id); req_close(&r); return;
    }
    proc_t *p = calloc(1, sizeof *p);
    proc_init(p, r.c);
    p->exec_id = exec_id;
    p->terminal = (r.m.has[3] && r.m.v[3]) || jbool(jget(spec, "terminal"), 0);
    static const int io_fields[3] = {4, 5, 6};
    int code = ST_INVALID_ARGUMENT;
    if (!set_stdio(p, &r.m, io_fields, err, sizeof err)) {
        code = ST_FAILED_PRECONDITION;
        if (!spawn_process(p, spec, 1, err, sizeof err)) {
            p->next = r.c->execs;
            r.c->execs = p;
            proc_watch_output(p);
            json_free(spec);
            reply_ok(stream, NULL);
            req_close(&r);
            return;
        }
    }
    reply_err(stream, code, "exec %s in %s: %s", exec_id, r.id, err);
    proc_free_strings(p);
    free(p);
    json_free(spec);
    req_close(&r);
}

static void do_resize(uint32_t stream, const uint8_t *pl, size_t n) {
    req_t r;
    if (req_open(stream, pl, n, 1, &r)) { req_close(&r); return; }
    if (r.p->pty_master < 0) {
        reply_err(stream, ST_FAILED_PRECONDITION, "process has no terminal");
    } else {
        struct winsize ws = {.ws_col = (unsigned short)r.m.v[3], .ws_row = (unsigned short)r.m.v[4]};
        if (ioctl(r.p->pty_master, TIOCSWINSZ, &ws)) reply_err(stream, ST_INTERNAL, "resize: %s", strerror(errno));
        else reply_ok(stream, NULL);
    }
    req_close(&r);
}

static void do_closeio(uint32_t stream, const uint8_t *pl, size_t n) {
    req_t r;
    if (req_open(stream, pl, n, 1, &r)) { req_close(&r); return; }
    if (r.m.has[3] && r.m.v[3]) proc_stdin_close(r.p);
    reply_ok(stream, NULL);
    req_close(&r);
}

static void do_pids(uint32_t stream, const uint8_t *pl, size_t n) {
    req_t r;
    if (req_open(stream, pl, n, 0, &r)) { req_close(&r); return; }
    pid_t pids[4096];
    int k = cgroup_pids(r.c, pids, 4096);
    buf_t b = {0};
    for (int i = 0; i < k; i++) {
        buf_t info = {0};
        pb_w_varint(&info, 1, (uint32_t)pids[i]);
        pb_w_msg(&b, 1, &info);
        buf_free(&info);
    }
    reply_ok(stream, &b);
    req_close(&r);
}

static void do_pause(uint32_t stream, const uint8_t *pl, size_t n, int pause) {
    req_t r;
    if (req_open(stream, pl, n, 0, &r)) { req_close(&r); return; }
    proc_t *p = &r.c->init;
    if (p->status != (pause ? TS_RUNNING : TS_PAUSED)) {
        reply_err(stream, ST_FAILED_PRECONDITION, "container %s is not %s", r.id, pause ? "running" : "paused");
    } else if (cgroup_freeze(r.c, pause)) {
        reply_err(stream, ST_INTERNAL, "freeze %s: %s", r.id, strerror(errno));
    } else {
        p->status = pause ? TS_PAUSED : TS_RUNNING;
        reply_ok(stream, NULL);
    }
    req_close(&r);
}

static void do_update(uint32_t stream, const uint8_t *pl, size_t n) {
    req_t r;
    char err[512] = "";
    if (req_open(stream, pl, n, 0, &r)) { req_close(&r); return; }
    jv *res = parse_any_json(&r.m, 2, RESOURCES_TYPE, err, sizeof err);
    if (!res) reply_err(stream, ST_INVALID_ARGUMENT, "update %s: %s", r.id, err);
    else if (cgroup_apply_resources(r.c, res, err, sizeof err)) reply_err(stream, ST_INVALID_ARGUMENT, "update %s: %s", r.id, err);
    else reply_ok(stream, NULL);
    json_free(res);
    req_close(&r);
}

static void do_stats(uint32_t stream, const uint8_t *pl, size_t n) {
    req_t r;
    if (req_open(stream, pl, n, 0, &r)) { req_close(&r); return; }
    buf_t json = {0}, any = {0}, b = {0};
    cgroup_stats_json(r.c, &json);
    pb_w_str(&any, 1, STATS_TYPE);
    pb_w_bytes(&any, 2, json.p, json.n);
    pb_w_msg(&b, 1, &any);
    reply_ok(stream, &b);
    buf_free(&json);
    buf_free(&any);
    req_close(&r);
}

static void do_connect(uint32_t stream, const uint8_t *pl, size_t n) {
    pb_msg m;
    if (pb_parse(pl, n, &m)) { reply_err(stream, ST_INVALID_ARGUMENT, "malformed ConnectRequest"); return; }
    char *id = pb_strdup(&m, 1);
    container_t *c = *id ? find_container(id) : NULL;
    buf_t b = {0};
    pb_w_varint(&b, 1, 1); /* the agent is the "shim": PID 1 of the VM */
    if (c) pb_w_varint(&b, 2, (uint32_t)c->init.pid);
    pb_w_str(&b, 3, "atrium-agent 1");
    reply_ok(stream, &b);
    free(id);
}

static void do_shutdown(uint32_t stream) {
    reply_ok(stream, NULL);
    flush_agent_port(1000);
    power_off();
}

void task_dispatch(uint32_t stream, const char *method, const uint8_t *pl, size_t n) {
    if (!strcmp(method, "Create")) do_create(stream, pl, n);
    else if (!strcmp(method, "Start")) do_start(stream, pl, n);
    else if (!strcmp(method, "State")) do_state(stream, pl, n);
    else if (!strcmp(method, "Wait")) do_wait(stream, pl, n);
    else if (!strcmp(method, "Kill")) do_kill(stream, pl, n);
    else if (!strcmp(method, "Delete")) do_delete(stream, pl, n);
    else if (!strcmp(method, "Exec")) do_exec(stream, pl, n);
    else if (!strcmp(method, "ResizePty")) do_resize(stream, pl, n);
    else if (!strcmp(method, "CloseIO")) do_closeio(stream, pl, n);
    else if (!strcmp(method, "Pids")) do_pids(stream, pl, n);
    else if (!strcmp(method, "Pause")) do_pause(stream, pl, n, 1);
    else if (!strcmp(method, "Resume")) do_pause(stream, pl, n, 0);
    else if (!strcmp(method, "Connect")) do_connect(stream, pl, n);
    else if (!strcmp(method, "Update")) do_update(stream, pl, n);
    else if (!strcmp(method, "Stats")) do_stats(stream, pl, n);
    else if (!strcmp(method, "Shutdown")) do_shutdown(stream);
    else reply_err(stream, ST_UNIMPLEMENTED, "method %.100s is not implemented by the guest agent", method);
}
