/* SPDX-License-Identifier: Apache-2.0 */
/* PIV's part of `vtoken show` (its row's show hook, show_verbatim): PIN, PUK, management key,
 * the PKCS#11 token and objects OpenSC makes of a PIV card (names the showing program gives
 * through struct vt_show_host), slots and objects; in JSON, members of show's own object.
 * Never a secret: no PIN, PUK, management key or private key material. */
#include "piv_show.h"

#include "keygen.h"
#include "piv_state.h"
#include "x509_text.h"

#include <stdio.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#define VT_SLOT_ATTEST 0xF9
#define P(...)         out->put(out->ctx, __VA_ARGS__)

/* The certificate fields show prints, as text. */
struct cert_info {
        char subject[512], issuer[512], serial[128], not_before[32], not_after[32];
};

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
        vt_time_text(X509_get0_notBefore(x), ci->not_before, sizeof(ci->not_before));
        vt_time_text(X509_get0_notAfter(x), ci->not_after, sizeof(ci->not_after));
        X509_free(x);
        return 0;
}

static const char *key_name(const struct vt_slot *s)
{
        const char *name = vt_alg_name(s->alg);
        return s->key ? (name ? name : "unknown") : "none";
}

/* What the host tells: the token (NULL when there is none), a slot's objects, a URI. */
static const struct vt_p11_token *p11_token(const struct vt_image *card, const struct vt_show *out,
                                            struct vt_p11_token *tok)
{
        const struct vt_show_host *h = out->host;
        return h && h->p11_token && h->p11_uri && h->p11_token(card, tok) == 0 ? tok : NULL;
}

static int p11_slot(const struct vt_show *out, const struct vt_slot *s, struct vt_p11_slot *o)
{
        return out->host && out->host->p11_slot && s->cert ? out->host->p11_slot(s->ref, o) : -1;
}

static void uri(const struct vt_show *out, const struct vt_p11_token *t, const uint8_t *id,
                const char *label, const char *type, char *buf, size_t cap)
{
        out->host->p11_uri(t, id, label, type, buf, cap);
}

/* Where the image keeps the certificate of the CA that issued the attestation key's. */
static void attest_ca_path(const struct vt_image *card, const struct vt_show *out, char *buf,
                           size_t cap)
{
        buf[0] = '\0';
        if (out->host && out->host->image_file)
                out->host->image_file(card, "attestation-ca.crt.pem", buf, cap);
}

/* ---- text ------------------------------------------------------------------------------- */

static void slot_text(const struct vt_image *card, const struct vt_show *out,
                      const struct vt_p11_token *t, const struct vt_slot *s)
{
        struct cert_info ci;
        struct vt_p11_slot o;
        char ca[4096], u[1024];

        P("\nSlot %02x (%s)\n", s->ref, vt_slot_purpose(s->ref));
        P("  Key:          %s", key_name(s));
        if (s->key)
                P(", %s, PIN policy %s, touch policy %s", s->generated ? "generated" : "imported",
                  vt_pin_policy_name(s->pin_policy), vt_touch_policy_name(s->touch_policy));
        P("\n");
        if (!s->cert)
                P("  Certificate:  none\n");
        else if (cert_info(s, &ci) < 0)
                P("  Certificate:  %zu bytes that are not X.509\n", s->cert_len);
        else
                P("  Subject:      %s\n  Issuer:       %s\n  Serial:       %s\n"
                  "  Valid:        %s to %s\n",
                  ci.subject, ci.issuer, ci.serial, ci.not_before, ci.not_after);
        if (t && p11_slot(out, s, &o) == 0) {
                P("  PKCS#11 id:   %02x\n", o.id);
                if (s->key) {
                        uri(out, t, &o.id, o.key_label, "private", u, sizeof(u));
                        P("  Key URI:      %s\n", u);
                }
                uri(out, t, &o.id, o.cert_label, "cert", u, sizeof(u));
                P("  Cert URI:     %s\n", u);
        }
        if (s->ref == VT_SLOT_ATTEST) {
                attest_ca_path(card, out, ca, sizeof(ca));
                P("  Signs:        the certificates of ATTEST (yubico-piv-tool -a attest)\n");
                if (ca[0])
                        P("  CA file:      %s\n", ca);
        }
}

