/* SPDX-License-Identifier: Apache-2.0 */
/* The FIDO applet over ISO 7816 (the NFC transport of CTAP 2.1, 11.3): SELECT answers the
 * version string, NFCCTAP_MSG (80 10) carries a CTAP2 command byte and its CBOR, the answer is
 * a CTAP status byte and CBOR; U2F (CTAP1) APDUs as they are (fido_u2f.c). */
#include "fido_internal.h"

#include "cbor.h"
#include "fido_crypto.h"
#include "fido_pin.h"
#include "registry.h"
#include "sw.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <stdlib.h>
#include <string.h>

#define INS_NFCCTAP_MSG   0x10
#define INS_NFCCTAP_GETRS 0x11
#define PARAMS_MAX        16

#define KEEPALIVE_UP_NEEDED 0x02  /* the status byte of a 9100: waiting for the user */
#define RESET_WINDOW_MS     10000 /* Reset only this soon after the card entered its reader */

#define FLAG_UP 0x01
#define FLAG_UV 0x04
#define FLAG_AT 0x40
#define FLAG_ED 0x80

uint16_t fido_u2f(struct vt_fido *f, const struct apdu *a, struct writer *out);

int fido_commit(struct vt_fido *f, const struct vt_fido_state *next)
{
        struct fido_change ch = {next};
        if (vt_store_commit(&f->store, &vt_unit_fido, &ch) != 0)
                return -1;
        *f->st = *next;
        return 0;
}

/* The top-level map of a CTAP2 command: params[k] the value of integer key k (< PARAMS_MAX);
 * other keys skipped. */
static int params_of(struct reader r, struct reader params[PARAMS_MAX])
{
        size_t n;
        memset(params, 0, sizeof(struct reader) * PARAMS_MAX);
        if (cbor_map(&r, &n) != 0)
                return CTAP2_ERR_INVALID_CBOR;
        for (size_t i = 0; i < n; i++) {
                int64_t k;
                struct reader v;
                if (cbor_int(&r, &k) != 0 || cbor_skip(&r, &v) != 0)
                        return CTAP2_ERR_INVALID_CBOR;
                if (k >= 0 && k < PARAMS_MAX)
                        params[k] = v;
        }
        return r.left ? CTAP2_ERR_INVALID_CBOR : CTAP_OK;
}

/* In a map item m, the value of text key name (absent: an empty reader). */
static int map_text_key(struct reader m, const char *name, struct reader *v)
{
        size_t n;
        *v = rd_init(NULL, 0);
        if (cbor_map(&m, &n) != 0)
                return -1;
        for (size_t i = 0; i < n; i++) {
                const char *k;
                size_t kl;
                struct reader val;
                if (cbor_peek(&m) == CBOR_TEXT) {
                        if (cbor_text(&m, &k, &kl) != 0 || cbor_skip(&m, &val) != 0)
                                return -1;
                        if (cbor_text_is(k, kl, name))
                                *v = val;
                } else if (cbor_skip(&m, NULL) != 0 || cbor_skip(&m, NULL) != 0) {
                        return -1;
                }
        }
        return 0;
}

static bool present(const struct reader *r)
{
        return r->left > 0;
}

/* An option of an options map: def when absent; -1 when not a boolean. */
static int option(struct reader opts, const char *name, bool def, bool *v)
{
        struct reader o;
        *v = def;
        if (!present(&opts))
                return 0;
        if (map_text_key(opts, name, &o) != 0)
                return -1;
        return present(&o) ? cbor_bool(&o, v) : 0;
}

/* ---- user presence ------------------------------------------------------------------------ */

static const struct vt_presence *clock_of(const struct vt_fido *f)
{
        return f->card ? f->card->presence : NULL;
}

/* The user's presence for the command running: given at once (presence = auto, or a card
 * without a presence clock), given by the touch the command waited for, or FIDO_UP_PENDING. */
static int user_present(const struct vt_fido *f)
{
        if (!f->st->presence_touch || !clock_of(f) || f->up_given)
                return CTAP_OK;
        return FIDO_UP_PENDING;
}

static void want_touch(struct vt_fido *f, bool on)
{
        const struct vt_presence *p = clock_of(f);
        if (p && p->want)
                p->want(p->ctx, on);
}

/* The touch since `since` that no command took yet; 0 when none. */
static uint64_t fresh_touch(const struct vt_fido *f, uint64_t since)
{
        const struct vt_presence *p = clock_of(f);
        uint64_t t = p->touched_ms(p->ctx);
        return t >= since && t != f->touch_taken ? t : 0;
}

static bool timed_out(const struct vt_fido *f, uint64_t since)
{
        const struct vt_presence *p = clock_of(f);
        return p->now_ms(p->ctx) - since >= p->timeout_ms(p->ctx);
}

static void up_clear(struct vt_fido *f)
{
        OPENSSL_cleanse(f->up_cmd, f->up_len);
        f->up_len = 0;
        f->up_waiting = false;
        want_touch(f, false);
}

