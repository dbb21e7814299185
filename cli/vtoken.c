/* SPDX-License-Identifier: Apache-2.0 */
/* vtoken: make card images, run programs against private cards, control the daemon. */
#include "commands.h"
#include "version.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

static void usage(FILE *f)
{
        fprintf(f, "Usage: vtoken COMMAND [OPTIONS]\n"
                   "\n"
                   "Commands:\n"
                   "  init IMAGE [--profile piv|ecert] ...   create a card image\n"
                   "  show IMAGE [--json]                    describe a card image (no secrets)\n"
                   "  run [--card IMAGE]... -- COMMAND ...   run COMMAND in a private PC/SC\n"
                   "                                         environment with the cards inserted\n"
                   "  wait [--timeout SECONDS]               wait until the cards are present\n"
                   "  ctl [--socket PATH] VERB ...           control a running vtokend\n"
                   "\n"
                   "'vtoken COMMAND --help' describes each command. vtoken --version prints the "
                   "version.\n");
}

int main(int argc, char **argv)
{
        static const struct {
                const char *name;
                int (*fn)(int, char **);
        } cmds[] = {
            {"init", vt_cmd_init}, {"show", vt_cmd_show}, {"run", vt_cmd_run},
            {"wait", vt_cmd_wait}, {"ctl", vt_cmd_ctl},
        };
        if (argc < 2) {
                usage(stderr);
                return EX_USAGE;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
            strcmp(argv[1], "help") == 0) {
                usage(stdout);
                return 0;
        }
        if (strcmp(argv[1], "--version") == 0) {
                printf("vtoken %s\n", VT_VERSION);
                return 0;
        }
        for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
                if (strcmp(argv[1], cmds[i].name) != 0)
                        continue;
                return cmds[i].fn(argc - 1, argv + 1);
        }
        fprintf(stderr, "vtoken: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return EX_USAGE;
}
