/* SPDX-License-Identifier: Apache-2.0 */
/* The PIV applet as clients see it: identity, data objects, PIN and PUK. Each test is an APDU
 * exchange as the specification (SP 800-73-4, and ../shared/reference/piv.md) writes it, and
 * the card state after. */
#include "piv_test.h"

#include "sw.h"

static void test_select_answers_application_property_template(void **state)
{
        struct fixture *f = *state;
        const char *apt = "61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08 90 00";
        expect(f, SELECT_PIV, apt);
        expect(f, "00 A4 04 00 05 A0 00 00 03 08", apt);
        expect(f, "00 A4 04 00 0B A0 00 00 03 08 00 00 10 00 01 00", apt);
        assert_string_equal(vt_card_selected(&f->card), "piv");
}

static void test_unknown_aid_keeps_piv_selected(void **state)
{
        struct fixture *f = *state;
        expect_sw(f, SELECT_PIV, SW_OK);
        expect(f, "00 A4 04 00 07 62 76 01 FF 00 00 00", "6A 82"); /* coolkey */
        expect(f, "00 A4 04 00 06 A0 00 00 00 01 01", "6A 82");    /* muscle */
        expect(f, "00 A4 04 0C 0F D2 33 00 00 00 45 73 74 45 49 44 20 76 33 35", "6A 82");
        expect(f, "00 CA DF 30 05", "6D 00"); /* unknown INS */
        expect(f, "00 CB 3F FF 03 5C 01 7E 00",
               "7E 12 4F 0B A0 00 00 03 08 00 00 10 00 01 00 5F 2F 02 40 00 90 00");
}

static void test_discovery_object(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        /* OpenSC 0.23 reads in two steps: Le=08 for the length, then the whole */
        expect(f, "00 CB 3F FF 03 5C 01 7E 08",
               "7E 12 4F 0B A0 00 00 03 08 00 00 10 00 01 00 5F 2F 02 40 00 90 00");
        assert_int_equal(f->apdus, 2); /* 61 0C, then GET RESPONSE */
}

static void test_chuid_carries_test_fascn_and_guid(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 02 00",
               "53 3B"
               " 30 19 D4 E7 39 DA 73 9C ED 39 CE 73 9D 83 68 58 21 08 42 10 84 21 C8 42 10 C3 EB"
               " 34 10 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10"
               " 35 08 32 30 39 39 31 32 33 31 3E 00 FE 00 90 00");
}

static void test_ccc_and_key_history(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        assert_int_equal(xfer(f, "00 CB 3F FF 05 5C 03 5F C1 07 00"), SW_OK);
        assert_int_equal(f->resp[0], 0x53);
        assert_int_equal(f->resp[2], 0xF0); /* card identifier first */
        assert_int_equal(f->resp[3], 0x15);
        /* no retired slot holds a certificate yet: C1 (on card) 0, C2 (off card) 0 */
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 0C 00", "53 08 C1 01 00 C2 01 00 FE 00 90 00");

        struct vt_slot *s = vt_piv_slot(vt_piv_of(f->img), 0x85);
        s->cert = malloc(3);
        memcpy(s->cert, "\x30\x01\x00", 3);
        s->cert_len = 3;
        /* keysWithOnCardCerts counts up to the last retired certificate: 82..85 */
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 0C 00", "53 08 C1 01 04 C2 01 00 FE 00 90 00");
        /* retired 85 is the fourth retired certificate, 5FC110 */
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 10 00", "53 0A 70 03 30 01 00 71 01 00 FE 00 90 00");
}

static void test_certificate_is_the_provisioned_der(void **state)
{
        struct fixture *f = *state;
        const struct vt_slot *s = vt_piv_slot(vt_piv_of(f->img), 0x9A);
        xfer(f, SELECT_PIV);
        assert_int_equal(xfer(f, "00 CB 3F FF 05 5C 03 5F C1 05 00"), SW_OK);
        assert_true(f->apdus > 1); /* a certificate needs GET RESPONSE */
        /* 53 82 LLLL 70 82 LLLL <DER> 71 01 00 FE 00 */
        assert_int_equal(f->resp_len, 4 + 4 + s->cert_len + 3 + 2);
        assert_memory_equal(f->resp + 8, s->cert, s->cert_len);
        assert_memory_equal(f->resp + 8 + s->cert_len, "\x71\x01\x00\xFE\x00", 5);
        assert_int_equal(f->resp[0], 0x53);
        assert_int_equal(f->resp[4], 0x70);

        /* 9C, 9D present; 9E has a key but no certificate; retired 82 neither */
        expect_sw(f, "00 CB 3F FF 05 5C 03 5F C1 0A 00", SW_OK);
        expect_sw(f, "00 CB 3F FF 05 5C 03 5F C1 0B 00", SW_OK);
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 01 08", "6A 82");
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 0D 08", "6A 82");
        expect(f, "00 CB 3F FF 05 5C 03 5F FF 01 08", "6A 82"); /* no attestation cert */
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 06 08", "6A 82"); /* security object */
}

