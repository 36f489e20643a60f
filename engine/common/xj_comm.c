/*
 * xj_comm — the ranks of a distributed run (xj_comm.h), on MPI when the
 * build has it (XJ_HAVE_MPI), else a single rank.
 */
#include <stdlib.h>
#include <string.h>

#include "xj_alloc.h"
#include "xj_comm.h"

#ifdef XJ_HAVE_MPI
#include <mpi.h>
#endif

static int xc_started; /* xc_start called MPI_Init_thread */
static int xc_myRank, xc_nRanks = 1;
static uint64_t xc_sent; /* bytes sent to other processes */

int xc_launched(void)
{
    /* Open MPI's, then MPICH's (Hydra, PMI-1/2) and PMIx's variables */
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (getenv(vars[i]) != NULL) return 1;
    return 0;
}

#ifndef XJ_HAVE_MPI
/* The size the launcher announced (1 if it says nothing we read). */
static int xc_launchedSize(void)
{
    const char *const v = getenv("OMPI_COMM_WORLD_SIZE") ? getenv("OMPI_COMM_WORLD_SIZE") : getenv("PMI_SIZE");
    return v ? atoi(v) : 1;
}
#endif

#ifdef XJ_HAVE_MPI
/* The test hook XJ_MPI_FAIL_ALLOC=R:N (docs/mpi.md §4): on rank R, every
 * allocation after the first N fails, so that a test can make one process
 * fail alone at any point and see the others stop instead of waiting. */
static void xc_failAllocations(void)
{
    const char *const v = getenv("XJ_MPI_FAIL_ALLOC");
    char *end = NULL;
    long const rank = v ? strtol(v, &end, 10) : -1;
    if (v == NULL || end == v || *end != ':' || rank != xc_myRank) return;
    long long const n = strtoll(end + 1, NULL, 10);
    if (n >= 0) xj_allocFailAfter(n);
}
#endif

xj_error xc_start(xj_status *st)
{
    if (!xc_launched() || xc_started) return XJ_OK;
#ifdef XJ_HAVE_MPI
    /* MPI_Init has hwloc map the machine, and hwloc's "gl" component asks
     * each X display :0, :1, ... for GPUs; an X client falls back to TCP to
     * "localhost", which, on a machine without /etc/hosts, is a DNS query
     * that times out after 5 s: every run started 5 s late. A scan binds to
     * no GPU, so that component is left out unless the user says otherwise
     * (hwloc reads HWLOC_COMPONENTS; overwrite 0 keeps a value already set). */
    setenv("HWLOC_COMPONENTS", "-gl", 0);
    int provided = 0;
    RETURN_ERROR_IF(MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS, st, XJ_ERR_IO,
                    "MPI could not be started");
    xc_started = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &xc_myRank);
    MPI_Comm_size(MPI_COMM_WORLD, &xc_nRanks);
    xc_failAllocations();
    return XJ_OK;
#else
    RETURN_ERROR_IF(xc_launchedSize() > 1, st, XJ_ERR_USAGE,
                    "started by mpirun as one of %d processes, but this xjdedup was built without MPI; "
                    "build it with -Dmpi=enabled (libopenmpi-dev), or run it alone",
                    xc_launchedSize());
    return XJ_OK;
#endif
}

void xc_abortAll(int code)
{
#ifdef XJ_HAVE_MPI
    if (xc_started) MPI_Abort(MPI_COMM_WORLD, code);
#endif
    exit(code);
}

uint64_t xc_bytesSent(void)
{
    return xc_sent;
}

