/* SPDX-License-Identifier: Apache-2.0 */
/* What the PIV tests share: a card with the PIV applet over a card image in memory, committing
 * to an in-memory store whose mirror image stands for the disk; keys of every type in the
 * slots, and APDUs written as hex. Nothing touches the file system. */
#ifndef VT_PIV_TEST_H
#define VT_PIV_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_util.h"

#include "card.h"
#include "piv_state.h"
#include "keygen.h"
#include "pin.h"
#include "buf.h"
#include "mgmt.h"
#include "piv.h"
#include "store.h"
#include "sw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

static const uint8_t test_atr[] = {0x3B, 0x88, 0x01, 0x50, 0x49, 0x56,
                                   0x73, 0x69, 0x6D, 0x30, 0x31, 0xB0};
static const uint8_t test_guid[16] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                      0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10};
/* the default management key everyone assumes */
static const uint8_t test_mgm_key[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                                         5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};

/* Keys made once per test program and shared (reference counted) by every fixture. */
struct test_keys {
        EVP_PKEY *rsa1024, *rsa2048, *p256, *p384, *ed25519, *x25519;
};
static struct test_keys keys;

struct fixture {
        struct vt_image *img;    /* the live image the card works on */
        struct vt_mem_store mem; /* mem.mirror: what the disk would hold */
        struct vt_store store;   /* over mem */
        struct vt_piv *piv;
        struct vt_card card;
        uint8_t resp[VT_RAPDU_MAX]; /* data of the last exchange, after GET RESPONSE */
        size_t resp_len;
        uint16_t sw;
        unsigned apdus; /* commands sent for the last exchange */
};

static inline void put_key(struct vt_image *img, uint8_t ref, EVP_PKEY *key, const char *cn)
{
        struct vt_slot *s = vt_piv_slot(vt_piv_of(img), ref);
        assert_non_null(s);
        assert_int_equal(EVP_PKEY_up_ref(key), 1);
        s->key = key;
        s->alg = vt_key_alg(key);
        if (!cn)
                return;
        char dn[64];
        snprintf(dn, sizeof(dn), "/CN=%s", cn);
        X509_NAME *name = vt_dn_parse(dn);
        assert_non_null(name);
        X509 *x = vt_cert_make(key, name, NULL, NULL, 30, 0);
        assert_non_null(x);
        assert_int_equal(vt_cert_der(x, &s->cert, &s->cert_len), 0);
        X509_free(x);
        X509_NAME_free(name);
}

static inline int group_setup(void **state)
{
        (void)state;
        keys.rsa1024 = vt_key_generate(VT_ALG_RSA1024);
        keys.rsa2048 = vt_key_generate(VT_ALG_RSA2048);
        keys.p256 = vt_key_generate(VT_ALG_P256);
        keys.p384 = vt_key_generate(VT_ALG_P384);
        keys.ed25519 = vt_key_generate(VT_ALG_ED25519);
        keys.x25519 = vt_key_generate(VT_ALG_X25519);
        return keys.rsa1024 && keys.rsa2048 && keys.p256 && keys.p384 && keys.ed25519 && keys.x25519
                   ? 0
                   : -1;
}

static inline int group_teardown(void **state)
{
        (void)state;
        EVP_PKEY_free(keys.rsa1024);
        EVP_PKEY_free(keys.rsa2048);
        EVP_PKEY_free(keys.p256);
        EVP_PKEY_free(keys.p384);
        EVP_PKEY_free(keys.ed25519);
        EVP_PKEY_free(keys.x25519);
        return 0;
}

/* (Re)builds f->piv and f->card, powered, over f->img, committing to store (which must outlive
 * them). */
static inline void card_over(struct fixture *f, const struct vt_store *store)
{
        struct vt_applet app;
        vt_card_release(&f->card);
        vt_piv_free(f->piv);
        assert_non_null(f->piv = vt_piv_new(f->img, store));
        vt_card_init(&f->card, test_atr, sizeof(test_atr));
        vt_piv_applet(f->piv, &app);
        assert_int_equal(vt_card_add_applet(&f->card, &app), 0);
        vt_mgmt_applet(f->img, &app);
        assert_int_equal(vt_card_add_applet(&f->card, &app), 0);
        vt_card_power_on(&f->card);
}

