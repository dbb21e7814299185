/* SPDX-License-Identifier: Apache-2.0 */
/* vtoken show: describes a card image — identity, policy, tries left, and each slot's key and
 * certificate. Never a secret: no PIN, PUK, management key or private key material. */
#include "show_openpgp.h"
#include "show_unit.h"
#include "commands.h"

#include "image_store.h"
#include "keygen.h"
#include "pkcs11_names.h"
#include "openpgp.h"
#include "profile.h"
#include "registry.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

/* The certificate fields show prints, as text. */
struct cert_info {
        char subject[512], issuer[512], serial[128], not_before[32], not_after[32];
};

void vt_name_text(const X509_NAME *name, char *out, size_t cap)
{
        size_t len = 0;

        out[0] = '\0';
        for (int i = 0; i < X509_NAME_entry_count(name); i++) {
                const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
                int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
                const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : "?";
                unsigned char *v = NULL;
                int n = ASN1_STRING_to_UTF8(&v, X509_NAME_ENTRY_get_data(e));

                len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "/%s=", sn);
                for (int j = 0; j < n && len + 3 < cap; j++) {
                        if (v[j] == '/' || v[j] == '\\')
                                out[len++] = '\\';
                        out[len++] = (char)v[j];
                }
                if (len < cap)
                        out[len] = '\0';
                OPENSSL_free(v);
        }
}

