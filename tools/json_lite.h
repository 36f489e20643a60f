/*
 * json_lite — a small, bounded JSON reader for the CLI (`xjdedup summary`
 * reads a finished run's summary.json).
 *
 * The file is our own format but is treated as untrusted: the text has a
 * size limit, nesting a depth limit, the tree a node limit; anything that is
 * not RFC 8259 JSON is rejected with the line and what was expected. The
 * whole document is parsed into one array of nodes (children linked by
 * index), so lookups never allocate and freeing is one call.
 */
#ifndef XJ_JSON_LITE_H
#define XJ_JSON_LITE_H

#include <stddef.h>

#define JL_MAX_TEXT (16u << 20) /* bytes of JSON text */
#define JL_MAX_DEPTH 32         /* nested arrays / objects */
#define JL_MAX_NODES (1u << 20) /* values in the document */

typedef enum jl_type { JL_NULL, JL_FALSE, JL_TRUE, JL_NUMBER, JL_STRING, JL_ARRAY, JL_OBJECT } jl_type;

typedef struct jl_node {
    jl_type type;      /* kind of value */
    double number;     /* JL_NUMBER */
    size_t str;        /* JL_STRING: offset of the decoded UTF-8 text in jl_doc.strings */
    size_t key;        /* member of an object: offset of its key, else (size_t)-1 */
    int first;         /* first child (array / object), -1 if none */
    int next;          /* next sibling, -1 if last */
} jl_node;

typedef struct jl_doc {
    jl_node *nodes;    /* nodes[0] is the root */
    int n_nodes;
    char *strings;     /* decoded strings and keys, each NUL-terminated */
    size_t n_strings;
    char error[160];   /* why parsing failed */
} jl_doc;

/* Parses `n` bytes. 0 on success; -1 with doc->error set. jl_free either way. */
int jl_parse(jl_doc *doc, const char *text, size_t n);
void jl_free(jl_doc *doc);

/* Member `key` of object `node`, or -1 (also when `node` is not an object). */
int jl_get(const jl_doc *doc, int node, const char *key);
/* A path of keys from `node`, e.g. jl_path(d, 0, "rows", "read", NULL). */
int jl_path(const jl_doc *doc, int node, ...);
/* The number at `node`, or `dflt` when it is not a number. */
double jl_number(const jl_doc *doc, int node, double dflt);
/* The string at `node`, or NULL. */
const char *jl_string(const jl_doc *doc, int node);
/* The key of member `node` (its name in its object), or NULL. */
const char *jl_key(const jl_doc *doc, int node);

#endif