/* A YubiKey-like card: PIN 123456, PUK 12345678, 3 tries each, default management key;
 * 9A RSA-2048, 9C P-256, 9D P-384 with certificates; 9E P-256, 82 Ed25519, 83 X25519, 84
 * RSA-1024 without. The store's mirror starts as a copy of it. */
static inline int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        uint8_t padded[8];
        assert_non_null(f);
        assert_non_null(f->img = vt_piv_image_new("mem"));
        memcpy(f->img->atr, test_atr, sizeof(test_atr));
        f->img->atr_len = sizeof(test_atr);
        memcpy(f->img->guid, test_guid, sizeof(test_guid));
        f->img->serial = 0x0012D687;
        f->img->version[0] = 5;
        f->img->version[1] = 7;
        f->img->version[2] = 1;
        vt_pin_pad("123456", padded);
        vt_secret_set(&vt_piv_of(f->img)->pin, padded);
        vt_pin_pad("12345678", padded);
        vt_secret_set(&vt_piv_of(f->img)->puk, padded);
        vt_piv_of(f->img)->mgm_alg = VT_ALG_3DES;
        memcpy(vt_piv_of(f->img)->mgm_key, test_mgm_key, sizeof(test_mgm_key));
        vt_piv_of(f->img)->mgm_key_len = sizeof(test_mgm_key);
        put_key(f->img, 0x9A, keys.rsa2048, "piv-auth");
        put_key(f->img, 0x9C, keys.p256, "piv-sign");
        put_key(f->img, 0x9D, keys.p384, "piv-keymgmt");
        put_key(f->img, 0x9E, keys.p256, NULL);
        put_key(f->img, 0x82, keys.ed25519, NULL);
        put_key(f->img, 0x83, keys.x25519, NULL);
        put_key(f->img, 0x84, keys.rsa1024, NULL);
        assert_non_null(f->mem.mirror = vt_image_clone(f->img));
        f->store = vt_mem_store(&f->mem);
        card_over(f, &f->store);
        *state = f;
        return 0;
}

static inline int teardown(void **state)
{
        struct fixture *f = *state;
        vt_card_release(&f->card);
        vt_piv_free(f->piv);
        vt_image_free(f->img);
        vt_image_free(f->mem.mirror);
        free(f);
        return 0;
}

/* Sends a command (raw bytes), following 61xx with GET RESPONSE like every PIV client;
 * returns the final status word and keeps all response data in f->resp. */
static inline uint16_t xfer_raw(struct fixture *f, const uint8_t *cmd, size_t len)
{
        static uint8_t out[VT_RAPDU_MAX];
        uint8_t get_response[5] = {0x00, 0xC0, 0x00, 0x00, 0x00};
        f->resp_len = 0;
        f->apdus = 0;
        for (;;) {
                size_t n = vt_card_transmit(&f->card, cmd, len, out);
                f->apdus++;
                /* never more than 256 bytes to a short command */
                bool extended = len >= 7 && cmd[4] == 0x00;
                assert_true(n >= 2 && n - 2 <= (extended ? 65536u : 256u));
                memcpy(f->resp + f->resp_len, out, n - 2);
                f->resp_len += n - 2;
                f->sw = (uint16_t)(out[n - 2] << 8 | out[n - 1]);
                if (out[n - 2] != 0x61)
                        return f->sw;
                get_response[4] = out[n - 1];
                cmd = get_response;
                len = sizeof(get_response);
        }
}

static inline uint16_t xfer(struct fixture *f, const char *hex)
{
        static uint8_t cmd[VT_RAPDU_MAX];
        return xfer_raw(f, cmd, hex_decode(hex, cmd, sizeof(cmd)));
}

