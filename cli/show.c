/* SPDX-License-Identifier: Apache-2.0 */
/* vtoken show: describes a card image — identity, policy, tries left, and each slot's key and
 * certificate. Never a secret: no PIN, PUK, management key or private key material. */
#include "show_unit.h"
#include "commands.h"

#include "image_store.h"
#include "pkcs11_names.h"
#include "profile.h"
#include "registry.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/crypto.h>

static void hex(FILE *f, const uint8_t *v, size_t n, const char *sep)
{
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%s%02X", i && sep ? sep : "", v[i]);
}

static int envelope_pin(const struct vt_image *img, const char *path, char *pin, size_t cap);

/* A row of the card's [timing] section that differs from its named table, in show's text
 * ("; card.ini [timing] changes ROW MS ms, ...") or as a JSON member. */
struct timing_rows {
        bool json;
        size_t n;
};

static void timing_row(void *ctx, const char *row, uint32_t us)
{
        struct timing_rows *t = ctx;
        char ms[16];
        vt_timing_format_ms(us, ms, sizeof(ms));
        if (t->json)
                printf("%s\"%s\": %s", t->n ? ", " : "", row, ms);
        else
                printf("%s%s %s ms", t->n ? ", " : "; card.ini [timing] changes ", row, ms);
        t->n++;
}

/* The card's lines: identity, firmware, compatibility, PIN envelope. */
static void card_text(const struct vt_image *img, const struct vt_show_extra *x)
{
        char text[4096], pin[64] = "";

        printf("Image:          %s\n", img->dir);
        printf("Profile:        %s\nApplets:       ", img->profile);
        for (size_t i = 0; i < img->n_units; i++)
                printf(" %s", img->units[i].unit->name);
        printf("\nSerial:         %u\nGUID:           ", (unsigned)img->serial);
        hex(stdout, img->guid, sizeof(img->guid), NULL);
        printf("\nATR:            ");
        hex(stdout, img->atr, img->atr_len, " ");
        if (img->firmware)
                printf("\nFirmware:       %u.%u.%u (answers as that YubiKey 5 does)%s\n",
                       img->version[0], img->version[1], img->version[2],
                       img->pin_complexity ? ", PIN complexity" : "");
        else
                printf("\nVersion:        %u.%u.%u (an image made before firmware was chosen: "
                       "3DES default management key)\n",
                       img->version[0], img->version[1], img->version[2]);
        printf("Compatibility:  %s\n", img->compat == VT_COMPAT_YUBIKEY
                                           ? "yubikey (YubiKey 5 NFC ATR, management AID)"
                                           : "none");
        struct timing_rows rows = {.json = false};
        printf("Timing:         %s: %s", img->timing.name, vt_timing_about_named(img->timing.name));
        vt_timing_each_change(&img->timing, timing_row, &rows);
        putchar('\n');
        if (vt_pin_envelope_path(img->dir, text, sizeof(text)) == 0 && access(text, F_OK) == 0) {
                printf("PIN envelope:   %s\n", text);
                if (x && x->show_pin && envelope_pin(img, text, pin, sizeof(pin)) == 0)
                        printf("Envelope PIN:   %s\n", pin);
                OPENSSL_cleanse(pin, sizeof(pin));
        }
}

/* What units get from here (struct vt_show_host): OpenSC's names, the image's files. */
static int host_p11_token(const struct vt_image *img, struct vt_p11_token *t)
{
        if (img->n_units != 1) /* OpenSC's PIV driver reads a PIV card alone */
                return -1;
        vt_p11_token(img, t);
        return 0;
}

static void host_image_file(const struct vt_image *img, const char *name, char *out, size_t cap)
{
        snprintf(out, cap, "%s/%s", img->dir, name);
        if (access(out, F_OK) < 0)
                out[0] = '\0';
}

static void host_of(const struct vt_show_extra *x, struct vt_show_host *h)
{
        *h = (struct vt_show_host){.p11_token = host_p11_token,
                                   .p11_slot = vt_p11_slot,
                                   .p11_uri = vt_p11_uri,
                                   .image_file = host_image_file};
        if (x) {
                h->made_certs = x->made_certs;
                h->n_made_certs = x->n_made_certs;
        }
}

static void show_text(const struct vt_image *img, const struct vt_show_extra *x)
{
        struct vt_show_host host;

        host_of(x, &host);
        card_text(img, x);
        for (size_t i = 0; i < img->n_units; i++) {
                const struct vt_image_unit *iu = &img->units[i];
                if (!iu->unit->show)
                        continue;
                if (iu->unit->show_verbatim)
                        vt_show_unit_verbatim(img, iu->unit, iu->state, false, &host);
                else
                        vt_show_unit_text(img, iu->unit, iu->state);
        }
}

static void json_str(const char *s)
{
        putchar('"');
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c == '"' || c == '\\')
                        printf("\\%c", c);
                else if (c < 0x20)
                        printf("\\u%04x", c);
                else
                        putchar(c);
        }
        putchar('"');
}

/* The initial PIN the envelope of an image tells (the e-Cert profile's), into pin; -1 when there
 * is no envelope, or it belongs to another image (another serial). */
