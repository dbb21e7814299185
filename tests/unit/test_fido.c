/* SPDX-License-Identifier: Apache-2.0 */
/* The FIDO applet as python-fido2, ykman and libfido2 see it over PC/SC: APDUs in (NFCCTAP_MSG
 * carrying CTAP2 CBOR, U2F APDUs), APDUs out, signatures checked with OpenSSL, and the state a
 * disk would hold after. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_util.h"

#include "buf.h"
#include "card.h"
#include "cbor.h"
#include "fido.h"
#include "fido_crypto.h"
#include "registry.h"
#include "store.h"
#include "sw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

/* The committed state, as the unit's own type. */
#define DISK(f) ((struct vt_fido_state *)(f)->disk.st)

struct fixture {
        struct vt_fido_state *st;
        struct test_disk disk;
        struct vt_store store;
        struct vt_card card;
        struct vt_fido *fido;
        uint8_t resp[VT_RAPDU_MAX];
        size_t resp_len;
};

static struct vt_fido_state *shared_state; /* made once: the attestation CA takes a while */

static int group_setup(void **state)
{
        (void)state;
        shared_state = fido_state_new(1234567);
        return shared_state ? 0 : -1;
}

static int group_teardown(void **state)
{
        (void)state;
        fido_state_free(shared_state);
        return 0;
}

static int setup(void **state)
{
        static const uint8_t atr[] = {0x3B, 0x80, 0x80, 0x01, 0x01};
        struct fixture *f = calloc(1, sizeof(*f));
        struct vt_applet ap;
        assert_non_null(f);
        assert_non_null(f->st = fido_state_clone(shared_state));
        fido_state_reset(f->st); /* a secret of its own */
        f->disk.unit = &vt_unit_fido;
        assert_non_null(f->disk.st = fido_state_clone(f->st));
        f->store = test_disk_store(&f->disk);
        struct vt_fido *fi = vt_fido_new(f->st, &f->store, &f->card);
        assert_non_null(fi);
        f->fido = fi;
        vt_card_init(&f->card, atr, sizeof(atr));
        vt_fido_applet(fi, &ap);
        assert_int_equal(vt_card_add_applet(&f->card, &ap), 0);
        vt_card_power_on(&f->card);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        f->card.presence = NULL; /* a test's fake clock (use_clock) lived on its stack */
        vt_card_release(&f->card);
        fido_state_free(f->st);
        fido_state_free(f->disk.st);
        free(f);
        return 0;
}

static uint16_t xfer(struct fixture *f, const uint8_t *cmd, size_t len)
{
        return test_transmit(&f->card, cmd, len, f->resp, &f->resp_len);
}

static uint16_t xfer_hex(struct fixture *f, const char *hex)
{
        uint8_t cmd[512];
        size_t n = hex_decode(hex, cmd, sizeof(cmd));
        return xfer(f, cmd, n);
}

static void select_fido(struct fixture *f)
{
        assert_int_equal(xfer_hex(f, "00 A4 04 00 08 A0 00 00 06 47 2F 00 01"), SW_OK);
}

/* Sends a command APDU of any length as python-fido2 does (chained in parts of 250 bytes, CLA
 * 90, Le 00) and gathers the answer with GET RESPONSE; returns the status word. */
static uint16_t send_apdu(struct fixture *f, uint8_t cla, uint8_t ins, uint8_t p1,
                          const uint8_t *data, size_t len, uint8_t *out, size_t *out_len)
{
        uint8_t cmd[260];
        uint16_t sw;
        size_t got = 0;
        while (len > 250) {
                cmd[0] = cla | 0x10;
                cmd[1] = ins;
                cmd[2] = p1;
                cmd[3] = 0;
                cmd[4] = 250;
                memcpy(cmd + 5, data, 250);
                assert_int_equal(xfer(f, cmd, 255), SW_OK);
                data += 250;
                len -= 250;
        }
        cmd[0] = cla;
        cmd[1] = ins;
        cmd[2] = p1;
        cmd[3] = 0;
        size_t n = 4;
        if (len) {
                cmd[n++] = (uint8_t)len;
                if (len)
                        memcpy(cmd + n, data, len);
                n += len;
        }
        cmd[n++] = 0;
        sw = xfer(f, cmd, n);
        for (;;) {
                if (f->resp_len)
                        memcpy(out + got, f->resp, f->resp_len);
                got += f->resp_len;
                if ((sw & 0xFF00) != 0x6100)
                        break;
                uint8_t gr[5] = {0x00, 0xC0, 0x00, 0x00, (uint8_t)sw};
                sw = xfer(f, gr, 5);
        }
        *out_len = got;
        return sw;
}

/* A CTAP2 command: its status byte; the CBOR after it in out. */
static uint8_t ctap(struct fixture *f, uint8_t cmd, const uint8_t *cbor, size_t len, uint8_t *out,
                    size_t *out_len)
{
        uint8_t msg[2048], resp[4096];
        size_t n;
        msg[0] = cmd;
        if (len)
                memcpy(msg + 1, cbor, len);
        assert_int_equal(send_apdu(f, 0x80, 0x10, 0x80, msg, len + 1, resp, &n), SW_OK);
        assert_true(n >= 1);
        if (out) {
                memcpy(out, resp + 1, n - 1);
                *out_len = n - 1;
        }
        return resp[0];
}

/* ---- requests ----------------------------------------------------------------------------- */

static const uint8_t cdh[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

struct mc_req {
        const char *rp;
        const char *user;
        int alg;
        bool rk;
        int cred_protect; /* 0: none asked */
        bool hmac_secret;
        const uint8_t *exclude;
        size_t exclude_len;
};

static size_t make_mc(const struct mc_req *q, uint8_t *buf, size_t cap)
{
        struct writer w = wr_init(buf, cap);
        bool ext = q->cred_protect || q->hmac_secret;
        size_t n = 4 + (q->exclude ? 1 : 0) + (ext ? 1 : 0) + (q->rk ? 1 : 0);
        cbor_put_map(&w, n);
        cbor_put_uint(&w, 1);
        cbor_put_bytes(&w, cdh, 32);
        cbor_put_uint(&w, 2);
        cbor_put_map(&w, 1);
        cbor_put_text(&w, "id");
        cbor_put_text(&w, q->rp);
        cbor_put_uint(&w, 3);
        cbor_put_map(&w, 3);
        cbor_put_text(&w, "id");
        cbor_put_bytes(&w, q->user, strlen(q->user));
        cbor_put_text(&w, "name");
        cbor_put_text(&w, q->user);
        cbor_put_text(&w, "displayName");
        cbor_put_text(&w, "Display");
        cbor_put_uint(&w, 4);
        cbor_put_array(&w, 1);
        cbor_put_map(&w, 2);
        cbor_put_text(&w, "alg");
        cbor_put_int(&w, q->alg);
        cbor_put_text(&w, "type");
        cbor_put_text(&w, "public-key");
        if (q->exclude) {
                cbor_put_uint(&w, 5);
                cbor_put_array(&w, 1);
                cbor_put_map(&w, 2);
                cbor_put_text(&w, "id");
                cbor_put_bytes(&w, q->exclude, q->exclude_len);
                cbor_put_text(&w, "type");
                cbor_put_text(&w, "public-key");
        }
        if (ext) {
                cbor_put_uint(&w, 6);
                cbor_put_map(&w, (q->cred_protect ? 1 : 0) + (q->hmac_secret ? 1 : 0));
        }
        if (q->cred_protect) {
                cbor_put_text(&w, "credProtect");
                cbor_put_uint(&w, (uint64_t)q->cred_protect);
        }
        if (q->hmac_secret) {
                cbor_put_text(&w, "hmac-secret");
                cbor_put_bool(&w, true);
        }
        if (q->rk) {
                cbor_put_uint(&w, 7);
                cbor_put_map(&w, 1);
                cbor_put_text(&w, "rk");
                cbor_put_bool(&w, true);
        }
        assert_false(w.err);
        return w.len;
}

static size_t make_ga(const char *rp, const uint8_t *id, size_t id_len, bool up, uint8_t *buf,
                      size_t cap)
{
        struct writer w = wr_init(buf, cap);
        cbor_put_map(&w, 2 + (id ? 1 : 0) + (up ? 0 : 1));
        cbor_put_uint(&w, 1);
        cbor_put_text(&w, rp);
        cbor_put_uint(&w, 2);
        cbor_put_bytes(&w, cdh, 32);
        if (id) {
                cbor_put_uint(&w, 3);
                cbor_put_array(&w, 1);
                cbor_put_map(&w, 2);
                cbor_put_text(&w, "id");
                cbor_put_bytes(&w, id, id_len);
                cbor_put_text(&w, "type");
                cbor_put_text(&w, "public-key");
        }
        if (!up) {
                cbor_put_uint(&w, 5);
                cbor_put_map(&w, 1);
                cbor_put_text(&w, "up");
                cbor_put_bool(&w, false);
        }
        assert_false(w.err);
        return w.len;
}

/* ---- answers ------------------------------------------------------------------------------ */

/* The value of integer key k in map m. */
static struct reader map_get(struct reader m, int64_t k)
{
        size_t n;
        assert_int_equal(cbor_map(&m, &n), 0);
        for (size_t i = 0; i < n; i++) {
                int64_t key;
                struct reader v;
                if (cbor_peek(&m) == CBOR_UINT || cbor_peek(&m) == CBOR_NEGINT) {
                        assert_int_equal(cbor_int(&m, &key), 0);
                        assert_int_equal(cbor_skip(&m, &v), 0);
                        if (key == k)
                                return v;
                } else {
                        assert_int_equal(cbor_skip(&m, NULL), 0);
                        assert_int_equal(cbor_skip(&m, NULL), 0);
                }
        }
        return rd_init(NULL, 0);
}

static struct reader map_get_text(struct reader m, const char *k)
{
        size_t n;
        assert_int_equal(cbor_map(&m, &n), 0);
        for (size_t i = 0; i < n; i++) {
                const char *key;
                size_t kl;
                struct reader v;
                assert_int_equal(cbor_text(&m, &key, &kl), 0);
                assert_int_equal(cbor_skip(&m, &v), 0);
                if (cbor_text_is(key, kl, k))
                        return v;
        }
        return rd_init(NULL, 0);
}

static void get_bytes(struct reader r, const uint8_t **p, size_t *n)
{
        assert_int_equal(cbor_bytes(&r, p, n), 0);
}

/* A registration: the credential id, its public key, the counter. */
struct made {
        uint8_t id[FIDO_CRED_ID_MAX];
        size_t id_len;
        EVP_PKEY *pub;
        uint32_t counter;
        uint8_t flags;
        struct reader ext;
};

static EVP_PKEY *cose_to_pkey(struct reader cose)
{
        struct reader v = map_get(cose, 3);
        int64_t alg;
        const uint8_t *x, *y;
        size_t xl, yl;
        assert_int_equal(cbor_int(&v, &alg), 0);
        get_bytes(map_get(cose, -2), &x, &xl);
        if (alg == FIDO_ALG_EDDSA)
                return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xl);
        get_bytes(map_get(cose, -3), &y, &yl);
        uint8_t pt[65] = {0x04};
        memcpy(pt + 1, x, 32);
        memcpy(pt + 33, y, 32);
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        EVP_PKEY *k = NULL;
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"P-256", 0),
            OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, 65),
            OSSL_PARAM_construct_end()};
        assert_int_equal(EVP_PKEY_fromdata_init(c), 1);
        assert_int_equal(EVP_PKEY_fromdata(c, &k, EVP_PKEY_PUBLIC_KEY, params), 1);
        EVP_PKEY_CTX_free(c);
        return k;
}

