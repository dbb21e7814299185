/* SPDX-License-Identifier: Apache-2.0 */
/* Keys and certificates for card slots, all through OpenSSL 3 EVP and X509. */
#include "keygen.h"

#include "piv_state.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

/* PIV's algorithm ids: the crypto layer's algorithm of a key, or a management-key cipher's
 * name as the command line and card.ini spell it. */
static const struct {
        uint8_t id;
        enum vt_crypto_alg alg;
        const char *cipher;
} piv_algs[] = {
    {VT_ALG_RSA1024, VT_CRYPTO_RSA1024, NULL}, {VT_ALG_RSA2048, VT_CRYPTO_RSA2048, NULL},
    {VT_ALG_RSA3072, VT_CRYPTO_RSA3072, NULL}, {VT_ALG_RSA4096, VT_CRYPTO_RSA4096, NULL},
    {VT_ALG_P256, VT_CRYPTO_P256, NULL},       {VT_ALG_P384, VT_CRYPTO_P384, NULL},
    {VT_ALG_ED25519, VT_CRYPTO_ED25519, NULL}, {VT_ALG_X25519, VT_CRYPTO_X25519, NULL},
    {VT_ALG_3DES, VT_CRYPTO_NONE, "3des"},     {VT_ALG_AES128, VT_CRYPTO_NONE, "aes128"},
    {VT_ALG_AES192, VT_CRYPTO_NONE, "aes192"}, {VT_ALG_AES256, VT_CRYPTO_NONE, "aes256"},
};

#define N_PIV_ALGS (sizeof(piv_algs) / sizeof(piv_algs[0]))

static const char *row_name(size_t i)
{
        return piv_algs[i].cipher ? piv_algs[i].cipher : vt_crypto_info(piv_algs[i].alg)->name;
}

const char *vt_alg_name(uint8_t alg)
{
        for (size_t i = 0; i < N_PIV_ALGS; i++)
                if (piv_algs[i].id == alg)
                        return row_name(i);
        return NULL;
}

uint8_t vt_alg_from_name(const char *name)
{
        for (size_t i = 0; i < N_PIV_ALGS; i++)
                if (strcasecmp(row_name(i), name) == 0)
                        return piv_algs[i].id;
        return VT_ALG_NONE;
}

enum vt_crypto_alg vt_alg_crypto(uint8_t alg)
{
        for (size_t i = 0; i < N_PIV_ALGS; i++)
                if (piv_algs[i].id == alg)
                        return piv_algs[i].alg;
        return VT_CRYPTO_NONE;
}

int vt_alg_is_key(uint8_t alg)
{
        return vt_alg_crypto(alg) != VT_CRYPTO_NONE;
}

EVP_PKEY *vt_key_generate(uint8_t alg)
{
        return vt_crypto_generate(vt_alg_crypto(alg));
}

uint8_t vt_key_alg(const EVP_PKEY *key)
{
        enum vt_crypto_alg c = vt_crypto_alg_of_key(key);
        for (size_t i = 0; c != VT_CRYPTO_NONE && i < N_PIV_ALGS; i++)
                if (piv_algs[i].alg == c)
                        return piv_algs[i].id;
        return VT_ALG_NONE;
}

X509_NAME *vt_dn_parse(const char *dn)
{
        X509_NAME *name = NULL;
        char *copy = NULL, *p, *field, *value, *out;

        if (!dn || dn[0] != '/' || !(copy = strdup(dn)) || !(name = X509_NAME_new()))
                goto fail;
        p = copy + 1;
        while (*p) {
                /* field=value up to an unescaped '/'; "\/" stands for a slash in a value */
                field = p;
                value = strchr(p, '=');
                if (!value || value == field)
                        goto fail;
                *value++ = '\0';
                out = p = value;
                while (*p && *p != '/') {
                        if (*p == '\\' && p[1])
                                p++;
                        *out++ = *p++;
                }
                if (*p == '/')
                        p++;
                *out = '\0';
                if (!*value || !X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                                           (const unsigned char *)value, -1, -1, 0))
                        goto fail;
        }
        if (X509_NAME_entry_count(name) == 0)
                goto fail;
        free(copy);
        return name;
fail:
        free(copy);
        X509_NAME_free(name);
        return NULL;
}

static int add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
        int ok = ext && X509_add_ext(cert, ext, -1);

        X509_EXTENSION_free(ext);
        return ok ? 0 : -1;
}

static const char *key_usage(EVP_PKEY *key, int ca)
{
        if (ca)
                return "critical,keyCertSign,cRLSign,digitalSignature";
        if (EVP_PKEY_is_a(key, "RSA"))
                return "critical,digitalSignature,nonRepudiation,keyEncipherment";
        if (EVP_PKEY_is_a(key, "EC"))
                return "critical,digitalSignature,nonRepudiation,keyAgreement";
        if (EVP_PKEY_is_a(key, "X25519"))
                return "critical,keyAgreement";
        return "critical,digitalSignature,nonRepudiation";
}

static int random_serial(X509 *cert)
{
        BIGNUM *bn = BN_new();
        int ok = bn && BN_rand(bn, 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) &&
                 BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));

        BN_free(bn);
        return ok ? 0 : -1;
}

