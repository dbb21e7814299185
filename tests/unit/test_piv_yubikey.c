/* SPDX-License-Identifier: Apache-2.0 */
/* The YubiKey extensions yubico-piv-tool and ykman use: IMPORT KEY (FE), SET PIN RETRIES (FA),
 * RESET (FB), GET METADATA (F7), ATTEST (F9). */
#include "piv_test.h"

#include <openssl/core_names.h>

static bool secret_is_value(const struct vt_secret *s, const char *value)
{
        uint8_t padded[8];
        vt_pin_pad(value, padded);
        return vt_secret_matches(s, padded);
}

static size_t bn_param(EVP_PKEY *key, const char *name, uint8_t *out, size_t width)
{
        BIGNUM *bn = NULL;
        assert_int_equal(EVP_PKEY_get_bn_param(key, name, &bn), 1);
        assert_true(BN_bn2binpad(bn, out, (int)width) == (int)width);
        BN_clear_free(bn);
        return width;
}

/* Signs a hash with the card's slot and checks it with key's public half. */
static void card_signs_for(struct fixture *f, EVP_PKEY *key, uint8_t alg, uint8_t ref)
{
        uint8_t hash[32] = {1, 2, 3};
        struct reader sig;
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
        assert_int_equal(gen_auth(f, alg, ref, 0x81, hash, sizeof(hash), &sig), SW_OK);
        assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
        assert_int_equal(EVP_PKEY_verify(ctx, sig.p, sig.left, hash, sizeof(hash)), 1);
        EVP_PKEY_CTX_free(ctx);
}

static void test_import_p256_with_policies(void **state)
{
        struct fixture *f = *state;
        EVP_PKEY *key = vt_key_generate(VT_ALG_P256);
        uint8_t cmd[64], d[32];
        struct writer w = wr_init(cmd, sizeof(cmd));
        wr_tlv(&w, 0x06, d, bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, d, 32));
        wr_tlv(&w, 0xAA, "\x01", 1); /* PIN never */
        wr_tlv(&w, 0xAB, "\x01", 1);
        xfer(f, SELECT_PIV);
        assert_int_equal(xfer_chained(f, 0xFE, 0x11, 0x9A, cmd, w.len),
                         SW_SECURITY_STATUS_NOT_SATISFIED);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        assert_int_equal(xfer_chained(f, 0xFE, 0x11, 0x9A, cmd, w.len), SW_OK);
        const struct vt_slot *s = vt_piv_slot(vt_piv_of(f->img), 0x9A);
        assert_int_equal(s->alg, VT_ALG_P256);
        assert_false(s->generated);
        assert_int_equal(s->pin_policy, VT_PIN_NEVER);
        assert_int_equal(EVP_PKEY_eq(s->key, key), 1);
        card_signs_for(f, key, 0x11, 0x9A); /* PIN never: no VERIFY */
        struct vt_image *disk = reload(f);
        assert_int_equal(EVP_PKEY_eq(vt_piv_slot(vt_piv_of(disk), 0x9A)->key, key), 1);
        vt_image_free(disk);
        EVP_PKEY_free(key);
}

