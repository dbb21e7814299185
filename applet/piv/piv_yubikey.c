/* SPDX-License-Identifier: Apache-2.0 */
/* The YubiKey 5 extensions of PIV that clients rely on (yubico-piv-tool, ykman, piv-go):
 * GET VERSION, GET SERIAL, SET MANAGEMENT KEY, SET PIN RETRIES, RESET, GET METADATA, ATTEST,
 * MOVE KEY and DELETE KEY (the YubiKey management application is a card-level unit of its
 * own, applet/mgmt/).
 * What the image's firmware lacks is answered as that firmware does: GET METADATA from 5.3,
 * AES management keys from 5.4, MOVE and DELETE KEY from 5.7 (6D00 before). */
#include "piv_internal.h"

#include "attest.h"
#include "crypto.h"
#include "mgmkey.h"
#include "pin.h"

#include <openssl/crypto.h>

#include <stdio.h>
#include <string.h>

#define TAG_MD_ALG     0x01
#define TAG_MD_POLICY  0x02
#define TAG_MD_ORIGIN  0x03
#define TAG_MD_PUBLIC  0x04
#define TAG_MD_DEFAULT 0x05
#define TAG_MD_RETRIES 0x06

static uint16_t yk_version(struct vt_piv *p, struct writer *out)
{
        wr_bytes(out, p->img->version, sizeof(p->img->version));
        return SW_OK;
}

static uint16_t yk_serial(struct vt_piv *p, struct writer *out)
{
        uint32_t s = p->img->serial;
        uint8_t b[4] = {(uint8_t)(s >> 24), (uint8_t)(s >> 16), (uint8_t)(s >> 8), (uint8_t)s};
        wr_bytes(out, b, sizeof(b));
        return SW_OK;
}

static uint16_t yk_set_mgmkey(struct vt_piv *p, const struct apdu *a)
{
        struct reader r = rd_init(a->data, a->lc);
        uint8_t alg, ref, len;
        const uint8_t *key;
        struct vt_piv_state *img = p->st;
        if (a->p1 != 0xFF || (a->p2 != 0xFF && a->p2 != 0xFE))
                return SW_INCORRECT_P1P2;
        if (!p->mgm_authed)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        if (rd_u8(&r, &alg) != 0 || rd_u8(&r, &ref) != 0 || rd_u8(&r, &len) != 0 ||
            rd_bytes(&r, len, &key) != 0 || r.left != 0 || ref != REF_MGM ||
            vt_mgm_key_len(alg) != len || len > sizeof(img->mgm_key) || !vt_fw_has_alg(p->img, alg))
                return SW_WRONG_DATA;
        struct vt_piv_state next = *img;
        next.mgm_alg = alg;
        next.mgm_touch = a->p2 == 0xFE ? VT_TOUCH_ALWAYS : VT_TOUCH_NEVER;
        memcpy(next.mgm_key, key, len);
        next.mgm_key_len = len;
        uint16_t sw = piv_commit_secrets(p, &next);
        OPENSSL_cleanse(&next, sizeof(next));
        return sw;
}

static void reset_secret(struct vt_secret *s, const char *value, uint8_t tries)
{
        uint8_t padded[VT_PIN_FIELD];
        vt_pin_pad(value, padded);
        vt_secret_set(s, padded);
        s->max_tries = s->tries_left = tries;
        OPENSSL_cleanse(padded, sizeof(padded));
}

static bool secret_is(const struct vt_secret *s, const char *value)
{
        uint8_t padded[VT_PIN_FIELD];
        vt_pin_pad(value, padded);
        return vt_secret_matches(s, padded);
}

/* FA and FB give the PIN the YubiKey's default, 123456. A card whose PIN policy that value
 * violates (the e-Cert profile's strong policy) refuses both: the e-Cert token has neither a
 * reset nor settable tries, and its holder revokes the certificate and gets a new token
 * (`vtoken init --force`) instead. */
static bool defaults_allowed(const struct vt_piv_state *img)
{
        uint8_t padded[VT_PIN_FIELD];
        vt_pin_pad(VT_PIV_DEFAULT_PIN, padded);
        return vt_pin_acceptable(&img->pin_rules, padded);
}

