/* placeholder: `xjdedup id` is being written */
#include <stdio.h>
#include "commands.h"
int cmd_id(int argc, char **argv) { (void)argc; (void)argv; fputs("xjdedup id: not built yet\n", stderr); return EXIT_USAGE; }
