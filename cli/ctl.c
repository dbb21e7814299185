/* SPDX-License-Identifier: Apache-2.0 */
/* vtoken ctl: one request to a running vtokend over its control socket (see daemon/control.c
 * for the protocol), its answer on stdout. */
#include "commands.h"
#include "fault_spec.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/vtoken/control.sock"
#define REPLY_MAX      ((size_t)1024 * 1024)
#define LINE_MAX_SEND  ((size_t)64 * 1024)

/* The requests: what follows the verb, what it does, and how its words are checked before
 * anything is sent (a usage error never reaches the daemon). */
struct verb {
        const char *name, *args, *help;
        const char *options; /* " --json -j ": the options it takes, each between spaces */
        int (*check)(int argc, char **argv); /* argv[0] is the verb; 0, or -1 after a message */
};

static int check_status(int argc, char **argv);
static int check_card(int argc, char **argv);
static int check_trace(int argc, char **argv);
static int check_fault(int argc, char **argv);
static int check_touch(int argc, char **argv);

static const struct verb verbs[] = {
    {"status", "[-j|--json]",
     "each card: its reader link, power, selected applet, PIN verified, PIN/PUK\n"
     "tries left, commands served, trace, armed faults, waiting for touch; --json:\n"
     "one JSON object {\"cards\": [...]}",
     " --json -j ", check_status},
    {"insert", "CARD", "put the card back into its reader", " ", check_card},
    {"remove", "CARD",
     "pull the card out: its next command fails; PC/SC reports it removed at\n"
     "once on the driver, within 400 ms on vpcd (pcscd polls it)",
     " ", check_card},
    {"reset", "CARD",
     "warm reset: selection and security state cleared (PC/SC has no way to\n"
     "tell clients; their next command finds the card reset)",
     " ", check_card},
    {"trace", "CARD on [FILE] [-j|--json] | CARD off",
     "trace every APDU to FILE (appended; JSON lines with --json or a FILE named\n"
     "*.json/*.jsonl), or to the daemon's log; PINs, PUKs, management-key\n"
     "exchanges and imported keys are always redacted. off stops it",
     " --json -j ", check_trace},
    {"fault",
     "CARD KIND [--count N | --sticky] [--ins XX] [--p1 XX] [--p2 XX]\n"
     "             | CARD clear",
     "the next N commands (default 1), or with --sticky every one until\n"
     "'fault CARD clear', get KIND; with --ins, --p1, --p2 only commands with\n"
     "that header byte (hex), e.g. --ins 87 --p2 9c: GENERAL AUTHENTICATE with\n"
     "key 9c. KIND is one of (clear disarms every fault of the card):",
     FAULT_OPTIONS, check_fault},
    {"touch", "CARD [--wait SECONDS]",
     "touch the key: a command waiting for a touch goes on (without one it\n"
     "fails after the card's touch-timeout with its applet's own answer, e.g.\n"
     "69 82 for a PIV signature); --wait waits up to SECONDS for such a\n"
     "command first",
     " --wait ", check_touch},
};

static const struct verb *verb_find(const char *name)
{
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
                if (strcmp(verbs[i].name, name) == 0)
                        return &verbs[i];
        return NULL;
}

/* text with every line after the first indented by `indent` spaces */
static void indented(FILE *f, const char *text, int indent)
{
        for (const char *p = text; *p; p++) {
                fputc(*p, f);
                if (*p == '\n')
                        fprintf(f, "%*s", indent, "");
        }
        fputc('\n', f);
}

