/* SPDX-License-Identifier: Apache-2.0 */
/* vtoken matrix: COMMAND once per card personality (personality.h), each in a `vtoken run` of
 * its own with a fresh card, up to --jobs at a time; a table of the results, the failed ones'
 * output, and reports for CI (JSON, JUnit XML, HTML).
 *
 *   vtoken matrix (keeps DIR = $TMPDIR/vtoken-matrix.XXXXXX, forwards SIGTERM and SIGHUP)
 *     └─ one child per row: makes DIR/N/card (a copy of the personality's template), then
 *        execs `vtoken run --card DIR/N/card [--timing T] -- COMMAND` with stdout and stderr in
 *        DIR/N/output and VTOKEN_PERSONALITY set
 * vtoken run leaves nothing running when it ends or is killed; the matrix waits for every run
 * it started before it removes DIR. */
#include "commands.h"
#include "fresh.h"
#include "matrix.h"
#include "personality.h"
#include "tree.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define MATRIX_FAILED     125 /* the card could not be made: as vtoken run's own failure */
#define MATRIX_JOBS_MAX   256
#define MATRIX_ROWS_MAX   1024
#define MATRIX_TAIL_LINES 20
#define MATRIX_OUTPUT_MAX ((size_t)1024 * 1024) /* kept of each row's output: its end */

struct row {
        struct vt_matrix_result r;
        struct vt_personality p;
        char name[VT_PERSONALITY_NAME_MAX + 64];
        pid_t pid;
        struct timespec start;
};

struct matrix {
        struct row *rows;
        size_t n;
        const char *personalities[MATRIX_ROWS_MAX];
        size_t n_personalities;
        const char *timings[MATRIX_ROWS_MAX];
        size_t n_timings;
        unsigned jobs;
        const char *junit, *html;
        bool json, list;
        char **command;
        char dir[PATH_MAX];
        char self[PATH_MAX];
};

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t from_terminal; /* it reached the runs too: not forwarded */

/* The signals the matrix waits for, blocked but in sigsuspend, so that none comes between
 * looking at stop_signal and waiting; the mask the runs get back. */
static sigset_t waited, unblocked;

static void on_child(int sig)
{
        (void)sig; /* only wakes sigsuspend */
}

static void on_stop(int sig, siginfo_t *si, void *uc)
{
        (void)uc;
        from_terminal = si->si_code == SI_KERNEL;
        stop_signal = sig;
}

/* The personalities' names, ", " between them, in lines of at most 79 columns from column
 * indent. */
static void print_names(FILE *f, int indent)
{
        struct vt_personality p;
        int col = indent;

        fprintf(f, "%*s", indent, "");
        for (size_t i = 0; vt_personality_at(i, &p) == 0; i++) {
                int w = (int)strlen(p.name) + 2;
                if (i && col + w > 79) {
                        fprintf(f, ",\n%*s", indent, "");
                        col = indent;
                } else if (i) {
                        col += fprintf(f, ", ");
                }
                col += fprintf(f, "%s", p.name);
        }
        fputc('\n', f);
}

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: vtoken matrix [--personality NAME]... [--timing NAME]... [--jobs N]\n"
                "                     [--junit FILE] [--json] [--html FILE] -- COMMAND "
                "[ARGS...]\n"
                "       vtoken matrix --list [--json]\n"
                "\n"
                "Runs COMMAND once per card personality, each in a 'vtoken run' of its own\n"
                "with a fresh card of that personality, up to --jobs at a time. Prints a table\n"
                "of each personality's exit status and wall time, then the end of the failed\n"
                "ones' output. Exits 0 when COMMAND passed on every card, 1 when it failed on\n"
                "one (or one did not run), 64 on a usage error, %d when the matrix could not\n"
                "be set up, 128+N when signal N stopped it.\n"
                "\n"
                "  -p, --personality NAME  a personality to run on (repeatable; default: all):\n",
                MATRIX_FAILED);
        print_names(f, 26);
        fprintf(f,
                "      --timing NAME       run each personality with 'vtoken run --timing NAME'\n"
                "                          as well (repeatable: one row per personality and\n"
                "                          timing)\n"
                "  -j, --jobs N            runs at a time (default: the number of processors)\n"
                "      --junit FILE        write a JUnit XML report to FILE\n"
                "      --json              print a JSON summary instead of the table\n"
                "      --html FILE         write a self-contained HTML page to FILE: the table\n"
                "                          and each run's output, failed runs marked\n"
                "  -l, --list              list the personalities and what makes each different\n"
                "                          (with --json: as JSON)\n"
                "  -h, --help              this text\n"
                "\n"
                "COMMAND sees what 'vtoken run' gives it (VTOKEN_PKCS11_MODULE,\n"
                "VTOKEN_CARD0_READER, VTOKEN_CARD0_TOKEN_URI, ...; see vtoken run --help) and\n"
                "VTOKEN_PERSONALITY, the personality's name (VTOKEN_TIMING with --timing).\n"
                "Its standard input is /dev/null; its output is kept for the reports.\n");
}

