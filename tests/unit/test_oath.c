/* SPDX-License-Identifier: Apache-2.0 */
/* The OATH applet as ykman and Yubico Authenticator see it: APDUs in, APDUs out, and the state
 * a disk would hold after. Codes are checked against the vectors of RFC 4226 (HOTP), RFC 6238
 * (TOTP with SHA-1, SHA-256 and SHA-512) and RFC 4231 (HMAC). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_util.h"

#include "buf.h"
#include "card.h"
#include "oath.h"
#include "oath_uri.h"
#include "registry.h"
#include "store.h"
#include "sw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define SELECT_OATH "00 A4 04 00 07 A0 00 00 05 27 21 01"

static const char rfc_key20[] = "12345678901234567890";
static const char rfc_key32[] = "12345678901234567890123456789012";
static const char rfc_key64[] = "1234567890123456789012345678901234567890123456789012345678901234";

/* The committed state, as the unit's own type. */
#define DISK(f) ((struct vt_oath_state *)(f)->disk.st)

struct fixture {
        struct vt_oath_state *st; /* the live state */
        struct test_disk disk;
        struct vt_card card;
        uint8_t resp[VT_RAPDU_MAX];
        size_t resp_len;
};

static void make_card(struct fixture *f, uint8_t major, uint8_t minor)
{
        static const uint8_t atr[] = {0x3B, 0x80, 0x80, 0x01, 0x01};
        const uint8_t version[3] = {major, minor, 3};
        struct vt_store store = test_disk_store(&f->disk);
        struct vt_applet ap;
        struct vt_oath *o = vt_oath_new(f->st, &store, version);
        assert_non_null(o);
        vt_card_init(&f->card, atr, sizeof(atr));
        vt_oath_applet(o, &ap);
        assert_int_equal(vt_card_add_applet(&f->card, &ap), 0);
        vt_card_power_on(&f->card);
}

static int setup_fw(void **state, uint8_t major, uint8_t minor)
{
        struct fixture *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        assert_non_null(f->st = oath_state_new());
        f->disk.unit = &vt_unit_oath;
        assert_non_null(f->disk.st = oath_state_clone(f->st));
        make_card(f, major, minor);
        *state = f;
        return 0;
}

static int setup(void **state)
{
        return setup_fw(state, 5, 4);
}

static int setup_57(void **state)
{
        return setup_fw(state, 5, 7);
}

static int setup_52(void **state)
{
        return setup_fw(state, 5, 2);
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        vt_card_release(&f->card);
        oath_state_free(f->st);
        oath_state_free(f->disk.st);
        free(f);
        return 0;
}

static uint16_t xfer_bytes(struct fixture *f, const uint8_t *cmd, size_t len)
{
        return test_transmit(&f->card, cmd, len, f->resp, &f->resp_len);
}

static uint16_t xfer(struct fixture *f, const char *hex)
{
        uint8_t cmd[4096];
        return xfer_bytes(f, cmd, hex_decode(hex, cmd, sizeof(cmd)));
}

static void expect(struct fixture *f, const char *cmd, const char *want_hex)
{
        uint8_t want[4096];
        size_t n = hex_decode(want_hex, want, sizeof(want));
        uint16_t sw = xfer(f, cmd);
        assert_int_equal(f->resp_len + 2, n);
        assert_memory_equal(f->resp, want, f->resp_len);
        assert_int_equal(sw, want[n - 2] << 8 | want[n - 1]);
}

/* A command APDU: header, then data built with a writer. */
struct cmd {
        uint8_t buf[600];
        struct writer w;
};

static void cmd_start(struct cmd *c, uint8_t ins, uint8_t p1, uint8_t p2)
{
        c->w = wr_init(c->buf, sizeof(c->buf));
        wr_u8(&c->w, 0x00);
        wr_u8(&c->w, ins);
        wr_u8(&c->w, p1);
        wr_u8(&c->w, p2);
        wr_u8(&c->w, 0); /* Lc, set by cmd_send */
}

static uint16_t cmd_send(struct fixture *f, struct cmd *c)
{
        assert_false(c->w.err);
        assert_true(c->w.len - 5 <= 255);
        c->buf[4] = (uint8_t)(c->w.len - 5);
        return xfer_bytes(f, c->buf, c->w.len);
}

static uint16_t put_cred(struct fixture *f, const char *name, uint8_t type_alg, uint8_t digits,
                         const void *secret, size_t len, bool touch, uint32_t imf)
{
        struct cmd c;
        cmd_start(&c, 0x01, 0, 0);
        wr_tlv(&c.w, 0x71, name, strlen(name));
        wr_u8(&c.w, 0x73);
        wr_len(&c.w, 2 + len);
        wr_u8(&c.w, type_alg);
        wr_u8(&c.w, digits);
        wr_bytes(&c.w, secret, len);
        if (touch) {
                wr_u8(&c.w, 0x78);
                wr_u8(&c.w, 0x02);
        }
        if (imf) {
                uint8_t v[4] = {(uint8_t)(imf >> 24), (uint8_t)(imf >> 16), (uint8_t)(imf >> 8),
                                (uint8_t)imf};
                wr_tlv(&c.w, 0x7A, v, 4);
        }
        return cmd_send(f, &c);
}

