/* SPDX-License-Identifier: Apache-2.0 */
/* vtoken run: a private PC/SC environment (own pcscd with vtoken's driver or vpcd, own
 * vtokend) with the cards present, then COMMAND on the caller's network; everything torn down
 * after.
 *
 *   vtoken (parent, host namespaces)      keeps the temporary directory, forwards signals
 *     └─ init (PID 1 of new mount and PID namespaces, the caller's network)
 *          ├─ pcscd -f -c DIR/reader.conf.d  ┐ in a network namespace of their own: their
 *          ├─ vtokend --config DIR/vtokend.conf ┘ vpcd link is reachable by no one else
 *          └─ COMMAND
 * All share the private mount namespace, whose /run/pcscd holds this pcscd's socket. When init
 * exits the kernel kills whatever is left in the PID namespace: nothing survives.
 *
 * Where the kernel refuses namespaces (--isolation none, run_plain.h) the same tree runs
 * without them: init is a supervisor (a subreaper) whose children die with it, pcscd serves
 * DIR/pcscd.comm (PCSCLITE_CSOCK_NAME), and the link is the driver's, Unix sockets in DIR. */
#include "commands.h"
#include "defaults.h"
#include "fresh.h"
#include "image_store.h"
#include "locate.h"
#include "pcscwait.h"
#include "pkcs11_names.h"
#include "profile.h"
#include "run_plain.h"
#include "text.h"
#include "timing.h"
#include "tokens.h"
#include "tree.h"
#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#define RUN_CARDS_MAX    16 /* pcsc-lite's PCSCLITE_MAX_READERS_CONTEXTS: readers per pcscd */
#define RUN_VPCD_CARDS   2  /* Debian's vpcd offers two slots per pcscd */
#define RUN_FAILED       125
#define RUN_SOCKET_MAX   100 /* vtokend.conf's longest socket path (sun_path with room for .new) */
#define STOP_TIMEOUT_S   5
#define TOKENS_TIMEOUT_S 10

struct run_card {
        const char *image;   /* --card IMAGE as given; NULL for a fresh card */
        const char *profile; /* --fresh's profile; NULL for --card */
        char path[PATH_MAX]; /* the image served: IMAGE made absolute, or the copy in dir */
        char reader[128];    /* its PC/SC reader name */
        struct vt_token token;
};

struct run {
        struct run_card cards[RUN_CARDS_MAX];
        size_t n_cards;
        const char *reader_name;
        const char *transport;      /* "vpcd" or "driver" */
        const char *isolation;      /* "auto", "namespaces" or "none" */
        bool plain;                 /* running without namespaces (run_plain.h) */
        int pcscd_socket;           /* plain: the listening socket pcscd is handed */
        int lock;                   /* plain and namespaces: DIR/.lock, held while running */
        struct vt_pidfile pidfile;  /* plain, as root: pcsc-lite's pid file before the run */
        char driver_path[PATH_MAX]; /* vtoken's reader driver, with --transport driver */
        const char *trace;
        const char *timing; /* --timing: every card's timing table, NULL for the images' own */
        long timeout_ms;
        bool verbose;
        char **command;
        char dir[PATH_MAX];
        /* found before unshare */
        char pcscd_path[PATH_MAX], vtokend_path[PATH_MAX], vpcd_driver[PATH_MAX];
        char pkcs11_module[PATH_MAX]; /* "" when OpenSC's is not installed */
        bool pcscd_no_polkit;         /* this pcscd is told not to ask polkit */
        int private_net;              /* pcscd's and vtokend's network namespace */
        pid_t pcscd, vtokend, child;
        char gone[64]; /* which helper exited while we waited for the cards */
};

static volatile sig_atomic_t forward_to;  /* pid that receives SIGINT/SIGTERM/SIGHUP */
static volatile sig_atomic_t stop_signal; /* one came while there was nobody to forward it to */
/* without namespaces: the supervisor (init's stand-in) whose children die with it, and those
 * children, which it kills when vtoken run dies */
static pid_t plain_supervisor;
static volatile sig_atomic_t plain_pids[3];

/* A signal from the terminal (Ctrl-C, a hangup) reaches the whole foreground process group,
 * COMMAND included: forwarding it would deliver it twice. */
static void forward(int sig, siginfo_t *si, void *uc)
{
        (void)uc;
        if (forward_to <= 0)
                stop_signal = sig;
        else if (si->si_code != SI_KERNEL)
                kill(forward_to, sig);
}

