/* SPDX-License-Identifier: Apache-2.0 */
/* OpenPGP keys on the card: key attributes, generation, signatures (PSO: CDS, INTERNAL
 * AUTHENTICATE), decryption (PSO: DECIPHER with RSA and ECDH) and key import, for every
 * algorithm the card has; each result checked with OpenSSL against the public key the card
 * gave. */
#include "pgp_test.h"

#include <openssl/ecdsa.h>
#include <openssl/rand.h>

static const uint8_t crt_tag[PGP_KEYS] = {0xB6, 0xB8, 0xA4};

/* PUT DATA C1..C3 with the attributes of alg. */
static void set_attr(struct fixture *f, int ref, const char *alg)
{
        uint8_t attr[PGP_ATTR_MAX];
        size_t n = pgp_attr_of_alg(pgp_alg_by_name(alg), ref, attr);
        assert_int_equal(xfer_ext(f, 0xDA, 0x00, (uint8_t)(0xC1 + ref), attr, n), SW_OK);
}

/* Generates a key in slot ref and returns its public key from the answer. */
static EVP_PKEY *generate(struct fixture *f, int ref, const char *alg)
{
        const uint8_t crt[2] = {crt_tag[ref], 0x00};
        set_attr(f, ref, alg);
        assert_int_equal(xfer_ext(f, 0x47, 0x80, 0x00, crt, sizeof(crt)), SW_OK);
        EVP_PKEY *pk = public_of(f->resp, f->resp_len, alg);
        /* reading it back gives the same */
        assert_int_equal(xfer_ext(f, 0x47, 0x81, 0x00, crt, sizeof(crt)), SW_OK);
        EVP_PKEY *again = public_of(f->resp, f->resp_len, alg);
        assert_int_equal(EVP_PKEY_eq(pk, again), 1);
        EVP_PKEY_free(again);
        return pk;
}

/* A SHA-256 DigestInfo, as GnuPG sends for RSA. */
static size_t digest_info(const uint8_t hash[32], uint8_t out[51])
{
        static const uint8_t prefix[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                           0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                           0x01, 0x05, 0x00, 0x04, 0x20};
        memcpy(out, prefix, sizeof(prefix));
        memcpy(out + sizeof(prefix), hash, 32);
        return 51;
}

/* Checks a signature the card made over hash (RSA: over its DigestInfo; EdDSA: over the 32
 * bytes as the message). */
static void check_signature(EVP_PKEY *pk, const char *alg, const uint8_t hash[32],
                            const uint8_t *sig, size_t len)
{
        const struct vt_crypto_info *a = vt_crypto_info(pgp_alg_by_name(alg)->alg);
        if (a->kind == VT_KIND_EDDSA) {
                EVP_MD_CTX *m = EVP_MD_CTX_new();
                assert_int_equal(len, 64);
                assert_int_equal(EVP_DigestVerifyInit(m, NULL, NULL, NULL, pk), 1);
                assert_int_equal(EVP_DigestVerify(m, sig, len, hash, 32), 1);
                EVP_MD_CTX_free(m);
                return;
        }
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
        assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
        assert_int_equal(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()), 1);
        if (a->kind == VT_KIND_RSA) {
                assert_int_equal(len, a->bits / 8);
                assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
                assert_int_equal(EVP_PKEY_verify(ctx, sig, len, hash, 32), 1);
        } else {
                /* r || s to DER */
                assert_int_equal(len, 2 * (size_t)a->size);
                ECDSA_SIG *s = ECDSA_SIG_new();
                ECDSA_SIG_set0(s, BN_bin2bn(sig, a->size, NULL),
                               BN_bin2bn(sig + a->size, a->size, NULL));
                uint8_t *der = NULL;
                int n = i2d_ECDSA_SIG(s, &der);
                assert_int_equal(EVP_PKEY_verify(ctx, der, (size_t)n, hash, 32), 1);
                OPENSSL_free(der);
                ECDSA_SIG_free(s);
        }
        EVP_PKEY_CTX_free(ctx);
}

static size_t sign_input(const char *alg, const uint8_t hash[32], uint8_t *in)
{
        if (vt_crypto_info(pgp_alg_by_name(alg)->alg)->kind == VT_KIND_RSA)
                return digest_info(hash, in);
        memcpy(in, hash, 32);
        return 32;
}

static void sign_and_check(struct fixture *f, const char *alg, EVP_PKEY *pk, bool auth)
{
        uint8_t hash[32], in[64];
        size_t n;
        RAND_bytes(hash, sizeof(hash));
        n = sign_input(alg, hash, in);
        if (auth)
                assert_int_equal(xfer_ext(f, 0x88, 0x00, 0x00, in, n), SW_OK);
        else
                assert_int_equal(xfer_ext(f, 0x2A, 0x9E, 0x9A, in, n), SW_OK);
        check_signature(pk, alg, hash, f->resp, f->resp_len);
}