static void put_ok(struct fixture *f, const char *name, uint8_t type_alg, uint8_t digits,
                   const void *secret, size_t len)
{
        assert_int_equal(put_cred(f, name, type_alg, digits, secret, len, false, 0), SW_OK);
}

/* CALCULATE with a challenge (P2 1: truncated); the code as the client formats it. */
static uint16_t calculate(struct fixture *f, const char *name, const uint8_t *chal, size_t len,
                          uint8_t p2)
{
        struct cmd c;
        cmd_start(&c, 0xA2, 0, p2);
        wr_tlv(&c.w, 0x71, name, strlen(name));
        wr_tlv(&c.w, 0x74, chal, len);
        return cmd_send(f, &c);
}

static unsigned long code_of(const uint8_t *t)
{
        static const unsigned long mod[] = {1,      10,      100,      1000,     10000,
                                            100000, 1000000, 10000000, 100000000};
        unsigned long v =
            (unsigned long)t[1] << 24 | (unsigned long)t[2] << 16 | (unsigned long)t[3] << 8 | t[4];
        return (v & 0x7FFFFFFF) % mod[t[0]];
}

static unsigned long totp(struct fixture *f, const char *name, uint64_t step)
{
        uint8_t chal[8];
        for (int i = 0; i < 8; i++)
                chal[i] = (uint8_t)(step >> (56 - 8 * i));
        assert_int_equal(calculate(f, name, chal, sizeof(chal), 1), SW_OK);
        assert_int_equal(f->resp_len, 7);
        assert_int_equal(f->resp[0], 0x76);
        assert_int_equal(f->resp[1], 5);
        return code_of(f->resp + 2);
}

static unsigned long hotp(struct fixture *f, const char *name)
{
        assert_int_equal(calculate(f, name, NULL, 0, 1), SW_OK);
        assert_int_equal(f->resp[0], 0x76);
        return code_of(f->resp + 2);
}

/* ---- SELECT ------------------------------------------------------------------------------- */

static void test_select_answers_version_and_device_id(void **state)
{
        struct fixture *f = *state;
        char want[128];
        int n = snprintf(want, sizeof(want), "79 03 05 04 03 71 08");
        for (size_t i = 0; i < OATH_SALT_LEN; i++)
                n += snprintf(want + n, sizeof(want) - (size_t)n, " %02X", f->st->salt[i]);
        snprintf(want + n, sizeof(want) - (size_t)n, " 90 00");
        expect(f, SELECT_OATH, want); /* no 74 challenge: no access key */
        expect(f, "00 A4 04 00 05 A0 00 00 05 28", "6A 82");
        expect(f, "00 EE 00 00", "6D 00");
}

static void test_ins_names_for_traces(void **state)
{
        struct fixture *f = *state;
        char buf[8];
        assert_string_equal(vt_card_ins_name(&f->card, 0xA5, buf), "SEND REMAINING");
        assert_string_equal(vt_card_ins_name(&f->card, 0xA3, buf), "VALIDATE");
        assert_string_equal(vt_card_ins_name(&f->card, 0x05, buf), "RENAME");
}

/* ---- PUT, LIST, DELETE, RENAME ------------------------------------------------------------ */

static void test_put_list_delete(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_OATH);
        expect(f, "00 A1 00 00", "90 00");
        put_ok(f, "Example:alice", 0x21, 6, rfc_key20, 20);
        put_ok(f, "hotp", 0x12, 8, rfc_key32, 32);
        assert_int_equal(f->disk.commits, 2);
        assert_int_equal(DISK(f)->n, 2);
        expect(f, "00 A1 00 00",
               "72 0E 21 45 78 61 6D 70 6C 65 3A 61 6C 69 63 65"
               "72 05 12 68 6F 74 70 90 00");
        /* the same name again replaces the credential */
        put_ok(f, "hotp", 0x23, 7, rfc_key64, 64);
        expect(f, "00 A1 00 00",
               "72 0E 21 45 78 61 6D 70 6C 65 3A 61 6C 69 63 65"
               "72 05 23 68 6F 74 70 90 00");
        expect(f, "00 02 00 00 06 71 04 6E 6F 6E 65", "69 84");
        expect(f, "00 02 00 00 06 71 04 68 6F 74 70", "90 00");
        expect(f, "00 A1 00 00", "72 0E 21 45 78 61 6D 70 6C 65 3A 61 6C 69 63 65 90 00");
        assert_int_equal(DISK(f)->n, 1);
        expect(f, "00 02 00 00 02 73 00", "6A 80");
}