/* ---- --list --------------------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
        fputc('"', f);
        for (; s && *s; s++) {
                if (*s == '"' || *s == '\\')
                        fprintf(f, "\\%c", *s);
                else if ((unsigned char)*s < 0x20)
                        fprintf(f, "\\u%04x", (unsigned char)*s);
                else
                        fputc(*s, f);
        }
        fputc('"', f);
}

static int list(bool json)
{
        struct vt_personality p;
        char what[1024];
        int width = 0;

        for (size_t i = 0; vt_personality_at(i, &p) == 0; i++)
                if ((int)strlen(p.name) > width)
                        width = (int)strlen(p.name);
        if (json)
                printf("[");
        for (size_t i = 0; vt_personality_at(i, &p) == 0; i++) {
                if (vt_personality_describe(&p, what, sizeof(what)) < 0)
                        snprintf(what, sizeof(what), "profile %s", p.profile);
                if (!json) {
                        printf("%-*s  %s\n", width, p.name, what);
                        continue;
                }
                printf("%s\n  {\"name\": ", i ? "," : "");
                json_str(stdout, p.name);
                printf(", \"profile\": ");
                json_str(stdout, p.profile);
                printf(", \"firmware\": ");
                if (p.firmware)
                        json_str(stdout, p.firmware);
                else
                        printf("null");
                printf(", \"compat\": ");
                if (p.compat)
                        json_str(stdout, p.compat);
                else
                        printf("null");
                printf(", \"description\": ");
                json_str(stdout, what);
                printf("}");
        }
        if (json)
                printf("\n]\n");
        return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- options -------------------------------------------------------------------- */

static int parse_jobs(const char *v, unsigned *out)
{
        char *end;
        long n;

        errno = 0;
        n = strtol(v, &end, 10);
        if (errno || end == v || *end || n < 1 || n > MATRIX_JOBS_MAX) {
                fprintf(stderr,
                        "vtoken matrix: --jobs wants a number of runs at a time from 1 to %d, "
                        "not '%s'\n",
                        MATRIX_JOBS_MAX, v);
                return EX_USAGE;
        }
        *out = (unsigned)n;
        return 0;
}

static int add_name(const char **list, size_t *n, const char *name, const char *what)
{
        if (*n == MATRIX_ROWS_MAX) {
                fprintf(stderr, "vtoken matrix: at most %d %s\n", MATRIX_ROWS_MAX, what);
                return EX_USAGE;
        }
        list[(*n)++] = name;
        return 0;
}

static int check_personality(const char *name)
{
        struct vt_personality p;
        char names[512];

        if (vt_personality_find(name, &p) == 0)
                return 0;
        vt_personality_names(names, sizeof(names));
        fprintf(stderr,
                "vtoken matrix: unknown personality '%s' (one of: %s; vtoken matrix --list "
                "says what each is)\n",
                name, names);
        return EX_USAGE;
}

