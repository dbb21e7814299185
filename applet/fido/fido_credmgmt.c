/* SPDX-License-Identifier: Apache-2.0 */
/* authenticatorCredentialManagement (CTAP 2.1, 6.8; and its preview command 0x41, which
 * python-fido2 0.9 and ykman 4 send): metadata, relying parties and their discoverable
 * credentials enumerated, a credential deleted, its user updated. Every subcommand but the
 * "next" ones is authenticated with a token of the cm permission over subCommand ||
 * subCommandParams. */
#include "fido_internal.h"

#include "cbor.h"
#include "fido_crypto.h"
#include "fido_pin.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <string.h>

#define CM_METADATA    0x01
#define CM_RPS_BEGIN   0x02
#define CM_RPS_NEXT    0x03
#define CM_CREDS_BEGIN 0x04
#define CM_CREDS_NEXT  0x05
#define CM_DELETE      0x06
#define CM_UPDATE_USER 0x07
#define CM_MSG_MAX     512

static void put_rp(const struct vt_fido *f, size_t i, size_t total, struct writer *w)
{
        const struct fido_resident *c = &f->st->rk[i];
        uint8_t h[32];
        SHA256((const uint8_t *)c->rp_id, strlen(c->rp_id), h);
        cbor_put_map(w, total ? 3 : 2);
        cbor_put_uint(w, 3);
        cbor_put_map(w, 1);
        cbor_put_text(w, "id");
        cbor_put_text(w, c->rp_id);
        cbor_put_uint(w, 4);
        cbor_put_bytes(w, h, 32);
        if (total) {
                cbor_put_uint(w, 5);
                cbor_put_uint(w, total);
        }
}

static int put_cred(const struct vt_fido *f, size_t i, size_t total, struct writer *w)
{
        const struct fido_resident *c = &f->st->rk[i];
        struct fido_key k;
        uint8_t h[32];
        SHA256((const uint8_t *)c->rp_id, strlen(c->rp_id), h);
        if (fido_unseal(f->st->secret, h, c->id, c->id_len, &k) != 0)
                return CTAP1_ERR_OTHER;
        cbor_put_map(w, total ? 5 : 4);
        cbor_put_uint(w, 6);
        cbor_put_map(w, 3);
        cbor_put_text(w, "id");
        cbor_put_bytes(w, c->user_id, c->user_id_len);
        cbor_put_text(w, "name");
        cbor_put_text(w, c->user_name);
        cbor_put_text(w, "displayName");
        cbor_put_text(w, c->display_name);
        cbor_put_uint(w, 7);
        cbor_put_map(w, 2);
        cbor_put_text(w, "id");
        cbor_put_bytes(w, c->id, c->id_len);
        cbor_put_text(w, "type");
        cbor_put_text(w, "public-key");
        cbor_put_uint(w, 8);
        fido_cose_pub(w, k.key, k.alg);
        if (total) {
                cbor_put_uint(w, 9);
                cbor_put_uint(w, total);
        }
        cbor_put_uint(w, 0x0A);
        cbor_put_uint(w, c->cred_protect);
        fido_key_clear(&k);
        return CTAP_OK;
}

/* The credential whose id is the "id" of descriptor d; -1 when none. */
static int find_cred(const struct vt_fido *f, struct reader d)
{
        size_t n;
        if (cbor_map(&d, &n) != 0)
                return -1;
        for (size_t i = 0; i < n; i++) {
                const char *k;
                size_t kl, id_len;
                const uint8_t *id;
                if (cbor_text(&d, &k, &kl) != 0)
                        return -1;
                if (!cbor_text_is(k, kl, "id")) {
                        if (cbor_skip(&d, NULL) != 0)
                                return -1;
                        continue;
                }
                if (cbor_bytes(&d, &id, &id_len) != 0)
                        return -1;
                for (size_t j = 0; j < f->st->n_rk; j++)
                        if (f->st->rk[j].id_len == id_len &&
                            CRYPTO_memcmp(f->st->rk[j].id, id, id_len) == 0)
                                return (int)j;
                return -1;
        }
        return -1;
}