/* The RSA IMPORT KEY data ykpiv sends: p, q, dp, dq, qinv, each of half the modulus size. */
static size_t rsa_import_data(EVP_PKEY *key, size_t half, uint8_t *out, size_t cap)
{
        static const char *const names[] = {
            OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_EXPONENT1,
            OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
        struct writer w = wr_init(out, cap);
        uint8_t v[256];
        for (int i = 0; i < 5; i++)
                wr_tlv(&w, (uint32_t)(i + 1), v, bn_param(key, names[i], v, half));
        assert_false(w.err);
        return w.len;
}

static void test_import_rsa2048_and_wrong_size(void **state)
{
        struct fixture *f = *state;
        uint8_t cmd[2048];
        size_t n = rsa_import_data(keys.rsa1024, 64, cmd, sizeof(cmd));
        EVP_PKEY *before = vt_piv_slot(vt_piv_of(f->img), 0x9D)->key;
        xfer(f, SELECT_PIV);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        /* RSA-1024 primes announced as RSA-2048 */
        assert_int_equal(xfer_chained(f, 0xFE, 0x07, 0x9D, cmd, n), SW_WRONG_DATA);
        assert_ptr_equal(vt_piv_slot(vt_piv_of(f->img), 0x9D)->key, before);
        /* an unknown algorithm, a reference that is no key */
        assert_int_equal(xfer_chained(f, 0xFE, 0x03, 0x9D, cmd, n), SW_INCORRECT_P1P2);
        assert_int_equal(xfer_chained(f, 0xFE, 0x06, 0x9B, cmd, n), SW_INCORRECT_P1P2);

        n = rsa_import_data(keys.rsa2048, 128, cmd, sizeof(cmd));
        assert_int_equal(xfer_chained(f, 0xFE, 0x07, 0x9D, cmd, n), SW_OK);
        assert_int_equal(EVP_PKEY_eq(vt_piv_slot(vt_piv_of(f->img), 0x9D)->key, keys.rsa2048), 1);
        expect(f, VERIFY_PIN, "90 00");
        /* a raw RSA operation the public key undoes */
        uint8_t block[256] = {0, 1, 2, 3}, back[256];
        struct reader sig;
        size_t blen = sizeof(back);
        assert_int_equal(gen_auth(f, 0x07, 0x9D, 0x81, block, 256, &sig), SW_OK);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(keys.rsa2048, NULL);
        assert_int_equal(EVP_PKEY_verify_recover_init(ctx), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING), 1);
        assert_int_equal(EVP_PKEY_verify_recover(ctx, back, &blen, sig.p, sig.left), 1);
        assert_memory_equal(back, block, 256);
        EVP_PKEY_CTX_free(ctx);
}

static void test_import_ed25519_and_x25519(void **state)
{
        struct fixture *f = *state;
        uint8_t raw[32], cmd[40];
        size_t len = sizeof(raw);
        xfer(f, SELECT_PIV);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        assert_int_equal(EVP_PKEY_get_raw_private_key(keys.ed25519, raw, &len), 1);
        struct writer w = wr_init(cmd, sizeof(cmd));
        wr_tlv(&w, 0x07, raw, 32);
        assert_int_equal(xfer_chained(f, 0xFE, 0xE0, 0x95, cmd, w.len), SW_OK);
        assert_int_equal(EVP_PKEY_eq(vt_piv_slot(vt_piv_of(f->img), 0x95)->key, keys.ed25519), 1);
        len = sizeof(raw);
        assert_int_equal(EVP_PKEY_get_raw_private_key(keys.x25519, raw, &len), 1);
        w = wr_init(cmd, sizeof(cmd));
        wr_tlv(&w, 0x08, raw, 32);
        assert_int_equal(xfer_chained(f, 0xFE, 0xE1, 0x94, cmd, w.len), SW_OK);
        assert_int_equal(EVP_PKEY_eq(vt_piv_slot(vt_piv_of(f->img), 0x94)->key, keys.x25519), 1);
        /* 31 bytes is no X25519 key */
        w = wr_init(cmd, sizeof(cmd));
        wr_tlv(&w, 0x08, raw, 31);
        assert_int_equal(xfer_chained(f, 0xFE, 0xE1, 0x94, cmd, w.len), SW_WRONG_DATA);
}

static void test_set_pin_retries(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        expect(f, "00 FA 05 04", "69 82"); /* needs the PIN too */
        expect(f, VERIFY_PIN, "90 00");
        expect(f, "00 FA 00 04", "6A 86");
        expect(f, "00 FA 05 10", "6A 86");
        expect(f, "00 FA 05 04", "90 00");
        expect(f, PIN_STATUS, "63 C5");
        assert_int_equal(vt_piv_of(f->img)->puk.max_tries, 4);
        struct vt_image *disk = reload(f);
        assert_int_equal(vt_piv_of(disk)->pin.max_tries, 5);
        assert_int_equal(vt_piv_of(disk)->puk.tries_left, 4);
        vt_image_free(disk);
        expect(f, VERIFY_PIN, "90 00");
}

