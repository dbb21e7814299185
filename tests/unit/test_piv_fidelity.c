/* SPDX-License-Identifier: Apache-2.0 */
/* Where a YubiKey 5 and the PIV specification part: what Yubico's own clients and device tests
 * (yubikey-manager tests/device/test_piv.py, yubico-piv-tool lib/tests) expect of the key, APDU
 * by APDU. The firmware of the image decides what exists: 5.3 GET METADATA, 5.4 AES management
 * keys, 5.7 MOVE/DELETE KEY, the 5.7 algorithms, an AES-192 default management key and PIN
 * complexity. */
#include "piv_test.h"

#define SELECT_MGMT "00 A4 04 00 08 A0 00 00 05 27 47 11 17"
#define MOVE_KEY    "00 F6"
/* RESET RETRY COUNTER and CHANGE REFERENCE DATA with both values empty (all FF) */
#define UNBLOCK_EMPTY "00 2C 00 80 10 FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF"

static const uint8_t aes192_default[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                                           5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};

static void set_firmware(struct fixture *f, uint8_t maj, uint8_t min, uint8_t pat)
{
        f->img->version[0] = maj, f->img->version[1] = min, f->img->version[2] = pat;
        f->img->firmware = true;
        sync_mirror(f);
}

/* ykman's `piv reset` (yubikit PivSession.reset): block the PIN with empty VERIFYs, the PUK
 * with empty RESET RETRY COUNTERs, then RESET. Every empty try counts: 63Cx down to 6983. */
static void test_ykman_reset_blocks_pin_and_puk(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        expect(f, "00 20 00 80 08 FF FF FF FF FF FF FF FF", "63 C2");
        expect(f, "00 20 00 80 08 FF FF FF FF FF FF FF FF", "63 C1");
        expect(f, "00 20 00 80 08 FF FF FF FF FF FF FF FF", "63 C0");
        expect(f, UNBLOCK_EMPTY, "63 C2");
        expect(f, UNBLOCK_EMPTY, "63 C1");
        expect(f, UNBLOCK_EMPTY, "63 C0");
        expect(f, UNBLOCK_EMPTY, "69 83");
        assert_int_equal(vt_piv_of(f->mem.mirror)->puk.tries_left, 0);
        expect(f, "00 FB 00 00", "90 00");
        expect(f, PIN_STATUS, "63 C3");
        expect(f, VERIFY_PIN, "90 00");
        assert_null(vt_piv_slot(vt_piv_of(f->img), 0x9A)->key);
}

/* CHANGE REFERENCE DATA: the old value is judged before the new one's format. */
static void test_change_reference_judges_the_old_value_first(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        /* wrong old PIN, new PIN too short: the try counts */
        expect(f, "00 24 00 80 10 30 30 30 30 30 30 FF FF 31 32 FF FF FF FF FF FF", "63 C2");
        assert_int_equal(vt_piv_of(f->mem.mirror)->pin.tries_left, 2);
        /* right old PIN, new PIN too short: 6A80, and the tries are whole again */
        expect(f, "00 24 00 80 10 31 32 33 34 35 36 FF FF 31 32 FF FF FF FF FF FF", "6A 80");
        assert_int_equal(vt_piv_of(f->img)->pin.tries_left, 3);
        /* the PUK likewise */
        expect(f, "00 24 00 81 10 FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF", "63 C2");
        expect(f, "00 24 00 81 10 31 32 33 34 35 36 37 38 31 32 FF FF FF FF FF FF", "6A 80");
        assert_int_equal(vt_piv_of(f->img)->puk.tries_left, 3);
}

/* libykpiv logs out by selecting the management application and PIV again: a YubiKey forgets
 * the PIN and the management key then ("PIN tries left: 3" in yubico-piv-tool's status). */
static void test_selecting_another_application_clears_security(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        expect(f, VERIFY_PIN, "90 00");
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        expect(f, PIN_STATUS, "90 00");
        assert_int_equal(xfer(f, SELECT_MGMT), SW_OK);
        assert_int_equal(xfer(f, SELECT_PIV), SW_OK);
        expect(f, PIN_STATUS, "63 C3");
        /* PUT DATA wants the management key again */
        expect(f, "00 DB 3F FF 08 5C 03 5F C1 09 53 01 00", "69 82");
        /* selecting PIV while PIV is selected, or an AID the card lacks, keeps the session */
        expect(f, VERIFY_PIN, "90 00");
        assert_int_equal(xfer(f, SELECT_PIV), SW_OK);
        expect(f, "00 A4 04 00 06 D2 76 00 01 24 01", "6A 82");
        expect(f, PIN_STATUS, "90 00");
}

