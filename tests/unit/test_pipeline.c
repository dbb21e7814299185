/* SPDX-License-Identifier: Apache-2.0 */
/* A card's pipeline with its worker (daemon/pipeline.c), driven as a link drives it: commands
 * answered later through the link, in order, by the card's own thread while the event loop
 * runs; a card pulled out mid-command answers nothing and starts afresh; a fault's status word
 * is answered at once; freeing waits for a command under way. Run under ThreadSanitizer too
 * (ctest -L tsan in a -DVT_TSAN=ON build). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test_util.h"

#include "link.h"
#include "pin.h"
#include "pipeline.h"
#include "registry.h"
#include "store.h"

/* The link's side: what the pipeline answered later. */
struct fake_link {
        struct link base;
        unsigned answers;
        uint8_t rsp[VT_RAPDU_MAX];
        size_t len;
};

static void fl_free(struct link *l)
{
        (void)l;
}
static enum link_state fl_state(const struct link *l)
{
        (void)l;
        return LINK_POWERED;
}
static const char *fl_endpoint(const struct link *l)
{
        (void)l;
        return "test";
}
static bool fl_unheard(const struct link *l)
{
        (void)l;
        return false;
}
static void fl_nothing(struct link *l)
{
        (void)l;
}
static int fl_respond(struct link *base, const uint8_t *rsp, size_t len)
{
        struct fake_link *l = (struct fake_link *)base;
        memcpy(l->rsp, rsp, len);
        l->len = len;
        l->answers++;
        return 0;
}
static const struct link_ops fl_ops = {.kind = "test",
                                       .free = fl_free,
                                       .state = fl_state,
                                       .endpoint = fl_endpoint,
                                       .unheard = fl_unheard,
                                       .remove = fl_nothing,
                                       .insert = fl_nothing,
                                       .respond = fl_respond};

struct fixture {
        sd_event *event;
        struct vt_image *img;
        struct vt_mem_store mem;
        struct pipeline *p;
        const struct link_handler *h;
        struct fake_link link;
};

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        char err[200];
        uint8_t padded[8];
        assert_non_null(f);
        assert_int_equal(sd_event_new(&f->event), 0);
        assert_non_null(f->img = vt_piv_image_new("mem"));
        vt_pin_pad("123456", padded);
        vt_secret_set(&vt_piv_of(f->img)->pin, padded);
        struct vt_store store = vt_mem_store(&f->mem);
        if (pipeline_new(f->event, "card0", f->img, &store, 15000, NULL, NULL, &f->p, err,
                         sizeof(err)) < 0)
                fail_msg("pipeline_new: %s", err);
        f->link.base.ops = &fl_ops;
        pipeline_set_link(f->p, &f->link.base);
        f->h = pipeline_handler(f->p);
        f->h->power(f->h->user, LINK_POWER_ON);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        pipeline_free(f->p);
        vt_image_free(f->img);
        sd_event_unref(f->event);
        free(f);
        return 0;
}

static uint64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs the event loop until the link has had `answers` answers; fails after 10 s. */
static void run_until_answers(struct fixture *f, unsigned answers)
{
        uint64_t deadline = now_ms() + 10000;
        while (f->link.answers < answers) {
                if (now_ms() > deadline)
                        fail_msg("no answer within 10 s (%u of %u)", f->link.answers, answers);
                assert_true(sd_event_run(f->event, 100 * 1000) >= 0);
        }
}

/* Hands the card one command (hex) as a link does; returns LINK_APDU_PENDING or the length of
 * an answer given at once (in out). */
static size_t send_apdu(struct fixture *f, const char *hex, uint8_t *out)
{
        uint8_t cmd[300];
        size_t n = hex_decode(hex, cmd, sizeof(cmd));
        return f->h->apdu(f->h->user, cmd, n, out);
}

/* One command, answered later by the card's worker: its status word. */
static uint16_t transmit(struct fixture *f, const char *hex)
{
        static uint8_t out[VT_RAPDU_MAX];
        unsigned before = f->link.answers;
        assert_true(send_apdu(f, hex, out) == LINK_APDU_PENDING);
        run_until_answers(f, before + 1);
        assert_int_equal(f->link.answers, before + 1);
        assert_true(f->link.len >= 2);
        return (uint16_t)(f->link.rsp[f->link.len - 2] << 8 | f->link.rsp[f->link.len - 1]);
}

#define SELECT_PIV "00 A4 04 00 05 A0 00 00 03 08"
#define VERIFY_OK  "00 20 00 80 08 31 32 33 34 35 36 FF FF"
#define VERIFY_BAD "00 20 00 80 08 30 30 30 30 30 30 FF FF"

static bool pin_verified(struct fixture *f)
{
        struct pipeline_status st;
        pipeline_status(f->p, &st);
        return st.card.pin_verified;
}

/* SELECT and VERIFY are answered later, from the card's worker, in order: the
 * VERIFY counts (durably, before the compare) and the status shows what the card holds. */
static void test_answers_come_from_the_worker_in_order(void **state)
{
        struct fixture *f = *state;
        assert_int_equal(transmit(f, SELECT_PIV), 0x9000);
        assert_false(pin_verified(f));
        assert_int_equal(transmit(f, VERIFY_BAD), 0x63C2);
        assert_int_equal(transmit(f, VERIFY_OK), 0x9000);
        assert_true(pin_verified(f));
        assert_true(f->mem.commits >= 2); /* each try counted in the store first */
        struct pipeline_status st;
        pipeline_status(f->p, &st);
        assert_int_equal(st.commands, 3);
        assert_string_equal(st.applet, "piv");
        assert_int_equal(st.card.pin_tries_left, 3);
}

