/* SPDX-License-Identifier: Apache-2.0 */
#include "fido_crypto.h"

#include "cbor.h"
#include "crypto.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdio.h>
#include <string.h>

#define SEAL_VERSION     0x01
#define IV_LEN           12
#define TAG_LEN          16
#define PLAIN_HEAD       34   /* alg, credProtect, CredRandom */
#define SEAL_HMAC_SECRET 0x80 /* in the credProtect byte: the credential has hmac-secret */

EVP_PKEY *fido_keygen(int alg)
{
        if (alg == FIDO_ALG_ES256)
                return vt_crypto_generate(VT_CRYPTO_P256);
        if (alg == FIDO_ALG_EDDSA)
                return vt_crypto_generate(VT_CRYPTO_ED25519);
        return NULL;
}

EVP_PKEY *fido_der_key(const uint8_t *der, size_t len)
{
        const uint8_t *p = der;
        return d2i_AutoPrivateKey(NULL, &p, (long)len);
}

void fido_key_clear(struct fido_key *k)
{
        EVP_PKEY_free(k->key);
        OPENSSL_cleanse(k, sizeof(*k));
}

static int gcm(bool enc, const uint8_t key[32], const uint8_t *iv, const uint8_t aad[32],
               const uint8_t *in, size_t n, uint8_t *out, uint8_t *tag)
{
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        int l = 0, ok;
        ok = c && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv, enc ? 1 : 0) == 1 &&
             EVP_CipherUpdate(c, NULL, &l, aad, 32) == 1 &&
             EVP_CipherUpdate(c, out, &l, in, (int)n) == 1 &&
             (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1) &&
             EVP_CipherFinal_ex(c, out + l, &l) == 1 &&
             (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1);
        EVP_CIPHER_CTX_free(c);
        return ok ? 0 : -1;
}

int fido_seal(const uint8_t secret[32], const uint8_t rp_hash[32], const struct fido_key *k,
              uint8_t *id, size_t *id_len)
{
        uint8_t plain[PLAIN_HEAD + FIDO_KEY_DER_MAX];
        uint8_t *der = plain + PLAIN_HEAD;
        int n = i2d_PrivateKey(k->key, NULL);
        int r = -1;
        if (n <= 0 || n > FIDO_KEY_DER_MAX ||
            1 + IV_LEN + PLAIN_HEAD + (size_t)n + TAG_LEN > FIDO_CRED_ID_MAX)
                return -1;
        plain[0] = k->alg == FIDO_ALG_EDDSA ? 2 : 1;
        plain[1] = (uint8_t)(k->cred_protect | (k->hmac_secret ? SEAL_HMAC_SECRET : 0));
        memcpy(plain + 2, k->cred_random, 32);
        if (i2d_PrivateKey(k->key, &der) != n)
                goto out;
        id[0] = SEAL_VERSION;
        size_t len = PLAIN_HEAD + (size_t)n;
        if (RAND_bytes(id + 1, IV_LEN) != 1 || gcm(true, secret, id + 1, rp_hash, plain, len,
                                                   id + 1 + IV_LEN, id + 1 + IV_LEN + len) != 0)
                goto out;
        *id_len = 1 + IV_LEN + len + TAG_LEN;
        r = 0;
out:
        OPENSSL_cleanse(plain, sizeof(plain));
        return r;
}

int fido_unseal(const uint8_t secret[32], const uint8_t rp_hash[32], const uint8_t *id,
                size_t id_len, struct fido_key *k)
{
        uint8_t plain[FIDO_CRED_ID_MAX], tag[TAG_LEN];
        int r = -1;
        memset(k, 0, sizeof(*k));
        if (id_len < 1 + IV_LEN + PLAIN_HEAD + TAG_LEN + 1 || id_len > FIDO_CRED_ID_MAX ||
            id[0] != SEAL_VERSION)
                return -1;
        size_t len = id_len - 1 - IV_LEN - TAG_LEN;
        memcpy(tag, id + id_len - TAG_LEN, TAG_LEN);
        if (gcm(false, secret, id + 1, rp_hash, id + 1 + IV_LEN, len, plain, tag) != 0 ||
            (plain[0] != 1 && plain[0] != 2))
                goto out;
        k->alg = plain[0] == 2 ? FIDO_ALG_EDDSA : FIDO_ALG_ES256;
        k->cred_protect = plain[1] & (uint8_t)~SEAL_HMAC_SECRET;
        k->hmac_secret = (plain[1] & SEAL_HMAC_SECRET) != 0;
        memcpy(k->cred_random, plain + 2, 32);
        k->key = fido_der_key(plain + PLAIN_HEAD, len - PLAIN_HEAD);
        r = k->key ? 0 : -1;
out:
        OPENSSL_cleanse(plain, sizeof(plain));
        return r;
}

int fido_ec_point(EVP_PKEY *key, uint8_t out[65])
{
        size_t n = 0;
        if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, out, 65, &n) != 1 ||
            n != 65)
                return -1;
        return 0;
}

