/* SPDX-License-Identifier: Apache-2.0 */
/* vtoken run: a private PC/SC environment (own pcscd with vpcd, own vtokend) in private mount,
 * network and PID namespaces, the cards present, then COMMAND; everything torn down after.
 *
 *   vtoken (parent, host namespaces)      keeps the temporary directory, forwards signals
 *     └─ init (PID 1 of the new namespaces)  mounts, loopback, starts and stops the rest
 *          ├─ pcscd -f -c DIR/reader.conf.d
 *          ├─ vtokend --config DIR/vtokend.conf
 *          └─ COMMAND
 * When init exits the kernel kills whatever is left in the PID namespace: nothing survives. */
#include "commands.h"
#include "defaults.h"
#include "pcscwait.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

#define RUN_CARDS_MAX  16 /* pcsc-lite's PCSCLITE_MAX_READERS_CONTEXTS: readers per pcscd */
#define RUN_VPCD_CARDS 2  /* Debian's vpcd offers two slots per pcscd */
#define RUN_FAILED     125
#define RUN_SOCKET_MAX 100 /* vtokend.conf's longest socket path (sun_path with room for .new) */
#define STOP_TIMEOUT_S 5

struct run {
        const char *cards[RUN_CARDS_MAX];
        size_t n_cards;
        const char *reader_name;
        const char *transport;      /* "vpcd" or "driver" */
        char driver_path[PATH_MAX]; /* vtoken's reader driver, with --transport driver */
        const char *trace;
        long timeout_ms;
        bool verbose;
        char **command;
        char dir[PATH_MAX];
        char pcscd_path[PATH_MAX], vtokend_path[PATH_MAX]; /* found before unshare */
        bool pcscd_no_polkit; /* this pcscd is told not to ask polkit */
        pid_t pcscd, vtokend, child;
        char gone[64]; /* which helper exited while we waited for the cards */
};

static volatile sig_atomic_t forward_to;  /* pid that receives SIGINT/SIGTERM/SIGHUP */
static volatile sig_atomic_t stop_signal; /* one came while there was nobody to forward it to */

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
        fprintf(
            f,
            "Usage: vtoken run [--card IMAGE]... [--reader-name NAME] [--transport vpcd|driver]\n"
            "                  [--trace FILE] [--timeout SECONDS] [--verbose] -- COMMAND "
            "[ARGS...]\n"
            "\n"
            "Runs COMMAND in a private PC/SC environment: private mount, network and PID\n"
            "namespaces with their own pcscd (vpcd driver) and vtokend, the cards inserted and\n"
            "present before COMMAND starts. The host's pcscd is not touched. Exits with COMMAND's\n"
            "status (128+N when a signal N ended it or stopped vtoken run before it started, %d\n"
            "when the environment could not be set up) and leaves nothing running.\n"
            "\n"
            "  --card IMAGE        a card image directory (at most %d with vpcd, %d with the\n"
            "                      driver; created from the piv profile when missing).\n"
            "                      Without --card: the default card.\n"
            "  --reader-name NAME  the reader's name (default \"Virtual PCD\"); PC/SC shows\n"
            "                      \"NAME 00 00\" (a second card: \"NAME 00 01\" on vpcd, \"NAME "
            "01 00\"\n"
            "                      on the driver)\n"
            "  --transport T       vpcd (the default: vsmartcard's vpcd, two slots, both always\n"
            "                      shown) or driver (vtoken's own reader driver: one reader per\n"
            "                      card, presence changes seen at once)\n"
            "  --trace FILE        write an APDU trace of every card to FILE\n"
            "  --timeout SECONDS   how long to wait for the cards (default 30)\n"
            "  --verbose           show pcscd's and vtokend's logs\n"
            "\n"
            "Inside, VTOKEN_CONTROL names vtokend's control socket (used by 'vtoken ctl') and\n"
            "VTOKEN_CARDS the number of cards (used by 'vtoken wait').\n",
            RUN_FAILED, RUN_VPCD_CARDS, RUN_CARDS_MAX);
}

static bool uses_driver(const struct run *r)
{
        return strcmp(r->transport, "driver") == 0;
}