static bool verify(EVP_PKEY *pub, const uint8_t *a, size_t al, const uint8_t *b, size_t bl,
                   const uint8_t *sig, size_t sig_len)
{
        uint8_t msg[2048];
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        const EVP_MD *md = EVP_PKEY_get_id(pub) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
        if (al) /* memcpy of no bytes from NULL is still undefined */
                memcpy(msg, a, al);
        if (bl)
                memcpy(msg + al, b, bl);
        bool ok = EVP_DigestVerifyInit(m, NULL, md, NULL, pub) == 1 &&
                  EVP_DigestVerify(m, sig, sig_len, msg, al + bl) == 1;
        EVP_MD_CTX_free(m);
        return ok;
}

/* MakeCredential; its attestation verified with the attestation certificate's key, and that
 * certificate with the CA's. */
static uint8_t make(struct fixture *f, const struct mc_req *q, struct made *m)
{
        uint8_t req[1024], out[4096];
        size_t n = make_mc(q, req, sizeof(req)), out_len;
        uint8_t st = ctap(f, 0x01, req, n, out, &out_len);
        if (st != 0)
                return st;
        struct reader r = rd_init(out, out_len), fmt = map_get(r, 1), att = map_get(r, 3);
        const char *t;
        size_t tl;
        const uint8_t *auth, *sig, *cert;
        size_t auth_len, sig_len, cert_len, k;
        assert_int_equal(cbor_text(&fmt, &t, &tl), 0);
        assert_true(cbor_text_is(t, tl, "packed"));
        get_bytes(map_get(r, 2), &auth, &auth_len);
        get_bytes(map_get_text(att, "sig"), &sig, &sig_len);
        struct reader x5c = map_get_text(att, "x5c");
        assert_int_equal(cbor_array(&x5c, &k), 0);
        assert_int_equal(k, 1);
        get_bytes(x5c, &cert, &cert_len);
        const uint8_t *p = cert;
        X509 *x = d2i_X509(NULL, &p, (long)cert_len);
        p = f->st->ca_cert;
        X509 *ca = d2i_X509(NULL, &p, (long)f->st->ca_cert_len);
        assert_non_null(x);
        assert_non_null(ca);
        EVP_PKEY *ca_pub = X509_get_pubkey(ca);
        assert_int_equal(X509_verify(x, ca_pub), 1);
        assert_true(verify(X509_get0_pubkey(x), auth, auth_len, cdh, 32, sig, sig_len));
        EVP_PKEY_free(ca_pub);
        X509_free(x);
        X509_free(ca);

        uint8_t rp_hash[32];
        SHA256((const uint8_t *)q->rp, strlen(q->rp), rp_hash);
        assert_memory_equal(auth, rp_hash, 32);
        m->flags = auth[32];
        m->counter = (uint32_t)auth[33] << 24 | (uint32_t)auth[34] << 16 | (uint32_t)auth[35] << 8 |
                     auth[36];
        assert_memory_equal(auth + 37, f->st->aaguid, 16);
        m->id_len = (size_t)auth[53] << 8 | auth[54];
        memcpy(m->id, auth + 55, m->id_len);
        struct reader cose = rd_init(auth + 55 + m->id_len, auth_len - 55 - m->id_len);
        struct reader key;
        assert_int_equal(cbor_skip(&cose, &key), 0);
        m->pub = cose_to_pkey(key);
        m->ext = cose;
        assert_non_null(m->pub);
        return 0;
}