static void verb_usage(FILE *f, const struct verb *v)
{
        fprintf(f, "Usage: vtoken ctl [-s|--socket PATH] %s %s\n\n", v->name, v->args);
        indented(f, v->help, 0);
        if (v->check == check_fault)
                fault_kinds_help(f, 2);
        fprintf(f,
                "\nCARD is a card's name ([card NAME] in vtokend.conf; card0, card1 in "
                "'vtoken run').\n"
                "Exit status: 0 done, 1 refused by the daemon, %d cannot reach the daemon, "
                "%d usage.\n",
                EX_UNAVAILABLE, EX_USAGE);
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: vtoken ctl [-s|--socket PATH] VERB [ARGS...]\n"
                   "       vtoken ctl VERB --help\n"
                   "\n"
                   "Controls a running vtokend through its control socket: PATH, else "
                   "$VTOKEN_CONTROL\n"
                   "(set inside 'vtoken run'), else " DEFAULT_SOCKET ". VERB is one of:\n\n");
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
                fprintf(f, "  %s %s\n      ", verbs[i].name, verbs[i].args);
                indented(f, verbs[i].help, 6);
                if (verbs[i].check == check_fault)
                        fault_kinds_help(f, 8);
        }
        fprintf(f,
                "\n"
                "CARD is a card's name ([card NAME] in vtokend.conf; card0, card1 in 'vtoken "
                "run').\n"
                "\n"
                "Protocol (for other clients): connect to the unix socket, send one line of at "
                "most\n"
                "1024 bytes (these words separated by spaces, then \\n), read until the daemon "
                "closes:\n"
                "\"ok\\n\" and the answer, or \"error: REASON\\n\".\n"
                "\n"
                "Exit status: 0 done, 1 refused by the daemon, %d cannot reach the daemon, %d "
                "usage.\n",
                EX_UNAVAILABLE, EX_USAGE);
}

/* ---- the words of each verb, checked before sending -------------------------------- */

static int bad(char **argv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(char **argv, const char *fmt, ...)
{
        va_list ap;
        const struct verb *v = verb_find(argv[0]);

        fprintf(stderr, "vtoken ctl %s: ", argv[0]);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nUsage: vtoken ctl %s %s (see vtoken ctl %s --help)\n", argv[0], v->args,
                argv[0]);
        return -1;
}

/* "-j" is "--json" on the wire */
static bool is_json(char **w)
{
        if (strcmp(*w, "-j") == 0)
                *w = "--json";
        return strcmp(*w, "--json") == 0;
}

static int card_word(char **argv, int argc)
{
        if (argc < 2)
                return bad(argv, "CARD is missing");
        if (argv[1][0] == '-')
                return bad(argv, "unknown option '%s' where CARD belongs", argv[1]);
        return 0;
}

static int check_status(int argc, char **argv)
{
        for (int i = 1; i < argc; i++)
                if (i > 1 || !is_json(&argv[i]))
                        return bad(argv, "%s '%s'",
                                   argv[i][0] == '-' ? "unknown option" : "unexpected", argv[i]);
        return 0;
}

static int check_card(int argc, char **argv)
{
        if (card_word(argv, argc) < 0)
                return -1;
        if (argc == 2)
                return 0;
        return bad(argv, "%s '%s'", argv[2][0] == '-' ? "unknown option" : "unexpected", argv[2]);
}

static int check_trace(int argc, char **argv)
{
        if (card_word(argv, argc) < 0)
                return -1;
        if (argc < 3 || (strcmp(argv[2], "on") != 0 && strcmp(argv[2], "off") != 0))
                return bad(argv, "expected on or off after CARD");
        if (strcmp(argv[2], "off") == 0)
                return argc == 3 ? 0 : bad(argv, "unexpected '%s' after off", argv[3]);
        for (int i = 3; i < argc; i++) {
                if (is_json(&argv[i]))
                        continue;
                if (argv[i][0] == '-')
                        return bad(argv, "unknown option '%s'", argv[i]);
                if (i != 3)
                        return bad(argv, "unexpected '%s': one FILE, right after on", argv[i]);
        }
        return 0;
}

/* The fault grammar is protocol/'s, the one the daemon reads: a request it would refuse is
 * refused here, with the same words, as a usage error. */