static void test_put_refuses_what_a_yubikey_refuses(void **state)
{
        struct fixture *f = *state;
        char longname[OATH_NAME_MAX + 2];
        uint8_t big[130] = {0};
        xfer(f, SELECT_OATH);
        assert_int_equal(put_cred(f, "a", 0x21, 5, rfc_key20, 20, false, 0), SW_WRONG_DATA);
        assert_int_equal(put_cred(f, "a", 0x21, 9, rfc_key20, 20, false, 0), SW_WRONG_DATA);
        assert_int_equal(put_cred(f, "a", 0x24, 6, rfc_key20, 20, false, 0), SW_WRONG_DATA);
        assert_int_equal(put_cred(f, "a", 0x31, 6, rfc_key20, 20, false, 0), SW_WRONG_DATA);
        assert_int_equal(put_cred(f, "a", 0x21, 6, big, 65, false, 0), SW_WRONG_DATA);
        assert_int_equal(put_cred(f, "a", 0x23, 6, big, 129, false, 0), SW_WRONG_DATA);
        memset(longname, 'n', sizeof(longname));
        longname[OATH_NAME_MAX + 1] = '\0';
        assert_int_equal(put_cred(f, longname, 0x21, 6, rfc_key20, 20, false, 0), SW_WRONG_DATA);
        longname[OATH_NAME_MAX] = '\0';
        assert_int_equal(put_cred(f, longname, 0x21, 6, rfc_key20, 20, false, 0), SW_OK);
        assert_int_equal(put_cred(f, "b", 0x23, 6, big, 128, false, 0), SW_OK);
        expect(f, "00 01 00 00 03 71 01 61", "6A 80");                /* no key */
        expect(f, "00 01 00 00 08 71 01 61 73 02 21 06 99", "6A 80"); /* trailing garbage */
        assert_int_equal(DISK(f)->n, 2);
}

static void fill(struct fixture *f, size_t n)
{
        char name[16];
        for (size_t i = 0; i < n; i++) {
                snprintf(name, sizeof(name), "acct%zu", i);
                put_ok(f, name, 0x21, 6, rfc_key20, 20);
        }
}

static void test_room_for_32_credentials(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_OATH);
        fill(f, 32);
        assert_int_equal(put_cred(f, "one more", 0x21, 6, rfc_key20, 20, false, 0),
                         SW_NOT_ENOUGH_MEMORY);
        /* replacing one still works */
        put_ok(f, "acct3", 0x11, 6, rfc_key20, 20);
        assert_int_equal(DISK(f)->n, 32);
}

static void test_room_for_64_credentials_on_57(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_OATH);
        fill(f, 64);
        assert_int_equal(put_cred(f, "one more", 0x21, 6, rfc_key20, 20, false, 0),
                         SW_NOT_ENOUGH_MEMORY);
}

static void test_rename(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_OATH);
        put_ok(f, "old", 0x21, 6, rfc_key20, 20);
        put_ok(f, "other", 0x21, 6, rfc_key20, 20);
        expect(f, "00 05 00 00 0A 71 03 6F 6C 64 71 03 6E 65 77", "90 00");
        expect(f, "00 A1 00 00", "72 04 21 6E 65 77 72 06 21 6F 74 68 65 72 90 00");
        assert_memory_equal(DISK(f)->creds[0].name, "new", 3);
        /* the old name is gone, the new one taken */
        expect(f, "00 05 00 00 0A 71 03 6F 6C 64 71 03 6F 6C 64", "69 84");
        expect(f, "00 05 00 00 0C 71 03 6E 65 77 71 05 6F 74 68 65 72", "69 85");
        expect(f, "00 05 00 00 05 71 03 6E 65 77", "6A 80");
        assert_int_equal(totp(f, "new", 1), 287082);
}

static void test_rename_needs_firmware_53(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_OATH);
        put_ok(f, "old", 0x21, 6, rfc_key20, 20);
        expect(f, "00 05 00 00 0A 71 03 6F 6C 64 71 03 6E 65 77", "6D 00");
}

/* ---- codes -------------------------------------------------------------------------------- */

static void test_hotp_rfc4226_vectors_counters_durable(void **state)
{
        static const unsigned long want[] = {755224, 287082, 359152, 969429, 338314,
                                             254676, 287922, 162583, 399871, 520489};
        struct fixture *f = *state;
        xfer(f, SELECT_OATH);
        put_ok(f, "hotp", 0x11, 6, rfc_key20, 20);
        for (size_t i = 0; i < 10; i++) {
                assert_int_equal(hotp(f, "hotp"), want[i]);
                /* the counter moved on on disk before the code went out */
                assert_int_equal(DISK(f)->creds[0].counter, i + 1);
        }
        /* a commit refused: no code, the counter stays */
        f->disk.fail_next = 1;
        assert_int_equal(calculate(f, "hotp", NULL, 0, 1), SW_MEMORY_FAILURE);
        assert_int_equal(f->resp_len, 0);
        assert_int_equal(f->st->creds[0].counter, 10);
        assert_int_equal(DISK(f)->creds[0].counter, 10);
}

static void test_hotp_initial_counter_and_eight_digits(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_OATH);
        assert_int_equal(put_cred(f, "h", 0x11, 8, rfc_key20, 20, false, 5), SW_OK);
        assert_int_equal(hotp(f, "h"), 68254676);
        assert_int_equal(hotp(f, "h"), 18287922);
        /* a challenge sent to a HOTP credential changes nothing */
        assert_int_equal(totp(f, "h", 1), 82162583);
}