static int rps_begin(struct vt_fido *f, struct writer *w)
{
        f->cm_n = f->cm_pos = 0;
        f->cm_rps = true;
        for (size_t i = 0; i < f->st->n_rk; i++) {
                bool seen = false;
                for (size_t j = 0; j < f->cm_n && !seen; j++)
                        seen = strcmp(f->st->rk[f->cm_list[j]].rp_id, f->st->rk[i].rp_id) == 0;
                if (!seen)
                        f->cm_list[f->cm_n++] = i;
        }
        if (f->cm_n == 0)
                return CTAP2_ERR_NO_CREDENTIALS;
        f->cm_pos = 1;
        put_rp(f, f->cm_list[0], f->cm_n, w);
        return CTAP_OK;
}

static int creds_begin(struct vt_fido *f, struct reader params, struct writer *w)
{
        struct reader h = rd_init(NULL, 0);
        const uint8_t *hash;
        size_t n, hl;
        f->cm_n = f->cm_pos = 0;
        f->cm_rps = false;
        if (cbor_map(&params, &n) != 0)
                return CTAP2_ERR_MISSING_PARAMETER;
        for (size_t i = 0; i < n; i++) {
                int64_t k;
                struct reader v;
                if (cbor_int(&params, &k) != 0 || cbor_skip(&params, &v) != 0)
                        return CTAP2_ERR_INVALID_CBOR;
                if (k == 1)
                        h = v;
        }
        if (cbor_bytes(&h, &hash, &hl) != 0 || hl != 32)
                return CTAP2_ERR_MISSING_PARAMETER;
        for (size_t i = 0; i < f->st->n_rk; i++) {
                uint8_t rh[32];
                SHA256((const uint8_t *)f->st->rk[i].rp_id, strlen(f->st->rk[i].rp_id), rh);
                if (memcmp(rh, hash, 32) == 0)
                        f->cm_list[f->cm_n++] = i;
        }
        if (f->cm_n == 0)
                return CTAP2_ERR_NO_CREDENTIALS;
        f->cm_pos = 1;
        return put_cred(f, f->cm_list[0], f->cm_n, w);
}

static int next(struct vt_fido *f, bool rps, struct writer *w)
{
        if (f->cm_rps != rps || f->cm_pos == 0 || f->cm_pos >= f->cm_n)
                return CTAP2_ERR_NOT_ALLOWED;
        size_t i = f->cm_list[f->cm_pos++];
        if (rps) {
                put_rp(f, i, 0, w);
                return CTAP_OK;
        }
        return put_cred(f, i, 0, w);
}