/* Options come before "--", COMMAND after it: the first "--" splits argv. */
static int parse(struct matrix *m, int argc, char **argv)
{
        static const struct option opts[] = {
            {"personality", required_argument, NULL, 'p'},
            {"timing", required_argument, NULL, 't'},
            {"jobs", required_argument, NULL, 'j'},
            {"junit", required_argument, NULL, 'J'},
            {"json", no_argument, NULL, 'o'},
            {"html", required_argument, NULL, 'H'},
            {"list", no_argument, NULL, 'l'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        int dashes = argc, c, rc = 0;
        long cores = sysconf(_SC_NPROCESSORS_ONLN);

        m->jobs = cores < 1 ? 1 : cores > MATRIX_JOBS_MAX ? MATRIX_JOBS_MAX : (unsigned)cores;
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--") == 0) {
                        dashes = i;
                        break;
                }
        while (rc == 0 && (c = getopt_long(dashes, argv, "+p:j:lh", opts, NULL)) != -1) {
                switch (c) {
                case 'p':
                        rc = check_personality(optarg);
                        if (rc == 0)
                                rc = add_name(m->personalities, &m->n_personalities, optarg,
                                              "personalities");
                        break;
                case 't':
                        rc = add_name(m->timings, &m->n_timings, optarg, "timings");
                        break;
                case 'j':
                        rc = parse_jobs(optarg, &m->jobs);
                        break;
                case 'J':
                        m->junit = optarg;
                        break;
                case 'o':
                        m->json = true;
                        break;
                case 'H':
                        m->html = optarg;
                        break;
                case 'l':
                        m->list = true;
                        break;
                case 'h':
                        usage(stdout);
                        return -1;
                default:
                        return EX_USAGE; /* getopt said what */
                }
        }
        if (rc)
                return rc;
        if (dashes == argc && !m->list) {
                fprintf(stderr, "vtoken matrix: no '--' before COMMAND (vtoken matrix [OPTIONS] "
                                "-- COMMAND [ARGS...])\n");
                return EX_USAGE;
        }
        if (optind < dashes) {
                fprintf(stderr,
                        "vtoken matrix: unexpected '%s' (COMMAND goes after '--': vtoken matrix "
                        "[OPTIONS] -- COMMAND [ARGS...])\n",
                        argv[optind]);
                return EX_USAGE;
        }
        if (m->list) {
                if (dashes < argc || m->n_personalities || m->n_timings || m->junit || m->html) {
                        fprintf(stderr, "vtoken matrix: --list takes no other option but --json, "
                                        "and no COMMAND\n");
                        return EX_USAGE;
                }
                return 0;
        }
        if (dashes + 1 == argc) {
                fprintf(stderr, "vtoken matrix: no COMMAND after '--'\n");
                return EX_USAGE;
        }
        m->command = argv + dashes + 1;
        return 0;
}

/* The rows: each personality asked for (all of them without --personality), times each
 * timing (none without --timing). */
static int make_rows(struct matrix *m)
{
        struct vt_personality p;
        size_t n_pers = m->n_personalities, n_tim = m->n_timings ? m->n_timings : 1;

        if (!n_pers)
                while (vt_personality_at(n_pers, &p) == 0)
                        n_pers++;
        if (!n_pers || !(m->rows = calloc(n_pers * n_tim, sizeof(*m->rows)))) {
                fprintf(stderr, "vtoken matrix: out of memory\n");
                return MATRIX_FAILED;
        }
        for (size_t i = 0; i < n_pers; i++)
                for (size_t t = 0; t < n_tim; t++) {
                        struct row *w = &m->rows[m->n++];
                        if (m->n_personalities)
                                vt_personality_find(m->personalities[i], &w->p);
                        else
                                vt_personality_at(i, &w->p);
                        w->r.timing = m->n_timings ? m->timings[t] : NULL;
                        if (w->r.timing)
                                snprintf(w->name, sizeof(w->name), "%s timing=%s", w->p.name,
                                         w->r.timing);
                        else
                                snprintf(w->name, sizeof(w->name), "%s", w->p.name);
                        w->r.name = w->name;
                        w->r.personality = w->p.name;
                }
        return 0;
}

/* ---- one run ---------------------------------------------------------------------- */

/* In the child: the card made, the output redirected, then vtoken run. Never returns. */
static void __attribute__((noreturn)) child(const struct matrix *m, size_t i)
{
        const struct row *w = &m->rows[i];
        char sub[PATH_MAX], card[PATH_MAX], out[PATH_MAX], err[1024];
        const char *argv[16 + 4096];
        size_t n = 0;
        int fd;

        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        sigprocmask(SIG_SETMASK, &unblocked, NULL); /* exec keeps a mask */
        snprintf(sub, sizeof(sub), "%s/%zu", m->dir, i);
        snprintf(card, sizeof(card), "%s/card", sub);
        snprintf(out, sizeof(out), "%s/output", sub);
        if ((fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
                _exit(MATRIX_FAILED);
        if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
                _exit(MATRIX_FAILED);
        close(fd);
        if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 || dup2(fd, STDIN_FILENO) < 0)
                _exit(MATRIX_FAILED);
        close(fd);
        const struct vt_fresh_kind kind = {.name = w->p.name,
                                           .profile = w->p.profile,
                                           .firmware = w->p.firmware,
                                           .compat = w->p.compat};
        if (vt_fresh_card_of(&kind, card, err, sizeof(err)) < 0) {
                fprintf(stderr, "vtoken matrix: %s: %s\n", w->p.name, err);
                _exit(MATRIX_FAILED);
        }
        setenv("VTOKEN_PERSONALITY", w->p.name, 1);
        if (w->r.timing)
                setenv("VTOKEN_TIMING", w->r.timing, 1);
        else
                unsetenv("VTOKEN_TIMING");
        argv[n++] = m->self;
        argv[n++] = "run";
        argv[n++] = "--card";
        argv[n++] = card;
        if (w->r.timing) {
                argv[n++] = "--timing";
                argv[n++] = w->r.timing;
        }
        argv[n++] = "--";
        for (char **c = m->command; *c && n < sizeof(argv) / sizeof(argv[0]) - 1; c++)
                argv[n++] = *c;
        argv[n] = NULL;
        execv(m->self, (char *const *)argv);
        fprintf(stderr, "vtoken matrix: %s: %s\n", m->self, strerror(errno));
        _exit(MATRIX_FAILED);
}

static int start(struct matrix *m, size_t i)
{
        struct row *w = &m->rows[i];
        char sub[PATH_MAX];

        snprintf(sub, sizeof(sub), "%s/%zu", m->dir, i);
        if (mkdir(sub, 0700) < 0) {
                fprintf(stderr, "vtoken matrix: %s: %s\n", sub, strerror(errno));
                return -1;
        }
        fflush(NULL);
        clock_gettime(CLOCK_MONOTONIC, &w->start);
        w->pid = fork();
        if (w->pid < 0) {
                fprintf(stderr, "vtoken matrix: fork: %s\n", strerror(errno));
                return -1;
        }
        if (w->pid == 0)
                child(m, i);
        w->r.ran = true;
        return 0;
}

static double since(const struct timespec *t)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* The end of a run's output (its last MATRIX_OUTPUT_MAX bytes), NUL-terminated. */
static void read_output(const struct matrix *m, size_t i)
{
        struct vt_matrix_result *r = &m->rows[i].r;
        char path[PATH_MAX];
        struct stat st;
        int fd;

        snprintf(path, sizeof(path), "%s/%zu/output", m->dir, i);
        if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
                return;
        if (fstat(fd, &st) == 0 && st.st_size >= 0) {
                size_t size = (size_t)st.st_size, from = 0;
                if (size > MATRIX_OUTPUT_MAX)
                        from = size - MATRIX_OUTPUT_MAX;
                if ((r->output = malloc(size - from + 1))) {
                        ssize_t got = pread(fd, r->output, size - from, (off_t)from);
                        r->output_len = got > 0 ? (size_t)got : 0;
                        r->output[r->output_len] = '\0';
                }
        }
        close(fd);
}

/* Starts rows up to --jobs at a time and waits for them; after a stop signal, forwards it to
 * the runs going and starts no more. 0, or -1 when a run could not be started. */
static int run_all(struct matrix *m)
{
        size_t next = 0, running = 0;
        int rc = 0, forwarded = 0;

        for (;;) {
                while (!stop_signal && rc == 0 && running < m->jobs && next < m->n) {
                        if (start(m, next) < 0)
                                rc = -1;
                        else
                                running++;
                        next++;
                }
                if (stop_signal && forwarded != stop_signal) {
                        forwarded = stop_signal;
                        for (size_t i = 0; !from_terminal && i < next; i++)
                                if (m->rows[i].pid > 0)
                                        kill(m->rows[i].pid, forwarded);
                }
                if (!running)
                        return rc;
                int st;
                pid_t pid = waitpid(-1, &st, WNOHANG);
                if (pid == 0) {
                        sigsuspend(&unblocked); /* a child ended, or a stop signal came */
                        continue;
                }
                if (pid < 0 && errno == EINTR)
                        continue;
                if (pid < 0) {
                        fprintf(stderr, "vtoken matrix: waitpid: %s\n", strerror(errno));
                        return -1;
                }
                for (size_t i = 0; i < next; i++) {
                        struct row *w = &m->rows[i];
                        if (w->pid != pid)
                                continue;
                        w->r.seconds = since(&w->start);
                        w->r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                        w->pid = 0;
                        read_output(m, i);
                        running--;
                }
        }
}

/* ---- the report on the terminal ------------------------------------------------------ */

static void status_text(const struct vt_matrix_result *r, char *out, size_t n)
{
        if (!r->ran)
                snprintf(out, n, "not run");
        else if (r->status == 0)
                snprintf(out, n, "passed");
        else if (r->status > 128)
                snprintf(out, n, "failed (signal %d)", r->status - 128);
        else
                snprintf(out, n, "failed (%d)", r->status);
}

/* The last MATRIX_TAIL_LINES lines of a run's output. */
static const char *tail(const struct vt_matrix_result *r)
{
        const char *p = r->output ? r->output + r->output_len : "";
        int lines = 0;

        if (!r->output)
                return "";
        if (p > r->output && p[-1] == '\n')
                p--;
        while (p > r->output && !(p[-1] == '\n' && ++lines == MATRIX_TAIL_LINES))
                p--;
        return p;
}

static void print_table(const struct matrix *m, double seconds)
{
        size_t width = strlen("PERSONALITY"), passed = 0, failed = 0;
        char st[64];

        for (size_t i = 0; i < m->n; i++)
                if (strlen(m->rows[i].name) > width)
                        width = strlen(m->rows[i].name);
        printf("%-*s  %-18s  %s\n", (int)width, "PERSONALITY", "STATUS", "TIME");
        for (size_t i = 0; i < m->n; i++) {
                const struct vt_matrix_result *r = &m->rows[i].r;
                status_text(r, st, sizeof(st));
                if (r->ran)
                        printf("%-*s  %-18s  %.2f s\n", (int)width, r->name, st, r->seconds);
                else
                        printf("%-*s  %-18s  -\n", (int)width, r->name, st);
                if (vt_matrix_passed(r))
                        passed++;
                else
                        failed++;
        }
        for (size_t i = 0; i < m->n; i++) {
                const struct vt_matrix_result *r = &m->rows[i].r;
                const char *t = tail(r);
                if (vt_matrix_passed(r) || !r->ran)
                        continue;
                status_text(r, st, sizeof(st));
                printf("\n--- %s: %s; the end of its output:\n%s%s", r->name, st, t,
                       *t && t[strlen(t) - 1] != '\n' ? "\n" : "");
        }
        printf("\n%zu passed, %zu failed, in %.2f s with %u job%s\n", passed, failed, seconds,
               m->jobs, m->jobs == 1 ? "" : "s");
}

/* ---- reports ---------------------------------------------------------------------------- */

static int write_report(const char *path, const char *what, const struct vt_matrix_report *rep,
                        int (*write)(FILE *, const struct vt_matrix_report *))
{
        FILE *f = fopen(path, "we");
        int r;

        if (!f) {
                fprintf(stderr, "vtoken matrix: --%s %s: %s\n", what, path, strerror(errno));
                return -1;
        }
        errno = 0;
        r = write(f, rep);
        int e = r < 0 ? errno : 0;
        if (fclose(f) != 0 && !e)
                e = errno;
        if (r < 0 || e) {
                fprintf(stderr, "vtoken matrix: --%s %s: %s\n", what, path, strerror(e ? e : EIO));
                return -1;
        }
        return 0;
}

static int report(const struct matrix *m, double seconds, long started)
{
        struct vt_matrix_result *rows = calloc(m->n ? m->n : 1, sizeof(*rows));
        int rc = 0;

        if (!rows) {
                fprintf(stderr, "vtoken matrix: out of memory\n");
                return -1;
        }
        for (size_t i = 0; i < m->n; i++)
                rows[i] = m->rows[i].r;
        const struct vt_matrix_report rep = {.rows = rows,
                                             .n = m->n,
                                             .command = m->command,
                                             .jobs = m->jobs,
                                             .seconds = seconds,
                                             .started = started};
        if (m->json) {
                if (vt_matrix_write_json(stdout, &rep) < 0 || fflush(stdout) != 0)
                        rc = -1;
        } else {
                print_table(m, seconds);
        }
        if (m->junit && write_report(m->junit, "junit", &rep, vt_matrix_write_junit) < 0)
                rc = -1;
        if (m->html && write_report(m->html, "html", &rep, vt_matrix_write_html) < 0)
                rc = -1;
        free(rows);
        return rc;
}

/* ---- the verb ------------------------------------------------------------------------- */

static int make_dir(struct matrix *m)
{
        const char *tmp = getenv("TMPDIR");
        ssize_t n = readlink("/proc/self/exe", m->self, sizeof(m->self) - 1);

        if (n <= 0) {
                fprintf(stderr, "vtoken matrix: cannot find vtoken itself: %s\n", strerror(errno));
                return -1;
        }
        m->self[n] = '\0';
        if (!tmp || tmp[0] != '/')
                tmp = "/tmp";
        if ((size_t)snprintf(m->dir, sizeof(m->dir), "%s/vtoken-matrix.XXXXXX", tmp) >=
                sizeof(m->dir) ||
            !mkdtemp(m->dir)) {
                fprintf(stderr, "vtoken matrix: cannot make a directory in %s: %s\n", tmp,
                        strerror(errno));
                return -1;
        }
        return 0;
}

int vt_cmd_matrix(int argc, char **argv)
{
        struct matrix m = {0};
        struct sigaction sa = {.sa_sigaction = on_stop, .sa_flags = SA_SIGINFO};
        struct timespec t0;
        int rc = parse(&m, argc, argv);

        if (rc)
                return rc < 0 ? 0 : rc;
        if (m.list)
                return list(m.json);
        if ((rc = make_rows(&m)) != 0)
                return rc;
        if (make_dir(&m) < 0) {
                free(m.rows);
                return MATRIX_FAILED;
        }
        struct sigaction child_sa = {.sa_handler = on_child};
        sigemptyset(&sa.sa_mask);
        sigemptyset(&child_sa.sa_mask);
        sigemptyset(&waited);
        sigaddset(&waited, SIGTERM);
        sigaddset(&waited, SIGHUP);
        sigaddset(&waited, SIGINT);
        sigaddset(&waited, SIGCHLD);
        sigprocmask(SIG_BLOCK, &waited, &unblocked);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        sigaction(SIGINT, &sa, NULL); /* Ctrl-C reaches the runs too: they end, we report */
        sigaction(SIGCHLD, &child_sa, NULL);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        long started = (long)time(NULL);
        rc = run_all(&m) < 0 ? MATRIX_FAILED : 0;
        double seconds = since(&t0);
        if (report(&m, seconds, started) < 0 && rc == 0)
                rc = 1;
        for (size_t i = 0; rc == 0 && i < m.n; i++)
                if (!vt_matrix_passed(&m.rows[i].r))
                        rc = 1;
        if (stop_signal)
                rc = 128 + stop_signal;
        vt_tree_remove_path(m.dir);
        for (size_t i = 0; i < m.n; i++)
                free(m.rows[i].r.output);
        free(m.rows);
        return rc;
}