static int envelope_pin(const struct vt_image *img, const char *path, char *pin, size_t cap)
{
        FILE *f = fopen(path, "re");
        char line[256];
        unsigned long serial = 0;
        int r = -1;

        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\r\n")] = '\0';
                if (strncmp(line, "Serial: ", 8) == 0)
                        serial = strtoul(line + 8, NULL, 10);
                else if (strncmp(line, "Initial PIN: ", 13) == 0 && strlen(line + 13) < cap) {
                        memcpy(pin, line + 13, strlen(line + 13) + 1);
                        r = 0;
                }
        }
        OPENSSL_cleanse(line, sizeof(line));
        fclose(f);
        if (serial != img->serial)
                r = -1;
        if (r < 0)
                OPENSSL_cleanse(pin, cap);
        return r;
}

/* "pin_envelope": the envelope file or null; "envelope_pin" too when asked for. */
static void json_envelope(const struct vt_image *img, const struct vt_show_extra *x)
{
        char path[4096], pin[64] = "";
        bool have =
            vt_pin_envelope_path(img->dir, path, sizeof(path)) == 0 && access(path, F_OK) == 0;

        printf(",\n  \"pin_envelope\": ");
        if (have)
                json_str(path);
        else
                printf("null");
        if (!x || !x->show_pin)
                return;
        printf(",\n  \"envelope_pin\": ");
        if (have && envelope_pin(img, path, pin, sizeof(pin)) == 0)
                json_str(pin);
        else
                printf("null");
        OPENSSL_cleanse(pin, sizeof(pin));
}

static void show_json(const struct vt_image *img, const struct vt_show_extra *x)
{
        struct vt_show_host host;

        printf("{\n  \"image\": ");
        json_str(img->dir);
        printf(",\n  \"profile\": ");
        json_str(img->profile);
        printf(",\n  \"applets\": [");
        for (size_t i = 0; i < img->n_units; i++)
                printf("%s\"%s\"", i ? ", " : "", img->units[i].unit->name);
        printf("],\n  \"serial\": %u,\n  \"guid\": \"", (unsigned)img->serial);
        hex(stdout, img->guid, sizeof(img->guid), NULL);
        printf("\",\n  \"atr\": \"");
        hex(stdout, img->atr, img->atr_len, " ");
        printf("\",\n  \"version\": \"%u.%u.%u\"", img->version[0], img->version[1],
               img->version[2]);
        printf(",\n  \"firmware\": %s,\n  \"pin_complexity\": %s", img->firmware ? "true" : "false",
               img->pin_complexity ? "true" : "false");
        printf(",\n  \"compat\": \"%s\"", vt_compat_name(img->compat));
        printf(",\n  \"timing\": ");
        json_str(img->timing.name);
        struct timing_rows rows = {.json = true};
        printf(",\n  \"timing_changes\": {");
        vt_timing_each_change(&img->timing, timing_row, &rows);
        putchar('}');
        json_envelope(img, x);
        host_of(x, &host);
        /* each unit the build has: its part, or null when the card does not carry it */
        for (size_t i = 0; vt_unit_at(i); i++) {
                const struct vt_applet_unit *u = vt_unit_at(i);
                if (u->hidden)
                        continue;
                if (u->show && u->show_verbatim)
                        vt_show_unit_verbatim(img, u, vt_image_state(img, u), true, &host);
                else if (!vt_image_carries(img, u))
                        printf(",\n  \"%s\": null", u->name);
                else if (u->show)
                        vt_show_unit_json(img, u, vt_image_state(img, u));
        }
        printf("\n}\n");
}

int vt_show_image(const char *dir, bool json, const struct vt_show_extra *x)
{
        struct vt_image *img;
        char err[1024];

        if (!(img = vt_image_load(dir, err, sizeof(err)))) {
                fprintf(stderr, "vtoken: %s\n", err);
                return 1;
        }
        if (json)
                show_json(img, x);
        else
                show_text(img, x);
        vt_image_free(img);
        return fflush(stdout) == 0 ? 0 : 1;
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: vtoken show IMAGE [-j|--json] [--show-pin]\n"
                   "\n"
                   "Describes a card image: identity (serial, GUID, ATR, version, compatibility\n"
                   "mode), PIN policy and tries left, each slot's key type and certificate, the\n"
                   "PKCS#11 token and objects OpenSC makes of it (ids, labels and URIs), and the\n"
                   "attestation key (slot f9) with its CA certificate file. Never shows a secret,\n"
                   "unless asked:\n"
                   "\n"
                   "  -j, --json      one JSON document, for programs\n"
                   "  --show-pin      the initial PIN from the image's PIN envelope (e-Cert\n"
                   "                  profile; IMAGE.pin-envelope.txt), null when there is none\n"
                   "  -h, --help      this text\n");
}

int vt_cmd_show(int argc, char **argv)
{
        enum { O_SHOW_PIN = 256 };
        static const struct option options[] = {
            {"json", no_argument, NULL, 'j'},
            {"show-pin", no_argument, NULL, O_SHOW_PIN},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        struct vt_show_extra x = {0};
        bool json = false;
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "jh", options, NULL)) != -1) {
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case O_SHOW_PIN:
                        x.show_pin = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        fprintf(stderr, "Try 'vtoken show --help'.\n");
                        return EX_USAGE;
                }
        }
        if (optind != argc - 1) {
                fprintf(stderr, "vtoken show: %s (vtoken show IMAGE [--json] [--show-pin])\n",
                        optind == argc ? "IMAGE is missing" : "one IMAGE only");
                return EX_USAGE;
        }
        return vt_show_image(argv[optind], json, &x);
}
