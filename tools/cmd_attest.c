/*
 * cmd_attest — `xjdedup attest OUTDIR SELECTOR...`: the decisions file an
 * officer hands to next month's scan (--decisions), made from a finished
 * run, so nobody types a group id by hand (docs/monthly.md §4).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "xjdedup.h"

static void attest_usage(FILE *out)
{
    fprintf(out,
            "usage: xjdedup attest OUTDIR [--revoke] [-o FILE] [--map FIELD=HEADER] SELECTOR...\n"
            "\n"
            "Writes officers' decisions (佐证核办) for `xjdedup scan --decisions FILE`, taken\n"
            "from the finished run in OUTDIR. A SELECTOR is a group_id (the whole group) or a\n"
            "student number (its rows in every duplicate group); each attr_duplicate or\n"
            "id_duplicate row of OUTDIR's problems.csv and attested.csv it names gives one\n"
            "line group_id,student_no,school_code,approved (or revoked).\n"
            "\n"
            "  -o, --output FILE   write to FILE (it must not exist) instead of standard output\n"
            "      --revoke        withdraw earlier approvals instead of approving\n"
            "      --map F=H       the run's inputs named field F by header H (as in scan)\n"
            "  -h, --help          this text\n"
            "\n"
            "Example: approve every member of an attribute group, then scan next month:\n"
            "  xjdedup attest out11 77582389bdf2e8e8 -o approved.csv\n"
            "  xjdedup scan 2026-12.csv -o out12 --previous out11 --decisions approved.csv\n");
}

int cmd_attest(int argc, char **argv)
{
    static const struct option kOpts[] = {{"output", required_argument, NULL, 'o'},
                                           {"revoke", no_argument, NULL, 'r'},
                                           {"map", required_argument, NULL, 'm'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
    xj_scan *const scan = xj_scan_create();
    if (scan == NULL) {
        fprintf(stderr, "xjdedup attest: out of memory\n");
        return EXIT_IO;
    }
    const char *output = NULL;
    int approve = 1, c, status = EXIT_OK;
    optind = 1;
    while (status == EXIT_OK && (c = getopt_long(argc, argv, "o:h", kOpts, NULL)) != -1) {
        if (c == 'o') output = optarg;
        else if (c == 'r') approve = 0;
        else if (c == 'm' && xj_scan_addHeaderMap(scan, optarg) != XJ_OK) {
            fprintf(stderr, "xjdedup attest: %s\n", xj_scan_message(scan));
            status = EXIT_USAGE;
        } else if (c == 'h') {
            attest_usage(stdout);
            xj_scan_free(scan);
            return EXIT_OK;
        } else if (c != 'm') status = EXIT_USAGE;
    }
    if (status == EXIT_OK && argc - optind < 2) {
        attest_usage(stderr);
        status = EXIT_USAGE;
    }
    FILE *out = stdout;
    if (status == EXIT_OK && output != NULL && (out = fopen(output, "wx")) == NULL) {
        fprintf(stderr, "xjdedup attest: cannot create %s: %s%s\n", output, strerror(errno),
                errno == EEXIST ? " (choose another name: an existing decisions file is never overwritten)" : "");
        status = errno == EEXIST ? EXIT_USAGE : EXIT_IO;
    }
    if (status == EXIT_OK) {
        const char *const outdir = argv[optind];
        xj_error const err = xj_scan_attest(scan, outdir, (const char *const *)argv + optind + 1,
                                            (size_t)(argc - optind - 1), approve, out);
        if (err) {
            fprintf(stderr, "xjdedup attest: %s\n", xj_scan_message(scan));
            status = err == XJ_ERR_IO ? EXIT_IO : EXIT_USAGE;
        }
        if (output != NULL && fclose(out) != 0 && status == EXIT_OK) {
            fprintf(stderr, "xjdedup attest: cannot write %s: %s\n", output, strerror(errno));
            status = EXIT_IO;
        }
        if (output != NULL && status != EXIT_OK) remove(output); /* no half-made decisions file */
    }
    xj_scan_free(scan);
    return status;
}