X509 *vt_cert_make(EVP_PKEY *key, const X509_NAME *subject, EVP_PKEY *ca_key, X509 *ca_cert,
                   int days, int ca)
{
        struct vt_cert_usage general;
        vt_general_usage(key, &general);
        general.ku = key_usage(key, ca);
        return vt_cert_make_usage(key, subject, ca_key, ca_cert, days, ca, &general);
}

void vt_general_usage(EVP_PKEY *key, struct vt_cert_usage *u)
{
        u->ku = key_usage(key, 0);
        u->eku = "clientAuth,emailProtection";
}

/* What a slot's purpose asks of its certificate (SP 800-73-4 part 1, 3.1): 9A and 9E
 * authenticate (client authentication), 9C signs documents and mail (non-repudiation), 9D and
 * the retired keys decipher or agree keys (mail encryption). A key that cannot do what the slot
 * is for says what it can: X25519 agrees keys, Ed25519 signs; an EC authentication key may
 * also agree keys. */
void vt_slot_usage(uint8_t ref, EVP_PKEY *key, struct vt_cert_usage *u)
{
        int rsa = EVP_PKEY_is_a(key, "RSA"), ec = EVP_PKEY_is_a(key, "EC");
        int agree = EVP_PKEY_is_a(key, "X25519");
        switch (ref) {
        case 0x9A:
        case 0x9E:
                /* an EC key authenticates by ECDH too (pkcs11-tool --derive with 9E) */
                u->ku = agree ? "critical,keyAgreement"
                        : ec  ? "critical,digitalSignature,keyAgreement"
                              : "critical,digitalSignature";
                u->eku = "clientAuth";
                break;
        case 0x9C:
                u->ku =
                    agree ? "critical,keyAgreement" : "critical,digitalSignature,nonRepudiation";
                u->eku = "emailProtection";
                break;
        default: /* 9D and the retired key management keys */
                u->ku = rsa           ? "critical,keyEncipherment"
                        : ec || agree ? "critical,keyAgreement"
                                      : "critical,digitalSignature";
                u->eku = "emailProtection";
                break;
        }
}

X509 *vt_cert_make_usage(EVP_PKEY *key, const X509_NAME *subject, EVP_PKEY *ca_key, X509 *ca_cert,
                         int days, int ca, const struct vt_cert_usage *usage)
{
        X509 *cert = X509_new();
        EVP_PKEY *throwaway = NULL, *signer = ca_key;
        const X509_NAME *issuer = ca_cert ? X509_get_subject_name(ca_cert) : subject;
        X509V3_CTX ctx;

        if (!cert || !key || !subject || (ca_key && !ca_cert) || (ca_cert && !ca_key))
                goto fail;
        if (!signer)
                signer = key;
        if (EVP_PKEY_is_a(signer, "X25519")) {
                if (ca_key || !(throwaway = vt_key_generate(VT_ALG_ED25519)))
                        goto fail;
                signer = throwaway;
        }
        if (!X509_set_version(cert, X509_VERSION_3) || random_serial(cert) ||
            !X509_set_subject_name(cert, subject) || !X509_set_issuer_name(cert, issuer) ||
            !X509_gmtime_adj(X509_getm_notBefore(cert), -60) ||
            !X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, NULL) ||
            !X509_set_pubkey(cert, key))
                goto fail;
        X509V3_set_ctx(&ctx, ca_cert ? ca_cert : cert, cert, NULL, NULL, 0);
        if (add_ext(cert, &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE") ||
            add_ext(cert, &ctx, NID_key_usage, usage->ku) ||
            add_ext(cert, &ctx, NID_subject_key_identifier, "hash"))
                goto fail;
        if (!ca && usage->eku && add_ext(cert, &ctx, NID_ext_key_usage, usage->eku))
                goto fail;
        if ((ca_cert || !throwaway) &&
            add_ext(cert, &ctx, NID_authority_key_identifier, "keyid:always"))
                goto fail;
        if (!X509_sign(cert, signer, EVP_PKEY_is_a(signer, "ED25519") ? NULL : EVP_sha256()))
                goto fail;
        EVP_PKEY_free(throwaway);
        return cert;
fail:
        EVP_PKEY_free(throwaway);
        X509_free(cert);
        return NULL;
}

int vt_cert_der(X509 *cert, uint8_t **der, size_t *len)
{
        unsigned char *p;
        int n = i2d_X509(cert, NULL);

        /* malloc'd, not OPENSSL_malloc'd: slot certificates are released with free() */
        if (n <= 0 || !(*der = malloc((size_t)n)))
                return -1;
        p = *der;
        if (i2d_X509(cert, &p) != n) {
                free(*der);
                *der = NULL;
                return -1;
        }
        *len = (size_t)n;
        return 0;
}

int vt_key_matches_cert(EVP_PKEY *key, X509 *cert)
{
        EVP_PKEY *pub = X509_get0_pubkey(cert);

        return pub && key && EVP_PKEY_eq(key, pub) == 1;
}
