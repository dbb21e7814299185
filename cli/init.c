/* SPDX-License-Identifier: Apache-2.0 */
/* vtoken init: creates a card image from a profile. */
#include "commands.h"

#include "piv_state.h"
#include "image_store.h"
#include "keygen.h"
#include "profile.h"
#include "progress.h"
#include "registry.h"
#include "text.h"
#include "timing.h"
#include "x509_text.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#define UNIT_OPTIONS_MAX 16

/* The options of the units (their registry rows), k-th of them as getopt's O_UNIT + k. */
struct unit_option {
        const struct vt_applet_unit *unit;
        const struct vt_unit_option *opt;
        const char **values; /* as given, in order (argv's strings) */
        size_t n;
};

static size_t unit_options(struct unit_option *out, size_t cap)
{
        size_t n = 0;
        for (size_t i = 0; vt_unit_at(i); i++)
                for (size_t k = 0; k < vt_unit_at(i)->n_init_options && n < cap; k++)
                        out[n++] = (struct unit_option){.unit = vt_unit_at(i),
                                                        .opt = &vt_unit_at(i)->init_options[k]};
        return n;
}

/* "  --name ARG" and its help lines, in the column of the others. */
static void unit_options_help(FILE *f)
{
        struct unit_option u[UNIT_OPTIONS_MAX];
        size_t n = unit_options(u, UNIT_OPTIONS_MAX);
        for (size_t i = 0; i < n; i++) {
                char head[64];
                const char *line = u[i].opt->help;
                snprintf(head, sizeof(head), "--%s %s", u[i].opt->name, u[i].opt->arg);
                fprintf(f, "  %-20s", head);
                if (strlen(head) > 20)
                        fprintf(f, "\n%23s", "");
                else
                        fputc(' ', f);
                while (*line) {
                        size_t len = strcspn(line, "\n");
                        fprintf(f, "%s%.*s\n",
                                line == u[i].opt->help ? "" : "                       ", (int)len,
                                line);
                        line += len + (line[len] == '\n');
                }
        }
}

