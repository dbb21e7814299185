/* SPDX-License-Identifier: Apache-2.0 */
/* Commit first, then apply: a store that fails to make a change durable leaves the card as it
 * was, in its live image and in the store (the mirror), and the command answers 65 81. For
 * GENERATE, CHANGE REFERENCE DATA (whichever of its commits fails), VERIFY, PUT DATA of objects
 * and certificates, IMPORT KEY and SET MANAGEMENT KEY. */
#include "piv_test.h"

#include <errno.h>

#define GENERATE_9A "00 47 00 9A 05 AC 03 80 01 11"
#define CHANGE_PIN  "00 24 00 80 10 31 32 33 34 35 36 FF FF 36 35 34 33 32 31 FF FF"

/* A store over the fixture's that refuses only its n-th commit (counted from 1). */
struct nth_store {
        struct vt_store inner;
        unsigned seen, fail_at;
};

static int nth_commit(void *ctx, const struct vt_applet_unit *unit, const void *change)
{
        struct nth_store *n = ctx;
        if (++n->seen == n->fail_at)
                return -EIO;
        return vt_store_commit(&n->inner, unit, change);
}

static const struct vt_store_ops nth_ops = {.commit = nth_commit};
static struct nth_store nth; /* outlives the card of the test that uses it */

/* The card again, over a store that refuses its n-th commit from now on. */
static void fail_commit_number(struct fixture *f, unsigned n)
{
        static struct vt_store store = {&nth_ops, &nth};
        nth = (struct nth_store){.inner = f->store, .fail_at = n};
        card_over(f, &store);
}

static bool pin_is(const struct vt_image *img, const char *value)
{
        uint8_t padded[8];
        vt_pin_pad(value, padded);
        return vt_secret_matches(&vt_piv_of(img)->pin, padded);
}

static void test_failed_generate_keeps_the_old_key(void **state)
{
        struct fixture *f = *state;
        EVP_PKEY *old = vt_piv_slot(vt_piv_of(f->img), 0x9A)->key;
        xfer(f, SELECT_PIV);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        struct snapshot before = snap(f);
        f->mem.fail_next = 1;
        expect(f, GENERATE_9A, "65 81"); /* and no public key */
        assert_ptr_equal(vt_piv_slot(vt_piv_of(f->img), 0x9A)->key, old);
        assert_ptr_equal(vt_piv_slot(vt_piv_of(f->mem.mirror), 0x9A)->key, old);
        unchanged(f, &before, 1);

        /* the store works again: the new key goes to both */
        expect_sw(f, GENERATE_9A, SW_OK);
        EVP_PKEY *new = vt_piv_slot(vt_piv_of(f->img), 0x9A)->key;
        assert_ptr_not_equal(new, old);
        assert_ptr_equal(vt_piv_slot(vt_piv_of(f->mem.mirror), 0x9A)->key, new);
        assert_same_image(f->img, f->mem.mirror);
}

/* The first commit of CHANGE REFERENCE DATA spends a try: when it fails, the old PIN is not
 * even compared, and no try is gone. */
static void test_failed_pin_change_spends_no_try(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        struct snapshot before = snap(f);
        f->mem.fail_next = 1;
        expect(f, CHANGE_PIN, "65 81");
        unchanged(f, &before, 1);
        assert_int_equal(vt_piv_of(f->img)->pin.tries_left, 3);
        assert_int_equal(vt_piv_of(f->mem.mirror)->pin.tries_left, 3);
        assert_true(pin_is(f->img, "123456"));
        assert_true(pin_is(f->mem.mirror, "123456"));
        expect(f, VERIFY_PIN, "90 00"); /* the old PIN still verifies */
}

/* The old PIN matched but the try could not be given back: 65 81, the PIN is the old one, and
 * the card and the store agree on the try spent. */
static void test_pin_change_whose_try_is_not_given_back(void **state)
{
        struct fixture *f = *state;
        fail_commit_number(f, 2);
        xfer(f, SELECT_PIV);
        expect(f, CHANGE_PIN, "65 81");
        assert_int_equal(vt_piv_of(f->img)->pin.tries_left, 2);
        assert_same_image(f->img, f->mem.mirror);
        assert_true(pin_is(f->mem.mirror, "123456"));
        expect(f, VERIFY_PIN, "90 00");
}

/* The new PIN could not be made durable: 65 81, the old PIN with all its tries, everywhere. */
static void test_pin_change_whose_new_pin_is_not_durable(void **state)
{
        struct fixture *f = *state;
        fail_commit_number(f, 3);
        xfer(f, SELECT_PIV);
        expect(f, CHANGE_PIN, "65 81");
        assert_int_equal(vt_piv_of(f->img)->pin.tries_left, 3);
        assert_true(pin_is(f->img, "123456"));
        assert_same_image(f->img, f->mem.mirror);
        expect(f, VERIFY_PIN, "90 00");
        expect(f, "00 20 00 80 08 36 35 34 33 32 31 FF FF", "63 C2");
}

