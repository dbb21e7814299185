/* SPDX-License-Identifier: Apache-2.0 */
/* GENERAL AUTHENTICATE with the slot keys: every result is checked with OpenSSL against the
 * public key, as a client would. */
#include "piv_test.h"

#include "buf.h"
#include "sw.h"

#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

static void sha(const char *md, const char *msg, uint8_t *out, unsigned *len)
{
        assert_int_equal(EVP_Digest(msg, strlen(msg), out, len, EVP_get_digestbyname(md), NULL), 1);
}

/* EMSA-PKCS1-v1_5 for SHA-256, as the host builds it before a raw RSA operation. */
static void pkcs1_sha256_block(const uint8_t hash[32], uint8_t *block, size_t k)
{
        static const uint8_t prefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                         0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
        size_t t = sizeof(prefix) + 32;
        memset(block, 0xFF, k);
        block[0] = 0x00;
        block[1] = 0x01;
        block[k - t - 1] = 0x00;
        memcpy(block + k - t, prefix, sizeof(prefix));
        memcpy(block + k - 32, hash, 32);
}

static void rsa_sign_verifies(struct fixture *f, EVP_PKEY *key, uint8_t alg, uint8_t ref)
{
        uint8_t hash[64], block[512];
        unsigned hlen;
        size_t k = (size_t)EVP_PKEY_get_size(key);
        struct reader sig;
        sha("SHA256", "to be signed", hash, &hlen);
        pkcs1_sha256_block(hash, block, k);
        assert_int_equal(gen_auth(f, alg, ref, 0x81, block, k, &sig), SW_OK);
        assert_int_equal(sig.left, k);

        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
        assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
        assert_int_equal(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()), 1);
        assert_int_equal(EVP_PKEY_verify(ctx, sig.p, sig.left, hash, hlen), 1);
        EVP_PKEY_CTX_free(ctx);
}

static void test_rsa2048_sign_needs_pin_and_verifies(void **state)
{
        struct fixture *f = *state;
        uint8_t block[256] = {0};
        struct reader res;
        xfer(f, SELECT_PIV);
        assert_int_equal(gen_auth(f, 0x07, 0x9A, 0x81, block, sizeof(block), &res),
                         SW_SECURITY_STATUS_NOT_SATISFIED);
        expect(f, VERIFY_PIN, "90 00");
        rsa_sign_verifies(f, keys.rsa2048, 0x07, 0x9A);
        /* 9A is PIN once: a second signature needs no new VERIFY */
        rsa_sign_verifies(f, keys.rsa2048, 0x07, 0x9A);
        /* the answer (260 bytes) came in pieces */
        assert_true(f->apdus > 1);
}