bool fido_u2f_present(struct vt_fido *f)
{
        const struct vt_presence *p = clock_of(f);
        uint64_t t;
        if (!f->st->presence_touch || !p)
                return true;
        if (f->u2f_since && !timed_out(f, f->u2f_since)) {
                if (!(t = fresh_touch(f, f->u2f_since)))
                        return false;
                f->touch_taken = t;
                f->u2f_since = 0;
                want_touch(f, false);
                return true;
        }
        f->u2f_since = p->now_ms(p->ctx);
        want_touch(f, true);
        return false;
}

static void put_counter(struct writer *w, uint32_t c)
{
        wr_u16(w, (uint16_t)(c >> 16));
        wr_u16(w, (uint16_t)c);
}

/* ---- authenticatorGetInfo ----------------------------------------------------------------- */

/* What authenticatorGetInfo says: vtoken's own, or a YubiKey 5 NFC's of firmware 5.4 or 5.7
 * (--compat yubikey) as far as vtoken does what it says (docs/fido.md lists what it leaves
 * out of 5.7's). */
struct info_model {
        const char *versions[4];
        const uint8_t *aaguid; /* NULL: the image's */
        bool pre_21;           /* no credMgmt option: FIDO_2_1_PRE's credentialMgmtPreview only */
        bool pin_uv_token;     /* the pinUvAuthToken option */
        unsigned max_msg, max_cred_id;
        bool usb, firmware, min_pin, remaining;
};

static const uint8_t yk5nfc_54[16] = {0x2f, 0xc0, 0x57, 0x9f, 0x81, 0x13, 0x47, 0xea,
                                      0xb1, 0x16, 0xbb, 0x5a, 0x8d, 0xb9, 0x20, 0x2a};
static const uint8_t yk5nfc_57[16] = {0xa2, 0x53, 0x42, 0xc0, 0x3c, 0xdc, 0x44, 0x14,
                                      0x8e, 0x46, 0xf4, 0x80, 0x7f, 0xca, 0x51, 0x1c};

static const struct info_model models[] = {
    [FIDO_MODEL_VTOKEN] = {{"U2F_V2", "FIDO_2_0", "FIDO_2_1"},
                           NULL,
                           false,
                           false,
                           1200,
                           FIDO_CRED_ID_MAX,
                           false,
                           false,
                           false,
                           true},
    [FIDO_MODEL_YK54] = {{"U2F_V2", "FIDO_2_0", "FIDO_2_1_PRE"},
                         yk5nfc_54,
                         true,
                         false,
                         1200,
                         128,
                         true,
                         true,
                         false,
                         false},
    [FIDO_MODEL_YK57] = {{"U2F_V2", "FIDO_2_0", "FIDO_2_1_PRE", "FIDO_2_1"},
                         yk5nfc_57,
                         false,
                         true,
                         1280,
                         128,
                         true,
                         true,
                         true,
                         true},
};

static const uint8_t *aaguid_of(const struct vt_fido *f)
{
        const uint8_t *g = models[f->model].aaguid;
        return g ? g : f->st->aaguid;
}

static size_t count_of(const char *const *list, size_t max)
{
        size_t n = 0;
        while (n < max && list[n])
                n++;
        return n;
}