static void test_reset_only_when_pin_and_puk_are_blocked(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        expect(f, "00 FB 00 00", "69 85");
        for (int i = 0; i < 3; i++)
                xfer(f, VERIFY_WRONG);
        expect(f, "00 FB 00 00", "69 85"); /* the PUK still works */
        assert_non_null(vt_piv_slot(vt_piv_of(f->img), 0x9A)->key);
        for (int i = 0; i < 3; i++)
                xfer(f, "00 24 00 81 10 30 30 30 30 30 30 30 30 30 30 30 30 30 30 30 30");
        assert_int_equal(
            vt_piv_set_object(vt_piv_of(f->img), 0x5FC109, (const uint8_t *)"\x53\x01\x00", 3), 0);
        vt_piv_of(f->img)->mgm_key[0] = 0x55;
        sync_mirror(f);
        expect(f, "00 FB 00 00", "90 00");

        expect(f, PIN_STATUS, "63 C3");
        expect(f, VERIFY_PIN, "90 00");
        expect(f, "00 24 00 81 10 31 32 33 34 35 36 37 38 31 32 33 34 35 36 37 38", "90 00");
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 05 00", "6A 82");
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 09 00", "6A 82");
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        struct vt_image *disk = reload(f);
        assert_null(vt_piv_slot(vt_piv_of(disk), 0x9A)->key);
        assert_null(vt_piv_slot(vt_piv_of(disk), 0x9A)->cert);
        assert_null(vt_piv_object(vt_piv_of(disk), 0x5FC109));
        assert_true(vt_mgm_key_well_known(vt_piv_of(disk)));
        assert_int_equal(vt_piv_of(disk)->pin.tries_left, 3);
        vt_image_free(disk);
}

/* A card whose PIN policy the default PIN 123456 violates (the e-Cert profile's strong policy)
 * has no RESET and no SET PIN RETRIES: 6985, and nothing changes, on the card or on disk. */
static void test_no_reset_under_a_strong_pin_policy(void **state)
{
        struct fixture *f = *state;
        uint8_t padded[8];
        snprintf(f->img->profile, sizeof(f->img->profile), "ecert");
        vt_piv_of(f->img)->pin_rules = (struct vt_pin_rules){8, 8, VT_PIN_CHARS_STRONG};
        vt_piv_of(f->img)->pin.max_tries = vt_piv_of(f->img)->pin.tries_left = 15;
        vt_pin_pad("Hk#2026p", padded);
        vt_secret_set(&vt_piv_of(f->img)->pin, padded);
        sync_mirror(f);
        xfer(f, SELECT_PIV);
        /* SET PIN RETRIES, with every authentication it needs */
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        expect(f, "00 20 00 80 08 48 6B 23 32 30 32 36 70", "90 00");
        expect(f, "00 FA 05 04", "69 85");
        expect(f, PIN_STATUS, "90 00");
        /* RESET, with PIN and PUK both blocked */
        for (int i = 0; i < 15; i++)
                xfer(f, VERIFY_WRONG);
        for (int i = 0; i < 3; i++)
                xfer(f, "00 24 00 81 10 30 30 30 30 30 30 30 30 30 30 30 30 30 30 30 30");
        expect(f, PIN_STATUS, "69 83");
        expect(f, "00 FB 00 00", "69 85");
        expect(f, PIN_STATUS, "69 83");
        expect(f, VERIFY_PIN, "69 83");
        struct vt_image *disk = reload(f);
        assert_non_null(vt_piv_slot(vt_piv_of(disk), 0x9A)->key);
        assert_non_null(vt_piv_slot(vt_piv_of(disk), 0x9A)->cert);
        assert_int_equal(vt_piv_of(disk)->pin.tries_left, 0);
        assert_int_equal(vt_piv_of(disk)->pin.max_tries, 15);
        assert_int_equal(vt_piv_of(disk)->puk.tries_left, 0);
        assert_false(secret_is_value(&vt_piv_of(disk)->pin, "123456"));
        vt_image_free(disk);
}