/* GetAssertion (or GetNextAssertion with req NULL); the signature verified with pub. */
static uint8_t assertion(struct fixture *f, uint8_t cmd, const uint8_t *req, size_t n,
                         EVP_PKEY *pub, uint8_t *flags, uint32_t *counter, uint8_t *out,
                         size_t *out_len)
{
        const uint8_t *auth, *sig;
        size_t auth_len, sig_len;
        uint8_t st = ctap(f, cmd, req, n, out, out_len);
        if (st != 0)
                return st;
        struct reader r = rd_init(out, *out_len);
        get_bytes(map_get(r, 2), &auth, &auth_len);
        get_bytes(map_get(r, 3), &sig, &sig_len);
        assert_true(auth_len >= 37);
        if (pub)
                assert_true(verify(pub, auth, auth_len, cdh, 32, sig, sig_len));
        *flags = auth[32];
        *counter = (uint32_t)auth[33] << 24 | (uint32_t)auth[34] << 16 | (uint32_t)auth[35] << 8 |
                   auth[36];
        return 0;
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_select(void **state)
{
        struct fixture *f = *state;
        select_fido(f);
        assert_int_equal(f->resp_len, 8);
        assert_memory_equal(f->resp, "FIDO_2_0", 8);
        /* U2F VERSION */
        assert_int_equal(xfer_hex(f, "00 03 00 00 00"), SW_OK);
        assert_memory_equal(f->resp, "U2F_V2", 6);
}

static void test_class_80_only_for_fido(void **state)
{
        struct fixture *f = *state;
        /* nothing selected: the proprietary class is no applet's */
        assert_int_equal(xfer_hex(f, "80 10 80 00 01 04 00"), SW_CLA_NOT_SUPPORTED);
        select_fido(f);
        assert_int_equal(xfer_hex(f, "80 10 80 00 01 04 00"), SW_OK);
        assert_int_equal(xfer_hex(f, "84 10 80 00 01 04 00"), SW_CLA_NOT_SUPPORTED);
}

static void test_get_info(void **state)
{
        struct fixture *f = *state;
        uint8_t out[1024];
        size_t n, k;
        select_fido(f);
        assert_int_equal(ctap(f, 0x04, NULL, 0, out, &n), 0);
        struct reader r = rd_init(out, n), v = map_get(r, 1), aaguid = map_get(r, 3);
        const char *s;
        size_t sl;
        bool seen2 = false, seen21 = false, seenu2f = false;
        assert_int_equal(cbor_array(&v, &k), 0);
        for (size_t i = 0; i < k; i++) {
                assert_int_equal(cbor_text(&v, &s, &sl), 0);
                seen2 |= cbor_text_is(s, sl, "FIDO_2_0");
                seen21 |= cbor_text_is(s, sl, "FIDO_2_1");
                seenu2f |= cbor_text_is(s, sl, "U2F_V2");
        }
        assert_true(seen2 && seen21 && seenu2f);
        const uint8_t *g;
        get_bytes(aaguid, &g, &sl);
        assert_int_equal(sl, 16);
        assert_memory_equal(g, f->st->aaguid, 16);
        struct reader rk = map_get_text(map_get(r, 4), "rk");
        bool b = false;
        assert_int_equal(cbor_bool(&rk, &b), 0);
        assert_true(b);
}

static void test_make_and_get(void **state, int alg)
{
        struct fixture *f = *state;
        struct made m;
        struct mc_req q = {.rp = "example.com", .user = "alice", .alg = alg};
        uint8_t req[1024], out[2048], flags;
        size_t n, out_len;
        uint32_t counter;
        select_fido(f);
        assert_int_equal(make(f, &q, &m), 0);
        assert_int_equal(m.flags, 0x41); /* UP, AT */
        assert_int_equal(m.counter, 1);
        assert_int_equal(DISK(f)->counter, 1);
        assert_int_equal(DISK(f)->n_rk, 0); /* not discoverable: nothing kept */
        n = make_ga("example.com", m.id, m.id_len, true, req, sizeof(req));
        assert_int_equal(assertion(f, 0x02, req, n, m.pub, &flags, &counter, out, &out_len), 0);
        assert_int_equal(flags, 0x01);
        assert_int_equal(counter, 2);
        assert_int_equal(DISK(f)->counter, 2); /* durable before the answer */
        /* without presence: no UP flag, still signed */
        n = make_ga("example.com", m.id, m.id_len, false, req, sizeof(req));
        assert_int_equal(assertion(f, 0x02, req, n, m.pub, &flags, &counter, out, &out_len), 0);
        assert_int_equal(flags, 0x00);
        /* another relying party: the id is not its credential */
        n = make_ga("evil.example", m.id, m.id_len, true, req, sizeof(req));
        assert_int_equal(assertion(f, 0x02, req, n, m.pub, &flags, &counter, out, &out_len), 0x2E);
        /* a flipped bit: not ours */
        m.id[m.id_len / 2] ^= 1;
        n = make_ga("example.com", m.id, m.id_len, true, req, sizeof(req));
        assert_int_equal(assertion(f, 0x02, req, n, m.pub, &flags, &counter, out, &out_len), 0x2E);
        EVP_PKEY_free(m.pub);
}

static void test_es256(void **state)
{
        test_make_and_get(state, FIDO_ALG_ES256);
}

static void test_eddsa(void **state)
{
        test_make_and_get(state, FIDO_ALG_EDDSA);
}

static void test_unsupported_alg(void **state)
{
        struct fixture *f = *state;
        struct made m;
        struct mc_req q = {.rp = "example.com", .user = "alice", .alg = -257};
        select_fido(f);
        assert_int_equal(make(f, &q, &m), 0x26);
        assert_int_equal(f->disk.commits, 0);
}

static void test_exclude_list(void **state)
{
        struct fixture *f = *state;
        struct made m, m2;
        struct mc_req q = {.rp = "example.com", .user = "alice", .alg = -7};
        select_fido(f);
        assert_int_equal(make(f, &q, &m), 0);
        q.exclude = m.id;
        q.exclude_len = m.id_len;
        assert_int_equal(make(f, &q, &m2), 0x19);
        q.rp = "other.example"; /* excluded only at its own relying party */
        assert_int_equal(make(f, &q, &m2), 0);
        EVP_PKEY_free(m.pub);
        EVP_PKEY_free(m2.pub);
}

static void test_resident(void **state)
{
        struct fixture *f = *state;
        struct made a, b, a2;
        struct mc_req q = {.rp = "example.com", .user = "alice", .alg = -7, .rk = true};
        uint8_t req[512], out[2048], flags;
        size_t n, out_len;
        uint32_t counter;
        select_fido(f);
        assert_int_equal(make(f, &q, &a), 0);
        q.user = "bob";
        assert_int_equal(make(f, &q, &b), 0);
        assert_int_equal(DISK(f)->n_rk, 2);
        /* without an allow list: the newest first, numberOfCredentials 2, then the next */
        n = make_ga("example.com", NULL, 0, true, req, sizeof(req));
        assert_int_equal(assertion(f, 0x02, req, n, b.pub, &flags, &counter, out, &out_len), 0);
        struct reader r = rd_init(out, out_len), cnt = map_get(r, 5);
        const uint8_t *uid;
        size_t ul;
        int64_t c;
        assert_int_equal(cbor_int(&cnt, &c), 0);
        assert_int_equal(c, 2);
        get_bytes(map_get_text(map_get(r, 4), "id"), &uid, &ul);
        assert_int_equal(ul, 3);
        assert_memory_equal(uid, "bob", 3);
        assert_int_equal(assertion(f, 0x08, NULL, 0, a.pub, &flags, &counter, out, &out_len), 0);
        r = rd_init(out, out_len);
        get_bytes(map_get_text(map_get(r, 4), "id"), &uid, &ul);
        assert_memory_equal(uid, "alice", 5);
        assert_int_equal(assertion(f, 0x08, NULL, 0, NULL, &flags, &counter, out, &out_len), 0x30);
        /* the same user again replaces the credential */
        q.user = "alice";
        assert_int_equal(make(f, &q, &a2), 0);
        assert_int_equal(DISK(f)->n_rk, 2);
        /* nothing for another relying party */
        n = make_ga("other.example", NULL, 0, true, req, sizeof(req));
        assert_int_equal(assertion(f, 0x02, req, n, NULL, &flags, &counter, out, &out_len), 0x2E);
        EVP_PKEY_free(a.pub);
        EVP_PKEY_free(b.pub);
        EVP_PKEY_free(a2.pub);
}

static void test_cred_protect(void **state)
{
        struct fixture *f = *state;
        struct made m2, m3;
        struct mc_req q = {
            .rp = "example.com", .user = "u2", .alg = -7, .rk = true, .cred_protect = 2};
        uint8_t req[512], out[2048], flags;
        size_t n, out_len;
        uint32_t counter;
        select_fido(f);
        assert_int_equal(make(f, &q, &m2), 0);
        assert_int_equal(m2.flags & 0x80, 0x80); /* extension data */
        struct reader ext = m2.ext, cp = map_get_text(ext, "credProtect");
        int64_t v;
        assert_int_equal(cbor_int(&cp, &v), 0);
        assert_int_equal(v, 2);
        q.user = "u3";
        q.cred_protect = 3;
        assert_int_equal(make(f, &q, &m3), 0);
        /* level 2: not discoverable without uv, usable by id; level 3: not even by id */
        n = make_ga("example.com", NULL, 0, true, req, sizeof(req));
        assert_int_equal(assertion(f, 0x02, req, n, NULL, &flags, &counter, out, &out_len), 0x2E);
        n = make_ga("example.com", m2.id, m2.id_len, true, req, sizeof(req));
        assert_int_equal(assertion(f, 0x02, req, n, m2.pub, &flags, &counter, out, &out_len), 0);
        n = make_ga("example.com", m3.id, m3.id_len, true, req, sizeof(req));
        assert_int_equal(assertion(f, 0x02, req, n, NULL, &flags, &counter, out, &out_len), 0x2E);
        q.cred_protect = 4;
        assert_int_equal(make(f, &q, &m3), 0x02);
        EVP_PKEY_free(m2.pub);
        EVP_PKEY_free(m3.pub);
}

static void test_commit_fails(void **state)
{
        struct fixture *f = *state;
        struct made m;
        struct mc_req q = {.rp = "example.com", .user = "alice", .alg = -7, .rk = true};
        uint8_t req[512], out[2048], flags;
        size_t n, out_len;
        uint32_t counter;
        select_fido(f);
        f->disk.fail_next = 1;
        assert_int_equal(make(f, &q, &m), 0x7F);
        assert_int_equal(f->st->n_rk, 0); /* the live state is as the disk */
        assert_int_equal(f->st->counter, 0);
        assert_int_equal(make(f, &q, &m), 0);
        n = make_ga("example.com", m.id, m.id_len, true, req, sizeof(req));
        f->disk.fail_next = 1;
        assert_int_equal(assertion(f, 0x02, req, n, NULL, &flags, &counter, out, &out_len), 0x7F);
        assert_int_equal(f->st->counter, 1); /* no signature without its counter on disk */
        EVP_PKEY_free(m.pub);
}

static void test_reset(void **state)
{
        struct fixture *f = *state;
        struct made m;
        struct mc_req q = {.rp = "example.com", .user = "alice", .alg = -7, .rk = true};
        uint8_t req[512], out[2048], flags, secret[32];
        size_t n, out_len;
        uint32_t counter;
        select_fido(f);
        assert_int_equal(make(f, &q, &m), 0);
        memcpy(secret, f->st->secret, 32);
        assert_int_equal(ctap(f, 0x07, NULL, 0, NULL, NULL), 0);
        assert_int_equal(DISK(f)->n_rk, 0);
        assert_memory_not_equal(DISK(f)->secret, secret, 32);
        n = make_ga("example.com", m.id, m.id_len, true, req, sizeof(req));
        assert_int_equal(assertion(f, 0x02, req, n, NULL, &flags, &counter, out, &out_len), 0x2E);
        EVP_PKEY_free(m.pub);
}

static void test_bad_cbor(void **state)
{
        struct fixture *f = *state;
        static const uint8_t truncated[] = {0xA2, 0x01, 0x58, 0x20, 0x00};
        static const uint8_t not_map[] = {0x83, 0x01, 0x02, 0x03};
        static const uint8_t deep[] = {0xA1, 0x01, 0x81, 0x81, 0x81, 0x81, 0x81,
                                       0x81, 0x81, 0x81, 0x81, 0x81, 0x80};
        static const uint8_t missing[] = {0xA0};
        select_fido(f);
        assert_int_equal(ctap(f, 0x01, truncated, sizeof(truncated), NULL, NULL), 0x12);
        assert_int_equal(ctap(f, 0x01, not_map, sizeof(not_map), NULL, NULL), 0x12);
        assert_int_equal(ctap(f, 0x02, deep, sizeof(deep), NULL, NULL), 0x12);
        assert_int_equal(ctap(f, 0x01, missing, sizeof(missing), NULL, NULL), 0x14);
        assert_int_equal(ctap(f, 0x02, missing, sizeof(missing), NULL, NULL), 0x14);
        assert_int_equal(ctap(f, 0x55, NULL, 0, NULL, NULL), 0x01);
        assert_int_equal(ctap(f, 0x08, NULL, 0, NULL, NULL), 0x30);
        assert_int_equal(f->disk.commits, 0);
}

static void test_cbor_roundtrip(void **state)
{
        uint8_t buf[64];
        struct writer w = wr_init(buf, sizeof(buf));
        int64_t v;
        (void)state;
        cbor_put_int(&w, -1);
        cbor_put_int(&w, 23);
        cbor_put_int(&w, 24);
        cbor_put_int(&w, -257);
        cbor_put_uint(&w, 70000);
        cbor_put_uint(&w, 5000000000ULL);
        assert_false(w.err);
        static const uint8_t want[] = {0x20, 0x17, 0x18, 0x18, 0x39, 0x01, 0x00,
                                       0x1A, 0x00, 0x01, 0x11, 0x70, 0x1B, 0x00,
                                       0x00, 0x00, 0x01, 0x2A, 0x05, 0xF2, 0x00};
        assert_int_equal(w.len, sizeof(want));
        assert_memory_equal(buf, want, sizeof(want));
        struct reader r = rd_init(buf, w.len);
        static const int64_t vals[] = {-1, 23, 24, -257, 70000, 5000000000LL};
        for (size_t i = 0; i < 6; i++) {
                assert_int_equal(cbor_int(&r, &v), 0);
                assert_int_equal(v, vals[i]);
        }
        assert_int_equal(r.left, 0);
        /* a length past the end, an indefinite length: refused, the reader unchanged */
        static const uint8_t bad[] = {0x5A, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};
        static const uint8_t indef[] = {0x9F, 0xFF};
        const uint8_t *p;
        size_t n;
        r = rd_init(bad, sizeof(bad));
        assert_int_equal(cbor_bytes(&r, &p, &n), -1);
        assert_int_equal(r.left, sizeof(bad));
        r = rd_init(indef, sizeof(indef));
        assert_int_equal(cbor_skip(&r, NULL), -1);
        /* a writer out of room fails sticky */
        w = wr_init(buf, 3);
        cbor_put_bytes(&w, "abcd", 4);
        assert_true(w.err);
}

/* ---- ClientPIN, protocol 1, as a platform does it ----------------------------------------- */

struct platform {
        EVP_PKEY *key;
        uint8_t z[32]; /* the ECDH secret */
        uint8_t shared[32];
        uint8_t cose[128];
        size_t cose_len;
};

/* getKeyAgreement, a key of the platform's own, ECDH, SHA-256: protocol 1's shared secret. */
static void platform_agree(struct fixture *f, struct platform *pl)
{
        static const uint8_t req[] = {0xA2, 0x01, 0x01, 0x02, 0x02};
        uint8_t out[512], pt[65], z[32];
        size_t n, zl = 32;
        const uint8_t *x, *y;
        size_t xl, yl;
        assert_int_equal(ctap(f, 0x06, req, sizeof(req), out, &n), 0);
        struct reader cose = map_get(rd_init(out, n), 1);
        get_bytes(map_get(cose, -2), &x, &xl);
        get_bytes(map_get(cose, -3), &y, &yl);
        EVP_PKEY *card = NULL;
        pt[0] = 0x04;
        memcpy(pt + 1, x, 32);
        memcpy(pt + 33, y, 32);
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"P-256", 0),
            OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, 65),
            OSSL_PARAM_construct_end()};
        assert_int_equal(EVP_PKEY_fromdata_init(c), 1);
        assert_int_equal(EVP_PKEY_fromdata(c, &card, EVP_PKEY_PUBLIC_KEY, params), 1);
        EVP_PKEY_CTX_free(c);
        pl->key = fido_keygen(FIDO_ALG_ES256);
        c = EVP_PKEY_CTX_new(pl->key, NULL);
        assert_int_equal(EVP_PKEY_derive_init(c), 1);
        assert_int_equal(EVP_PKEY_derive_set_peer(c, card), 1);
        assert_int_equal(EVP_PKEY_derive(c, z, &zl), 1);
        EVP_PKEY_CTX_free(c);
        EVP_PKEY_free(card);
        SHA256(z, 32, pl->shared);
        memcpy(pl->z, z, 32);
        struct writer w = wr_init(pl->cose, sizeof(pl->cose));
        fido_cose_pub(&w, pl->key, FIDO_ALG_ES256);
        assert_false(w.err);
        pl->cose_len = w.len;
}

