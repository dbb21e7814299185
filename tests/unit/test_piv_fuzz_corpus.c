/* SPDX-License-Identifier: Apache-2.0 */
/* Replays the seed corpora of the card fuzz targets (tests/fuzz/corpus, corpus-openpgp,
 * corpus-fido_oath) through each target's entry point, so every build -- the sanitizer build
 * too -- runs the sequences the fuzzer starts from, the regression inputs of what it found
 * included. (The targets themselves touch no file; only the seeds are read here.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../fuzz/fuzz_cardlib.c"
#include "../fuzz/fuzz_keys.c"

/* the three targets, each entry point and preamble under a name of its own */
#define LLVMFuzzerTestOneInput piv_input
#define preamble               piv_preamble
#include "../fuzz/fuzz_card.c"
#undef LLVMFuzzerTestOneInput
#undef preamble
#define LLVMFuzzerTestOneInput openpgp_input
#define preamble               openpgp_preamble
#include "../fuzz/fuzz_openpgp.c"
#undef LLVMFuzzerTestOneInput
#undef preamble
#define LLVMFuzzerTestOneInput fido_oath_input
#define preamble               fido_oath_preamble
#include "../fuzz/fuzz_fido_oath.c"
#undef LLVMFuzzerTestOneInput
#undef preamble

#include <dirent.h>

static void replay(const char *corpus, int (*input)(const uint8_t *, size_t))
{
        char dir[512], path[1024];
        static uint8_t buf[65536];
        /* CMake compiles with the absolute path of this file */
        const char *slash = strrchr(__FILE__, '/');
        assert_non_null(slash);
        snprintf(dir, sizeof(dir), "%.*s/../fuzz/%s", (int)(slash - __FILE__), __FILE__, corpus);
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
                assert_int_equal(input(buf, len), 0);
                n++;
        }
        closedir(d);
        assert_true(n >= 10);
}

static void test_piv_corpus_replays(void **state)
{
        (void)state;
        replay("corpus", piv_input);
}

static void test_openpgp_corpus_replays(void **state)
{
        (void)state;
        replay("corpus-openpgp", openpgp_input);
}

static void test_fido_oath_corpus_replays(void **state)
{
        (void)state;
        replay("corpus-fido_oath", fido_oath_input);
}

int main(void)
{
        const struct CMUnitTest tests[] = {cmocka_unit_test(test_piv_corpus_replays),
                                           cmocka_unit_test(test_openpgp_corpus_replays),
                                           cmocka_unit_test(test_fido_oath_corpus_replays)};
        return cmocka_run_group_tests(tests, NULL, NULL);
}
