/* placeholder: the generator is being written (issue 3) */
#include <stdio.h>
#include "commands.h"
int cmd_gen(int argc, char **argv) { (void)argc; (void)argv; fputs("xjdedup gen: not built yet\n", stderr); return EXIT_USAGE; }