#define GET_DISCOVERY "00 CB 3F FF 03 5C 01 7E 00"

/* A command that only reads (GET DATA, vt_applet.quick) is answered at once, on the loop, while
 * the worker is idle; a VERIFY still goes to the worker, and a read behind it waits its turn. */
static void test_reads_answered_on_the_loop(void **state)
{
        struct fixture *f = *state;
        uint8_t out[VT_RAPDU_MAX];
        assert_int_equal(transmit(f, SELECT_PIV), 0x9000);
        size_t n = send_apdu(f, GET_DISCOVERY, out);
        assert_true(n != LINK_APDU_PENDING);
        assert_true(n > 2 && out[0] == 0x7E); /* the discovery object */
        assert_int_equal(out[n - 2] << 8 | out[n - 1], 0x9000);

        unsigned before = f->link.answers;
        assert_true(send_apdu(f, VERIFY_BAD, out) == LINK_APDU_PENDING);
        assert_true(send_apdu(f, GET_DISCOVERY, out) == LINK_APDU_PENDING); /* behind it */
        run_until_answers(f, before + 2);
        assert_int_equal(f->link.rsp[0], 0x7E); /* the last answer is the read's */
        struct pipeline_status st;
        pipeline_status(f->p, &st);
        assert_int_equal(st.card.pin_tries_left, 2);
        assert_int_equal(st.commands, 4);
}

/* The link drops while a command is on its way to the card: no answer goes to the link, the
 * card is powered off behind the command (the PIN no longer verified), and the next connection
 * is served afresh. */
static void test_card_pulled_mid_command(void **state)
{
        struct fixture *f = *state;
        uint8_t out[VT_RAPDU_MAX];
        assert_int_equal(transmit(f, SELECT_PIV), 0x9000);
        assert_int_equal(transmit(f, VERIFY_OK), 0x9000);
        unsigned answers = f->link.answers;
        assert_true(send_apdu(f, VERIFY_OK, out) == LINK_APDU_PENDING);
        f->h->power(f->h->user, LINK_POWER_OFF); /* before the loop hears of the answer */
        f->h->power(f->h->user, LINK_POWER_ON);
        assert_int_equal(transmit(f, SELECT_PIV), 0x9000);
        assert_int_equal(f->link.answers, answers + 1); /* the SELECT's alone */
        assert_false(pin_verified(f));
        assert_int_equal(transmit(f, VERIFY_OK), 0x9000);
        assert_true(pin_verified(f));
}

/* A fault's status word is answered at once, without the card; the next command reaches it. */
static void test_fault_answers_at_once(void **state)
{
        struct fixture *f = *state;
        uint8_t out[VT_RAPDU_MAX];
        struct fault fault = {
            .kind = FAULT_SW, .ins = 0x20, .p1 = -1, .p2 = -1, .count = 1, .sw = 0x6A82};
        assert_int_equal(transmit(f, SELECT_PIV), 0x9000);
        assert_int_equal(pipeline_fault(f->p, &fault), 0);
        assert_int_equal(send_apdu(f, VERIFY_OK, out), 2);
        assert_int_equal(out[0] << 8 | out[1], 0x6A82);
        assert_false(pin_verified(f));
        assert_int_equal(transmit(f, VERIFY_OK), 0x9000);
        assert_true(pin_verified(f));
}

/* A warm reset from `vtoken ctl reset` goes to the worker behind the commands before it. */
static void test_reset_in_order(void **state)
{
        struct fixture *f = *state;
        uint8_t out[VT_RAPDU_MAX];
        assert_int_equal(transmit(f, SELECT_PIV), 0x9000);
        assert_true(send_apdu(f, VERIFY_OK, out) == LINK_APDU_PENDING);
        pipeline_reset(f->p);
        run_until_answers(f, f->link.answers + 1);
        assert_int_equal(f->link.rsp[0] << 8 | f->link.rsp[1], 0x9000); /* the VERIFY ran */
        /* the reset after it: the answer is out before the reset runs, so wait for it */
        uint64_t deadline = now_ms() + 10000;
        while (pin_verified(f)) {
                if (now_ms() > deadline)
                        fail_msg("the reset did not clear the PIN within 10 s");
                assert_true(sd_event_run(f->event, 10 * 1000) >= 0);
        }
}

/* Freed with a command under way (a daemon stopping): the worker finishes it, and nothing is
 * answered to a link that is gone. */
static void test_free_with_a_command_under_way(void **state)
{
        struct fixture *f = *state;
        uint8_t out[VT_RAPDU_MAX];
        assert_int_equal(transmit(f, SELECT_PIV), 0x9000);
        unsigned answers = f->link.answers;
        assert_true(send_apdu(f, VERIFY_OK, out) == LINK_APDU_PENDING);
        pipeline_free(f->p);
        f->p = NULL;
        assert_int_equal(f->link.answers, answers);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_answers_come_from_the_worker_in_order, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_reads_answered_on_the_loop, setup, teardown),
            cmocka_unit_test_setup_teardown(test_card_pulled_mid_command, setup, teardown),
            cmocka_unit_test_setup_teardown(test_fault_answers_at_once, setup, teardown),
            cmocka_unit_test_setup_teardown(test_reset_in_order, setup, teardown),
            cmocka_unit_test_setup_teardown(test_free_with_a_command_under_way, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