/* Deletes (user NULL) or updates the user of the credential params' key 2 names. */
static int change(struct vt_fido *f, struct reader params, const struct reader *user_of)
{
        struct reader d = rd_init(NULL, 0), u = rd_init(NULL, 0);
        struct vt_fido_state *nx;
        size_t n;
        int i, r;
        if (cbor_map(&params, &n) != 0)
                return CTAP2_ERR_MISSING_PARAMETER;
        for (size_t k = 0; k < n; k++) {
                int64_t key;
                struct reader v;
                if (cbor_int(&params, &key) != 0 || cbor_skip(&params, &v) != 0)
                        return CTAP2_ERR_INVALID_CBOR;
                if (key == 2)
                        d = v;
                else if (key == 3)
                        u = v;
        }
        if (!d.left || (user_of && !u.left))
                return CTAP2_ERR_MISSING_PARAMETER;
        if ((i = find_cred(f, d)) < 0)
                return CTAP2_ERR_NO_CREDENTIALS;
        if (!(nx = fido_state_clone(f->st)))
                return CTAP1_ERR_OTHER;
        struct fido_resident *c = &nx->rk[i];
        r = CTAP_OK;
        if (!user_of) {
                memmove(c, c + 1, (nx->n_rk - (size_t)i - 1) * sizeof(*c));
                nx->n_rk--;
                OPENSSL_cleanse(&nx->rk[nx->n_rk], sizeof(nx->rk[0]));
        } else {
                /* the user id must stay; name and displayName are replaced (absent: empty) */
                size_t m;
                struct reader uu = u;
                if (cbor_map(&uu, &m) != 0) {
                        r = CTAP2_ERR_INVALID_CBOR;
                        goto out;
                }
                memset(c->user_name, 0, sizeof(c->user_name));
                memset(c->display_name, 0, sizeof(c->display_name));
                for (size_t k = 0; k < m && r == CTAP_OK; k++) {
                        const char *key, *v;
                        size_t kl, vl;
                        const uint8_t *id;
                        if (cbor_text(&uu, &key, &kl) != 0) {
                                r = CTAP2_ERR_INVALID_CBOR;
                                break;
                        }
                        if (cbor_text_is(key, kl, "id")) {
                                if (cbor_bytes(&uu, &id, &vl) != 0 || vl != c->user_id_len ||
                                    memcmp(id, c->user_id, vl) != 0)
                                        r = CTAP1_ERR_INVALID_PARAMETER;
                        } else if (cbor_text_is(key, kl, "name") ||
                                   cbor_text_is(key, kl, "displayName")) {
                                char *dst = key[0] == 'n' ? c->user_name : c->display_name;
                                if (cbor_text(&uu, &v, &vl) != 0)
                                        r = CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
                                else
                                        memcpy(dst, v, vl < FIDO_NAME_MAX ? vl : FIDO_NAME_MAX);
                        } else if (cbor_skip(&uu, NULL) != 0) {
                                r = CTAP2_ERR_INVALID_CBOR;
                        }
                }
        }
        if (r == CTAP_OK && fido_commit(f, nx) != 0)
                r = CTAP1_ERR_OTHER;
out:
        fido_state_free(nx);
        f->cm_n = f->cm_pos = 0;
        return r;
}

int fido_cred_mgmt(struct vt_fido *f, struct reader in, struct writer *w)
{
        struct reader p[5] = {0}, params;
        uint8_t msg[CM_MSG_MAX];
        int64_t sub;
        int r;
        if (cbor_int_map(&in, p, sizeof(p) / sizeof(p[0])) != 0)
                return CTAP2_ERR_INVALID_CBOR;
        if (cbor_int(&p[1], &sub) != 0)
                return CTAP2_ERR_MISSING_PARAMETER;
        params = p[2];
        if (sub == CM_RPS_NEXT || sub == CM_CREDS_NEXT)
                return next(f, sub == CM_RPS_NEXT, w);
        if (!p[4].left)
                return CTAP2_ERR_PUAT_REQUIRED;
        if (params.left > sizeof(msg) - 1)
                return CTAP1_ERR_INVALID_LENGTH;
        msg[0] = (uint8_t)sub;
        if (params.left)
                memcpy(msg + 1, params.p, params.left);
        if ((r = fido_pin_check(f, p[4], p[3], msg, 1 + params.left, FIDO_PERM_CM, NULL, 0)) != 0)
                return r;
        switch (sub) {
        case CM_METADATA:
                cbor_put_map(w, 2);
                cbor_put_uint(w, 1);
                cbor_put_uint(w, f->st->n_rk);
                cbor_put_uint(w, 2);
                cbor_put_uint(w, FIDO_RESIDENT_MAX - f->st->n_rk);
                return CTAP_OK;
        case CM_RPS_BEGIN:
                return rps_begin(f, w);
        case CM_CREDS_BEGIN:
                return creds_begin(f, params, w);
        case CM_DELETE:
                return change(f, params, NULL);
        case CM_UPDATE_USER:
                return change(f, params, &params);
        default:
                return CTAP1_ERR_INVALID_PARAMETER;
        }
}
