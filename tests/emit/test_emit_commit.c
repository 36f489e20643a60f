/*
 * test_emit_commit — the output directory appears complete or not at all.
 *
 * Checked: an existing OUTDIR without --force is an error and stays as it
 * was; with --force over an earlier result (its MANIFEST lists all it
 * holds) it is replaced and nothing else is left beside it, but refused and
 * untouched when a file was added to it; with --force over a directory
 * that is not ours (no MANIFEST), a regular file or a symlink, it is refused
 * and untouched; an unwritable parent and a write failing half-way (a file
 * size limit, in a child process) give XJ_ERR_IO, name the path, leave no
 * temporary behind and leave an earlier result intact; temporaries of dead
 * runs are removed, those of live ones and other names are not.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "em_internal.h"
#include "xj_clock.h"
#include "emit_testlib.h"
#include "test_check.h"

/* renameat2 as em_commit sees it: this definition in the executable takes
 * the place of libc's, so a file system without RENAME_EXCHANGE can be
 * played (EINVAL), and the fallback (rename aside) tested. */
static int no_exchange;   /* 1: RENAME_EXCHANGE fails with EINVAL */
static int exchanges;     /* RENAME_EXCHANGE calls seen */

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)
{
    if (flags & RENAME_EXCHANGE) {
        exchanges++;
        if (no_exchange) {
            errno = EINVAL;
            return -1;
        }
    }
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}

static char scratch[2048];
static char parent[2200];
static em_input inputs[1];
static const char *const headers[] = {"student_no", "school_code"};

enum { N_ROWS = 400 };
static pb_row rows[N_ROWS];
static char school_codes[N_ROWS][16];

static void initRun(em_run *run, const char *outdir, int force, const char *marker)
{
    memset(inputs, 0, sizeof inputs);
    inputs[0].name = marker; /* shows in problems.csv: tells one result from another */
    inputs[0].path = marker;
    snprintf(inputs[0].xxh3_128, sizeof inputs[0].xxh3_128, "%032d", 0);
    for (int i = 0; i < N_ROWS; i++) {
        snprintf(school_codes[i], sizeof school_codes[i], "11%02d050%03d", i % 7, i % 50);
        pb_row *const r = &rows[i];
        memset(r, 0, sizeof *r);
        r->school = school_codes[i];
        r->school_len = 10;
        r->others = "";
        r->tail = ",G123456789,1101050001";
        r->tail_len = (uint32_t)strlen(r->tail);
        r->line = (uint64_t)i + 2;
        r->problem = PB_ID_INVALID;
        r->reason = XJ_ID_CHECKSUM;
        r->keeper = PB_KEEPER_NONE;
        r->hint = PB_HINT_CORRECT_ID;
    }
    memset(run, 0, sizeof *run);
    run->outdir = outdir;
    run->force = force;
    run->inputs = inputs;
    run->n_inputs = 1;
    run->headers = headers;
    run->n_headers = 2;
    run->rows = rows;
    run->n_rows = N_ROWS;
    run->rows_read = run->rows_accepted = N_ROWS;
    run->run_date = 20260101;
    run->attr_scope = "noid";
    run->encoding = "utf-8";
    run->timing.start = xj_now();
    run->threads = 1;
}

static xj_error writeOut(const char *outdir, int force, const char *marker, xj_status *st)
{
    em_run run;
    initRun(&run, outdir, force, marker);
    st_init(st);
    return em_write(&run, st);
}

/* A fingerprint of a tree: every path with its contents. */
static char *fingerprint(const char *root)
{
    tl_list files;
    tl_walk(root, &files);
    xj_buf b;
    buf_init(&b, (size_t)1 << 28);
    for (size_t i = 0; i < files.n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", root, files.items[i]);
        size_t n = 0;
        char *const data = tl_readFile(path, &n);
        buf_printf(&b, "%s %zu\n", files.items[i], n);
        if (data) buf_append(&b, data, n);
        free(data);
    }
    tl_listFree(&files);
    char *const s = tl_xstrdup(b.data ? b.data : "");
    buf_free(&b);
    return s;
}

