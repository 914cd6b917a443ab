/* Protocol buffers, by hand. The agent handles about twenty flat messages (strings, varints, one Timestamp, one
 * Any, one repeated Mount); a reader that keeps the last value of each field plus a tiny writer is ~150 lines and
 * keeps the static binary free of generated code and of libprotobuf-c's descriptor tables. Field numbers follow
 * containerd's task v2 and ttrpc definitions (api-bundles/ttrpc/src/main/proto); the module's tests encode and
 * decode every call with the Java classes protoc generates from those files, so a wrong number fails a test. */
#include <stdlib.h>
#include <string.h>

#include "agent.h"

void buf_put(buf_t *b, const void *data, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n) cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) { logmsg("out of memory"); abort(); }
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, data, n);
    b->n += n;
}

void buf_consume(buf_t *b, size_t n) {
    if (n >= b->n) { b->n = 0; return; }
    memmove(b->p, b->p + n, b->n - n);
    b->n -= n;
}

void buf_free(buf_t *b) {
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

static int rd_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*pp >= end) return -1;
        uint8_t c = *(*pp)++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) { *out = v; return 0; }
    }
    return -1;
}

/* walks fields; fn(field, wiretype, varint, bytes, arg) for each */
static int pb_walk(const uint8_t *p, size_t n, void (*fn)(uint32_t, int, uint64_t, pb_bytes, void *), void *arg) {
    const uint8_t *end = p + n;
    while (p < end) {
        uint64_t key, v = 0;
        pb_bytes b = {0, 0};
        if (rd_varint(&p, end, &key)) return -1;
        uint32_t field = (uint32_t)(key >> 3);
        int wt = (int)(key & 7);
        if (field == 0) return -1;
        switch (wt) {
        case 0:
            if (rd_varint(&p, end, &v)) return -1;
            break;
        case 1:
            if (end - p < 8) return -1;
            memcpy(&v, p, 8);
            p += 8;
            break;
        case 2:
            if (rd_varint(&p, end, &v) || v > (uint64_t)(end - p)) return -1;
            b.p = p;
            b.n = (size_t)v;
            p += v;
            break;
        case 5:
            if (end - p < 4) return -1;
            { uint32_t w; memcpy(&w, p, 4); v = w; }
            p += 4;
            break;
        default:
            return -1; /* groups (3/4) are not used by any message here */
        }
        fn(field, wt, v, b, arg);
    }
    return 0;
}

static void keep_last(uint32_t field, int wt, uint64_t v, pb_bytes b, void *arg) {
    pb_msg *m = arg;
    if (field >= PB_MAX_FIELD) return;
    m->has[field] = 1;
    if (wt == 2) m->b[field] = b; else m->v[field] = v;
}

int pb_parse(const uint8_t *p, size_t n, pb_msg *m) {
    memset(m, 0, sizeof *m);
    return pb_walk(p, n, keep_last, m);
}

struct each_arg {
    uint32_t field;
    void (*fn)(pb_bytes, void *);
    void *arg;
};

static void each_cb(uint32_t field, int wt, uint64_t v, pb_bytes b, void *arg) {
    (void)v;
    struct each_arg *e = arg;
    if (field == e->field && wt == 2) e->fn(b, e->arg);
}

int pb_each(const uint8_t *p, size_t n, uint32_t field, void (*fn)(pb_bytes, void *), void *arg) {
    struct each_arg e = {field, fn, arg};
    return pb_walk(p, n, each_cb, &e);
}

char *pb_strdup(const pb_msg *m, int field) {
    size_t n = m->has[field] ? m->b[field].n : 0;
    char *s = malloc(n + 1);
    if (!s) abort();
    if (n) memcpy(s, m->b[field].p, n);
    s[n] = 0;
    /* an embedded NUL would let two different ids compare equal: cut there (ids never contain NUL) */
    return s;
}

static void w_raw_varint(buf_t *b, uint64_t v) {
    uint8_t tmp[10];
    int i = 0;
    do {
        tmp[i] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v) tmp[i] |= 0x80;
        i++;
    } while (v);
    buf_put(b, tmp, (size_t)i);
}

void pb_w_varint(buf_t *b, uint32_t field, uint64_t v) {
    if (!v) return; /* proto3: defaults are not written */
    w_raw_varint(b, (uint64_t)field << 3);
    w_raw_varint(b, v);
}

void pb_w_bytes(buf_t *b, uint32_t field, const void *p, size_t n) {
    if (!n) return;
    w_raw_varint(b, ((uint64_t)field << 3) | 2);
    w_raw_varint(b, n);
    buf_put(b, p, n);
}

void pb_w_str(buf_t *b, uint32_t field, const char *s) {
    if (s) pb_w_bytes(b, field, s, strlen(s));
}

void pb_w_msg(buf_t *b, uint32_t field, const buf_t *sub) {
    w_raw_varint(b, ((uint64_t)field << 3) | 2);
    w_raw_varint(b, sub ? sub->n : 0);
    if (sub && sub->n) buf_put(b, sub->p, sub->n);
}

void pb_w_timestamp(buf_t *b, uint32_t field, struct timespec ts) {
    buf_t t = {0};
    pb_w_varint(&t, 1, (uint64_t)ts.tv_sec);
    pb_w_varint(&t, 2, (uint64_t)ts.tv_nsec);
    pb_w_msg(b, field, &t);
    buf_free(&t);
}
