/* SPDX-License-Identifier: Apache-2.0 */
/* vtoken ctl: one request to a running vtokend over its control socket (see daemon/control.c
 * for the protocol), its answer on stdout. */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
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

static void usage(FILE *f)
{
        fprintf(
            f,
            "Usage: vtoken ctl [--socket PATH] REQUEST\n"
            "\n"
            "Controls a running vtokend through its control socket: PATH, else $VTOKEN_CONTROL\n"
            "(set inside 'vtoken run'), else " DEFAULT_SOCKET ". REQUEST is one of:\n"
            "\n"
            "  status [--json]                 each card: its reader link, power, selected "
            "applet,\n"
            "                                  PIN verified, PIN/PUK tries left, commands served,\n"
            "                                  trace, armed faults, waiting for touch\n"
            "  insert CARD                     put the card back into its reader\n"
            "  remove CARD                     pull the card out (clients see it removed)\n"
            "  reset CARD                      warm reset: selection and security state cleared\n"
            "                                  (PC/SC has no way to tell clients; their next\n"
            "                                  command finds the card reset)\n"
            "  trace CARD on [FILE] [--json]   trace every APDU to FILE (appended; JSON lines "
            "with\n"
            "                                  --json or a FILE named *.json/*.jsonl), or to the\n"
            "                                  daemon's log; PINs, PUKs, management-key exchanges\n"
            "                                  and imported keys are always redacted\n"
            "  trace CARD off\n"
            "  fault CARD KIND [--count N] [--ins XX]\n"
            "                                  the next N commands (default 1; only INS XX with "
            "--ins):\n"
            "                                    sw XXXX      answered with status word XXXX\n"
            "                                    delay TIME   answered TIME later (500ms, 2s)\n"
            "                                    drop         the reader link closes "
            "mid-command;\n"
            "                                                 the card reconnects by itself\n"
            "                                    write-fail   the card image cannot be written: "
            "the\n"
            "                                                 card answers 65 81, nothing changes\n"
            "  fault CARD clear                disarm the card's faults\n"
            "  touch CARD [--wait SECONDS]     touch the key: a signature waiting for a touch "
            "goes\n"
            "                                  on (without one it fails with 69 82 after the "
            "card's\n"
            "                                  touch-timeout); --wait waits for such a command "
            "first\n"
            "\n"
            "CARD is a card's name ([card NAME] in vtokend.conf; card0, card1 in 'vtoken run').\n"
            "\n"
            "Protocol (for other clients): connect to the unix socket, send one line of at most\n"
            "1024 bytes (these words separated by spaces, then \\n), read until the daemon "
            "closes:\n"
            "\"ok\\n\" and the answer, or \"error: REASON\\n\".\n"
            "\n"
            "Exit status: 0 done, 1 refused by the daemon, %d cannot reach the daemon, %d usage.\n",
            EX_UNAVAILABLE, EX_USAGE);
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
                fprintf(stderr, "vtoken ctl: cannot connect to %s: %s\n", path, strerror(errno));
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
                return 1;
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
                        usage(stderr);
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
        if (argc == 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "help") == 0)) {
                usage(stdout);
                return 0;
        }
        signal(SIGPIPE, SIG_IGN);
        if (strcmp(argv[0], "touch") == 0 && argc == 4 && strcmp(argv[2], "--wait") == 0) {
                char *end;
                double s = strtod(argv[3], &end);
                if (*end || !(s >= 0 && s <= 1e9)) {
                        fprintf(stderr, "vtoken ctl: bad --wait '%s': expected seconds\n", argv[3]);
                        return EX_USAGE;
                }
                return touch_wait(path, argv, s);
        }
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