/* Only the expected names in the parent: no temporaries left. */
static void checkBeside(const char *const *names, size_t n, const char *what)
{
    tl_list l;
    tl_listDir(parent, &l);
    TC_CHECK(l.n == n, "%s: %zu entries beside OUTDIR, want %zu", what, l.n, n);
    for (size_t i = 0; i < l.n; i++) {
        int known = 0;
        for (size_t k = 0; k < n; k++) known |= strcmp(l.items[i], names[k]) == 0;
        TC_CHECK(known, "%s: unexpected %s beside OUTDIR", what, l.items[i]);
    }
    tl_listFree(&l);
}

static int problemsMention(const char *outdir, const char *marker)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/problems.csv", outdir);
    size_t n = 0;
    char *const s = tl_readFile(path, &n);
    int const found = s && strstr(s, marker) != NULL;
    free(s);
    return found;
}

static void freshParent(void)
{
    tl_rmtree(parent);
    tl_mkdirs(parent);
}

static void test_existing(void)
{
    freshParent();
    char out[4096];
    snprintf(out, sizeof out, "%s/out", parent);
    xj_status st;
    static const char *const kOnlyOut[] = {"out"};

    /* first run creates it */
    TC_CHECK(writeOut(out, 0, "first.csv", &st) == XJ_OK, "first run: %s", st.message);
    TC_CHECK(problemsMention(out, "first.csv"), "first result written");
    checkBeside(kOnlyOut, 1, "first run");

    /* exists, no --force: refused, untouched */
    char *const before = fingerprint(out);
    TC_CHECK(writeOut(out, 0, "second.csv", &st) == XJ_ERR_USAGE, "existing OUTDIR without --force must be refused");
    TC_CHECK(strstr(st.message, out) && strstr(st.message, "exists") && strstr(st.message, "--force"),
             "message names the directory and --force: %s", st.message);
    char *const after = fingerprint(out);
    TC_CHECK(strcmp(before, after) == 0, "refused run changed OUTDIR");
    free(after);
    checkBeside(kOnlyOut, 1, "refused run");

    /* with --force over our own result holding a file its MANIFEST does not
     * list: refused, untouched (the file may be someone's work) */
    char stray[4200];
    snprintf(stray, sizeof stray, "%s/stray.txt", out);
    TC_CHECK(tl_writeFile(stray, "left by hand\n") == 0, "write stray");
    char *const with_stray = fingerprint(out);
    TC_CHECK(writeOut(out, 1, "second.csv", &st) == XJ_ERR_USAGE, "--force over a result with a stray file refused");
    TC_CHECK(strstr(st.message, "stray.txt") && strstr(st.message, "MANIFEST"), "message names the file: %s",
             st.message);
    char *const kept = fingerprint(out);
    TC_CHECK(strcmp(with_stray, kept) == 0, "refused --force run changed OUTDIR");
    free(kept);
    free(with_stray);
    checkBeside(kOnlyOut, 1, "refused --force run");

    /* without it: replaced, the old result gone */
    TC_CHECK(unlink(stray) == 0, "remove stray");
    TC_CHECK(writeOut(out, 1, "second.csv", &st) == XJ_OK, "--force over a result: %s", st.message);
    TC_CHECK(problemsMention(out, "second.csv") && !problemsMention(out, "first.csv"), "OUTDIR holds the new result");
    checkBeside(kOnlyOut, 1, "--force run");
    free(before);

    /* trailing slashes name the same directory */
    char slashed[4200];
    snprintf(slashed, sizeof slashed, "%s//", out);
    TC_CHECK(writeOut(slashed, 1, "third.csv", &st) == XJ_OK, "OUTDIR with trailing slashes: %s", st.message);
    TC_CHECK(problemsMention(out, "third.csv"), "replaced through out//");
    checkBeside(kOnlyOut, 1, "out//");
}

