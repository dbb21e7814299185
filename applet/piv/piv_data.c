/* SPDX-License-Identifier: Apache-2.0 */
/* PIV data objects: GET DATA and PUT DATA (SP 800-73-4 part 2, 3.1.2 and 3.3.2). Certificates
 * live in their slots; the discovery object, CHUID, CCC and key history are made from the
 * image when no object was written in their place; any other object is kept as written, and so
 * is a certificate object that is no plain certificate (put_cert). */
#include "piv_internal.h"

#include <openssl/x509.h>

#include <stdlib.h>
#include <string.h>

#define TAG_CERT      0x70
#define TAG_CERT_INFO 0x71
#define TAG_EDC       0xFE

#define OBJ_DISCOVERY   0x7E
#define OBJ_CCC         0x5FC107
#define OBJ_CHUID       0x5FC102
#define OBJ_KEY_HISTORY 0x5FC10C

/* SP 800-73-4's test FASC-N (agency 9999): OpenSC then takes the token serial from the GUID. */
static const uint8_t test_fascn[25] = {0xD4, 0xE7, 0x39, 0xDA, 0x73, 0x9C, 0xED, 0x39, 0xCE,
                                       0x73, 0x9D, 0x83, 0x68, 0x58, 0x21, 0x08, 0x42, 0x10,
                                       0x84, 0x21, 0xC8, 0x42, 0x10, 0xC3, 0xEB};

static void write_discovery(struct writer *out)
{
        static const uint8_t policy[] = {0x40, 0x00}; /* PIN is the application PIN */
        size_t m = wr_open(out, OBJ_DISCOVERY);
        wr_tlv(out, 0x4F, piv_aid, sizeof(piv_aid));
        wr_tlv(out, 0x5F2F, policy, sizeof(policy));
        wr_close(out, m);
}

static void write_chuid(const struct vt_image *img, struct writer *out)
{
        static const uint8_t expiry[] = "20991231";
        size_t m = wr_open(out, TAG_DATA);
        wr_tlv(out, 0x30, test_fascn, sizeof(test_fascn));
        wr_tlv(out, 0x34, img->guid, sizeof(img->guid));
        wr_tlv(out, 0x35, expiry, 8);
        wr_tlv(out, 0x3E, NULL, 0); /* issuer signature: none */
        wr_tlv(out, TAG_EDC, NULL, 0);
        wr_close(out, m);
}

/* Card Capability Container (SP 800-73-4 part 1, table 8). */
static void write_ccc(const struct vt_image *img, struct writer *out)
{
        static const uint8_t gsc_rid[] = {0xA0, 0x00, 0x00, 0x01, 0x16, 0xFF, 0x01};
        uint8_t card_id[21];
        memcpy(card_id, gsc_rid, sizeof(gsc_rid));
        memcpy(card_id + sizeof(gsc_rid), img->guid, sizeof(card_id) - sizeof(gsc_rid));
        static const uint8_t v21 = 0x21, v00 = 0x00, v10 = 0x10;
        size_t m = wr_open(out, TAG_DATA);
        wr_tlv(out, 0xF0, card_id, sizeof(card_id));
        wr_tlv(out, 0xF1, &v21, 1); /* container version */
        wr_tlv(out, 0xF2, &v21, 1); /* grammar version */
        wr_tlv(out, 0xF3, NULL, 0);
        wr_tlv(out, 0xF4, &v00, 1); /* PKCS#15: no */
        wr_tlv(out, 0xF5, &v10, 1); /* data model: PIV */
        for (uint32_t t = 0xF6; t <= 0xFD; t++)
                if (t != 0xF8 && t != 0xF9)
                        wr_tlv(out, t, NULL, 0);
        wr_tlv(out, TAG_EDC, NULL, 0);
        wr_close(out, m);
}

/* Key history: keysWithOnCardCerts, which readers such as OpenSC take as "retired keys 1..N
 * may have a certificate": the number of the last retired slot that has one (SP 800-73-4 fills
 * them in order; a card with only 95 filled still shows it). */
static void write_key_history(struct vt_piv *p, struct writer *out)
{
        uint8_t on_card = 0, off_card = 0;
        for (size_t i = 0; i < VT_SLOTS; i++) {
                const struct vt_slot *s = &p->st->slots[i];
                uint8_t n = (uint8_t)(s->ref - VT_PIV_RETIRED_FIRST + 1);
                if (s->ref >= VT_PIV_RETIRED_FIRST && s->ref <= VT_PIV_RETIRED_LAST && s->cert &&
                    n > on_card)
                        on_card = n;
        }
        size_t m = wr_open(out, TAG_DATA);
        wr_tlv(out, 0xC1, &on_card, 1);
        wr_tlv(out, 0xC2, &off_card, 1);
        wr_tlv(out, TAG_EDC, NULL, 0);
        wr_close(out, m);
}

static void write_cert(const uint8_t *der, size_t len, struct writer *out)
{
        static const uint8_t uncompressed = 0x00;
        size_t m = wr_open(out, TAG_DATA);
        wr_tlv(out, TAG_CERT, der, len);
        wr_tlv(out, TAG_CERT_INFO, &uncompressed, 1);
        wr_tlv(out, TAG_EDC, NULL, 0);
        wr_close(out, m);
}

