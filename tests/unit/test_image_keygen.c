/* SPDX-License-Identifier: Apache-2.0 */
/* Keys and certificates for card slots: every PIV key type, DNs in /CN=.../O=... form, and
 * certificates that OpenSSL verifies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "piv_state.h"
#include "keygen.h"

#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

static const uint8_t key_algs[] = {VT_ALG_RSA1024, VT_ALG_RSA2048, VT_ALG_RSA3072, VT_ALG_RSA4096,
                                   VT_ALG_P256,    VT_ALG_P384,    VT_ALG_ED25519, VT_ALG_X25519};

static X509_NAME *dn(const char *text)
{
        X509_NAME *n = vt_dn_parse(text);
        assert_non_null(n);
        return n;
}

/* 1 when cert verifies against the trust anchor ca (self when NULL). */
static int verifies(X509 *cert, X509 *ca)
{
        X509_STORE *store = X509_STORE_new();
        X509_STORE_CTX *ctx = X509_STORE_CTX_new();
        int ok;

        X509_STORE_add_cert(store, ca ? ca : cert);
        X509_STORE_CTX_init(ctx, store, cert, NULL);
        ok = X509_verify_cert(ctx);
        X509_STORE_CTX_free(ctx);
        X509_STORE_free(store);
        return ok;
}

static void test_generate_every_alg(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(key_algs); i++) {
                EVP_PKEY *k = vt_key_generate(key_algs[i]);
                assert_non_null(k);
                assert_int_equal(vt_key_alg(k), key_algs[i]);
                assert_true(vt_alg_is_key(key_algs[i]));
                EVP_PKEY_free(k);
        }
        assert_null(vt_key_generate(VT_ALG_3DES));
        assert_null(vt_key_generate(VT_ALG_NONE));
        assert_false(vt_alg_is_key(VT_ALG_AES128));
}

static void test_alg_names(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(key_algs); i++)
                assert_int_equal(vt_alg_from_name(vt_alg_name(key_algs[i])), key_algs[i]);
        assert_string_equal(vt_alg_name(VT_ALG_RSA2048), "rsa2048");
        assert_string_equal(vt_alg_name(VT_ALG_3DES), "3des");
        assert_int_equal(vt_alg_from_name("P256"), VT_ALG_P256);
        assert_int_equal(vt_alg_from_name("rsa512"), VT_ALG_NONE);
        assert_int_equal(vt_alg_from_name(""), VT_ALG_NONE);
        assert_null(vt_alg_name(0x42));
}

static void test_unsupported_key_has_no_alg(void **state)
{
        EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1536);
        EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");

        (void)state;
        assert_int_equal(vt_key_alg(k), VT_ALG_NONE);
        assert_int_equal(vt_key_alg(ec), VT_ALG_NONE);
        assert_int_equal(vt_key_alg(NULL), VT_ALG_NONE);
        EVP_PKEY_free(k);
        EVP_PKEY_free(ec);
}

static void test_dn_parse(void **state)
{
        X509_NAME *n;
        char buf[256];

        (void)state;
        n = dn("/CN=Alice\\/Bob/O=Acme Ltd/C=HK");
        assert_int_equal(X509_NAME_entry_count(n), 3);
        X509_NAME_get_text_by_NID(n, NID_commonName, buf, sizeof(buf));
        assert_string_equal(buf, "Alice/Bob");
        X509_NAME_get_text_by_NID(n, NID_organizationName, buf, sizeof(buf));
        assert_string_equal(buf, "Acme Ltd");
        X509_NAME_free(n);
        n = dn("/CN=陳大文");
        X509_NAME_free(n);
        assert_null(vt_dn_parse("CN=no leading slash"));
        assert_null(vt_dn_parse("/"));
        assert_null(vt_dn_parse("/CN"));
        assert_null(vt_dn_parse("/=x"));
        assert_null(vt_dn_parse("/CN="));
        assert_null(vt_dn_parse("/NOSUCHFIELD=x"));
        assert_null(vt_dn_parse(NULL));
}

static void test_self_signed_for_every_alg(void **state)
{
        X509_NAME *name = dn("/CN=slot/O=vtoken");

        (void)state;
        for (size_t i = 0; i < sizeof(key_algs); i++) {
                EVP_PKEY *k = vt_key_generate(key_algs[i]);
                X509 *c = vt_cert_make(k, name, NULL, NULL, 10, 0);
                uint8_t *der;
                size_t len;

                assert_non_null(c);
                assert_int_equal(vt_key_matches_cert(k, c), 1);
                assert_int_equal(X509_NAME_cmp(X509_get_subject_name(c), name), 0);
                if (key_algs[i] != VT_ALG_X25519)
                        assert_int_equal(verifies(c, NULL), 1);
                else /* certified by a throwaway Ed25519 issuer: not self-signed */
                        assert_int_equal(X509_verify(c, k), -1);
                assert_int_equal(vt_cert_der(c, &der, &len), 0);
                assert_true(len > 100);
                free(der);
                X509_free(c);
                EVP_PKEY_free(k);
        }
        X509_NAME_free(name);
}

static void test_ca_signed(void **state)
{
        X509_NAME *ca_name = dn("/CN=Hongkong Post e-Cert TEST CA"), *name = dn("/CN=CHAN Tai Man");
        EVP_PKEY *ca_key = vt_key_generate(VT_ALG_P256), *k = vt_key_generate(VT_ALG_X25519);
        EVP_PKEY *other = vt_key_generate(VT_ALG_P256);
        X509 *ca = vt_cert_make(ca_key, ca_name, NULL, NULL, 10, 1), *c;

        (void)state;
        assert_non_null(ca);
        assert_int_equal(X509_check_ca(ca), 1);
        assert_non_null(c = vt_cert_make(k, name, ca_key, ca, 10, 0));
        assert_int_equal(X509_check_ca(c), 0);
        assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(c), ca_name), 0);
        assert_int_equal(verifies(c, ca), 1);
        assert_int_equal(vt_key_matches_cert(other, c), 0);
        assert_int_equal(vt_key_matches_cert(k, c), 1);
        /* a CA key without its certificate is a caller's mistake */
        assert_null(vt_cert_make(k, name, ca_key, NULL, 10, 0));
        X509_free(c);
        X509_free(ca);
        EVP_PKEY_free(ca_key);
        EVP_PKEY_free(k);
        EVP_PKEY_free(other);
        X509_NAME_free(ca_name);
        X509_NAME_free(name);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_generate_every_alg),         cmocka_unit_test(test_alg_names),
            cmocka_unit_test(test_unsupported_key_has_no_alg), cmocka_unit_test(test_dn_parse),
            cmocka_unit_test(test_self_signed_for_every_alg),  cmocka_unit_test(test_ca_signed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