void fido_cose_pub(struct writer *w, EVP_PKEY *key, int alg)
{
        uint8_t pt[65];
        size_t n = 32;
        if (alg == FIDO_ALG_EDDSA) {
                if (EVP_PKEY_get_raw_public_key(key, pt, &n) != 1 || n != 32) {
                        w->err = true;
                        return;
                }
                cbor_put_map(w, 4);
                cbor_put_int(w, 1); /* kty: OKP */
                cbor_put_int(w, 1);
                cbor_put_int(w, 3); /* alg */
                cbor_put_int(w, FIDO_ALG_EDDSA);
                cbor_put_int(w, -1); /* crv: Ed25519 */
                cbor_put_int(w, 6);
                cbor_put_int(w, -2);
                cbor_put_bytes(w, pt, 32);
                return;
        }
        if (fido_ec_point(key, pt) != 0) {
                w->err = true;
                return;
        }
        cbor_put_map(w, 5);
        cbor_put_int(w, 1); /* kty: EC2 */
        cbor_put_int(w, 2);
        cbor_put_int(w, 3);
        cbor_put_int(w, alg);
        cbor_put_int(w, -1); /* crv: P-256 */
        cbor_put_int(w, 1);
        cbor_put_int(w, -2);
        cbor_put_bytes(w, pt + 1, 32);
        cbor_put_int(w, -3);
        cbor_put_bytes(w, pt + 33, 32);
}

int fido_sign(EVP_PKEY *key, const uint8_t *data, size_t len, uint8_t *sig, size_t *sig_len)
{
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        const EVP_MD *md = EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
        int ok = m && EVP_DigestSignInit(m, NULL, md, NULL, key) == 1 &&
                 EVP_DigestSign(m, sig, sig_len, data, len) == 1;
        EVP_MD_CTX_free(m);
        return ok ? 0 : -1;
}

/* ---- the image's attestation CA and certificate ------------------------------------------- */

static int name_add(X509_NAME *n, const char *field, const char *v)
{
        return X509_NAME_add_entry_by_txt(n, field, MBSTRING_UTF8, (const uint8_t *)v, -1, -1, 0) ==
                       1
                   ? 0
                   : -1;
}

static X509 *cert_new(EVP_PKEY *pub, X509_NAME *subject, X509_NAME *issuer, bool ca)
{
        X509 *x = X509_new();
        ASN1_INTEGER *sn = ASN1_INTEGER_new();
        uint8_t r[8] = {0};
        BIGNUM *bn = NULL;
        X509_EXTENSION *ext = NULL;
        int ok = x && sn && RAND_bytes(r, sizeof(r)) == 1;
        r[0] &= 0x7F;
        ok = ok && (bn = BN_bin2bn(r, sizeof(r), NULL)) && BN_to_ASN1_INTEGER(bn, sn) &&
             X509_set_version(x, 2) && X509_set_serialNumber(x, sn) &&
             X509_set_subject_name(x, subject) && X509_set_issuer_name(x, issuer) &&
             X509_set_pubkey(x, pub) &&
             ASN1_TIME_set_string_X509(X509_getm_notBefore(x), "20240101000000Z") &&
             ASN1_TIME_set_string_X509(X509_getm_notAfter(x), "99991231235959Z") &&
             (ext = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints,
                                        ca ? "critical,CA:TRUE" : "critical,CA:FALSE")) &&
             X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
        BN_free(bn);
        ASN1_INTEGER_free(sn);
        if (!ok) {
                X509_free(x);
                return NULL;
        }
        return x;
}

static int put_der(X509 *x, uint8_t *out, size_t *len)
{
        int n = i2d_X509(x, NULL);
        uint8_t *p = out;
        if (n <= 0 || (size_t)n > FIDO_CERT_MAX || i2d_X509(x, &p) != n)
                return -1;
        *len = (size_t)n;
        return 0;
}

int fido_make_attestation(struct vt_fido_state *st, uint32_t serial)
{
        EVP_PKEY *ca_key = fido_keygen(FIDO_ALG_ES256), *key = fido_keygen(FIDO_ALG_ES256);
        X509_NAME *ca_name = X509_NAME_new(), *name = X509_NAME_new();
        X509 *ca = NULL, *x = NULL;
        char cn[80];
        uint8_t *p = st->att_key;
        int r = -1, n;
        snprintf(cn, sizeof(cn), "vtoken FIDO Attestation CA %u", serial);
        if (!ca_key || !key || !ca_name || !name || name_add(ca_name, "O", "vtoken") ||
            name_add(ca_name, "CN", cn))
                goto out;
        snprintf(cn, sizeof(cn), "vtoken FIDO EE Serial %u", serial);
        /* what WebAuthn asks of a packed attestation certificate's subject */
        if (name_add(name, "C", "SE") || name_add(name, "O", "vtoken") ||
            name_add(name, "OU", "Authenticator Attestation") || name_add(name, "CN", cn))
                goto out;
        if (!(ca = cert_new(ca_key, ca_name, ca_name, true)) ||
            !X509_sign(ca, ca_key, EVP_sha256()) || !(x = cert_new(key, name, ca_name, false)) ||
            !X509_sign(x, ca_key, EVP_sha256()) || put_der(ca, st->ca_cert, &st->ca_cert_len) ||
            put_der(x, st->att_cert, &st->att_cert_len))
                goto out;
        n = i2d_PrivateKey(key, NULL);
        if (n <= 0 || n > FIDO_KEY_DER_MAX || i2d_PrivateKey(key, &p) != n)
                goto out;
        st->att_key_len = (size_t)n;
        r = 0;
out:
        X509_free(ca);
        X509_free(x);
        X509_NAME_free(ca_name);
        X509_NAME_free(name);
        EVP_PKEY_free(ca_key);
        EVP_PKEY_free(key);
        return r;
}