static int parse(struct run *r, int argc, char **argv)
{
        static const struct option opts[] = {
            {"card", required_argument, NULL, 'c'},
            {"reader-name", required_argument, NULL, 'n'},
            {"transport", required_argument, NULL, 'x'},
            {"trace", required_argument, NULL, 't'},
            {"timeout", required_argument, NULL, 'T'},
            {"verbose", no_argument, NULL, 'v'},
            {"help", no_argument, NULL, 'h'},
            {0},
        };
        int c;
        char *end;
        r->timeout_ms = 30000;
        r->reader_name = "Virtual PCD";
        r->transport = "vpcd";
        optind = 1;
        while ((c = getopt_long(argc, argv, "+c:n:x:t:T:vh", opts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        if (r->n_cards == RUN_CARDS_MAX) {
                                fprintf(stderr,
                                        "vtoken run: at most %d cards (pcscd serves at most %d "
                                        "readers)\n",
                                        RUN_CARDS_MAX, RUN_CARDS_MAX);
                                return EX_USAGE;
                        }
                        r->cards[r->n_cards++] = optarg;
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
        if (!uses_driver(r) && r->n_cards > RUN_VPCD_CARDS) {
                fprintf(stderr,
                        "vtoken run: at most %d cards with vpcd (one pcscd with vpcd has two "
                        "slots); --transport driver takes up to %d\n",
                        RUN_VPCD_CARDS, RUN_CARDS_MAX);
                return EX_USAGE;
        }
        if (optind >= argc) {
                fprintf(
                    stderr,
                    "vtoken run: no COMMAND given (vtoken run [OPTIONS] -- COMMAND [ARGS...])\n");
                return EX_USAGE;
        }
        r->command = argv + optind;
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

static int write_config(struct run *r)
{
        char buf[16384], sub[PATH_MAX + 64];
        size_t n = 0;
        snprintf(sub, sizeof(sub), "%s/reader.conf.d", r->dir);
        if (mkdir(sub, 0700) < 0)
                return -1;
        if (r->n_cards == 0) {
                char def[PATH_MAX];
                vt_default_image(def, sizeof(def));
                r->cards[r->n_cards++] = strdup(def);
        }
        snprintf(buf, sizeof(buf),
                 "FRIENDLYNAME \"%s\"\nDEVICENAME /dev/null:0x%04X\n"
                 "LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID 0x%04X\n",
                 r->reader_name, VT_DEFAULT_VPCD_PORT, VT_DEFAULT_VPCD_PORT);
        if (uses_driver(r) ? write_driver_readers(r, sub) < 0 : write_file(sub, "vpcd", buf) < 0)
                return -1;

        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "[daemon]\ncontrol = %s/control.sock\n",
                              r->dir);
        if (r->trace) {
                if (!conf_value_ok("the trace file", r->trace))
                        return -2;
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "trace = %s\n", r->trace);
        }
        for (size_t i = 0; i < r->n_cards; i++) {
                char img[PATH_MAX], sock[PATH_MAX + 32];
                if (abspath(r->cards[i], img, sizeof(img)) < 0)
                        return -1;
                if (!conf_value_ok("the card image", img))
                        return -2;
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "[card card%zu]\nimage = %s\n", i,
                                      img);
                driver_socket(r, i, sock, sizeof(sock));
                if (uses_driver(r))
                        n += (size_t)snprintf(buf + n, sizeof(buf) - n,
                                              "transport = driver\nsocket = %s\n", sock);
                else
                        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "vpcd = 127.0.0.1:%d\n",
                                              VT_DEFAULT_VPCD_PORT + (int)i);
        }
        return write_file(r->dir, "vtokend.conf", buf);
}