static int get_info(struct vt_fido *f, struct writer *w)
{
        const struct info_model *m = &models[f->model];
        size_t nv = count_of(m->versions, 4);
        cbor_put_map(w, 10 + (m->min_pin ? 2 : 0) + (m->firmware ? 1 : 0) + (m->remaining ? 1 : 0));
        cbor_put_uint(w, 1);
        cbor_put_array(w, nv);
        for (size_t i = 0; i < nv; i++)
                cbor_put_text(w, m->versions[i]);
        cbor_put_uint(w, 2);
        cbor_put_array(w, 2);
        cbor_put_text(w, "credProtect");
        cbor_put_text(w, "hmac-secret");
        cbor_put_uint(w, 3);
        cbor_put_bytes(w, aaguid_of(f), 16);
        cbor_put_uint(w, 4);
        /* CTAP's canonical order: shorter keys first. No pinUvAuthToken option in vtoken's
         * own, as a YubiKey 5.4: python-fido2 0.9 would ask for a token without permissions
         * (subcommand 9 answers those who name them) */
        cbor_put_map(w, 5 + (m->pre_21 ? 0 : 1) + (m->pin_uv_token ? 1 : 0));
        cbor_put_text(w, "rk");
        cbor_put_bool(w, true);
        cbor_put_text(w, "up");
        cbor_put_bool(w, true);
        cbor_put_text(w, "plat");
        cbor_put_bool(w, false);
        if (!m->pre_21) {
                cbor_put_text(w, "credMgmt");
                cbor_put_bool(w, true);
        }
        cbor_put_text(w, "clientPin");
        cbor_put_bool(w, f->st->pin_set);
        if (m->pin_uv_token) {
                cbor_put_text(w, "pinUvAuthToken");
                cbor_put_bool(w, true);
        }
        cbor_put_text(w, "credentialMgmtPreview");
        cbor_put_bool(w, true);
        cbor_put_uint(w, 5); /* maxMsgSize */
        cbor_put_uint(w, m->max_msg);
        cbor_put_uint(w, 6); /* pinUvAuthProtocols */
        cbor_put_array(w, 2);
        cbor_put_uint(w, 2);
        cbor_put_uint(w, 1);
        cbor_put_uint(w, 7); /* maxCredentialCountInList */
        cbor_put_uint(w, 8);
        cbor_put_uint(w, 8); /* maxCredentialIdLength */
        cbor_put_uint(w, m->max_cred_id);
        cbor_put_uint(w, 9);
        cbor_put_array(w, m->usb ? 2 : 1);
        cbor_put_text(w, "nfc");
        if (m->usb)
                cbor_put_text(w, "usb");
        cbor_put_uint(w, 0x0A);
        cbor_put_array(w, 2);
        for (int i = 0; i < 2; i++) {
                cbor_put_map(w, 2);
                cbor_put_text(w, "alg");
                cbor_put_int(w, i == 0 ? FIDO_ALG_ES256 : FIDO_ALG_EDDSA);
                cbor_put_text(w, "type");
                cbor_put_text(w, "public-key");
        }
        if (m->min_pin) {
                cbor_put_uint(w, 0x0C); /* forcePINChange */
                cbor_put_bool(w, false);
                cbor_put_uint(w, 0x0D); /* minPINLength */
                cbor_put_uint(w, FIDO_PIN_MIN);
        }
        if (m->firmware) { /* firmwareVersion: major, minor, patch a byte each */
                cbor_put_uint(w, 0x0E);
                cbor_put_uint(w, (uint64_t)f->fw[0] << 16 | (uint64_t)f->fw[1] << 8 | f->fw[2]);
        }
        if (m->remaining) {
                cbor_put_uint(w, 0x14); /* remainingDiscoverableCredentials */
                cbor_put_uint(w, FIDO_RESIDENT_MAX - f->st->n_rk);
        }
        return CTAP_OK;
}

void vt_fido_yubikey(struct vt_fido *f, const uint8_t fw[3])
{
        memcpy(f->fw, fw, 3);
        f->model = fw[0] > 5 || (fw[0] == 5 && fw[1] >= 7) ? FIDO_MODEL_YK57 : FIDO_MODEL_YK54;
}

/* ---- authenticatorMakeCredential ---------------------------------------------------------- */

struct mc {
        const uint8_t *cdh;
        const char *rp_id;
        size_t rp_len;
        const uint8_t *user_id;
        size_t user_id_len;
        const char *name, *display;
        size_t name_len, display_len;
        int alg;
        bool rk, cred_protect_asked, hmac_secret;
        uint8_t cred_protect;
};

static int text_field(struct reader m, const char *key, const char **p, size_t *n, size_t max)
{
        struct reader v;
        *p = "";
        *n = 0;
        if (map_text_key(m, key, &v) != 0)
                return CTAP2_ERR_INVALID_CBOR;
        if (!present(&v))
                return CTAP_OK;
        if (cbor_text(&v, p, n) != 0)
                return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
        if (*n > max)
                *n = max; /* names are truncated as CTAP 2.1 lets an authenticator do */
        return CTAP_OK;
}

static int pick_alg(struct reader params, int *alg)
{
        size_t n;
        *alg = 0;
        if (cbor_array(&params, &n) != 0)
                return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
        for (size_t i = 0; i < n; i++) {
                struct reader item, v;
                int64_t a;
                if (cbor_skip(&params, &item) != 0 || map_text_key(item, "alg", &v) != 0)
                        return CTAP2_ERR_INVALID_CBOR;
                if (present(&v) && cbor_int(&v, &a) == 0 && *alg == 0 &&
                    (a == FIDO_ALG_ES256 || a == FIDO_ALG_EDDSA))
                        *alg = (int)a;
        }
        return *alg ? CTAP_OK : CTAP2_ERR_UNSUPPORTED_ALG;
}

/* Whether a credential list names one of ours for rp_hash (and that uv lets it be seen). */
static bool list_has_ours(const struct vt_fido *f, struct reader list, const uint8_t *rp_hash,
                          bool uv)
{
        size_t n;
        if (cbor_array(&list, &n) != 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                struct reader item, v;
                const uint8_t *id;
                size_t id_len;
                struct fido_key k;
                if (cbor_skip(&list, &item) != 0 || map_text_key(item, "id", &v) != 0 ||
                    cbor_bytes(&v, &id, &id_len) != 0)
                        return false;
                if (fido_unseal(f->st->secret, rp_hash, id, id_len, &k) == 0) {
                        bool seen = k.cred_protect < 3 || uv;
                        fido_key_clear(&k);
                        if (seen)
                                return true;
                }
        }
        return false;
}

