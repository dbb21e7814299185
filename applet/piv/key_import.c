/* SPDX-License-Identifier: Apache-2.0 */
#include "key_import.h"

#include "keygen.h"

#define TAG_IMPORT_P       0x01
#define TAG_IMPORT_Q       0x02
#define TAG_IMPORT_EC      0x06
#define TAG_IMPORT_ED25519 0x07
#define TAG_IMPORT_X25519  0x08

/* The value of tag in data, which has to be exactly len bytes (any length when len is 0); an
 * empty reader when it is not there or of another length. */
static struct reader find(struct reader data, uint32_t tag, size_t len)
{
        struct reader v;
        if (rd_find(data, tag, &v) != 0 || (len && v.left != len))
                return rd_init(NULL, 0);
        return v;
}

EVP_PKEY *vt_key_import(uint8_t alg, struct reader data)
{
        enum vt_crypto_alg c = vt_alg_crypto(alg);
        const struct vt_crypto_info *info = vt_crypto_info(c);
        struct vt_key_parts parts = {0};
        if (!info)
                return NULL;
        switch (info->kind) {
        case VT_KIND_RSA:
                parts.p = find(data, TAG_IMPORT_P, 0);
                parts.q = find(data, TAG_IMPORT_Q, 0);
                break;
        case VT_KIND_EC:
                parts.priv = find(data, TAG_IMPORT_EC, info->size);
                break;
        case VT_KIND_EDDSA:
                parts.priv = find(data, TAG_IMPORT_ED25519, info->size);
                break;
        case VT_KIND_MONTGOMERY:
                parts.priv = find(data, TAG_IMPORT_X25519, info->size);
                break;
        }
        return vt_crypto_import(c, &parts);
}
