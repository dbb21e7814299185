/* SPDX-License-Identifier: Apache-2.0 */
/* The FIDO application's files in an image (0600 like every file of an image):
 *
 *   fido-attestation-ca.pem   the image's attestation CA certificate (what a relying party
 *                             trusts to accept this card's attestation)
 *   fido-attestation.pem      the attestation certificate the CA issued
 *   fido-attestation-key.pem  its private key
 *   fido.ini:
 *     [fido]
 *     secret = hex             ; seals every credential id: another secret, other credentials
 *     aaguid = hex
 *     counter = N              ; the signature counter
 *     pin_hash = hex           ; with pin_length: a PIN is set
 *     pin_length = N
 *     pin_tries = N
 *     presence = auto | touch  ; user presence given at once, or by `vtoken ctl touch`
 *     [credential 1]           ; one section per discoverable credential
 *     rp = hex, user_id = hex, user_name = hex, display_name = hex (UTF-8 bytes)
 *     alg = -7 | -8, cred_protect = 1..3
 *     id = hex                 ; the credential id (sealed key); long values take several lines,
 *                              ; each adding to the value
 *
 * Read strictly (docs/image-format.md): every key above is required but pin_hash and
 * pin_length (together or not at all). */
#include "fido_codec.h"

#include "codec.h"
#include "fido_crypto.h"
#include "text.h"

#include <openssl/crypto.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILE_NAME "fido.ini"
#define CA_FILE   "fido-attestation-ca.pem"
#define CERT_FILE "fido-attestation.pem"
#define KEY_FILE  "fido-attestation-key.pem"
#define HEX_LINE  64

static void put_hex(struct vt_text *t, const char *key, const void *p, size_t n)
{
        const uint8_t *b = p;
        for (size_t off = 0; off < n || off == 0; off += HEX_LINE) {
                size_t k = n - off < HEX_LINE ? n - off : HEX_LINE;
                vt_text_put(t, "%s = ", key);
                vt_text_hex(t, b + off, k, "");
                vt_text_put(t, "\n");
                if (n == 0)
                        break;
        }
}

static int save_ini(const struct vt_fido_state *st, const struct vt_codec_sink *sink)
{
        struct vt_text t = VT_TEXT_INIT;
        vt_text_put(&t, "; the FIDO application (FIDO2 and U2F); secrets in hex\n[fido]\n");
        put_hex(&t, "secret", st->secret, sizeof(st->secret));
        put_hex(&t, "aaguid", st->aaguid, sizeof(st->aaguid));
        vt_text_put(&t, "counter = %u\npin_tries = %u\npresence = %s\n", st->counter, st->pin_tries,
                    st->presence_touch ? "touch" : "auto");
        if (st->pin_set) {
                put_hex(&t, "pin_hash", st->pin_hash, sizeof(st->pin_hash));
                vt_text_put(&t, "pin_length = %u\n", st->pin_len);
        }
        for (size_t i = 0; i < st->n_rk; i++) {
                const struct fido_resident *c = &st->rk[i];
                vt_text_put(&t, "\n[credential %zu]\n", i + 1);
                put_hex(&t, "rp", c->rp_id, strlen(c->rp_id));
                put_hex(&t, "user_id", c->user_id, c->user_id_len);
                put_hex(&t, "user_name", c->user_name, strlen(c->user_name));
                put_hex(&t, "display_name", c->display_name, strlen(c->display_name));
                vt_text_put(&t, "alg = %d\ncred_protect = %u\n", c->alg, c->cred_protect);
                put_hex(&t, "id", c->id, c->id_len);
        }
        return vt_sink_text(sink, FILE_NAME, &t);
}

int vt_fido_save(const struct vt_image *card, const void *state, const struct vt_codec_sink *sink)
{
        const struct vt_fido_state *st = state;
        EVP_PKEY *key = fido_der_key(st->att_key, st->att_key_len);
        int r;
        (void)card;
        if (!key)
                return -EINVAL;
        r = vt_sink_key(sink, KEY_FILE, key);
        EVP_PKEY_free(key);
        if (r == 0)
                r = vt_sink_cert(sink, CERT_FILE, st->att_cert, st->att_cert_len);
        if (r == 0)
                r = vt_sink_cert(sink, CA_FILE, st->ca_cert, st->ca_cert_len);
        return r == 0 ? save_ini(st, sink) : r;
}

int vt_fido_commit(const struct vt_image *card, const void *state, const void *change,
                   const struct vt_codec_sink *sink)
{
        const struct fido_change *ch = change;
        (void)card;
        (void)state;
        return save_ini(ch->next, sink); /* the attestation never changes */
}

/* ---- load --------------------------------------------------------------------------------- */