/* GENERAL AUTHENTICATE with the wrong algorithm for the slot's key: 6A80, which ykman's
 * check_key (certificates import --verify) reads as "not this key". */
static void test_key_of_another_algorithm_is_6a80(void **state)
{
        struct fixture *f = *state;
        uint8_t data[256] = {1};
        struct reader res;
        xfer(f, SELECT_PIV);
        expect(f, VERIFY_PIN, "90 00");
        assert_int_equal(gen_auth(f, 0x07, 0x9C, 0x81, data, 256, &res), SW_WRONG_DATA);
        assert_int_equal(gen_auth(f, 0x11, 0x9A, 0x81, data, 32, &res), SW_WRONG_DATA);
}

/* GET METADATA of an empty slot or of a reference that is none: 6A88 (ykman 5.6's piv info
 * reads every slot); before 5.3 there is no GET METADATA at all. */
static void test_metadata_6a88_and_version_gate(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        expect(f, "00 F7 00 95 00", "6A 88");
        expect(f, "00 F7 00 9B 00", "01 01 03 02 02 00 01 05 01 01 90 00");
        expect(f, "00 F7 00 00 00", "6A 88");
        set_firmware(f, 5, 2, 7);
        expect(f, "00 F7 00 80 00", "6D 00");
}

/* MOVE KEY (F6, P1 to, P2 from) and DELETE KEY (P1 FF) on 5.7: with the management key; the
 * key goes with its metadata, the certificate stays; 6A88 for an empty source. */
static void test_move_and_delete_key(void **state)
{
        struct fixture *f = *state;
        EVP_PKEY *key9a = vt_piv_slot(vt_piv_of(f->img), 0x9A)->key;
        set_firmware(f, 5, 7, 1);
        xfer(f, SELECT_PIV);
        expect(f, MOVE_KEY " 85 9A", "69 82");
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        assert_int_equal(xfer(f, "00 F7 00 9A 00"), SW_OK);
        uint8_t before[600];
        size_t before_len = f->resp_len;
        memcpy(before, f->resp, before_len);
        expect(f, MOVE_KEY " 85 9A", "90 00");
        assert_int_equal(xfer(f, "00 F7 00 85 00"), SW_OK);
        assert_int_equal(f->resp_len, before_len);
        assert_memory_equal(f->resp, before, before_len);
        expect(f, "00 F7 00 9A 00", "6A 88");
        assert_non_null(vt_piv_slot(vt_piv_of(f->img), 0x9A)->cert); /* the certificate stays */
        struct vt_image *disk = reload(f);
        assert_null(vt_piv_slot(vt_piv_of(disk), 0x9A)->key);
        assert_int_equal(EVP_PKEY_eq(vt_piv_slot(vt_piv_of(disk), 0x85)->key, key9a), 1);
        vt_image_free(disk);
        /* the moved key signs from its new slot */
        uint8_t hash[256] = {0, 1};
        struct reader sig;
        expect(f, VERIFY_PIN, "90 00");
        assert_int_equal(gen_auth(f, 0x07, 0x85, 0x81, hash, 256, &sig), SW_OK);
        /* an empty source, the same slot, a reference that is no key slot */
        expect(f, MOVE_KEY " 9A 9A", "6A 86");
        expect(f, MOVE_KEY " 86 9A", "6A 88");
        expect(f, MOVE_KEY " 9B 85", "6A 86");
        /* DELETE KEY */
        expect(f, MOVE_KEY " FF 85", "90 00");
        expect(f, "00 F7 00 85 00", "6A 88");
        expect(f, MOVE_KEY " FF 85", "6A 88");
        disk = reload(f);
        assert_null(vt_piv_slot(vt_piv_of(disk), 0x85)->key);
        vt_image_free(disk);
}

/* A key moved keeps the policies it had, not those of its new slot's defaults: GET METADATA of
 * the moved key equals the source's before the move (9C's default is PIN always, 86's once). */
