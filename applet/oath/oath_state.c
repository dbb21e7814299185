/* SPDX-License-Identifier: Apache-2.0 */
/* The OATH application's persistent state, its algorithms and the HOTP/TOTP arithmetic. */
#include "oath.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const uint8_t vt_oath_aid[7] = {0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01};

static const struct {
        uint8_t alg;
        const char *name;
} algs[] = {
    {OATH_SHA1, "SHA1"},
    {OATH_SHA256, "SHA256"},
    {OATH_SHA512, "SHA512"},
};

const char *oath_alg_name(uint8_t alg)
{
        for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
                if (algs[i].alg == alg)
                        return algs[i].name;
        return NULL;
}

int oath_alg_parse(const char *name, uint8_t *alg)
{
        for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
                if (strcasecmp(algs[i].name, name) == 0) {
                        *alg = algs[i].alg;
                        return 0;
                }
        return -1;
}

static const EVP_MD *md_of(uint8_t alg)
{
        switch (alg) {
        case OATH_SHA1:
                return EVP_sha1();
        case OATH_SHA256:
                return EVP_sha256();
        case OATH_SHA512:
                return EVP_sha512();
        default:
                return NULL;
        }
}

size_t oath_hmac(uint8_t alg, const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
                 uint8_t *out)
{
        static const uint8_t none = 0; /* HMAC() takes a NULL key for "keep the last one" */
        const EVP_MD *md = md_of(alg);
        unsigned n = 0;
        if (!md || !HMAC(md, key_len ? key : &none, (int)key_len, len ? data : &none, len, out, &n))
                return 0;
        return n;
}

uint32_t oath_code(const uint8_t *mac, size_t mac_len, uint8_t digits)
{
        static const uint32_t mod[] = {1,      10,      100,      1000,     10000,
                                       100000, 1000000, 10000000, 100000000};
        size_t off = mac[mac_len - 1] & 0x0F;
        uint32_t v = (uint32_t)(mac[off] & 0x7F) << 24 | (uint32_t)mac[off + 1] << 16 |
                     (uint32_t)mac[off + 2] << 8 | mac[off + 3];
        return v % mod[digits > 8 ? 8 : digits];
}

struct vt_oath_state *oath_state_new(void)
{
        struct vt_oath_state *st = calloc(1, sizeof(*st));
        if (st && RAND_bytes(st->salt, sizeof(st->salt)) != 1) {
                free(st);
                return NULL;
        }
        return st;
}

struct vt_oath_state *oath_state_clone(const struct vt_oath_state *st)
{
        struct vt_oath_state *c = malloc(sizeof(*c));
        if (c)
                *c = *st;
        return c;
}

void oath_state_free(struct vt_oath_state *st)
{
        if (!st)
                return;
        OPENSSL_cleanse(st, sizeof(*st));
        free(st);
}

size_t oath_room(const uint8_t version[3])
{
        return version[0] > 5 || (version[0] == 5 && version[1] >= 7) ? OATH_CREDS_MAX
                                                                      : OATH_CREDS_MAX / 2;
}

static int find(const struct vt_oath_state *st, const uint8_t *name, size_t len)
{
        for (size_t i = 0; i < st->n; i++)
                if (st->creds[i].name_len == len && memcmp(st->creds[i].name, name, len) == 0)
                        return (int)i;
        return -1;
}

const struct oath_cred *oath_state_find(const struct vt_oath_state *st, const uint8_t *name,
                                        size_t len)
{
        int i = find(st, name, len);
        return i < 0 ? NULL : &st->creds[i];
}

int oath_state_put(struct vt_oath_state *st, const struct oath_cred *cred, size_t room)
{
        int i = find(st, cred->name, cred->name_len);
        if (i < 0) {
                if (st->n >= room || st->n >= OATH_CREDS_MAX)
                        return -1;
                i = (int)st->n++;
        }
        st->creds[i] = *cred;
        return 0;
}