/* Each profile, "name: what it makes", in the column of the options' help. */
static void profiles_help(FILE *f)
{
        for (size_t i = 0; vt_profile_at(i); i++) {
                const char *line = vt_profile_help(i);
                fprintf(f, "%23s%s: ", "", vt_profile_at(i));
                while (*line) {
                        size_t len = strcspn(line, "\n");
                        fprintf(f, "%s%.*s\n",
                                line == vt_profile_help(i) ? "" : "                       ",
                                (int)len, line);
                        line += len + (line[len] == '\n');
                }
        }
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: vtoken init IMAGE [OPTIONS]\n"
                   "\n"
                   "Creates the card image directory IMAGE (mode 0700).\n"
                   "\n"
                   "  -p, --profile NAME   card personality (default piv):\n");
        profiles_help(f);
        fprintf(
            f,
            "  --pin PIN            initial PIN (must meet the profile's policy; 8 characters at\n"
            "                       most with PIV, 127 on an OpenPGP-only card)\n"
            "  --puk PUK            initial PUK (6 to 8 characters)\n"
            "  --retries N          PIN and PUK tries, 1..15\n"
            "  -g, --generate SLOT:ALG\n"
            "                       generate a key and certificate in SLOT (repeatable);\n"
            "                       SLOT 9a 9c 9d 9e 82..95, ALG rsa1024 rsa2048 rsa3072\n"
            "                       rsa4096 p256 p384 ed25519 x25519\n"
            "  -i, --import SLOT:FILE\n"
            "                       import a PKCS#12 file or a PEM key with or without its\n"
            "                       certificate; a key without one gets a certificate made\n"
            "                       as for a generated key (self-signed, or issued by --ca;\n"
            "                       subject --subject), so that PKCS#11 shows the key\n"
            "  --p12-pass PASS      password of PKCS#12 files and encrypted PEM keys\n"
            "  --ca KEY:CERT        issue generated certificates with this CA (PEM files)\n"
            "  -s, --subject DN     subject of the certificates init makes, /CN=.../O=...\n"
            "                       (default /CN=vtoken PURPOSE/O=vtoken, e.g. /CN=vtoken\n"
            "                       PIV Authentication/O=vtoken)\n"
            "  --compat MODE        none (default) or yubikey: the card presents a YubiKey 5\n"
            "                       NFC's ATR and answers the YubiKey management AID, for\n"
            "                       tools that only trust YubiKeys (card.ini: [card] compat)\n"
            "  --timing NAME        how long the card's commands take (card.ini: [card]\n"
            "                       timing): instant (default) or yubikey5, a YubiKey 5 NFC's\n"
            "                       measured times (see docs/timing.md)\n"
            "  --firmware VERSION   the YubiKey 5 firmware the card answers as (card.ini:\n"
            "                       [card] firmware); default 5.4.3, or 5.7.1 when a key asked\n"
            "                       for needs it:\n"
            "                       5.3  GET METADATA (ykman piv info, keys info)\n"
            "                       5.4  AES management keys; the default stays 3DES, which\n"
            "                            yubico-piv-tool 2.2 (Debian 12) needs\n"
            "                       5.7  rsa3072 rsa4096 ed25519 x25519, MOVE and DELETE KEY,\n"
            "                            --pin-complexity; the default management key is\n"
            "                            AES-192 (yubico-piv-tool 2.2 cannot authenticate)\n"
            "  --pin-complexity     refuse trivial PINs and PUKs (111111, 123456, password...),\n"
            "                       as a 5.7 YubiKey that has it enabled (firmware 5.7 or later)\n"
            "  --eku SLOT:USAGES    extended key usage of SLOT's generated certificate instead\n"
            "                       of the slot's own (9a 9e clientAuth, 9c emailProtection,\n"
            "                       9d emailProtection), e.g. 9c:codeSigning or\n"
            "                       9a:clientAuth,1.3.6.1.4.1.311.20.2.2\n");
        unit_options_help(f);
        fprintf(
            f,
            "  -f, --force          replace an existing image\n"
            "  -j, --json           describe the new image as 'vtoken show --json' does\n"
            "  --show-pin           with --json: the e-Cert profile's initial PIN too\n"
            "                       (\"envelope_pin\"); never shown in JSON without it\n"
            "  --pin-from SRC, --puk-from SRC, --p12-pass-from SRC\n"
            "                       read the secret instead of taking it on the command line,\n"
            "                       where other users can see it: SRC is fd:N (read from file\n"
            "                       descriptor N), file:PATH or env:NAME (the variable is\n"
            "                       removed once read); its first line, without the newline\n"
            "  --list WHAT          the names of one table, one a line, and nothing else:\n"
            "                       profiles, compat, firmware or timing (what completion\n"
            "                       offers)\n"
            "  -h, --help           this text\n"
            "\n"
            "Without --generate and --import the profile's keys are made: piv: rsa2048 in 9a\n"
            "and 9d, p256 in 9c and 9e; ecert: rsa2048 in 9a and 9c issued by a test CA whose\n"
            "certificate is saved as IMAGE/ca.crt.pem. Every image gets an attestation key in\n"
            "f9 with a certificate from its own attestation CA, saved as\n"
            "IMAGE/attestation-ca.crt.pem (yubico-piv-tool -a attest certificates chain to it).\n");
}

/* --list WHAT: the names of the table WHAT, one a line (bash completion reads them). */
static int list(const char *what)
{
        static const struct {
                const char *what;
                const char *(*name_at)(size_t i);
        } tables[] = {
            {"profiles", vt_profile_at},
            {"compat", vt_compat_at},
            {"firmware", vt_firmware_at},
            {"timing", vt_timing_at},
        };
        for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
                if (strcmp(what, tables[t].what) != 0)
                        continue;
                for (size_t i = 0; tables[t].name_at(i); i++)
                        printf("%s\n", tables[t].name_at(i));
                return fflush(stdout) == 0 ? 0 : 1;
        }
        fprintf(stderr, "vtoken init: --list profiles, compat, firmware or timing, not '%s'\n",
                what);
        return EX_USAGE;
}