uint64_t xc_sum(uint64_t v)
{
    uint64_t total = v;
#ifdef XJ_HAVE_MPI
    if (xc_started) MPI_Allreduce(&v, &total, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
#endif
    return total;
}

void xc_sumEach(uint64_t *v, size_t n)
{
#ifdef XJ_HAVE_MPI
    for (size_t at = 0; xc_started && at < n; at += XC_PIECE / 8)
        MPI_Allreduce(MPI_IN_PLACE, v + at, (int)(n - at < XC_PIECE / 8 ? n - at : XC_PIECE / 8), MPI_UINT64_T,
                      MPI_SUM, MPI_COMM_WORLD);
#else
    (void)v;
    (void)n;
#endif
}

int xc_rank(void)
{
    return xc_myRank;
}

int xc_size(void)
{
    return xc_nRanks;
}

/* ---- the wire format ---- */

xj_error xc_putU64(xj_buf *b, uint64_t v)
{
    unsigned char w[8];
    for (int i = 0; i < 8; i++) w[i] = (unsigned char)(v >> (8 * i));
    return buf_append(b, w, sizeof w);
}

xj_error xc_putBytes(xj_buf *b, const void *p, size_t n)
{
    FORWARD_IF_ERROR(xc_putU64(b, n));
    return n ? buf_append(b, p, n) : XJ_OK;
}

uint64_t xc_getU64(xc_reader *r)
{
    if (r->bad || r->end - r->p < 8) {
        r->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)(unsigned char)r->p[i] << (8 * i);
    r->p += 8;
    return v;
}

const char *xc_getBytes(xc_reader *r, size_t *n)
{
    uint64_t const len = xc_getU64(r);
    if (r->bad || len > (uint64_t)(r->end - r->p)) {
        r->bad = 1;
        *n = 0;
        return NULL;
    }
    const char *const p = r->p;
    r->p += len;
    *n = (size_t)len;
    return p;
}

/* ---- collectives ---- */

/* A received buffer made ready for `n` bytes. */
static xj_error xc_sized(xj_buf *b, uint64_t n, xj_status *st)
{
    buf_clear(b);
    RETURN_ERROR_IF(n > SIZE_MAX / 2 || buf_reserve(b, (size_t)n) != XJ_OK, st, XJ_ERR_NOMEM,
                    "out of memory receiving %llu bytes from another process", (unsigned long long)n);
    b->len = (size_t)n;
    if (b->data) b->data[n] = '\0';
    return XJ_OK;
}

/* An agreement: who failed first, and whether every process is ending
 * (*all_done); a failure's message comes from the process that had it. */
static xj_error xc_meet(xj_error err, xj_status *st, int done, int *all_done)
{
    *all_done = done;
#ifdef XJ_HAVE_MPI
    if (!xc_started) return err;
    int const mine[2] = {err ? xc_myRank : xc_nRanks, done};
    int got[2] = {xc_nRanks, 0};
    MPI_Allreduce(mine, got, 2, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    int const first = got[0];
    *all_done = got[1];
    if (first == xc_nRanks) return XJ_OK;
    struct {
        int code;
        char message[XJ_MESSAGE_MAX];
    } what = {0};
    if (first == xc_myRank) {
        what.code = st->code != XJ_OK ? (int)st->code : (int)err;
        memcpy(what.message, st->message, sizeof what.message);
        what.message[sizeof what.message - 1] = '\0';
    }
    MPI_Bcast(&what, (int)sizeof what, MPI_BYTE, first, MPI_COMM_WORLD);
    if (first == xc_myRank) return (xj_error)what.code;
    what.message[sizeof what.message - 1] = '\0';
    return st_fail(st, (xj_error)what.code, "rank %d of %d: %s", first, xc_nRanks, what.message);
#else
    (void)st;
    return err;
#endif
}

xj_error xc_agree(xj_error err, xj_status *st)
{
    int all_done = 0;
    return xc_meet(err, st, 0, &all_done);
}

void xc_end(int failed, const char *why)
{
    /* A process that stopped before the steps it shares with the others
     * (an error of its own, outside any agreement) would leave them
     * waiting at their next one: it keeps meeting them, as failed, until
     * every process is ending too. An agreed ending takes one meeting. */
    xj_status st;
    st_init(&st);
    if (failed) st_fail(&st, XJ_ERR_INPUT, "%s", why ? why : "it stopped");
    for (int all_done = 0; xc_started && !all_done;) xc_meet(failed ? st.code : XJ_OK, &st, 1, &all_done);
#ifdef XJ_HAVE_MPI
    if (xc_started) MPI_Finalize();
#endif
    xc_started = 0;
    xc_myRank = 0;
    xc_nRanks = 1;
}

#ifdef XJ_HAVE_MPI
/* Posts the pieces of one message (send or receive) to `peer`. */
static int xc_post(char *data, uint64_t n, int peer, int sending, MPI_Request *req, int max_req)
{
    int k = 0;
    for (uint64_t at = 0; at < n && k < max_req; at += XC_PIECE, k++) {
        int const count = (int)(n - at < XC_PIECE ? n - at : XC_PIECE);
        if (sending) MPI_Isend(data + at, count, MPI_BYTE, peer, k, MPI_COMM_WORLD, &req[k]);
        else MPI_Irecv(data + at, count, MPI_BYTE, peer, k, MPI_COMM_WORLD, &req[k]);
    }
    return k;
}

static int xc_pieces(uint64_t n)
{
    return (int)((n + XC_PIECE - 1) / XC_PIECE);
}

/* One message each way with `to` and `from` at once. */
static xj_error xc_swap(const xj_buf *out, int to, xj_buf *in, uint64_t in_len, int from, xj_status *st)
{
    if (xc_sized(in, in_len, st)) xc_abortAll(3); /* the peer would wait for ever */
    int const n_req = xc_pieces(out->len) + xc_pieces(in_len);
    MPI_Request *const req = xj_mallocArray(n_req ? (size_t)n_req : 1, sizeof *req);
    RETURN_ERROR_IF(req == NULL, st, XJ_ERR_NOMEM, "out of memory");
    int k = xc_post(in->data, in_len, from, 0, req, n_req);
    k += xc_post(out->data, out->len, to, 1, req + k, n_req - k);
    MPI_Waitall(k, req, MPI_STATUSES_IGNORE);
    xj_free(req);
    xc_sent += out->len;
    return XJ_OK;
}
#endif

xj_error xc_exchange(const xj_buf *send, xj_buf *recv, xj_status *st)
{
    int const me = xc_myRank, n = xc_nRanks;
    buf_clear(&recv[me]);
    FORWARD_IF_ERROR(send[me].len ? buf_append(&recv[me], send[me].data, send[me].len) : XJ_OK);
#ifdef XJ_HAVE_MPI
    if (!xc_started || n == 1) return XJ_OK;
    uint64_t *const sizes = xj_mallocArray(2 * (size_t)n, sizeof *sizes);
    RETURN_ERROR_IF(sizes == NULL, st, XJ_ERR_NOMEM, "out of memory");
    for (int r = 0; r < n; r++) sizes[r] = send[r].len;
    MPI_Alltoall(sizes, 1, MPI_UINT64_T, sizes + n, 1, MPI_UINT64_T, MPI_COMM_WORLD);
    xj_error err = XJ_OK;
    /* step k: to the k-th rank after this one, from the k-th before */
    for (int k = 1; k < n && !err; k++) {
        int const to = (me + k) % n, from = (me - k + n) % n;
        err = xc_swap(&send[to], to, &recv[from], sizes[n + from], from, st);
    }
    xj_free(sizes);
    return err;
#else
    (void)st;
    (void)n;
    return XJ_OK;
#endif
}

xj_error xc_gather(const xj_buf *mine, xj_buf *per_rank, xj_status *st)
{
#ifdef XJ_HAVE_MPI
    if (xc_started && xc_myRank != 0) {
        uint64_t const len = mine->len;
        xc_sent += len;
        MPI_Send(&len, 1, MPI_UINT64_T, 0, 0, MPI_COMM_WORLD);
        for (uint64_t at = 0; at < len; at += XC_PIECE)
            MPI_Send(mine->data + at, (int)(len - at < XC_PIECE ? len - at : XC_PIECE), MPI_BYTE, 0, 1,
                     MPI_COMM_WORLD);
        return XJ_OK;
    }
#endif
    buf_clear(&per_rank[0]);
    FORWARD_IF_ERROR(mine->len ? buf_append(&per_rank[0], mine->data, mine->len) : XJ_OK);
#ifdef XJ_HAVE_MPI
    for (int r = 1; xc_started && r < xc_nRanks; r++) {
        uint64_t len = 0;
        MPI_Recv(&len, 1, MPI_UINT64_T, r, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (xc_sized(&per_rank[r], len, st)) xc_abortAll(3); /* the sender would wait for ever */
        for (uint64_t at = 0; at < len; at += XC_PIECE)
            MPI_Recv(per_rank[r].data + at, (int)(len - at < XC_PIECE ? len - at : XC_PIECE), MPI_BYTE, r, 1,
                     MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
#else
    (void)st;
#endif
    return XJ_OK;
}

xj_error xc_broadcast(xj_buf *b, xj_status *st)
{
#ifdef XJ_HAVE_MPI
    if (!xc_started || xc_nRanks == 1) return XJ_OK;
    uint64_t len = b->len;
    MPI_Bcast(&len, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    if (xc_myRank != 0 && xc_sized(b, len, st)) xc_abortAll(3); /* the others would wait for ever */
    else xc_sent += len * (uint64_t)(xc_nRanks - 1); /* as if sent to each (the tree's shape aside) */
    for (uint64_t at = 0; at < len; at += XC_PIECE)
        MPI_Bcast(b->data + at, (int)(len - at < XC_PIECE ? len - at : XC_PIECE), MPI_BYTE, 0, MPI_COMM_WORLD);
#else
    (void)b;
    (void)st;
#endif
    return XJ_OK;
}

xj_error xc_gatherEach(const xj_buf *mine, xc_takeFn take, void *user, xj_status *st)
{
#ifdef XJ_HAVE_MPI
    if (xc_started && xc_myRank != 0) {
        xj_buf one[1];
        return xc_gather(mine, one, st); /* a sender's side is the same */
    }
#endif
    xj_error err = take(0, mine, user);
#ifdef XJ_HAVE_MPI
    xj_buf got;
    buf_init(&got, SIZE_MAX / 4);
    for (int r = 1; xc_started && r < xc_nRanks; r++) {
        uint64_t len = 0;
        MPI_Recv(&len, 1, MPI_UINT64_T, r, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (xc_sized(&got, len, st)) xc_abortAll(3); /* the sender would wait for ever */
        for (uint64_t at = 0; at < len; at += XC_PIECE)
            MPI_Recv(got.data + at, (int)(len - at < XC_PIECE ? len - at : XC_PIECE), MPI_BYTE, r, 1, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
        if (!err) err = take(r, &got, user);
    }
    buf_free(&got);
#else
    (void)st;
#endif
    return err;
}