static void test_rsa_decrypt_is_the_raw_private_operation(void **state)
{
        struct fixture *f = *state;
        static const char msg[] = "hello";
        uint8_t ct[256];
        size_t ctlen = sizeof(ct);
        struct reader pt;
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(keys.rsa2048, NULL);
        assert_int_equal(EVP_PKEY_encrypt_init(ctx), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
        assert_int_equal(EVP_PKEY_encrypt(ctx, ct, &ctlen, (const uint8_t *)msg, strlen(msg)), 1);
        EVP_PKEY_CTX_free(ctx);

        xfer(f, SELECT_PIV);
        expect(f, VERIFY_PIN, "90 00");
        assert_int_equal(gen_auth(f, 0x07, 0x9A, 0x81, ct, ctlen, &pt), SW_OK);
        /* the host removes the padding: 00 02 <random non-zero> 00 message */
        assert_int_equal(pt.left, 256);
        assert_int_equal(pt.p[0], 0x00);
        assert_int_equal(pt.p[1], 0x02);
        assert_int_equal(pt.p[256 - strlen(msg) - 1], 0x00);
        assert_memory_equal(pt.p + 256 - strlen(msg), msg, strlen(msg));
}

static void test_rsa_input_must_be_modulus_size_and_below_it(void **state)
{
        struct fixture *f = *state;
        uint8_t block[257];
        struct reader res;
        xfer(f, SELECT_PIV);
        expect(f, VERIFY_PIN, "90 00");
        memset(block, 0x01, sizeof(block));
        assert_int_equal(gen_auth(f, 0x07, 0x9A, 0x81, block, 255, &res), SW_WRONG_DATA);
        assert_int_equal(gen_auth(f, 0x07, 0x9A, 0x81, block, 257, &res), SW_WRONG_DATA);
        memset(block, 0xFF, sizeof(block));
        assert_int_equal(gen_auth(f, 0x07, 0x9A, 0x81, block, 256, &res), SW_WRONG_DATA);
}

static void test_rsa1024_short_apdu(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        expect(f, VERIFY_PIN, "90 00");
        rsa_sign_verifies(f, keys.rsa1024, 0x06, 0x84);
}

static void test_rsa3072_and_rsa4096(void **state)
{
        struct fixture *f = *state;
        EVP_PKEY *k3 = vt_key_generate(VT_ALG_RSA3072), *k4 = vt_key_generate(VT_ALG_RSA4096);
        assert_non_null(k3);
        assert_non_null(k4);
        put_key(f->img, 0x85, k3, NULL);
        put_key(f->img, 0x86, k4, NULL);
        xfer(f, SELECT_PIV);
        expect(f, VERIFY_PIN, "90 00");
        rsa_sign_verifies(f, k3, 0x05, 0x85);
        rsa_sign_verifies(f, k4, 0x16, 0x86);
        EVP_PKEY_free(k3);
        EVP_PKEY_free(k4);
}

static void ecdsa_verifies(EVP_PKEY *key, const struct reader *sig, const uint8_t *hash,
                           size_t hlen)
{
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
        assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
        assert_int_equal(EVP_PKEY_verify(ctx, sig->p, sig->left, hash, hlen), 1);
        EVP_PKEY_CTX_free(ctx);
}

static void test_9c_needs_verify_before_each_signature(void **state)
{
        struct fixture *f = *state;
        uint8_t hash[32];
        unsigned hlen;
        struct reader sig;
        sha("SHA256", "sign me", hash, &hlen);
        xfer(f, SELECT_PIV);
        assert_int_equal(gen_auth(f, 0x11, 0x9C, 0x81, hash, hlen, &sig),
                         SW_SECURITY_STATUS_NOT_SATISFIED);
        expect(f, VERIFY_PIN, "90 00");
        assert_int_equal(gen_auth(f, 0x11, 0x9C, 0x81, hash, hlen, &sig), SW_OK);
        assert_int_equal(sig.p[0], 0x30); /* DER SEQUENCE { r, s } */
        ecdsa_verifies(keys.p256, &sig, hash, hlen);
        /* the VERIFY was consumed; the PIN itself stays verified for 9A */
        assert_int_equal(gen_auth(f, 0x11, 0x9C, 0x81, hash, hlen, &sig),
                         SW_SECURITY_STATUS_NOT_SATISFIED);
        expect(f, PIN_STATUS, "90 00");
        expect(f, VERIFY_PIN, "90 00");
        assert_int_equal(gen_auth(f, 0x11, 0x9C, 0x81, hash, hlen, &sig), SW_OK);
        ecdsa_verifies(keys.p256, &sig, hash, hlen);
}

static void test_ecdsa_p384_truncates_and_pads_the_hash(void **state)
{
        struct fixture *f = *state;
        uint8_t hash[64], padded[48] = {0};
        unsigned hlen;
        struct reader sig;
        xfer(f, SELECT_PIV);
        expect(f, VERIFY_PIN, "90 00");
        sha("SHA384", "p384", hash, &hlen);
        assert_int_equal(gen_auth(f, 0x14, 0x9D, 0x81, hash, hlen, &sig), SW_OK);
        ecdsa_verifies(keys.p384, &sig, hash, hlen);
        /* SHA-512: the leftmost 48 bytes are signed */
        sha("SHA512", "p384", hash, &hlen);
        assert_int_equal(gen_auth(f, 0x14, 0x9D, 0x81, hash, hlen, &sig), SW_OK);
        ecdsa_verifies(keys.p384, &sig, hash, 48);
        /* SHA-256: left-padded with zeros to 48 bytes */
        sha("SHA256", "p384", hash, &hlen);
        memcpy(padded + 16, hash, 32);
        assert_int_equal(gen_auth(f, 0x14, 0x9D, 0x81, hash, hlen, &sig), SW_OK);
        ecdsa_verifies(keys.p384, &sig, padded, 48);
}

/* The shared secret OpenSSL computes from the peer's private key and the card's public key. */
static size_t openssl_derive(EVP_PKEY *peer, EVP_PKEY *card_key, uint8_t *out)
{
        size_t n = 256;
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(peer, NULL);
        assert_int_equal(EVP_PKEY_derive_init(ctx), 1);
        assert_int_equal(EVP_PKEY_derive_set_peer(ctx, card_key), 1);
        assert_int_equal(EVP_PKEY_derive(ctx, out, &n), 1);
        EVP_PKEY_CTX_free(ctx);
        return n;
}

static void ecdh_matches(struct fixture *f, uint8_t alg, uint8_t ref, EVP_PKEY *card_key)
{
        EVP_PKEY *peer = vt_key_generate(alg);
        uint8_t point[200], want[256];
        size_t plen;
        struct reader z;
        assert_non_null(peer);
        plen = sizeof(point);
        if (alg == VT_ALG_X25519)
                assert_int_equal(EVP_PKEY_get_raw_public_key(peer, point, &plen), 1);
        else
                assert_int_equal(EVP_PKEY_get_octet_string_param(peer,
                                                                 OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                                                 point, sizeof(point), &plen),
                                 1);
        assert_int_equal(gen_auth(f, alg, ref, 0x85, point, plen, &z), SW_OK);
        size_t n = openssl_derive(peer, card_key, want);
        assert_int_equal(z.left, n);
        assert_memory_equal(z.p, want, n);
        EVP_PKEY_free(peer);
}

static void test_ecdh_p384_and_p256(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        /* 9E is the card authentication key: no PIN */
        ecdh_matches(f, VT_ALG_P256, 0x9E, keys.p256);
        uint8_t pt[97] = {0x04};
        struct reader z;
        assert_int_equal(gen_auth(f, 0x14, 0x9D, 0x85, pt, sizeof(pt), &z),
                         SW_SECURITY_STATUS_NOT_SATISFIED);
        expect(f, VERIFY_PIN, "90 00");
        ecdh_matches(f, VT_ALG_P384, 0x9D, keys.p384);
        /* a point off the curve, a compressed point, a point of the wrong size */
        assert_int_equal(gen_auth(f, 0x14, 0x9D, 0x85, pt, sizeof(pt), &z), SW_WRONG_DATA);
        pt[0] = 0x02;
        assert_int_equal(gen_auth(f, 0x14, 0x9D, 0x85, pt, 49, &z), SW_WRONG_DATA);
        pt[0] = 0x04;
        assert_int_equal(gen_auth(f, 0x14, 0x9D, 0x85, pt, 65, &z), SW_WRONG_DATA);
}

static void test_ed25519_signature_verifies(void **state)
{
        struct fixture *f = *state;
        static const char msg[] = "an Ed25519 message of any length, signed whole";
        struct reader sig;
        xfer(f, SELECT_PIV);
        expect(f, VERIFY_PIN, "90 00");
        assert_int_equal(gen_auth(f, 0xE0, 0x82, 0x81, (const uint8_t *)msg, strlen(msg), &sig),
                         SW_OK);
        assert_int_equal(sig.left, 64);
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, keys.ed25519), 1);
        assert_int_equal(EVP_DigestVerify(ctx, sig.p, sig.left, (const uint8_t *)msg, strlen(msg)),
                         1);
        EVP_MD_CTX_free(ctx);
        /* piv-go numbers Ed25519 22 */
        assert_int_equal(gen_auth(f, 0x22, 0x82, 0x81, (const uint8_t *)msg, 3, &sig), SW_OK);
}

