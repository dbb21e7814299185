/* SPDX-License-Identifier: Apache-2.0 */
/* vtoken init: creates a card image from a profile. */
#include "commands.h"

#include "piv_state.h"
#include "image_store.h"
#include "keygen.h"
#include "oath_uri.h"
#include "profile.h"
#include "text.h"
#include "timing.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

static void usage(FILE *f)
{
        fprintf(
            f,
            "Usage: vtoken init IMAGE [OPTIONS]\n"
            "\n"
            "Creates the card image directory IMAGE (mode 0700).\n"
            "\n"
            "  -p, --profile NAME   card personality (default piv):\n"
            "                       piv: YubiKey 5 defaults, PIN 123456, PUK 12345678, 3 tries\n"
            "                       ecert: e-Cert token, 15 tries, strong 8-character PIN chosen\n"
            "                       at random, printed once and written to IMAGE.pin-envelope.txt\n"
            "                       openpgp: an OpenPGP card 3.4 as it ships (GnuPG, OpenSC's\n"
            "                       openpgp driver): PIN 123456, admin PIN 12345678 (--pin and\n"
            "                       --puk change them), no keys until gpg --card-edit makes them\n"
            "                       piv+openpgp: both applications on one card, as a YubiKey 5\n"
            "                       ecert-openpgp: the e-Cert token on OpenPGP (ecert's policy,\n"
            "                       envelope PIN, personal certificate); choose it when holders\n"
            "                       must set a password of letters and symbols: OpenSC's openpgp\n"
            "                       driver takes one, its PIV driver (ecert) digits only\n"
            "                       oath: the OATH application alone (TOTP and HOTP codes,\n"
            "                       ykman oath, Yubico Authenticator), no account yet\n"
            "                       yubikey5: a YubiKey 5's applications: PIV as piv has it,\n"
            "                       OpenPGP as it ships, OATH and FIDO\n"
            "                       fido: a FIDO2/U2F security key (as through an NFC reader)\n"
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
            "                       9a:clientAuth,1.3.6.1.4.1.311.20.2.2\n"
            "  --oath URI           an OATH account from an otpauth:// URI (repeatable):\n"
            "                       otpauth://totp/Issuer:account?secret=BASE32&issuer=...\n"
            "                       (algorithm, digits, period, counter), as ykman oath\n"
            "                       accounts uri puts it; profiles oath and yubikey5\n"
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

/* The accounts of --oath, parsed before anything is made. */
struct oath_accounts {
        struct oath_cred creds[OATH_CREDS_MAX];
        size_t n;
};

static int add_oath_uri(struct oath_accounts *a, const char *uri)
{
        char why[256];
        if (a->n == OATH_CREDS_MAX) {
                fprintf(stderr, "vtoken init: more than %d --oath accounts\n", OATH_CREDS_MAX);
                return -1;
        }
        if (oath_cred_from_uri(uri, &a->creds[a->n], why, sizeof(why)) < 0) {
                fprintf(stderr,
                        "vtoken init: --oath: %s (otpauth://totp/Issuer:account?secret=BASE32)\n",
                        why);
                return -1;
        }
        a->n++;
        return 0;
}

static int preload_oath(struct vt_image *img, void *arg, char *err, size_t errlen)
{
        const struct oath_accounts *a = arg;
        return vt_oath_preload(img, a->creds, a->n, err, errlen);
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
                O_OATH,
                O_TIMING
        };
        static const struct option options[] = {
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
            {"oath", required_argument, NULL, O_OATH},
            {"timing", required_argument, NULL, O_TIMING},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        char names[512];
        uint8_t compat;
        struct vt_init_opts o = {0};
        struct oath_accounts oath = {0};
        struct vt_show_extra extra = {0};
        uint8_t made[VT_SLOTS];
        bool json = false;
        static char secrets[3][1024]; /* --pin-from, --puk-from, --p12-pass-from */
        char pin[16] = "", firmware[16] = "", err[1024] = "", env[4096], *ca_key = NULL, *end;
        const char *image;
        long n;
        int c, status = EX_USAGE;

        optind = 1;
        while ((c = getopt_long(argc, argv, "p:g:i:s:fjh", options, NULL)) != -1) {
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
                case O_OATH:
                        if (add_oath_uri(&oath, optarg) < 0)
                                goto out;
                        o.prepare = preload_oath;
                        o.prepare_arg = &oath;
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
        if ((n = vt_image_create(image, &o, err, sizeof(err))) < 0) {
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
        OPENSSL_cleanse(&oath, sizeof(oath));
        free(ca_key);
        return status;
}
