/*
 * reparse — re-reads every CSV file of an output directory with libcsv in
 * strict mode: each must parse, and every record must have as many fields as
 * its header. Output quoting is then right whatever the values held (commas,
 * quotes, line breaks, leading spaces, bytes that are not UTF-8).
 *
 * usage: reparse OUTDIR    (exit 0 when every file is clean)
 */
#include <csv.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct count_state {
    size_t fields;      /* in the current record */
    size_t header;      /* fields of the first record */
    size_t records;     /* records seen */
    int bad;            /* a record with another field count */
} count_state;

static void on_field(void *s, size_t n, void *data)
{
    (void)s;
    (void)n;
    ((count_state *)data)->fields++;
}

static void on_record(int c, void *data)
{
    (void)c;
    count_state *const st = data;
    if (st->records == 0) st->header = st->fields;
    else if (st->fields != st->header) st->bad = 1;
    st->records++;
    st->fields = 0;
}

static int check_file(const char *path)
{
    FILE *const f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    struct csv_parser p;
    csv_init(&p, CSV_STRICT | CSV_STRICT_FINI);
    count_state st = {0, 0, 0, 0};
    char buf[65536];
    size_t n;
    int bad = 0;
    size_t skip = 0;
    n = fread(buf, 1, sizeof buf, f);
    if (n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) skip = 3; /* --excel files start with a BOM */
    while (n > 0 && !bad) {
        if (csv_parse(&p, buf + skip, n - skip, on_field, on_record, &st) != n - skip) bad = 1;
        skip = 0;
        n = fread(buf, 1, sizeof buf, f);
    }
    if (!bad && csv_fini(&p, on_field, on_record, &st) != 0) bad = 1;
    csv_free(&p);
    fclose(f);
    if (bad) fprintf(stderr, "%s: not valid CSV: %s\n", path, csv_strerror(csv_error(&p)));
    else if (st.bad) fprintf(stderr, "%s: a record's field count differs from the header's (%zu)\n", path, st.header);
    return bad || st.bad;
}

static int walk(const char *dir, int *files)
{
    DIR *const d = opendir(dir);
    if (d == NULL) {
        perror(dir);
        return 1;
    }
    int bad = 0;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t const len = strlen(e->d_name);
        if (e->d_type == DT_DIR) bad |= walk(path, files);
        else if (len > 4 && strcmp(e->d_name + len - 4, ".csv") == 0) {
            bad |= check_file(path);
            (*files)++;
        }
    }
    closedir(d);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: reparse OUTDIR\n");
        return 2;
    }
    int files = 0;
    int const bad = walk(argv[1], &files);
    if (files == 0) {
        fprintf(stderr, "%s: no CSV files\n", argv[1]);
        return 1;
    }
    if (!bad) printf("%d CSV files re-parsed cleanly\n", files);
    return bad;
}