uint16_t piv_get_data(struct vt_piv *p, const struct apdu *a, struct writer *out)
{
        uint32_t tag;
        struct reader rest;
        if (a->p1 != 0x3F || a->p2 != 0xFF)
                return SW_INCORRECT_P1P2;
        if (piv_parse_tag_list(a->data, a->lc, &tag, &rest) != 0 || rest.left != 0)
                return SW_WRONG_DATA;
        if (tag == OBJ_DISCOVERY) {
                write_discovery(out);
                return SW_OK;
        }
        const struct piv_object_info *info = piv_object_info(tag);
        if (info && info->pin_to_read && !p->pin_verified)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        const struct vt_object *o = vt_piv_object(p->st, tag);
        if (o) { /* a certificate object kept as written comes first */
                wr_bytes(out, o->data, o->len);
                return SW_OK;
        }
        const struct piv_slot_info *slot = piv_slot_by_cert(tag);
        if (slot) {
                const struct vt_slot *s = vt_piv_slot(p->st, slot->ref);
                if (!s || !s->cert)
                        return SW_FILE_NOT_FOUND;
                write_cert(s->cert, s->cert_len, out);
                return SW_OK;
        }
        switch (tag) {
        case OBJ_CHUID:
                write_chuid(p->img, out);
                return SW_OK;
        case OBJ_CCC:
                write_ccc(p->img, out);
                return SW_OK;
        case OBJ_KEY_HISTORY:
                write_key_history(p, out);
                return SW_OK;
        default:
                return SW_FILE_NOT_FOUND;
        }
}

/* Whether an object value is what write_cert makes of a DER certificate: 53 { 70 X.509, 71 00,
 * FE }, the certificate parsed whole. Then the slot keeps it (IMAGE/9a.crt.pem). */
static bool canonical_cert(const uint8_t *raw, size_t raw_len, struct reader value,
                           struct reader *cert)
{
        uint8_t buf[VT_CHAIN_MAX];
        struct writer w = wr_init(buf, sizeof(buf));
        if (rd_find(value, TAG_CERT, cert) != 0 || cert->left == 0)
                return false;
        const unsigned char *p = cert->p;
        X509 *x = d2i_X509(NULL, &p, (long)cert->left);
        bool whole = x && p == cert->p + cert->left;
        X509_free(x);
        write_cert(cert->p, cert->left, &w);
        return whole && !w.err && w.len == raw_len && memcmp(buf, raw, raw_len) == 0;
}

/* A certificate object holds whatever is written to it, as on a YubiKey (corrupt certificates,
 * compressed ones with CertInfo 01): a well-formed uncompressed certificate goes into the slot,
 * anything else is kept as written, as a data object that GET DATA returns first. The new form
 * is made durable before the old one goes, so an interruption leaves the old or the new value
 * readable, never none. An empty value removes both. */
static uint16_t put_cert(struct vt_piv *p, uint8_t ref, uint32_t tag, const uint8_t *raw,
                         size_t raw_len, struct reader value)
{
        struct vt_slot *s = vt_piv_slot(p->st, ref);
        struct reader cert = {0};
        uint16_t sw;
        if (!s)
                return SW_FILE_NOT_FOUND;
        bool plain = value.left > 0 && canonical_cert(raw, raw_len, value, &cert);
        bool as_written = value.left > 0 && !plain;
        if (as_written && (sw = piv_commit_object(p, tag, raw, raw_len)) != SW_OK)
                return sw;
        struct vt_slot next = *s;
        next.cert = NULL;
        next.cert_len = 0;
        if (plain) {
                if (!(next.cert = malloc(cert.left)))
                        return SW_NOT_ENOUGH_MEMORY;
                memcpy(next.cert, cert.p, cert.left);
                next.cert_len = cert.left;
        }
        if (next.cert || s->cert) {
                sw = piv_commit_slot(p, &next);
                if (sw != SW_OK) {
                        free(next.cert);
                        return sw;
                }
        }
        return as_written ? SW_OK : piv_commit_object(p, tag, NULL, 0);
}

uint16_t piv_put_data(struct vt_piv *p, const struct apdu *a)
{
        uint32_t tag, dtag;
        struct reader rest, value;
        if (a->p1 != 0x3F || a->p2 != 0xFF)
                return SW_INCORRECT_P1P2;
        if (!p->mgm_authed)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        if (piv_parse_tag_list(a->data, a->lc, &tag, &rest) != 0)
                return SW_WRONG_DATA;
        const uint8_t *raw = rest.p;
        size_t raw_len = rest.left;
        if (rd_tlv(&rest, &dtag, &value) != 0 || dtag != TAG_DATA || rest.left != 0)
                return SW_WRONG_DATA;
        if (tag == OBJ_DISCOVERY)
                return SW_INCORRECT_P1P2; /* the discovery object is the card's own */
        const struct piv_slot_info *slot = piv_slot_by_cert(tag);
        if (slot)
                return put_cert(p, slot->ref, tag, raw, raw_len, value);
        /* kept as GET DATA returns it (53 L value); an empty value deletes it */
        return piv_commit_object(p, tag, raw, value.left == 0 ? 0 : raw_len);
}