static void usage(FILE *f)
{
        char profiles[128], cache[PATH_MAX];
        vt_profile_names(profiles, sizeof(profiles));
        vt_cache_dir(cache, sizeof(cache));
        fprintf(
            f,
            "Usage: vtoken run [--card IMAGE | --fresh [PROFILE]]... [--reader-name NAME]\n"
            "                  [--transport driver|vpcd] [--isolation auto|namespaces|none]\n"
            "                  [--trace FILE] [--timing NAME] [--timeout SECONDS] [--verbose]\n"
            "                  -- COMMAND [ARGS...]\n"
            "\n"
            "Runs COMMAND, on the caller's network, with a private PC/SC environment: its own\n"
            "pcscd and vtokend, in private mount and PID namespaces where they can be made, the\n"
            "cards inserted and present before COMMAND starts. The host's pcscd is not touched.\n"
            "Exits with COMMAND's status (128+N when a signal N ended it or stopped vtoken run\n"
            "before it started, %d when the environment could not be set up) and leaves nothing\n"
            "running.\n"
            "\n"
            "  --card IMAGE        a card image directory, kept after the run (created from the\n"
            "                      piv profile when missing, in an existing directory)\n"
            "  --fresh [PROFILE]   a throwaway card of PROFILE (%s; default piv): a copy\n"
            "                      of a template made once in the cache directory, with its\n"
            "                      own GUID and serial, removed after the run\n"
            "  --reader-name NAME  the reader's name (default \"Virtual PCD\"); PC/SC shows\n"
            "                      \"NAME 00 00\" (a second card: \"NAME 01 00\" on the driver,\n"
            "                      \"NAME 00 01\" on vpcd)\n"
            "  --transport T       driver (the default: vtoken's own reader driver, one reader\n"
            "                      per card, presence changes seen at once) or vpcd\n"
            "                      (vsmartcard's vpcd: two slots, both always shown; needs\n"
            "                      namespaces)\n"
            "  --isolation I       auto (the default: namespaces, else none where the kernel\n"
            "                      refuses them), namespaces (fail without them) or none\n"
            "                      (pcscd and vtokend as plain processes with a socket of their\n"
            "                      own, PCSCLITE_CSOCK_NAME: the host's processes and /run/pcscd\n"
            "                      stay visible; see 'man vtoken')\n"
            "  --trace FILE        write an APDU trace of every card to FILE\n"
            "  --timing NAME       every card answers in the time of NAME (instant or\n"
            "                      yubikey5: a YubiKey 5 NFC), whatever its image says\n"
            "  --timeout SECONDS   how long to wait for the cards (default 30)\n"
            "  --verbose           show pcscd's and vtokend's logs\n"
            "  -h, --help          this text\n"
            "\n"
            "At most %d cards on vpcd, %d on the driver; without --card and --fresh, one\n"
            "fresh piv card. The cache directory is %s.\n"
            "\n"
            "Inside, for COMMAND:\n"
            "  VTOKEN_CARDS               the number of cards (used by 'vtoken wait')\n"
            "  VTOKEN_CONTROL             vtokend's control socket (used by 'vtoken ctl')\n"
            "  VTOKEN_PKCS11_MODULE       OpenSC's PKCS#11 module, when installed\n"
            "  VTOKEN_CARDn_READER        card n's PC/SC reader name (n = 0, 1, ...)\n"
            "  VTOKEN_CARDn_IMAGE         card n's image directory\n"
            "  VTOKEN_CARDn_TOKEN_URI     its token as the module shows it: a PKCS#11 URI,\n"
            "  VTOKEN_CARDn_TOKEN_LABEL   the token label\n"
            "  VTOKEN_CARDn_TOKEN_SERIAL  and the token serial\n"
            "  VTOKEN_ISOLATION           namespaces or none: how this run is isolated\n"
            "  PCSCLITE_CSOCK_NAME        without namespaces: the run's pcscd socket\n"
            "  VTOKEN_NETNS               with namespaces: pcscd's and vtokend's network\n"
            "                             namespace, for a pcscd or vtokend started beside them\n"
            "                             (with nsenter)\n",
            RUN_FAILED, profiles, RUN_VPCD_CARDS, RUN_CARDS_MAX, cache);
}

static int add_card(struct run *r, const char *image, const char *profile)
{
        if (r->n_cards == RUN_CARDS_MAX) {
                fprintf(stderr, "vtoken run: at most %d cards (pcscd serves at most %d readers)\n",
                        RUN_CARDS_MAX, RUN_CARDS_MAX);
                return EX_USAGE;
        }
        r->cards[r->n_cards].image = image;
        r->cards[r->n_cards++].profile = profile;
        return 0;
}

/* --fresh takes its PROFILE as --fresh=PROFILE or as the next word when that names a
 * profile; a word followed by "--" can only be meant as PROFILE, so an unknown one there is an
 * error (`--fresh e-cert -- CMD`), not COMMAND. Any other word there is COMMAND's. */
static int add_fresh(struct run *r, const char *arg, int argc, char **argv)
{
        if (!arg && optind < argc && vt_profile_known(argv[optind]))
                arg = argv[optind++];
        else if (!arg && optind + 1 < argc && argv[optind][0] != '-' &&
                 strcmp(argv[optind + 1], "--") == 0)
                arg = argv[optind];
        if (arg && !vt_profile_known(arg)) {
                char profiles[128];
                vt_profile_names(profiles, sizeof(profiles));
                fprintf(stderr, "vtoken run: --fresh: unknown profile '%s' (one of: %s)\n", arg,
                        profiles);
                return EX_USAGE;
        }
        return add_card(r, NULL, arg ? arg : VT_DEFAULT_PROFILE);
}

static bool uses_driver(const struct run *r)
{
        return strcmp(r->transport, "driver") == 0;
}