static void test_notOurs(void)
{
    freshParent();
    char out[4096], keep[4200];
    snprintf(out, sizeof out, "%s/out", parent);
    tl_mkdirs(out);
    snprintf(keep, sizeof keep, "%s/precious.txt", out);
    TC_CHECK(tl_writeFile(keep, "do not delete\n") == 0, "write precious");
    xj_status st;
    static const char *const kOnlyOut[] = {"out"};
    TC_CHECK(writeOut(out, 1, "x.csv", &st) == XJ_ERR_USAGE, "--force over a directory without MANIFEST refused");
    TC_CHECK(strstr(st.message, "MANIFEST") != NULL, "message says why: %s", st.message);
    TC_CHECK(tl_exists(keep), "precious file kept");
    tl_list l;
    tl_walk(out, &l);
    TC_CHECK(l.n == 1, "directory not ours untouched (%zu files)", l.n);
    tl_listFree(&l);
    checkBeside(kOnlyOut, 1, "not ours");
    TC_CHECK(writeOut(out, 0, "x.csv", &st) == XJ_ERR_USAGE, "without --force refused too");

    /* a plain file named out */
    freshParent();
    TC_CHECK(tl_writeFile(out, "a file\n") == 0, "write file");
    TC_CHECK(writeOut(out, 1, "x.csv", &st) == XJ_ERR_USAGE, "--force over a regular file refused");
    size_t n = 0;
    char *const s = tl_readFile(out, &n);
    TC_CHECK(s && strcmp(s, "a file\n") == 0, "regular file untouched");
    free(s);

    /* a symlink to one of our results: refused, neither link nor target touched */
    freshParent();
    char target[4200];
    snprintf(target, sizeof target, "%s/real", parent);
    TC_CHECK(writeOut(target, 0, "real.csv", &st) == XJ_OK, "write target: %s", st.message);
    TC_CHECK(symlink("real", out) == 0, "symlink");
    char *const before = fingerprint(target);
    TC_CHECK(writeOut(out, 1, "x.csv", &st) == XJ_ERR_USAGE, "--force over a symlink refused");
    char *const after = fingerprint(target);
    TC_CHECK(strcmp(before, after) == 0, "symlink target untouched");
    free(before);
    free(after);
    static const char *const kTwo[] = {"out", "real"};
    checkBeside(kTwo, 2, "symlink");

    /* names that are not a directory to create */
    static const char *const kBad[] = {"", ".", "..", "/"};
    for (size_t i = 0; i < sizeof kBad / sizeof kBad[0]; i++)
        TC_CHECK(writeOut(kBad[i], 1, "x.csv", &st) == XJ_ERR_USAGE, "OUTDIR '%s' must be refused", kBad[i]);
}

/* A write that fails half-way, in a child so the file size limit stays
 * there: the child reports the error code as its exit status. */
