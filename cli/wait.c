/* SPDX-License-Identifier: Apache-2.0 */
/* vtoken wait: block until the cards are present in PC/SC. */
#include "commands.h"
#include "pcscwait.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: vtoken wait [-t|--timeout SECONDS] [-n|--cards N | -x|--exactly N]\n"
                "\n"
                "Waits until at least N readers hold a present card (default: $VTOKEN_CARDS "
                "inside\n"
                "'vtoken run', else 1), or exactly N with --exactly (0 waits for every card to "
                "be\n"
                "gone), watching PC/SC events, and exits 0; exits 1 with a message when SECONDS\n"
                "(default 30) pass first, or at once when no pcscd runs (its socket is missing;\n"
                "inside 'vtoken run' it waits for a restarted pcscd). Honours "
                "PCSCLITE_CSOCK_NAME.\n"
                "Outside 'vtoken run' it waits on the host's pcscd (cards of a vtokend service).\n"
                "\n"
                "  -t, --timeout SECONDS  give up after SECONDS (default 30)\n"
                "  -n, --cards N          at least N cards (N >= 1)\n"
                "  -x, --exactly N        exactly N cards (N >= 0); not with --cards\n"
                "  -h, --help             this text\n");
}

/* keep_going of the wait: pcscd's socket is there. Without it no pcscd runs (or is socket-
 * activated) to be reached, so the wait ends at once, as the help says, rather than at the
 * timeout; why goes to the buffer arg. */
static int pcscd_socket_exists(void *arg)
{
        const char *path = getenv("PCSCLITE_CSOCK_NAME");
        struct stat st;
        if (!path || !*path)
                path = "/run/pcscd/pcscd.comm";
        if (stat(path, &st) == 0)
                return 1;
        snprintf(arg, 512, "cannot reach pcscd: %s: %s (no pcscd runs)", path, strerror(errno));
        return 0;
}

int vt_cmd_wait(int argc, char **argv)
{
        static const struct option opts[] = {
            {"timeout", required_argument, NULL, 't'},
            {"cards", required_argument, NULL, 'n'},
            {"exactly", required_argument, NULL, 'x'},
            {"help", no_argument, NULL, 'h'},
            {0},
        };
        double timeout = 30;
        const char *env = getenv("VTOKEN_CARDS");
        long cards = -1;
        bool exact = false;
        char *end;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "t:n:x:h", opts, NULL)) != -1) {
                switch (c) {
                case 't':
                        timeout = strtod(optarg, &end);
                        if (*end || !(timeout >= 0 && timeout <= 1e9)) {
                                fprintf(stderr,
                                        "vtoken wait: bad --timeout '%s': expected seconds\n",
                                        optarg);
                                return EX_USAGE;
                        }
                        break;
                case 'n':
                case 'x':
                        if (cards >= 0) {
                                fprintf(stderr,
                                        "vtoken wait: --cards and --exactly exclude each other, "
                                        "and each is given once\n");
                                return EX_USAGE;
                        }
                        exact = c == 'x';
                        cards = strtol(optarg, &end, 10);
                        if (*end || cards < (exact ? 0 : 1)) {
                                fprintf(stderr,
                                        "vtoken wait: bad number of cards '%s': expected %s\n",
                                        optarg, exact ? "0 or more" : "1 or more");
                                return EX_USAGE;
                        }
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        fprintf(stderr, "Try 'vtoken wait --help'.\n");
                        return EX_USAGE;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "vtoken wait: unexpected argument '%s'\n", argv[optind]);
                return EX_USAGE;
        }
        if (cards < 0 && env && *env) {
                cards = strtol(env, &end, 10);
                if (*end || cards < 1) {
                        fprintf(stderr, "vtoken wait: bad VTOKEN_CARDS '%s': expected N >= 1\n",
                                env);
                        return EX_USAGE;
                }
        }
        if (cards < 0)
                cards = 1;
        char err[512], why[512] = "";
        /* inside 'vtoken run' pcscd may be restarting: there the wait is for it too */
        bool in_run = env && *env;
        if (vt_wait_cards((size_t)cards, exact, (long)(timeout * 1000),
                          in_run ? NULL : pcscd_socket_exists, in_run ? NULL : why, err,
                          sizeof(err)) < 0) {
                fprintf(stderr, "vtoken wait: %s\n", why[0] ? why : err);
                if (!env || !*env)
                        fprintf(stderr,
                                "vtoken wait: not inside 'vtoken run' (VTOKEN_CARDS is not set), "
                                "so this waited on the host's pcscd; for cards of your own, run "
                                "the command inside 'vtoken run [--card IMAGE] -- COMMAND'\n");
                return 1;
        }
        return 0;
}