/* A secret from "fd:N", "file:PATH" or "env:NAME": its first line, into buf. */
static int read_secret(const char *opt, const char *src, char *buf, size_t n)
{
        FILE *f = NULL;
        const char *v = NULL;
        const char *why = NULL; /* the reason when no secret could be read */
        char *end;

        if (strncmp(src, "env:", 4) == 0) {
                v = getenv(src + 4);
                if (!v)
                        why = "no such variable";
        } else if (strncmp(src, "file:", 5) == 0) {
                if (!(f = fopen(src + 5, "re")))
                        why = strerror(errno);
        } else if (strncmp(src, "fd:", 3) == 0) {
                errno = 0;
                long fd = strtol(src + 3, &end, 10);
                if (!src[3] || *end || errno || fd < 0 || fd > 65535)
                        why = "not a file descriptor number";
                else if (!(f = fdopen((int)fd, "r")))
                        why = strerror(errno);
        } else {
                fprintf(stderr, "vtoken init: %s wants fd:N, file:PATH or env:NAME, not '%s'\n",
                        opt, src);
                return -1;
        }
        if (f) {
                v = fgets(buf, (int)n, f) ? buf : NULL;
                if (!v)
                        why = ferror(f) ? strerror(errno) : "nothing to read";
                else if (!strchr(buf, '\n') && !feof(f) && fgetc(f) != EOF)
                        v = NULL, why = strerror(EOVERFLOW);
                fclose(f);
        } else if (v && strlen(v) < n) {
                memcpy(buf, v, strlen(v) + 1);
                unsetenv(src + 4);
        } else if (v) {
                v = NULL, why = strerror(EOVERFLOW);
        }
        if (!v) {
                fprintf(stderr, "vtoken init: %s %s: %s\n", opt, src, why ? why : "unreadable");
                OPENSSL_cleanse(buf, n);
                return -1;
        }
        /* the line's end, not a line break inside (an env: value), which init then refuses */
        size_t len = strlen(buf);
        if (len && buf[len - 1] == '\n')
                buf[--len] = '\0';
        if (len && buf[len - 1] == '\r')
                buf[--len] = '\0';
        return 0;
}

/* The A:B form an option takes, and an example. */
static const char *form(const char *opt)
{
        return !strcmp(opt, "--generate") ? "SLOT:ALG, e.g. 9a:p256"
               : !strcmp(opt, "--import") ? "SLOT:FILE, e.g. 9a:key.pem"
               : !strcmp(opt, "--eku")    ? "SLOT:USAGES, e.g. 9c:codeSigning"
                                          : "KEY:CERT (PEM files), e.g. ca.key:ca.crt";
}

static int split(const char *arg, const char *opt, char **left, const char **right)
{
        const char *colon = strchr(arg, ':');

        if (!colon || colon == arg || !colon[1]) {
                fprintf(stderr, "vtoken init: %s wants %s, not '%s'\n", opt, form(opt), arg);
                return -1;
        }
        *left = strndup(arg, (size_t)(colon - arg));
        *right = colon + 1;
        return *left ? 0 : -1;
}

/* SLOT:ALG of --generate, SLOT:FILE of --import, SLOT:USAGES of --eku (in k->file). */
static int parse_key(const char *arg, const char *opt, struct vt_init_key *k)
{
        bool generate = !strcmp(opt, "--generate");
        char *slot;
        const char *rest;
        int r = -1;

        if (split(arg, opt, &slot, &rest) < 0)
                return -1;
        if (piv_slot_parse(slot, &k->slot) < 0)
                fprintf(stderr, "vtoken init: unknown slot '%s' (9a, 9c, 9d, 9e or 82..95)\n",
                        slot);
        else if (generate && !vt_alg_is_key(k->alg = vt_alg_from_name(rest)))
                fprintf(stderr,
                        "vtoken init: unknown algorithm '%s' (rsa1024, rsa2048, rsa3072, "
                        "rsa4096, p256, p384, ed25519, x25519)\n",
                        rest);
        else
                r = 0;
        if (!generate)
                k->file = rest;
        free(slot);
        return r;
}

