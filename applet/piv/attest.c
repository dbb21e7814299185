/* SPDX-License-Identifier: Apache-2.0 */
#include "attest.h"

#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdio.h>

/* Yubico's attestation extensions, 1.3.6.1.4.1.41482.3.x; their values are raw bytes except
 * the serial, a DER INTEGER. */
#define OID_FIRMWARE               "1.3.6.1.4.1.41482.3.3"
#define OID_SERIAL                 "1.3.6.1.4.1.41482.3.7"
#define OID_POLICY                 "1.3.6.1.4.1.41482.3.8"
#define OID_FORM_FACTOR            "1.3.6.1.4.1.41482.3.9"
#define FORM_FACTOR_USB_A_KEYCHAIN 0x01

static int add_ext(X509 *x, const char *oid, const uint8_t *v, int n)
{
        ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
        ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
        X509_EXTENSION *ext = NULL;
        int r = -1;
        if (obj && os && ASN1_OCTET_STRING_set(os, v, n) &&
            (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) && X509_add_ext(x, ext, -1))
                r = 0;
        X509_EXTENSION_free(ext);
        ASN1_OCTET_STRING_free(os);
        ASN1_OBJECT_free(obj);
        return r;
}

static int add_serial_ext(X509 *x, uint32_t serial)
{
        ASN1_INTEGER *i = ASN1_INTEGER_new();
        uint8_t *der = NULL;
        int n = -1, r = -1;
        if (i && ASN1_INTEGER_set_int64(i, serial) && (n = i2d_ASN1_INTEGER(i, &der)) > 0)
                r = add_ext(x, OID_SERIAL, der, n);
        OPENSSL_free(der);
        ASN1_INTEGER_free(i);
        return r;
}

static int set_random_serial(X509 *x)
{
        uint8_t b[16];
        BIGNUM *bn = NULL;
        int r = -1;
        if (RAND_bytes(b, sizeof(b)) == 1) {
                b[0] &= 0x7F; /* positive */
                bn = BN_bin2bn(b, sizeof(b), NULL);
                if (bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
                        r = 0;
        }
        BN_free(bn);
        return r;
}

static int set_subject(X509 *x, uint8_t ref)
{
        char cn[64];
        X509_NAME *name = X509_NAME_new();
        int r = -1;
        snprintf(cn, sizeof(cn), "YubiKey PIV Attestation %02x", ref);
        if (name &&
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const uint8_t *)cn, -1, -1, 0) &&
            X509_set_subject_name(x, name))
                r = 0;
        X509_NAME_free(name);
        return r;
}

int vt_attest(const struct vt_image *img, const struct vt_slot *f9, const struct vt_slot *s,
              uint8_t pin, uint8_t touch, uint8_t **der, size_t *len)
{
        const uint8_t *p = f9->cert;
        X509 *ca = d2i_X509(NULL, &p, (long)f9->cert_len);
        X509 *x = X509_new();
        const uint8_t policy[2] = {pin, touch}, form = FORM_FACTOR_USB_A_KEYCHAIN;
        int n, r = -1;
        *der = NULL;
        if (!ca || !x || !X509_set_version(x, 2) || set_random_serial(x) ||
            !X509_set_issuer_name(x, X509_get_subject_name(ca)) || set_subject(x, s->ref) ||
            !X509_set1_notBefore(x, X509_get0_notBefore(ca)) ||
            !X509_set1_notAfter(x, X509_get0_notAfter(ca)) || !X509_set_pubkey(x, s->key) ||
            add_ext(x, OID_FIRMWARE, img->version, 3) || add_serial_ext(x, img->serial) ||
            add_ext(x, OID_POLICY, policy, 2) || add_ext(x, OID_FORM_FACTOR, &form, 1))
                goto out;
        /* Ed25519 signs without a separate digest */
        const EVP_MD *md = EVP_PKEY_get_id(f9->key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
        if (!X509_sign(x, f9->key, md) || (n = i2d_X509(x, der)) <= 0)
                goto out;
        *len = (size_t)n;
        r = 0;
out:
        X509_free(x);
        X509_free(ca);
        return r;
}