static void aes0(const uint8_t key[32], const uint8_t *in, size_t n, uint8_t *out, bool enc)
{
        static const uint8_t iv[16] = {0};
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        int l = 0;
        assert_int_equal(EVP_CipherInit_ex(c, EVP_aes_256_cbc(), NULL, key, iv, enc), 1);
        EVP_CIPHER_CTX_set_padding(c, 0);
        assert_int_equal(EVP_CipherUpdate(c, out, &l, in, (int)n), 1);
        EVP_CIPHER_CTX_free(c);
}

static void hmac16(const uint8_t key[32], const uint8_t *msg, size_t n, uint8_t out[16])
{
        uint8_t m[32];
        unsigned ml = 0;
        HMAC(EVP_sha256(), key, 32, msg, n, m, &ml);
        memcpy(out, m, 16);
}

/* setPIN (sub 3) or changePIN (sub 4, old given) with protocol 1: the status byte. */
static uint8_t pin_set_change(struct fixture *f, const char *old, const char *pin)
{
        struct platform pl;
        uint8_t padded[64] = {0}, enc[64], hash[32], hash_enc[16], auth[16], msg[80], req[512];
        platform_agree(f, &pl);
        memcpy(padded, pin, strlen(pin));
        aes0(pl.shared, padded, 64, enc, true);
        memcpy(msg, enc, 64);
        if (old) {
                SHA256((const uint8_t *)old, strlen(old), hash);
                aes0(pl.shared, hash, 16, hash_enc, true);
                memcpy(msg + 64, hash_enc, 16);
        }
        hmac16(pl.shared, msg, old ? 80 : 64, auth);
        struct writer w = wr_init(req, sizeof(req));
        cbor_put_map(&w, old ? 6 : 5);
        cbor_put_uint(&w, 1);
        cbor_put_uint(&w, 1);
        cbor_put_uint(&w, 2);
        cbor_put_uint(&w, old ? 4 : 3);
        cbor_put_uint(&w, 3);
        wr_bytes(&w, pl.cose, pl.cose_len);
        cbor_put_uint(&w, 4);
        cbor_put_bytes(&w, auth, 16);
        cbor_put_uint(&w, 5);
        cbor_put_bytes(&w, enc, 64);
        if (old) {
                cbor_put_uint(&w, 6);
                cbor_put_bytes(&w, hash_enc, 16);
        }
        assert_false(w.err);
        EVP_PKEY_free(pl.key);
        return ctap(f, 0x06, req, w.len, NULL, NULL);
}

/* getPinToken (sub 5) with protocol 1: the status byte; the token in token. */
static uint8_t pin_token(struct fixture *f, const char *pin, uint8_t token[32])
{
        struct platform pl;
        uint8_t hash[32], hash_enc[16], req[512], out[256];
        size_t n;
        platform_agree(f, &pl);
        SHA256((const uint8_t *)pin, strlen(pin), hash);
        aes0(pl.shared, hash, 16, hash_enc, true);
        struct writer w = wr_init(req, sizeof(req));
        cbor_put_map(&w, 4);
        cbor_put_uint(&w, 1);
        cbor_put_uint(&w, 1);
        cbor_put_uint(&w, 2);
        cbor_put_uint(&w, 5);
        cbor_put_uint(&w, 3);
        wr_bytes(&w, pl.cose, pl.cose_len);
        cbor_put_uint(&w, 6);
        cbor_put_bytes(&w, hash_enc, 16);
        uint8_t st = ctap(f, 0x06, req, w.len, out, &n);
        if (st == 0) {
                const uint8_t *enc;
                size_t el;
                get_bytes(map_get(rd_init(out, n), 2), &enc, &el);
                assert_int_equal(el, 32);
                aes0(pl.shared, enc, 32, token, false);
        }
        EVP_PKEY_free(pl.key);
        return st;
}

static unsigned retries(struct fixture *f)
{
        static const uint8_t req[] = {0xA2, 0x01, 0x01, 0x02, 0x01};
        uint8_t out[64];
        size_t n;
        int64_t v;
        assert_int_equal(ctap(f, 0x06, req, sizeof(req), out, &n), 0);
        struct reader r = map_get(rd_init(out, n), 3);
        assert_int_equal(cbor_int(&r, &v), 0);
        return (unsigned)v;
}

