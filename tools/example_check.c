/*
 * example_check — how another registration system calls libxjdedup at data
 * entry: load the register index once, then ask about each new record
 * before it is saved.
 *
 *   example_check REGISTER.xji [RUN_DATE]  < records.tsv
 *
 * Each input line is one record, tab-separated:
 *   student_no  name  sex  birth_date  id_type  id_number  school_code  region_code  registered_at
 * For each record it prints its ID verdict and the register records it
 * would duplicate. Exit 0, or 2 when the index cannot be loaded.
 */
#include <stdio.h>
#include <string.h>

#include "xjdedup.h"

enum { MAX_FIELDS = 9, MAX_MATCHES = 16 };

static size_t split_tabs(char *line, const char *field[MAX_FIELDS])
{
    size_t n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line; n < MAX_FIELDS; n++) {
        field[n] = p;
        char *const tab = strchr(p, '\t');
        if (tab == NULL) return n + 1;
        *tab = '\0';
        p = tab + 1;
    }
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fputs("usage: example_check REGISTER.xji [YYYY-MM-DD] < records.tsv\n", stderr);
        return 2;
    }
    uint32_t run_date = 0; /* today */
    if (argc == 3 && xj_parseDate(argv[2], &run_date) != XJ_OK) {
        fprintf(stderr, "example_check: %s is not a date\n", argv[2]);
        return 2;
    }
    xj_index *const index = xj_index_create();
    if (index == NULL || xj_index_load(index, argv[1]) != XJ_OK) {
        fprintf(stderr, "example_check: %s\n", index ? xj_index_message(index) : "out of memory");
        xj_index_free(index);
        return 2;
    }
    char line[8192];
    unsigned long lineno = 0;
    while (fgets(line, sizeof line, stdin)) {
        lineno++;
        const char *f[MAX_FIELDS] = {0};
        split_tabs(line, f);
        xj_recordIn const rec = {
            .student_no = f[0], .name = f[1], .sex = f[2], .birth_date = f[3], .id_type = f[4],
            .id_number = f[5], .school_code = f[6], .region_code = f[7], .registered_at = f[8],
        };
        xj_idReason reason;
        xj_match matches[MAX_MATCHES];
        size_t n = 0;
        if (xj_index_checkRecord(index, &rec, run_date, &reason, matches, MAX_MATCHES, &n) != XJ_OK) {
            printf("%lu: cannot check: %s\n", lineno, xj_index_message(index));
            continue;
        }
        printf("%lu: %s: ID %s, %zu register match%s\n", lineno, rec.student_no ? rec.student_no : "",
               reason == XJ_ID_OK ? "valid" : xj_idReasonName(reason), n, n == 1 ? "" : "es");
        for (size_t i = 0; i < n && i < MAX_MATCHES; i++) {
            if (matches[i].kind == XJ_MATCH_SUSPECT) { /* the data-entry question */
                /* the register's number is the valid one, or a mistyped copy of this one */
                xj_idReason const theirs = matches[i].id_reason;
                int const valid = theirs == XJ_ID_OK || theirs == XJ_ID_BIRTHDATE_MISMATCH ||
                                  theirs == XJ_ID_SEX_MISMATCH || theirs == XJ_ID_CHANGED;
                printf("    %s %s (%s, %s at school %s), from %s line %llu\n",
                       valid ? "did you mean" : "mistyped copy of this ID:",
                       matches[i].id_number, matches[i].name, matches[i].student_no, matches[i].school_code,
                       matches[i].source, (unsigned long long)matches[i].line);
                continue;
            }
            printf("    %s %s at school %s (county %s), registered %u, from %s line %llu%s%s\n",
                   matches[i].kind == XJ_MATCH_ID              ? "same ID:"
                   : matches[i].kind == XJ_MATCH_REGISTERED ? "already registered:"
                                                            : "same name, sex, birth date:",
                   matches[i].student_no, matches[i].school_code, matches[i].region_code, matches[i].registered,
                   matches[i].source, (unsigned long long)matches[i].line,
                   matches[i].id_reason == XJ_ID_OK ? "" : "; its own ID: ",
                   matches[i].id_reason == XJ_ID_OK ? "" : xj_idReasonName(matches[i].id_reason));
        }
    }
    xj_index_free(index);
    return 0;
}