static int parse_mc(struct reader p[PARAMS_MAX], struct mc *m)
{
        struct reader v;
        size_t n;
        int r;
        bool up, uv;
        memset(m, 0, sizeof(*m));
        if (!present(&p[1]) || !present(&p[2]) || !present(&p[3]) || !present(&p[4]))
                return CTAP2_ERR_MISSING_PARAMETER;
        if (cbor_bytes(&p[1], &m->cdh, &n) != 0 || n != 32)
                return CTAP1_ERR_INVALID_PARAMETER;
        if (map_text_key(p[2], "id", &v) != 0 || !present(&v) ||
            cbor_text(&v, &m->rp_id, &m->rp_len) != 0 || m->rp_len > FIDO_RP_MAX)
                return CTAP2_ERR_MISSING_PARAMETER;
        if (map_text_key(p[3], "id", &v) != 0 || !present(&v) ||
            cbor_bytes(&v, &m->user_id, &m->user_id_len) != 0 || m->user_id_len > FIDO_USER_ID_MAX)
                return CTAP2_ERR_MISSING_PARAMETER;
        if ((r = text_field(p[3], "name", &m->name, &m->name_len, FIDO_NAME_MAX)) != 0 ||
            (r = text_field(p[3], "displayName", &m->display, &m->display_len, FIDO_NAME_MAX)) !=
                0 ||
            (r = pick_alg(p[4], &m->alg)) != 0)
                return r;
        if (option(p[7], "rk", false, &m->rk) != 0 || option(p[7], "up", true, &up) != 0 ||
            option(p[7], "uv", false, &uv) != 0)
                return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
        if (!up)
                return CTAP2_ERR_INVALID_OPTION;
        if (uv)
                return CTAP2_ERR_UNSUPPORTED_OPTION; /* no built-in user verification */
        m->cred_protect = 1;
        if (present(&p[6])) {
                int64_t cp;
                if (map_text_key(p[6], "credProtect", &v) != 0)
                        return CTAP2_ERR_INVALID_CBOR;
                if (present(&v)) {
                        if (cbor_int(&v, &cp) != 0 || cp < 1 || cp > 3)
                                return CTAP1_ERR_INVALID_PARAMETER;
                        m->cred_protect = (uint8_t)cp;
                        m->cred_protect_asked = true;
                }
                if (map_text_key(p[6], "hmac-secret", &v) != 0)
                        return CTAP2_ERR_INVALID_CBOR;
                if (present(&v) && cbor_bool(&v, &m->hmac_secret) != 0)
                        return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
        }
        return CTAP_OK;
}

/* Puts the discoverable credential into next (replacing the same user's at the same relying
 * party); CTAP2_ERR_KEY_STORE_FULL when there is no room. */
static int keep_resident(struct vt_fido_state *next, const struct mc *m, const uint8_t *id,
                         size_t id_len)
{
        struct fido_resident *rk = NULL;
        for (size_t i = 0; i < next->n_rk && !rk; i++)
                if (strlen(next->rk[i].rp_id) == m->rp_len &&
                    memcmp(next->rk[i].rp_id, m->rp_id, m->rp_len) == 0 &&
                    next->rk[i].user_id_len == m->user_id_len &&
                    memcmp(next->rk[i].user_id, m->user_id, m->user_id_len) == 0)
                        rk = &next->rk[i];
        if (!rk) {
                if (next->n_rk >= FIDO_RESIDENT_MAX)
                        return CTAP2_ERR_KEY_STORE_FULL;
                rk = &next->rk[next->n_rk++];
        }
        memset(rk, 0, sizeof(*rk));
        memcpy(rk->id, id, id_len);
        rk->id_len = id_len;
        memcpy(rk->rp_id, m->rp_id, m->rp_len);
        memcpy(rk->user_id, m->user_id, m->user_id_len);
        rk->user_id_len = m->user_id_len;
        memcpy(rk->user_name, m->name, m->name_len);
        memcpy(rk->display_name, m->display, m->display_len);
        rk->alg = m->alg;
        rk->cred_protect = m->cred_protect;
        return CTAP_OK;
}

/* A command's pinUvAuthParam: none (*uv false), an empty one (the platform asks for a touch
 * to pick an authenticator: answered as CTAP 2.1 says, PIN_INVALID or PIN_NOT_SET), or one
 * checked against the token (*uv true). */
static int user_verified(struct vt_fido *f, struct reader param, struct reader proto,
                         const uint8_t *cdh, uint8_t perm, const char *rp, size_t rp_len, bool *uv)
{
        struct reader t = param;
        const uint8_t *pp;
        size_t pl;
        int r;
        *uv = false;
        if (!present(&param))
                return CTAP_OK;
        if (cbor_bytes(&t, &pp, &pl) == 0 && pl == 0)
                return f->st->pin_set ? CTAP2_ERR_PIN_INVALID : CTAP2_ERR_PIN_NOT_SET;
        if ((r = fido_pin_check(f, param, proto, cdh, 32, perm, rp, rp_len)) != 0)
                return r;
        *uv = true;
        return CTAP_OK;
}