/* What every file the writer made has; a hex value may go on over lines, each the key again. */
static const struct vt_ini_rule rules[] = {
    {"fido", "secret aaguid counter pin_tries presence", true},
    {"credential ", "rp user_id user_name display_name alg cred_protect id", false},
    {NULL, NULL, false},
};
static const struct vt_ini_spec spec = {
    rules, "secret aaguid pin_hash rp user_id user_name display_name id"};

struct load {
        struct vt_fido_state *st;
        char section[32];
        size_t secret_len, aaguid_len, pin_hash_len;
};

/* Adds the hex of value to buf (of cap bytes) at *len. */
static int add_hex(const char *value, void *buf, size_t cap, size_t *len)
{
        size_t n;
        if (*len > cap || vt_parse_hex(value, (uint8_t *)buf + *len, cap - *len, &n) != 0)
                return -1;
        *len += n;
        return 0;
}

static int add_text(const char *value, char *s, size_t cap)
{
        size_t len = strlen(s);
        /* no NUL inside: a text of C */
        if (add_hex(value, s, cap - 1, &len) != 0 || strnlen(s, len) != len)
                return -1;
        s[len] = 0;
        return 0;
}

static int fido_key(struct vt_ini *ini, struct load *l, const char *key, const char *value)
{
        struct vt_fido_state *st = l->st;
        unsigned long v;
        if (strcmp(key, "secret") == 0) {
                if (add_hex(value, st->secret, sizeof(st->secret), &l->secret_len) != 0)
                        return vt_ini_fail(ini, "secret: 32 bytes of hex");
        } else if (strcmp(key, "aaguid") == 0) {
                if (add_hex(value, st->aaguid, sizeof(st->aaguid), &l->aaguid_len) != 0)
                        return vt_ini_fail(ini, "aaguid: 16 bytes of hex");
        } else if (strcmp(key, "counter") == 0) {
                if (vt_parse_uint(value, UINT32_MAX, &v) != 0)
                        return vt_ini_fail(ini, "counter: 0 to 4294967295");
                st->counter = (uint32_t)v;
        } else if (strcmp(key, "pin_tries") == 0) {
                if (vt_parse_uint(value, FIDO_PIN_TRIES, &v) != 0)
                        return vt_ini_fail(ini, "pin_tries: 0 to %d", FIDO_PIN_TRIES);
                st->pin_tries = (uint8_t)v;
        } else if (strcmp(key, "presence") == 0) {
                if (strcmp(value, "auto") != 0 && strcmp(value, "touch") != 0)
                        return vt_ini_fail(ini, "presence: auto or touch");
                st->presence_touch = value[0] == 't';
        } else if (strcmp(key, "pin_length") == 0) {
                if (vt_parse_uint(value, 63, &v) != 0 || v < FIDO_PIN_MIN)
                        return vt_ini_fail(ini, "pin_length: %d to 63", FIDO_PIN_MIN);
                st->pin_len = (uint8_t)v;
        } else if (strcmp(key, "pin_hash") == 0) {
                if (add_hex(value, st->pin_hash, sizeof(st->pin_hash), &l->pin_hash_len) != 0)
                        return vt_ini_fail(ini, "pin_hash: 16 bytes of hex");
                st->pin_set = true;
        } else {
                return vt_ini_fail(ini, "unknown key '%s'", key);
        }
        return 1;
}

static int cred_key(struct vt_ini *ini, struct fido_resident *c, const char *key, const char *value)
{
        unsigned long v;
        if (strcmp(key, "rp") == 0) {
                if (add_text(value, c->rp_id, sizeof(c->rp_id)) != 0)
                        return vt_ini_fail(ini, "rp: up to %d bytes of hex", FIDO_RP_MAX);
        } else if (strcmp(key, "user_id") == 0) {
                if (add_hex(value, c->user_id, sizeof(c->user_id), &c->user_id_len) != 0)
                        return vt_ini_fail(ini, "user_id: up to %d bytes of hex", FIDO_USER_ID_MAX);
        } else if (strcmp(key, "user_name") == 0 || strcmp(key, "display_name") == 0) {
                char *s = key[0] == 'u' ? c->user_name : c->display_name;
                if (add_text(value, s, FIDO_NAME_MAX + 1) != 0)
                        return vt_ini_fail(ini, "%s: up to %d bytes of hex", key, FIDO_NAME_MAX);
        } else if (strcmp(key, "alg") == 0) {
                if (strcmp(value, "-7") != 0 && strcmp(value, "-8") != 0)
                        return vt_ini_fail(ini, "alg: -7 (ES256) or -8 (EdDSA)");
                c->alg = value[1] == '7' ? FIDO_ALG_ES256 : FIDO_ALG_EDDSA;
        } else if (strcmp(key, "cred_protect") == 0) {
                if (vt_parse_uint(value, 3, &v) != 0 || v < 1)
                        return vt_ini_fail(ini, "cred_protect: 1, 2 or 3");
                c->cred_protect = (uint8_t)v;
        } else if (strcmp(key, "id") == 0) {
                if (add_hex(value, c->id, sizeof(c->id), &c->id_len) != 0)
                        return vt_ini_fail(ini, "id: up to %d bytes of hex", FIDO_CRED_ID_MAX);
        } else {
                return vt_ini_fail(ini, "unknown key '%s'", key);
        }
        return 1;
}

