/* SPDX-License-Identifier: Apache-2.0 */
/* The FIDO applet's persistent state: new, copy, free, reset. */
#include "fido.h"
#include "fido_crypto.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdlib.h>
#include <string.h>

const uint8_t vt_fido_aid[8] = {0xA0, 0x00, 0x00, 0x06, 0x47, 0x2F, 0x00, 0x01};

/* vtoken's AAGUID: no vendor's, so that no relying party takes the card for a real key */
static const uint8_t aaguid[16] = {0x76, 0x74, 0x6f, 0x6b, 0x65, 0x6e, 0x2d, 0x66,
                                   0x69, 0x64, 0x6f, 0x2d, 0x76, 0x31, 0x00, 0x01};

void fido_state_reset(struct vt_fido_state *st)
{
        if (RAND_bytes(st->secret, sizeof(st->secret)) != 1)
                abort(); /* never sealed under a known secret */
        st->pin_set = false;
        OPENSSL_cleanse(st->pin_hash, sizeof(st->pin_hash));
        st->pin_len = 0;
        st->pin_tries = FIDO_PIN_TRIES;
        OPENSSL_cleanse(st->rk, sizeof(st->rk));
        st->n_rk = 0;
}

struct vt_fido_state *fido_state_new(uint32_t serial)
{
        struct vt_fido_state *st = calloc(1, sizeof(*st));
        if (!st)
                return NULL;
        memcpy(st->aaguid, aaguid, sizeof(aaguid));
        fido_state_reset(st);
        if (fido_make_attestation(st, serial) != 0) {
                fido_state_free(st);
                return NULL;
        }
        return st;
}

struct vt_fido_state *fido_state_clone(const struct vt_fido_state *st)
{
        struct vt_fido_state *c = malloc(sizeof(*c));
        if (c)
                *c = *st;
        return c;
}

void fido_state_free(struct vt_fido_state *st)
{
        if (!st)
                return;
        OPENSSL_cleanse(st, sizeof(*st));
        free(st);
}