/* VERIFY of the right PIN whose try cannot be given back: not verified, one try gone on the card
 * and in the store alike. */
static void test_verify_whose_try_is_not_given_back(void **state)
{
        struct fixture *f = *state;
        fail_commit_number(f, 2);
        xfer(f, SELECT_PIV);
        expect(f, VERIFY_PIN, "65 81");
        assert_false(vt_piv_pin_verified(f->piv));
        assert_int_equal(vt_piv_of(f->img)->pin.tries_left, 2);
        assert_same_image(f->img, f->mem.mirror);
        expect(f, PIN_STATUS, "63 C2");
}

static void test_failed_put_data_keeps_the_object(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        expect(f, "00 DB 3F FF 09 5C 03 5F C1 02 53 02 99 00", "90 00");

        struct snapshot before = snap(f);
        f->mem.fail_next = 1;
        expect(f, "00 DB 3F FF 09 5C 03 5F C1 02 53 02 77 00", "65 81"); /* a new value */
        f->mem.fail_next = 1;
        expect(f, "00 DB 3F FF 07 5C 03 5F C1 02 53 00", "65 81"); /* its removal */
        f->mem.fail_next = 1;
        expect(f, "00 DB 3F FF 09 5C 03 5F C1 06 53 02 01 02", "65 81"); /* a new object */
        unchanged(f, &before, 3);
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 02 00", "53 02 99 00 90 00");
        expect(f, "00 CB 3F FF 05 5C 03 5F C1 06 00", "6A 82");
        const struct vt_object *o = vt_piv_object(vt_piv_of(f->mem.mirror), 0x5FC102);
        assert_non_null(o);
        assert_memory_equal(o->data, "\x53\x02\x99\x00", 4);
        assert_null(vt_piv_object(vt_piv_of(f->mem.mirror), 0x5FC106));
}

static void test_failed_put_data_keeps_the_certificate(void **state)
{
        struct fixture *f = *state;
        const struct vt_slot *s = vt_piv_slot(vt_piv_of(f->img), 0x9A);
        const uint8_t *cert = s->cert;
        xfer(f, SELECT_PIV);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        struct snapshot before = snap(f);
        f->mem.fail_next = 1;
        expect(f, "00 DB 3F FF 0F 5C 03 5F C1 05 53 08 70 03 30 01 00 71 01 00", "65 81");
        f->mem.fail_next = 1;
        expect(f, "00 DB 3F FF 07 5C 03 5F C1 05 53 00", "65 81"); /* its removal */
        unchanged(f, &before, 2);
        assert_ptr_equal(s->cert, cert);
}

static void test_failed_import_keeps_the_old_key(void **state)
{
        struct fixture *f = *state;
        uint8_t raw[32], cmd[40];
        size_t len = sizeof(raw);
        EVP_PKEY *old = vt_piv_slot(vt_piv_of(f->img), 0x9E)->key;
        assert_int_equal(EVP_PKEY_get_raw_private_key(keys.ed25519, raw, &len), 1);
        struct writer w = wr_init(cmd, sizeof(cmd));
        wr_tlv(&w, 0x07, raw, 32);
        xfer(f, SELECT_PIV);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        struct snapshot before = snap(f);
        f->mem.fail_next = 1;
        assert_int_equal(xfer_chained(f, 0xFE, 0xE0, 0x9E, cmd, w.len), SW_MEMORY_FAILURE);
        unchanged(f, &before, 1);
        assert_ptr_equal(vt_piv_slot(vt_piv_of(f->img), 0x9E)->key, old);
}

static void test_failed_set_management_key_keeps_the_old_one(void **state)
{
        struct fixture *f = *state;
        xfer(f, SELECT_PIV);
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
        struct snapshot before = snap(f);
        f->mem.fail_next = 1;
        expect(f, "00 FF FF FF 13 08 9B 10 10 11 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F",
               "65 81");
        unchanged(f, &before, 1);
        assert_true(vt_mgm_key_well_known(vt_piv_of(f->img)));
        assert_true(vt_mgm_key_well_known(vt_piv_of(f->mem.mirror)));
        assert_int_equal(mutual_auth(f, VT_ALG_3DES, test_mgm_key), SW_OK);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            T(test_failed_generate_keeps_the_old_key),
            T(test_failed_pin_change_spends_no_try),
            T(test_pin_change_whose_try_is_not_given_back),
            T(test_pin_change_whose_new_pin_is_not_durable),
            T(test_verify_whose_try_is_not_given_back),
            T(test_failed_put_data_keeps_the_object),
            T(test_failed_put_data_keeps_the_certificate),
            T(test_failed_import_keeps_the_old_key),
            T(test_failed_set_management_key_keeps_the_old_one),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