static void test_pin_set_change_token(void **state)
{
        struct fixture *f = *state;
        uint8_t token[32];
        select_fido(f);
        assert_int_equal(retries(f), 8);
        assert_int_equal(pin_token(f, "1234", token), 0x35);    /* not set */
        assert_int_equal(pin_set_change(f, NULL, "123"), 0x37); /* too short */
        assert_int_equal(pin_set_change(f, NULL, "1234"), 0);
        assert_true(DISK(f)->pin_set);
        assert_int_equal(pin_set_change(f, NULL, "5678"), 0x30); /* set once */
        assert_int_equal(pin_set_change(f, "0000", "5678"), 0x31);
        assert_int_equal(DISK(f)->pin_tries, 7);
        assert_int_equal(pin_set_change(f, "1234", "5678"), 0);
        assert_int_equal(DISK(f)->pin_tries, 8);
        assert_int_equal(pin_token(f, "1234", token), 0x31);
        assert_int_equal(pin_token(f, "5678", token), 0);
        assert_int_equal(retries(f), 8);

        /* the token makes MakeCredential user-verified; none: PUAT_REQUIRED */
        struct made m;
        struct mc_req q = {.rp = "example.com", .user = "alice", .alg = -7};
        assert_int_equal(make(f, &q, &m), 0x36);
        uint8_t req[1024], param[16];
        size_t n = make_mc(&q, req, sizeof(req));
        hmac16(token, cdh, 32, param);
        struct writer w = wr_init(req, sizeof(req));
        w.len = n;
        req[0] += 2; /* the map gets pinUvAuthParam and pinUvAuthProtocol */
        cbor_put_uint(&w, 8);
        cbor_put_bytes(&w, param, 16);
        cbor_put_uint(&w, 9);
        cbor_put_uint(&w, 1);
        uint8_t out[4096];
        size_t out_len;
        assert_int_equal(ctap(f, 0x01, req, w.len, out, &out_len), 0);
        const uint8_t *auth;
        size_t al;
        get_bytes(map_get(rd_init(out, out_len), 2), &auth, &al);
        assert_int_equal(auth[32] & 0x04, 0x04); /* UV */
        param[0] ^= 1;
        memcpy(req + w.len - 18, param, 16); /* before 09 01 */
        assert_int_equal(ctap(f, 0x01, req, w.len, out, &out_len), 0x33);
}

static void test_pin_retries_durable(void **state)
{
        struct fixture *f = *state;
        uint8_t token[32];
        select_fido(f);
        assert_int_equal(pin_set_change(f, NULL, "1234"), 0);
        /* the store refuses the spent try: no comparison, not even for the right PIN */
        f->disk.fail_next = 1;
        assert_int_equal(pin_token(f, "1234", token), 0x7F);
        assert_int_equal(f->st->pin_tries, 8);
        assert_int_equal(DISK(f)->pin_tries, 8);
        /* a wrong PIN is on disk before the answer */
        assert_int_equal(pin_token(f, "0000", token), 0x31);
        assert_int_equal(DISK(f)->pin_tries, 7);
        assert_int_equal(pin_token(f, "0000", token), 0x31);
        assert_int_equal(pin_token(f, "0000", token), 0x34); /* 3 in one power cycle */
        assert_int_equal(pin_token(f, "1234", token), 0x34);
        assert_int_equal(DISK(f)->pin_tries, 5);
        vt_card_power_off(&f->card);
        vt_card_power_on(&f->card);
        select_fido(f);
        assert_int_equal(pin_token(f, "1234", token), 0);
        assert_int_equal(DISK(f)->pin_tries, 8);
        /* 8 wrong PINs over power cycles: blocked, the right one too */
        for (int i = 0; i < 8; i++) {
                if (i % 3 == 0) {
                        vt_card_power_off(&f->card);
                        vt_card_power_on(&f->card);
                        select_fido(f);
                }
                assert_int_equal(pin_token(f, "0000", token), i == 7       ? 0x32
                                                              : i % 3 == 2 ? 0x34
                                                                           : 0x31);
        }
        vt_card_power_off(&f->card);
        vt_card_power_on(&f->card);
        select_fido(f);
        assert_int_equal(pin_token(f, "1234", token), 0x32);
        assert_int_equal(DISK(f)->pin_tries, 0);
        /* a reset clears the PIN */
        assert_int_equal(ctap(f, 0x07, NULL, 0, NULL, NULL), 0);
        assert_int_equal(retries(f), 8);
        assert_false(DISK(f)->pin_set);
}

/* ---- U2F ---------------------------------------------------------------------------------- */

static void test_u2f(void **state)
{
        struct fixture *f = *state;
        uint8_t data[256], out[2048], chal[32], app[32];
        size_t out_len;
        memset(chal, 0xC1, 32);
        memset(app, 0xA1, 32);
        select_fido(f);
        memcpy(data, chal, 32);
        memcpy(data + 32, app, 32);
        assert_int_equal(send_apdu(f, 0x00, 0x01, 0x03, data, 64, out, &out_len), SW_OK);
        assert_int_equal(out[0], 0x05);
        uint8_t kh_len = out[66];
        const uint8_t *kh = out + 67, *cert = out + 67 + kh_len, *p = cert;
        X509 *x = d2i_X509(NULL, &p, (long)(out_len - 67 - kh_len));
        assert_non_null(x);
        size_t sig_len = out_len - (size_t)(p - out);
        uint8_t msg[512];
        size_t m = 0;
        msg[m++] = 0;
        memcpy(msg + m, app, 32);
        m += 32;
        memcpy(msg + m, chal, 32);
        m += 32;
        memcpy(msg + m, kh, kh_len);
        m += kh_len;
        memcpy(msg + m, out + 1, 65);
        m += 65;
        assert_true(verify(X509_get0_pubkey(x), msg, m, NULL, 0, p, sig_len));
        X509_free(x);
        /* the user's public key, to check authentications */
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        EVP_PKEY *pub = NULL;
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"P-256", 0),
            OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, out + 1, 65),
            OSSL_PARAM_construct_end()};
        assert_int_equal(EVP_PKEY_fromdata_init(c), 1);
        assert_int_equal(EVP_PKEY_fromdata(c, &pub, EVP_PKEY_PUBLIC_KEY, params), 1);
        EVP_PKEY_CTX_free(c);

        uint8_t auth[256], resp[256];
        size_t resp_len;
        memcpy(auth, chal, 32);
        memcpy(auth + 32, app, 32);
        auth[64] = kh_len;
        memcpy(auth + 65, kh, kh_len);
        /* check only: ours, answered 6985 as a key does */
        assert_int_equal(send_apdu(f, 0x00, 0x02, 0x07, auth, 65u + kh_len, resp, &resp_len),
                         SW_CONDITIONS_NOT_SATISFIED);
        assert_int_equal(send_apdu(f, 0x00, 0x02, 0x03, auth, 65u + kh_len, resp, &resp_len),
                         SW_OK);
        assert_int_equal(resp[0], 0x01);
        assert_int_equal(resp[4], 1); /* counter */
        assert_int_equal(DISK(f)->counter, 1);
        uint8_t signed_part[69];
        memcpy(signed_part, app, 32);
        memcpy(signed_part + 32, resp, 5);
        memcpy(signed_part + 37, chal, 32);
        assert_true(verify(pub, signed_part, 69, NULL, 0, resp + 5, resp_len - 5));
        /* another application: the key handle is not its */
        auth[32] ^= 1;
        assert_int_equal(send_apdu(f, 0x00, 0x02, 0x03, auth, 65u + kh_len, resp, &resp_len),
                         SW_WRONG_DATA);
        assert_int_equal(send_apdu(f, 0x00, 0x02, 0x05, auth, 65u + kh_len, resp, &resp_len),
                         SW_INCORRECT_P1P2);
        EVP_PKEY_free(pub);
}

/* ---- hmac-secret -------------------------------------------------------------------------- */

/* A platform's keys of PIN/UV auth protocol 1 or 2 (CTAP 2.1, 6.5.6 and 6.5.7). */
struct proto_keys {
        int proto;
        uint8_t hmac[32], aes[32];
        uint8_t cose[128];
        size_t cose_len;
};

static void hkdf32(const uint8_t z[32], const char *info, uint8_t out[32])
{
        static const uint8_t salt[32] = {0};
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
        size_t n = 32;
        assert_int_equal(EVP_PKEY_derive_init(c), 1);
        assert_int_equal(EVP_PKEY_CTX_set_hkdf_md(c, EVP_sha256()), 1);
        assert_int_equal(EVP_PKEY_CTX_set1_hkdf_salt(c, salt, 32), 1);
        assert_int_equal(EVP_PKEY_CTX_set1_hkdf_key(c, z, 32), 1);
        assert_int_equal(EVP_PKEY_CTX_add1_hkdf_info(c, (const uint8_t *)info, (int)strlen(info)),
                         1);
        assert_int_equal(EVP_PKEY_derive(c, out, &n), 1);
        EVP_PKEY_CTX_free(c);
}

static void platform_keys(struct fixture *f, int proto, struct proto_keys *k)
{
        struct platform pl;
        platform_agree(f, &pl);
        k->proto = proto;
        if (proto == 1) {
                memcpy(k->hmac, pl.shared, 32);
                memcpy(k->aes, pl.shared, 32);
        } else {
                hkdf32(pl.z, "CTAP2 HMAC key", k->hmac);
                hkdf32(pl.z, "CTAP2 AES key", k->aes);
        }
        memcpy(k->cose, pl.cose, pl.cose_len);
        k->cose_len = pl.cose_len;
        EVP_PKEY_free(pl.key);
}