static void test_metadata(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        /* PIN: algorithm FF, default, 3 of 3 tries */
        expect(f, "00 F7 00 80 00", "01 01 FF 05 01 01 06 02 03 03 90 00");
        expect(f, VERIFY_WRONG, "63 C2");
        expect(f, "00 F7 00 80 00", "01 01 FF 05 01 01 06 02 03 02 90 00");
        expect(f, "00 F7 00 81 00", "01 01 FF 05 01 01 06 02 03 03 90 00");
        /* management key: 3DES, no touch, the default */
        expect(f, "00 F7 00 9B 00", "01 01 03 02 02 00 01 05 01 01 90 00");
        /* 9C: P-256, PIN always, touch never, imported, 04 { 86 point } */
        assert_int_equal(xfer(f, "00 F7 00 9C 00"), SW_OK);
        assert_memory_equal(f->resp, "\x01\x01\x11\x02\x02\x03\x01\x03\x01\x02\x04\x43\x86\x41\x04",
                            15);
        assert_int_equal(f->resp_len, 15 + 64);
        /* an empty slot and a reference that is none: 6A88, as ykman 5.6 wants */
        expect(f, "00 F7 00 90 00", "6A 88");
        expect(f, "00 F7 00 42 00", "6A 88");
}

static void put_attestation_key(struct fixture *f)
{
        EVP_PKEY *ca = vt_key_generate(VT_ALG_P256);
        assert_non_null(ca);
        put_key(f->img, 0xF9, ca, "vtoken attestation");
        EVP_PKEY_free(ca);
}

static void test_attestation_certificate_verifies(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        expect(f, "00 F9 9A 00 00", "6A 82"); /* no attestation key yet */
        put_attestation_key(f);
        expect(f, "00 F9 90 00 00", "6A 82"); /* an empty slot */
        expect(f, "00 F9 9B 00 00", "6A 86");
        /* an imported key is not attested: attestation says the key was made on the card */
        assert_false(vt_piv_slot(vt_piv_of(f->img), 0x9A)->generated);
        expect(f, "00 F9 9A 00 00", "6A 80");
        vt_piv_slot(vt_piv_of(f->img), 0x9A)->generated = true;
        assert_int_equal(xfer(f, "00 F9 9A 00 00"), SW_OK);
        assert_int_equal(f->resp[0], 0x30);

        const uint8_t *p = f->resp;
        X509 *x = d2i_X509(NULL, &p, (long)f->resp_len);
        const struct vt_slot *f9 = vt_piv_slot(vt_piv_of(f->img), 0xF9);
        const uint8_t *q = f9->cert;
        X509 *ca = d2i_X509(NULL, &q, (long)f9->cert_len);
        assert_non_null(x);
        assert_non_null(ca);
        assert_int_equal(X509_verify(x, f9->key), 1);
        assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(ca)), 0);
        assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), keys.rsa2048), 1);
        /* the firmware version extension holds 05 07 01 */
        ASN1_OBJECT *fw = OBJ_txt2obj("1.3.6.1.4.1.41482.3.3", 1);
        int i = X509_get_ext_by_OBJ(x, fw, -1);
        assert_true(i >= 0);
        const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(X509_get_ext(x, i));
        assert_int_equal(ASN1_STRING_length(v), 3);
        assert_memory_equal(ASN1_STRING_get0_data(v), "\x05\x07\x01", 3);
        ASN1_OBJECT_free(fw);
        X509_free(x);
        X509_free(ca);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            T(test_import_p256_with_policies),
            T(test_import_rsa2048_and_wrong_size),
            T(test_import_ed25519_and_x25519),
            T(test_set_pin_retries),
            T(test_reset_only_when_pin_and_puk_are_blocked),
            T(test_no_reset_under_a_strong_pin_policy),
            T(test_metadata),
            T(test_attestation_certificate_verifies),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