static void test_extended_apdus(void **state)
{
        struct fixture *f = *state;
        const struct vt_slot *s = vt_piv_slot(vt_piv_of(f->img), 0x9A);
        xfer(f, SELECT_PIV);
        /* extended Lc and Le (ykman may send these): the certificate comes whole, no 61xx */
        assert_int_equal(xfer(f, "00 CB 3F FF 00 00 05 5C 03 5F C1 05 00 00"), SW_OK);
        assert_int_equal(f->apdus, 1);
        assert_int_equal(f->resp_len, 4 + 4 + s->cert_len + 5);
        expect(f, "00 20 00 80 00 00 08 31 32 33 34 35 36 FF FF", "90 00");
}

static void test_get_data_rejects_malformed_requests(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        expect(f, "00 CB 3F FE 03 5C 01 7E 00", "6A 86");
        expect(f, "00 CB 3F FF 03 5D 01 7E 00", "6A 80");
        expect(f, "00 CB 3F FF 03 5C 02 7E 00", "6A 80");
        expect(f, "00 CB 3F FF 06 5C 04 5F C1 02 01 00", "6A 80");
        expect(f, "00 CB 3F FF 00", "6A 80");
}

static void test_pin_protected_objects_need_the_pin(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        /* OpenSC probes these after 63Cx to learn whether it is logged in */
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 09 08", "69 82");
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 03 08", "69 82");
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 21 08", "69 82");
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 08 08", "69 82");
        assert_int_equal(
            vt_piv_set_object(vt_piv_of(f->img), 0x5FC109, (const uint8_t *)"\x53\x02\x01\x00", 4),
            0);
        expect(f, VERIFY_PIN, "90 00");
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 09 00", "53 02 01 00 90 00");
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 03 08", "6A 82");
}

static void test_verify_counts_down_and_restores(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        expect(f, PIN_STATUS, "63 C3");
        expect(f, "00 20 00 80 00", "63 C3"); /* ykpiv sends the query with Le */
        expect(f, VERIFY_WRONG, "63 C2");
        expect(f, PIN_STATUS, "63 C2");
        assert_false(vt_piv_pin_verified(f->piv));

        struct vt_image *disk = reload(f);
        assert_int_equal(vt_piv_of(disk)->pin.tries_left, 2); /* durable before the answer */
        vt_image_free(disk);

        expect(f, VERIFY_PIN, "90 00");
        expect(f, PIN_STATUS, "90 00");
        assert_true(vt_piv_pin_verified(f->piv));
        assert_int_equal(vt_piv_of(f->img)->pin.tries_left, 3);
        disk = reload(f);
        assert_int_equal(vt_piv_of(disk)->pin.tries_left, 3);
        vt_image_free(disk);
}

static void test_wrong_pin_clears_verification(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        expect(f, VERIFY_PIN, "90 00");
        expect(f, VERIFY_WRONG, "63 C2");
        expect(f, PIN_STATUS, "63 C2");
}

static void test_pin_blocks_and_stays_blocked(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        expect(f, VERIFY_WRONG, "63 C2");
        expect(f, VERIFY_WRONG, "63 C1");
        expect(f, VERIFY_WRONG, "63 C0");
        expect(f, VERIFY_WRONG, "69 83");
        expect(f, VERIFY_PIN, "69 83");
        expect(f, PIN_STATUS, "69 83");
        vt_card_reset(&f->card);
        xfer(f, SELECT_PIV);
        expect(f, VERIFY_PIN, "69 83");
        assert_int_equal(vt_piv_of(f->img)->pin.tries_left, 0);
}

static void test_fifteen_tries(void **state)
{
        struct fixture *f = *state;
        char want[8];
        vt_piv_of(f->img)->pin.max_tries = vt_piv_of(f->img)->pin.tries_left = 15;
        xfer(f, SELECT_PIV);
        expect(f, PIN_STATUS, "63 CF");
        for (int left = 14; left >= 0; left--) {
                snprintf(want, sizeof(want), "63 C%X", left);
                expect(f, VERIFY_WRONG, want);
        }
        expect(f, VERIFY_PIN, "69 83");
}