static void test_x25519_agreement_matches_openssl(void **state)
{
        struct fixture *f = *state;
        uint8_t zero[32] = {0};
        struct reader z;
        xfer(f, SELECT_PIV);
        expect(f, VERIFY_PIN, "90 00");
        ecdh_matches(f, VT_ALG_X25519, 0x83, keys.x25519);
        /* a low-order peer key gives an all-zero secret, which is refused */
        assert_int_equal(gen_auth(f, 0xE1, 0x83, 0x85, zero, 32, &z), SW_WRONG_DATA);
        assert_int_equal(gen_auth(f, 0xE1, 0x83, 0x85, zero, 31, &z), SW_WRONG_DATA);
}

static void test_wrong_algorithm_slot_or_template(void **state)
{
        struct fixture *f = *state;
        uint8_t data[32] = {1};
        struct reader res;
        xfer(f, SELECT_PIV);
        expect(f, VERIFY_PIN, "90 00");
        /* P1 is not the slot's algorithm: 6A80 as a YubiKey (ykman's check_key reads it as
         * "another key"); P2 is no key: 6A86 */
        assert_int_equal(gen_auth(f, 0x11, 0x9A, 0x81, data, 32, &res), SW_WRONG_DATA);
        assert_int_equal(gen_auth(f, 0x07, 0x9D, 0x81, data, 32, &res), SW_WRONG_DATA);
        assert_int_equal(gen_auth(f, 0x11, 0x80, 0x81, data, 32, &res), SW_INCORRECT_P1P2);
        assert_int_equal(gen_auth(f, 0x11, 0xF9, 0x81, data, 32, &res), SW_INCORRECT_P1P2);
        /* an empty slot: 6A80 too, as a YubiKey */
        assert_int_equal(gen_auth(f, 0x11, 0x90, 0x81, data, 32, &res), SW_WRONG_DATA);
        /* an operation the key cannot do */
        assert_int_equal(gen_auth(f, 0xE1, 0x83, 0x81, data, 32, &res), SW_WRONG_DATA);
        assert_int_equal(gen_auth(f, 0xE0, 0x82, 0x85, data, 32, &res), SW_WRONG_DATA);
        assert_int_equal(gen_auth(f, 0x07, 0x9A, 0x85, data, 32, &res), SW_WRONG_DATA);
        /* broken templates */
        expect(f, "00 87 11 9E 00", "6A 80");
        expect(f, "00 87 11 9E 04 7C 02 82 00", "6A 80");
        expect(f, "00 87 11 9E 06 7C 04 82 00 82 00", "6A 80");
        expect(f, "00 87 11 9E 06 7C 05 82 00 81 01", "6A 80");
        expect(f, "00 87 11 9E 08 7C 06 82 00 81 00 99 00", "6A 80");
        expect(f, "00 87 11 9E 07 7C 03 82 00 81 01 01 00", "6A 80");
        expect(f, "00 87 11 9E 07 7C 05 82 01 00 81 00 00", "6A 80");
}