static int make_credential(struct vt_fido *f, struct reader in, struct writer *w)
{
        struct reader p[PARAMS_MAX];
        struct mc m;
        uint8_t rp_hash[32], id[FIDO_CRED_ID_MAX], auth[1024], sig[160];
        size_t id_len = 0, sig_len = sizeof(sig);
        struct fido_key k = {0};
        struct vt_fido_state *next = NULL;
        EVP_PKEY *att = NULL;
        bool uv, ed;
        int r;
        if ((r = params_of(in, p)) != 0 || (r = parse_mc(p, &m)) != 0)
                return r;
        if ((r = user_verified(f, p[8], p[9], m.cdh, FIDO_PERM_MC, m.rp_id, m.rp_len, &uv)) != 0)
                return r;
        if (!uv && f->st->pin_set)
                return CTAP2_ERR_PUAT_REQUIRED;
        SHA256((const uint8_t *)m.rp_id, m.rp_len, rp_hash);
        if (present(&p[5]) && list_has_ours(f, p[5], rp_hash, uv))
                return CTAP2_ERR_CREDENTIAL_EXCLUDED;
        if ((r = user_present(f)) != 0)
                return r;
        k.alg = m.alg;
        k.cred_protect = m.cred_protect;
        k.hmac_secret = m.hmac_secret;
        if (RAND_bytes(k.cred_random, sizeof(k.cred_random)) != 1 ||
            !(k.key = fido_keygen(m.alg)) ||
            fido_seal(f->st->secret, rp_hash, &k, id, &id_len) != 0 ||
            !(next = fido_state_clone(f->st))) {
                r = CTAP1_ERR_OTHER;
                goto out;
        }
        if (m.rk && (r = keep_resident(next, &m, id, id_len)) != 0)
                goto out;
        next->counter++;

        struct writer a = wr_init(auth, sizeof(auth));
        wr_bytes(&a, rp_hash, 32);
        ed = m.cred_protect_asked || m.hmac_secret;
        wr_u8(&a, FLAG_UP | FLAG_AT | (uv ? FLAG_UV : 0) | (ed ? FLAG_ED : 0));
        put_counter(&a, next->counter);
        wr_bytes(&a, aaguid_of(f), 16);
        wr_u16(&a, (uint16_t)id_len);
        wr_bytes(&a, id, id_len);
        fido_cose_pub(&a, k.key, m.alg);
        if (ed) /* CTAP's canonical order: credProtect before hmac-secret */
                cbor_put_map(&a, (m.cred_protect_asked ? 1 : 0) + (m.hmac_secret ? 1 : 0));
        if (m.cred_protect_asked) {
                cbor_put_text(&a, "credProtect");
                cbor_put_uint(&a, m.cred_protect);
        }
        if (m.hmac_secret) {
                cbor_put_text(&a, "hmac-secret");
                cbor_put_bool(&a, true);
        }
        wr_bytes(&a, m.cdh, 32); /* signed after authData, not part of it */
        if (a.err || !(att = fido_der_key(f->st->att_key, f->st->att_key_len)) ||
            fido_sign(att, auth, a.len, sig, &sig_len) != 0) {
                r = CTAP1_ERR_OTHER;
                goto out;
        }
        if (fido_commit(f, next) != 0) {
                r = CTAP1_ERR_OTHER;
                goto out;
        }
        cbor_put_map(w, 3);
        cbor_put_uint(w, 1);
        cbor_put_text(w, "packed");
        cbor_put_uint(w, 2);
        cbor_put_bytes(w, auth, a.len - 32);
        cbor_put_uint(w, 3);
        cbor_put_map(w, 3);
        cbor_put_text(w, "alg");
        cbor_put_int(w, FIDO_ALG_ES256);
        cbor_put_text(w, "sig");
        cbor_put_bytes(w, sig, sig_len);
        cbor_put_text(w, "x5c");
        cbor_put_array(w, 1);
        cbor_put_bytes(w, f->st->att_cert, f->st->att_cert_len);
        r = CTAP_OK;
out:
        EVP_PKEY_free(att);
        fido_key_clear(&k);
        fido_state_free(next);
        return r;
}

/* ---- authenticatorGetAssertion and GetNextAssertion --------------------------------------- */

/* Signs one assertion with the credential id for rp_hash and writes the answer; hmac is
 * hmac-secret's input (empty: none asked), answered for a credential made with it. */