/* PROG's path in $PATH, else PROG itself (which then fails to execute, and says so). */
static void find_in_path(const char *prog, char *out, size_t n)
{
        const char *path = getenv("PATH");
        char list[4096];
        snprintf(list, sizeof(list), "%s", path && *path ? path : "/usr/bin:/bin");
        char *save = NULL;
        for (char *d = strtok_r(list, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                snprintf(out, n, "%s/%s", *d ? d : ".", prog);
                if (access(out, X_OK) == 0)
                        return;
        }
        snprintf(out, n, "%s", prog);
}

/* A file vtoken run starts or loads: $ENV_VAR when set, else the first of rel[] (paths relative
 * to this vtoken's directory: the build tree's copy, then one prefix's) that has mode; false
 * when none has. Found before entering the namespaces: /proc/self/exe names this program as
 * the root of the process sees it, and that is only sure to be the file system's root before
 * then. */
static bool find_beside(const char *env_var, const char *const rel[2], int mode, char *out,
                        size_t n)
{
        const char *env = getenv(env_var);
        if (env && *env) {
                if (abspath(env, out, n) < 0)
                        snprintf(out, n, "%s", env);
                return true;
        }
        char self[PATH_MAX];
        ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (len <= 0)
                return false;
        self[len] = '\0';
        *strrchr(self, '/') = '\0';
        for (size_t i = 0; i < 2; i++) {
                snprintf(out, n, "%s/%s", self, rel[i]);
                if (access(out, mode) == 0)
                        return true;
        }
        return false;
}

/* vtokend: $VTOKEND, else beside this vtoken (build tree, or bin/ and sbin/ of one prefix),
 * else $PATH. */
static void find_vtokend(char *out, size_t n)
{
        static const char *const rel[2] = {"vtokend", "../sbin/vtokend"};
        if (!find_beside("VTOKEND", rel, X_OK, out, n))
                find_in_path("vtokend", out, n);
}

/* vtoken's reader driver: $VTOKEN_DRIVER, else the build tree's copy beside this vtoken, else
 * the installed one (pcscd's serial driver directory under this vtoken's prefix, then
 * Debian's). */
static void find_driver(char *out, size_t n)
{
        static const char *const rel[2] = {"libifdvtoken.so",
                                           "../lib/pcsc/drivers/serial/libifdvtoken.so"};
        if (!find_beside("VTOKEN_DRIVER", rel, R_OK, out, n))
                snprintf(out, n, "/usr/lib/pcsc/drivers/serial/libifdvtoken.so");
}

/* Whether `PROG --help` mentions OPTION: what this build of the program offers. */
static bool offers_option(const char *prog, const char *option)
{
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return false;
        pid_t pid = fork();
        if (pid == 0) {
                dup2(fds[1], STDOUT_FILENO);
                dup2(fds[1], STDERR_FILENO);
                execl(prog, prog, "--help", (char *)NULL);
                _exit(127);
        }
        close(fds[1]);
        char text[16384];
        size_t len = 0;
        while (pid > 0 && len < sizeof(text) - 1) {
                ssize_t got = read(fds[0], text + len, sizeof(text) - 1 - len);
                if (got > 0)
                        len += (size_t)got;
                else if (got == 0 || errno != EINTR)
                        break;
        }
        text[len] = '\0';
        close(fds[0]);
        if (pid > 0)
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        return strstr(text, option) != NULL;
}

/* pcsc-lite 2 asks polkit whether a client may connect; in private namespaces there is no
 * system bus to reach polkitd (and a PID from this namespace means nothing to it), so every
 * client would be refused. Such a pcscd offers --disable-polkit; 1.9 has no polkit and no
 * such option. */
static void find_pcscd(struct run *r)
{
        find_in_path("pcscd", r->pcscd_path, sizeof(r->pcscd_path));
        r->pcscd_no_polkit = offers_option(r->pcscd_path, "--disable-polkit");
}

/* log: a helper, in a process group of its own (the terminal's Ctrl-C is for COMMAND; the
 * helpers are stopped after it), its output to log unless verbose. */
static pid_t spawn(char *const argv[], const char *log, bool verbose)
{
        pid_t pid = fork();
        if (pid != 0)
                return pid;
        if (log)
                setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
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

/* PID 1 of the private namespaces. */
static int run_inside(struct run *r)
{
        struct sigaction sa = {.sa_handler = on_alarm};
        sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART: interrupts waitpid */
        if (setup_mounts() < 0)        /* said why */
                return RUN_FAILED;
        if (loopback_up() < 0) {
                fprintf(stderr, "vtoken run: cannot set up the private network: %s\n",
                        strerror(errno));
                return RUN_FAILED;
        }
        char readers[PATH_MAX + 32], conf[PATH_MAX + 32], log[PATH_MAX + 32];
        snprintf(readers, sizeof(readers), "%s/reader.conf.d", r->dir);
        snprintf(conf, sizeof(conf), "%s/vtokend.conf", r->dir);

        char *pcscd_argv[] = {r->pcscd_path, "-f", "-c", readers, NULL, NULL};
        if (r->pcscd_no_polkit)
                pcscd_argv[4] = "--disable-polkit";
        snprintf(log, sizeof(log), "%s/pcscd.log", r->dir);
        r->pcscd = spawn(pcscd_argv, log, r->verbose);
        char *vtokend_argv[] = {r->vtokend_path, "--config", conf, NULL};
        snprintf(log, sizeof(log), "%s/vtokend.log", r->dir);
        r->vtokend = spawn(vtokend_argv, log, r->verbose);

        char err[512];
        sigset_t forwarded, old;
        sigemptyset(&forwarded);
        sigaddset(&forwarded, SIGINT);
        sigaddset(&forwarded, SIGTERM);
        sigaddset(&forwarded, SIGHUP);
        int waited =
            vt_wait_cards(r->n_cards, false, r->timeout_ms, helpers_alive, r, err, sizeof(err));
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

        char control[PATH_MAX + 32], ncards[8];
        snprintf(control, sizeof(control), "%s/control.sock", r->dir);
        snprintf(ncards, sizeof(ncards), "%zu", r->n_cards);
        setenv("VTOKEN_CONTROL", control, 1);
        setenv("VTOKEN_CARDS", ncards, 1);
        setenv("VTOKEN_RUN_DIR", r->dir, 1);
        pid_t cmd = spawn(r->command, NULL, true);
        forward_to = cmd;
        sigprocmask(SIG_SETMASK, &old, NULL);

        int status = 0;
        for (;;) { /* as PID 1, reap every orphan until COMMAND is done */
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
 * other process of its namespace, and removes the directory once they are gone. */
static volatile sig_atomic_t orphaned;
static void on_orphaned(int sig)
{
        (void)sig;
        orphaned = 1;
        stop_signal = SIGKILL; /* and COMMAND is not started any more */
        kill(-1, SIGKILL);     /* as PID 1: everything else in the namespace */
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw);

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
        int rc = orphaned ? RUN_FAILED : run_inside(r);
        if (orphaned)
                nftw(r->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        return rc;
}

static int enter_namespaces(void)
{
        int flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID;
        uid_t uid = getuid();
        gid_t gid = getgid();
        if (geteuid() != 0)
                flags |= CLONE_NEWUSER;
        if (unshare(flags) < 0) {
                fprintf(stderr,
                        "vtoken run: cannot create private namespaces (unshare: %s).\n"
                        "Run as root, or allow unprivileged user namespaces "
                        "(sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces).\n",
                        strerror(errno));
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
        fprintf(stderr, "vtoken run: cannot map the user into its namespace: %s\n",
                strerror(errno));
        return -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

int vt_cmd_run(int argc, char **argv)
{
        struct run r = {0};
        int rc = parse(&r, argc, argv);
        if (rc)
                return rc;
        const char *tmp = getenv("TMPDIR");
        snprintf(r.dir, sizeof(r.dir), "%s/vtoken-run.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(r.dir)) {
                fprintf(stderr, "vtoken run: cannot create a temporary directory: %s\n",
                        strerror(errno));
                return RUN_FAILED;
        }
        if (strlen(r.dir) + sizeof("/control.sock") > sizeof(((struct sockaddr_un *)0)->sun_path)) {
                fprintf(stderr,
                        "vtoken run: the temporary directory %s is too long for a socket path; set "
                        "a shorter TMPDIR\n",
                        r.dir);
                rc = RUN_FAILED;
                goto out;
        }
        /* the driver's sockets: DIR/cardN.sock, and DIR/cardN.sock.new while vtokend binds it */
        if (uses_driver(&r) && strlen(r.dir) + sizeof("/card15.sock") > RUN_SOCKET_MAX) {
                fprintf(stderr,
                        "vtoken run: the temporary directory %s is too long for the driver's "
                        "sockets; set a shorter TMPDIR\n",
                        r.dir);
                rc = RUN_FAILED;
                goto out;
        }
        if (uses_driver(&r))
                find_driver(r.driver_path, sizeof(r.driver_path));
        int w = write_config(&r);
        if (w < 0) {
                if (w == -1)
                        fprintf(stderr, "vtoken run: cannot write the configuration in %s: %s\n",
                                r.dir, strerror(errno));
                rc = w == -1 ? RUN_FAILED : EX_USAGE;
                goto out;
        }
        find_vtokend(r.vtokend_path, sizeof(r.vtokend_path));
        find_pcscd(&r);
        if (enter_namespaces() < 0) {
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
        forward_to = init;
        if (stop_signal) /* came before init could take it */
                kill(init, stop_signal);
        int status;
        while (waitpid(init, &status, 0) < 0 && errno == EINTR)
                ;
        rc = exit_status(status);
out:
        nftw(r.dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        /* After unshare(CLONE_NEWPID) with its init gone, this process cannot create threads or
         * processes any more, and exit handlers that do (LeakSanitizer's) would fail. */
        fflush(NULL);
        _exit(rc);
}
