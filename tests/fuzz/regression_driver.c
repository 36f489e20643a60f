/*
 * regression_driver — replays fuzz corpora without libFuzzer.
 *
 * Linked with one fuzz target, it calls LLVMFuzzerTestOneInput once for
 * every file named on the command line and every regular file directly
 * inside each directory named (in name order, so a failure reproduces the
 * same way; dot files and README* are skipped). Each input is read into a
 * buffer of exactly its size, so AddressSanitizer catches a read past its
 * end as libFuzzer would. A target signals a finding by crashing; the driver
 * itself fails when an argument cannot be read or a directory holds no
 * input at all — an empty corpus would otherwise pass silently.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs the target on one file; 0 on success, -1 when it cannot be read. */
static int rg_runFile(const char *path)
{
    FILE *const f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "regression_driver: %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || sb.st_size < 0) {
        fprintf(stderr, "regression_driver: %s: cannot stat\n", path);
        fclose(f);
        return -1;
    }
    size_t const size = (size_t)sb.st_size;
    uint8_t *const buf = malloc(size ? size : 1);
    if (buf == NULL || fread(buf, 1, size, f) != size) {
        fprintf(stderr, "regression_driver: %s: cannot read %zu bytes\n", path, size);
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    /* named first, so the log shows which input a crash came from */
    fprintf(stderr, "%s\n", path);
    LLVMFuzzerTestOneInput(buf, size);
    free(buf);
    return 0;
}

static int rg_byName(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file in dir; returns the count, or -1 on an error. */
static long rg_runDir(const char *dir)
{
    DIR *const d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "regression_driver: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.' || strncmp(e->d_name, "README", 6) == 0) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **const grown = realloc(names, cap * sizeof *grown);
            if (grown == NULL) abort();
            names = grown;
        }
        size_t const len = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (names[n] == NULL) abort();
        snprintf(names[n], len, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, rg_byName);
    long count = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
            if (rg_runFile(names[i]) != 0) count = -1;
            else if (count >= 0) count++;
        }
        free(names[i]);
    }
    free(names);
    return count;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    long total = 0;
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) {
            fprintf(stderr, "regression_driver: %s: %s\n", argv[i], strerror(errno));
            failed = 1;
        } else if (S_ISDIR(sb.st_mode)) {
            long const n = rg_runDir(argv[i]);
            if (n <= 0) {
                fprintf(stderr, "regression_driver: %s: %s\n", argv[i], n == 0 ? "no inputs" : "unreadable inputs");
                failed = 1;
            } else {
                printf("%s: %ld inputs\n", argv[i], n);
                total += n;
            }
        } else {
            if (rg_runFile(argv[i]) != 0) failed = 1;
            else total++;
        }
    }
    printf("regression_driver: %ld inputs ran, %s\n", total, failed ? "with errors" : "no finding");
    return failed;
}