static void test_failed_commit_answers_6581_and_does_not_compare(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        f->mem.fail_next = 1;
        expect(f, VERIFY_PIN, "65 81");
        assert_false(vt_piv_pin_verified(f->piv));
        assert_int_equal(vt_piv_of(f->img)->pin.tries_left, 3);
        f->mem.fail_next = 1;
        expect(f, VERIFY_WRONG, "65 81");
        assert_int_equal(vt_piv_of(f->img)->pin.tries_left, 3);
        assert_int_equal(f->mem.failures, 2);
        assert_int_equal(vt_piv_of(f->mem.mirror)->pin.tries_left, 3);
        expect(f, VERIFY_WRONG, "63 C2");
        struct vt_image *disk = reload(f);
        assert_int_equal(vt_piv_of(disk)->pin.tries_left, 2);
        vt_image_free(disk);
}

static void test_logout_and_reset_clear_verification(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        expect(f, VERIFY_PIN, "90 00");
        expect(f, "00 20 FF 80", "90 00");
        expect(f, PIN_STATUS, "63 C3");

        expect(f, VERIFY_PIN, "90 00");
        expect(f, SELECT_PIV, "61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08 90 00");
        expect(f, PIN_STATUS, "90 00"); /* re-SELECT keeps it */
        vt_card_power_off(&f->card);
        vt_card_power_on(&f->card);
        xfer(f, SELECT_PIV);
        expect(f, PIN_STATUS, "63 C3");
        assert_false(vt_piv_pin_verified(f->piv));
}

static void test_verify_rejects_bad_references_and_lengths(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        expect(f, "00 20 00 81 08 31 32 33 34 35 36 37 38", "6A 88"); /* PUK cannot VERIFY */
        expect(f, "00 20 00 00 08 31 32 33 34 35 36 FF FF", "6A 86"); /* no global PIN */
        expect(f, "00 20 00 80 06 31 32 33 34 35 36", "6A 80");
        expect(f, "00 20 01 80 08 31 32 33 34 35 36 FF FF", "6A 86");
        assert_int_equal(vt_piv_of(f->img)->pin.tries_left, 3);
}

static void test_global_pin_when_enabled(void **state)
{
        struct fixture *f = *state;
        vt_piv_of(f->img)->global_pin = true;
        xfer(f, SELECT_PIV);
        expect(f, "00 20 00 00", "63 C3");
        expect(f, "00 20 00 00 08 31 32 33 34 35 36 FF FF", "90 00");
        assert_true(vt_piv_pin_verified(f->piv));
}

static void test_change_pin(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        expect(f, "00 24 00 80 10 31 32 33 34 35 36 FF FF 36 35 34 33 32 31 FF FF", "90 00");
        expect(f, VERIFY_PIN, "63 C2");
        expect(f, "00 20 00 80 08 36 35 34 33 32 31 FF FF", "90 00");
        /* wrong old PIN costs a try */
        expect(f, "00 24 00 80 10 30 30 30 30 30 30 FF FF 31 32 33 34 35 36 FF FF", "63 C2");
        /* the change is on disk */
        struct vt_image *disk = reload(f);
        uint8_t padded[8];
        vt_pin_pad("654321", padded);
        assert_true(vt_secret_matches(&vt_piv_of(disk)->pin, padded));
        vt_image_free(disk);
}

static void test_new_pin_violating_rules_changes_nothing(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        /* too short, too long for the field, FF inside the value */
        expect(f, "00 24 00 80 10 31 32 33 34 35 36 FF FF 31 32 33 FF FF FF FF FF", "6A 80");
        expect(f, "00 24 00 80 10 31 32 33 34 35 36 FF FF 31 32 FF 34 35 36 FF FF", "6A 80");
        vt_piv_of(f->img)->pin_rules.charset = VT_PIN_CHARS_DIGITS;
        expect(f, "00 24 00 80 10 31 32 33 34 35 36 FF FF 61 62 63 34 35 36 FF FF", "6A 80");
        vt_piv_of(f->img)->pin_rules = (struct vt_pin_rules){8, 8, VT_PIN_CHARS_STRONG};
        /* "abcd1234": no upper case, no symbol */
        expect(f, "00 24 00 80 10 31 32 33 34 35 36 FF FF 61 62 63 64 31 32 33 34", "6A 80");
        /* "Abcd123!" is strong */
        expect(f, "00 24 00 80 10 31 32 33 34 35 36 FF FF 41 62 63 64 31 32 33 21", "90 00");
        assert_int_equal(vt_piv_of(f->img)->pin.tries_left, 3);
        expect(f, "00 20 00 80 08 41 62 63 64 31 32 33 21", "90 00");
}

static void test_change_puk(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        expect(f, "00 24 00 81 10 31 32 33 34 35 36 37 38 38 37 36 35 34 33 32 31", "90 00");
        expect(f, "00 24 00 81 10 31 32 33 34 35 36 37 38 38 37 36 35 34 33 32 31", "63 C2");
        expect(f, "00 24 00 81 10 38 37 36 35 34 33 32 31 31 32 33 34 35 36 37 38", "90 00");
        assert_int_equal(vt_piv_of(f->img)->puk.tries_left, 3);
}