static int parse(struct run *r, int argc, char **argv)
{
        static const struct option opts[] = {
            {"card", required_argument, NULL, 'c'},
            {"fresh", optional_argument, NULL, 'f'},
            {"reader-name", required_argument, NULL, 'n'},
            {"transport", required_argument, NULL, 'x'},
            {"isolation", required_argument, NULL, 'i'},
            {"trace", required_argument, NULL, 't'},
            {"timeout", required_argument, NULL, 'T'},
            {"timing", required_argument, NULL, 'M'},
            {"verbose", no_argument, NULL, 'v'},
            {"help", no_argument, NULL, 'h'},
            {0},
        };
        int c, rc = 0;
        char *end;
        r->timeout_ms = 30000;
        r->reader_name = "Virtual PCD";
        r->transport = "driver";
        r->isolation = "auto";
        optind = 1;
        while (rc == 0 && (c = getopt_long(argc, argv, "+c:n:x:i:t:T:vh", opts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        rc = add_card(r, optarg, NULL);
                        break;
                case 'f':
                        rc = add_fresh(r, optarg, argc, argv);
                        break;
                case 'x':
                        if (strcmp(optarg, "vpcd") != 0 && strcmp(optarg, "driver") != 0) {
                                fprintf(stderr,
                                        "vtoken run: unknown --transport '%s': expected vpcd or "
                                        "driver\n",
                                        optarg);
                                return EX_USAGE;
                        }
                        r->transport = optarg;
                        break;
                case 'i':
                        if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "namespaces") != 0 &&
                            strcmp(optarg, "none") != 0) {
                                fprintf(stderr,
                                        "vtoken run: unknown --isolation '%s': expected auto, "
                                        "namespaces or none\n",
                                        optarg);
                                return EX_USAGE;
                        }
                        r->isolation = optarg;
                        break;
                case 'n':
                        if (!*optarg || strpbrk(optarg, "\"\n")) {
                                fprintf(stderr,
                                        "vtoken run: bad reader name '%s': it may not be empty "
                                        "or contain '\"' or a newline\n",
                                        optarg);
                                return EX_USAGE;
                        }
                        r->reader_name = optarg;
                        break;
                case 't':
                        r->trace = optarg;
                        break;
                case 'M': {
                        struct vt_timing t;
                        if (vt_timing_builtin(optarg, &t) < 0) {
                                char names[128];
                                vt_names_join(names, sizeof(names), vt_timing_at, ", ", " or ");
                                fprintf(stderr, "vtoken run: unknown --timing '%s': expected %s\n",
                                        optarg, names);
                                return EX_USAGE;
                        }
                        r->timing = optarg;
                        break;
                }
                case 'T':
                        r->timeout_ms = (long)(strtod(optarg, &end) * 1000);
                        if (*end || r->timeout_ms <= 0) {
                                fprintf(stderr,
                                        "vtoken run: bad --timeout '%s': expected seconds > 0\n",
                                        optarg);
                                return EX_USAGE;
                        }
                        break;
                case 'v':
                        r->verbose = true;
                        break;
                case 'h':
                        usage(stdout);
                        exit(0);
                default:
                        usage(stderr);
                        return EX_USAGE;
                }
        }
        if (rc)
                return rc;
        if (!uses_driver(r) && r->n_cards > RUN_VPCD_CARDS) {
                fprintf(stderr,
                        "vtoken run: at most %d cards on vpcd (one pcscd with vpcd has two "
                        "slots); the driver (the default transport) takes up to %d\n",
                        RUN_VPCD_CARDS, RUN_CARDS_MAX);
                return EX_USAGE;
        }
        if (strcmp(r->isolation, "none") == 0 && !uses_driver(r)) {
                fprintf(stderr,
                        "vtoken run: --isolation none needs --transport driver (vpcd "
                        "listens on a TCP port of the host's network without a network "
                        "namespace: parallel runs would clash, and anyone could connect)\n");
                return EX_USAGE;
        }
        if (optind >= argc) {
                fprintf(
                    stderr,
                    "vtoken run: no COMMAND given (vtoken run [OPTIONS] -- COMMAND [ARGS...])\n");
                return EX_USAGE;
        }
        r->command = argv + optind;
        if (r->n_cards == 0) /* a CI job's card: the same every run, and nothing kept */
                add_card(r, NULL, VT_DEFAULT_PROFILE);
        return 0;
}

static int write_file(const char *dir, const char *name, const char *text)
{
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "we");
        if (!f)
                return -1;
        fputs(text, f);
        return fclose(f);
}

static int abspath(const char *p, char *out, size_t n)
{
        if (p[0] == '/') {
                snprintf(out, n, "%s", p);
                return 0;
        }
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
                return -1;
        snprintf(out, n, "%s/%s", cwd, p);
        return 0;
}

/* A missing --card image is created, but only in a directory that exists: a typo in its path
 * is refused rather than served as a new card. */
static int check_card_path(const char *image)
{
        char path[PATH_MAX];
        struct stat st;
        if (lstat(image, &st) == 0 || errno != ENOENT || abspath(image, path, sizeof(path)) < 0)
                return 0; /* exists, or vtokend says what is wrong with it */
        size_t len = strlen(path);
        while (len > 1 && path[len - 1] == '/')
                path[--len] = '\0';
        char *slash = strrchr(path, '/');
        if (slash == path)
                return 0;
        *slash = '\0';
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
                /* a typo of an existing image's name would otherwise pass unseen */
                fprintf(stderr,
                        "vtoken run: --card %s: no image there; vtokend creates a new card in it "
                        "from the " VT_DEFAULT_PROFILE " profile (new keys and certificates)\n",
                        image);
                return 0;
        }
        fprintf(stderr,
                "vtoken run: --card %s: the directory %s does not exist. A missing image is "
                "created only in an existing directory (check the path, create the directory, "
                "or use --fresh for a throwaway card)\n",
                image, path);
        return EX_USAGE;
}

/* vtokend.conf is INI read by inih: a value cannot hold a newline, ';' or '#' would start a
 * comment, and a line holds at most 198 characters. */
#define CONF_VALUE_MAX 180
static int conf_value_ok(const char *what, const char *v)
{
        if (strpbrk(v, "\n;#")) {
                fprintf(stderr,
                        "vtoken run: %s '%s' contains a newline, ';' or '#', which vtokend.conf "
                        "cannot hold\n",
                        what, v);
                return 0;
        }
        if (strlen(v) > CONF_VALUE_MAX) {
                fprintf(stderr,
                        "vtoken run: %s '%s' is longer than %d characters, more than vtokend.conf "
                        "holds\n",
                        what, v, CONF_VALUE_MAX);
                return 0;
        }
        return 1;
}

/* Card i's socket with --transport driver: vtokend listens, the driver connects. */
static void driver_socket(const struct run *r, size_t i, char *out, size_t n)
{
        snprintf(out, n, "%s/card%zu.sock", r->dir, i);
}

/* reader.conf.d for vtoken's driver: one reader per card, each on its card's socket. */
static int write_driver_readers(const struct run *r, const char *sub)
{
        char buf[16384], sock[PATH_MAX + 32];
        size_t n = 0;
        for (size_t i = 0; i < r->n_cards; i++) {
                driver_socket(r, i, sock, sizeof(sock));
                n += (size_t)snprintf(buf + n, sizeof(buf) - n,
                                      "FRIENDLYNAME \"%s\"\nDEVICENAME unix:%s\nLIBPATH %s\n"
                                      "CHANNELID %zu\n\n",
                                      r->reader_name, sock, r->driver_path, i);
        }
        return write_file(sub, "vtoken", buf);
}

/* Each card's image (a fresh card's copy made in dir) and reader name. RUN_FAILED or EX_USAGE
 * when one cannot be had (said why), else 0. */