static int assert_one(struct vt_fido *f, const uint8_t *rp_hash, const uint8_t *cdh,
                      const uint8_t *id, size_t id_len, const struct fido_resident *rk,
                      size_t count, bool up, bool uv, struct reader hmac, struct writer *w)
{
        struct fido_key k;
        uint8_t auth[37 + 128 + 32], sig[160], secret[FIDO_HMAC_OUT_MAX];
        size_t sig_len = sizeof(sig), secret_len = 0;
        struct vt_fido_state *next = NULL;
        int r;
        if (fido_unseal(f->st->secret, rp_hash, id, id_len, &k) != 0)
                return CTAP2_ERR_NO_CREDENTIALS;
        bool ed = k.hmac_secret && present(&hmac);
        if (ed && (r = fido_hmac_secret(f, hmac, k.cred_random, uv, secret, &secret_len)) != 0)
                goto out;
        r = CTAP1_ERR_OTHER;
        if (!(next = fido_state_clone(f->st)))
                goto out;
        next->counter++;
        struct writer a = wr_init(auth, sizeof(auth));
        wr_bytes(&a, rp_hash, 32);
        wr_u8(&a, (up ? FLAG_UP : 0) | (uv ? FLAG_UV : 0) | (ed ? FLAG_ED : 0));
        put_counter(&a, next->counter);
        if (ed) {
                cbor_put_map(&a, 1);
                cbor_put_text(&a, "hmac-secret");
                cbor_put_bytes(&a, secret, secret_len);
        }
        wr_bytes(&a, cdh, 32); /* signed after authData, not part of it */
        if (a.err || fido_sign(k.key, auth, a.len, sig, &sig_len) != 0 || fido_commit(f, next) != 0)
                goto out;
        cbor_put_map(w, 3 + (rk ? 1 : 0) + (count > 1 ? 1 : 0));
        cbor_put_uint(w, 1);
        cbor_put_map(w, 2);
        cbor_put_text(w, "id");
        cbor_put_bytes(w, id, id_len);
        cbor_put_text(w, "type");
        cbor_put_text(w, "public-key");
        cbor_put_uint(w, 2);
        cbor_put_bytes(w, auth, a.len - 32);
        cbor_put_uint(w, 3);
        cbor_put_bytes(w, sig, sig_len);
        if (rk) { /* the user's names only after user verification (CTAP 2.1, 6.2.2) */
                cbor_put_uint(w, 4);
                cbor_put_map(w, uv ? 3 : 1);
                cbor_put_text(w, "id");
                cbor_put_bytes(w, rk->user_id, rk->user_id_len);
                if (uv) {
                        cbor_put_text(w, "name");
                        cbor_put_text(w, rk->user_name);
                        cbor_put_text(w, "displayName");
                        cbor_put_text(w, rk->display_name);
                }
        }
        if (count > 1) {
                cbor_put_uint(w, 5);
                cbor_put_uint(w, count);
        }
        r = CTAP_OK;
out:
        OPENSSL_cleanse(secret, sizeof(secret));
        fido_key_clear(&k);
        fido_state_free(next);
        return r;
}

static int get_assertion(struct vt_fido *f, struct reader in, struct writer *w)
{
        struct reader p[PARAMS_MAX];
        const char *rp_id;
        const uint8_t *cdh;
        size_t rp_len, n;
        uint8_t rp_hash[32];
        bool up, uv, rk;
        struct reader hmac = rd_init(NULL, 0);
        int r;
        f->n_next = f->next_pos = 0;
        if ((r = params_of(in, p)) != 0)
                return r;
        if (!present(&p[1]) || !present(&p[2]))
                return CTAP2_ERR_MISSING_PARAMETER;
        if (cbor_text(&p[1], &rp_id, &rp_len) != 0 || cbor_bytes(&p[2], &cdh, &n) != 0 || n != 32)
                return CTAP1_ERR_INVALID_PARAMETER;
        if (option(p[5], "up", true, &up) != 0 || option(p[5], "uv", false, &uv) != 0 ||
            option(p[5], "rk", false, &rk) != 0)
                return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
        if (rk || uv) /* no built-in user verification: uv comes from the PIN's token */
                return CTAP2_ERR_UNSUPPORTED_OPTION;
        if ((r = user_verified(f, p[6], p[7], cdh, FIDO_PERM_GA, rp_id, rp_len, &uv)) != 0)
                return r;
        if (present(&p[4]) && map_text_key(p[4], "hmac-secret", &hmac) != 0)
                return CTAP2_ERR_INVALID_CBOR;
        if (hmac.left > sizeof(f->next_hmac))
                return CTAP1_ERR_INVALID_LENGTH;
        SHA256((const uint8_t *)rp_id, rp_len, rp_hash);

        if (present(&p[3])) {
                struct reader list = p[3];
                if (cbor_array(&list, &n) != 0)
                        return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
                for (size_t i = 0; i < n; i++) {
                        struct reader item, v;
                        const uint8_t *id;
                        size_t id_len;
                        struct fido_key k;
                        if (cbor_skip(&list, &item) != 0 || map_text_key(item, "id", &v) != 0 ||
                            cbor_bytes(&v, &id, &id_len) != 0)
                                return CTAP2_ERR_INVALID_CBOR;
                        if (fido_unseal(f->st->secret, rp_hash, id, id_len, &k) != 0)
                                continue;
                        bool seen = k.cred_protect < 3 || uv; /* level 3: only with uv */
                        fido_key_clear(&k);
                        if (seen && up && (r = user_present(f)) != 0)
                                return r;
                        if (seen)
                                return assert_one(f, rp_hash, cdh, id, id_len, NULL, 1, up, uv,
                                                  hmac, w);
                }
                return CTAP2_ERR_NO_CREDENTIALS;
        }
        /* discoverable: the newest first; credProtect 2 and 3 hide them without uv */
        for (size_t i = f->st->n_rk; i-- > 0;) {
                const struct fido_resident *c = &f->st->rk[i];
                if (strlen(c->rp_id) == rp_len && memcmp(c->rp_id, rp_id, rp_len) == 0 &&
                    (c->cred_protect < 2 || uv))
                        f->next[f->n_next++] = i;
        }
        if (f->n_next == 0)
                return CTAP2_ERR_NO_CREDENTIALS;
        memcpy(f->next_rp_hash, rp_hash, 32);
        memcpy(f->next_cdh, cdh, 32);
        if (up && (r = user_present(f)) != 0)
                return r;
        f->next_pos = 1;
        f->next_uv = uv;
        if (hmac.left)
                memcpy(f->next_hmac, hmac.p, hmac.left);
        f->next_hmac_len = hmac.left;
        const struct fido_resident *c = &f->st->rk[f->next[0]];
        return assert_one(f, rp_hash, cdh, c->id, c->id_len, c, f->n_next, up, uv, hmac, w);
}

