/* Atrium guest agent: PID 1 of a microVM, serving containerd's task v2 API over ttrpc on a virtio-serial port.
 * One thread, one epoll loop: every call is answered in order except Wait, which is parked until its process
 * has exited and its output has drained. */
#ifndef ATRIUM_AGENT_H
#define ATRIUM_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* ---- logging (to /dev/console, which QEMU writes to the VM's console.log) ---- */
extern int agent_debug;
void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define DBG(...) do { if (agent_debug) logmsg(__VA_ARGS__); } while (0)
uint64_t now_ms(void);

/* ---- growable byte buffer ---- */
typedef struct {
    uint8_t *p;
    size_t n, cap;
} buf_t;
void buf_put(buf_t *b, const void *data, size_t n);
void buf_consume(buf_t *b, size_t n);
void buf_free(buf_t *b);

/* ---- protobuf (pb.c) ---- */
typedef struct {
    const uint8_t *p;
    size_t n;
} pb_bytes;
#define PB_MAX_FIELD 16
/* the last value of each field 1..15 of one message; repeated fields are walked with pb_each */
typedef struct {
    uint64_t v[PB_MAX_FIELD];
    pb_bytes b[PB_MAX_FIELD];
    uint8_t has[PB_MAX_FIELD];
} pb_msg;
int pb_parse(const uint8_t *p, size_t n, pb_msg *m);
/* calls fn for every length-delimited occurrence of field; returns -1 on malformed input */
int pb_each(const uint8_t *p, size_t n, uint32_t field, void (*fn)(pb_bytes, void *), void *arg);
char *pb_strdup(const pb_msg *m, int field); /* "" when absent; never NULL */
void pb_w_varint(buf_t *b, uint32_t field, uint64_t v);
void pb_w_bytes(buf_t *b, uint32_t field, const void *p, size_t n);
void pb_w_str(buf_t *b, uint32_t field, const char *s);
void pb_w_msg(buf_t *b, uint32_t field, const buf_t *sub); /* written even when empty (message presence) */
void pb_w_timestamp(buf_t *b, uint32_t field, struct timespec ts);

/* ---- JSON (json.c): a small DOM reader for OCI spec documents ---- */
enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };
typedef struct jv {
    int type;
    int boolean;
    double num;
    char *str;
    int n;
    char **keys;
    struct jv **items;
} jv;
jv *json_parse(const char *s, size_t n, char *err, size_t errlen);
void json_free(jv *v);
jv *jget(const jv *obj, const char *key);
jv *jpath(const jv *v, const char *dotted); /* "process.user.uid" */
const char *jstr(const jv *v, const char *dflt);
long long jint(const jv *v, long long dflt);
int jbool(const jv *v, int dflt);
char **jstrarray(const jv *v); /* NULL-terminated copy; NULL if absent */
void strv_free(char **v);

/* ---- status codes (gRPC) ---- */
enum {
    ST_OK = 0,
    ST_INVALID_ARGUMENT = 3,
    ST_NOT_FOUND = 5,
    ST_ALREADY_EXISTS = 6,
    ST_FAILED_PRECONDITION = 9,
    ST_UNIMPLEMENTED = 12,
    ST_INTERNAL = 13,
};
/* containerd.v1.types.Status */
enum { TS_UNKNOWN = 0, TS_CREATED = 1, TS_RUNNING = 2, TS_STOPPED = 3, TS_PAUSED = 4 };

/* ---- processes and containers (task.c, spawn.c) ---- */
struct container;
struct evsrc {
    int kind;
    void *obj;
    int stream;
};
enum { EV_AGENT_PORT = 1, EV_STDIO_PORT, EV_SIGNAL, EV_PROC_OUT, EV_PROC_IN };

typedef struct proc {
    struct container *c;
    char *exec_id;      /* NULL for the container's init process */
    char *io_id[3];     /* stdio multiplex ids for stdin/stdout/stderr, NULL when not wanted */
    char *io_uri[3];    /* as given by the host (echoed by State) */
    int terminal;
    pid_t pid;
    int status; /* TS_* */
    int reaped;
    int exit_status;
    struct timespec exited_at;
    uint64_t drain_deadline;
    int start_fd;       /* write end: one byte lets the process exec */
    int report_fd;      /* read end: setup/exec errors from the child */
    int pty_master;     /* -1 unless terminal */
    int in_fd;          /* where stdin data goes (pipe or pty master), -1 if none */
    buf_t in_q;
    int in_close_pending;
    int out_fd[3];      /* [1] stdout (or pty), [2] stderr; -1 when closed */
    struct evsrc ev_out[3], ev_in;
    struct proc *next;  /* exec list */
} proc_t;

typedef struct container {
    char *id;
    char *bundle;
    char rootfs[512];
    char cgroup[512];
    int mounted;
    proc_t init;
    proc_t *execs;
    jv *spec;
    struct container *next;
} container_t;

extern container_t *containers;
container_t *find_container(const char *id);
proc_t *find_proc(container_t *c, const char *exec_id);
proc_t *find_proc_by_pid(pid_t pid);
proc_t *find_proc_by_io(const char *io_id);

/* spawn.c: creates the process stopped before exec; returns 0 or fills err */
int spawn_process(proc_t *p, const jv *process_spec, int is_exec, char *err, size_t errlen);
int start_process(proc_t *p, char *err, size_t errlen);
int cgroup_setup(container_t *c, char *err, size_t errlen);
void cgroup_kill_all(container_t *c, int sig);
int cgroup_pids(container_t *c, pid_t *out, int max);
int cgroup_freeze(container_t *c, int frozen);
void cgroup_remove(container_t *c);
int cgroup_apply_resources(container_t *c, const jv *res, char *err, size_t errlen);
int cgroup_stats_json(container_t *c, buf_t *out);
long long cgroup_oom_kills(container_t *c);
int mount_rootfs_disk(container_t *c, const char *type, const char *source, char **opts, int nopts, char *err,
                      size_t errlen);
void umount_rootfs(container_t *c);

/* ---- event loop and channels (loop.c) ---- */
void ev_add(int fd, uint32_t events, struct evsrc *src);
void ev_mod(int fd, uint32_t events, struct evsrc *src);
void ev_del(int fd);
void ttrpc_reply(uint32_t stream, int code, const char *msg, const buf_t *payload);
void stdio_send(const char *id, int kind, int stream, const uint8_t *data, size_t n);
void proc_watch_output(proc_t *p);
void proc_release_io(proc_t *p);
void proc_stdin_write(proc_t *p, const uint8_t *data, size_t n);
void proc_stdin_close(proc_t *p);
void flush_agent_port(int timeout_ms);

/* task.c */
void task_dispatch(uint32_t stream, const char *method, const uint8_t *payload, size_t n);
void task_on_exit(proc_t *p);          /* process reaped */
void task_check_finished(proc_t *p);   /* exit + drained -> answer waiters */
void task_drop_waiters(void);          /* host went away */
uint64_t task_next_deadline(void);
void task_deadlines(uint64_t now);

/* init.c */
extern int root_pidns_fd;
void power_off(void) __attribute__((noreturn));

#endif
