/* SPDX-License-Identifier: Apache-2.0 */
/* What the OpenPGP tests share: a card set up by the registry from an image carrying PIV and
 * OpenPGP (as a YubiKey 5 does), committing to an in-memory store whose mirror image stands for
 * the disk; APDUs written as hex; public keys read from GENERATE's answers. */
#ifndef VT_PGP_TEST_H
#define VT_PGP_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_util.h"
#include "pgp_assert.h"

#include "buf.h"
#include "card.h"
#include "piv_state.h"
#include "openpgp.h"
#include "pgp_state.h"
#include "registry.h"
#include "store.h"
#include "sw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#define PGP_SERIAL 0x00C0FFEEu

#define SELECT_PGP "00 A4 04 00 06 D2 76 00 01 24 01"
#define SELECT_PIV "00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00"
#define VERIFY_PW1 "00 20 00 82 06 31 32 33 34 35 36"
#define VERIFY_SIG "00 20 00 81 06 31 32 33 34 35 36"
#define VERIFY_PW3 "00 20 00 83 08 31 32 33 34 35 36 37 38"
#define WRONG_PW1  "00 20 00 82 06 30 30 30 30 30 30"
#define WRONG_PW3  "00 20 00 83 08 30 30 30 30 30 30 30 30"

struct fixture {
        struct vt_image *img;    /* the live image the card works on */
        struct vt_mem_store mem; /* mem.mirror: what the disk would hold */
        struct vt_store store;
        struct vt_card card;
        uint8_t resp[VT_RAPDU_MAX];
        size_t resp_len;
        uint16_t sw;
};

static inline int setup(void **state)
{
        static const uint8_t atr[] = {0x3B, 0x80, 0x80, 0x01, 0x01};
        struct fixture *f = calloc(1, sizeof(*f));
        char err[128];
        assert_non_null(f);
        assert_non_null(f->img = vt_piv_image_new("mem"));
        memcpy(f->img->atr, atr, sizeof(atr));
        f->img->atr_len = sizeof(atr);
        assert_int_equal(
            vt_image_add_unit(f->img, &vt_unit_openpgp, pgp_state_new(0xFFFE, PGP_SERIAL)), 0);
        assert_non_null(vt_pgp_of(f->img));
        assert_non_null(f->mem.mirror = vt_image_clone(f->img));
        f->store = vt_mem_store(&f->mem);
        assert_int_equal(vt_card_setup(&f->card, f->img, &f->store, err, sizeof(err)), 0);
        vt_card_power_on(&f->card);
        *state = f;
        return 0;
}

static inline int teardown(void **state)
{
        struct fixture *f = *state;
        vt_card_release(&f->card);
        vt_image_free(f->img);
        vt_image_free(f->mem.mirror);
        free(f);
        return 0;
}

/* Sends a command, following 61xx with GET RESPONSE as scdaemon does; the final status word,
 * all response data in f->resp. */
static inline uint16_t xfer_raw(struct fixture *f, const uint8_t *cmd, size_t len)
{
        static uint8_t out[VT_RAPDU_MAX];
        uint8_t get_response[5] = {0x00, 0xC0, 0x00, 0x00, 0x00};
        f->resp_len = 0;
        for (;;) {
                size_t n = vt_card_transmit(&f->card, cmd, len, out);
                assert_true(n >= 2);
                memcpy(f->resp + f->resp_len, out, n - 2);
                f->resp_len += n - 2;
                f->sw = (uint16_t)(out[n - 2] << 8 | out[n - 1]);
                if (out[n - 2] != 0x61)
                        return f->sw;
                get_response[4] = out[n - 1];
                cmd = get_response;
                len = sizeof(get_response);
        }
}

static inline uint16_t xfer(struct fixture *f, const char *hex)
{
        static uint8_t cmd[VT_RAPDU_MAX];
        return xfer_raw(f, cmd, hex_decode(hex, cmd, sizeof(cmd)));
}

/* A command with data of any length as one extended APDU (scdaemon's way with a card whose
 * historical bytes announce extended Lc/Le). */
static inline uint16_t xfer_ext(struct fixture *f, uint8_t ins, uint8_t p1, uint8_t p2,
                                const uint8_t *data, size_t len)
{
        static uint8_t cmd[VT_CHAIN_MAX + 9];
        size_t n = 0;
        cmd[n++] = 0x00;
        cmd[n++] = ins;
        cmd[n++] = p1;
        cmd[n++] = p2;
        cmd[n++] = 0x00;
        cmd[n++] = (uint8_t)(len >> 8);
        cmd[n++] = (uint8_t)len;
        memcpy(cmd + n, data, len);
        n += len;
        cmd[n++] = 0x00;
        cmd[n++] = 0x00;
        return xfer_raw(f, cmd, n);
}

static inline void expect(struct fixture *f, const char *cmd, const char *response)
{
        uint8_t want[VT_RAPDU_MAX];
        size_t n = hex_decode(response, want, sizeof(want));
        uint16_t sw = xfer(f, cmd);
        assert_true(n >= 2);
        assert_int_equal(sw, want[n - 2] << 8 | want[n - 1]);
        assert_int_equal(f->resp_len, n - 2);
        assert_memory_equal(f->resp, want, n - 2);
}

static inline void expect_sw(struct fixture *f, const char *cmd, uint16_t sw)
{
        assert_int_equal(xfer(f, cmd), sw);
}

static inline struct vt_pgp_state *live(struct fixture *f)
{
        return vt_pgp_of(f->img);
}

static inline struct vt_pgp_state *stored(struct fixture *f)
{
        return vt_pgp_of(f->mem.mirror);
}

/* The public key of a GENERATE answer (7F49 { 81 n, 82 e } or { 86 point }). */
static inline EVP_PKEY *public_of(const uint8_t *resp, size_t len, const char *alg)
{
        const struct pgp_alg *a = pgp_alg_by_name(alg);
        struct reader r = rd_init(resp, len), body, v, e;
        uint32_t tag;
        EVP_PKEY *pk = NULL;
        assert_non_null(a);
        assert_int_equal(rd_tlv(&r, &tag, &body), 0);
        assert_int_equal(tag, 0x7F49);
        assert_int_equal(r.left, 0);
        if (a->rsa_bits) {
                assert_int_equal(rd_find(body, 0x81, &v), 0);
                assert_int_equal(rd_find(body, 0x82, &e), 0);
                OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
                BIGNUM *n = BN_bin2bn(v.p, (int)v.left, NULL),
                       *ex = BN_bin2bn(e.p, (int)e.left, NULL);
                OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
                OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, ex);
                OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
                EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
                assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
                assert_int_equal(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params), 1);
                EVP_PKEY_CTX_free(ctx);
                OSSL_PARAM_free(params);
                OSSL_PARAM_BLD_free(bld);
                BN_free(n);
                BN_free(ex);
                return pk;
        }
        assert_int_equal(rd_find(body, 0x86, &v), 0);
        if (strcmp(a->group, "ED25519") == 0 || strcmp(a->group, "X25519") == 0) {
                pk = EVP_PKEY_new_raw_public_key(
                    a->group[0] == 'E' ? EVP_PKEY_ED25519 : EVP_PKEY_X25519, NULL, v.p, v.left);
                assert_non_null(pk);
                return pk;
        }
        OSSL_PARAM params[] = {
            OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)a->group, 0),
            OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)v.p, v.left),
            OSSL_PARAM_END,
        };
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
        assert_int_equal(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params), 1);
        EVP_PKEY_CTX_free(ctx);
        return pk;
}

#endif