static void cbc(const uint8_t key[32], const uint8_t iv[16], const uint8_t *in, size_t n,
                uint8_t *out, bool enc)
{
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        int l = 0;
        assert_int_equal(EVP_CipherInit_ex(c, EVP_aes_256_cbc(), NULL, key, iv, enc), 1);
        EVP_CIPHER_CTX_set_padding(c, 0);
        assert_int_equal(EVP_CipherUpdate(c, out, &l, in, (int)n), 1);
        EVP_CIPHER_CTX_free(c);
}

/* encrypt and decrypt of the protocol: IV 0 (1), or a random IV before the ciphertext (2) */
static size_t p_encrypt(const struct proto_keys *k, const uint8_t *in, size_t n, uint8_t *out)
{
        uint8_t iv[16] = {0};
        size_t off = 0;
        if (k->proto == 2) {
                for (size_t i = 0; i < 16; i++)
                        iv[i] = (uint8_t)(0xA0 + i);
                memcpy(out, iv, 16);
                off = 16;
        }
        cbc(k->aes, iv, in, n, out + off, true);
        return off + n;
}

static size_t p_decrypt(const struct proto_keys *k, const uint8_t *in, size_t n, uint8_t *out)
{
        static const uint8_t iv0[16] = {0};
        if (k->proto == 1) {
                cbc(k->aes, iv0, in, n, out, false);
                return n;
        }
        assert_true(n > 16);
        cbc(k->aes, in, in + 16, n - 16, out, false);
        return n - 16;
}

/* GetAssertion of credential m with hmac-secret's salts (32 or 64 bytes) under protocol proto,
 * user-verified when token is given: the status; the decrypted outputs in outputs, their
 * length in *n (0 when the answer carried none). bad_auth spoils saltAuth. */
static uint8_t get_secret(struct fixture *f, const struct made *m, int proto, const uint8_t *salts,
                          size_t salts_len, const uint8_t *token, bool bad_auth,
                          uint8_t outputs[64], size_t *n)
{
        struct proto_keys k;
        uint8_t enc[96], mac[32], req[1024], out[2048], flags, param[16];
        unsigned ml = 0;
        uint32_t counter;
        size_t out_len;
        platform_keys(f, proto, &k);
        size_t enc_len = p_encrypt(&k, salts, salts_len, enc);
        HMAC(EVP_sha256(), k.hmac, 32, enc, enc_len, mac, &ml);
        mac[0] ^= bad_auth ? 1 : 0;
        struct writer w = wr_init(req, sizeof(req));
        cbor_put_map(&w, token ? 6 : 4);
        cbor_put_uint(&w, 1);
        cbor_put_text(&w, "example.com");
        cbor_put_uint(&w, 2);
        cbor_put_bytes(&w, cdh, 32);
        cbor_put_uint(&w, 3);
        cbor_put_array(&w, 1);
        cbor_put_map(&w, 2);
        cbor_put_text(&w, "id");
        cbor_put_bytes(&w, m->id, m->id_len);
        cbor_put_text(&w, "type");
        cbor_put_text(&w, "public-key");
        cbor_put_uint(&w, 4);
        cbor_put_map(&w, 1);
        cbor_put_text(&w, "hmac-secret");
        cbor_put_map(&w, 4);
        cbor_put_uint(&w, 1);
        wr_bytes(&w, k.cose, k.cose_len);
        cbor_put_uint(&w, 2);
        cbor_put_bytes(&w, enc, enc_len);
        cbor_put_uint(&w, 3);
        cbor_put_bytes(&w, mac, proto == 1 ? 16 : 32);
        cbor_put_uint(&w, 4);
        cbor_put_uint(&w, (uint64_t)proto);
        if (token) {
                hmac16(token, cdh, 32, param);
                cbor_put_uint(&w, 6);
                cbor_put_bytes(&w, param, 16);
                cbor_put_uint(&w, 7);
                cbor_put_uint(&w, 1);
        }
        assert_false(w.err);
        *n = 0;
        uint8_t st = assertion(f, 0x02, req, w.len, m->pub, &flags, &counter, out, &out_len);
        if (st != 0)
                return st;
        const uint8_t *auth, *sec;
        size_t auth_len, sec_len;
        get_bytes(map_get(rd_init(out, out_len), 2), &auth, &auth_len);
        assert_int_equal(!!(flags & 0x04), !!token); /* UV */
        if (auth_len == 37) {
                assert_int_equal(flags & 0x80, 0);
                return 0;
        }
        assert_int_equal(flags & 0x80, 0x80); /* ED */
        struct reader ext = rd_init(auth + 37, auth_len - 37);
        get_bytes(map_get_text(ext, "hmac-secret"), &sec, &sec_len);
        assert_int_equal(sec_len, salts_len + (proto == 2 ? 16 : 0));
        *n = p_decrypt(&k, sec, sec_len, outputs);
        return 0;
}

static void test_hmac_secret(void **state)
{
        struct fixture *f = *state;
        struct made m, plain;
        struct mc_req q = {.rp = "example.com", .user = "alice", .alg = -7, .hmac_secret = true};
        uint8_t salts[64], out1[64], out2[64], out3[64], out4[64], token[32];
        size_t n;
        for (size_t i = 0; i < 64; i++)
                salts[i] = (uint8_t)(i < 32 ? 0x11 : 0x22);
        select_fido(f);
        assert_int_equal(make(f, &q, &m), 0);
        assert_int_equal(m.flags, 0xC1); /* UP, AT, ED */
        struct reader ext = m.ext, v = map_get_text(m.ext, "hmac-secret");
        bool b = false;
        assert_int_equal(cbor_bool(&v, &b), 0);
        assert_true(b);
        assert_int_equal(cbor_skip(&ext, NULL), 0);
        assert_int_equal(ext.left, 0);

        /* one salt: the same secret on every assertion, whichever protocol carries it */
        assert_int_equal(get_secret(f, &m, 1, salts, 32, NULL, false, out1, &n), 0);
        assert_int_equal(n, 32);
        assert_int_equal(get_secret(f, &m, 1, salts, 32, NULL, false, out2, &n), 0);
        assert_memory_equal(out1, out2, 32);
        assert_int_equal(get_secret(f, &m, 2, salts, 32, NULL, false, out2, &n), 0);
        assert_int_equal(n, 32);
        assert_memory_equal(out1, out2, 32);
        /* another salt, another secret; two salts, both secrets at once */
        assert_int_equal(get_secret(f, &m, 2, salts + 32, 32, NULL, false, out3, &n), 0);
        assert_memory_not_equal(out1, out3, 32);
        assert_int_equal(get_secret(f, &m, 1, salts, 64, NULL, false, out2, &n), 0);
        assert_int_equal(n, 64);
        assert_memory_equal(out2, out1, 32);
        assert_memory_equal(out2 + 32, out3, 32);
        /* a saltAuth that is not the shared secret's: refused, nothing signed */
        uint32_t before = DISK(f)->counter;
        assert_int_equal(get_secret(f, &m, 2, salts, 32, NULL, true, out2, &n), 0x33);
        assert_int_equal(get_secret(f, &m, 1, salts, 32, NULL, true, out2, &n), 0x33);
        assert_int_equal(DISK(f)->counter, before);
        /* a salt that is not 32 or 64 bytes */
        assert_int_equal(get_secret(f, &m, 1, salts, 48, NULL, false, out2, &n), 0x03);

        /* user verified: CredRandomWithUV, another secret for the same salt, stable too */
        assert_int_equal(pin_set_change(f, NULL, "1234"), 0);
        assert_int_equal(pin_token(f, "1234", token), 0);
        assert_int_equal(get_secret(f, &m, 2, salts, 32, token, false, out4, &n), 0);
        assert_int_equal(n, 32);
        assert_memory_not_equal(out4, out1, 32);
        assert_int_equal(get_secret(f, &m, 1, salts, 32, token, false, out2, &n), 0);
        assert_memory_equal(out4, out2, 32);
        assert_int_equal(get_secret(f, &m, 1, salts, 32, NULL, false, out2, &n), 0);
        assert_memory_equal(out1, out2, 32);

        /* a credential made without hmac-secret answers none */
        q.hmac_secret = false;
        q.user = "bob";
        assert_int_equal(pin_token(f, "1234", token), 0);
        uint8_t req[1024], param[16], out[4096];
        size_t len = make_mc(&q, req, sizeof(req)), out_len;
        hmac16(token, cdh, 32, param);
        struct writer w = wr_init(req, sizeof(req));
        w.len = len;
        req[0] += 2;
        cbor_put_uint(&w, 8);
        cbor_put_bytes(&w, param, 16);
        cbor_put_uint(&w, 9);
        cbor_put_uint(&w, 1);
        assert_int_equal(ctap(f, 0x01, req, w.len, out, &out_len), 0);
        const uint8_t *auth;
        size_t al;
        get_bytes(map_get(rd_init(out, out_len), 2), &auth, &al);
        plain.id_len = (size_t)auth[53] << 8 | auth[54];
        memcpy(plain.id, auth + 55, plain.id_len);
        struct reader cose = rd_init(auth + 55 + plain.id_len, al - 55 - plain.id_len);
        struct reader key;
        assert_int_equal(cbor_skip(&cose, &key), 0);
        plain.pub = cose_to_pkey(key);
        assert_int_equal(get_secret(f, &plain, 1, salts, 32, NULL, false, out2, &n), 0);
        assert_int_equal(n, 0);
        EVP_PKEY_free(plain.pub);
        EVP_PKEY_free(m.pub);
}

