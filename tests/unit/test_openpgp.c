/* SPDX-License-Identifier: Apache-2.0 */
/* The OpenPGP applet as GnuPG and OpenSC see it: identity, data objects, passwords, the
 * factory reset, commit-then-apply, and what the applet tells the daemon (secrets, touch).
 * Each test is APDUs in, APDUs out, and the state after, on a card that also carries PIV. */
#include "pgp_test.h"

#define AID "D2 76 00 01 24 01 03 04 FF FE 00 C0 FF EE 00 00"

static void test_select_answers_fci_with_the_aid(void **state)
{
        struct fixture *f = *state;
        expect(f, SELECT_PGP, "6F 12 84 10" AID "90 00");
        expect(f, "00 CA 00 4F 00", AID "90 00");
        /* scdaemon's probes before it selects by AID get plain errors */
        assert_int_equal(xfer(f, "00 A4 00 0C 02 3F 00") & 0xFF00, 0x6A00);
        /* SELECT with P2 0C: no FCI */
        expect(f, "00 A4 04 0C 06 D2 76 00 01 24 01", "90 00");
}

static void test_historical_bytes_announce_chaining_and_extended_lengths(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PGP);
        expect(f, "00 CA 5F 52 00", "00 31 C5 73 C0 01 C0 05 90 00 90 00");
        /* read alone, the value (scdaemon looks for 81 01 20: a button for UIF) */
        expect(f, "00 CA 7F 66 00", "02 02 10 00 02 02 10 00 90 00");
        expect(f, "00 CA 7F 74 00", "81 01 20 90 00");
}

static void test_application_related_data(void **state)
{
        struct fixture *f = *state;
        struct reader r, ard, disc, v;
        uint32_t tag;
        xfer(f, SELECT_PGP);
        assert_int_equal(xfer(f, "00 CA 00 6E 00"), SW_OK);
        r = rd_init(f->resp, f->resp_len);
        assert_int_equal(rd_tlv(&r, &tag, &ard), 0);
        assert_int_equal(tag, 0x6E);
        assert_int_equal(rd_find(ard, 0x4F, &v), 0);
        assert_int_equal(v.left, 16);
        assert_int_equal(rd_find(ard, 0x73, &disc), 0);
        assert_int_equal(rd_find(disc, 0xC0, &v), 0);
        assert_int_equal(v.left, 10);
        assert_true(v.p[0] & 0x04); /* attributes changeable */
        assert_true(v.p[0] & 0x20); /* key import */
        assert_int_equal(rd_find(disc, 0xC1, &v), 0);
        assert_memory_equal(v.p, "\x01\x08\x00\x00\x20\x00", 6);
        assert_int_equal(rd_find(disc, 0xC4, &v), 0);
        assert_memory_equal(v.p, "\x01\x7F\x7F\x7F\x03\x00\x03", 7);
        assert_int_equal(rd_find(disc, 0xC5, &v), 0);
        assert_int_equal(v.left, 60);
        assert_int_equal(rd_find(disc, 0xCD, &v), 0);
        assert_int_equal(v.left, 12);
        assert_int_equal(rd_find(disc, 0xDE, &v), 0);
        assert_memory_equal(v.p, "\x01\x00\x02\x00\x03\x00", 6);
        assert_int_equal(rd_find(disc, 0xD6, &v), 0);
        /* and each by itself, as scdaemon falls back to */
        expect(f, "00 CA 00 C4 00", "01 7F 7F 7F 03 00 03 90 00");
        expect(f, "00 CA 00 C2 00", "01 08 00 00 20 00 90 00");
        expect(f, "00 CA 00 7A 00", "7A 05 93 03 00 00 00 90 00");
        expect(f, "00 CA 00 65 00", "65 08 5B 00 5F 2D 00 5F 35 00 90 00");
        expect(f, "00 CA 00 F9 00", "6A 88");
        assert_int_equal(xfer(f, "00 CA 00 FA 00"), SW_OK);
        assert_int_equal(f->resp[0], 0xFA);
}

/* The card again, over a store that refuses its n-th commit from now on. */
static void fail_commit_number(struct fixture *f, unsigned n)
{
        static struct nth_store nth; /* outlive the card of the test that uses them */
        static struct vt_store store;
        char err[128];
        store = nth_store_over(&nth, f->store, n);
        vt_card_release(&f->card);
        assert_int_equal(vt_card_setup(&f->card, f->img, &store, err, sizeof(err)), 0);
        vt_card_power_on(&f->card);
        xfer(f, SELECT_PGP);
}

