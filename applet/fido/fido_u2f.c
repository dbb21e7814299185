/* SPDX-License-Identifier: Apache-2.0 */
/* U2F (CTAP1) over ISO 7816: REGISTER, AUTHENTICATE (P1 03 enforce presence, 07 check only,
 * 08 no presence), VERSION. Key handles are credential ids (fido_crypto.c) bound to the
 * application parameter; presence is the card's touch (a command runs once it is given). */
#include "fido_internal.h"

#include "fido_crypto.h"
#include "sw.h"

#include <string.h>

#define U2F_REGISTER     0x01
#define U2F_AUTHENTICATE 0x02
#define U2F_VERSION      0x03
#define U2F_ENFORCE      0x03
#define U2F_CHECK_ONLY   0x07
#define U2F_DONT_ENFORCE 0x08

uint16_t fido_u2f(struct vt_fido *f, const struct apdu *a, struct writer *out);

static uint16_t reg(struct vt_fido *f, struct reader in, struct writer *out)
{
        const uint8_t *chal, *app;
        uint8_t id[FIDO_CRED_ID_MAX], pub[65], msg[1 + 32 + 32 + FIDO_CRED_ID_MAX + 65];
        uint8_t sig[160];
        size_t id_len, sig_len = sizeof(sig);
        struct fido_key k = {.alg = FIDO_ALG_ES256, .cred_protect = 1};
        EVP_PKEY *att = NULL;
        uint16_t sw = SW_FAIL_CRYPTO; /* until it worked */
        if (rd_bytes(&in, 32, &chal) != 0 || rd_bytes(&in, 32, &app) != 0 || in.left)
                return SW_WRONG_LENGTH;
        if (!fido_u2f_present(f))
                return SW_CONDITIONS_NOT_SATISFIED;
        if (!(k.key = fido_keygen(FIDO_ALG_ES256)) || fido_ec_point(k.key, pub) != 0 ||
            fido_seal(f->st->secret, app, &k, id, &id_len) != 0 || id_len > 255)
                goto out;
        struct writer m = wr_init(msg, sizeof(msg));
        wr_u8(&m, 0);
        wr_bytes(&m, app, 32);
        wr_bytes(&m, chal, 32);
        wr_bytes(&m, id, id_len);
        wr_bytes(&m, pub, 65);
        if (m.err || !(att = fido_der_key(f->st->att_key, f->st->att_key_len)) ||
            fido_sign(att, msg, m.len, sig, &sig_len) != 0)
                goto out;
        wr_u8(out, 0x05);
        wr_bytes(out, pub, 65);
        wr_u8(out, (uint8_t)id_len);
        wr_bytes(out, id, id_len);
        wr_bytes(out, f->st->att_cert, f->st->att_cert_len);
        wr_bytes(out, sig, sig_len);
        sw = SW_OK;
out:
        EVP_PKEY_free(att);
        fido_key_clear(&k);
        return sw;
}

static uint16_t authenticate(struct vt_fido *f, uint8_t p1, struct reader in, struct writer *out)
{
        const uint8_t *chal, *app, *id;
        uint8_t l, msg[32 + 1 + 4 + 32], sig[160];
        size_t sig_len = sizeof(sig);
        struct fido_key k;
        struct vt_fido_state *next = NULL;
        uint16_t sw = SW_FAIL_CRYPTO; /* until it worked */
        if (p1 != U2F_ENFORCE && p1 != U2F_CHECK_ONLY && p1 != U2F_DONT_ENFORCE)
                return SW_INCORRECT_P1P2;
        if (rd_bytes(&in, 32, &chal) != 0 || rd_bytes(&in, 32, &app) != 0 || rd_u8(&in, &l) != 0 ||
            rd_bytes(&in, l, &id) != 0 || in.left)
                return SW_WRONG_LENGTH;
        if (fido_unseal(f->st->secret, app, id, l, &k) != 0)
                return SW_WRONG_DATA;
        if (p1 == U2F_CHECK_ONLY || k.alg != FIDO_ALG_ES256) {
                /* check-only: the key handle is ours, and a signature would need presence */
                sw = p1 == U2F_CHECK_ONLY ? SW_CONDITIONS_NOT_SATISFIED : SW_WRONG_DATA;
                goto out;
        }
        if (p1 == U2F_ENFORCE && !fido_u2f_present(f)) {
                sw = SW_CONDITIONS_NOT_SATISFIED;
                goto out;
        }
        if (!(next = fido_state_clone(f->st)))
                goto out;
        next->counter++;
        uint8_t flags = p1 == U2F_ENFORCE ? 0x01 : 0x00;
        struct writer m = wr_init(msg, sizeof(msg));
        wr_bytes(&m, app, 32);
        wr_u8(&m, flags);
        wr_u16(&m, (uint16_t)(next->counter >> 16));
        wr_u16(&m, (uint16_t)next->counter);
        wr_bytes(&m, chal, 32);
        if (m.err || fido_sign(k.key, msg, m.len, sig, &sig_len) != 0 || fido_commit(f, next) != 0)
                goto out;
        wr_bytes(out, msg + 32, 5);
        wr_bytes(out, sig, sig_len);
        sw = SW_OK;
out:
        fido_state_free(next);
        fido_key_clear(&k);
        return sw;
}

uint16_t fido_u2f(struct vt_fido *f, const struct apdu *a, struct writer *out)
{
        struct reader in = rd_init(a->data, a->lc);
        switch (a->ins) {
        case U2F_REGISTER:
                return reg(f, in, out);
        case U2F_AUTHENTICATE:
                return authenticate(f, a->p1, in, out);
        case U2F_VERSION:
                if (a->lc)
                        return SW_WRONG_LENGTH;
                wr_bytes(out, "U2F_V2", 6);
                return SW_OK;
        default:
                return SW_INS_NOT_SUPPORTED;
        }
}