static void test_random_challenge_for_pkcs11_tool(void **state)
{
        struct fixture *f = *state;
        uint8_t first[8];
        xfer(f, SELECT_PIV);
        assert_int_equal(xfer(f, "00 87 00 9B 04 7C 02 81 00 00"), SW_OK);
        assert_int_equal(f->resp_len, 12);
        assert_memory_equal(f->resp, "\x7C\x0A\x81\x08", 4);
        memcpy(first, f->resp + 4, 8);
        assert_int_equal(xfer(f, "00 87 00 9B 04 7C 02 81 00 00"), SW_OK);
        assert_memory_not_equal(f->resp + 4, first, 8);
        /* with an AES management key too */
        vt_piv_of(f->img)->mgm_alg = VT_ALG_AES128;
        vt_piv_of(f->img)->mgm_key_len = 16;
        assert_int_equal(xfer(f, "00 87 00 9B 04 7C 02 81 00 00"), SW_OK);
        assert_int_equal(f->resp_len, 12);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            T(test_rsa2048_sign_needs_pin_and_verifies),
            T(test_rsa_decrypt_is_the_raw_private_operation),
            T(test_rsa_input_must_be_modulus_size_and_below_it),
            T(test_rsa1024_short_apdu),
            T(test_rsa3072_and_rsa4096),
            T(test_9c_needs_verify_before_each_signature),
            T(test_ecdsa_p384_truncates_and_pads_the_hash),
            T(test_ecdh_p384_and_p256),
            T(test_ed25519_signature_verifies),
            T(test_x25519_agreement_matches_openssl),
            T(test_wrong_algorithm_slot_or_template),
            T(test_random_challenge_for_pkcs11_tool),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