/* A right password costs a try too, spent durably before the compare and given back after it:
 * when the give-back (the second commit) fails, the first already holds one try less and the
 * password is not taken. A card that compared first and spent a try only on a mismatch would
 * commit just once and answer 90 00 here. */
static void test_verify_pw1_commits_a_spent_try_before_comparing(void **state)
{
        struct fixture *f = *state;
        fail_commit_number(f, 2);
        expect(f, VERIFY_PW1, "65 81");
        assert_int_equal(stored(f)->pw1.s.tries_left, 2);
        assert_int_equal(live(f)->pw1.s.tries_left, 2);
        expect(f, "00 20 00 82", "63 C2"); /* not verified */
        expect(f, VERIFY_PW1, "90 00");    /* the third commit: given back */
        assert_int_equal(stored(f)->pw1.s.tries_left, 3);
        assert_same_pgp(live(f), stored(f));
}

static void test_verify_pw3_commits_a_spent_try_before_comparing(void **state)
{
        struct fixture *f = *state;
        fail_commit_number(f, 2);
        expect(f, VERIFY_PW3, "65 81");
        assert_int_equal(stored(f)->pw3.s.tries_left, 2);
        expect(f, "00 20 00 83", "63 C2");
        assert_same_pgp(live(f), stored(f));
}

/* CHANGE REFERENCE DATA: the old value's try is spent (commit 1) and given back (commit 2)
 * before the new value is set (commit 3); the give-back failing leaves the old PIN, one try
 * less. */
static void test_change_reference_commits_a_spent_try_before_comparing(void **state)
{
        struct fixture *f = *state;
        fail_commit_number(f, 2);
        expect(f, "00 24 00 81 0C 31 32 33 34 35 36 61 62 63 44 45 46", "65 81");
        assert_int_equal(stored(f)->pw1.s.tries_left, 2);
        assert_same_pgp(live(f), stored(f));
        expect(f, VERIFY_PW1, "90 00"); /* the old PIN stays */
        fail_commit_number(f, 2);
        expect(f, "00 24 00 83 10 31 32 33 34 35 36 37 38 61 62 63 44 45 46 47 48", "65 81");
        assert_int_equal(stored(f)->pw3.s.tries_left, 2);
        expect(f, VERIFY_PW3, "90 00");
        assert_same_pgp(live(f), stored(f));
}

static void test_verify_counts_tries_and_a_refused_commit_spends_none(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PGP);
        expect(f, "00 20 00 82", "63 C3"); /* status: not verified, 3 tries */
        expect(f, WRONG_PW1, "63 C2");
        assert_int_equal(stored(f)->pw1.s.tries_left, 2);
        expect(f, "00 CA 00 C4 00", "01 7F 7F 7F 02 00 03 90 00");
        /* a commit refused: 65 81, no try spent, not verified (that the try is spent before the
         * compare is shown by the *_commits_a_spent_try_before_comparing tests) */
        f->mem.fail_next = 1;
        expect(f, VERIFY_PW1, "65 81");
        assert_int_equal(live(f)->pw1.s.tries_left, 2);
        expect(f, "00 20 00 82", "63 C2");
        expect(f, VERIFY_PW1, "90 00");
        expect(f, "00 20 00 82", "90 00");
        assert_int_equal(stored(f)->pw1.s.tries_left, 3);
        /* 81 is another access right */
        expect(f, "00 20 00 81", "63 C3");
        /* P1 FF takes it back */
        expect(f, "00 20 FF 82", "90 00");
        expect(f, "00 20 00 82", "63 C3");
        assert_same_pgp(live(f), stored(f));
}

static void test_three_wrong_block_and_unblock_with_pw3(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PGP);
        expect(f, WRONG_PW1, "63 C2");
        expect(f, WRONG_PW1, "63 C1");
        expect(f, WRONG_PW1, "63 C0");
        expect(f, VERIFY_PW1, "69 83");
        expect(f, "00 20 00 82", "69 83");
        /* RESET RETRY COUNTER after PW3: new PW1 alone */
        expect(f, "00 2C 02 81 06 31 31 31 31 31 31", "69 82");
        expect(f, VERIFY_PW3, "90 00");
        expect(f, "00 2C 02 81 03 31 31 31", "6A 80"); /* too short */
        expect(f, "00 2C 02 81 06 31 31 31 31 31 31", "90 00");
        expect(f, "00 20 00 82 06 31 31 31 31 31 31", "90 00");
        assert_same_pgp(live(f), stored(f));
}