static void test_moved_key_keeps_its_metadata(void **state)
{
        struct fixture *f = *state;
        uint8_t before[600];
        set_firmware(f, 5, 7, 1);
        xfer(f, SELECT_PIV);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        assert_int_equal(vt_piv_slot(vt_piv_of(f->img), 0x9C)->pin_policy, VT_PIN_DEFAULT);
        for (int round = 0; round < 2; round++) {
                const char *from = round ? "00 F7 00 86 00" : "00 F7 00 9C 00";
                assert_int_equal(xfer(f, from), SW_OK);
                size_t before_len = f->resp_len;
                memcpy(before, f->resp, before_len);
                /* round 0: 9C (PIN always) to 86; round 1: back, then the same again */
                expect(f, round ? MOVE_KEY " 9C 86" : MOVE_KEY " 86 9C", "90 00");
                assert_int_equal(xfer(f, round ? "00 F7 00 9C 00" : "00 F7 00 86 00"), SW_OK);
                assert_int_equal(f->resp_len, before_len);
                assert_memory_equal(f->resp, before, before_len);
        }
        struct vt_image *disk = reload(f);
        assert_int_equal(vt_piv_slot(vt_piv_of(disk), 0x9C)->pin_policy, VT_PIN_ALWAYS);
        vt_image_free(disk);
}

static void test_move_key_needs_5_7(void **state)
{
        struct fixture *f = *state;
        set_firmware(f, 5, 4, 3);
        xfer(f, SELECT_PIV);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        expect(f, MOVE_KEY " 85 9A", "6D 00");
        expect(f, MOVE_KEY " FF 9A", "6D 00");
        assert_non_null(vt_piv_slot(vt_piv_of(f->img), 0x9A)->key);
}

/* 5.4.3: no Ed25519, X25519, RSA-3072 or RSA-4096 keys (GENERATE 6A80, IMPORT 6A86); AES
 * management keys exist; RESET restores a 3DES key. 5.3 has no AES management key. */
static void test_firmware_5_4_algorithms(void **state)
{
        struct fixture *f = *state;
        set_firmware(f, 5, 4, 3);
        xfer(f, SELECT_PIV);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        expect(f, "00 47 00 9A 05 AC 03 80 01 E0", "6A 80");
        expect(f, "00 47 00 9A 05 AC 03 80 01 E1", "6A 80");
        expect(f, "00 47 00 9A 05 AC 03 80 01 05", "6A 80");
        expect(f, "00 47 00 9A 05 AC 03 80 01 16", "6A 80");
        expect(f,
               "00 FE E0 9A 22 07 20 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 12 13 "
               "14 15 16 17 18 19 1A 1B 1C 1D 1E 1F 20",
               "6A 86");
        /* AES-128 as the management key */
        expect(f, "00 FF FF FF 13 08 9B 10 01 02 03 04 05 06 07 08 01 02 03 04 05 06 07 08",
               "90 00");
        set_firmware(f, 5, 3, 0);
        assert_int_equal(mutual_auth(f, VT_ALG_AES128, aes192_default), SW_OK);
        expect(f,
               "00 FF FF FF 1B 0A 9B 18 01 02 03 04 05 06 07 08 01 02 03 04 05 06 07 08 01 02 03 "
               "04 05 06 07 08",
               "6A 80");
}

/* Before 5.7 the default bytes are default as 3DES only: an AES-192 key of the same bytes is
 * not (a YubiKey 5.4.3 says so to ykman 4.0.9's test_management_key_metadata); from 5.7 both. */
static void test_aes192_default_bytes_default_from_5_7_only(void **state)
{
        struct fixture *f = *state;
        static const char set_aes192_default[] =
            "00 FF FF FF 1B 0A 9B 18 01 02 03 04 05 06 07 08 01 02 03 04 05 06 07 08 01 02 03 "
            "04 05 06 07 08";
        set_firmware(f, 5, 4, 3);
        xfer(f, SELECT_PIV);
        expect(f, "00 F7 00 9B 00", "01 01 03 02 02 00 01 05 01 01 90 00");
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        expect(f, set_aes192_default, "90 00");
        expect(f, "00 F7 00 9B 00", "01 01 0A 02 02 00 01 05 01 00 90 00");
        set_firmware(f, 5, 7, 1);
        expect(f, "00 F7 00 9B 00", "01 01 0A 02 02 00 01 05 01 01 90 00");
}

/* Blocks PIN and PUK and resets, as ykman does; the management key is then the firmware's
 * default. */
static void block_and_reset(struct fixture *f)
{
        xfer(f, SELECT_PIV);
        for (int i = 0; i < 3; i++)
                xfer(f, VERIFY_WRONG);
        for (int i = 0; i < 3; i++)
                xfer(f, UNBLOCK_EMPTY);
        expect(f, "00 FB 00 00", "90 00");
}

/* 5.7: RESET makes the default management key AES-192 (ykman's test_management_key_metadata
 * wants metadata alg 0A and "default"); before 5.7, and for images made before vtoken chose a
 * firmware (card.ini version), it stays 3DES. */
