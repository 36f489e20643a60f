/*
 * xj_comm — the processes of a distributed run, as the scan needs them.
 *
 * `mpirun -n K xjdedup scan ...` starts K processes (ranks); each reads its
 * share of the inputs and they meet only through the calls below: agree on
 * an error, swap byte buffers with every other rank, send a buffer to rank
 * 0, broadcast one from it. Built without MPI, or started without a
 * launcher, there is one rank and every call is trivial, so the scan's code
 * is the same either way (docs/mpi.md).
 *
 * Messages: any size; each is sent in pieces of at most XC_PIECE bytes
 * (MPI counts are ints). A rank that dies takes the job down: MPI's
 * default error handler aborts every rank, and the launcher says which
 * one died. A process that cannot find the memory to receive a message
 * ends the job (MPI_Abort, code 3): its peers would otherwise wait for it.
 */
#ifndef XJ_COMM_H
#define XJ_COMM_H

#include <stddef.h>
#include <stdint.h>

#include "xj_buf.h"
#include "xj_status.h"

#define XC_PIECE (256u << 20)

/* Whether a launcher (mpirun / mpiexec of Open MPI or MPICH) started this
 * process as one of several ranks: from its environment, before MPI is
 * touched. */
int xc_launched(void);
/* MPI started (threads: only the calling one talks to MPI) when launched
 * by one, else nothing. XJ_ERR_USAGE when launched with K > 1 by a build
 * without MPI: every rank would write the same output. */
xj_error xc_start(xj_status *st);
/* MPI finished, if xc_start started it: every process calls it last,
 * `failed` when it ends in an error (`why`: what to tell the others). A
 * process whose error no agreement carried — it stopped before the shared
 * steps — keeps meeting the others as failed until all are ending, so none
 * waits for it; the others then end with its error, naming its rank. */
void xc_end(int failed, const char *why);
/* Ends every rank at once (a failure where ranks no longer agree). */
void xc_abortAll(int code);

int xc_rank(void); /* 0 unless distributed */
int xc_size(void); /* 1 unless distributed */

/* Collective: `err` of every rank. All get XJ_OK, or the error of the
 * lowest failing rank with its message, which names that rank when it is
 * not this one ("rank R of K: ", R counted from 0 as the launcher does). */
xj_error xc_agree(xj_error err, xj_status *st);

/* Collective: send[r] goes to rank r, recv[r] receives rank r's (recv
 * buffers cleared first; recv[self] gets a copy of send[self]). Pairs
 * exchange in a ring, one peer at a time, so a rank holds its own buffers
 * and one message in flight. XJ_ERR_NOMEM / LIMIT from a receive buffer. */
xj_error xc_exchange(const xj_buf *send, xj_buf *recv, xj_status *st);

/* Collective: every rank's `mine` to rank 0, into per_rank[0 .. size)
 * (per_rank[0] a copy of rank 0's own); other ranks' per_rank is unused. */
xj_error xc_gather(const xj_buf *mine, xj_buf *per_rank, xj_status *st);

/* Collective: rank 0's `b` to every other rank (replacing theirs). */
xj_error xc_broadcast(xj_buf *b, xj_status *st);

/* Collective: every process's `v` summed (on every process); the same for
 * each of v[0 .. n), in place. */
uint64_t xc_sum(uint64_t v);
void xc_sumEach(uint64_t *v, size_t n);
/* Collective: every process's `mine` to rank 0, which hands each to
 * take(rank, message) in rank order as it arrives (its own first) and
 * keeps none: rank 0 holds one message at a time. After take fails, the
 * rest are received and dropped; its error is returned (rank 0's only). */
typedef xj_error (*xc_takeFn)(int rank, const xj_buf *message, void *user);
xj_error xc_gatherEach(const xj_buf *mine, xc_takeFn take, void *user, xj_status *st);
/* Bytes this process has sent to others so far (for summary.json's timing). */
uint64_t xc_bytesSent(void);

/* ---- the wire format of the buffers: little-endian words, counted bytes ---- */

xj_error xc_putU64(xj_buf *b, uint64_t v);
xj_error xc_putBytes(xj_buf *b, const void *p, size_t n); /* length, then the bytes */

/* Reading a received buffer: every read checks what is left. */
typedef struct xc_reader {
    const char *p, *end;
    int bad;            /* a read ran past the end */
} xc_reader;

static inline xc_reader xc_reading(const xj_buf *b)
{
    return (xc_reader){b->data, b->data + b->len, 0};
}
uint64_t xc_getU64(xc_reader *r);
/* The bytes of a counted string (not copied; NULL, *n 0 when bad). */
const char *xc_getBytes(xc_reader *r, size_t *n);

#endif