static int get_next(struct vt_fido *f, struct writer *w)
{
        if (f->next_pos == 0 || f->next_pos >= f->n_next)
                return CTAP2_ERR_NOT_ALLOWED;
        const struct fido_resident *c = &f->st->rk[f->next[f->next_pos++]];
        return assert_one(f, f->next_rp_hash, f->next_cdh, c->id, c->id_len, c, 0, true, f->next_uv,
                          rd_init(f->next_hmac, f->next_hmac_len), w);
}

static int reset(struct vt_fido *f)
{
        const struct vt_presence *p = clock_of(f);
        struct vt_fido_state *next;
        int r;
        /* as a key: only soon after it entered the reader (a touch may come later) */
        if (p && !f->up_given && p->now_ms(p->ctx) - p->inserted_ms(p->ctx) > RESET_WINDOW_MS)
                return CTAP2_ERR_NOT_ALLOWED;
        if ((r = user_present(f)) != 0)
                return r;
        r = CTAP1_ERR_OTHER;
        if ((next = fido_state_clone(f->st))) {
                fido_state_reset(next);
                if (fido_commit(f, next) == 0)
                        r = CTAP_OK;
        }
        fido_state_free(next);
        f->n_next = f->next_pos = 0;
        return r;
}

/* A CTAP2 message (command byte and CBOR): its answer, or a keepalive (9100) when the command
 * waits for the user's touch, kept to run again when NFCCTAP_GETRESPONSE finds it given. */
static uint16_t ctap2(struct vt_fido *f, const uint8_t *msg, size_t len, struct writer *out)
{
        struct reader in = rd_init(msg, len);
        uint8_t cmd;
        size_t mark;
        int r;
        if (rd_u8(&in, &cmd) != 0)
                return SW_WRONG_LENGTH;
        wr_u8(out, CTAP_OK);
        mark = out->len;
        if (cmd != CTAP_GET_NEXT)
                f->n_next = f->next_pos = 0;
        if (cmd != CTAP_CRED_MGMT && cmd != CTAP_CRED_MGMT_PREVIEW)
                f->cm_n = f->cm_pos = 0;
        switch (cmd) {
        case CTAP_GET_INFO:
                r = get_info(f, out);
                break;
        case CTAP_MAKE_CREDENTIAL:
                r = make_credential(f, in, out);
                break;
        case CTAP_GET_ASSERTION:
                r = get_assertion(f, in, out);
                break;
        case CTAP_GET_NEXT:
                r = get_next(f, out);
                break;
        case CTAP_RESET:
                r = reset(f);
                break;
        case CTAP_CLIENT_PIN:
                r = fido_client_pin(f, in, out);
                break;
        case CTAP_CRED_MGMT:
        case CTAP_CRED_MGMT_PREVIEW:
                r = fido_cred_mgmt(f, in, out);
                break;
        case CTAP_SELECTION:
                r = CTAP_OK;
                break;
        default:
                r = CTAP1_ERR_INVALID_COMMAND;
        }
        if (r == FIDO_UP_PENDING) {
                const struct vt_presence *p = clock_of(f);
                OPENSSL_cleanse(out->p, out->len);
                out->len = 0;
                memcpy(f->up_cmd, msg, len); /* len <= VT_CHAIN_MAX: the card chained it */
                f->up_len = len;
                f->up_waiting = true;
                f->up_since = p->now_ms(p->ctx);
                want_touch(f, true);
                wr_u8(out, KEEPALIVE_UP_NEEDED);
                return SW_STILL_WORKING;
        }
        if (r != CTAP_OK || out->err) {
                OPENSSL_cleanse(out->p + mark, out->len - mark);
                out->err = false;
                out->len = 0;
                wr_u8(out, (uint8_t)(r != CTAP_OK ? r : CTAP1_ERR_OTHER));
        }
        return SW_OK;
}