static void test_default_management_key_by_firmware(void **state)
{
        struct fixture *f = *state;
        set_firmware(f, 5, 7, 1);
        block_and_reset(f);
        assert_int_equal(vt_piv_of(f->mem.mirror)->mgm_alg, VT_ALG_AES192);
        expect(f, "00 F7 00 9B 00", "01 01 0A 02 02 00 01 05 01 01 90 00");
        expect(f, "00 87 03 9B 04 7C 02 80 00", "6A 86"); /* 3DES is not the key's */
        assert_int_equal(mutual_auth(f, VT_ALG_AES192, aes192_default), SW_OK);
        /* another key is not the default; the default bytes as 3DES are */
        expect(f,
               "00 FF FF FF 1B 0A 9B 18 01 01 03 04 05 06 07 08 01 02 03 04 05 06 07 08 01 02 03 "
               "04 05 06 07 08",
               "90 00");
        expect(f, "00 F7 00 9B 00", "01 01 0A 02 02 00 01 05 01 00 90 00");
        assert_int_equal(mutual_auth(f, VT_ALG_AES192, vt_piv_of(f->img)->mgm_key), SW_OK);
        expect(f,
               "00 FF FF FF 1B 03 9B 18 01 02 03 04 05 06 07 08 01 02 03 04 05 06 07 08 01 02 03 "
               "04 05 06 07 08",
               "90 00");
        expect(f, "00 F7 00 9B 00", "01 01 03 02 02 00 01 05 01 01 90 00");

        set_firmware(f, 5, 4, 3);
        block_and_reset(f);
        assert_int_equal(vt_piv_of(f->mem.mirror)->mgm_alg, VT_ALG_3DES);

        f->img->version[1] = 7;
        f->img->version[2] = 1;
        f->img->firmware = false; /* card.ini version = 5.7.1: an image made before */
        sync_mirror(f);
        block_and_reset(f);
        assert_int_equal(vt_piv_of(f->mem.mirror)->mgm_alg, VT_ALG_3DES);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
}

/* PIN complexity (5.7, when enabled): a trivial new PIN or PUK is refused with 6985 once the
 * old value matched (the .NET SDK's PinComplexityViolation); READ CONFIG says it is on (tag
 * 16), which ykman's device tests read as info.pin_complexity. */
static void test_pin_complexity(void **state)
{
        struct fixture *f = *state;
        set_firmware(f, 5, 7, 1);
        f->img->pin_complexity = true;
        xfer(f, SELECT_PIV);
        /* ykman's TestPinComplexity values */
        static const char *const refused[] = {"31 31 31 31 31 31 FF FF", "32 32 32 32 32 32 32 32",
                                              "33 33 33 33 33 33 FF FF", "34 34 34 34 34 34 34 FF",
                                              "61 62 63 31 32 33 FF FF", "70 61 73 73 77 6F 72 64",
                                              "31 32 33 31 32 33 FF FF"};
        char cmd[128];
        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
                snprintf(cmd, sizeof(cmd), "00 24 00 80 10 31 32 33 34 35 36 FF FF %s", refused[i]);
                expect(f, cmd, "69 85");
                assert_int_equal(vt_piv_of(f->img)->pin.tries_left, 3);
        }
        /* a wrong old PIN is still a wrong PIN */
        expect(f, "00 24 00 80 10 30 30 30 30 30 30 FF FF 31 31 31 31 31 31 FF FF", "63 C2");
        /* the value ykman's fixture chooses is fine */
        expect(f, "00 24 00 80 10 31 32 33 34 35 36 FF FF 31 32 33 34 35 38 FF FF", "90 00");
        expect(f, "00 24 00 81 10 31 32 33 34 35 36 37 38 31 32 33 34 35 36 37 38", "69 85");
        expect(f, "00 24 00 81 10 31 32 33 34 35 36 37 38 31 32 33 34 35 36 37 30", "90 00");
        expect(f, "00 2C 00 80 10 31 32 33 34 35 36 37 30 31 31 31 31 31 31 FF FF", "69 85");
        /* READ CONFIG carries tag 16 = 01 */
        assert_int_equal(xfer(f, SELECT_MGMT), SW_OK);
        assert_int_equal(xfer(f, "00 1D 00 00 00"), SW_OK);
        struct reader r = rd_init(f->resp + 1, f->resp_len - 1), v;
        assert_int_equal(rd_find(r, 0x16, &v), 0);
        assert_int_equal(v.left, 1);
        assert_int_equal(v.p[0], 1);
}