/* SET PIN RETRIES: P1 PIN tries, P2 PUK tries; PIN and PUK go back to the defaults. */
static uint16_t yk_set_retries(struct vt_piv *p, const struct apdu *a)
{
        struct vt_piv_state *img = p->st;
        if (!p->mgm_authed || !p->pin_verified)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        if (a->p1 < 1 || a->p1 > VT_PIV_TRIES_MAX || a->p2 < 1 || a->p2 > VT_PIV_TRIES_MAX)
                return SW_INCORRECT_P1P2;
        if (!defaults_allowed(img))
                return SW_CONDITIONS_NOT_SATISFIED;
        struct vt_piv_state next = *img;
        reset_secret(&next.pin, VT_PIV_DEFAULT_PIN, a->p1);
        reset_secret(&next.puk, VT_PIV_DEFAULT_PUK, a->p2);
        uint16_t sw = piv_commit_secrets(p, &next);
        OPENSSL_cleanse(&next, sizeof(next));
        if (sw == SW_OK)
                p->pin_verified = p->pin_fresh = false;
        return sw;
}

/* RESET: only a card whose PIN and PUK are both blocked, and whose policy allows the default
 * PIN (see defaults_allowed); every key, certificate and object goes (the attestation key
 * stays), PIN, PUK and management key return to the YubiKey's defaults: 123456 and 12345678
 * with 3 tries each, 010203...08 (3DES; AES-192 from firmware 5.7). */
static uint16_t yk_reset(struct vt_piv *p)
{
        struct vt_piv_state *img = p->st;
        uint16_t sw = SW_OK;
        if (img->pin.tries_left != 0 || img->puk.tries_left != 0 || !defaults_allowed(img))
                return SW_CONDITIONS_NOT_SATISFIED;
        piv_clear_security(p);
        for (size_t i = 0; i < VT_SLOTS && sw == SW_OK; i++) {
                const struct vt_slot *s = &img->slots[i];
                if (s->ref == REF_ATTEST || (!s->key && !s->cert))
                        continue;
                const struct vt_slot empty = {.ref = s->ref};
                sw = piv_commit_slot(p, &empty);
        }
        while (img->n_objects > 0 && sw == SW_OK)
                sw = piv_commit_object(p, img->objects[img->n_objects - 1].tag, NULL, 0);
        /* the default PIN only once no key is left on disk for it to open; a failure leaves a
         * partly reset image with PIN and PUK still blocked, and the card says so */
        if (sw != SW_OK)
                return sw;
        struct vt_piv_state next = *img;
        reset_secret(&next.pin, VT_PIV_DEFAULT_PIN, VT_PIV_DEFAULT_TRIES);
        reset_secret(&next.puk, VT_PIV_DEFAULT_PUK, VT_PIV_DEFAULT_TRIES);
        next.mgm_alg = vt_default_mgm_alg(p->img);
        memcpy(next.mgm_key, vt_piv_default_mgm_key, sizeof(vt_piv_default_mgm_key));
        next.mgm_key_len = sizeof(vt_piv_default_mgm_key);
        next.mgm_touch = VT_TOUCH_DEFAULT;
        sw = piv_commit_secrets(p, &next);
        OPENSSL_cleanse(&next, sizeof(next));
        return sw;
}

static void write_policy(struct writer *out, uint8_t pin, uint8_t touch)
{
        const uint8_t v[2] = {pin, touch};
        wr_tlv(out, TAG_MD_POLICY, v, sizeof(v));
}

static uint16_t metadata_secret(const struct vt_secret *s, const char *dflt, struct writer *out)
{
        const uint8_t alg = 0xFF, is_default = secret_is(s, dflt);
        const uint8_t retries[2] = {s->max_tries, s->tries_left};
        wr_tlv(out, TAG_MD_ALG, &alg, 1);
        wr_tlv(out, TAG_MD_DEFAULT, &is_default, 1);
        wr_tlv(out, TAG_MD_RETRIES, retries, sizeof(retries));
        return SW_OK;
}

/* GET METADATA (P2 a reference): what ykman shows in `piv info`. A reference that is no key,
 * or a slot without one, is 6A88, as a YubiKey answers (ykman 5.6 reads it as "empty"). */
