/*
 * cmd_index — `xjdedup index build|update|info`. build and update share
 * scan's options (cmd_scan.c); info describes an index file.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli_text.h"
#include "commands.h"
#include "xjdedup.h"

static void index_overview(FILE *out)
{
    fputs("usage: xjdedup index build REGISTER... -o REGISTER.xji [options]\n"
          "       xjdedup index update OLD.xji [BATCH...] [--remove FILE] -o NEW.xji [options]\n"
          "       xjdedup index info [--verify] REGISTER.xji | POP.xjp\n"
          "       xjdedup index build --population EXTRACT... -o POP.xjp\n"
          "\n"
          "A register index lets `xjdedup check BATCH --against REGISTER.xji` find a\n"
          "batch's duplicates in the whole register without scanning it again.\n"
          "'xjdedup index build --help' and 'xjdedup index update --help' list their\n"
          "options; info prints counts, sizes, build date, inputs and format version\n"
          "(--verify also checks key order and decodes every record block).\n",
          out);
}

static void index_info_usage(FILE *out)
{
    fputs("usage: xjdedup index info [--verify] REGISTER.xji\n"
          "\n"
          "Describes a register index: format version and the xjdedup that wrote it,\n"
          "build time, run date and attribute scope, record and key counts, sizes,\n"
          "and the input files it was built from (bytes and XXH3-128).\n"
          "\n"
          "options:\n"
          "      --verify            also check key order and fences, and decode every\n"
          "                          record block (reads the whole file)\n"
          "  -h, --help              this text\n"
          "\n"
          "exit status: 0 success; 2 bad usage, or a damaged or unreadable index.\n",
          out);
}

/* A population index (docs/population.md §4): opening it checks it all. */
static int population_info(const char *path)
{
    xj_populationInfo in;
    char message[1024] = "";
    if (xj_populationIndexInfo(path, &in, message, sizeof message) != XJ_OK) {
        fprintf(stderr, "xjdedup index info: %s\n", message);
        return EXIT_USAGE;
    }
    char built[32] = "?", a[32], b[32];
    time_t const t = (time_t)in.build_time;
    struct tm tm;
    if (gmtime_r(&t, &tm)) strftime(built, sizeof built, "%Y-%m-%d %H:%M:%S UTC", &tm);
    printf("population index %s\n", path);
    printf("format         version %u, written by xjdedup %s\n", in.format_version, in.version);
    printf("built          %s\n", built);
    printf("entries        %12s (ID number, name) pairs, %s ID numbers\n", cli_grouped(in.entries, a),
           cli_grouped(in.ids, b));
    printf("several names  %12s ID numbers listed under more than one name\n", cli_grouped(in.several_names, a));
    printf("size           %12s bytes (%.1f per entry)\n", cli_grouped(in.file_bytes, a),
           in.entries ? (double)in.file_bytes / (double)in.entries : 0.0);
    printf("extracts       %zu\n", in.n_sources);
    for (size_t i = 0; i < in.n_sources; i++)
        printf("  %-40s %14s bytes\n", in.source_names[i], cli_grouped(in.source_bytes[i], a));
    printf("verified       every checksum and the order of every entry\n");
    xj_populationInfoFree(&in);
    return EXIT_OK;
}

