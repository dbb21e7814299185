/* SPDX-License-Identifier: Apache-2.0 */
/* vtoken: make card images, run programs against private cards, control the daemon. */
#include "commands.h"
#include "profile.h"
#include "version.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

static void usage(FILE *f)
{
        fprintf(f, "Usage: vtoken COMMAND [OPTIONS]\n"
                   "\n"
                   "Commands:\n"
                   "  init IMAGE [--profile PROFILE] ...     create a card image\n");
        /* the profiles from their table, as `vtoken init --list profiles` gives them */
        fprintf(f, "                                         (PROFILE:");
        for (size_t i = 0, col = 50; vt_profile_at(i); i++) {
                const char *name = vt_profile_at(i);
                if (col + strlen(name) + 2 > 79) {
                        fprintf(f, "\n                                        ");
                        col = 40;
                }
                col += (size_t)fprintf(f, " %s%s", name, vt_profile_at(i + 1) ? "," : ")\n");
        }
        fprintf(f,
                "  show IMAGE [--json]                    describe a card image (no secrets)\n"
                "  run [--card IMAGE]... -- COMMAND ...   run COMMAND in a private PC/SC\n"
                "                                         environment with the cards inserted\n"
                "  wait [--timeout SECONDS]               wait until the cards are present\n"
                "  matrix [--personality NAME]... -- COMMAND ...\n"
                "                                         run COMMAND once per card personality,\n"
                "                                         each in a run of its own\n"
                "  ctl [--socket PATH] VERB ...           control a running vtokend\n"
                "\n"
                "  -h, --help       this text ('vtoken help COMMAND' or 'vtoken COMMAND --help'\n"
                "                   describes each command)\n"
                "  -V, --version    print the version\n"
                "\n"
                "Exit status: 0 done, 64 usage error, otherwise as each command describes.\n");
}

static const struct {
        const char *name;
        int (*fn)(int, char **);
} cmds[] = {
    {"init", vt_cmd_init}, {"show", vt_cmd_show}, {"run", vt_cmd_run},
    {"wait", vt_cmd_wait}, {"ctl", vt_cmd_ctl},   {"matrix", vt_cmd_matrix},
};

static int run_command(const char *name, int argc, char **argv)
{
        static char prog[32]; /* getopt's messages start with argv[0]: "vtoken init: ..." */
        for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
                if (strcmp(name, cmds[i].name) != 0)
                        continue;
                snprintf(prog, sizeof(prog), "vtoken %s", cmds[i].name);
                argv[0] = prog;
                return cmds[i].fn(argc, argv);
        }
        fprintf(stderr,
                "vtoken: unknown command '%s' (init, show, run, wait, ctl or matrix; see vtoken "
                "--help)\n",
                name);
        return EX_USAGE;
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                usage(stderr);
                return EX_USAGE;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
            (strcmp(argv[1], "help") == 0 && argc == 2)) {
                usage(stdout);
                return 0;
        }
        if (strcmp(argv[1], "help") == 0) { /* help COMMAND: that command's --help */
                char *help[] = {argv[2], "--help", NULL};
                if (argc > 3) {
                        fprintf(stderr, "vtoken help: one COMMAND only\n");
                        return EX_USAGE;
                }
                return run_command(argv[2], 2, help);
        }
        if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
                if (argc > 2) {
                        fprintf(stderr, "vtoken: %s takes no argument\n", argv[1]);
                        return EX_USAGE;
                }
                printf("vtoken %s\n", VT_VERSION);
                return 0;
        }
        if (argv[1][0] == '-') {
                fprintf(stderr,
                        "vtoken: unknown option '%s' (a COMMAND comes first; see vtoken "
                        "--help)\n",
                        argv[1]);
                return EX_USAGE;
        }
        return run_command(argv[1], argc - 1, argv + 1);
}