/* Names the certificates init made for imported keys that came without one. */
static int made_certs_text(const char *image, const uint8_t *made, size_t n)
{
        struct vt_image *img;
        char err[1024];

        if (!n)
                return 0;
        if (!(img = vt_image_load(image, err, sizeof(err)))) {
                fprintf(stderr, "vtoken init: %s\n", err);
                return -1;
        }
        for (size_t i = 0; i < n; i++) {
                const struct vt_slot *s = vt_piv_slot(vt_piv_of(img), made[i]);
                const unsigned char *p = s->cert;
                X509 *x = s->cert ? d2i_X509(NULL, &p, (long)s->cert_len) : NULL;
                char subject[512] = "?";
                if (x)
                        vt_name_text(X509_get_subject_name(x), subject, sizeof(subject));
                bool self =
                    x && X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
                printf("Slot %02x: the imported key had no certificate; made a %s one, subject "
                       "%s\n",
                       made[i], self ? "self-signed" : "CA-issued", subject);
                X509_free(x);
        }
        vt_image_free(img);
        return 0;
}

/* The values of the units' options into the card being made (vt_init_opts.prepare). */
static int apply_unit_options(struct vt_image *img, void *arg, char *err, size_t errlen)
{
        const struct unit_option *u = arg;
        for (; u->opt; u++)
                if (u->n && u->opt->apply(img, u->values, u->n, err, errlen) < 0)
                        return -1;
        return 0;
}

/* One value of the i-th unit option: checked as its unit would, and kept. */
static int add_unit_value(struct unit_option *u, const char *value)
{
        char why[512];
        const char **more;
        if (u->opt->check && u->opt->check(value, why, sizeof(why)) < 0) {
                fprintf(stderr, "vtoken init: --%s: %s\n", u->opt->name, why);
                return -1;
        }
        if (!(more = realloc(u->values, (u->n + 1) * sizeof(*more)))) {
                fprintf(stderr, "vtoken init: out of memory\n");
                return -1;
        }
        u->values = more;
        u->values[u->n++] = value;
        return 0;
}