static int check_fault(int argc, char **argv)
{
        struct fault f;
        char err[256];

        if (card_word(argv, argc) < 0)
                return -1;
        if (argc >= 3 && strcmp(argv[2], FAULT_CLEAR) == 0)
                return argc == 3 ? 0 : bad(argv, "unexpected '%s' after clear", argv[3]);
        if (fault_parse(argv + 2, (size_t)argc - 2, &f, err, sizeof(err)) < 0)
                return bad(argv, "%s", err);
        return 0;
}

static int check_touch(int argc, char **argv)
{
        char *end;

        if (card_word(argv, argc) < 0)
                return -1;
        if (argc == 2)
                return 0;
        if (strcmp(argv[2], "--wait") != 0)
                return bad(argv, "unknown option '%s'", argv[2]);
        if (argc != 4)
                return bad(argv, "--wait needs SECONDS");
        double s = strtod(argv[3], &end);
        if (*end || end == argv[3] || !(s >= 0 && s <= 1e9))
                return bad(argv, "bad --wait '%s': expected seconds", argv[3]);
        return 0;
}

/* Sends line and reads the whole reply into a malloc'd string; -1 with a message when the
 * daemon cannot be reached. */
static char *request(const char *path, const char *line)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path)) {
                fprintf(stderr, "vtoken ctl: socket path too long: %s\n", path);
                return NULL;
        }
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int e = errno;
                fprintf(stderr, "vtoken ctl: cannot connect to %s: %s\n", path, strerror(e));
                if (e == ENOENT && strcmp(path, DEFAULT_SOCKET) == 0)
                        fprintf(stderr,
                                "vtoken ctl: not inside 'vtoken run' ($VTOKEN_CONTROL is not set) "
                                "and no vtokend service has a control socket here; run it inside "
                                "'vtoken run -- COMMAND', or name a daemon's socket ([daemon] "
                                "control = in its vtokend.conf) with --socket PATH\n");
                if (fd >= 0)
                        close(fd);
                return NULL;
        }
        /* the daemon may answer and close before taking all of an oversized line: keep going */
        for (size_t off = 0, len = strlen(line); off < len;) {
                ssize_t n = write(fd, line + off, len - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                off += (size_t)n;
        }
        shutdown(fd, SHUT_WR);
        char *buf = malloc(REPLY_MAX + 1);
        size_t have = 0;
        while (buf && have < REPLY_MAX) {
                ssize_t n = read(fd, buf + have, REPLY_MAX - have);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                have += (size_t)n;
        }
        close(fd);
        if (!buf)
                return NULL;
        buf[have] = '\0';
        if (have == 0) {
                fprintf(stderr, "vtoken ctl: %s closed the connection without a reply\n", path);
                free(buf);
                return NULL;
        }
        return buf;
}

/* Joins the words into a request line; a relative trace FILE becomes absolute, since the
 * daemon has its own working directory. */
static int build_line(int argc, char **argv, char *line, size_t n)
{
        size_t used = 0;
        for (int i = 0; i < argc; i++) {
                char abs[PATH_MAX + 2];
                const char *w = argv[i];
                if (!*w || strpbrk(w, " \t\n\r")) {
                        fprintf(
                            stderr,
                            "vtoken ctl: '%s': words with spaces or empty words cannot be sent\n",
                            w);
                        return -1;
                }
                if (i == 3 && strcmp(argv[0], "trace") == 0 && strcmp(argv[2], "on") == 0 &&
                    w[0] != '/' && w[0] != '-') {
                        char cwd[PATH_MAX];
                        if (!getcwd(cwd, sizeof(cwd)))
                                return -1;
                        snprintf(abs, sizeof(abs), "%.*s/%s", (int)(sizeof(abs) - 2 - strlen(w)),
                                 cwd, w);
                        w = abs;
                }
                int k = snprintf(line + used, n - used, "%s%s", i ? " " : "", w);
                if (k < 0 || (size_t)k >= n - used) {
                        fprintf(stderr, "vtoken ctl: request too long\n");
                        return -1;
                }
                used += (size_t)k;
        }
        if (used + 2 > n)
                return -1;
        memcpy(line + used, "\n", 2);
        return 0;
}

