/* Commits torn by SIGKILL: a child commits a counter as fast as it can and is killed at random
 * moments; after every kill the image loads, and the counter never goes back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_util.h"

#define load(dir) load_image_or_fail((dir), "after a kill the image does not load")

#include "image.h"
#include "keygen.h"

#include <dirent.h>
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
                v = v << 8 | img->mgm_key[i];
        return v;
}

static void set_counter(struct vt_image *img, uint64_t v)
{
        for (int i = 7; i >= 0; i--, v >>= 8)
                img->mgm_key[i] = (uint8_t)v;
}

static void child(const char *dir)
{
        char err[512];
        struct vt_image *img = vt_image_load(dir, err, sizeof(err));
        uint64_t n;

        if (!img)
                _exit(2);
        n = counter_of(img);
        for (;;) {
                set_counter(img, ++n);
                img->pin.tries_left = (uint8_t)(n % 16);
                /* a commit of card.ini now and then, as a key generation does */
                if (vt_image_commit_state(img) < 0 || (n % 7 == 0 && vt_image_commit_card(img) < 0))
                        _exit(3);
        }
}

static void test_kill_during_commits(void **state)
{
        char dir[] = "/tmp/vt-tearing-XXXXXX", path[512];
        struct vt_image *img;
        uint64_t last = 0;
        DIR *d;
        struct dirent *e;

        (void)state;
        assert_non_null(mkdtemp(dir));
        assert_non_null(img = vt_image_new(dir));
        img->atr[0] = 0x3B, img->atr[1] = 0x00, img->atr_len = 2;
        img->pin.max_tries = 15;
        img->mgm_key_len = 24;
        assert_int_equal(vt_image_commit_all(img), 0);
        vt_image_free(img);

        for (int round = 0; round < ROUNDS; round++) {
                uint32_t wait_us;
                int status;
                pid_t pid = fork();

                assert_true(pid >= 0);
                if (pid == 0)
                        child(dir);
                RAND_bytes((unsigned char *)&wait_us, sizeof(wait_us));
                usleep(1000 + wait_us % 20000);
                kill(pid, SIGKILL);
                assert_int_equal(waitpid(pid, &status, 0), pid);
                assert_true(WIFSIGNALED(status)); /* and not an exit on a failed commit */
                img = load(dir);
                assert_true(counter_of(img) >= last);
                last = counter_of(img);
                vt_image_free(img);
        }
        assert_true(last > 0);

        /* leftovers of interrupted writes were ignored by load; remove everything */
        assert_non_null(d = opendir(dir));
        while ((e = readdir(d))) {
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                        unlink(path);
        }
        closedir(d);
        rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_kill_during_commits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