/* Sends data with a command, chained in 255-byte pieces as OpenSC and ykpiv do. */
static inline uint16_t xfer_chained(struct fixture *f, uint8_t ins, uint8_t p1, uint8_t p2,
                                    const uint8_t *data, size_t len)
{
        uint8_t cmd[5 + 255 + 1];
        for (;;) {
                bool last = len <= 255;
                size_t n = last ? len : 255;
                cmd[0] = last ? 0x00 : 0x10;
                cmd[1] = ins;
                cmd[2] = p1;
                cmd[3] = p2;
                cmd[4] = (uint8_t)n;
                memcpy(cmd + 5, data, n);
                cmd[5 + n] = 0x00;
                if (last)
                        return xfer_raw(f, cmd, 5 + n + 1);
                assert_int_equal(xfer_raw(f, cmd, 5 + n), 0x9000);
                data += n;
                len -= n;
        }
}

/* An exchange as the specification reads: command in, exact response (data and SW) out. */
static inline void expect(struct fixture *f, const char *cmd, const char *response)
{
        uint8_t want[VT_RAPDU_MAX];
        size_t n = hex_decode(response, want, sizeof(want));
        uint16_t sw = xfer(f, cmd);
        assert_true(n >= 2);
        assert_int_equal(sw, want[n - 2] << 8 | want[n - 1]);
        assert_int_equal(f->resp_len, n - 2);
        assert_memory_equal(f->resp, want, n - 2);
}

static inline void expect_sw(struct fixture *f, const char *cmd, uint16_t sw)
{
        assert_int_equal(xfer(f, cmd), sw);
}

#define SELECT_PIV   "00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00"
#define VERIFY_PIN   "00 20 00 80 08 31 32 33 34 35 36 FF FF"
#define VERIFY_WRONG "00 20 00 80 08 30 30 30 30 30 30 FF FF"
#define PIN_STATUS   "00 20 00 80"

/* The card image as the store holds it now (a copy: vt_image_free it). */
static inline struct vt_image *reload(struct fixture *f)
{
        struct vt_image *img = vt_image_clone(f->mem.mirror);
        assert_non_null(img);
        return img;
}

/* The store's mirror becomes a copy of the live image, as if a test's direct changes to
 * f->img had been written to disk. */
static inline void sync_mirror(struct fixture *f)
{
        vt_image_free(f->mem.mirror);
        assert_non_null(f->mem.mirror = vt_image_clone(f->img));
}

/* The card's image and the store's at one moment, and how many commits the store had taken and
 * refused until then. */
struct snapshot {
        struct vt_image *live, *mirror;
        unsigned commits, failures;
};

static inline struct snapshot snap(struct fixture *f)
{
        struct snapshot s = {vt_image_clone(f->img), vt_image_clone(f->mem.mirror), f->mem.commits,
                             f->mem.failures};
        assert_non_null(s.live);
        assert_non_null(s.mirror);
        return s;
}

/* Nothing changed since s, on the card or in the store: no commit went through, and the store
 * refused `refused` more. Frees s. */
static inline void unchanged(struct fixture *f, struct snapshot *s, unsigned refused)
{
        assert_int_equal(f->mem.commits, s->commits);
        assert_int_equal(f->mem.failures, s->failures + refused);
        assert_same_image(f->img, s->live);
        assert_same_image(f->mem.mirror, s->mirror);
        vt_image_free(s->live);
        vt_image_free(s->mirror);
        *s = (struct snapshot){0};
}

static inline const EVP_CIPHER *cipher_of(uint8_t alg)
{
        switch (alg) {
        case VT_ALG_3DES:
                return EVP_des_ede3_ecb();
        case VT_ALG_AES128:
                return EVP_aes_128_ecb();
        case VT_ALG_AES192:
                return EVP_aes_192_ecb();
        default:
                return EVP_aes_256_ecb();
        }
}

/* What the host does with the management key: one block in ECB. */
static inline void mgm_block(uint8_t alg, const uint8_t *key, bool enc, const uint8_t *in,
                             uint8_t *out)
{
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        int n, bs = EVP_CIPHER_get_block_size(cipher_of(alg));
        assert_int_equal(EVP_CipherInit_ex(ctx, cipher_of(alg), NULL, key, NULL, enc), 1);
        EVP_CIPHER_CTX_set_padding(ctx, 0);
        assert_int_equal(EVP_CipherUpdate(ctx, out, &n, in, bs), 1);
        assert_int_equal(n, bs);
        EVP_CIPHER_CTX_free(ctx);
}