/* Prints the reply; its exit status. */
static int show(const char *reply)
{
        if (strncmp(reply, "ok\n", 3) == 0) {
                fputs(reply + 3, stdout);
                return 0;
        }
        if (strncmp(reply, "error: ", 7) == 0) {
                fprintf(stderr, "vtoken ctl: %s", reply + 7);
                return strncmp(reply + 7, "usage: ", 7) == 0 ? EX_USAGE : 1;
        }
        fprintf(stderr, "vtoken ctl: unexpected reply: %.200s\n", reply);
        return 1;
}

/* touch CARD --wait SECONDS: repeats the touch until a command waits for it. */
static int touch_wait(const char *path, char **argv, double seconds)
{
        char line[512];
        if (build_line(2, argv, line, sizeof(line)) < 0)
                return EX_USAGE;
        struct timespec start, now, pause = {0, 20L * 1000000};
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                char *reply = request(path, line);
                if (!reply)
                        return EX_UNAVAILABLE;
                bool waiting = strstr(reply, "no command is waiting for a touch") != NULL;
                clock_gettime(CLOCK_MONOTONIC, &now);
                double elapsed = (double)(now.tv_sec - start.tv_sec) +
                                 (double)(now.tv_nsec - start.tv_nsec) / 1e9;
                if (!waiting || elapsed >= seconds) {
                        int rc = show(reply);
                        free(reply);
                        return rc;
                }
                free(reply);
                nanosleep(&pause, NULL);
        }
}

int vt_cmd_ctl(int argc, char **argv)
{
        static const struct option opts[] = {
            {"socket", required_argument, NULL, 's'},
            {"help", no_argument, NULL, 'h'},
            {0},
        };
        const char *path = getenv("VTOKEN_CONTROL");
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
                switch (c) {
                case 's':
                        path = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        fprintf(stderr, "Try 'vtoken ctl --help'.\n");
                        return EX_USAGE;
                }
        }
        if (!path || !*path)
                path = DEFAULT_SOCKET;
        argc -= optind;
        argv += optind;
        if (argc == 0) {
                usage(stderr);
                return EX_USAGE;
        }
        if (strcmp(argv[0], "help") == 0 && argc <= 2) {
                const struct verb *v = argc == 2 ? verb_find(argv[1]) : NULL;
                if (argc == 2 && !v) {
                        fprintf(stderr, "vtoken ctl: unknown verb '%s'\n", argv[1]);
                        return EX_USAGE;
                }
                if (v)
                        verb_usage(stdout, v);
                else
                        usage(stdout);
                return 0;
        }
        const struct verb *v = verb_find(argv[0]);
        if (!v) {
                fprintf(stderr,
                        "vtoken ctl: unknown verb '%s': expected status, insert, remove, reset, "
                        "trace, fault or touch (see vtoken ctl --help)\n",
                        argv[0]);
                return EX_USAGE;
        }
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                        verb_usage(stdout, v);
                        return 0;
                }
        }
        for (int i = 1; i < argc; i++) {
                char word[64];
                snprintf(word, sizeof(word), " %s ", argv[i]);
                if (argv[i][0] == '-' && !strstr(v->options, word)) {
                        bad(argv, "unknown option '%s'", argv[i]);
                        return EX_USAGE;
                }
        }
        if (v->check(argc, argv) < 0)
                return EX_USAGE;
        signal(SIGPIPE, SIG_IGN);
        if (strcmp(argv[0], "touch") == 0 && argc == 4)
                return touch_wait(path, argv, strtod(argv[3], NULL));
        char *line = malloc(LINE_MAX_SEND);
        if (!line || build_line(argc, argv, line, LINE_MAX_SEND) < 0) {
                free(line);
                return EX_USAGE;
        }
        char *reply = request(path, line);
        free(line);
        if (!reply)
                return EX_UNAVAILABLE;
        int rc = show(reply);
        free(reply);
        return rc;
}