/* getInfo names hmac-secret among its extensions */
static void test_info_hmac_secret(void **state)
{
        struct fixture *f = *state;
        uint8_t out[1024];
        size_t n, k, sl;
        const char *s;
        bool seen = false;
        select_fido(f);
        assert_int_equal(ctap(f, 0x04, NULL, 0, out, &n), 0);
        struct reader ext = map_get(rd_init(out, n), 2);
        assert_int_equal(cbor_array(&ext, &k), 0);
        for (size_t i = 0; i < k; i++) {
                assert_int_equal(cbor_text(&ext, &s, &sl), 0);
                seen |= cbor_text_is(s, sl, "hmac-secret");
        }
        assert_true(seen);
}

/* ---- presence by touch, the NFC way, on a clock the test turns ---------------------------- */

struct fake_clock {
        uint64_t now, touched, inserted;
        uint32_t timeout;
        bool wanted;
};

static uint64_t fc_now(void *c)
{
        return ((struct fake_clock *)c)->now;
}

static uint64_t fc_touched(void *c)
{
        return ((struct fake_clock *)c)->touched;
}

static uint64_t fc_inserted(void *c)
{
        return ((struct fake_clock *)c)->inserted;
}

static uint32_t fc_timeout(void *c)
{
        return ((struct fake_clock *)c)->timeout;
}

static void fc_want(void *c, bool on)
{
        ((struct fake_clock *)c)->wanted = on;
}

static void use_clock(struct fixture *f, struct fake_clock *c, struct vt_presence *p)
{
        *c = (struct fake_clock){.now = 100000, .inserted = 100000, .timeout = 5000};
        *p = (struct vt_presence){c, fc_now, fc_touched, fc_inserted, fc_timeout, fc_want};
        f->card.presence = p;
}

/* A CTAP2 message as it goes: its status word; the answer's data in out. */
static uint16_t ctap_sw(struct fixture *f, uint8_t cmd, const uint8_t *cbor, size_t len,
                        uint8_t *out, size_t *out_len)
{
        uint8_t msg[2048];
        msg[0] = cmd;
        if (len)
                memcpy(msg + 1, cbor, len);
        return send_apdu(f, 0x80, 0x10, 0x80, msg, len + 1, out, out_len);
}

static uint16_t get_response(struct fixture *f, uint8_t *out, size_t *out_len)
{
        return send_apdu(f, 0x80, 0x11, 0x00, NULL, 0, out, out_len);
}

/* What the card says of NFCCTAP_GETRESPONSE's need for a touch (the daemon's hold). */
static enum vt_touch_need poll_need(struct fixture *f)
{
        static const uint8_t gr[] = {0x80, 0x11, 0x00, 0x00, 0x00};
        uint8_t out[VT_RAPDU_MAX];
        struct vt_card_step step;
        vt_card_receive(&f->card, gr, sizeof(gr), out, &step);
        assert_true(step.ready);
        enum vt_touch_need need = step.touch;
        f->resp_len = vt_card_execute(&f->card, f->resp) - 2;
        return need;
}

static void test_presence_nfc(void **state)
{
        struct fixture *f = *state;
        struct fake_clock c;
        struct vt_presence p;
        struct mc_req q = {.rp = "example.com", .user = "alice", .alg = -7};
        uint8_t req[1024], out[4096];
        size_t n = make_mc(&q, req, sizeof(req)), out_len;
        use_clock(f, &c, &p);
        f->st->presence_touch = true;
        select_fido(f);
        assert_int_equal(get_response(f, out, &out_len), SW_CONDITIONS_NOT_SATISFIED);

        /* MakeCredential: a keepalive asking for the user, and again on each poll */
        assert_int_equal(ctap_sw(f, 0x01, req, n, out, &out_len), SW_STILL_WORKING);
        assert_int_equal(out_len, 1);
        assert_int_equal(out[0], 0x02); /* STATUS_UPNEEDED */
        assert_true(c.wanted);
        c.now += 1000;
        assert_int_equal(poll_need(f), VT_TOUCH_POLL); /* the daemon holds the poll a moment */
        assert_int_equal(get_response(f, out, &out_len), SW_STILL_WORKING);
        assert_int_equal(f->disk.commits, 0);
        /* touched: the poll runs at once, and answers the credential */
        c.now += 1000;
        c.touched = c.now;
        assert_int_equal(poll_need(f), VT_TOUCH_NONE);
        assert_int_equal(DISK(f)->counter, 1);
        assert_false(c.wanted);
        assert_int_equal(get_response(f, out, &out_len), SW_CONDITIONS_NOT_SATISFIED);

        /* untouched: USER_ACTION_TIMEOUT once the card's timeout passed, nothing made */
        assert_int_equal(ctap_sw(f, 0x01, req, n, out, &out_len), SW_STILL_WORKING);
        c.now += 4999;
        assert_int_equal(get_response(f, out, &out_len), SW_STILL_WORKING);
        c.now += 1;
        assert_int_equal(poll_need(f), VT_TOUCH_NONE);
        assert_int_equal(get_response(f, out, &out_len), SW_CONDITIONS_NOT_SATISFIED);
        assert_int_equal(ctap_sw(f, 0x01, req, n, out, &out_len), SW_STILL_WORKING);
        c.now += 5000;
        assert_int_equal(get_response(f, out, &out_len), SW_OK);
        assert_int_equal(out_len, 1);
        assert_int_equal(out[0], 0x2F);
        assert_false(c.wanted);
        assert_int_equal(DISK(f)->counter, 1);

        /* the touch before a command waits is not its touch; another command drops the wait */
        assert_int_equal(ctap_sw(f, 0x01, req, n, out, &out_len), SW_STILL_WORKING);
        assert_int_equal(ctap_sw(f, 0x04, NULL, 0, out, &out_len), SW_OK);
        assert_false(c.wanted);
        assert_int_equal(get_response(f, out, &out_len), SW_CONDITIONS_NOT_SATISFIED);

        /* GetAssertion without up: no touch; with up: a touch */
        struct made m;
        f->st->presence_touch = false;
        assert_int_equal(make(f, &q, &m), 0);
        f->st->presence_touch = true;
        n = make_ga("example.com", m.id, m.id_len, false, req, sizeof(req));
        assert_int_equal(ctap_sw(f, 0x02, req, n, out, &out_len), SW_OK);
        n = make_ga("example.com", m.id, m.id_len, true, req, sizeof(req));
        assert_int_equal(ctap_sw(f, 0x02, req, n, out, &out_len), SW_STILL_WORKING);
        c.touched = ++c.now;
        assert_int_equal(get_response(f, out, &out_len), SW_OK);
        assert_int_equal(out[0], 0);
        assert_int_equal(out[1 + 0] >> 5, 5); /* the answer's map */
        /* a power cycle drops the wait */
        assert_int_equal(ctap_sw(f, 0x02, req, n, out, &out_len), SW_STILL_WORKING);
        vt_card_power_off(&f->card);
        assert_false(c.wanted);
        EVP_PKEY_free(m.pub);
}

static void test_presence_u2f(void **state)
{
        struct fixture *f = *state;
        struct fake_clock c;
        struct vt_presence p;
        uint8_t data[64], out[2048];
        size_t out_len;
        memset(data, 0xC1, 64);
        use_clock(f, &c, &p);
        f->st->presence_touch = true;
        select_fido(f);
        /* untouched: 6985, as a key answers while the client asks again */
        assert_int_equal(send_apdu(f, 0x00, 0x01, 0x03, data, 64, out, &out_len),
                         SW_CONDITIONS_NOT_SATISFIED);
        assert_true(c.wanted);
        c.now += 250;
        assert_int_equal(send_apdu(f, 0x00, 0x01, 0x03, data, 64, out, &out_len),
                         SW_CONDITIONS_NOT_SATISFIED);
        c.now += 250;
        c.touched = c.now;
        assert_int_equal(send_apdu(f, 0x00, 0x01, 0x03, data, 64, out, &out_len), SW_OK);
        assert_false(c.wanted);
        /* the touch was taken: the next one waits for its own */
        c.now += 250;
        assert_int_equal(send_apdu(f, 0x00, 0x01, 0x03, data, 64, out, &out_len),
                         SW_CONDITIONS_NOT_SATISFIED);
        /* a touch after the card's timeout starts a new wait instead */
        c.now += 6000;
        c.touched = c.now;
        assert_int_equal(send_apdu(f, 0x00, 0x01, 0x03, data, 64, out, &out_len),
                         SW_CONDITIONS_NOT_SATISFIED);
}

