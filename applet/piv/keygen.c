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

static const struct {
        uint8_t alg;
        const char *name;
} alg_names[] = {
    {VT_ALG_RSA1024, "rsa1024"}, {VT_ALG_RSA2048, "rsa2048"}, {VT_ALG_RSA3072, "rsa3072"},
    {VT_ALG_RSA4096, "rsa4096"}, {VT_ALG_P256, "p256"},       {VT_ALG_P384, "p384"},
    {VT_ALG_ED25519, "ed25519"}, {VT_ALG_X25519, "x25519"},   {VT_ALG_3DES, "3des"},
    {VT_ALG_AES128, "aes128"},   {VT_ALG_AES192, "aes192"},   {VT_ALG_AES256, "aes256"},
};

const char *vt_alg_name(uint8_t alg)
{
        for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
                if (alg_names[i].alg == alg)
                        return alg_names[i].name;
        return NULL;
}

uint8_t vt_alg_from_name(const char *name)
{
        for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
                if (strcasecmp(alg_names[i].name, name) == 0)
                        return alg_names[i].alg;
        return VT_ALG_NONE;
}

static int rsa_bits(uint8_t alg)
{
        switch (alg) {
        case VT_ALG_RSA1024:
                return 1024;
        case VT_ALG_RSA2048:
                return 2048;
        case VT_ALG_RSA3072:
                return 3072;
        case VT_ALG_RSA4096:
                return 4096;
        default:
                return 0;
        }
}

int vt_alg_is_key(uint8_t alg)
{
        return rsa_bits(alg) != 0 || alg == VT_ALG_P256 || alg == VT_ALG_P384 ||
               alg == VT_ALG_ED25519 || alg == VT_ALG_X25519;
}

EVP_PKEY *vt_key_generate(uint8_t alg)
{
        int bits = rsa_bits(alg);

        if (bits)
                return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
        switch (alg) {
        case VT_ALG_P256:
                return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        case VT_ALG_P384:
                return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
        case VT_ALG_ED25519:
                return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        case VT_ALG_X25519:
                return EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
        default:
                return NULL;
        }
}

uint8_t vt_key_alg(const EVP_PKEY *key)
{
        char group[64];

        if (!key)
                return VT_ALG_NONE;
        if (EVP_PKEY_is_a(key, "RSA")) {
                switch (EVP_PKEY_get_bits(key)) {
                case 1024:
                        return VT_ALG_RSA1024;
                case 2048:
                        return VT_ALG_RSA2048;
                case 3072:
                        return VT_ALG_RSA3072;
                case 4096:
                        return VT_ALG_RSA4096;
                default:
                        return VT_ALG_NONE;
                }
        }
        if (EVP_PKEY_is_a(key, "EC")) {
                if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                                    sizeof(group), NULL))
                        return VT_ALG_NONE;
                if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
                        return VT_ALG_P256;
                if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
                        return VT_ALG_P384;
                return VT_ALG_NONE;
        }
        if (EVP_PKEY_is_a(key, "ED25519"))
                return VT_ALG_ED25519;
        if (EVP_PKEY_is_a(key, "X25519"))
                return VT_ALG_X25519;
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
