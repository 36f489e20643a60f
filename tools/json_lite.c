/*
 * json_lite — recursive descent over RFC 8259 JSON with hard limits (see
 * json_lite.h). Decoded strings are written into one buffer sized up front
 * (a decoded string is never longer than its source, plus its NUL), so the
 * only growth is the node array, bounded by JL_MAX_NODES.
 */
#include "json_lite.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct jl_parser {
    jl_doc *doc;
    const char *s;     /* text */
    size_t n;          /* its length */
    size_t at;         /* next byte */
    int cap_nodes;     /* allocated nodes */
    int failed;        /* an error was recorded */
} jl_parser;

static int jl_fail(jl_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int jl_fail(jl_parser *p, const char *fmt, ...)
{
    if (p->failed) return -1;
    p->failed = 1;
    size_t line = 1;
    for (size_t i = 0; i < p->at && i < p->n; i++) line += p->s[i] == '\n';
    char what[120];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(p->doc->error, sizeof p->doc->error, "line %zu: %s", line, what);
    return -1;
}

static void jl_space(jl_parser *p)
{
    while (p->at < p->n && (p->s[p->at] == ' ' || p->s[p->at] == '\t' || p->s[p->at] == '\n' || p->s[p->at] == '\r'))
        p->at++;
}

static int jl_newNode(jl_parser *p, jl_type type)
{
    jl_doc *const d = p->doc;
    if (d->n_nodes == p->cap_nodes) {
        if (p->cap_nodes >= (int)JL_MAX_NODES) return jl_fail(p, "more than %u values", JL_MAX_NODES);
        int const ncap = p->cap_nodes ? p->cap_nodes * 2 : 256;
        jl_node *const grown = realloc(d->nodes, (size_t)ncap * sizeof *grown);
        if (grown == NULL) return jl_fail(p, "out of memory");
        d->nodes = grown;
        p->cap_nodes = ncap;
    }
    jl_node *const nd = &d->nodes[d->n_nodes];
    memset(nd, 0, sizeof *nd);
    nd->type = type;
    nd->key = (size_t)-1;
    nd->first = -1;
    nd->next = -1;
    return d->n_nodes++;
}

static int jl_hex4(jl_parser *p, unsigned *out)
{
    if (p->n - p->at < 4) return jl_fail(p, "a \\u escape needs 4 hex digits");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char const c = p->s[p->at++];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return jl_fail(p, "bad hex digit in a \\u escape");
    }
    *out = v;
    return 0;
}

static void jl_putUtf8(jl_doc *d, unsigned cp)
{
    char *const o = d->strings + d->n_strings;
    if (cp < 0x80) o[0] = (char)cp, d->n_strings += 1;
    else if (cp < 0x800) o[0] = (char)(0xC0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3F)), d->n_strings += 2;
    else if (cp < 0x10000)
        o[0] = (char)(0xE0 | cp >> 12), o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[2] = (char)(0x80 | (cp & 0x3F)),
        d->n_strings += 3;
    else
        o[0] = (char)(0xF0 | cp >> 18), o[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[3] = (char)(0x80 | (cp & 0x3F)), d->n_strings += 4;
}

/* Decodes a string (p->at on its opening quote) into doc->strings. A
 * \uXXXX escape takes 6 source bytes for at most 4 output bytes, and a
 * surrogate pair 12 for 4, so the output never outgrows the source. */