static void test_totp_rfc6238_vectors(void **state)
{
        static const struct {
                uint64_t time;
                unsigned long sha1, sha256, sha512;
        } v[] = {
            {59, 94287082, 46119246, 90693936},
            {1111111109, 7081804, 68084774, 25091201},
            {1111111111, 14050471, 67062674, 99943326},
            {1234567890, 89005924, 91819424, 93441116},
            {2000000000, 69279037, 90698825, 38618901},
            {20000000000ull, 65353130, 77737706, 47863826},
        };
        struct fixture *f = *state;
        xfer(f, SELECT_OATH);
        put_ok(f, "sha1", 0x21, 8, rfc_key20, 20);
        put_ok(f, "sha256", 0x22, 8, rfc_key32, 32);
        put_ok(f, "sha512", 0x23, 8, rfc_key64, 64);
        put_ok(f, "six", 0x21, 6, rfc_key20, 20);
        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                assert_int_equal(totp(f, "sha1", v[i].time / 30), v[i].sha1);
                assert_int_equal(totp(f, "sha256", v[i].time / 30), v[i].sha256);
                assert_int_equal(totp(f, "sha512", v[i].time / 30), v[i].sha512);
                assert_int_equal(totp(f, "six", v[i].time / 30), v[i].sha1 % 1000000);
        }
        /* TOTP codes change nothing on disk */
        assert_int_equal(f->disk.commits, 4);
        expect(f, "00 A2 00 01 08 71 04 6E 6F 6E 65 74 00", "69 84");
        expect(f, "00 A2 00 01 06 71 04 73 68 61 31", "6A 80");
        expect(f, "00 A2 00 02 08 71 04 73 68 61 31 74 00", "6A 86");
}

/* RFC 4231's cases 1 and 2 through the full response (P2 0), as ykman's device tests do. */
static void test_full_response_hmac_vectors(void **state)
{
        struct fixture *f = *state;
        uint8_t key1[20];
        uint8_t want[64];
        memset(key1, 0x0B, sizeof(key1));
        xfer(f, SELECT_OATH);
        put_ok(f, "k1", 0x22, 6, key1, sizeof(key1));
        put_ok(f, "k2", 0x23, 6, "Jefe", 4);
        assert_int_equal(calculate(f, "k1", (const uint8_t *)"Hi There", 8, 0), SW_OK);
        hex_decode("75 21 06 b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
                   want, sizeof(want));
        assert_int_equal(f->resp_len, 35);
        assert_memory_equal(f->resp, want, 35);
        const char *msg = "what do ya want for nothing?";
        assert_int_equal(calculate(f, "k2", (const uint8_t *)msg, strlen(msg), 0), SW_OK);
        hex_decode("164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
                   "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
                   want, sizeof(want));
        assert_int_equal(f->resp_len, 67);
        assert_int_equal(f->resp[0], 0x75);
        assert_int_equal(f->resp[1], 65);
        assert_int_equal(f->resp[2], 6);
        assert_memory_equal(f->resp + 3, want, 64);
}

static void test_calculate_all(void **state)
{
        struct fixture *f = *state;
        struct reader r, v;
        uint32_t tag;
        xfer(f, SELECT_OATH);
        put_ok(f, "totp", 0x21, 8, rfc_key20, 20);
        put_ok(f, "hotp", 0x11, 6, rfc_key20, 20);
        assert_int_equal(put_cred(f, "touch", 0x21, 7, rfc_key20, 20, true, 0), SW_OK);
        /* time 59: step 1 */
        assert_int_equal(xfer(f, "00 A4 00 01 0A 74 08 00 00 00 00 00 00 00 01"), SW_OK);
        r = rd_init(f->resp, f->resp_len);
        assert_int_equal(rd_tlv(&r, &tag, &v), 0);
        assert_int_equal(tag, 0x71);
        assert_memory_equal(v.p, "totp", 4);
        assert_int_equal(rd_tlv(&r, &tag, &v), 0);
        assert_int_equal(tag, 0x76);
        assert_int_equal(v.left, 5);
        assert_int_equal(code_of(v.p), 94287082);
        assert_int_equal(rd_tlv(&r, &tag, &v), 0);
        assert_memory_equal(v.p, "hotp", 4);
        assert_int_equal(rd_tlv(&r, &tag, &v), 0);
        assert_int_equal(tag, 0x77); /* HOTP: no code, the counter untouched */
        assert_int_equal(v.left, 1);
        assert_int_equal(v.p[0], 6);
        assert_int_equal(rd_tlv(&r, &tag, &v), 0);
        assert_memory_equal(v.p, "touch", 5);
        assert_int_equal(rd_tlv(&r, &tag, &v), 0);
        assert_int_equal(tag, 0x7C); /* touch required: no code */
        assert_int_equal(v.p[0], 7);
        assert_int_equal(r.left, 0);
        assert_int_equal(DISK(f)->creds[1].counter, 0);
        /* P2 0: the whole HMAC */
        assert_int_equal(xfer(f, "00 A4 00 00 0A 74 08 00 00 00 00 00 00 00 01"), SW_OK);
        assert_int_equal(f->resp[6], 0x75);
        assert_int_equal(f->resp[7], 21);
        expect(f, "00 A4 00 01 02 71 00", "6A 80");
}

/* ---- the access key ----------------------------------------------------------------------- */

/* ykman's key for a password: PBKDF2-HMAC-SHA1 over the device id, 1000 rounds, 16 bytes. */
static void derive(const struct fixture *f, const char *password, uint8_t key[16])
{
        assert_int_equal(PKCS5_PBKDF2_HMAC_SHA1(password, (int)strlen(password), f->st->salt,
                                                OATH_SALT_LEN, 1000, 16, key),
                         1);
}