/* ---- the applet --------------------------------------------------------------------------- */

static uint16_t select_fido(void *ctx, const struct apdu *a, struct writer *out)
{
        (void)ctx;
        (void)a;
        wr_bytes(out, "FIDO_2_0", 8);
        return SW_OK;
}

/* NFCCTAP_GETRESPONSE: the command waiting for a touch runs once touched; until then a
 * keepalive, and CTAP2_ERR_USER_ACTION_TIMEOUT when no touch came in the card's timeout. */
static uint16_t get_response(struct vt_fido *f, struct writer *out)
{
        uint64_t t;
        uint16_t sw;
        if (!f->up_waiting)
                return SW_CONDITIONS_NOT_SATISFIED; /* nothing pending */
        if ((t = fresh_touch(f, f->up_since))) {
                f->touch_taken = t;
                f->up_given = true;
                sw = ctap2(f, f->up_cmd, f->up_len, out);
                f->up_given = false;
                up_clear(f);
                return sw;
        }
        if (timed_out(f, f->up_since)) {
                up_clear(f);
                wr_u8(out, CTAP2_ERR_USER_ACTION_TIMEOUT);
                return SW_OK;
        }
        wr_u8(out, KEEPALIVE_UP_NEEDED);
        return SW_STILL_WORKING;
}

static uint16_t process(void *ctx, const struct apdu *a, struct writer *out)
{
        struct vt_fido *f = ctx;
        if (a->cla == CLA_PROPRIETARY && a->ins == INS_NFCCTAP_GETRS)
                return get_response(f, out);
        if (f->up_waiting) /* another command: the one waiting is dropped */
                up_clear(f);
        if (a->cla == CLA_PROPRIETARY) {
                if (a->ins == INS_NFCCTAP_MSG)
                        return ctap2(f, a->data, a->lc, out);
                return SW_INS_NOT_SUPPORTED;
        }
        if (a->cla != 0)
                return SW_CLA_NOT_SUPPORTED;
        return fido_u2f(f, a, out);
}

static void power_reset(void *ctx)
{
        struct vt_fido *f = ctx;
        EVP_PKEY_free(f->ka);
        f->ka = NULL;
        OPENSSL_cleanse(f->token, sizeof(f->token));
        f->token_valid = false;
        f->pin_fails = 0;
        f->n_next = f->next_pos = 0;
        if (f->up_waiting || f->u2f_since)
                up_clear(f);
        f->u2f_since = 0;
}

/* The applet waits for touches itself (its presence clock): the daemon holds only a poll of
 * the command waiting for one, a moment, so that the client's polls are paced as a key's
 * keepalives are, and a touch answers it at once. */
static enum vt_touch_need touch(void *ctx, const struct apdu *a, uint8_t *key)
{
        const struct vt_fido *f = ctx;
        *key = 0;
        if (f->up_waiting && a->cla == CLA_PROPRIETARY && a->ins == INS_NFCCTAP_GETRS &&
            !fresh_touch(f, f->up_since) && !timed_out(f, f->up_since))
                return VT_TOUCH_POLL;
        return VT_TOUCH_NONE;
}

static const char *ins_name(uint8_t ins)
{
        switch (ins) {
        case INS_NFCCTAP_MSG:
                return "NFCCTAP_MSG";
        case INS_NFCCTAP_GETRS:
                return "NFCCTAP_GETRESPONSE";
        case 0x01:
                return "U2F REGISTER";
        case 0x02:
                return "U2F AUTHENTICATE";
        case 0x03:
                return "U2F VERSION";
        default:
                return NULL;
        }
}

static void destroy(void *ctx)
{
        vt_fido_free(ctx);
}

struct vt_fido *vt_fido_new(struct vt_fido_state *st, const struct vt_store *store,
                            const struct vt_card *card)
{
        struct vt_fido *f = calloc(1, sizeof(*f));
        if (f) {
                f->st = st;
                f->store = *store;
                f->card = card;
        }
        return f;
}

void vt_fido_free(struct vt_fido *f)
{
        if (!f)
                return;
        power_reset(f);
        OPENSSL_cleanse(f, sizeof(*f));
        free(f);
}

void vt_fido_applet(struct vt_fido *f, struct vt_applet *ap)
{
        memset(ap, 0, sizeof(*ap));
        ap->name = "FIDO";
        ap->aid = vt_fido_aid;
        ap->aid_len = sizeof(vt_fido_aid);
        ap->ctx = f;
        ap->select = select_fido;
        ap->process = process;
        ap->reset = power_reset;
        ap->touch = touch;
        ap->ins_name = ins_name;
        ap->destroy = destroy;
        ap->proprietary_class = true;
}