static void time_text(const ASN1_TIME *t, char *out, size_t cap)
{
        struct tm tm;

        if (!ASN1_TIME_to_tm(t, &tm) || !strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
                snprintf(out, cap, "?");
}

static int cert_info(const struct vt_slot *s, struct cert_info *ci)
{
        const unsigned char *p = s->cert;
        X509 *x = d2i_X509(NULL, &p, (long)s->cert_len);
        BIGNUM *bn;
        char *serial;

        if (!x)
                return -1;
        vt_name_text(X509_get_subject_name(x), ci->subject, sizeof(ci->subject));
        vt_name_text(X509_get_issuer_name(x), ci->issuer, sizeof(ci->issuer));
        bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
        serial = bn ? BN_bn2hex(bn) : NULL;
        snprintf(ci->serial, sizeof(ci->serial), "%s", serial ? serial : "?");
        OPENSSL_free(serial);
        BN_free(bn);
        time_text(X509_get0_notBefore(x), ci->not_before, sizeof(ci->not_before));
        time_text(X509_get0_notAfter(x), ci->not_after, sizeof(ci->not_after));
        X509_free(x);
        return 0;
}

static void hex(FILE *f, const uint8_t *v, size_t n, const char *sep)
{
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%s%02X", i && sep ? sep : "", v[i]);
}

#define VT_SLOT_ATTEST 0xF9

static const char *key_name(const struct vt_slot *s)
{
        const char *name = vt_alg_name(s->alg);
        return s->key ? (name ? name : "unknown") : "none";
}

/* Where the image keeps the certificate of the CA that issued the attestation key's. */
static void attest_ca_path(const struct vt_image *img, char *out, size_t cap)
{
        snprintf(out, cap, "%s/attestation-ca.crt.pem", img->dir);
        if (access(out, F_OK) < 0)
                out[0] = '\0';
}

static int envelope_pin(const struct vt_image *img, const char *path, char *pin, size_t cap);

static void slot_text(const struct vt_image *img, const struct vt_p11_token *t,
                      const struct vt_slot *s)
{
        struct cert_info ci;
        struct vt_p11_slot o;
        char ca[4096], uri[1024];

        printf("\nSlot %02x (%s)\n", s->ref, vt_slot_purpose(s->ref));
        printf("  Key:          %s", key_name(s));
        if (s->key)
                printf(", %s, PIN policy %s, touch policy %s",
                       s->generated ? "generated" : "imported", vt_pin_policy_name(s->pin_policy),
                       vt_touch_policy_name(s->touch_policy));
        printf("\n");
        if (!s->cert)
                printf("  Certificate:  none\n");
        else if (cert_info(s, &ci) < 0)
                printf("  Certificate:  %zu bytes that are not X.509\n", s->cert_len);
        else
                printf("  Subject:      %s\n  Issuer:       %s\n  Serial:       %s\n"
                       "  Valid:        %s to %s\n",
                       ci.subject, ci.issuer, ci.serial, ci.not_before, ci.not_after);
        if (t && s->cert && vt_p11_slot(s->ref, &o) == 0) {
                printf("  PKCS#11 id:   %02x\n", o.id);
                if (s->key) {
                        vt_p11_uri(t, &o.id, o.key_label, "private", uri, sizeof(uri));
                        printf("  Key URI:      %s\n", uri);
                }
                vt_p11_uri(t, &o.id, o.cert_label, "cert", uri, sizeof(uri));
                printf("  Cert URI:     %s\n", uri);
        }
        if (s->ref == VT_SLOT_ATTEST) {
                attest_ca_path(img, ca, sizeof(ca));
                printf("  Signs:        the certificates of ATTEST (yubico-piv-tool -a attest)\n");
                if (ca[0])
                        printf("  CA file:      %s\n", ca);
        }
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
        if (vt_pin_envelope_path(img->dir, text, sizeof(text)) == 0 && access(text, F_OK) == 0) {
                printf("PIN envelope:   %s\n", text);
                if (x && x->show_pin && envelope_pin(img, text, pin, sizeof(pin)) == 0)
                        printf("Envelope PIN:   %s\n", pin);
                OPENSSL_cleanse(pin, sizeof(pin));
        }
}

/* PIV's lines: PIN, PUK, management key, the PKCS#11 token OpenSC makes of a PIV card, slots
 * and objects. */
static void piv_text(const struct vt_image *img, const struct vt_show_extra *x)
{
        const struct vt_piv_state *st = vt_piv_of(img);
        const struct vt_pin_rules *r = &st->pin_rules;
        struct vt_p11_token tok = {0};
        const struct vt_p11_token *t = NULL;
        char text[4096];
        (void)x;

        printf("PIN:            %u of %u tries left%s\n", st->pin.tries_left, st->pin.max_tries,
               st->pin.tries_left ? "" : " (blocked)");
        printf("PUK:            %u of %u tries left%s\n", st->puk.tries_left, st->puk.max_tries,
               st->puk.tries_left ? "" : " (blocked)");
        printf("PIN policy:     %u to %u characters, %s%s\n", r->min_len, r->max_len,
               vt_charset_name(r->charset),
               r->charset == VT_PIN_CHARS_STRONG ? " (upper case, lower case, digit and symbol)"
                                                 : "");
        printf("Management key: %s%s\n", vt_alg_name(st->mgm_alg),
               vt_mgm_key_well_known(st) ? " (the well-known default)" : "");
        if (img->n_units == 1) { /* OpenSC's PIV driver reads a PIV card alone */
                vt_p11_token(img, &tok);
                t = &tok;
                vt_p11_uri(t, NULL, NULL, NULL, text, sizeof(text));
                printf("PKCS#11 token:  %s\n", text);
        }
        for (size_t i = 0; i < VT_SLOTS; i++)
                if (st->slots[i].key || st->slots[i].cert)
                        slot_text(img, t, &st->slots[i]);
        for (size_t i = 0; i < st->n_objects; i++)
                printf("%s%x (%zu bytes)\n",
                       i ? "                " : "\nObjects:        ", (unsigned)st->objects[i].tag,
                       st->objects[i].len);
}

static void openpgp_text(const struct vt_image *img, const struct vt_show_extra *x)
{
        (void)x;
        vt_show_openpgp_text(img);
}

static void piv_json(const struct vt_image *img, const struct vt_show_extra *x);
static void openpgp_json(const struct vt_image *img, const struct vt_show_extra *x)
{
        (void)x;
        vt_show_openpgp_json(img);
}

/* The units whose part of `vtoken show` is written here (they need OpenSC's names, or predate
 * the emitter); every other unit shows itself through its row's show hook (show_unit.c). */
static const struct {
        const struct vt_applet_unit *unit;
        void (*text)(const struct vt_image *img, const struct vt_show_extra *x);
        void (*json)(const struct vt_image *img, const struct vt_show_extra *x);
} renderers[] = {
    {&vt_unit_piv, piv_text, piv_json},
    {&vt_unit_openpgp, openpgp_text, openpgp_json},
};

static int renderer(const struct vt_applet_unit *u)
{
        for (size_t i = 0; i < sizeof(renderers) / sizeof(renderers[0]); i++)
                if (renderers[i].unit == u)
                        return (int)i;
        return -1;
}

static void show_text(const struct vt_image *img, const struct vt_show_extra *x)
{
        card_text(img, x);
        for (size_t i = 0; i < img->n_units; i++) {
                const struct vt_image_unit *iu = &img->units[i];
                int k = renderer(iu->unit);
                if (k >= 0)
                        renderers[k].text(img, x);
                else if (iu->unit->show)
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

static void json_secret(const char *name, const struct vt_secret *s)
{
        printf(",\n  \"%s\": {\"tries_left\": %u, \"max_tries\": %u, \"blocked\": %s}", name,
               s->tries_left, s->max_tries, s->tries_left ? "false" : "true");
}

/* The slot's objects as OpenSC shows them: {"id": ..., "key_uri": ..., ...}, or null when OpenSC
 * shows none (no certificate, or a slot outside its tables). */
static void json_pkcs11(const struct vt_p11_token *t, const struct vt_slot *s)
{
        struct vt_p11_slot o;
        char uri[1024];

        if (!t || !s->cert || vt_p11_slot(s->ref, &o) < 0) {
                printf(", \"pkcs11\": null");
                return;
        }
        printf(",\n     \"pkcs11\": {\"id\": \"%02x\", \"key_label\": ", o.id);
        json_str(o.key_label);
        printf(", \"public_key_label\": ");
        json_str(o.pubkey_label);
        printf(", \"certificate_label\": ");
        json_str(o.cert_label);
        if (s->key) {
                vt_p11_uri(t, &o.id, o.key_label, "private", uri, sizeof(uri));
                printf(",\n                \"key_uri\": ");
                json_str(uri);
                vt_p11_uri(t, &o.id, o.pubkey_label, "public", uri, sizeof(uri));
                printf(",\n                \"public_key_uri\": ");
                json_str(uri);
        } else {
                printf(", \"key_uri\": null, \"public_key_uri\": null");
        }
        vt_p11_uri(t, &o.id, o.cert_label, "cert", uri, sizeof(uri));
        printf(",\n                \"certificate_uri\": ");
        json_str(uri);
        printf("}");
}

/* {"slot": ..., "purpose": ..., "key": ..., [policies,] "pkcs11": {...} | null,
 *  "certificate": {...} | null} */
static void json_slot(const struct vt_p11_token *t, const struct vt_slot *s)
{
        struct cert_info ci;

        printf("{\"slot\": \"%02x\", \"purpose\": \"%s\", \"key\": \"%s\"", s->ref,
               vt_slot_purpose(s->ref), key_name(s));
        if (s->key)
                printf(", \"origin\": \"%s\", \"pin_policy\": \"%s\", \"touch_policy\": \"%s\"",
                       s->generated ? "generated" : "imported", vt_pin_policy_name(s->pin_policy),
                       vt_touch_policy_name(s->touch_policy));
        json_pkcs11(t, s);
        if (!s->cert || cert_info(s, &ci) < 0) {
                printf(", \"certificate\": null}");
                return;
        }
        printf(",\n     \"certificate\": {\"subject\": ");
        json_str(ci.subject);
        printf(", \"issuer\": ");
        json_str(ci.issuer);
        printf(", \"serial\": \"%s\", \"not_before\": \"%s\", \"not_after\": \"%s\"}}", ci.serial,
               ci.not_before, ci.not_after);
}

/* "pkcs11": the token OpenSC makes of the card, or null for an applet OpenSC's PIV driver does
 * not read. */
static void json_token(const struct vt_p11_token *t)
{
        char uri[1024];

        if (!t) {
                printf(",\n  \"pkcs11\": null");
                return;
        }
        vt_p11_uri(t, NULL, NULL, NULL, uri, sizeof(uri));
        printf(",\n  \"pkcs11\": {\"token\": ");
        json_str(t->label);
        printf(", \"manufacturer\": ");
        json_str(t->manufacturer);
        printf(", \"model\": ");
        json_str(t->model);
        printf(", \"serial\": ");
        json_str(t->serial);
        printf(",\n             \"uri\": ");
        json_str(uri);
        printf("}");
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

static void piv_json(const struct vt_image *img, const struct vt_show_extra *x)
{
        const struct vt_piv_state *st = vt_piv_of(img);
        const struct vt_pin_rules *r = &st->pin_rules;
        const struct vt_slot *attest;
        struct vt_p11_token tok = {0};
        const struct vt_p11_token *t = NULL;
        char ca[4096];
        bool first = true;

        if (img->n_units == 1) { /* OpenSC's PIV driver reads a PIV card alone */
                vt_p11_token(img, &tok);
                t = &tok;
        }
        json_secret("pin", &st->pin);
        json_secret("puk", &st->puk);
        printf(",\n  \"pin_policy\": {\"min_length\": %u, \"max_length\": %u, \"charset\": "
               "\"%s\"}",
               r->min_len, r->max_len, vt_charset_name(r->charset));
        printf(",\n  \"management_key\": {\"alg\": \"%s\", \"default\": %s}",
               vt_alg_name(st->mgm_alg), vt_mgm_key_well_known(st) ? "true" : "false");
        json_token(t);
        if (x && x->n_made_certs) {
                printf(",\n  \"certificates_made\": [");
                for (size_t i = 0; i < x->n_made_certs; i++)
                        printf("%s\"%02x\"", i ? ", " : "", x->made_certs[i]);
                printf("]");
        }
        printf(",\n  \"slots\": [");
        for (size_t i = 0; i < VT_SLOTS; i++) {
                const struct vt_slot *s = &st->slots[i];

                if ((!s->key && !s->cert) || s->ref == VT_SLOT_ATTEST)
                        continue;
                printf("%s\n    ", first ? "" : ",");
                json_slot(t, s);
                first = false;
        }
        printf("%s],\n  \"objects\": [", first ? "" : "\n  ");
        for (size_t i = 0; i < st->n_objects; i++)
                printf("%s{\"tag\": \"%x\", \"length\": %zu}", i ? ", " : "",
                       (unsigned)st->objects[i].tag, st->objects[i].len);
        printf("],\n  \"attestation\": ");
        attest = vt_piv_slot((struct vt_piv_state *)st, VT_SLOT_ATTEST);
        if (!attest->key && !attest->cert) {
                printf("null");
                return;
        }
        json_slot(t, attest);
        attest_ca_path(img, ca, sizeof(ca));
        printf(",\n  \"attestation_ca\": ");
        if (ca[0])
                json_str(ca);
        else
                printf("null");
}

static void show_json(const struct vt_image *img, const struct vt_show_extra *x)
{
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
        json_envelope(img, x);
        if (!vt_piv_of(img))
                printf(",\n  \"pkcs11\": null");
        /* each unit the build has: its part, or null when the card does not carry it */
        for (size_t i = 0; vt_unit_at(i); i++) {
                const struct vt_applet_unit *u = vt_unit_at(i);
                int k = renderer(u);
                if (u->hidden)
                        continue;
                if (!vt_image_carries(img, u))
                        printf(",\n  \"%s\": null", u->name);
                else if (k >= 0)
                        renderers[k].json(img, x);
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
