/* SPDX-License-Identifier: Apache-2.0 */
/* Key management, with the management key: GENERATE ASYMMETRIC KEY PAIR (SP 800-73-4 3.3.2) and
 * the YubiKey's IMPORT KEY. A new key replaces the slot's only once it is durable; GENERATE
 * builds its answer before it commits, so an answer that cannot be built changes nothing. */
#include "piv_internal.h"

#include "keygen.h"
#include "key_import.h"

#define TAG_GEN_TMPL   0xAC
#define TAG_GEN_ALG    0x80
#define TAG_PUBLIC_KEY 0x7F49

/* Puts a new key into a slot (its certificate stays), durably; the key is freed on failure. */
static uint16_t install_key(struct vt_piv *p, const struct vt_slot *s, EVP_PKEY *key, uint8_t alg,
                            uint8_t pin, uint8_t touch, bool generated)
{
        struct vt_slot next = *s;
        next.key = key;
        next.alg = alg;
        next.pin_policy = pin;
        next.touch_policy = touch;
        next.generated = generated;
        uint16_t sw = piv_commit_slot(p, &next);
        if (sw != SW_OK)
                EVP_PKEY_free(key);
        return sw;
}

int piv_generate_alg(const struct apdu *a, struct reader *tmpl, uint8_t *alg)
{
        struct reader r = rd_init(a->data, a->lc), v;
        uint32_t tag;
        if (rd_tlv(&r, &tag, tmpl) != 0 || tag != TAG_GEN_TMPL || r.left != 0 ||
            rd_find(*tmpl, TAG_GEN_ALG, &v) != 0 || v.left != 1 || rd_u8(&v, alg) != 0)
                return -1;
        *alg = piv_key_alg(*alg);
        return 0;
}

uint16_t piv_generate(struct vt_piv *p, const struct apdu *a, struct writer *out)
{
        struct vt_slot *s = piv_key_slot(p, a->p2);
        if (a->p1 != 0x00 || !s)
                return SW_INCORRECT_P1P2;
        if (!p->mgm_authed)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        struct reader tmpl;
        uint8_t alg = 0;
        bool bad = false;
        if (piv_generate_alg(a, &tmpl, &alg) != 0)
                return SW_WRONG_DATA;
        uint8_t pin = piv_policy_byte(tmpl, TAG_PIN_POLICY, VT_PIN_ALWAYS, &bad);
        uint8_t touch = piv_policy_byte(tmpl, TAG_TOUCH, VT_TOUCH_CACHED, &bad);
        if (bad || !vt_alg_is_key(alg) || !vt_fw_has_alg(p->img, alg))
                return SW_WRONG_DATA;
        EVP_PKEY *key = vt_key_generate(alg);
        if (!key)
                return SW_FAIL_KEYGEN;
        if (vt_crypto_write_public(key, TAG_PUBLIC_KEY, out) != 0 || out->err) {
                EVP_PKEY_free(key);
                return SW_FAIL_ENCODE;
        }
        return install_key(p, s, key, alg, pin, touch, true);
}

/* IMPORT KEY: P1 algorithm, P2 slot, the key's parts as TLVs (chained). */
uint16_t piv_import(struct vt_piv *p, const struct apdu *a)
{
        struct vt_slot *s = piv_key_slot(p, a->p2);
        struct reader data = rd_init(a->data, a->lc);
        bool bad = false;
        uint8_t alg = piv_key_alg(a->p1);
        if (!s || !vt_alg_is_key(alg) || !vt_fw_has_alg(p->img, alg))
                return SW_INCORRECT_P1P2;
        if (!p->mgm_authed)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        uint8_t pin = piv_policy_byte(data, TAG_PIN_POLICY, VT_PIN_ALWAYS, &bad);
        uint8_t touch = piv_policy_byte(data, TAG_TOUCH, VT_TOUCH_CACHED, &bad);
        EVP_PKEY *key = bad ? NULL : vt_key_import(alg, data);
        if (!key)
                return SW_WRONG_DATA;
        return install_key(p, s, key, alg, pin, touch, false);
}
