/* SPDX-License-Identifier: Apache-2.0 */
/* Replays the fuzz seed corpus (tests/fuzz/corpus) through the fuzz target's entry point, so
 * every build -- the sanitizer build too -- runs the sequences the fuzzer starts from. (The
 * target itself touches no file; only the seeds are read here.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../fuzz/fuzz_card.c"

#include <dirent.h>

static void test_seed_corpus_replays(void **state)
{
        (void)state;
        char dir[512], path[1024];
        static uint8_t buf[65536];
        /* CMake compiles with the absolute path of this file */
        const char *slash = strrchr(__FILE__, '/');
        assert_non_null(slash);
        snprintf(dir, sizeof(dir), "%.*s/../fuzz/corpus", (int)(slash - __FILE__), __FILE__);
        DIR *d = opendir(dir);
        struct dirent *e;
        int n = 0;
        assert_non_null(d);
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                FILE *f = fopen(path, "rb");
                assert_non_null(f);
                size_t len = fread(buf, 1, sizeof(buf), f);
                fclose(f);
                assert_int_equal(LLVMFuzzerTestOneInput(buf, len), 0);
                n++;
        }
        closedir(d);
        assert_true(n >= 10);
}

int main(void)
{
        const struct CMUnitTest tests[] = {cmocka_unit_test(test_seed_corpus_replays)};
        return cmocka_run_group_tests(tests, NULL, NULL);
}
