/* SPDX-License-Identifier: Apache-2.0 */
#include "pkcs11_names.h"

#include "buf.h"
#include "table.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/x509.h>

#define TAG_CHUID      0x5FC102
#define TAG_CHUID_GUID 0x34

#ifndef VT_OPENSC_LABEL_COLON_AS_DOT
#define VT_OPENSC_LABEL_COLON_AS_DOT 0
#endif
static const bool opensc_colon_as_dot = VT_OPENSC_LABEL_COLON_AS_DOT;

/* The slots of pkcs15-piv's tables, in the order OpenSC reads their certificates; the
 * retired ones (82..95) follow, numbered. */
static const struct {
        uint8_t ref, id;
        const char *key, *pubkey, *cert;
} slots[] = {
    {0x9A, 0x01, "PIV AUTH key", "PIV AUTH pubkey", "Certificate for PIV Authentication"},
    {0x9C, 0x02, "SIGN key", "SIGN pubkey", "Certificate for Digital Signature"},
    {0x9D, 0x03, "KEY MAN key", "KEY MAN pubkey", "Certificate for Key Management"},
    {0x9E, 0x04, "CARD AUTH key", "CARD AUTH pubkey", "Certificate for Card Authentication"},
};

int vt_p11_slot(uint8_t ref, struct vt_p11_slot *s)
{
        for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
                if (slots[i].ref != ref)
                        continue;
                s->id = slots[i].id;
                snprintf(s->key_label, sizeof(s->key_label), "%s", slots[i].key);
                snprintf(s->pubkey_label, sizeof(s->pubkey_label), "%s", slots[i].pubkey);
                snprintf(s->cert_label, sizeof(s->cert_label), "%s", slots[i].cert);
                return 0;
        }
        if (ref < VT_PIV_RETIRED_FIRST || ref > VT_PIV_RETIRED_LAST)
                return -1;
        /* OpenSC writes the ids of the retired keys as decimal digits read as hex: retired
         * key 1 (82) is 05, 6 (87) is 10, 20 (95) is 24 */
        unsigned n = (unsigned)(ref - VT_PIV_RETIRED_FIRST) + 1, v = n + 4;
        s->id = (uint8_t)((v / 10) << 4 | v % 10);
        snprintf(s->key_label, sizeof(s->key_label), "Retired KEY MAN %u", n);
        snprintf(s->pubkey_label, sizeof(s->pubkey_label), "Retired KEY MAN %u", n);
        snprintf(s->cert_label, sizeof(s->cert_label), "Retired Certificate for Key Management %u",
                 n);
        return 0;
}

/* The first common name of the certificate, as OpenSC takes it for the token label: its bytes
 * as they are, at most 32 of them, trailing blanks dropped. */
static int cert_cn(const struct vt_slot *s, char out[33])
{
        const unsigned char *p = s->cert;
        X509 *x = s->cert ? d2i_X509(NULL, &p, (long)s->cert_len) : NULL;
        const X509_NAME *name = x ? X509_get_subject_name(x) : NULL;
        int i = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
        int r = -1;

        if (i >= 0) {
                const ASN1_STRING *v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
                size_t n = (size_t)ASN1_STRING_length(v);
                if (n > 32)
                        n = 32;
                memcpy(out, ASN1_STRING_get0_data(v), n);
                while (n > 0 && out[n - 1] == ' ')
                        n--;
                out[n] = '\0';
                /* OpenSC after 0.23 shows a ':' of the label as '.' (see CMakeLists.txt) */
                for (char *c = out; opensc_colon_as_dot && (c = strchr(c, ':'));)
                        *c = '.';
                r = 0;
        }
        X509_free(x);
        return r;
}

/* The GUID the card's CHUID holds: one written with PUT DATA, else the image's. */
static const uint8_t *chuid_guid(const struct vt_image *img)
{
        const struct vt_piv_state *st = vt_piv_of(img);
        for (size_t i = 0; st && i < st->n_objects; i++) {
                struct reader r = rd_init(st->objects[i].data, st->objects[i].len), body, guid;
                uint32_t tag;
                if (st->objects[i].tag != TAG_CHUID)
                        continue;
                if (rd_tlv(&r, &tag, &body) == 0 && tag == 0x53 &&
                    rd_find(body, TAG_CHUID_GUID, &guid) == 0 && guid.left == 16)
                        return guid.p;
        }
        return img->guid;
}

void vt_p11_token(const struct vt_image *img, struct vt_p11_token *t)
{
        const uint8_t *guid = chuid_guid(img);
        struct vt_piv_state *st = vt_piv_of(img);
        uint8_t ref;

        snprintf(t->label, sizeof(t->label), "PIV_II");
        for (size_t i = 0; st && i < sizeof(slots) / sizeof(slots[0]) + 20; i++) {
                ref = i < 4 ? slots[i].ref : (uint8_t)(VT_PIV_RETIRED_FIRST + i - 4);
                if (cert_cn(vt_piv_slot(st, ref), t->label) == 0)
                        break;
        }
        snprintf(t->manufacturer, sizeof(t->manufacturer), "piv_II");
        snprintf(t->model, sizeof(t->model), "PKCS#15 emulated");
        /* the GUID as the serial number, of which PKCS#11 keeps the last 16 hex digits */
        for (size_t i = 0; i < 8; i++)
                snprintf(t->serial + 2 * i, 3, "%02x", guid[8 + i]);
}

/* Text appended to a bounded buffer; what does not fit is cut off. */
struct text {
        char *p;
        size_t cap, len;
};

static void __attribute__((format(printf, 2, 3))) add(struct text *t, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (t->len >= t->cap)
                return;
        va_start(ap, fmt);
        n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        t->len = n < 0 ? t->cap : t->len + (size_t)n;
}

/* p11-kit's encoding: letters, digits and "-_." as they are, every other byte %XX (every byte
 * for an id). */
static void encode(struct text *t, const uint8_t *v, size_t n, bool all)
{
        static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789-_.";

        for (size_t i = 0; i < n; i++) {
                if (!all && v[i] && strchr(plain, v[i]))
                        add(t, "%c", v[i]);
                else
                        add(t, "%%%02X", v[i]);
        }
}

void vt_p11_uri(const struct vt_p11_token *tok, const uint8_t *id, const char *label,
                const char *type, char *out, size_t cap)
{
        const struct {
                const char *name, *value;
        } attrs[] = {{"model", tok->model},
                     {"manufacturer", tok->manufacturer},
                     {"serial", tok->serial},
                     {"token", tok->label}};
        struct text t = {out, cap, 0};

        add(&t, "pkcs11:");
        for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
                add(&t, "%s%s=", i ? ";" : "", attrs[i].name);
                encode(&t, (const uint8_t *)attrs[i].value, strlen(attrs[i].value), false);
        }
        if (!label)
                return;
        add(&t, ";id=");
        encode(&t, id, 1, true);
        add(&t, ";object=");
        encode(&t, (const uint8_t *)label, strlen(label), false);
        add(&t, ";type=%s", type);
}