static void piv_text(const struct vt_image *card, const struct vt_piv_state *st,
                     const struct vt_show *out)
{
        const struct vt_pin_rules *r = &st->pin_rules;
        struct vt_p11_token tok = {0};
        const struct vt_p11_token *t = p11_token(card, out, &tok);
        char text[4096];

        P("PIN:            %u of %u tries left%s\n", st->pin.tries_left, st->pin.max_tries,
          st->pin.tries_left ? "" : " (blocked)");
        P("PUK:            %u of %u tries left%s\n", st->puk.tries_left, st->puk.max_tries,
          st->puk.tries_left ? "" : " (blocked)");
        P("PIN policy:     %u to %u characters, %s%s\n", r->min_len, r->max_len,
          vt_charset_name(r->charset),
          r->charset == VT_PIN_CHARS_STRONG ? " (upper case, lower case, digit and symbol)" : "");
        P("Management key: %s%s\n", vt_alg_name(st->mgm_alg),
          vt_mgm_key_well_known(st) ? " (the well-known default)" : "");
        if (t) {
                uri(out, t, NULL, NULL, NULL, text, sizeof(text));
                P("PKCS#11 token:  %s\n", text);
        }
        for (size_t i = 0; i < VT_SLOTS; i++)
                if (st->slots[i].key || st->slots[i].cert)
                        slot_text(card, out, t, &st->slots[i]);
        for (size_t i = 0; i < st->n_objects; i++)
                P("%s%x (%zu bytes)\n",
                  i ? "                " : "\nObjects:        ", (unsigned)st->objects[i].tag,
                  st->objects[i].len);
}

/* ---- JSON -------------------------------------------------------------------------------- */

static void json_secret(const struct vt_show *out, const char *name, const struct vt_secret *s)
{
        P(",\n  \"%s\": {\"tries_left\": %u, \"max_tries\": %u, \"blocked\": %s}", name,
          s->tries_left, s->max_tries, s->tries_left ? "false" : "true");
}

/* The slot's objects as OpenSC shows them: {"id": ..., "key_uri": ..., ...}, or null when OpenSC
 * shows none (no certificate, or a slot outside its tables). */
static void json_pkcs11(const struct vt_show *out, const struct vt_p11_token *t,
                        const struct vt_slot *s)
{
        struct vt_p11_slot o;
        char u[1024];

        if (!t || p11_slot(out, s, &o) < 0) {
                P(", \"pkcs11\": null");
                return;
        }
        P(",\n     \"pkcs11\": {\"id\": \"%02x\", \"key_label\": ", o.id);
        out->quoted(out->ctx, o.key_label);
        P(", \"public_key_label\": ");
        out->quoted(out->ctx, o.pubkey_label);
        P(", \"certificate_label\": ");
        out->quoted(out->ctx, o.cert_label);
        if (s->key) {
                uri(out, t, &o.id, o.key_label, "private", u, sizeof(u));
                P(",\n                \"key_uri\": ");
                out->quoted(out->ctx, u);
                uri(out, t, &o.id, o.pubkey_label, "public", u, sizeof(u));
                P(",\n                \"public_key_uri\": ");
                out->quoted(out->ctx, u);
        } else {
                P(", \"key_uri\": null, \"public_key_uri\": null");
        }
        uri(out, t, &o.id, o.cert_label, "cert", u, sizeof(u));
        P(",\n                \"certificate_uri\": ");
        out->quoted(out->ctx, u);
        P("}");
}

/* {"slot": ..., "purpose": ..., "key": ..., [policies,] "pkcs11": {...} | null,
 *  "certificate": {...} | null} */