/* Reset: only within 10 s of the card entering its reader, as a key after power-up */
static void test_reset_window(void **state)
{
        struct fixture *f = *state;
        struct fake_clock c;
        struct vt_presence p;
        uint8_t out[64];
        size_t out_len;
        use_clock(f, &c, &p);
        select_fido(f);
        assert_int_equal(pin_set_change(f, NULL, "1234"), 0);
        c.now = c.inserted + 10001;
        assert_int_equal(ctap(f, 0x07, NULL, 0, NULL, NULL), 0x30); /* NOT_ALLOWED */
        assert_true(DISK(f)->pin_set);
        c.inserted = c.now - 10000;
        assert_int_equal(ctap(f, 0x07, NULL, 0, NULL, NULL), 0);
        assert_false(DISK(f)->pin_set);
        /* presence by touch: in the window, then the touch may come later */
        assert_int_equal(pin_set_change(f, NULL, "1234"), 0);
        f->st->presence_touch = true;
        c.inserted = c.now;
        assert_int_equal(ctap_sw(f, 0x07, NULL, 0, out, &out_len), SW_STILL_WORKING);
        c.now += 12000;
        c.timeout = 30000;
        assert_int_equal(get_response(f, out, &out_len), SW_STILL_WORKING);
        c.touched = c.now;
        assert_int_equal(get_response(f, out, &out_len), SW_OK);
        assert_int_equal(out[0], 0);
        assert_false(DISK(f)->pin_set);
}

/* ---- --compat yubikey: a YubiKey 5 NFC's getInfo ---------------------------------------- */

/* The texts of a CBOR array, joined with commas. */
static void texts(struct reader r, char *out, size_t cap)
{
        size_t n, len = 0;
        const char *t;
        size_t tl;
        out[0] = 0;
        assert_int_equal(cbor_array(&r, &n), 0);
        for (size_t i = 0; i < n; i++) {
                assert_int_equal(cbor_text(&r, &t, &tl), 0);
                len += (size_t)snprintf(out + len, cap - len, "%s%.*s", i ? "," : "", (int)tl, t);
        }
}

/* The options map as "name=0|1" joined with commas, in the card's order. */
static void options(struct reader r, char *out, size_t cap)
{
        size_t n, len = 0, tl;
        const char *t;
        bool b;
        out[0] = 0;
        assert_int_equal(cbor_map(&r, &n), 0);
        for (size_t i = 0; i < n; i++) {
                assert_int_equal(cbor_text(&r, &t, &tl), 0);
                assert_int_equal(cbor_bool(&r, &b), 0);
                len += (size_t)snprintf(out + len, cap - len, "%s%.*s=%d", i ? "," : "", (int)tl, t,
                                        b);
        }
}

static int64_t num(struct reader r)
{
        int64_t v = -1;
        if (r.left)
                assert_int_equal(cbor_int(&r, &v), 0);
        return v;
}

struct info_want {
        uint8_t fw[3];
        const char *versions, *extensions, *aaguid, *options, *transports, *protocols;
        int64_t max_msg, max_cred_id, firmware, min_pin, remaining;
};

/* A YubiKey 5 NFC's authenticatorGetInfo, field by field, as public dumps of 5.4.3 show it
 * (fido2-token -I) and Yubico's AAGUID list names the 5.2/5.4 and 5.7 keys; 5.7's as far as
 * vtoken does what it says (docs/fido.md); vtoken's own first. */
static const struct info_want yk_info[] = {
    {{0, 0, 0}, /* vtoken's own */
     "U2F_V2,FIDO_2_0,FIDO_2_1",
     "credProtect,hmac-secret",
     "76746f6b656e2d6669646f2d76310001",
     "rk=1,up=1,plat=0,credMgmt=1,clientPin=0,credentialMgmtPreview=1",
     "nfc",
     "2,1",
     1200,
     FIDO_CRED_ID_MAX,
     -1,
     -1,
     25},
    {{5, 4, 3},
     "U2F_V2,FIDO_2_0,FIDO_2_1_PRE",
     "credProtect,hmac-secret",
     "2fc0579f811347eab116bb5a8db9202a",
     "rk=1,up=1,plat=0,clientPin=0,credentialMgmtPreview=1",
     "nfc,usb",
     "2,1",
     1200,
     128,
     0x050403,
     -1,
     -1},
    {{5, 7, 1},
     "U2F_V2,FIDO_2_0,FIDO_2_1_PRE,FIDO_2_1",
     "credProtect,hmac-secret",
     "a25342c03cdc44148e46f4807fca511c",
     "rk=1,up=1,plat=0,credMgmt=1,clientPin=0,pinUvAuthToken=1,credentialMgmtPreview=1",
     "nfc,usb",
     "2,1",
     1280,
     128,
     0x050701,
     4,
     25},
};

static void test_info_yubikey(void **state)
{
        struct fixture *f = *state;
        uint8_t out[1024];
        size_t n;
        char got[256];
        select_fido(f);
        for (size_t i = 0; i < sizeof(yk_info) / sizeof(yk_info[0]); i++) {
                const struct info_want *w = &yk_info[i];
                if (w->fw[0])
                        vt_fido_yubikey(f->fido, w->fw);
                assert_int_equal(ctap(f, 0x04, NULL, 0, out, &n), 0);
                struct reader r = rd_init(out, n);
                texts(map_get(r, 1), got, sizeof(got));
                assert_string_equal(got, w->versions);
                texts(map_get(r, 2), got, sizeof(got));
                assert_string_equal(got, w->extensions);
                const uint8_t *g;
                size_t gl;
                get_bytes(map_get(r, 3), &g, &gl);
                assert_int_equal(gl, 16);
                for (size_t k = 0; k < 16; k++)
                        snprintf(got + 2 * k, 3, "%02x", g[k]);
                assert_string_equal(got, w->aaguid);
                options(map_get(r, 4), got, sizeof(got));
                assert_string_equal(got, w->options);
                assert_int_equal(num(map_get(r, 5)), w->max_msg);
                struct reader pr = map_get(r, 6);
                size_t k;
                int64_t a, b;
                assert_int_equal(cbor_array(&pr, &k), 0);
                assert_int_equal(k, 2);
                assert_int_equal(cbor_int(&pr, &a), 0);
                assert_int_equal(cbor_int(&pr, &b), 0);
                snprintf(got, sizeof(got), "%lld,%lld", (long long)a, (long long)b);
                assert_string_equal(got, w->protocols);
                assert_int_equal(num(map_get(r, 7)), 8);
                assert_int_equal(num(map_get(r, 8)), w->max_cred_id);
                texts(map_get(r, 9), got, sizeof(got));
                assert_string_equal(got, w->transports);
                assert_int_equal(num(map_get(r, 0x0D)), w->min_pin);
                assert_int_equal(num(map_get(r, 0x0E)), w->firmware);
                assert_int_equal(num(map_get(r, 0x14)), w->remaining);
        }
        /* the attestation carries the YubiKey's AAGUID too */
        struct made m;
        struct mc_req q = {.rp = "example.com", .user = "alice", .alg = -7};
        vt_fido_yubikey(f->fido, yk_info[2].fw);
        f->st->aaguid[0] ^= 0xFF; /* make() compares with the image's: another one now */
        uint8_t req[1024];
        n = make_mc(&q, req, sizeof(req));
        assert_int_equal(ctap(f, 0x01, req, n, out, &n), 0);
        const uint8_t *auth;
        size_t al;
        get_bytes(map_get(rd_init(out, n), 2), &auth, &al);
        assert_memory_equal(auth + 37,
                            "\xa2\x53\x42\xc0\x3c\xdc\x44\x14\x8e\x46\xf4\x80\x7f\xca\x51\x1c", 16);
        (void)m;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_cbor_roundtrip),
            cmocka_unit_test_setup_teardown(test_select, setup, teardown),
            cmocka_unit_test_setup_teardown(test_class_80_only_for_fido, setup, teardown),
            cmocka_unit_test_setup_teardown(test_get_info, setup, teardown),
            cmocka_unit_test_setup_teardown(test_es256, setup, teardown),
            cmocka_unit_test_setup_teardown(test_eddsa, setup, teardown),
            cmocka_unit_test_setup_teardown(test_unsupported_alg, setup, teardown),
            cmocka_unit_test_setup_teardown(test_exclude_list, setup, teardown),
            cmocka_unit_test_setup_teardown(test_resident, setup, teardown),
            cmocka_unit_test_setup_teardown(test_cred_protect, setup, teardown),
            cmocka_unit_test_setup_teardown(test_commit_fails, setup, teardown),
            cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
            cmocka_unit_test_setup_teardown(test_bad_cbor, setup, teardown),
            cmocka_unit_test_setup_teardown(test_u2f, setup, teardown),
            cmocka_unit_test_setup_teardown(test_pin_set_change_token, setup, teardown),
            cmocka_unit_test_setup_teardown(test_pin_retries_durable, setup, teardown),
            cmocka_unit_test_setup_teardown(test_hmac_secret, setup, teardown),
            cmocka_unit_test_setup_teardown(test_info_hmac_secret, setup, teardown),
            cmocka_unit_test_setup_teardown(test_presence_nfc, setup, teardown),
            cmocka_unit_test_setup_teardown(test_presence_u2f, setup, teardown),
            cmocka_unit_test_setup_teardown(test_reset_window, setup, teardown),
            cmocka_unit_test_setup_teardown(test_info_yubikey, setup, teardown),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