int vt_cmd_init(int argc, char **argv)
{
        enum {
                O_PIN = 256,
                O_PUK,
                O_RETRIES,
                O_P12,
                O_CA,
                O_COMPAT,
                O_FIRMWARE,
                O_COMPLEXITY,
                O_EKU,
                O_PIN_FROM,
                O_PUK_FROM,
                O_P12_FROM,
                O_SHOW_PIN,
                O_LIST,
                O_TIMING,
                O_UNIT /* the units' options: O_UNIT + k */
        };
        static const struct option base[] = {
            {"profile", required_argument, NULL, 'p'},
            {"pin", required_argument, NULL, O_PIN},
            {"puk", required_argument, NULL, O_PUK},
            {"retries", required_argument, NULL, O_RETRIES},
            {"generate", required_argument, NULL, 'g'},
            {"import", required_argument, NULL, 'i'},
            {"p12-pass", required_argument, NULL, O_P12},
            {"ca", required_argument, NULL, O_CA},
            {"subject", required_argument, NULL, 's'},
            {"force", no_argument, NULL, 'f'},
            {"json", no_argument, NULL, 'j'},
            {"show-pin", no_argument, NULL, O_SHOW_PIN},
            {"compat", required_argument, NULL, O_COMPAT},
            {"firmware", required_argument, NULL, O_FIRMWARE},
            {"pin-complexity", no_argument, NULL, O_COMPLEXITY},
            {"eku", required_argument, NULL, O_EKU},
            {"pin-from", required_argument, NULL, O_PIN_FROM},
            {"puk-from", required_argument, NULL, O_PUK_FROM},
            {"p12-pass-from", required_argument, NULL, O_P12_FROM},
            {"list", required_argument, NULL, O_LIST},
            {"timing", required_argument, NULL, O_TIMING},
            {"help", no_argument, NULL, 'h'},
        };
        enum { N_BASE = sizeof(base) / sizeof(base[0]) };
        struct option options[N_BASE + UNIT_OPTIONS_MAX + 1];
        struct unit_option units[UNIT_OPTIONS_MAX + 1] = {{0}}; /* ends with opt NULL */
        size_t n_units = unit_options(units, UNIT_OPTIONS_MAX);
        char names[512];
        uint8_t compat;
        struct vt_init_opts o = {0};
        struct vt_show_extra extra = {0};
        uint8_t made[VT_SLOTS];
        bool json = false;
        static char secrets[3][1024]; /* --pin-from, --puk-from, --p12-pass-from */
        char pin[16] = "", firmware[16] = "", err[1024] = "", env[4096], *ca_key = NULL, *end;
        const char *image;
        long n;
        int c, status = EX_USAGE;

        memcpy(options, base, sizeof(base));
        for (size_t k = 0; k < n_units; k++)
                options[N_BASE + k] =
                    (struct option){units[k].opt->name, required_argument, NULL, O_UNIT + (int)k};
        options[N_BASE + n_units] = (struct option){NULL, 0, NULL, 0};
        o.prepare = apply_unit_options;
        o.prepare_arg = units;
        optind = 1;
        while ((c = getopt_long(argc, argv, "p:g:i:s:fjh", options, NULL)) != -1) {
                if (c >= O_UNIT && c < O_UNIT + (int)n_units) {
                        if (add_unit_value(&units[c - O_UNIT], optarg) < 0)
                                goto out;
                        continue;
                }
                switch (c) {
                case 'p':
                        if (!vt_profile_known(optarg)) {
                                vt_names_join(names, sizeof(names), vt_profile_at, ", ", " or ");
                                fprintf(stderr, "vtoken init: unknown profile '%s' (%s)\n", optarg,
                                        names);
                                goto out;
                        }
                        o.profile = optarg;
                        break;
                case O_PIN:
                        o.pin = optarg;
                        break;
                case O_PUK:
                        o.puk = optarg;
                        break;
                case O_RETRIES:
                        n = strtol(optarg, &end, 10);
                        if (*end || !*optarg || n < 1 || n > VT_PIV_TRIES_MAX) {
                                fprintf(stderr, "vtoken init: --retries must be 1..15\n");
                                goto out;
                        }
                        o.retries = (int)n;
                        break;
                case 'g':
                case 'i':
                        if ((c == 'g' ? o.n_generate : o.n_import) == VT_SLOTS) {
                                fprintf(stderr, "vtoken init: too many keys\n");
                                goto out;
                        }
                        if (parse_key(optarg, c == 'g' ? "--generate" : "--import",
                                      c == 'g' ? &o.generate[o.n_generate++]
                                               : &o.import[o.n_import++]) < 0)
                                goto out;
                        break;
                case O_P12:
                        o.p12_pass = optarg;
                        break;
                case O_CA:
                        free(ca_key);
                        ca_key = NULL;
                        if (split(optarg, "--ca", &ca_key, &o.ca_cert) < 0)
                                goto out;
                        o.ca_key = ca_key;
                        break;
                case 's': {
                        X509_NAME *dn = vt_dn_parse(optarg);
                        X509_NAME_free(dn);
                        if (!dn) {
                                fprintf(stderr,
                                        "vtoken init: bad --subject '%s': use OpenSSL's "
                                        "/CN=.../O=... form, e.g. '/CN=Alice/O=Example'\n",
                                        optarg);
                                goto out;
                        }
                        o.subject = optarg;
                        break;
                }
                case 'f':
                        o.force = true;
                        break;
                case 'j':
                        json = true;
                        break;
                case O_SHOW_PIN:
                        extra.show_pin = true;
                        break;
                case O_LIST:
                        status = list(optarg);
                        goto out;
                case O_COMPAT:
                        if (vt_compat_parse(optarg, &compat) < 0) {
                                vt_names_join(names, sizeof(names), vt_compat_at, ", ", " or ");
                                fprintf(stderr, "vtoken init: unknown compat '%s' (%s)\n", optarg,
                                        names);
                                goto out;
                        }
                        o.compat = optarg;
                        break;
                case O_FIRMWARE:
                        o.firmware = optarg;
                        break;
                case O_TIMING: {
                        struct vt_timing t;
                        if (vt_timing_builtin(optarg, &t) < 0) {
                                vt_names_join(names, sizeof(names), vt_timing_at, ", ", " or ");
                                fprintf(stderr, "vtoken init: unknown timing '%s' (%s)\n", optarg,
                                        names);
                                goto out;
                        }
                        o.timing = optarg;
                        break;
                }
                case O_COMPLEXITY:
                        o.pin_complexity = true;
                        break;
                case O_EKU:
                        if (o.n_eku == VT_SLOTS) {
                                fprintf(stderr, "vtoken init: too many --eku\n");
                                goto out;
                        }
                        if (parse_key(optarg, "--eku", &o.eku[o.n_eku++]) < 0)
                                goto out;
                        break;
                case O_PIN_FROM:
                case O_PUK_FROM:
                case O_P12_FROM: {
                        static const char *const opt[] = {"--pin-from", "--puk-from",
                                                          "--p12-pass-from"};
                        char *s = secrets[c - O_PIN_FROM];
                        const char **to = c == O_PIN_FROM   ? &o.pin
                                          : c == O_PUK_FROM ? &o.puk
                                                            : &o.p12_pass;
                        if (read_secret(opt[c - O_PIN_FROM], optarg, s, sizeof(secrets[0])) < 0)
                                goto out;
                        *to = s;
                        break;
                }
                case 'h':
                        usage(stdout);
                        status = 0;
                        goto out;
                default:
                        fprintf(stderr, "Try 'vtoken init --help'.\n");
                        goto out;
                }
        }
        if (extra.show_pin && !json) {
                fprintf(stderr, "vtoken init: --show-pin goes with --json (the text output "
                                "shows an initial PIN the profile chose anyway)\n");
                goto out;
        }
        if (optind != argc - 1) {
                fprintf(stderr, "vtoken init: %s (see vtoken init --help)\n",
                        optind == argc ? "IMAGE is missing" : "one IMAGE only");
                goto out;
        }
        image = argv[optind];
        o.firmware_out = firmware;
        o.firmware_out_len = sizeof(firmware);
        o.initial_pin = pin;
        o.initial_pin_len = sizeof(pin);
        o.made_certs = made;
        o.n_made_certs = &extra.n_made_certs;
        extra.made_certs = made;
        struct vt_progress progress; /* key generation takes seconds with RSA-4096 */
        vt_progress_start(&progress, "vtoken init: making the card's keys and certificates");
        n = vt_image_create(image, &o, err, sizeof(err));
        vt_progress_end(&progress);
        if (n < 0) {
                fprintf(stderr, "vtoken init: %s\n", err);
                status = n == -2 ? EX_USAGE : 1;
                goto out;
        }
        if (err[0])
                fprintf(stderr, "vtoken init: %s\n", err);
        if (json) {
                status = vt_show_image(image, true, &extra);
                goto out;
        }
        printf("Created card image %s (profile %s)\n", image, o.profile ? o.profile : "piv");
        snprintf(env, sizeof(env), "%s/ca.crt.pem", image);
        if (access(env, F_OK) == 0)
                printf("CA certificate: %s\n", env);
        snprintf(env, sizeof(env), "%s/attestation-ca.crt.pem", image);
        if (access(env, F_OK) == 0)
                printf("Attestation CA certificate: %s\n", env);
        if (o.compat && strcmp(o.compat, "none") != 0)
                printf("Compatibility: %s\n", o.compat);
        if (firmware[0])
                printf("Firmware: %s\n", firmware);
        if (o.timing && strcmp(o.timing, "instant") != 0)
                printf("Timing: %s\n", o.timing);
        if (made_certs_text(image, made, extra.n_made_certs) < 0) {
                status = 1;
                goto out;
        }
        if (pin[0]) {
                /* the one place a PIN is shown: the envelope the holder gets with the token */
                vt_pin_envelope_path(image, env, sizeof(env));
                printf("Initial PIN: %s\nThe PIN envelope is %s\n", pin, env);
        }
        status = 0;
out:
        OPENSSL_cleanse(pin, sizeof(pin));
        OPENSSL_cleanse(secrets, sizeof(secrets));
        for (size_t k = 0; k < n_units; k++)
                free(units[k].values);
        free(ca_key);
        return status;
}