static void test_change_pw1_and_pw3(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PGP);
        expect(f, "00 24 00 81 0C 31 32 33 34 35 36 61 62 63 44 45 46", "90 00");
        expect(f, VERIFY_PW1, "63 C2");
        expect(f, "00 20 00 82 06 61 62 63 44 45 46", "90 00");
        /* a wrong old value spends a try and changes nothing */
        expect(f, "00 24 00 81 0C 31 32 33 34 35 36 31 32 33 34 35 36", "63 C2");
        /* a new value too short is refused before any try is spent */
        expect(f, "00 24 00 81 08 61 62 63 44 45 46 31 32", "6A 80");
        expect(f, "00 20 00 81", "63 C2");
        /* a strong password of any UTF-8 characters */
        expect(
            f,
            "00 24 00 83 16 31 32 33 34 35 36 37 38 C3 A9 74 C3 A9 2D 50 61 73 73 2E 32 30 32 36",
            "90 00");
        expect(f, VERIFY_PW3, "63 C2");
        expect(f, "00 20 00 83 0E C3 A9 74 C3 A9 2D 50 61 73 73 2E 32 30 32 36", "90 00");
        assert_same_pgp(live(f), stored(f));
}

static void test_resetting_code(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PGP);
        expect(f, "00 2C 00 81 0E 31 32 33 34 35 36 37 38 39 39 39 39 39 39", "69 82"); /* no RC */
        expect(f, "00 DA 00 D3 08 31 32 33 34 35 36 37 38", "69 82"); /* needs PW3 */
        expect(f, VERIFY_PW3, "90 00");
        expect(f, "00 DA 00 D3 04 31 32 33 34", "6A 80");
        expect(f, "00 DA 00 D3 08 31 32 33 34 35 36 37 38", "90 00");
        expect(f, "00 CA 00 C4 00", "01 7F 7F 7F 03 03 03 90 00");
        xfer(f, SELECT_PIV); /* leaving the application clears PW3 */
        xfer(f, SELECT_PGP);
        expect(f, WRONG_PW1, "63 C2");
        expect(f, "00 2C 00 81 0E 30 30 30 30 30 30 30 30 39 39 39 39 39 39", "63 C2");
        expect(f, "00 2C 00 81 0E 31 32 33 34 35 36 37 38 39 39 39 39 39 39", "90 00");
        expect(f, "00 CA 00 C4 00", "01 7F 7F 7F 03 03 03 90 00");
        expect(f, "00 20 00 82 06 39 39 39 39 39 39", "90 00");
        assert_same_pgp(live(f), stored(f));
}

static void test_cardholder_data_needs_pw3(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PGP);
        expect(f, "00 DA 00 5B 0B 44 6F 65 3C 3C 4A 6F 68 6E 20 41", "69 82");
        expect(f, VERIFY_PW3, "90 00");
        expect(f, "00 DA 00 5B 0B 44 6F 65 3C 3C 4A 6F 68 6E 20 41", "90 00");
        expect(f, "00 DA 5F 2D 02 65 6E", "90 00");
        expect(f, "00 DA 5F 35 01 31", "90 00");
        expect(f, "00 DA 5F 50 05 68 74 74 70 73", "90 00");
        expect(f, "00 CA 00 65 00",
               "65 16 5B 0B 44 6F 65 3C 3C 4A 6F 68 6E 20 41 5F 2D 02 65 6E 5F 35 01 31 90 00");
        expect(f, "00 CA 5F 50 00", "68 74 74 70 73 90 00");
        expect(f, "00 DA 5F 35 02 31 32", "67 00"); /* longer than the DO */
        /* fingerprints, CA fingerprints, dates */
        expect(f, "00 DA 00 C7 14 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 12 13 14",
               "90 00");
        expect(f, "00 DA 00 CF 04 5F 00 00 01", "90 00");
        assert_int_equal(xfer(f, "00 CA 00 C5 00"), SW_OK);
        assert_int_equal(f->resp_len, 60);
        assert_int_equal(f->resp[19], 0x14);
        assert_int_equal(xfer(f, "00 CA 00 CD 00"), SW_OK);
        assert_memory_equal(f->resp + 4, "\x5F\x00\x00\x01", 4);
        assert_same_pgp(live(f), stored(f));
}

