/* SPDX-License-Identifier: Apache-2.0 */
/* GENERATE ASYMMETRIC KEY PAIR for RSA-3072 (05) and RSA-4096 (16): the answer's layout
 * 7F49 { 81 n, 82 e } with two-byte lengths, longer than one short response (61xx and GET
 * RESPONSE), the key in the slot and on disk, and a signature the public key of the answer
 * verifies. Slow: RSA-4096 key generation. */
#include "piv_test.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>

/* The public key of a GENERATE answer for RSA of `bytes` modulus bytes. */
static EVP_PKEY *rsa_from_answer(const struct fixture *f, size_t bytes)
{
        const uint8_t *p = f->resp;
        size_t body = 4 + bytes + 5; /* 81 82 LL LL n, 82 03 01 00 01 */
        uint8_t head[9] = {0x7F,          0x49, 0x82, (uint8_t)(body >> 8),
                           (uint8_t)body, 0x81, 0x82, (uint8_t)(bytes >> 8),
                           (uint8_t)bytes};
        assert_int_equal(f->resp_len, 5 + body);
        assert_memory_equal(p, head, sizeof(head));
        assert_memory_equal(p + 9 + bytes, "\x82\x03\x01\x00\x01", 5);

        BIGNUM *n = BN_bin2bn(p + 9, (int)bytes, NULL), *e = BN_bin2bn(p + 9 + bytes + 2, 3, NULL);
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n), 1);
        assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e), 1);
        OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
        EVP_PKEY *key = NULL;
        assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
        assert_int_equal(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params), 1);
        EVP_PKEY_CTX_free(ctx);
        OSSL_PARAM_free(params);
        OSSL_PARAM_BLD_free(bld);
        BN_free(n);
        BN_free(e);
        return key;
}

static void generate_and_use(struct fixture *f, uint8_t alg, uint8_t ref, size_t bytes)
{
        char cmd[64];
        uint8_t block[512] = {0, 1, 2, 3}, back[512];
        size_t blen = sizeof(back);
        struct reader res;

        snprintf(cmd, sizeof(cmd), "00 47 00 %02X 05 AC 03 80 01 %02X 00", ref, alg);
        expect_sw(f, cmd, SW_OK);
        assert_true(f->apdus > 1); /* more than 256 bytes: 61xx and GET RESPONSE */
        EVP_PKEY *pub = rsa_from_answer(f, bytes);
        const struct vt_slot *s = vt_piv_slot(vt_piv_of(f->img), ref);
        assert_int_equal(s->alg, alg);
        assert_true(s->generated);
        assert_int_equal(EVP_PKEY_eq(s->key, pub), 1);
        struct vt_image *disk = reload(f);
        assert_int_equal(vt_piv_slot(vt_piv_of(disk), ref)->alg, alg);
        assert_int_equal(EVP_PKEY_eq(vt_piv_slot(vt_piv_of(disk), ref)->key, pub), 1);
        vt_image_free(disk);

        /* the raw private operation, undone by the answer's public key */
        assert_int_equal(gen_auth(f, alg, ref, 0x81, block, bytes, &res), SW_OK);
        assert_int_equal(res.left, bytes);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
        assert_int_equal(EVP_PKEY_verify_recover_init(ctx), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING), 1);
        assert_int_equal(EVP_PKEY_verify_recover(ctx, back, &blen, res.p, res.left), 1);
        assert_int_equal(blen, bytes);
        assert_memory_equal(back, block, bytes);
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(pub);
}

static void test_generate_rsa3072_and_rsa4096(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        expect(f, VERIFY_PIN, "90 00");
        generate_and_use(f, VT_ALG_RSA3072, 0x9D, 384);
        generate_and_use(f, VT_ALG_RSA4096, 0x85, 512);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            T(test_generate_rsa3072_and_rsa4096),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
