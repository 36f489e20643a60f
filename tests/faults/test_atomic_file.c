/*
 * test_atomic_file — xj_file's promise: a file appears whole or not at all,
 * and no temporary is left behind.
 *
 * Checked: a new file and a replaced one hold exactly the bytes given and
 * the directory holds nothing else; the temporary's name keeps a suffix
 * when asked (`X.xji.tmpPID.rejects.csv`, the name ix_write's sweep of dead
 * runs knows) and is removed by af_abort; an empty buffer gives an empty
 * file; a directory that does not exist and a target that cannot be
 * replaced (a non-empty directory in its place) give XJ_ERR_IO with a
 * message, leave the target as it was and no temporary; every allocation
 * failing in turn gives XJ_ERR_NOMEM and no file (leaks: the ASan stage of
 * tools/test.sh). The syncs themselves, the file's and its directory's, are
 * failed one by one in check_faults.py (the shim needs no sanitizer).
 *
 * usage: test_atomic_file WORKDIR
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_check.h"
#include "xj_alloc.h"
#include "xj_file.h"

static char g_dir[4096];

/* Entries of g_dir other than . and .., ' '-joined in readdir order. */
static int entries(char *out, size_t cap)
{
    DIR *const d = opendir(g_dir);
    int n = 0;
    out[0] = '\0';
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        n++;
        strncat(out, e->d_name, cap - strlen(out) - 2);
        strcat(out, " ");
    }
    if (d) closedir(d);
    return n;
}

/* The whole contents of `path` into `out` (NUL-terminated); -1 if absent. */
static long slurp(const char *path, char *out, size_t cap)
{
    FILE *const f = fopen(path, "rb");
    if (f == NULL) return -1;
    size_t const n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
    return (long)n;
}

static void check_write_and_replace(void)
{
    char path[4200], got[256], list[1024];
    snprintf(path, sizeof path, "%s/list.txt", g_dir);
    xj_status st;
    st_init(&st);
    TC_CHECK(af_writeFile(path, NULL, "first\n", 6, "the list", &st) == XJ_OK, "%s", st.message);
    TC_CHECK(slurp(path, got, sizeof got) == 6 && strcmp(got, "first\n") == 0, "got '%s'", got);
    TC_CHECK(af_writeFile(path, NULL, "second, longer\n", 15, "the list", &st) == XJ_OK, "%s", st.message);
    TC_CHECK(slurp(path, got, sizeof got) == 15 && strcmp(got, "second, longer\n") == 0, "got '%s'", got);
    TC_CHECK(af_writeFile(path, NULL, "", 0, "the list", &st) == XJ_OK, "%s", st.message);
    TC_CHECK(slurp(path, got, sizeof got) == 0, "an empty buffer gave '%s'", got);
    TC_CHECK(entries(list, sizeof list) == 1, "the directory holds: %s", list);
    unlink(path);
}

static void check_temporary_names(void)
{
    char path[4200], want[4300], list[1024];
    xj_status st;
    st_init(&st);
    xj_atomicFile f;
    snprintf(path, sizeof path, "%s/reg.xji.rejects.csv", g_dir);
    TC_CHECK(af_open(&f, path, ".rejects.csv", &st) == XJ_OK, "%s", st.message);
    snprintf(want, sizeof want, "%s/reg.xji.tmp%ld.rejects.csv", g_dir, (long)getpid());
    TC_CHECK(f.tmp != NULL && strcmp(f.tmp, want) == 0, "temporary %s, not %s", f.tmp ? f.tmp : "(none)", want);
    TC_CHECK(access(want, F_OK) == 0, "%s was not created", want);
    af_abort(&f);
    TC_CHECK(access(want, F_OK) != 0 && access(path, F_OK) != 0, "af_abort left a file");
    TC_CHECK(f.fd == -1 && f.tmp == NULL && f.path == NULL && f.dir == NULL, "af_abort left state behind");
    af_abort(&f); /* twice is harmless */

    snprintf(path, sizeof path, "%s/reg.xji", g_dir);
    TC_CHECK(af_open(&f, path, NULL, &st) == XJ_OK, "%s", st.message);
    snprintf(want, sizeof want, "%s/reg.xji.tmp%ld", g_dir, (long)getpid());
    TC_CHECK(f.tmp != NULL && strcmp(f.tmp, want) == 0, "temporary %s, not %s", f.tmp ? f.tmp : "(none)", want);
    TC_CHECK(f.dir != NULL && strcmp(f.dir, g_dir) == 0, "directory %s", f.dir ? f.dir : "(none)");
    af_abort(&f);
    TC_CHECK(entries(list, sizeof list) == 0, "left: %s", list);
}

static void check_failures(void)
{
    char path[4200], inside[4300], list[1024];
    xj_status st;
    st_init(&st);
    snprintf(path, sizeof path, "%s/no/such/dir/list.txt", g_dir);
    TC_CHECK(af_writeFile(path, NULL, "x\n", 2, "the list", &st) == XJ_ERR_IO, "a missing directory: %d", st.code);
    TC_CHECK(strstr(st.message, "cannot create") != NULL, "message: %s", st.message);

    /* a non-empty directory where the file should go: rename(2) fails */
    snprintf(path, sizeof path, "%s/taken", g_dir);
    mkdir(path, 0755);
    snprintf(inside, sizeof inside, "%s/taken/keep", g_dir);
    FILE *const keep = fopen(inside, "w");
    if (keep) fclose(keep);
    st_init(&st);
    TC_CHECK(af_writeFile(path, NULL, "x\n", 2, "the list", &st) == XJ_ERR_IO, "rename over a directory: %d",
             st.code);
    TC_CHECK(strstr(st.message, "cannot write the list") != NULL && strstr(st.message, path) != NULL,
             "message: %s", st.message);
    struct stat sb;
    TC_CHECK(stat(inside, &sb) == 0, "the directory in the way was changed");
    TC_CHECK(entries(list, sizeof list) == 1, "left: %s", list);
    unlink(inside);
    rmdir(path);
}

static void check_out_of_memory(void)
{
    char path[4200], list[1024];
    snprintf(path, sizeof path, "%s/list.txt", g_dir);
    xj_status st;
    st_init(&st);
    xj_allocFailAfter(-1);
    TC_CHECK(af_writeFile(path, NULL, "x\n", 2, "the list", &st) == XJ_OK, "%s", st.message);
    uint64_t const total = xj_allocFailAfter(-1);
    TC_CHECK(total >= 3, "only %llu allocations", (unsigned long long)total);
    unlink(path);
    for (uint64_t k = 0; k < total; k++) {
        st_init(&st);
        xj_allocFailAfter((int64_t)k);
        xj_error const err = af_writeFile(path, NULL, "x\n", 2, "the list", &st);
        xj_allocFailAfter(-1);
        TC_CHECK(err == XJ_ERR_NOMEM && st.message[0] != '\0', "k=%llu: %d %s", (unsigned long long)k, err,
                 st.message);
        TC_CHECK(entries(list, sizeof list) == 0, "k=%llu left: %s", (unsigned long long)k, list);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_atomic_file WORKDIR\n");
        return 2;
    }
    mkdir(argv[1], 0755);
    snprintf(g_dir, sizeof g_dir, "%s/run-XXXXXX", argv[1]); /* fresh each run */
    if (mkdtemp(g_dir) == NULL) {
        perror(g_dir);
        return 2;
    }
    check_write_and_replace();
    check_temporary_names();
    check_failures();
    check_out_of_memory();
    return tc_finish("test_atomic_file");
}