static int failingWrite(const char *out, int force)
{
    fflush(NULL);
    pid_t const pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN); /* write then fails with EFBIG */
        struct rlimit const rl = {4096, 4096};
        setrlimit(RLIMIT_FSIZE, &rl);
        xj_status st;
        xj_error const err = writeOut(out, force, "failing.csv", &st);
        if (err != XJ_OK) fprintf(stderr, "(expected) %s\n", st.message);
        int const named = strstr(st.message, parent) != NULL && strstr(st.message, "large") != NULL;
        _exit(err == XJ_ERR_IO && named ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

static void test_ioFailure(void)
{
    freshParent();
    char out[4096];
    snprintf(out, sizeof out, "%s/out", parent);
    xj_status st;

    /* half-way failure, no earlier result: nothing at all is left */
    TC_CHECK(failingWrite(out, 0) == 0, "a write failing half-way must give XJ_ERR_IO naming the file and errno text");
    TC_CHECK(!tl_exists(out), "no OUTDIR after a failed run");
    checkBeside(NULL, 0, "failed run");

    /* half-way failure with --force over an earlier result: it survives */
    TC_CHECK(writeOut(out, 0, "old.csv", &st) == XJ_OK, "earlier result: %s", st.message);
    char *const before = fingerprint(out);
    TC_CHECK(failingWrite(out, 1) == 0, "failing --force run must give XJ_ERR_IO");
    char *const after = fingerprint(out);
    TC_CHECK(strcmp(before, after) == 0, "earlier result changed by a failed run");
    free(before);
    free(after);
    static const char *const kOnlyOut[] = {"out"};
    checkBeside(kOnlyOut, 1, "failed --force run");

    /* an unwritable parent */
    if (geteuid() != 0) {
        freshParent();
        chmod(parent, 0555);
        TC_CHECK(writeOut(out, 0, "x.csv", &st) == XJ_ERR_IO, "unwritable parent: XJ_ERR_IO");
        TC_CHECK(strstr(st.message, parent) != NULL, "message names the parent: %s", st.message);
        chmod(parent, 0755);
        checkBeside(NULL, 0, "unwritable parent");
    }
    /* root writes anywhere: /proc takes no new directory whoever asks */
    TC_CHECK(writeOut("/proc/xjdedup-emit-test-out", 0, "x.csv", &st) == XJ_ERR_IO, "/proc parent: XJ_ERR_IO (%s)",
             st.message);
    TC_CHECK(strstr(st.message, "/proc") != NULL, "message names the path: %s", st.message);
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/no/such/dir/out", parent);
    TC_CHECK(writeOut(missing, 0, "x.csv", &st) == XJ_ERR_IO, "missing parent: XJ_ERR_IO");
    TC_CHECK(strstr(st.message, "No such file") != NULL, "strerror text: %s", st.message);
}

static void test_stale(void)
{
    freshParent();
    char out[4096];
    snprintf(out, sizeof out, "%s/out", parent);
    /* a pid that is surely dead: a child that exited and was reaped */
    pid_t const child = fork();
    if (child == 0) _exit(0);
    waitpid(child, NULL, 0);
    char dead[4200], dead_old[4200], live[4200], other[4200], odd[4200], file[4400];
    snprintf(dead, sizeof dead, "%s/.out.tmp-%ld-0badc0de", parent, (long)child);
    snprintf(dead_old, sizeof dead_old, "%s/.out.old-%ld-0badc0de", parent, (long)child);
    snprintf(live, sizeof live, "%s/.out.tmp-%ld-00000001", parent, (long)getpid());
    snprintf(other, sizeof other, "%s/.other.tmp-%ld-0badc0de", parent, (long)child);
    snprintf(odd, sizeof odd, "%s/.out.tmp-notapid", parent);
    const char *const dirs[] = {dead, dead_old, live, other, odd};
    for (size_t i = 0; i < 5; i++) {
        tl_mkdirs(dirs[i]);
        snprintf(file, sizeof file, "%s/schools/01", dirs[i]);
        tl_mkdirs(file);
        snprintf(file, sizeof file, "%s/schools/01/f.csv", dirs[i]);
        tl_writeFile(file, "x\n");
    }
    xj_status st;
    TC_CHECK(writeOut(out, 0, "x.csv", &st) == XJ_OK, "run with stale temporaries: %s", st.message);
    TC_CHECK(!tl_exists(dead), "temporary of a dead run removed");
    TC_CHECK(!tl_exists(dead_old), "old result of a dead run removed");
    TC_CHECK(tl_exists(live), "temporary of a live run kept");
    TC_CHECK(tl_exists(other), "another OUTDIR's temporary kept");
    TC_CHECK(tl_exists(odd), "a name without a pid kept");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_emit_commit SCRATCHDIR\n");
        return 2;
    }
    snprintf(scratch, sizeof scratch, "%s", argv[1]);
    snprintf(parent, sizeof parent, "%s/parent", scratch);
    tl_rmtree(scratch);
    tl_mkdirs(scratch);
    test_existing();
    TC_CHECK(exchanges > 0, "--force swaps with RENAME_EXCHANGE where the file system has it");
    no_exchange = 1; /* the same again on a file system without it */
    test_existing();
    no_exchange = 0;
    test_notOurs();
    test_ioFailure();
    test_stale();
    if (tc_failures == 0) tl_rmtree(scratch);
    return tc_finish("emit_commit");
}