static void test_private_dos_access(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PGP);
        expect(f, "00 DA 01 01 02 AB CD", "69 82");
        expect(f, "00 CA 01 03 00", "69 82");
        expect(f, VERIFY_PW1, "90 00");
        expect(f, "00 DA 01 01 02 AB CD", "90 00");
        expect(f, "00 DA 01 03 01 EE", "90 00");
        expect(f, "00 DA 01 02 01 EE", "69 82"); /* PW3's */
        expect(f, "00 CA 01 01 00", "AB CD 90 00");
        expect(f, "00 CA 01 03 00", "EE 90 00");
        expect(f, "00 CA 01 04 00", "69 82");
}

static void test_certificates_with_select_data(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PGP);
        expect(f, VERIFY_PW3, "90 00");
        expect(f, "00 DA 7F 21 03 30 01 AA", "90 00"); /* occurrence 0: authentication */
        expect(f, "00 A5 02 04 06 60 04 5C 02 7F 21", "90 00");
        expect(f, "00 DA 7F 21 03 30 01 CC", "90 00"); /* signature */
        expect(f, "00 CA 7F 21 00", "30 01 CC 90 00");
        expect(f, "00 A5 00 04 04 5C 02 7F 21", "90 00"); /* GnuPG 2.2's form */
        expect(f, "00 CA 7F 21 00", "30 01 AA 90 00");
        expect(f, "00 CC 7F 21 00", "90 00"); /* the second one is empty */
        expect(f, "00 CC 7F 21 00", "30 01 CC 90 00");
        expect(f, "00 CC 7F 21 00", "6A 88");
        expect(f, "00 A5 03 04 06 60 04 5C 02 7F 21", "6A 86");
        assert_int_equal(live(f)->dos[PGP_DO_CERT_SIG].len, 3);
        assert_same_pgp(live(f), stored(f));
}

/* GnuPG's factory-reset: block PW1 and PW3, TERMINATE DF, ACTIVATE FILE. */
static void test_terminate_and_activate(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PGP);
        expect(f, VERIFY_PW3, "90 00");
        expect(f, "00 DA 00 5B 03 41 42 43", "90 00");
        expect(f, "00 DA 00 C1 06 01 08 00 00 20 00", "90 00");
        expect(f, "00 24 00 81 0C 31 32 33 34 35 36 61 62 63 44 45 46", "90 00");
        xfer(f, SELECT_PIV);
        xfer(f, SELECT_PGP);
        expect(f, "00 E6 00 00", "69 82"); /* PW3 neither verified nor blocked */
        for (int i = 0; i < 3; i++)
                xfer(f, WRONG_PW3);
        expect(f, "00 20 00 83", "69 83");
        expect(f, "00 E6 00 00", "90 00");
        assert_true(stored(f)->terminated);
        expect(f, "00 CA 00 6E 00", "62 85");
        vt_card_reset(&f->card);
        expect(f, SELECT_PGP, "62 85");
        expect(f, "00 44 00 00", "90 00");
        assert_false(stored(f)->terminated);
        expect(f, SELECT_PGP, "6F 12 84 10" AID "90 00");
        expect(f, "00 CA 00 65 00", "65 08 5B 00 5F 2D 00 5F 35 00 90 00");
        expect(f, "00 CA 00 C4 00", "01 7F 7F 7F 03 00 03 90 00");
        expect(f, VERIFY_PW1, "90 00");
        expect(f, VERIFY_PW3, "90 00");
        assert_same_pgp(live(f), stored(f));
}

static void test_put_data_commit_refused_changes_nothing(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PGP);
        expect(f, VERIFY_PW3, "90 00");
        f->mem.fail_next = 1;
        expect(f, "00 DA 00 5B 03 41 42 43", "65 81");
        assert_int_equal(live(f)->dos[PGP_DO_NAME].len, 0);
        f->mem.fail_next = 1;
        expect(f, "00 24 00 83 10 31 32 33 34 35 36 37 38 61 62 63 64 65 66 67 68", "65 81");
        expect(f, VERIFY_PW3, "90 00");
        /* the try was not spent and the old value stays */
        assert_same_pgp(live(f), stored(f));
}

static void test_get_challenge(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PGP);
        assert_int_equal(xfer(f, "00 84 00 00 10"), SW_OK);
        assert_int_equal(f->resp_len, 16);
        expect(f, "00 84 00 00", "67 00");
}