static uint16_t yk_metadata(struct vt_piv *p, const struct apdu *a, struct writer *out)
{
        struct vt_piv_state *img = p->st;
        if (!vt_fw_at_least(p->img, 5, 3))
                return SW_INS_NOT_SUPPORTED;
        if (a->p1 != 0x00)
                return SW_INCORRECT_P1P2;
        if (a->p2 == REF_PIN)
                return metadata_secret(&img->pin, VT_PIV_DEFAULT_PIN, out);
        if (a->p2 == REF_PUK)
                return metadata_secret(&img->puk, VT_PIV_DEFAULT_PUK, out);
        if (a->p2 == REF_MGM) {
                const uint8_t is_default = vt_mgm_key_is_default(p->img, img);
                wr_tlv(out, TAG_MD_ALG, &img->mgm_alg, 1);
                /* PIN policy 00, as a YubiKey answers (Yubico's APDU reference) */
                write_policy(out, VT_PIN_DEFAULT,
                             img->mgm_touch == VT_TOUCH_ALWAYS ? VT_TOUCH_ALWAYS : VT_TOUCH_NEVER);
                wr_tlv(out, TAG_MD_DEFAULT, &is_default, 1);
                return SW_OK;
        }
        struct vt_slot *s = vt_piv_slot(img, a->p2);
        if (!s || !s->key)
                return SW_REFERENCE_NOT_FOUND;
        const uint8_t origin = s->generated ? 0x01 : 0x02;
        wr_tlv(out, TAG_MD_ALG, &s->alg, 1);
        write_policy(out, piv_pin_policy(s), piv_touch_policy(s));
        wr_tlv(out, TAG_MD_ORIGIN, &origin, 1);
        return vt_crypto_write_public(s->key, TAG_MD_PUBLIC, out) == 0 ? SW_OK : SW_FAIL_ENCODE;
}

/* ATTEST (P1 the slot): a certificate for the slot's key, generated on the card, issued by the
 * attestation key. */
static uint16_t yk_attest(struct vt_piv *p, const struct apdu *a, struct writer *out)
{
        struct vt_slot *s = piv_key_slot(p, a->p1);
        struct vt_slot *f9 = vt_piv_slot(p->st, REF_ATTEST);
        uint8_t *der;
        size_t len;
        if (!s || a->p2 != 0x00)
                return SW_INCORRECT_P1P2;
        if (!s->key || !f9 || !f9->key || !f9->cert)
                return SW_FILE_NOT_FOUND;
        if (!s->generated)
                return SW_WRONG_DATA; /* as a YubiKey: only a key made on the card is attested */
        if (vt_attest(p->img, f9, s, piv_pin_policy(s), piv_touch_policy(s), &der, &len) != 0)
                return SW_FAIL_CRYPTO;
        wr_bytes(out, der, len);
        OPENSSL_free(der);
        return SW_OK;
}

/* MOVE KEY (P1 the slot to, P2 the slot from) and DELETE KEY (P1 FF, P2 the slot), 5.7: the key
 * goes with its policies and origin; certificates stay where they are. A key moved onto another
 * replaces it. The destination is made durable first, so an interruption leaves the key in
 * both slots, never in none. */
static uint16_t yk_move_key(struct vt_piv *p, const struct apdu *a)
{
        struct vt_slot *from = piv_key_slot(p, a->p2);
        struct vt_slot *to = a->p1 == 0xFF ? NULL : piv_key_slot(p, a->p1);
        if (!vt_fw_at_least(p->img, 5, 7))
                return SW_INS_NOT_SUPPORTED;
        if (!from || (a->p1 != 0xFF && (!to || to == from)))
                return SW_INCORRECT_P1P2;
        if (!p->mgm_authed)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        if (!from->key)
                return SW_REFERENCE_NOT_FOUND;
        if (to) {
                struct vt_slot next = *from;
                next.ref = to->ref;
                /* the policies the key has, not the slot's defaults: 9C's PIN-always key stays
                 * PIN-always in 9A, as GET METADATA of a YubiKey shows */
                next.pin_policy = piv_pin_policy(from);
                next.touch_policy = piv_touch_policy(from);
                next.cert = to->cert;
                next.cert_len = to->cert_len;
                if (EVP_PKEY_up_ref(from->key) != 1)
                        return SW_FAIL_STATE;
                uint16_t sw = piv_commit_slot(p, &next);
                if (sw != SW_OK) {
                        EVP_PKEY_free(next.key);
                        return sw;
                }
        }
        const struct vt_slot empty = {
            .ref = from->ref, .cert = from->cert, .cert_len = from->cert_len};
        return piv_commit_slot(p, &empty);
}

uint16_t piv_yk_process(struct vt_piv *p, const struct apdu *a, struct writer *out)
{
        switch (a->ins) {
        case INS_YK_GET_VERSION:
                return yk_version(p, out);
        case INS_YK_GET_SERIAL:
                return yk_serial(p, out);
        case INS_YK_SET_MGMKEY:
                return yk_set_mgmkey(p, a);
        case INS_YK_SET_RETRIES:
                return yk_set_retries(p, a);
        case INS_YK_RESET:
                return yk_reset(p);
        case INS_YK_METADATA:
                return yk_metadata(p, a, out);
        case INS_YK_ATTEST:
                return yk_attest(p, a, out);
        case INS_YK_MOVE_KEY:
                return yk_move_key(p, a);
        default:
                return SW_INS_NOT_SUPPORTED;
        }
}
