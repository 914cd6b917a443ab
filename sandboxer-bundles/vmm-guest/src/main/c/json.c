/* A small JSON DOM reader: the agent only reads the OCI spec the host sends (a few KiB, once per container), so a
 * recursive-descent parser is all it needs; there is no JSON library in Debian that links statically into a
 * tiny PID 1 without pulling much more than this. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

typedef struct {
    const char *p, *end;
    const char *err;
    int depth;
} jp;

static void ws(jp *s) {
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static jv *jnew(int type) {
    jv *v = calloc(1, sizeof *v);
    if (!v) abort();
    v->type = type;
    return v;
}

static void put_utf8(buf_t *b, unsigned cp) {
    uint8_t o[4];
    size_t n;
    if (cp < 0x80) { o[0] = (uint8_t)cp; n = 1; }
    else if (cp < 0x800) { o[0] = (uint8_t)(0xc0 | cp >> 6); o[1] = (uint8_t)(0x80 | (cp & 0x3f)); n = 2; }
    else if (cp < 0x10000) {
        o[0] = (uint8_t)(0xe0 | cp >> 12); o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (uint8_t)(0x80 | (cp & 0x3f)); n = 3;
    } else {
        o[0] = (uint8_t)(0xf0 | cp >> 18); o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f)); o[3] = (uint8_t)(0x80 | (cp & 0x3f)); n = 4;
    }
    buf_put(b, o, n);
}

static int hex4(const char *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

static char *pstring(jp *s) {
    if (s->p >= s->end || *s->p != '"') { s->err = "expected string"; return NULL; }
    s->p++;
    buf_t b = {0};
    while (s->p < s->end && *s->p != '"') {
        char c = *s->p++;
        if ((unsigned char)c < 0x20) { s->err = "control character in string"; buf_free(&b); return NULL; }
        if (c != '\\') { buf_put(&b, &c, 1); continue; }
        if (s->p >= s->end) break;
        c = *s->p++;
        switch (c) {
        case '"': case '\\': case '/': buf_put(&b, &c, 1); break;
        case 'b': buf_put(&b, "\b", 1); break;
        case 'f': buf_put(&b, "\f", 1); break;
        case 'n': buf_put(&b, "\n", 1); break;
        case 'r': buf_put(&b, "\r", 1); break;
        case 't': buf_put(&b, "\t", 1); break;
        case 'u': {
            unsigned cp, lo;
            if (s->end - s->p < 4 || hex4(s->p, &cp)) { s->err = "bad \\u escape"; buf_free(&b); return NULL; }
            s->p += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u'
                && !hex4(s->p + 2, &lo) && lo >= 0xdc00 && lo < 0xe000) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                s->p += 6;
            }
            put_utf8(&b, cp);
            break;
        }
        default: s->err = "bad escape"; buf_free(&b); return NULL;
        }
    }
    if (s->p >= s->end) { s->err = "unterminated string"; buf_free(&b); return NULL; }
    s->p++;
    buf_put(&b, "", 1);
    return (char *)b.p;
}

static jv *pvalue(jp *s);

static void add_item(jv *v, char *key, jv *item) {
    v->items = realloc(v->items, sizeof(jv *) * (size_t)(v->n + 1));
    if (!v->items) abort();
    if (v->type == J_OBJ) {
        v->keys = realloc(v->keys, sizeof(char *) * (size_t)(v->n + 1));
        if (!v->keys) abort();
        v->keys[v->n] = key;
    }
    v->items[v->n++] = item;
}

static jv *pvalue(jp *s) {
    ws(s);
    if (s->p >= s->end) { s->err = "unexpected end"; return NULL; }
    if (++s->depth > 64) { s->err = "nested too deeply"; return NULL; }
    jv *v = NULL;
    char c = *s->p;
    if (c == '{' || c == '[') {
        int obj = c == '{';
        v = jnew(obj ? J_OBJ : J_ARR);
        s->p++;
        ws(s);
        if (s->p < s->end && *s->p == (obj ? '}' : ']')) { s->p++; s->depth--; return v; }
        for (;;) {
            char *key = NULL;
            if (obj) {
                ws(s);
                if (!(key = pstring(s))) goto fail;
                ws(s);
                if (s->p >= s->end || *s->p != ':') { free(key); s->err = "expected ':'"; goto fail; }
                s->p++;
            }
            jv *item = pvalue(s);
            if (!item) { free(key); goto fail; }
            add_item(v, key, item);
            ws(s);
            if (s->p < s->end && *s->p == ',') { s->p++; continue; }
            if (s->p < s->end && *s->p == (obj ? '}' : ']')) { s->p++; break; }
            s->err = "expected ',' or end of container";
            goto fail;
        }
    } else if (c == '"') {
        char *str = pstring(s);
        if (!str) return NULL;
        v = jnew(J_STR);
        v->str = str;
    } else if (c == 't' && s->end - s->p >= 4 && !memcmp(s->p, "true", 4)) {
        v = jnew(J_BOOL); v->boolean = 1; s->p += 4;
    } else if (c == 'f' && s->end - s->p >= 5 && !memcmp(s->p, "false", 5)) {
        v = jnew(J_BOOL); s->p += 5;
    } else if (c == 'n' && s->end - s->p >= 4 && !memcmp(s->p, "null", 4)) {
        v = jnew(J_NULL); s->p += 4;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        char tmp[64];
        size_t k = 0;
        while (s->p < s->end && k < sizeof tmp - 1 && strchr("+-0123456789.eE", *s->p)) tmp[k++] = *s->p++;
        tmp[k] = 0;
        char *e;
        v = jnew(J_NUM);
        v->num = strtod(tmp, &e);
        if (*e) { s->err = "bad number"; goto fail; }
    } else {
        s->err = "unexpected character";
        return NULL;
    }
    s->depth--;
    return v;
fail:
    json_free(v);
    return NULL;
}

jv *json_parse(const char *str, size_t n, char *err, size_t errlen) {
    jp s = {str, str + n, NULL, 0};
    jv *v = pvalue(&s);
    if (v) {
        ws(&s);
        if (s.p != s.end) { s.err = "trailing data"; json_free(v); v = NULL; }
    }
    if (!v && err) snprintf(err, errlen, "%s at offset %ld", s.err ? s.err : "invalid JSON", (long)(s.p - str));
    return v;
}

void json_free(jv *v) {
    if (!v) return;
    for (int i = 0; i < v->n; i++) {
        json_free(v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    free(v);
}

jv *jget(const jv *obj, const char *key) {
    if (!obj || obj->type != J_OBJ) return NULL;
    for (int i = 0; i < obj->n; i++)
        if (!strcmp(obj->keys[i], key)) return obj->items[i];
    return NULL;
}

jv *jpath(const jv *v, const char *dotted) {
    char part[128];
    const char *p = dotted;
    jv *cur = (jv *)v;
    while (cur && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof part) return NULL;
        memcpy(part, p, n);
        part[n] = 0;
        cur = jget(cur, part);
        p += n + (dot ? 1 : 0);
    }
    return cur;
}

const char *jstr(const jv *v, const char *dflt) { return v && v->type == J_STR ? v->str : dflt; }
long long jint(const jv *v, long long dflt) { return v && v->type == J_NUM ? (long long)v->num : dflt; }
int jbool(const jv *v, int dflt) { return v && v->type == J_BOOL ? v->boolean : dflt; }

char **jstrarray(const jv *v) {
    if (!v || v->type != J_ARR) return NULL;
    char **out = calloc((size_t)v->n + 1, sizeof(char *));
    if (!out) abort();
    int k = 0;
    for (int i = 0; i < v->n; i++)
        if (v->items[i]->type == J_STR) out[k++] = strdup(v->items[i]->str);
    return out;
}

void strv_free(char **v) {
    if (!v) return;
    for (char **p = v; *p; p++) free(*p);
    free(v);
}