/* Without PIN complexity (the default), trivial PINs are a YubiKey's own business. */
static void test_no_pin_complexity_by_default(void **state)
{
        struct fixture *f = *state;
        set_firmware(f, 5, 7, 1);
        xfer(f, SELECT_PIV);
        expect(f, "00 24 00 80 10 31 32 33 34 35 36 FF FF 31 31 31 31 31 31 FF FF", "90 00");
        assert_int_equal(xfer(f, SELECT_MGMT), SW_OK);
        assert_int_equal(xfer(f, "00 1D 00 00 00"), SW_OK);
        struct reader r = rd_init(f->resp + 1, f->resp_len - 1), v;
        assert_int_not_equal(rd_find(r, 0x16, &v), 0);
}

/* PUT DATA to a certificate object keeps whatever is written (yubico-piv-tool's api test writes
 * text as a certificate; ykman's tests plant compressed ones, CertInfo 01) and GET DATA returns
 * it as written; a plain certificate goes back into its slot and replaces it. */
static void test_certificate_objects_hold_anything(void **state)
{
        struct fixture *f = *state;
        uint8_t cmd[2048];
        xfer(f, SELECT_PIV);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        /* 5C 03 5FC105, 53 { 70 "0123456789", 71 00, FE 00 }: not a certificate */
        const char *junk =
            "5C 03 5F C1 05 53 11 70 0A 30 31 32 33 34 35 36 37 38 39 71 01 00 FE 00";
        size_t n = hex_decode(junk, cmd, sizeof(cmd));
        assert_int_equal(xfer_chained(f, 0xDB, 0x3F, 0xFF, cmd, n), SW_OK);
        assert_null(vt_piv_slot(vt_piv_of(f->img), 0x9A)->cert);
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 05 00",
               "53 11 70 0A 30 31 32 33 34 35 36 37 38 39 71 01 00 FE 00 90 00");
        struct vt_image *disk = reload(f);
        assert_null(vt_piv_slot(vt_piv_of(disk), 0x9A)->cert);
        assert_non_null(vt_piv_object(vt_piv_of(disk), 0x5FC105));
        vt_image_free(disk);
        /* compressed (CertInfo 01): kept as written */
        const char *gz = "5C 03 5F C1 0A 53 0B 70 04 1F 8B 08 00 71 01 01 FE 00";
        n = hex_decode(gz, cmd, sizeof(cmd));
        assert_int_equal(xfer_chained(f, 0xDB, 0x3F, 0xFF, cmd, n), SW_OK);
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 0A 00",
               "53 0B 70 04 1F 8B 08 00 71 01 01 FE 00 90 00");
        assert_null(vt_piv_slot(vt_piv_of(f->img), 0x9C)->cert);
        /* a plain certificate into 9A again: back in the slot, the object gone */
        const struct vt_slot *s9d = vt_piv_slot(vt_piv_of(f->img), 0x9D);
        n = cert_put_data(0x5FC105, s9d->cert, s9d->cert_len, cmd, sizeof(cmd));
        assert_int_equal(xfer_chained(f, 0xDB, 0x3F, 0xFF, cmd, n), SW_OK);
        assert_null(vt_piv_object(vt_piv_of(f->img), 0x5FC105));
        assert_int_equal(vt_piv_slot(vt_piv_of(f->img), 0x9A)->cert_len, s9d->cert_len);
        assert_int_equal(xfer(f, "00 CB 3F FF 05 5C 03 5F C1 05 00"), SW_OK);
        assert_int_equal(f->resp_len, n - 5);
        assert_memory_equal(f->resp, cmd + 5, n - 5);
        /* an empty value deletes either form */
        expect(f, "00 DB 3F FF 07 5C 03 5F C1 05 53 00", "90 00");
        expect(f, "00 DB 3F FF 07 5C 03 5F C1 0A 53 00", "90 00");
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 05 00", "6A 82");
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 0A 00", "6A 82");
        disk = reload(f);
        assert_null(vt_piv_object(vt_piv_of(disk), 0x5FC10A));
        assert_null(vt_piv_slot(vt_piv_of(disk), 0x9A)->cert);
        vt_image_free(disk);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            T(test_ykman_reset_blocks_pin_and_puk),
            T(test_change_reference_judges_the_old_value_first),
            T(test_selecting_another_application_clears_security),
            T(test_key_of_another_algorithm_is_6a80),
            T(test_metadata_6a88_and_version_gate),
            T(test_move_and_delete_key),
            T(test_moved_key_keeps_its_metadata),
            T(test_aes192_default_bytes_default_from_5_7_only),
            T(test_move_key_needs_5_7),
            T(test_firmware_5_4_algorithms),
            T(test_default_management_key_by_firmware),
            T(test_pin_complexity),
            T(test_no_pin_complexity_by_default),
            T(test_certificate_objects_hold_anything),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