static int jl_string_(jl_parser *p, size_t *offset)
{
    jl_doc *const d = p->doc;
    p->at++;
    *offset = d->n_strings;
    while (p->at < p->n) {
        unsigned char const c = (unsigned char)p->s[p->at];
        if (c == '"') {
            p->at++;
            d->strings[d->n_strings++] = '\0';
            return 0;
        }
        if (c < 0x20) return jl_fail(p, "a control character inside a string");
        if (c != '\\') {
            d->strings[d->n_strings++] = (char)c;
            p->at++;
            continue;
        }
        if (++p->at >= p->n) break;
        char const e = p->s[p->at++];
        switch (e) {
        case '"': d->strings[d->n_strings++] = '"'; break;
        case '\\': d->strings[d->n_strings++] = '\\'; break;
        case '/': d->strings[d->n_strings++] = '/'; break;
        case 'b': d->strings[d->n_strings++] = '\b'; break;
        case 'f': d->strings[d->n_strings++] = '\f'; break;
        case 'n': d->strings[d->n_strings++] = '\n'; break;
        case 'r': d->strings[d->n_strings++] = '\r'; break;
        case 't': d->strings[d->n_strings++] = '\t'; break;
        case 'u': {
            unsigned cp = 0, lo = 0;
            if (jl_hex4(p, &cp)) return -1;
            if (cp >= 0xDC00 && cp <= 0xDFFF) return jl_fail(p, "a lone low surrogate");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (p->n - p->at < 2 || p->s[p->at] != '\\' || p->s[p->at + 1] != 'u')
                    return jl_fail(p, "a high surrogate without its low half");
                p->at += 2;
                if (jl_hex4(p, &lo)) return -1;
                if (lo < 0xDC00 || lo > 0xDFFF) return jl_fail(p, "a high surrogate without its low half");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (cp == 0) return jl_fail(p, "a NUL character in a string");
            jl_putUtf8(d, cp);
            break;
        }
        default: return jl_fail(p, "unknown escape \\%c", e);
        }
    }
    return jl_fail(p, "a string is not closed");
}

static int jl_number_(jl_parser *p, double *out)
{
    size_t const start = p->at;
    if (p->at < p->n && p->s[p->at] == '-') p->at++;
    if (p->at >= p->n) return jl_fail(p, "a number is cut off");
    if (p->s[p->at] == '0') p->at++;
    else if (p->s[p->at] >= '1' && p->s[p->at] <= '9')
        while (p->at < p->n && p->s[p->at] >= '0' && p->s[p->at] <= '9') p->at++;
    else return jl_fail(p, "expected a value");
    if (p->at < p->n && p->s[p->at] == '.') {
        p->at++;
        size_t const d0 = p->at;
        while (p->at < p->n && p->s[p->at] >= '0' && p->s[p->at] <= '9') p->at++;
        if (p->at == d0) return jl_fail(p, "a digit must follow the decimal point");
    }
    if (p->at < p->n && (p->s[p->at] == 'e' || p->s[p->at] == 'E')) {
        p->at++;
        if (p->at < p->n && (p->s[p->at] == '+' || p->s[p->at] == '-')) p->at++;
        size_t const d0 = p->at;
        while (p->at < p->n && p->s[p->at] >= '0' && p->s[p->at] <= '9') p->at++;
        if (p->at == d0) return jl_fail(p, "a digit must follow the exponent");
    }
    char tmp[64];
    size_t const len = p->at - start;
    if (len >= sizeof tmp) return jl_fail(p, "a number is too long");
    memcpy(tmp, p->s + start, len);
    tmp[len] = '\0';
    *out = strtod(tmp, NULL);
    return 0;
}

static int jl_value(jl_parser *p, int depth);

/* Parses the members / elements of a container whose opener is at p->at. */
static int jl_container(jl_parser *p, int self, int depth, int object)
{
    char const close = object ? '}' : ']';
    p->at++;
    jl_space(p);
    if (p->at < p->n && p->s[p->at] == close) {
        p->at++;
        return 0;
    }
    int last = -1;
    for (;;) {
        size_t key = (size_t)-1;
        jl_space(p);
        if (object) {
            if (p->at >= p->n || p->s[p->at] != '"') return jl_fail(p, "expected a key in quotes");
            if (jl_string_(p, &key)) return -1;
            jl_space(p);
            if (p->at >= p->n || p->s[p->at] != ':') return jl_fail(p, "expected ':' after a key");
            p->at++;
        }
        int const child = jl_value(p, depth + 1);
        if (child < 0) return -1;
        p->doc->nodes[child].key = key;
        if (last < 0) p->doc->nodes[self].first = child;
        else p->doc->nodes[last].next = child;
        last = child;
        jl_space(p);
        if (p->at < p->n && p->s[p->at] == ',') {
            p->at++;
            continue;
        }
        if (p->at < p->n && p->s[p->at] == close) {
            p->at++;
            return 0;
        }
        return jl_fail(p, "expected ',' or '%c'", close);
    }
}