/* Mutual authentication as ykpiv does it; returns the status of the second step. */
static inline uint16_t mutual_auth(struct fixture *f, uint8_t alg, const uint8_t *key)
{
        uint8_t cmd[64], witness[16], challenge[16], expected[16];
        size_t bs = (size_t)EVP_CIPHER_get_block_size(cipher_of(alg));
        snprintf((char *)cmd, sizeof(cmd), "00 87 %02X 9B 04 7C 02 80 00", alg);
        assert_int_equal(xfer(f, (const char *)cmd), SW_OK);
        /* 7C 0A 80 08 <witness encrypted> at fixed offsets */
        assert_int_equal(f->resp_len, 4 + bs);
        assert_int_equal(f->resp[0], 0x7C);
        assert_int_equal(f->resp[1], 2 + bs);
        assert_int_equal(f->resp[2], 0x80);
        assert_int_equal(f->resp[3], bs);
        mgm_block(alg, key, false, f->resp + 4, witness);
        RAND_bytes(challenge, (int)bs);

        struct writer w = wr_init(cmd, sizeof(cmd));
        size_t m = wr_open(&w, 0x7C);
        wr_tlv(&w, 0x80, witness, bs);
        wr_tlv(&w, 0x81, challenge, bs); /* no empty 82: ykpiv leaves it out */
        wr_close(&w, m);
        uint16_t sw = xfer_chained(f, 0x87, alg, 0x9B, cmd, w.len);
        if (sw != SW_OK)
                return sw;
        mgm_block(alg, key, true, challenge, expected);
        assert_int_equal(f->resp_len, 4 + bs);
        const uint8_t head[4] = {0x7C, (uint8_t)(2 + bs), 0x82, (uint8_t)bs};
        assert_memory_equal(f->resp, head, 4);
        assert_memory_equal(f->resp + 4, expected, bs);
        return sw;
}

/* The data of PUT DATA of a certificate as ykpiv import-certificate sends it:
 * 5C 03 <object> 53 { 70 <DER>, 71 00, FE 00 }. Returns its length. */
static inline size_t cert_put_data(uint32_t object, const uint8_t *der, size_t len, uint8_t *out,
                                   size_t cap)
{
        const uint8_t tag[3] = {(uint8_t)(object >> 16), (uint8_t)(object >> 8), (uint8_t)object};
        struct writer w = wr_init(out, cap);
        wr_tlv(&w, 0x5C, tag, sizeof(tag));
        size_t m = wr_open(&w, 0x53);
        wr_tlv(&w, 0x70, der, len);
        wr_tlv(&w, 0x71, "\x00", 1);
        wr_tlv(&w, 0xFE, NULL, 0);
        wr_close(&w, m);
        assert_false(w.err);
        return w.len;
}

/* 7C { 82 00, <tag> <data> } */
static inline size_t auth_template(uint32_t tag, const uint8_t *data, size_t len, uint8_t *out,
                                   size_t cap)
{
        struct writer w = wr_init(out, cap);
        size_t m = wr_open(&w, 0x7C);
        wr_tlv(&w, 0x82, NULL, 0);
        wr_tlv(&w, tag, data, len);
        wr_close(&w, m);
        assert_false(w.err);
        return w.len;
}

/* Sends GENERAL AUTHENTICATE (chained when long) and returns the status; on 9000 the content
 * of 82 in the answer is in *res. */
static inline uint16_t gen_auth(struct fixture *f, uint8_t alg, uint8_t ref, uint32_t tag,
                                const uint8_t *data, size_t len, struct reader *res)
{
        uint8_t cmd[2048];
        size_t n = auth_template(tag, data, len, cmd, sizeof(cmd));
        uint16_t sw = xfer_chained(f, 0x87, alg, ref, cmd, n);
        if (sw != SW_OK)
                return sw;
        struct reader r = rd_init(f->resp, f->resp_len), t;
        uint32_t tg;
        assert_int_equal(rd_tlv(&r, &tg, &t), 0);
        assert_int_equal(tg, 0x7C);
        assert_int_equal(r.left, 0);
        assert_int_equal(rd_tlv(&t, &tg, res), 0);
        assert_int_equal(tg, 0x82);
        assert_int_equal(t.left, 0);
        return sw;
}

#endif
