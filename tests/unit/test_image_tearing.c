/* SPDX-License-Identifier: Apache-2.0 */
/* Writes torn by SIGKILL: a child writes a counter into the image as fast as it can, as the file
 * store's commits do, and a timer it armed kills it at a random moment; after every kill the
 * image loads, and the counter never goes back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store_test.h"

#define load(dir) load_image_or_fail((dir), "after a kill the image does not load")

#include "image_store.h"
#include "piv_state.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#define ROUNDS 40

static uint64_t counter_of(const struct vt_image *img)
{
        uint64_t v = 0;

        for (int i = 0; i < 8; i++)
                v = v << 8 | vt_piv_of(img)->mgm_key[i];
        return v;
}

static void set_counter(struct vt_image *img, uint64_t v)
{
        for (int i = 7; i >= 0; i--, v >>= 8)
                vt_piv_of(img)->mgm_key[i] = (uint8_t)v;
}

/* Dies by SIGKILL 1 to 21 ms from now, whatever it is doing then. */
static void arm_kill(void)
{
        struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGKILL};
        struct itimerspec when = {0};
        uint32_t r = 0;
        timer_t t;

        RAND_bytes((unsigned char *)&r, sizeof(r));
        when.it_value.tv_nsec = 1000000 + (long)(r % 20000) * 1000;
        if (timer_create(CLOCK_MONOTONIC, &ev, &t) < 0 || timer_settime(t, 0, &when, NULL) < 0)
                _exit(4);
}

static void child(const char *dir)
{
        char err[512];
        struct vt_image *img = vt_image_load(dir, err, sizeof(err));
        uint64_t n;

        if (!img)
                _exit(2);
        arm_kill();
        n = counter_of(img);
        for (;;) {
                set_counter(img, ++n);
                vt_piv_of(img)->pin.tries_left = (uint8_t)(n % 16);
                /* card.ini now and then, as a change of the retry limits does */
                if (vt_save_unit(dir, img, &vt_unit_piv) < 0 ||
                    (n % 7 == 0 && vt_save_card(dir, img) < 0))
                        _exit(3);
        }
}

static void test_kill_during_commits(void **state)
{
        char dir[] = "/tmp/vt-tearing-XXXXXX";
        struct vt_image *img;
        uint64_t last = 0;

        (void)state;
        assert_non_null(mkdtemp(dir));
        assert_non_null(img = vt_piv_image_new(dir));
        img->atr[0] = 0x3B, img->atr[1] = 0x00, img->atr_len = 2;
        vt_piv_of(img)->pin.max_tries = 15;
        vt_piv_of(img)->mgm_key_len = 24;
        assert_int_equal(vt_image_save(dir, img), 0);
        vt_image_free(img);

        for (int round = 0; round < ROUNDS; round++) {
                int status;
                pid_t pid = fork();

                assert_true(pid >= 0);
                if (pid == 0)
                        child(dir);
                assert_int_equal(waitpid(pid, &status, 0), pid);
                /* killed, and not an exit on a failed write */
                assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
                img = load(dir);
                assert_true(counter_of(img) >= last);
                last = counter_of(img);
                vt_image_free(img);
        }
        assert_true(last > 0);

        /* leftovers of interrupted writes were ignored by load */
        rm_rf(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_kill_during_commits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