static int prepare_cards(struct run *r)
{
        for (size_t i = 0; i < r->n_cards; i++) {
                struct run_card *c = &r->cards[i];
                /* pcscd numbers the readers of one driver library "NAME NN 00"; vpcd's slots of
                 * one reader are "NAME 00 NN" */
                snprintf(c->reader, sizeof(c->reader),
                         uses_driver(r) ? "%s %02zX 00" : "%s 00 %02zX", r->reader_name, i);
                if (c->image) {
                        if (abspath(c->image, c->path, sizeof(c->path)) < 0) {
                                fprintf(stderr, "vtoken run: %s: %s\n", c->image, strerror(errno));
                                return RUN_FAILED;
                        }
                } else {
                        char err[1024];
                        snprintf(c->path, sizeof(c->path), "%s/card%zu", r->dir, i);
                        if (vt_fresh_card(c->profile, c->path, err, sizeof(err)) < 0) {
                                fprintf(stderr, "vtoken run: --fresh %s: %s\n", c->profile, err);
                                return RUN_FAILED;
                        }
                }
                if (!conf_value_ok("the card image", c->path))
                        return EX_USAGE;
        }
        return 0;
}

/* pcscd's reader configuration: one vpcd reader, whose slots listen on VT_DEFAULT_VPCD_PORT
 * and the next port (in the private network). */
static int write_reader_config(const struct run *r)
{
        char buf[PATH_MAX + 256], sub[PATH_MAX + 64];
        snprintf(sub, sizeof(sub), "%s/reader.conf.d", r->dir);
        if (mkdir(sub, 0700) < 0)
                return -1;
        snprintf(buf, sizeof(buf),
                 "FRIENDLYNAME \"%s\"\nDEVICENAME /dev/null:0x%04X\nLIBPATH %s\nCHANNELID 0x%04X\n",
                 r->reader_name, VT_DEFAULT_VPCD_PORT, r->vpcd_driver, VT_DEFAULT_VPCD_PORT);
        return uses_driver(r) ? write_driver_readers(r, sub) : write_file(sub, "vpcd", buf);
}

static int write_vtokend_config(const struct run *r)
{
        char buf[16384];
        size_t n = 0;
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "[daemon]\ncontrol = %s/control.sock\n",
                              r->dir);
        if (r->trace) {
                if (!conf_value_ok("the trace file", r->trace))
                        return -2;
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "trace = %s\n", r->trace);
        }
        for (size_t i = 0; i < r->n_cards; i++) {
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "[card card%zu]\nimage = %s\n", i,
                                      r->cards[i].path);
                if (r->timing)
                        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "timing = %s\n", r->timing);
                if (uses_driver(r)) {
                        char sock[PATH_MAX + 32];
                        driver_socket(r, i, sock, sizeof(sock));
                        n += (size_t)snprintf(buf + n, sizeof(buf) - n,
                                              "transport = driver\nsocket = %s\n", sock);
                } else {
                        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "vpcd = 127.0.0.1:%d\n",
                                              VT_DEFAULT_VPCD_PORT + (int)i);
                }
        }
        return write_file(r->dir, "vtokend.conf", buf);
}

/* The programs and modules, found before entering the namespaces (see locate.h). 0, or -1
 * (said why). pcsc-lite 2 asks polkit whether a client may connect; in private namespaces
 * there is no system bus to reach polkitd (and a PID from this namespace means nothing to it),
 * so every client would be refused. Such a pcscd offers --disable-polkit; 1.9 has no polkit
 * and no such option. */
static int locate_programs(struct run *r)
{
        vt_find_vtokend(r->vtokend_path, sizeof(r->vtokend_path));
        if (vt_find_program("pcscd", r->pcscd_path, sizeof(r->pcscd_path)) < 0) {
                fprintf(stderr, "vtoken run: pcscd is neither on PATH nor in /usr/sbin or /sbin "
                                "(install it: apt-get install pcscd)\n");
                return -1;
        }
        if (!uses_driver(r) && vt_find_vpcd_driver(r->vpcd_driver, sizeof(r->vpcd_driver)) < 0) {
                fprintf(stderr,
                        "vtoken run: the vpcd reader driver libifdvpcd.so is not installed "
                        "(looked in %s; install it: apt-get install vsmartcard-vpcd)\n",
                        r->vpcd_driver);
                return -1;
        }
        if (uses_driver(r))
                vt_find_vtoken_driver(r->driver_path, sizeof(r->driver_path));
        if (vt_find_pkcs11_module(r->pkcs11_module, sizeof(r->pkcs11_module)) < 0)
                r->pkcs11_module[0] = '\0';
        r->pcscd_no_polkit = vt_program_offers(r->pcscd_path, "--disable-polkit");
        return 0;
}

/* log: a helper, in a process group of its own (the terminal's Ctrl-C is for COMMAND; the
 * helpers are stopped after it), its output to log unless verbose. netns: the network
 * namespace it runs in, -1 for the caller's. listen_fd: a socket it is handed by systemd's
 * socket-activation protocol, or -1. Without namespaces each child dies with the supervisor. */
static pid_t spawn(char *const argv[], const char *log, bool verbose, int netns, int listen_fd)
{
        pid_t pid = fork();
        if (pid != 0)
                return pid;
        if (plain_supervisor)
                vt_plain_die_with_parent(plain_supervisor);
        if (listen_fd >= 0 && vt_plain_pass_socket(listen_fd) < 0) {
                fprintf(stderr, "vtoken run: cannot hand %s its socket: %s\n", argv[0],
                        strerror(errno));
                _exit(127);
        }
        if (log)
                setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        if (netns >= 0 && setns(netns, CLONE_NEWNET) < 0) {
                fprintf(stderr, "vtoken run: cannot enter the private network for %s: %s\n",
                        argv[0], strerror(errno));
                _exit(127);
        }
        if (log && !verbose) {
                int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                if (fd >= 0) {
                        dup2(fd, 1);
                        dup2(fd, 2);
                }
        }
        execvp(argv[0], argv);
        fprintf(stderr, "vtoken run: cannot execute %s: %s\n", argv[0], strerror(errno));
        _exit(127);
}

