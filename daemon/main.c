/* SPDX-License-Identifier: Apache-2.0 */
/* vtokend: serves virtual smart cards to pcscd through vpcd. */
#include "config.h"
#include "log.h"
#include "defaults.h"
#include "manager.h"
#include "version.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <systemd/sd-daemon.h>

static void usage(FILE *f)
{
        fprintf(
            f,
            "Usage: vtokend [--config FILE] [--check-config] [--version] [--help]\n"
            "\n"
            "Serves virtual smart cards (PIV) to pcscd through vsmartcard's vpcd driver or\n"
            "vtoken's own reader driver (transport = driver), so that every PC/SC program sees\n"
            "a reader with a token in it.\n"
            "\n"
            "  -c, --config FILE   read cards from FILE (INI; see vtokend.conf(5)). Without it,\n"
            "                      one PIV card is served on vpcd %s:%d, its image kept\n"
            "                      in $STATE_DIRECTORY, $XDG_STATE_HOME/vtoken or /var/lib/vtoken\n"
            "                      (sub-directory 'default'), created on first start.\n"
            "  -t, --check-config  validate the configuration (vpcd host names looked up, socket\n"
            "                      directories checked) and exit: 0 when valid, 78 with\n"
            "                      FILE:LINE: reason when not\n"
            "  -V, --version       print the version and exit\n"
            "  -h, --help          print this help and exit\n"
            "\n"
            "Signals: SIGTERM/SIGINT stop the daemon; SIGHUP reloads the configuration file\n"
            "(added cards appear, removed ones go, unchanged ones keep their state).\n"
            "Runs under systemd as Type=notify (READY=1, STATUS=, WATCHDOG=1).\n",
            VT_DEFAULT_VPCD_HOST, VT_DEFAULT_VPCD_PORT);
}

static int on_stop(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        (void)userdata;
        log_info("received %s, stopping", strsignal((int)si->ssi_signo));
        sd_notify(0, "STOPPING=1");
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        (void)s;
        (void)si;
        log_info("received SIGHUP, reloading the configuration");
        manager_reload(userdata);
        return 0;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
            {"config", required_argument, NULL, 'c'},
            {"check-config", no_argument, NULL, 't'},
            {"version", no_argument, NULL, 'V'},
            {"help", no_argument, NULL, 'h'},
            {0},
        };
        const char *config = NULL;
        int check = 0, c;
        while ((c = getopt_long(argc, argv, "c:tVh", opts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        config = optarg;
                        break;
                case 't':
                        check = 1;
                        break;
                case 'V':
                        printf("vtokend %s\n", VT_VERSION);
                        return 0;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return EX_USAGE;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "vtokend: unexpected argument '%s'\n", argv[optind]);
                usage(stderr);
                return EX_USAGE;
        }

        vt_log_init(LOG_INFO);
        struct conf conf;
        char err[1200];
        if (config) {
                if (conf_load(config, &conf, err, sizeof(err)) < 0) {
                        fprintf(stderr, "vtokend: %s\n", err);
                        return EX_CONFIG;
                }
        } else {
                conf_default(&conf);
        }
        if (check && (conf_resolve_hosts(&conf, err, sizeof(err)) < 0 ||
                      conf_check_sockets(&conf, err, sizeof(err)) < 0)) {
                fprintf(stderr, "vtokend: %s\n", err);
                return EX_CONFIG;
        }
        if (check) {
                printf("%s: configuration valid, %zu card%s\n",
                       config ? config : "(embedded default)", conf.n_cards,
                       conf.n_cards == 1 ? "" : "s");
                return 0;
        }
        vt_log_set_level(conf.log_level);

        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);

        struct manager *m;
        int r = manager_new(&m);
        if (r < 0) {
                log_error("cannot create the event loop: %s", strerror(-r));
                return EXIT_FAILURE;
        }
        if ((r = sd_event_add_signal(m->event, NULL, SIGTERM, on_stop, m)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGINT, on_stop, m)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGHUP, on_reload, m)) < 0 ||
            (r = sd_event_set_watchdog(m->event, 1)) < 0) {
                log_error("cannot set up the event loop's signals and watchdog: %s", strerror(-r));
                manager_free(m);
                return EXIT_FAILURE;
        }

        r = manager_start(m, &conf);
        if (r <= 0) {
                log_error("no card could be served");
                manager_free(m);
                return EXIT_FAILURE;
        }
        sd_notify(0, "READY=1");
        r = sd_event_loop(m->event);
        manager_free(m);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