static int index_info(int argc, char **argv)
{
    int verify = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--verify") == 0) verify = 1;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            index_info_usage(stdout);
            return EXIT_OK;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "xjdedup index info: unknown option %s; run 'xjdedup index info --help' for the options\n",
                    argv[i]);
            return EXIT_USAGE;
        } else if (path) {
            fputs("xjdedup index info: give one index file\n", stderr);
            return EXIT_USAGE;
        } else path = argv[i];
    }
    if (path == NULL) {
        fputs("xjdedup index info: give the index file\n", stderr);
        return EXIT_USAGE;
    }
    if (xj_isPopulationIndex(path) == 1) return population_info(path);
    xj_index *const ix = xj_index_create();
    if (ix == NULL) {
        fputs("xjdedup index info: out of memory\n", stderr);
        return EXIT_USAGE;
    }
    xj_error err = xj_index_load(ix, path);
    if (!err && verify) err = xj_index_verify(ix);
    if (err) {
        fprintf(stderr, "xjdedup index info: %s\n", xj_index_message(ix));
        xj_index_free(ix);
        return EXIT_USAGE;
    }
    xj_indexInfo in;
    xj_index_info(ix, &in);
    char built[32] = "?";
    time_t const t = (time_t)in.build_time;
    struct tm tm;
    if (gmtime_r(&t, &tm)) strftime(built, sizeof built, "%Y-%m-%d %H:%M:%S UTC", &tm);
    double const per = in.records ? (double)in.file_bytes / (double)in.records : 0;
    printf("index          %s\n", path);
    printf("format         version %u, written by xjdedup %s\n", in.format_version, in.version);
    char a[32], b[32], c[32];
    printf("built          %s, run date %s, attribute scope %s\n", built, xj_formatDate(in.run_date, a),
           in.attr_mixed ? "mixed" : "noid");
    printf("records        %12s\n", cli_grouped(in.records, a));
    printf("keys           %12s GB 11643 IDs, %s other IDs, %s attribute keys\n", cli_grouped(in.id_keys, a),
           cli_grouped(in.other_id_keys, b), cli_grouped(in.attr_keys, c));
    printf("size           %12s bytes (%.1f per record): ", cli_grouped(in.file_bytes, a), per);
    printf("keys %s, records %s\n", cli_grouped(in.key_bytes, b), cli_grouped(in.payload_bytes, c));
    printf("inputs         %zu\n", in.sources);
    for (size_t i = 0; i < in.sources; i++) {
        uint64_t bytes = 0;
        const char *hash = "";
        const char *const name = xj_index_source(ix, i, &bytes, &hash);
        printf("  %-40s %14s bytes  xxh3-128 %s\n", name, cli_grouped(bytes, a), hash);
    }
    if (verify) printf("verified       key order, fences and every record block\n");
    xj_index_free(ix);
    return EXIT_OK;
}

void index_printResult(const xj_scanStats *s, const char *path, const char *old_path, int date_given,
                       int scope_given)
{
    char a[32], b[32], c[32], d[16];
    printf("rows read      %12s  (accepted %s, rejected %s%s)\n", cli_grouped(s->rows_read, a),
           cli_grouped(s->rows_accepted, b), cli_grouped(s->rows_rejected, c),
           s->rows_rejected ? ", listed in the .rejects.csv beside the index" : "");
    if (old_path) {
        printf("removed        %12s", cli_grouped(s->removed_records, a));
        if (s->remove_unmatched)
            printf("  (%s listed student %s matched no record: %s.unmatched.txt)", cli_grouped(s->remove_unmatched, a),
                   cli_plural(s->remove_unmatched, "number", "numbers"), path);
        putchar('\n');
    }
    /* an update keeps OLD's settings unless they were given: say which */
    printf("run date       %12s  (%s)\n", xj_formatDate(s->run_date, d),
           date_given ? "--run-date" : old_path ? "kept from the old index" : "today");
    printf("attr scope     %12s  (%s)\n", s->attr_mixed ? "mixed" : "noid",
           scope_given ? "--attr-scope" : old_path ? "kept from the old index" : "the default");
    printf("index          %s  (%.1f s; 'xjdedup index info' describes it)\n", path, s->wall_seconds);
}

int cmd_index(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        index_overview(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "build") == 0) return cmd_indexWrite(argc - 1, argv + 1, 0);
    if (strcmp(argv[1], "update") == 0) return cmd_indexWrite(argc - 1, argv + 1, 1);
    if (strcmp(argv[1], "info") == 0) return index_info(argc - 1, argv + 1);
    fprintf(stderr, "xjdedup index: unknown subcommand '%s'; use build, update or info\n", argv[1]);
    return EXIT_USAGE;
}