static int loopback_up(void)
{
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = {0};
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        int r = fd < 0 ? -1 : ioctl(fd, SIOCGIFFLAGS, &ifr);
        if (r == 0) {
                ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
                r = ioctl(fd, SIOCSIFFLAGS, &ifr);
        }
        if (fd >= 0)
                close(fd);
        return r;
}

/* One descriptor (or, when fd < 0, only the errno e) over a socket. */
static void send_fd(int sock, int fd, int e)
{
        char ctl[CMSG_SPACE(sizeof(int))] = {0};
        struct iovec iov = {.iov_base = &e, .iov_len = sizeof(e)};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
        if (fd >= 0) {
                m.msg_control = ctl;
                m.msg_controllen = sizeof(ctl);
                struct cmsghdr *c = CMSG_FIRSTHDR(&m);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        while (sendmsg(sock, &m, 0) < 0 && errno == EINTR)
                ;
}

static int recv_fd(int sock)
{
        int e = EIO;
        char ctl[CMSG_SPACE(sizeof(int))] = {0};
        struct iovec iov = {.iov_base = &e, .iov_len = sizeof(e)};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
        m.msg_control = ctl;
        m.msg_controllen = sizeof(ctl);
        ssize_t got;
        while ((got = recvmsg(sock, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
                ;
        struct cmsghdr *c = got > 0 ? CMSG_FIRSTHDR(&m) : NULL;
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                int fd;
                memcpy(&fd, CMSG_DATA(c), sizeof(int));
                return fd;
        }
        errno = got > 0 ? e : EIO;
        return -1;
}

/* A network namespace for pcscd and vtokend, loopback up: their vpcd link stays private, and
 * parallel runs never meet on its port. A child makes it and hands its descriptor back: init
 * stays on the caller's network, which an unprivileged user could not enter again. The
 * descriptor, or -1 (said why). */
static int private_network_new(void)
{
        int sp[2], fd = -1;
        if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp) < 0)
                goto failed;
        pid_t pid = fork();
        if (pid == 0) {
                close(sp[0]);
                if (unshare(CLONE_NEWNET) < 0 || loopback_up() < 0 ||
                    (fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
                        send_fd(sp[1], -1, errno);
                else
                        send_fd(sp[1], fd, 0);
                _exit(0);
        }
        close(sp[1]);
        fd = pid < 0 ? -1 : recv_fd(sp[0]);
        int e = errno;
        close(sp[0]);
        while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        errno = e;
        if (fd >= 0)
                return fd;
failed:
        fprintf(stderr, "vtoken run: cannot set up the private network of pcscd and vtokend: %s\n",
                strerror(errno));
        return -1;
}

static int setup_mounts(void)
{
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                int e = errno;
                fprintf(stderr, "vtoken run: cannot make mounts private: %s%s\n", strerror(e),
                        e == EINVAL ? " (/ is not a mount point: in a chroot, bind-mount its root "
                                      "onto itself first)"
                                    : "");
                return -1;
        }
        if (mkdir("/run/pcscd", 0755) < 0 && errno != EEXIST) {
                fprintf(stderr, "vtoken run: cannot create /run/pcscd: %s\n", strerror(errno));
                return -1;
        }
        if (mount("tmpfs", "/run/pcscd", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0) {
                fprintf(stderr, "vtoken run: cannot mount a tmpfs on /run/pcscd: %s\n",
                        strerror(errno));
                return -1;
        }
        /* a /proc that shows this PID namespace (best effort: tools only read their own) */
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        return 0;
}

static void show_log(const struct run *r, const char *name)
{
        char path[PATH_MAX + 32], line[1024];
        snprintf(path, sizeof(path), "%s/%s", r->dir, name);
        FILE *f = fopen(path, "re");
        if (!f)
                return;
        fprintf(stderr, "--- %s\n", name);
        while (fgets(line, sizeof(line), f))
                fputs(line, stderr);
        fclose(f);
}

/* Reaps a helper that exited (and forgets it) and says so in r->gone. */
static bool helper_exited(struct run *r, pid_t *pid, const char *name)
{
        int st;
        if (*pid <= 0 || waitpid(*pid, &st, WNOHANG) != *pid)
                return false;
        *pid = 0;
        if (WIFEXITED(st))
                snprintf(r->gone, sizeof(r->gone), "%s exited with status %d", name,
                         WEXITSTATUS(st));
        else
                snprintf(r->gone, sizeof(r->gone), "%s was killed by signal %d", name,
                         WTERMSIG(st));
        return true;
}

static int helpers_alive(void *arg)
{
        struct run *r = arg;
        return !stop_signal && !helper_exited(r, &r->pcscd, "pcscd") &&
               !helper_exited(r, &r->vtokend, "vtokend");
}

/* Without namespaces a client learns that pcscd is gone when its socket closes, a moment
 * before the process can be reaped: the cause is named if a helper is reaped within 0.5 s. */
static void helper_gone_soon(struct run *r)
{
        for (int i = 0; i < 50 && !r->gone[0] && helpers_alive(r); i++)
                poll(NULL, 0, 10);
}

static void stop(pid_t pid)
{
        if (pid <= 0 || kill(pid, SIGTERM) < 0)
                return;
        alarm(STOP_TIMEOUT_S); /* SIGALRM interrupts waitpid; then it is killed */
        if (waitpid(pid, NULL, 0) < 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
        }
        alarm(0);
}

static void on_alarm(int sig)
{
        (void)sig;
}

static int exit_status(int status)
{
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return RUN_FAILED;
}

/* pcscd and vtokend, in the private network. */
static void start_helpers(struct run *r)
{
        char readers[PATH_MAX + 32], conf[PATH_MAX + 32], log[PATH_MAX + 32];
        snprintf(readers, sizeof(readers), "%s/reader.conf.d", r->dir);
        snprintf(conf, sizeof(conf), "%s/vtokend.conf", r->dir);

        char *pcscd_argv[] = {r->pcscd_path, "-f", "-c", readers, NULL, NULL, NULL};
        size_t k = 4;
        if (r->pcscd_no_polkit)
                pcscd_argv[k++] = "--disable-polkit";
        if (r->verbose) /* its debug log too, as vtokend's log is shown */
                pcscd_argv[k] = "-d";
        snprintf(log, sizeof(log), "%s/pcscd.log", r->dir);
        r->pcscd = spawn(pcscd_argv, log, r->verbose, r->private_net, r->pcscd_socket);
        if (r->pcscd_socket >= 0) { /* pcscd's alone: a client of a pcscd gone is refused */
                close(r->pcscd_socket);
                r->pcscd_socket = -1;
        }
        char *vtokend_argv[] = {r->vtokend_path, "--config", conf, NULL};
        snprintf(log, sizeof(log), "%s/vtokend.log", r->dir);
        r->vtokend = spawn(vtokend_argv, log, r->verbose, r->private_net, -1);
        plain_pids[0] = r->pcscd;
        plain_pids[1] = r->vtokend;
}

/* Each card's token as OpenSC's PKCS#11 module shows it (when it is installed). */
/* How OpenSC names card i's token, worked out from its image as OpenSC's PIV emulation does
 * (a PIV card)
 * (pkcs11_names.h; test_pkcs11_json and test_run_env check it against OpenSC itself): no
 * module loaded, no PC/SC session before COMMAND's. false when the image cannot be read. */
static bool token_from_image(struct run_card *c)
{
        char err[PATH_MAX + 128];
        struct vt_image *img = vt_image_load(c->path, err, sizeof(err));
        if (!img)
                return false;
        if (img->n_units != 1 || !vt_piv_of(img)) { /* more: ask OpenSC which it shows */
                vt_image_free(img);
                return false;
        }
        struct vt_p11_token t = {0};
        vt_p11_token(img, &t);
        vt_image_free(img);
        c->token.found = true;
        snprintf(c->token.label, sizeof(c->token.label), "%s", t.label);
        snprintf(c->token.serial, sizeof(c->token.serial), "%s", t.serial);
        vt_p11_uri(&t, NULL, NULL, NULL, c->token.uri, sizeof(c->token.uri));
        return true;
}

/* Each card's token as the PKCS#11 module shows it: from the image where it can be worked
 * out, else by asking the module (in a child process) about the remaining readers. */
static void find_tokens(struct run *r)
{
        const char *readers[RUN_CARDS_MAX];
        size_t idx[RUN_CARDS_MAX], n = 0;
        struct vt_token tokens[RUN_CARDS_MAX];
        char err[PATH_MAX + 128];
        if (!r->pkcs11_module[0])
                return;
        for (size_t i = 0; i < r->n_cards; i++)
                if (!token_from_image(&r->cards[i])) {
                        idx[n] = i;
                        readers[n++] = r->cards[i].reader;
                }
        if (n == 0)
                return;
        if (vt_tokens_query(r->pkcs11_module, readers, n, tokens, TOKENS_TIMEOUT_S, err,
                            sizeof(err)) < 0) {
                fprintf(stderr, "vtoken run: warning: %s; VTOKEN_CARDn_TOKEN_* are not set\n", err);
                return;
        }
        for (size_t k = 0; k < n; k++)
                r->cards[idx[k]].token = tokens[k];
}

static void set_card_var(size_t i, const char *name, const char *value)
{
        char var[64];
        snprintf(var, sizeof(var), "VTOKEN_CARD%zu_%s", i, name);
        if (value && *value)
                setenv(var, value, 1);
        else
                unsetenv(var);
}

/* What COMMAND is told about its environment (see usage); nothing left over from an outer
 * vtoken run. */
static void publish_environment(const struct run *r)
{
        char control[PATH_MAX + 32], ncards[8];
        snprintf(control, sizeof(control), "%s/control.sock", r->dir);
        snprintf(ncards, sizeof(ncards), "%zu", r->n_cards);
        setenv("VTOKEN_CONTROL", control, 1);
        setenv("VTOKEN_CARDS", ncards, 1);
        setenv("VTOKEN_RUN_DIR", r->dir, 1);
        /* as init (PID 1) holds it: for a command that starts a pcscd or vtokend of its own
         * beside the run's (nsenter --net="$VTOKEN_NETNS") */
        char netns[64];
        snprintf(netns, sizeof(netns), "/proc/1/fd/%d", r->private_net);
        if (r->plain)
                unsetenv("VTOKEN_NETNS"); /* PCSCLITE_CSOCK_NAME names the run's pcscd */
        else
                setenv("VTOKEN_NETNS", netns, 1);
        setenv("VTOKEN_ISOLATION", r->plain ? "none" : "namespaces", 1);
        if (r->pkcs11_module[0])
                setenv("VTOKEN_PKCS11_MODULE", r->pkcs11_module, 1);
        else
                unsetenv("VTOKEN_PKCS11_MODULE");
        for (size_t i = 0; i < RUN_CARDS_MAX; i++) {
                const struct run_card *c = i < r->n_cards ? &r->cards[i] : NULL;
                const struct vt_token *t = c && c->token.found ? &c->token : NULL;
                set_card_var(i, "READER", c ? c->reader : NULL);
                set_card_var(i, "IMAGE", c ? c->path : NULL);
                set_card_var(i, "TOKEN_URI", t ? t->uri : NULL);
                set_card_var(i, "TOKEN_LABEL", t ? t->label : NULL);
                set_card_var(i, "TOKEN_SERIAL", t ? t->serial : NULL);
        }
}

/* PID 1 of the private namespaces, or without them the supervisor. */
static int run_inside(struct run *r)
{
        struct sigaction sa = {.sa_handler = on_alarm};
        sigaction(SIGALRM, &sa, NULL);       /* no SA_RESTART: interrupts waitpid */
        if (!r->plain && setup_mounts() < 0) /* said why */
                return RUN_FAILED;
        if (!r->plain && (r->private_net = private_network_new()) < 0) /* said why */
                return RUN_FAILED;
        start_helpers(r);

        char err[512];
        sigset_t forwarded, old;
        sigemptyset(&forwarded);
        sigaddset(&forwarded, SIGINT);
        sigaddset(&forwarded, SIGTERM);
        sigaddset(&forwarded, SIGHUP);
        int waited =
            vt_wait_cards(r->n_cards, false, r->timeout_ms, helpers_alive, r, err, sizeof(err));
        if (waited == 0 && !stop_signal)
                find_tokens(r); /* a signal meanwhile is in stop_signal, and stops the run */
        if (waited < 0 && r->plain)
                helper_gone_soon(r);
        /* from here a signal is either seen in stop_signal or forwarded to COMMAND */
        sigprocmask(SIG_BLOCK, &forwarded, &old);
        if (waited < 0 || stop_signal) {
                int sig = stop_signal;
                if (sig)
                        fprintf(stderr, "vtoken run: %s before COMMAND started; stopping\n",
                                strsignal(sig));
                else
                        fprintf(stderr, "vtoken run: the cards did not become present: %s\n",
                                r->gone[0] ? r->gone : err);
                if (!sig) {
                        show_log(r, "vtokend.log");
                        show_log(r, "pcscd.log");
                }
                stop(r->vtokend);
                stop(r->pcscd);
                return sig ? 128 + sig : RUN_FAILED;
        }

        publish_environment(r);
        pid_t cmd = spawn(r->command, NULL, true, -1, -1);
        forward_to = cmd;
        plain_pids[2] = cmd;
        sigprocmask(SIG_SETMASK, &old, NULL);

        int status = 0;
        for (;;) { /* as PID 1 (or subreaper), reap every orphan until COMMAND is done */
                int st;
                pid_t pid = wait(&st);
                if (pid == cmd) {
                        status = st;
                        break;
                }
                if (pid < 0 && errno == ECHILD)
                        break;
        }
        forward_to = 0;
        stop(r->vtokend);
        stop(r->pcscd);
        return exit_status(status);
}

/* vtoken itself was killed (SIGKILL leaves it no time to stop anything): init kills every
 * other process of its namespace, and removes the directory once they are gone. Without
 * namespaces the supervisor kills its children, then (run_as_init) what they left. */
static volatile sig_atomic_t orphaned;
static void on_orphaned(int sig)
{
        (void)sig;
        orphaned = 1;
        stop_signal = SIGKILL; /* and COMMAND is not started any more */
        if (!plain_supervisor) {
                kill(-1, SIGKILL); /* as PID 1: everything else in the namespace */
                return;
        }
        for (size_t i = 0; i < sizeof(plain_pids) / sizeof(plain_pids[0]); i++)
                if (plain_pids[i] > 0)
                        kill(plain_pids[i], SIGKILL);
}

static int run_as_init(struct run *r, int alive[2])
{
        struct sigaction sa = {.sa_handler = on_orphaned};
        close(alive[1]);
        sigaction(SIGUSR2, &sa, NULL);
        prctl(PR_SET_PDEATHSIG, SIGUSR2);
        /* vtoken may have died before prctl; getppid() cannot tell (its parent is outside the
         * PID namespace, so it reads 0), the pipe can */
        struct pollfd p = {.fd = alive[0], .events = POLLIN};
        if (poll(&p, 1, 0) == 1 && (p.revents & POLLHUP))
                on_orphaned(SIGUSR2);
        if (r->plain) { /* COMMAND's orphans come to this process, which stops them after */
                plain_supervisor = getpid();
                prctl(PR_SET_CHILD_SUBREAPER, 1);
        }
        int rc = orphaned ? RUN_FAILED : run_inside(r);
        if (r->plain) {
                vt_plain_kill_children();
                vt_plain_pidfile_restore(&r->pidfile, plain_pids[0]);
        }
        if (orphaned)
                vt_tree_remove_path(r->dir);
        return rc;
}

static void namespaces_refused(const char *what, int e)
{
        char advice[1024];
        vt_userns_advice("/proc/sys", e, advice, sizeof(advice));
        fprintf(stderr, "vtoken run: cannot create private namespaces (%s: %s): %s\n", what,
                strerror(e), advice);
}

/* Private mount and PID namespaces (and a user namespace when not root, the user mapped to
 * root in it); the network stays the caller's. 0; -1 when the kernel refused them (said why
 * unless quiet; errno says why), -2 when they were made but not set up (said why). */
static int enter_namespaces(bool quiet)
{
        int flags = CLONE_NEWNS | CLONE_NEWPID;
        uid_t uid = getuid();
        gid_t gid = getgid();
        if (geteuid() != 0)
                flags |= CLONE_NEWUSER;
        if (unshare(flags) < 0) {
                int e = errno;
                if (quiet)
                        return -1;
                if (flags & CLONE_NEWUSER)
                        namespaces_refused("unshare", e);
                else
                        fprintf(stderr,
                                "vtoken run: cannot create private namespaces (unshare: %s): a "
                                "container may forbid them (it needs CAP_SYS_ADMIN, or run it "
                                "with --privileged)\n",
                                strerror(e));
                return -1;
        }
        if (flags & CLONE_NEWUSER) {
                char map[64];
                snprintf(map, sizeof(map), "0 %u 1\n", uid);
                if (write_file("/proc/self", "setgroups", "deny") < 0 ||
                    write_file("/proc/self", "uid_map", map) < 0)
                        goto map_failed;
                snprintf(map, sizeof(map), "0 %u 1\n", gid);
                if (write_file("/proc/self", "gid_map", map) < 0)
                        goto map_failed;
        }
        return 0;
map_failed:
        namespaces_refused("mapping the user into its namespace", errno);
        return -2;
}

static void remove_run_dir(const char *dir)
{
        vt_tree_remove_path(dir);
}

/* Everything that needs the host's view, before the namespaces: the temporary directory, the
 * cards, the configuration, the programs. 0, or an exit status (said why). */
static int prepare(struct run *r)
{
        const char *tmp = getenv("TMPDIR");
        tmp = tmp && *tmp ? tmp : "/tmp";
        vt_plain_sweep(tmp, remove_run_dir); /* what runs killed with their supervisor left */
        snprintf(r->dir, sizeof(r->dir), "%s/vtoken-run.XXXXXX", tmp);
        if (!mkdtemp(r->dir)) {
                fprintf(stderr, "vtoken run: cannot create a temporary directory: %s\n",
                        strerror(errno));
                r->dir[0] = '\0';
                return RUN_FAILED;
        }
        if ((r->lock = vt_plain_lock(r->dir)) < 0) {
                fprintf(stderr, "vtoken run: cannot lock %s: %s\n", r->dir, strerror(errno));
                return RUN_FAILED;
        }
        size_t sun_path_max = sizeof(((struct sockaddr_un *)0)->sun_path);
        if (strlen(r->dir) + sizeof("/control.sock") > sun_path_max) {
                fprintf(stderr,
                        "vtoken run: the temporary directory %s is too long for a socket path; set "
                        "a shorter TMPDIR\n",
                        r->dir);
                return RUN_FAILED;
        }
        /* the driver's sockets: DIR/cardN.sock, and DIR/cardN.sock.new while vtokend binds it */
        if (uses_driver(r) && strlen(r->dir) + sizeof("/card15.sock") > RUN_SOCKET_MAX) {
                fprintf(stderr,
                        "vtoken run: the temporary directory %s is too long for the driver's "
                        "sockets; set a shorter TMPDIR\n",
                        r->dir);
                return RUN_FAILED;
        }
        if (locate_programs(r) < 0)
                return RUN_FAILED;
        int rc = prepare_cards(r);
        if (rc)
                return rc;
        int w = write_reader_config(r) < 0 ? -1 : write_vtokend_config(r);
        if (w == -1)
                fprintf(stderr, "vtoken run: cannot write the configuration in %s: %s\n", r->dir,
                        strerror(errno));
        return w == 0 ? 0 : w == -1 ? RUN_FAILED : EX_USAGE;
}

/* Without namespaces: pcscd's own socket (PCSCLITE_CSOCK_NAME for every client, this
 * process's included) and what pcscd needs of the host. 0, or -1 (said why). */
static int prepare_plain(struct run *r)
{
        char sock[PATH_MAX + 32];
        snprintf(sock, sizeof(sock), "%s/pcscd.comm", r->dir);
        if (vt_plain_check_ipc_dir() < 0)
                return -1;
        if ((r->pcscd_socket = vt_plain_listen(sock)) < 0) {
                fprintf(stderr, "vtoken run: cannot listen on %s: %s\n", sock, strerror(errno));
                return -1;
        }
        setenv("PCSCLITE_CSOCK_NAME", sock, 1);
        if (access(VT_PCSCD_IPC_DIR, W_OK) == 0) /* root: its pcscd takes over the pid file */
                vt_plain_pidfile_save(&r->pidfile);
        r->plain = true;
        return 0;
}

/* Namespaces as --isolation says: made, or (auto) refused and the run goes on without them
 * where its transport allows. 0, or -1 (said why). */
static int isolate(struct run *r)
{
        bool none = strcmp(r->isolation, "none") == 0, autom = strcmp(r->isolation, "auto") == 0;
        int e = 0;
        if (!none) {
                int ns = enter_namespaces(autom && uses_driver(r));
                if (ns == 0) {
                        unsetenv("PCSCLITE_CSOCK_NAME"); /* an outer run's: not this pcscd's */
                        return 0;
                }
                if (ns == -2 || !autom || !uses_driver(r)) {
                        if (ns == -1 && autom)
                                fprintf(stderr, "vtoken run: --transport driver runs without "
                                                "namespaces where they are refused\n");
                        return -1;
                }
                e = errno;
        }
        if (e)
                fprintf(stderr,
                        "vtoken run: namespaces refused (%s): pcscd and vtokend run as plain "
                        "processes with a socket of their own (--isolation none; what it shares "
                        "with the host: see 'man vtoken', RUN WITHOUT NAMESPACES)\n",
                        strerror(e));
        return prepare_plain(r);
}

int vt_cmd_run(int argc, char **argv)
{
        struct run r = {.private_net = -1, .pcscd_socket = -1, .lock = -1};
        int rc = parse(&r, argc, argv);
        for (size_t i = 0; rc == 0 && i < r.n_cards; i++)
                if (r.cards[i].image)
                        rc = check_card_path(r.cards[i].image);
        if (rc)
                return rc;
        if ((rc = prepare(&r)) != 0)
                goto out;
        if (isolate(&r) < 0) {
                rc = RUN_FAILED;
                goto out;
        }
        struct sigaction sa = {.sa_sigaction = forward, .sa_flags = SA_SIGINFO};
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        int alive[2]; /* init sees this process die as the pipe's end of file */
        pid_t init = pipe2(alive, O_CLOEXEC) < 0 ? -1 : fork();
        if (init < 0) {
                fprintf(stderr, "vtoken run: fork: %s\n", strerror(errno));
                rc = RUN_FAILED;
                goto out;
        }
        if (init == 0)
                _exit(run_as_init(&r, alive));
        if (r.pcscd_socket >= 0)
                close(r.pcscd_socket);
        forward_to = init;
        if (stop_signal) /* came before init could take it */
                kill(init, stop_signal);
        int status;
        while (waitpid(init, &status, 0) < 0 && errno == EINTR)
                ;
        rc = exit_status(status);
out:
        if (r.dir[0])
                vt_tree_remove_path(r.dir);
        /* After unshare(CLONE_NEWPID) with its init gone, this process cannot create threads or
         * processes any more, and exit handlers that do (LeakSanitizer's) would fail. */
        fflush(NULL);
        _exit(rc);
}