static int on_key(struct vt_ini *ini, const char *section, const char *key, const char *value)
{
        struct load *l = ini->user;
        if (strcmp(section, "fido") == 0)
                return fido_key(ini, l, key, value);
        if (strncmp(section, "credential ", 11) != 0)
                return vt_ini_fail(ini, "unknown section [%s]", section);
        if (strcmp(section, l->section) != 0) {
                if (l->st->n_rk == FIDO_RESIDENT_MAX)
                        return vt_ini_fail(ini, "more than %d credentials", FIDO_RESIDENT_MAX);
                l->st->n_rk++;
                snprintf(l->section, sizeof(l->section), "%s", section);
        }
        return cred_key(ini, &l->st->rk[l->st->n_rk - 1], key, value);
}

static const char *check(const struct load *l)
{
        if (l->secret_len != 32 || l->aaguid_len != 16)
                return "[fido] needs secret (32 bytes) and aaguid (16 bytes)";
        if ((l->st->pin_set || l->st->pin_len) && (l->pin_hash_len != 16 || !l->st->pin_len))
                return "pin_hash (16 bytes) and pin_length go together";
        for (size_t i = 0; i < l->st->n_rk; i++) {
                const struct fido_resident *c = &l->st->rk[i];
                if (!c->rp_id[0] || !c->user_id_len || !c->alg || !c->cred_protect || !c->id_len)
                        return "a credential without rp, user_id, alg, cred_protect or id";
        }
        return NULL;
}

static int load_attestation(const struct vt_image *card, struct vt_fido_state *st,
                            const struct vt_codec_reader *rd, char *err, size_t errlen)
{
        static const char *const files[] = {CA_FILE, CERT_FILE, KEY_FILE};
        for (size_t i = 0; i < 3; i++) {
                uint8_t *data = NULL, *der = NULL;
                size_t len = 0, der_len = 0;
                int ok = 0, got = vt_codec_read(rd, card, files[i], &data, &len, err, errlen);
                if (got != 1) {
                        if (got == 0)
                                snprintf(err, errlen, "%s/%s: missing", card->dir, files[i]);
                        return -1;
                }
                if (i < 2 && vt_pem_cert(data, len, &der, &der_len) == 0 &&
                    der_len <= FIDO_CERT_MAX) {
                        memcpy(i == 0 ? st->ca_cert : st->att_cert, der, der_len);
                        *(i == 0 ? &st->ca_cert_len : &st->att_cert_len) = der_len;
                        ok = 1;
                } else if (i == 2) {
                        EVP_PKEY *k = vt_pem_key(data, len);
                        int n = k ? i2d_PrivateKey(k, NULL) : 0;
                        uint8_t *p = st->att_key;
                        if (n > 0 && n <= FIDO_KEY_DER_MAX && i2d_PrivateKey(k, &p) == n) {
                                st->att_key_len = (size_t)n;
                                ok = 1;
                        }
                        EVP_PKEY_free(k);
                }
                free(der);
                OPENSSL_cleanse(data, len);
                free(data);
                if (!ok) {
                        snprintf(err, errlen, "%s/%s: not a %s", card->dir, files[i],
                                 i < 2 ? "certificate" : "private key");
                        return -1;
                }
        }
        return 0;
}

int vt_fido_load(const struct vt_image *card, void *state, const struct vt_codec_reader *rd,
                 char *err, size_t errlen)
{
        struct vt_fido_state *st = state;
        struct load *l = calloc(1, sizeof(*l));
        const char *why;
        int r = -1;
        if (!l) {
                snprintf(err, errlen, "%s/%s: out of memory", card->dir, FILE_NAME);
                return -1;
        }
        /* the state made by state_new is replaced whole by what the files hold */
        OPENSSL_cleanse(st, sizeof(*st));
        l->st = st;
        if (vt_ini_read(rd, card, FILE_NAME, false, &spec, on_key, l, err, errlen) == 0) {
                if ((why = check(l)) != NULL)
                        snprintf(err, errlen, "%s/%s: %s", card->dir, FILE_NAME, why);
                else
                        r = load_attestation(card, st, rd, err, errlen);
        }
        OPENSSL_cleanse(l, sizeof(*l));
        free(l);
        return r;
}