static const char *const sign_algs[] = {"rsa2048",         "nistp256",        "nistp384",
                                        "brainpoolP256r1", "brainpoolP384r1", "ed25519"};

static void test_generate_and_sign_every_algorithm(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PGP);
        expect(f, VERIFY_PW3, "90 00");
        expect(f, VERIFY_SIG, "90 00");
        expect(f, VERIFY_PW1, "90 00");
        for (size_t i = 0; i < sizeof(sign_algs) / sizeof(sign_algs[0]); i++) {
                EVP_PKEY *pk = generate(f, PGP_SIG, sign_algs[i]);
                sign_and_check(f, sign_algs[i], pk, false);
                EVP_PKEY_free(pk);
                pk = generate(f, PGP_AUT, sign_algs[i]);
                sign_and_check(f, sign_algs[i], pk, true);
                EVP_PKEY_free(pk);
        }
        assert_int_equal(stored(f)->keys[PGP_SIG].origin, 1);
        assert_same_pgp(live(f), stored(f));
}

static void test_rsa_decipher(void **state)
{
        struct fixture *f = *state;
        uint8_t secret[32], ct[1 + 512];
        size_t ctlen = sizeof(ct) - 1;
        xfer(f, SELECT_PGP);
        expect(f, VERIFY_PW3, "90 00");
        EVP_PKEY *pk = generate(f, PGP_DEC, "rsa2048");
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
        RAND_bytes(secret, sizeof(secret));
        assert_int_equal(EVP_PKEY_encrypt_init(ctx), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
        assert_int_equal(EVP_PKEY_encrypt(ctx, ct + 1, &ctlen, secret, sizeof(secret)), 1);
        ct[0] = 0x00;
        assert_int_equal(xfer_ext(f, 0x2A, 0x80, 0x86, ct, ctlen + 1), 0x6982);
        expect(f, VERIFY_PW1, "90 00");
        assert_int_equal(xfer_ext(f, 0x2A, 0x80, 0x86, ct, ctlen + 1), SW_OK);
        assert_int_equal(f->resp_len, sizeof(secret));
        assert_memory_equal(f->resp, secret, sizeof(secret));
        /* without the padding indicator */
        assert_int_equal(xfer_ext(f, 0x2A, 0x80, 0x86, ct + 1, ctlen), 0x6A80);
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(pk);
}

/* ECDH as GnuPG asks it: A6 { 7F49 { 86 ephemeral point } }; the card's answer is what the
 * sender's side derives. */
static void ecdh_with(struct fixture *f, const char *alg)
{
        const struct vt_crypto_info *a = vt_crypto_info(pgp_alg_by_name(alg)->alg);
        EVP_PKEY *pk = generate(f, PGP_DEC, alg);
        bool x25519 = a->kind == VT_KIND_MONTGOMERY;
        EVP_PKEY *eph = x25519 ? EVP_PKEY_Q_keygen(NULL, NULL, "X25519")
                               : EVP_PKEY_Q_keygen(NULL, NULL, "EC", a->group);
        uint8_t point[133], want[66], cmd[160];
        size_t plen = sizeof(point), wlen = sizeof(want);
        if (x25519)
                assert_int_equal(EVP_PKEY_get_raw_public_key(eph, point, &plen), 1);
        else
                assert_int_equal(EVP_PKEY_get_octet_string_param(eph,
                                                                 OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                                                 point, sizeof(point), &plen),
                                 1);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, eph, NULL);
        assert_int_equal(EVP_PKEY_derive_init(ctx), 1);
        assert_int_equal(EVP_PKEY_derive_set_peer(ctx, pk), 1);
        assert_int_equal(EVP_PKEY_derive(ctx, want, &wlen), 1);
        struct writer w = wr_init(cmd, sizeof(cmd));
        size_t m1 = wr_open(&w, 0xA6), m2 = wr_open(&w, 0x7F49);
        wr_tlv(&w, 0x86, point, plen);
        wr_close(&w, m2);
        wr_close(&w, m1);
        assert_int_equal(xfer_ext(f, 0x2A, 0x80, 0x86, cmd, w.len), SW_OK);
        assert_int_equal(f->resp_len, wlen);
        assert_memory_equal(f->resp, want, wlen);
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(eph);
        EVP_PKEY_free(pk);
}