static int jl_literal(jl_parser *p, const char *word, jl_type type)
{
    size_t const len = strlen(word);
    if (p->n - p->at < len || memcmp(p->s + p->at, word, len) != 0) return jl_fail(p, "expected a value");
    p->at += len;
    return jl_newNode(p, type);
}

static int jl_value(jl_parser *p, int depth)
{
    if (depth > JL_MAX_DEPTH) return jl_fail(p, "nested deeper than %d", JL_MAX_DEPTH);
    jl_space(p);
    if (p->at >= p->n) return jl_fail(p, "the text ends where a value was expected");
    char const c = p->s[p->at];
    int node;
    switch (c) {
    case '{':
    case '[':
        node = jl_newNode(p, c == '{' ? JL_OBJECT : JL_ARRAY);
        if (node < 0 || jl_container(p, node, depth, c == '{')) return -1;
        return node;
    case '"': {
        node = jl_newNode(p, JL_STRING);
        if (node < 0) return -1;
        size_t off = 0;
        if (jl_string_(p, &off)) return -1;
        p->doc->nodes[node].str = off;
        return node;
    }
    case 't': return jl_literal(p, "true", JL_TRUE);
    case 'f': return jl_literal(p, "false", JL_FALSE);
    case 'n': return jl_literal(p, "null", JL_NULL);
    default: {
        double v = 0;
        if (jl_number_(p, &v)) return -1;
        node = jl_newNode(p, JL_NUMBER);
        if (node >= 0) p->doc->nodes[node].number = v;
        return node;
    }
    }
}

int jl_parse(jl_doc *doc, const char *text, size_t n)
{
    memset(doc, 0, sizeof *doc);
    jl_parser p = {doc, text, n, 0, 0, 0};
    if (n > JL_MAX_TEXT) return jl_fail(&p, "larger than %u bytes", JL_MAX_TEXT);
    doc->strings = malloc(n + 1);
    if (doc->strings == NULL) return jl_fail(&p, "out of memory");
    if (jl_value(&p, 0) != 0) return jl_fail(&p, "expected a value"); /* keeps the first message */
    jl_space(&p);
    if (p.at != n) return jl_fail(&p, "text after the end of the document");
    return 0;
}

void jl_free(jl_doc *doc)
{
    free(doc->nodes);
    free(doc->strings);
    doc->nodes = NULL;
    doc->strings = NULL;
    doc->n_nodes = 0;
}

int jl_get(const jl_doc *doc, int node, const char *key)
{
    if (node < 0 || node >= doc->n_nodes || doc->nodes[node].type != JL_OBJECT) return -1;
    for (int c = doc->nodes[node].first; c >= 0; c = doc->nodes[c].next)
        if (strcmp(doc->strings + doc->nodes[c].key, key) == 0) return c;
    return -1;
}

int jl_path(const jl_doc *doc, int node, ...)
{
    va_list ap;
    va_start(ap, node);
    const char *key;
    while (node >= 0 && (key = va_arg(ap, const char *)) != NULL) node = jl_get(doc, node, key);
    va_end(ap);
    return node;
}

double jl_number(const jl_doc *doc, int node, double dflt)
{
    if (node < 0 || node >= doc->n_nodes || doc->nodes[node].type != JL_NUMBER) return dflt;
    return doc->nodes[node].number;
}

const char *jl_string(const jl_doc *doc, int node)
{
    if (node < 0 || node >= doc->n_nodes || doc->nodes[node].type != JL_STRING) return NULL;
    return doc->strings + doc->nodes[node].str;
}

const char *jl_key(const jl_doc *doc, int node)
{
    if (node < 0 || node >= doc->n_nodes || doc->nodes[node].key == (size_t)-1) return NULL;
    return doc->strings + doc->nodes[node].key;
}