static void test_unblock_pin_with_puk(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        for (int i = 0; i < 3; i++)
                xfer(f, VERIFY_WRONG);
        expect(f, PIN_STATUS, "69 83");
        /* a wrong PUK costs a PUK try and leaves the PIN blocked */
        expect(f, "00 2C 00 80 10 30 30 30 30 30 30 30 30 31 31 31 31 31 31 FF FF", "63 C2");
        assert_int_equal(vt_piv_of(f->img)->puk.tries_left, 2);
        expect(f, PIN_STATUS, "69 83");
        /* the PUK is judged first, as a YubiKey does: a wrong one with a new PIN against the
         * rules still costs a try (ykman blocks the PUK with an empty PUK and empty PIN) */
        expect(f, "00 2C 00 80 10 FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF", "63 C1");
        assert_int_equal(vt_piv_of(f->img)->puk.tries_left, 1);
        /* the right PUK with a new PIN against the rules: 6A80, the PIN stays blocked and the
         * PUK keeps its full tries */
        expect(f, "00 2C 00 80 10 31 32 33 34 35 36 37 38 31 31 FF FF FF FF FF FF", "6A 80");
        assert_int_equal(vt_piv_of(f->img)->puk.tries_left, 3);
        expect(f, PIN_STATUS, "69 83");
        expect(f, "00 2C 00 80 10 31 32 33 34 35 36 37 38 31 31 31 31 31 31 FF FF", "90 00");
        assert_int_equal(vt_piv_of(f->img)->puk.tries_left, 3);
        expect(f, PIN_STATUS, "63 C3");
        expect(f, "00 20 00 80 08 31 31 31 31 31 31 FF FF", "90 00");
}

static void test_blocked_puk(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        for (int i = 0; i < 3; i++)
                xfer(f, "00 24 00 81 10 30 30 30 30 30 30 30 30 30 30 30 30 30 30 30 30");
        expect(f, "00 24 00 81 10 31 32 33 34 35 36 37 38 38 37 36 35 34 33 32 31", "69 83");
        expect(f, "00 2C 00 80 10 31 32 33 34 35 36 37 38 31 31 31 31 31 31 FF FF", "69 83");
}

static void test_yubikey_version_serial_and_management_aid(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        expect(f, "00 FD 00 00 00", "05 07 01 90 00");
        expect(f, "00 F8 00 00 00", "00 12 D6 87 90 00");
        /* ykman reads the version from the management AID's SELECT answer */
        expect(f, "00 A4 04 00 08 A0 00 00 05 27 47 11 17", "35 2E 37 2E 31 90 00");
        assert_string_equal(vt_card_selected(&f->card), "yubikey-mgmt");
        /* ykman then reads the device information: length, USB supported (PIV), serial, USB
         * enabled (PIV), form factor, firmware version, configuration unlocked */
        expect(f, "00 1D 00 00 00",
               "19 01 02 00 10 02 04 00 12 D6 87 03 02 00 10 04 01 01 05 03 05 07 01 0A 01 00 "
               "90 00");
        expect(f, "00 CB 3F FF 03 5C 01 7E 00", "6D 00");
        expect(f, SELECT_PIV, "61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08 90 00");
}

static void test_no_applet_selected(void **state)
{
        struct fixture *f = *state;
        expect(f, "00 CB 3F FF 03 5C 01 7E 00", "6D 00");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            T(test_select_answers_application_property_template),
            T(test_unknown_aid_keeps_piv_selected),
            T(test_discovery_object),
            T(test_chuid_carries_test_fascn_and_guid),
            T(test_ccc_and_key_history),
            T(test_certificate_is_the_provisioned_der),
            T(test_extended_apdus),
            T(test_get_data_rejects_malformed_requests),
            T(test_pin_protected_objects_need_the_pin),
            T(test_verify_counts_down_and_restores),
            T(test_wrong_pin_clears_verification),
            T(test_pin_blocks_and_stays_blocked),
            T(test_fifteen_tries),
            T(test_failed_commit_answers_6581_and_does_not_compare),
            T(test_logout_and_reset_clear_verification),
            T(test_verify_rejects_bad_references_and_lengths),
            T(test_global_pin_when_enabled),
            T(test_change_pin),
            T(test_new_pin_violating_rules_changes_nothing),
            T(test_change_puk),
            T(test_unblock_pin_with_puk),
            T(test_blocked_puk),
            T(test_yubikey_version_serial_and_management_aid),
            T(test_no_applet_selected),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