static void test_ecdh_every_curve(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PGP);
        expect(f, VERIFY_PW3, "90 00");
        expect(f, VERIFY_PW1, "90 00");
        ecdh_with(f, "nistp256");
        ecdh_with(f, "nistp384");
        ecdh_with(f, "brainpoolP256r1");
        ecdh_with(f, "brainpoolP384r1");
        ecdh_with(f, "cv25519");
        /* a point off the curve */
        expect(f, "00 2A 80 86 09 A6 07 7F 49 04 86 02 04 01", "6A 80");
}

static void test_attributes_a_slot_cannot_take(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PGP);
        expect(f, "00 DA 00 C1 06 01 08 00 00 20 00", "69 82");
        expect(f, VERIFY_PW3, "90 00");
        expect(f, "00 DA 00 C1 06 01 04 00 00 20 00", "6A 80"); /* RSA-1024 */
        /* Cv25519 cannot sign; Ed25519 cannot decrypt */
        expect(f, "00 DA 00 C1 0B 12 2B 06 01 04 01 97 55 01 05 01", "6A 80");
        expect(f, "00 DA 00 C2 0A 16 2B 06 01 04 01 DA 47 0F 01", "6A 80");
        expect(f, "00 DA 00 C2 0B 12 2B 06 01 04 01 97 55 01 05 01", "90 00");
        expect(f, "00 CA 00 C2 00", "12 2B 06 01 04 01 97 55 01 05 01 90 00");
        /* generation needs PW3 */
        xfer(f, SELECT_PIV);
        xfer(f, SELECT_PGP);
        expect(f, "00 47 80 00 02 B8 00", "69 82");
        expect(f, "00 47 81 00 02 B8 00", "6A 88"); /* no key yet */
}

static void test_signature_counter_and_pw1_once(void **state)
{
        struct fixture *f = *state;
        uint8_t in[51], hash[32] = {1};
        size_t n = digest_info(hash, in);
        xfer(f, SELECT_PGP);
        expect(f, VERIFY_PW3, "90 00");
        EVP_PKEY *pk = generate(f, PGP_SIG, "rsa2048");
        assert_int_equal(xfer_ext(f, 0x2A, 0x9E, 0x9A, in, n), 0x6982);
        expect(f, VERIFY_SIG, "90 00");
        assert_int_equal(xfer_ext(f, 0x2A, 0x9E, 0x9A, in, n), SW_OK);
        assert_int_equal(xfer_ext(f, 0x2A, 0x9E, 0x9A, in, n), SW_OK); /* valid for many */
        expect(f, "00 CA 00 7A 00", "7A 05 93 03 00 00 02 90 00");
        assert_int_equal(stored(f)->sig_count, 2);
        /* C4 00: PW1 valid for one signature only */
        expect(f, "00 DA 00 C4 01 00", "90 00");
        expect(f, VERIFY_SIG, "90 00");
        assert_int_equal(xfer_ext(f, 0x2A, 0x9E, 0x9A, in, n), SW_OK);
        assert_int_equal(xfer_ext(f, 0x2A, 0x9E, 0x9A, in, n), 0x6982);
        /* a refused commit: no signature, the counter as it was */
        expect(f, VERIFY_SIG, "90 00");
        f->mem.fail_next = 1;
        assert_int_equal(xfer_ext(f, 0x2A, 0x9E, 0x9A, in, n), 0x6581);
        assert_int_equal(f->resp_len, 0);
        expect(f, "00 CA 00 93 00", "00 00 03 90 00");
        /* a new key starts again at 0 */
        EVP_PKEY_free(pk);
        pk = generate(f, PGP_SIG, "ed25519");
        expect(f, "00 CA 00 93 00", "00 00 00 90 00");
        EVP_PKEY_free(pk);
        assert_same_pgp(live(f), stored(f));
}

/* 4D { CRT, 7F48 { tags and lengths }, 5F48 { values } } from (tag, value) pairs. */
static size_t import_data(uint8_t crt, const uint32_t *tags, const uint8_t *const *values,
                          const size_t *lens, size_t n, uint8_t *out, size_t cap)
{
        struct writer w = wr_init(out, cap);
        size_t m = wr_open(&w, 0x4D), t;
        wr_u8(&w, crt);
        wr_u8(&w, 0x00);
        t = wr_open(&w, 0x7F48);
        for (size_t i = 0; i < n; i++) {
                wr_tag(&w, tags[i]);
                wr_len(&w, lens[i]);
        }
        wr_close(&w, t);
        t = wr_open(&w, 0x5F48);
        for (size_t i = 0; i < n; i++)
                wr_bytes(&w, values[i], lens[i]);
        wr_close(&w, t);
        wr_close(&w, m);
        assert_false(w.err);
        return w.len;
}