static uint16_t set_code(struct fixture *f, const uint8_t key[16], bool right)
{
        static const uint8_t chal[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        uint8_t mac[20], k[17];
        unsigned n;
        struct cmd c;
        HMAC(EVP_sha1(), key, 16, chal, sizeof(chal), mac, &n);
        mac[0] ^= right ? 0 : 1;
        k[0] = 0x21;
        memcpy(k + 1, key, 16);
        cmd_start(&c, 0x03, 0, 0);
        wr_tlv(&c.w, 0x73, k, sizeof(k));
        wr_tlv(&c.w, 0x74, chal, sizeof(chal));
        wr_tlv(&c.w, 0x75, mac, n);
        return cmd_send(f, &c);
}

/* SELECT, then VALIDATE with key; checks the card's proof of its own. */
static uint16_t unlock(struct fixture *f, const uint8_t key[16])
{
        static const uint8_t host[8] = {9, 8, 7, 6, 5, 4, 3, 2};
        uint8_t mac[20], card[20];
        unsigned n;
        struct reader r, v;
        struct cmd c;
        assert_int_equal(xfer(f, SELECT_OATH), SW_OK);
        r = rd_init(f->resp, f->resp_len);
        assert_int_equal(rd_find(r, 0x74, &v), 0);
        assert_int_equal(v.left, 8);
        HMAC(EVP_sha1(), key, 16, v.p, v.left, mac, &n);
        assert_int_equal(rd_find(r, 0x7B, &v), 0);
        assert_int_equal(v.p[0], 0x01);
        cmd_start(&c, 0xA3, 0, 0);
        wr_tlv(&c.w, 0x75, mac, n);
        wr_tlv(&c.w, 0x74, host, sizeof(host));
        uint16_t sw = cmd_send(f, &c);
        if (sw == SW_OK) {
                HMAC(EVP_sha1(), key, 16, host, sizeof(host), card, &n);
                assert_int_equal(f->resp_len, 22);
                assert_int_equal(f->resp[0], 0x75);
                assert_memory_equal(f->resp + 2, card, 20);
        }
        return sw;
}

static void test_access_key_locks_until_validated(void **state)
{
        struct fixture *f = *state;
        uint8_t key[16], wrong[16];
        xfer(f, SELECT_OATH);
        put_ok(f, "totp", 0x21, 6, rfc_key20, 20);
        derive(f, "correct horse", key);
        derive(f, "wrong", wrong);
        expect(f, "00 A3 00 00 04 75 00 74 00", "69 84"); /* no key set */
        assert_int_equal(set_code(f, key, false), SW_WRONG_DATA);
        assert_int_equal(DISK(f)->key_alg, 0);
        assert_int_equal(set_code(f, key, true), SW_OK);
        assert_int_equal(DISK(f)->key_alg, OATH_SHA1);
        assert_int_equal(DISK(f)->key_len, 16);
        assert_int_equal(totp(f, "totp", 1), 287082); /* the session that set it goes on */
        /* a new session is locked */
        xfer(f, SELECT_OATH);
        expect(f, "00 A1 00 00", "69 82");
        expect(f, "00 A2 00 01 10 71 04 74 6F 74 70 74 08 00 00 00 00 00 00 00 01", "69 82");
        expect(f, "00 A4 00 01 0A 74 08 00 00 00 00 00 00 00 01", "69 82");
        expect(f, "00 02 00 00 06 71 04 74 6F 74 70", "69 82");
        expect(f, "00 05 00 00 0C 71 04 74 6F 74 70 71 04 6E 65 77 77", "69 82");
        assert_int_equal(put_cred(f, "x", 0x21, 6, rfc_key20, 20, false, 0),
                         SW_SECURITY_STATUS_NOT_SATISFIED);
        assert_int_equal(set_code(f, wrong, true), SW_SECURITY_STATUS_NOT_SATISFIED);
        expect(f, "00 03 00 00 02 73 00", "69 82");
        /* a wrong key: 6A80, and the same challenge may be answered again (ykman retries with
         * a prompted password after a remembered one failed) */
        assert_int_equal(unlock(f, wrong), SW_WRONG_DATA);
        assert_int_equal(unlock(f, key), SW_OK);
        assert_int_equal(totp(f, "totp", 1), 287082);
        /* removed with an empty key */
        expect(f, "00 03 00 00 02 73 00", "90 00");
        assert_int_equal(DISK(f)->key_alg, 0);
        assert_int_equal(xfer(f, SELECT_OATH), SW_OK);
        assert_int_equal(f->resp_len, 15); /* no challenge */
        expect(f, "00 A1 00 00", "72 05 21 74 6F 74 70 90 00");
}

static void test_validate_retries_the_same_challenge(void **state)
{
        struct fixture *f = *state;
        static const uint8_t host[8] = {1};
        uint8_t key[16], wrong[16], mac[20];
        unsigned n;
        struct reader v;
        struct cmd c;
        xfer(f, SELECT_OATH);
        derive(f, "pw", key);
        derive(f, "not pw", wrong);
        assert_int_equal(set_code(f, key, true), SW_OK);
        assert_int_equal(xfer(f, SELECT_OATH), SW_OK);
        assert_int_equal(rd_find(rd_init(f->resp, f->resp_len), 0x74, &v), 0);
        uint8_t chal[8];
        memcpy(chal, v.p, 8);
        for (int round = 0; round < 2; round++) {
                HMAC(EVP_sha1(), round ? key : wrong, 16, chal, 8, mac, &n);
                cmd_start(&c, 0xA3, 0, 0);
                wr_tlv(&c.w, 0x75, mac, n);
                wr_tlv(&c.w, 0x74, host, sizeof(host));
                assert_int_equal(cmd_send(f, &c), round ? SW_OK : SW_WRONG_DATA);
        }
        expect(f, "00 A1 00 00", "90 00");
}

static void test_reset(void **state)
{
        struct fixture *f = *state;
        uint8_t key[16], salt[OATH_SALT_LEN];
        xfer(f, SELECT_OATH);
        put_ok(f, "totp", 0x21, 6, rfc_key20, 20);
        derive(f, "pw", key);
        assert_int_equal(set_code(f, key, true), SW_OK);
        memcpy(salt, f->st->salt, sizeof(salt));
        xfer(f, SELECT_OATH);
        expect(f, "00 04 00 00", "6A 86");
        expect(f, "00 04 DE AD", "90 00"); /* allowed while locked */
        assert_int_equal(DISK(f)->n, 0);
        assert_int_equal(DISK(f)->key_alg, 0);
        assert_memory_not_equal(DISK(f)->salt, salt, sizeof(salt));
        assert_memory_equal(DISK(f)->salt, f->st->salt, sizeof(salt));
        expect(f, "00 A1 00 00", "90 00");
        assert_int_equal(xfer(f, SELECT_OATH), SW_OK);
        assert_int_equal(f->resp_len, 15);
        assert_memory_equal(f->resp + 7, f->st->salt, OATH_SALT_LEN);
}

/* ---- commit, then apply ------------------------------------------------------------------- */

static void test_refused_commits_change_nothing(void **state)
{
        struct fixture *f = *state;
        uint8_t key[16];
        xfer(f, SELECT_OATH);
        put_ok(f, "a", 0x21, 6, rfc_key20, 20);
        f->disk.fail_next = 1;
        assert_int_equal(put_cred(f, "b", 0x21, 6, rfc_key20, 20, false, 0), SW_MEMORY_FAILURE);
        f->disk.fail_next = 1;
        expect(f, "00 02 00 00 03 71 01 61", "65 81");
        f->disk.fail_next = 1;
        expect(f, "00 05 00 00 06 71 01 61 71 01 62", "65 81");
        derive(f, "pw", key);
        f->disk.fail_next = 1;
        assert_int_equal(set_code(f, key, true), SW_MEMORY_FAILURE);
        f->disk.fail_next = 1;
        expect(f, "00 04 DE AD", "65 81");
        expect(f, "00 A1 00 00", "72 02 21 61 90 00");
        assert_int_equal(f->st->key_alg, 0);
        assert_memory_equal(f->st, f->disk.st, sizeof(*f->st));
}

/* ---- long answers ------------------------------------------------------------------------- */

static void test_send_remaining(void **state)
{
        struct fixture *f = *state;
        char name[OATH_NAME_MAX + 1];
        uint8_t all[8192];
        size_t n = 0;
        xfer(f, SELECT_OATH);
        for (int i = 0; i < 10; i++) {
                memset(name, 'a' + i, 60);
                name[60] = '\0';
                put_ok(f, name, 0x21, 6, rfc_key20, 20);
        }
        /* 10 x 63 bytes: 256, then 61 xx and SEND REMAINING as ykman sends it */
        uint16_t sw = xfer(f, "00 A1 00 00");
        assert_int_equal(sw, 0x6100); /* more than 255 bytes left */
        memcpy(all, f->resp, f->resp_len);
        n = f->resp_len;
        while ((sw = xfer(f, "00 A5 00 00")) >> 8 == 0x61 || sw == SW_OK) {
                memcpy(all + n, f->resp, f->resp_len);
                n += f->resp_len;
                if (sw == SW_OK)
                        break;
        }
        assert_int_equal(sw, SW_OK);
        assert_int_equal(n, 630);
        for (size_t i = 0; i < 10; i++) {
                assert_int_equal(all[i * 63], 0x72);
                assert_int_equal(all[i * 63 + 3], 'a' + i);
        }
        expect(f, "00 A5 00 00", "69 85"); /* nothing left */
        /* GET RESPONSE serves as well */
        assert_int_equal(xfer(f, "00 A1 00 00") >> 8, 0x61);
        assert_int_equal(xfer(f, "00 C0 00 00 00"), 0x6100 | (630 - 512));
        /* another command drops what was left */
        assert_int_equal(xfer(f, "00 A1 00 00") >> 8, 0x61);
        expect(f, "00 02 00 00 03 71 01 7A", "69 84");
        expect(f, "00 A5 00 00", "69 85");
}

/* ykman 5 sends extended APDUs over USB (Lc of three bytes, no Le): the answer still comes
 * 256 bytes at a time, the rest with SEND REMAINING. */
static void test_extended_apdus_as_ykman_5_sends_them(void **state)
{
        struct fixture *f = *state;
        char name[OATH_NAME_MAX + 1];
        size_t n = 0;
        uint16_t sw;
        xfer(f, SELECT_OATH);
        expect(f,
               "00 01 00 00 00 00 1E 71 04 74 6F 74 70 73 16 21 06 31 32 33 34 35 36 37 38 39 30"
               "31 32 33 34 35 36 37 38 39 30",
               "90 00");
        for (int i = 0; i < 9; i++) {
                memset(name, 'a' + i, 60);
                name[60] = '\0';
                put_ok(f, name, 0x21, 6, rfc_key20, 20);
        }
        sw = xfer(f, "00 A4 00 01 00 00 0A 74 08 00 00 00 00 00 00 00 01");
        assert_int_equal(sw, 0x6100);
        n = f->resp_len;
        assert_int_equal(n, 256);
        assert_memory_equal(f->resp, "\x71\x04totp\x76\x05\x06", 9);
        assert_int_equal(code_of(f->resp + 8), 287082);
        while ((sw = xfer(f, "00 A5 00 00")) >> 8 == 0x61)
                n += f->resp_len;
        assert_int_equal(sw, SW_OK);
        n += f->resp_len;
        assert_int_equal(n, 6 + 7 + 9 * (62 + 7));
}

/* ---- what the daemon asks ----------------------------------------------------------------- */

static struct vt_card_step receive(struct fixture *f, const char *hex)
{
        uint8_t cmd[600], out[VT_RAPDU_MAX];
        struct vt_card_step step;
        size_t n = hex_decode(hex, cmd, sizeof(cmd));
        vt_card_receive(&f->card, cmd, n, out, &step);
        if (step.ready)
                vt_card_execute(&f->card, out);
        return step;
}

static void test_secrets_in_traces(void **state)
{
        struct fixture *f = *state;
        const unsigned both = VT_SECRET_COMMAND | VT_SECRET_RESPONSE;
        char name[OATH_NAME_MAX + 1];
        xfer(f, SELECT_OATH);
        assert_int_equal(receive(f, "00 01 00 00 0B 71 01 61 73 06 21 06 31 32 33 34").secrecy,
                         VT_SECRET_COMMAND);
        assert_int_equal(receive(f, "00 03 00 00 02 73 00").secrecy, VT_SECRET_COMMAND);
        assert_int_equal(receive(f, "00 A3 00 00 04 75 00 74 00").secrecy, both);
        assert_int_equal(receive(f, "00 A2 00 01 05 71 01 61 74 00").secrecy, VT_SECRET_RESPONSE);
        assert_int_equal(receive(f, "00 A4 00 01 02 74 00").secrecy, VT_SECRET_RESPONSE);
        assert_int_equal(receive(f, "00 A1 00 00").secrecy, 0);
        assert_int_equal(receive(f, "00 02 00 00 03 71 01 61").secrecy, 0);
        /* what SEND REMAINING hands out of codes is secret, of a list not */
        for (int i = 0; i < 10; i++) {
                memset(name, 'a' + i, 60);
                name[60] = '\0';
                put_ok(f, name, 0x21, 6, rfc_key20, 20);
        }
        assert_int_equal(xfer(f, "00 A4 00 01 0A 74 08 00 00 00 00 00 00 00 01") >> 8, 0x61);
        assert_int_equal(receive(f, "00 A5 00 00").secrecy, VT_SECRET_RESPONSE);
        assert_int_equal(xfer(f, "00 A1 00 00") >> 8, 0x61);
        assert_int_equal(receive(f, "00 A5 00 00").secrecy, 0);
}

static void test_touch_required_credentials(void **state)
{
        struct fixture *f = *state;
        uint8_t key[16];
        xfer(f, SELECT_OATH);
        assert_int_equal(put_cred(f, "touch", 0x21, 6, rfc_key20, 20, true, 0), SW_OK);
        put_ok(f, "plain", 0x21, 6, rfc_key20, 20);
        assert_int_equal(DISK(f)->creds[0].props, OATH_PROP_TOUCH);
        struct vt_card_step s =
            receive(f, "00 A2 00 01 0F 71 05 74 6F 75 63 68 74 06 00 00 00 00 00 01");
        assert_int_equal(s.touch, VT_TOUCH_EACH);
        s = receive(f, "00 A2 00 01 0F 71 05 70 6C 61 69 6E 74 06 00 00 00 00 00 01");
        assert_int_equal(s.touch, VT_TOUCH_NONE);
        assert_int_equal(receive(f, "00 A4 00 01 02 74 00").touch, VT_TOUCH_NONE);
        /* a locked session gets 69 82 at once, not a wait */
        derive(f, "pw", key);
        assert_int_equal(set_code(f, key, true), SW_OK);
        xfer(f, SELECT_OATH);
        s = receive(f, "00 A2 00 01 0F 71 05 74 6F 75 63 68 74 06 00 00 00 00 00 01");
        assert_int_equal(s.touch, VT_TOUCH_NONE);
}

static void test_session_ends_with_another_applet_or_power(void **state)
{
        struct fixture *f = *state;
        uint8_t key[16];
        xfer(f, SELECT_OATH);
        derive(f, "pw", key);
        assert_int_equal(set_code(f, key, true), SW_OK);
        assert_int_equal(unlock(f, key), SW_OK);
        expect(f, "00 A1 00 00", "90 00");
        vt_card_reset(&f->card);
        xfer(f, SELECT_OATH);
        expect(f, "00 A1 00 00", "69 82");
}

/* ---- otpauth:// URIs ---------------------------------------------------------------------- */

static void test_otpauth_uris(void **state)
{
        struct oath_cred c;
        char err[160];
        (void)state;
        assert_int_equal(oath_cred_from_uri("otpauth://totp/Example:alice@google.com?secret="
                                            "JBSWY3DPEHPK3PXP&issuer=Example",
                                            &c, err, sizeof(err)),
                         0);
        assert_int_equal(c.name_len, 24);
        assert_memory_equal(c.name, "Example:alice@google.com", 24);
        assert_int_equal(c.type, OATH_TOTP);
        assert_int_equal(c.alg, OATH_SHA1);
        assert_int_equal(c.digits, 6);
        assert_int_equal(c.secret_len, 14); /* 10 bytes, padded as ykman pads */
        assert_memory_equal(c.secret, "Hello!\xde\xad\xbe\xef\0\0\0\0", 14);
        /* a period other than 30 leads the name; the issuer parameter wins over the label's */
        assert_int_equal(oath_cred_from_uri("otpauth://TOTP/ACME%20Co:john.doe%40email.com?"
                                            "secret=gezdgnbvgy3tqojq&issuer=Other&period=60&"
                                            "algorithm=sha256&digits=8",
                                            &c, err, sizeof(err)),
                         0);
        assert_int_equal(c.name_len, strlen("60/Other:john.doe@email.com"));
        assert_memory_equal(c.name, "60/Other:john.doe@email.com", c.name_len);
        assert_int_equal(c.alg, OATH_SHA256);
        assert_int_equal(c.digits, 8);
        assert_memory_equal(c.secret, "1234567890\0\0\0\0", 14);
        assert_int_equal(
            oath_cred_from_uri("otpauth://hotp/h?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                               "&counter=5&period=60",
                               &c, err, sizeof(err)),
            0);
        assert_int_equal(c.type, OATH_HOTP);
        assert_int_equal(c.counter, 5);
        assert_int_equal(c.name_len, 1); /* no period in a HOTP name */
        assert_int_equal(c.secret_len, 20);
        static const char *bad[] = {
            "http://totp/a?secret=JBSWY3DP",
            "otpauth://motp/a?secret=JBSWY3DP",
            "otpauth://totp/a",
            "otpauth://totp/a?issuer=x",
            "otpauth://totp/a?secret=JBSWY3D1",
            "otpauth://totp/a?secret=JBSWY3DP&digits=9",
            "otpauth://totp/a?secret=JBSWY3DP&digits=5",
            "otpauth://totp/a?secret=JBSWY3DP&algorithm=MD5",
            "otpauth://totp/a?secret=JBSWY3DP&period=0",
            "otpauth://totp/a%2?secret=JBSWY3DP",
            "otpauth://totp/?secret=JBSWY3DP",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(oath_cred_from_uri(bad[i], &c, err, sizeof(err)), -1);
                assert_true(err[0] != '\0');
        }
        /* a name of 65 bytes; 64 fit */
        char uri[200], account[OATH_NAME_MAX + 2];
        memset(account, 'a', sizeof(account));
        account[OATH_NAME_MAX + 1] = '\0';
        snprintf(uri, sizeof(uri), "otpauth://totp/%s?secret=JBSWY3DP", account);
        assert_int_equal(oath_cred_from_uri(uri, &c, err, sizeof(err)), -1);
        account[OATH_NAME_MAX] = '\0';
        snprintf(uri, sizeof(uri), "otpauth://totp/%s?secret=JBSWY3DP", account);
        assert_int_equal(oath_cred_from_uri(uri, &c, err, sizeof(err)), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_select_answers_version_and_device_id, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_ins_names_for_traces, setup, teardown),
            cmocka_unit_test_setup_teardown(test_put_list_delete, setup, teardown),
            cmocka_unit_test_setup_teardown(test_put_refuses_what_a_yubikey_refuses, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_room_for_32_credentials, setup, teardown),
            cmocka_unit_test_setup_teardown(test_room_for_64_credentials_on_57, setup_57, teardown),
            cmocka_unit_test_setup_teardown(test_rename, setup, teardown),
            cmocka_unit_test_setup_teardown(test_rename_needs_firmware_53, setup_52, teardown),
            cmocka_unit_test_setup_teardown(test_hotp_rfc4226_vectors_counters_durable, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_hotp_initial_counter_and_eight_digits, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_totp_rfc6238_vectors, setup, teardown),
            cmocka_unit_test_setup_teardown(test_full_response_hmac_vectors, setup, teardown),
            cmocka_unit_test_setup_teardown(test_calculate_all, setup, teardown),
            cmocka_unit_test_setup_teardown(test_access_key_locks_until_validated, setup, teardown),
            cmocka_unit_test_setup_teardown(test_validate_retries_the_same_challenge, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
            cmocka_unit_test_setup_teardown(test_refused_commits_change_nothing, setup, teardown),
            cmocka_unit_test_setup_teardown(test_send_remaining, setup, teardown),
            cmocka_unit_test_setup_teardown(test_extended_apdus_as_ykman_5_sends_them, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_secrets_in_traces, setup, teardown),
            cmocka_unit_test_setup_teardown(test_touch_required_credentials, setup, teardown),
            cmocka_unit_test_setup_teardown(test_session_ends_with_another_applet_or_power, setup,
                                            teardown),
            cmocka_unit_test(test_otpauth_uris),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
