/* placeholder */
#include "commands.h"
int main(int argc, char **argv) { if (argc > 1 && argv[1][0]=='i') return cmd_id(argc - 1, argv + 1); if (argc > 1 && argv[1][0]=='g') return cmd_gen(argc - 1, argv + 1); return cmd_scan(argc - 1, argv + 1); }