static unsigned secrecy(struct fixture *f, const char *hex, struct vt_card_step *step)
{
        uint8_t cmd[300], out[VT_RAPDU_MAX];
        size_t n = hex_decode(hex, cmd, sizeof(cmd));
        vt_card_receive(&f->card, cmd, n, out, step);
        return step->secrecy;
}

static void test_secrets_and_touch_for_the_daemon(void **state)
{
        struct fixture *f = *state;
        struct vt_card_step step;
        const unsigned both = VT_SECRET_COMMAND | VT_SECRET_RESPONSE;
        xfer(f, SELECT_PGP);
        assert_int_equal(secrecy(f, VERIFY_PW1, &step), both);
        assert_int_equal(secrecy(f, "00 24 00 81 0C 31 32 33 34 35 36 61 62 63 44 45 46", &step),
                         both);
        assert_int_equal(secrecy(f, "00 DA 00 D3 08 31 32 33 34 35 36 37 38", &step),
                         VT_SECRET_COMMAND);
        assert_int_equal(secrecy(f, "00 DB 3F FF 04 4D 02 B6 00", &step), VT_SECRET_COMMAND);
        assert_int_equal(secrecy(f, "00 2A 80 86 03 00 01 02", &step), VT_SECRET_RESPONSE);
        assert_int_equal(secrecy(f, "00 CA 01 03 00", &step), VT_SECRET_RESPONSE);
        assert_int_equal(secrecy(f, "00 CA 00 6E 00", &step), 0);
        assert_int_equal(secrecy(f, "00 DA 00 5B 03 41 42 43", &step), 0);
        /* PIV's PUT DATA of a certificate is PIV's business: not a key import */
        assert_int_equal(secrecy(f, "00 DB 3F FF 07 5C 03 5F C1 05 53 00", &step), 0);
        /* no key, no touch; with a key and UIF on, a touch per signature */
        assert_int_equal(secrecy(f, "00 2A 9E 9A 03 01 02 03", &step), 0);
        assert_int_equal(step.touch, VT_TOUCH_NONE);
        expect(f, VERIFY_PW3, "90 00");
        expect(f, "00 DA 00 D6 02 01 20", "90 00");
        expect(f, "00 CA 00 D6 00", "01 20 90 00");
        assert_non_null(live(f)->keys[PGP_SIG].key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
        secrecy(f, "00 2A 9E 9A 03 01 02 03", &step);
        assert_true(step.ready);
        assert_int_equal(step.touch, VT_TOUCH_EACH);
        assert_int_equal(step.touch_key, 0xB6);
        vt_card_execute(&f->card, f->resp);
        char buf[8];
        assert_string_equal(vt_card_ins_name(&f->card, 0x2A, buf), "PERFORM SECURITY OPERATION");
}

static void test_applets_side_by_side(void **state)
{
        struct fixture *f = *state;
        expect(f, VERIFY_PW1, "6D 00"); /* nothing selected yet */
        xfer(f, SELECT_PGP);
        expect(f, VERIFY_PW1, "90 00");
        assert_int_equal(xfer(f, SELECT_PIV), SW_OK);
        assert_string_equal(vt_card_selected(&f->card), "piv");
        assert_int_equal(xfer(f, "00 20 00 80"), 0x63C3); /* PIV's PIN, not OpenPGP's */
        xfer(f, SELECT_PGP);
        assert_string_equal(vt_card_selected(&f->card), "openpgp");
        expect(f, "00 20 00 82", "63 C3"); /* security state left with the application */
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        const struct CMUnitTest tests[] = {
            T(test_select_answers_fci_with_the_aid),
            T(test_historical_bytes_announce_chaining_and_extended_lengths),
            T(test_application_related_data),
            T(test_verify_counts_tries_and_a_refused_commit_spends_none),
            T(test_verify_pw1_commits_a_spent_try_before_comparing),
            T(test_verify_pw3_commits_a_spent_try_before_comparing),
            T(test_change_reference_commits_a_spent_try_before_comparing),
            T(test_three_wrong_block_and_unblock_with_pw3),
            T(test_change_pw1_and_pw3),
            T(test_resetting_code),
            T(test_cardholder_data_needs_pw3),
            T(test_private_dos_access),
            T(test_certificates_with_select_data),
            T(test_terminate_and_activate),
            T(test_put_data_commit_refused_changes_nothing),
            T(test_get_challenge),
            T(test_secrets_and_touch_for_the_daemon),
            T(test_applets_side_by_side),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