static void json_slot(const struct vt_show *out, const struct vt_p11_token *t,
                      const struct vt_slot *s)
{
        struct cert_info ci;

        P("{\"slot\": \"%02x\", \"purpose\": \"%s\", \"key\": \"%s\"", s->ref,
          vt_slot_purpose(s->ref), key_name(s));
        if (s->key)
                P(", \"origin\": \"%s\", \"pin_policy\": \"%s\", \"touch_policy\": \"%s\"",
                  s->generated ? "generated" : "imported", vt_pin_policy_name(s->pin_policy),
                  vt_touch_policy_name(s->touch_policy));
        json_pkcs11(out, t, s);
        if (!s->cert || cert_info(s, &ci) < 0) {
                P(", \"certificate\": null}");
                return;
        }
        P(",\n     \"certificate\": {\"subject\": ");
        out->quoted(out->ctx, ci.subject);
        P(", \"issuer\": ");
        out->quoted(out->ctx, ci.issuer);
        P(", \"serial\": \"%s\", \"not_before\": \"%s\", \"not_after\": \"%s\"}}", ci.serial,
          ci.not_before, ci.not_after);
}

/* "pkcs11": the token OpenSC makes of the card, or null for a card OpenSC's PIV driver does not
 * read. */
static void json_token(const struct vt_show *out, const struct vt_p11_token *t)
{
        char u[1024];

        if (!t) {
                P(",\n  \"pkcs11\": null");
                return;
        }
        uri(out, t, NULL, NULL, NULL, u, sizeof(u));
        P(",\n  \"pkcs11\": {\"token\": ");
        out->quoted(out->ctx, t->label);
        P(", \"manufacturer\": ");
        out->quoted(out->ctx, t->manufacturer);
        P(", \"model\": ");
        out->quoted(out->ctx, t->model);
        P(", \"serial\": ");
        out->quoted(out->ctx, t->serial);
        P(",\n             \"uri\": ");
        out->quoted(out->ctx, u);
        P("}");
}

static void piv_json(const struct vt_image *card, const struct vt_piv_state *st,
                     const struct vt_show *out)
{
        const struct vt_pin_rules *r = &st->pin_rules;
        const struct vt_slot *attest;
        struct vt_p11_token tok = {0};
        const struct vt_p11_token *t = p11_token(card, out, &tok);
        char ca[4096];
        bool first = true;

        json_secret(out, "pin", &st->pin);
        json_secret(out, "puk", &st->puk);
        P(",\n  \"pin_policy\": {\"min_length\": %u, \"max_length\": %u, \"charset\": \"%s\"}",
          r->min_len, r->max_len, vt_charset_name(r->charset));
        P(",\n  \"management_key\": {\"alg\": \"%s\", \"default\": %s}", vt_alg_name(st->mgm_alg),
          vt_mgm_key_well_known(st) ? "true" : "false");
        json_token(out, t);
        if (out->host && out->host->n_made_certs) {
                P(",\n  \"certificates_made\": [");
                for (size_t i = 0; i < out->host->n_made_certs; i++)
                        P("%s\"%02x\"", i ? ", " : "", out->host->made_certs[i]);
                P("]");
        }
        P(",\n  \"slots\": [");
        for (size_t i = 0; i < VT_SLOTS; i++) {
                const struct vt_slot *s = &st->slots[i];

                if ((!s->key && !s->cert) || s->ref == VT_SLOT_ATTEST)
                        continue;
                P("%s\n    ", first ? "" : ",");
                json_slot(out, t, s);
                first = false;
        }
        P("%s],\n  \"objects\": [", first ? "" : "\n  ");
        for (size_t i = 0; i < st->n_objects; i++)
                P("%s{\"tag\": \"%x\", \"length\": %zu}", i ? ", " : "",
                  (unsigned)st->objects[i].tag, st->objects[i].len);
        P("],\n  \"attestation\": ");
        attest = vt_piv_slot((struct vt_piv_state *)st, VT_SLOT_ATTEST);
        if (!attest->key && !attest->cert) {
                P("null");
                return;
        }
        json_slot(out, t, attest);
        attest_ca_path(card, out, ca, sizeof(ca));
        P(",\n  \"attestation_ca\": ");
        if (ca[0])
                out->quoted(out->ctx, ca);
        else
                P("null");
}

void vt_piv_show(const struct vt_image *card, const void *state, const struct vt_show *out)
{
        const struct vt_piv_state *st = state;

        if (!out->put || !out->quoted)
                return;
        if (!out->json) {
                if (st)
                        piv_text(card, st, out);
        } else if (st) {
                piv_json(card, st, out);
        } else {
                P(",\n  \"pkcs11\": null,\n  \"piv\": null");
        }
}