static size_t bn_of_key(EVP_PKEY *key, const char *name, uint8_t *out)
{
        BIGNUM *bn = NULL;
        assert_int_equal(EVP_PKEY_get_bn_param(key, name, &bn), 1);
        size_t n = (size_t)BN_bn2bin(bn, out);
        BN_free(bn);
        return n;
}

static void test_import_rsa_and_curves(void **state)
{
        struct fixture *f = *state;
        uint8_t e[4], p[256], q[256], d[48], cmd[1200];
        xfer(f, SELECT_PGP);
        expect(f, VERIFY_PW3, "90 00");
        expect(f, VERIFY_SIG, "90 00");
        expect(f, VERIFY_PW1, "90 00");

        EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        const uint32_t rsa_tags[3] = {0x91, 0x92, 0x93};
        const uint8_t *rsa_values[3] = {e, p, q};
        size_t rsa_lens[3] = {bn_of_key(rsa, OSSL_PKEY_PARAM_RSA_E, e),
                              bn_of_key(rsa, OSSL_PKEY_PARAM_RSA_FACTOR1, p),
                              bn_of_key(rsa, OSSL_PKEY_PARAM_RSA_FACTOR2, q)};
        size_t n = import_data(0xB6, rsa_tags, rsa_values, rsa_lens, 3, cmd, sizeof(cmd));
        expect(f, "00 DA 00 C1 06 01 08 00 00 20 00", "90 00");
        assert_int_equal(xfer_ext(f, 0xDB, 0x3F, 0xFF, cmd, n), SW_OK);
        assert_int_equal(EVP_PKEY_eq(live(f)->keys[PGP_SIG].key, rsa), 1);
        assert_int_equal(live(f)->keys[PGP_SIG].origin, 2);
        sign_and_check(f, "rsa2048", rsa, false);
        /* primes of a key of another size than the attributes say */
        rsa_lens[1] = 64;
        rsa_lens[2] = 64;
        n = import_data(0xB6, rsa_tags, rsa_values, rsa_lens, 3, cmd, sizeof(cmd));
        assert_int_equal(xfer_ext(f, 0xDB, 0x3F, 0xFF, cmd, n), 0x6A80);

        EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "brainpoolP256r1");
        const uint32_t ec_tags[1] = {0x92};
        const uint8_t *ec_values[1] = {d};
        size_t ec_lens[1] = {bn_of_key(ec, OSSL_PKEY_PARAM_PRIV_KEY, d)};
        set_attr(f, PGP_AUT, "brainpoolP256r1");
        n = import_data(0xA4, ec_tags, ec_values, ec_lens, 1, cmd, sizeof(cmd));
        assert_int_equal(xfer_ext(f, 0xDB, 0x3F, 0xFF, cmd, n), SW_OK);
        sign_and_check(f, "brainpoolP256r1", ec, true);

        EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        size_t dl = 32;
        assert_int_equal(EVP_PKEY_get_raw_private_key(ed, d, &dl), 1);
        ec_lens[0] = dl;
        set_attr(f, PGP_SIG, "ed25519");
        n = import_data(0xB6, ec_tags, ec_values, ec_lens, 1, cmd, sizeof(cmd));
        assert_int_equal(xfer_ext(f, 0xDB, 0x3F, 0xFF, cmd, n), SW_OK);
        expect(f, VERIFY_SIG, "90 00");
        sign_and_check(f, "ed25519", ed, false);

        /* without PW3, nothing */
        xfer(f, SELECT_PIV);
        xfer(f, SELECT_PGP);
        assert_int_equal(xfer_ext(f, 0xDB, 0x3F, 0xFF, cmd, n), 0x6982);
        assert_same_pgp(live(f), stored(f));
        EVP_PKEY_free(rsa);
        EVP_PKEY_free(ec);
        EVP_PKEY_free(ed);
}

static void test_failed_generate_keeps_the_old_key(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PGP);
        expect(f, VERIFY_PW3, "90 00");
        EVP_PKEY *pk = generate(f, PGP_AUT, "nistp256");
        f->mem.fail_next = 1;
        expect(f, "00 47 80 00 02 A4 00", "65 81");
        assert_int_equal(EVP_PKEY_eq(live(f)->keys[PGP_AUT].key, pk), 1);
        assert_same_pgp(live(f), stored(f));
        EVP_PKEY_free(pk);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        const struct CMUnitTest tests[] = {
            T(test_generate_and_sign_every_algorithm),
            T(test_rsa_decipher),
            T(test_ecdh_every_curve),
            T(test_attributes_a_slot_cannot_take),
            T(test_signature_counter_and_pw1_once),
            T(test_import_rsa_and_curves),
            T(test_failed_generate_keeps_the_old_key),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
