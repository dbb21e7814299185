/* SPDX-License-Identifier: Apache-2.0 */
/* The card image store: what vt_image_save and the file store's commits write, what load reads
 * back, how it refuses a broken image without touching it, and which object file names it
 * takes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store_test.h"
#include "test_util.h"

#define load_ok(dir) load_image_or_fail((dir), "load failed")

#include "fault.h"
#include "image_dir.h"
#include "image_store.h"
#include "keygen.h"
#include "pin.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>

static const uint8_t atr[] = {0x3B, 0x88, 0x01, 0x50, 0x49, 0x56,
                              0x73, 0x69, 0x6D, 0x30, 0x31, 0xB0};

struct fixture {
        char dir[64];
        int dirfd; /* dir, opened as the daemon opens it, for file stores */
        struct vt_image *img;
};

static void write_file(const char *dir, const char *name, const char *text)
{
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        assert_non_null(f = fopen(path, "w"));
        fputs(text, f);
        fclose(f);
}

static char *read_text(const char *dir, const char *name)
{
        char path[512];
        static char buf[65536];
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (!(f = fopen(path, "r")))
                return NULL;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        fclose(f);
        return buf;
}

/* Replaces the first occurrence of `from` in a file by `to`. */
static void edit_file(const char *dir, const char *name, const char *from, const char *to)
{
        char *text = read_text(dir, name), *p, out[65536];

        assert_non_null(text);
        assert_non_null(p = strstr(text, from));
        snprintf(out, sizeof(out), "%.*s%s%s", (int)(p - text), text, to, p + strlen(from));
        write_file(dir, name, out);
}

/* A listing of the directory with each file's size and modification time: load must not
 * change it. */
static void snapshot(const char *dir, char *out, size_t cap)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        struct stat st;
        char path[512];
        size_t len = 0;

        out[0] = '\0';
        assert_non_null(d);
        while ((e = readdir(d))) {
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                if (e->d_name[0] == '.' && (!e->d_name[1] || !strcmp(e->d_name, "..")))
                        continue;
                assert_int_equal(stat(path, &st), 0);
                len += (size_t)snprintf(out + len, cap - len, "%s:%lld:%lld.%ld:%o\n", e->d_name,
                                        (long long)st.st_size, (long long)st.st_mtim.tv_sec,
                                        st.st_mtim.tv_nsec, st.st_mode & 07777);
                assert_true(len < cap);
        }
        closedir(d);
}

static void set_cert(struct vt_slot *s, EVP_PKEY *key, const char *cn)
{
        char dn[128];
        X509_NAME *name;
        X509 *x;

        snprintf(dn, sizeof(dn), "/CN=%s/O=vtoken test", cn);
        assert_non_null(name = vt_dn_parse(dn));
        assert_non_null(x = vt_cert_make(key, name, NULL, NULL, 30, 0));
        assert_int_equal(vt_cert_der(x, &s->cert, &s->cert_len), 0);
        X509_free(x);
        X509_NAME_free(name);
}

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        struct vt_image *img;
        uint8_t padded[8];
        struct vt_slot *s;
        static const uint8_t printed[] = {0x53, 0x04, 0x01, 0x02, 0x03, 0x04};

        assert_non_null(f);
        snprintf(f->dir, sizeof(f->dir), "/tmp/vt-image-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        assert_true((f->dirfd = vt_dir_open(f->dir, NULL, 0)) >= 0);
        assert_non_null(img = vt_piv_image_new(f->dir));
        memcpy(img->atr, atr, sizeof(atr));
        img->atr_len = sizeof(atr);
        for (int i = 0; i < 16; i++)
                img->guid[i] = (uint8_t)(0xA0 + i);
        img->serial = 4000000001u;
        img->version[0] = 5, img->version[1] = 7, img->version[2] = 1;
        img->yubikey_mgmt_aid = true;
        vt_piv_of(img)->pin_rules = (struct vt_pin_rules){8, 8, VT_PIN_CHARS_STRONG};
        vt_piv_of(img)->pin.max_tries = 15, vt_piv_of(img)->pin.tries_left = 14;
        vt_piv_of(img)->puk.max_tries = 3, vt_piv_of(img)->puk.tries_left = 0;
        vt_pin_pad("Abc123!x", padded);
        vt_secret_set(&vt_piv_of(img)->pin, padded);
        vt_pin_pad("12345678", padded);
        vt_secret_set(&vt_piv_of(img)->puk, padded);
        vt_piv_of(img)->mgm_alg = VT_ALG_AES192;
        vt_piv_of(img)->mgm_key_len = 24;
        for (int i = 0; i < 24; i++)
                vt_piv_of(img)->mgm_key[i] = (uint8_t)i;
        vt_piv_of(img)->mgm_touch = VT_TOUCH_ALWAYS;

        s = vt_piv_slot(vt_piv_of(img), 0x9A);
        assert_non_null(s->key = vt_key_generate(VT_ALG_P256));
        s->alg = VT_ALG_P256;
        s->generated = true;
        set_cert(s, s->key, "slot 9a");
        s = vt_piv_slot(vt_piv_of(img), 0x9C);
        assert_non_null(s->key = vt_key_generate(VT_ALG_ED25519));
        s->alg = VT_ALG_ED25519;
        s->pin_policy = VT_PIN_ALWAYS;
        s->touch_policy = VT_TOUCH_CACHED;
        /* a certificate without its key, as PUT DATA may leave a slot */
        set_cert(vt_piv_slot(vt_piv_of(img), 0x82), vt_piv_slot(vt_piv_of(img), 0x9A)->key,
                 "retired");
        assert_int_equal(vt_piv_set_object(vt_piv_of(img), 0x5FC109, printed, sizeof(printed)), 0);
        /* PUT DATA may leave bytes that are not X.509 in a certificate object */
        s = vt_piv_slot(vt_piv_of(img), 0x83);
        assert_non_null(s->cert = malloc(5));
        memcpy(s->cert, "\x01\x02\x03\x04\x05", 5);
        s->cert_len = 5;

        assert_int_equal(vt_image_save(f->dir, img), 0);
        f->img = img;
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        vt_image_free(f->img);
        close(f->dirfd);
        rm_rf(f->dir);
        free(f);
        return 0;
}

/* Loads a broken image: it must fail, name `file` and `reason` in the message, write nothing. */
static void load_fails(const char *dir, const char *file, const char *reason)
{
        char before[8192], after[8192], err[512] = "", want[512];

        snapshot(dir, before, sizeof(before));
        assert_null(vt_image_load(dir, err, sizeof(err)));
        snapshot(dir, after, sizeof(after));
        assert_string_equal(before, after);
        snprintf(want, sizeof(want), "%s/%s", dir, file);
        if (!strstr(err, want) || !strstr(err, reason))
                fail_msg("error '%s' should name '%s' and say '%s'", err, want, reason);
}

/* Hands one change to a file store over the image directory and, once it is durable, applies it
 * to f->img, as the card does. */
static int commit(struct fixture *f, const struct piv_change *ch)
{
        struct vt_file_store fs;
        vt_file_store_init(&fs, f->dirfd, f->img);
        struct vt_store store = vt_file_store(&fs);
        int r = vt_store_commit(&store, &vt_unit_piv, ch);
        if (r == 0)
                assert_int_equal(vt_piv_state_apply(vt_piv_of(f->img), ch), 0);
        return r;
}

static void test_round_trip(void **state)
{
        struct fixture *f = *state;
        struct vt_image *a = f->img, *b = load_ok(f->dir);

        assert_string_equal(b->profile, a->profile);
        assert_int_equal(b->n_units, 1);
        assert_ptr_equal(b->units[0].unit, &vt_unit_piv);
        assert_memory_equal(b->atr, atr, sizeof(atr));
        assert_int_equal(b->atr_len, sizeof(atr));
        assert_memory_equal(b->guid, a->guid, 16);
        assert_int_equal(b->serial, 4000000001u);
        assert_memory_equal(b->version, a->version, 3);
        assert_true(b->yubikey_mgmt_aid);
        assert_false(vt_piv_of(b)->global_pin);
        assert_int_equal(vt_piv_of(b)->pin_rules.min_len, 8);
        assert_int_equal(vt_piv_of(b)->pin_rules.charset, VT_PIN_CHARS_STRONG);
        assert_int_equal(vt_piv_of(b)->mgm_alg, VT_ALG_AES192);
        assert_int_equal(vt_piv_of(b)->mgm_touch, VT_TOUCH_ALWAYS);
        assert_same_image(a, b);
        assert_int_equal(vt_piv_slot(vt_piv_of(b), 0x9C)->pin_policy, VT_PIN_ALWAYS);
        assert_null(vt_piv_slot(vt_piv_of(b), 0x82)->key);
        assert_non_null(vt_piv_slot(vt_piv_of(b), 0x82)->cert);
        assert_int_equal(vt_piv_slot(vt_piv_of(b), 0x83)->cert_len, 5);
        assert_memory_equal(vt_piv_slot(vt_piv_of(b), 0x83)->cert, "\x01\x02\x03\x04\x05", 5);
        assert_int_equal(vt_piv_of(b)->n_objects, 1);
        assert_int_equal(vt_piv_object(vt_piv_of(b), 0x5FC109)->len, 6);
        assert_null(vt_piv_object(vt_piv_of(b), 0x5FC108));
        assert_null(vt_piv_slot(vt_piv_of(b), 0x77));
        vt_image_free(b);
}

static void test_files_are_private_and_readable(void **state)
{
        struct fixture *f = *state;
        static const char *names[] = {"card.ini",   "state",      "9a.key.pem",    "9a.crt.pem",
                                      "9c.key.pem", "82.crt.pem", "obj-5fc109.bin"};
        char path[512];
        struct stat st;
        char *text;

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", f->dir, names[i]);
                assert_int_equal(stat(path, &st), 0);
                assert_int_equal(st.st_mode & 07777, 0600);
        }
        text = read_text(f->dir, "card.ini");
        assert_non_null(strstr(text, "guid = A0A1A2A3A4A5A6A7A8A9AAABACADAEAF\n"));
        assert_non_null(strstr(text, "atr = 3B 88 01 50 49 56 73 69 6D 30 31 B0\n"));
        assert_non_null(strstr(text, "[slot 9c]\n"));
        text = read_text(f->dir, "state");
        assert_non_null(strstr(text, "[puk]"));
        assert_non_null(strstr(text, "blocked = yes"));
        assert_null(strstr(text, "Abc123!x"));
        assert_null(strstr(text, "12345678"));
        /* no slot without key or certificate gets files */
        snprintf(path, sizeof(path), "%s/9d.key.pem", f->dir);
        assert_int_equal(access(path, F_OK), -1);
}

static void test_commit_of_secrets_persists_tries(void **state)
{
        struct fixture *f = *state;
        struct vt_image *next = vt_image_clone(f->img), *b;
        const struct piv_change ch = {
            .kind = PIV_CHANGE_SECRETS, .st = vt_piv_of(f->img), .proposed = vt_piv_of(next)};

        assert_non_null(next);
        vt_piv_of(next)->pin.tries_left = 0;
        assert_int_equal(commit(f, &ch), 0);
        b = load_ok(f->dir);
        assert_int_equal(vt_piv_of(b)->pin.tries_left, 0);
        vt_image_free(b);

        /* a changed limit is written to card.ini as well */
        vt_piv_of(next)->pin.max_tries = 5;
        vt_piv_of(next)->pin.tries_left = 5;
        assert_int_equal(commit(f, &ch), 0);
        assert_non_null(strstr(read_text(f->dir, "card.ini"),
                               "[pin]\nmin_length = 8\nmax_length = 8\ncharset = strong\n"
                               "retries = 5\n"));
        b = load_ok(f->dir);
        assert_int_equal(vt_piv_of(b)->pin.max_tries, 5);
        assert_int_equal(vt_piv_of(b)->pin.tries_left, 5);
        vt_image_free(b);
        vt_image_free(next);
}

static void test_tries_clamped_to_limit(void **state)
{
        struct fixture *f = *state;
        struct vt_image *b;

        /* a crash after card.ini lowered the limit, before state was written */
        edit_file(f->dir, "card.ini", "retries = 15", "retries = 2");
        b = load_ok(f->dir);
        assert_int_equal(vt_piv_of(b)->pin.max_tries, 2);
        assert_int_equal(vt_piv_of(b)->pin.tries_left, 2);
        vt_image_free(b);
}

static void test_commit_of_slots_and_objects(void **state)
{
        struct fixture *f = *state;
        struct vt_slot empty = {.ref = 0x9A}, rsa = *vt_piv_slot(vt_piv_of(f->img), 0x9D),
                       bogus = {.ref = 0x11};
        struct piv_change ch = {.kind = PIV_CHANGE_SLOT, .st = vt_piv_of(f->img), .slot = &empty};
        struct vt_image *b;
        char path[512];

        assert_int_equal(commit(f, &ch), 0);
        assert_non_null(rsa.key = vt_key_generate(VT_ALG_RSA1024));
        rsa.alg = VT_ALG_RSA1024;
        rsa.touch_policy = VT_TOUCH_NEVER;
        ch.slot = &rsa;
        assert_int_equal(commit(f, &ch), 0);
        ch = (struct piv_change){
            .kind = PIV_CHANGE_OBJECT, .st = vt_piv_of(f->img), .tag = 0x5FC109};
        assert_int_equal(commit(f, &ch), 0);
        ch.tag = 0x7E;
        ch.data = (const uint8_t *)"\x7e\x00";
        ch.len = 2;
        assert_int_equal(commit(f, &ch), 0);
        ch = (struct piv_change){.kind = PIV_CHANGE_SLOT, .st = vt_piv_of(f->img), .slot = &bogus};
        assert_int_equal(commit(f, &ch), -EINVAL);

        snprintf(path, sizeof(path), "%s/9a.key.pem", f->dir);
        assert_int_equal(access(path, F_OK), -1);
        snprintf(path, sizeof(path), "%s/obj-5fc109.bin", f->dir);
        assert_int_equal(access(path, F_OK), -1);
        b = load_ok(f->dir);
        assert_null(vt_piv_slot(vt_piv_of(b), 0x9A)->key);
        assert_null(vt_piv_slot(vt_piv_of(b), 0x9A)->cert);
        assert_int_equal(vt_piv_slot(vt_piv_of(b), 0x9D)->alg, VT_ALG_RSA1024);
        assert_int_equal(vt_piv_slot(vt_piv_of(b), 0x9D)->touch_policy, VT_TOUCH_NEVER);
        assert_int_equal(EVP_PKEY_eq(vt_piv_slot(vt_piv_of(b), 0x9D)->key, rsa.key), 1);
        /* the rest of card.ini as it was: 9C keeps its policies */
        assert_int_equal(vt_piv_slot(vt_piv_of(b), 0x9C)->pin_policy, VT_PIN_ALWAYS);
        assert_null(vt_piv_object(vt_piv_of(b), 0x5FC109));
        assert_int_equal(vt_piv_object(vt_piv_of(b), 0x7E)->len, 2);
        vt_image_free(b);
        EVP_PKEY_free(rsa.key);
}

/* The daemon's write-fail fault over the file store: the commit fails as on a full disk, and
 * every file stays as it was; the next commit goes through. */
static void test_failed_commit_leaves_old_files(void **state)
{
        struct fixture *f = *state;
        char before[8192], after[8192];
        struct vt_image *next = vt_image_clone(f->img), *b;
        struct vt_slot empty = {.ref = 0x9A};
        struct piv_change secrets = {.kind = PIV_CHANGE_SECRETS,
                                     .st = vt_piv_of(f->img),
                                     .proposed = vt_piv_of(next)},
                          slot = {.kind = PIV_CHANGE_SLOT, .st = vt_piv_of(f->img), .slot = &empty};
        struct vt_file_store files;
        struct fault_store faults = {.armed = true};

        assert_non_null(next);
        vt_file_store_init(&files, f->dirfd, f->img);
        faults.inner = vt_file_store(&files);
        struct vt_store store = fault_store(&faults);
        snapshot(f->dir, before, sizeof(before));
        vt_piv_of(next)->pin.tries_left = 1;
        assert_int_equal(vt_store_commit(&store, &vt_unit_piv, &secrets), -EIO);
        assert_true(faults.fired);
        faults.armed = true;
        assert_int_equal(vt_store_commit(&store, &vt_unit_piv, &slot), -EIO);
        snapshot(f->dir, after, sizeof(after));
        assert_string_equal(before, after);
        b = load_ok(f->dir);
        assert_int_equal(vt_piv_of(b)->pin.tries_left, 14);
        assert_non_null(vt_piv_slot(vt_piv_of(b), 0x9A)->key);
        vt_image_free(b);

        assert_int_equal(vt_store_commit(&store, &vt_unit_piv, &secrets), 0);
        b = load_ok(f->dir);
        assert_int_equal(vt_piv_of(b)->pin.tries_left, 1);
        vt_image_free(b);
        vt_image_free(next);
}

/* A slot's files go in place together: when one of them cannot (its name taken by a
 * directory), the commit fails before any moves, and the key on disk stays the old one. */
static void test_failed_slot_commit_moves_nothing(void **state)
{
        struct fixture *f = *state;
        char before[8192], after[8192], crt[512];
        struct vt_slot next = *vt_piv_slot(vt_piv_of(f->img), 0x9A);
        struct piv_change ch = {.kind = PIV_CHANGE_SLOT, .st = vt_piv_of(f->img), .slot = &next};
        struct vt_file_store files;
        struct vt_image *b;

        vt_file_store_init(&files, f->dirfd, f->img);
        struct vt_store store = vt_file_store(&files);
        assert_non_null(next.key = vt_key_generate(VT_ALG_P256));
        next.cert = NULL;
        set_cert(&next, next.key, "new 9a");
        snprintf(crt, sizeof(crt), "%s/9a.crt.pem", f->dir);
        assert_int_equal(unlink(crt), 0);
        assert_int_equal(mkdir(crt, 0700), 0);
        snapshot(f->dir, before, sizeof(before));
        assert_int_equal(vt_store_commit(&store, &vt_unit_piv, &ch), -EISDIR);
        snapshot(f->dir, after, sizeof(after));
        assert_string_equal(before, after); /* no temporary file left either */
        assert_int_equal(rmdir(crt), 0);
        assert_int_equal(vt_save_unit(f->dir, f->img, &vt_unit_piv), 0);
        b = load_ok(f->dir);
        assert_int_equal(EVP_PKEY_eq(vt_piv_slot(vt_piv_of(b), 0x9A)->key,
                                     vt_piv_slot(vt_piv_of(f->img), 0x9A)->key),
                         1);
        vt_image_free(b);
        EVP_PKEY_free(next.key);
        free(next.cert);
}

static void test_no_temp_files_and_stale_ones_ignored(void **state)
{
        struct fixture *f = *state;
        char path[512];
        DIR *d;
        struct dirent *e;
        struct vt_image *b;

        for (int i = 0; i < 5; i++)
                assert_int_equal(vt_save_unit(f->dir, f->img, &vt_unit_piv), 0);
        assert_non_null(d = opendir(f->dir));
        while ((e = readdir(d)))
                assert_null(strstr(e->d_name, ".tmp"));
        closedir(d);
        /* what a crash in the middle of a write leaves behind: load ignores it and the
         * file store's first commit afterwards removes it, but nothing else */
        write_file(f->dir, ".state.Ab12Cd.tmp", "[pin]\nsalt = half");
        write_file(f->dir, "notes.tmp", "mine");
        b = load_ok(f->dir);
        snprintf(path, sizeof(path), "%s/.state.Ab12Cd.tmp", f->dir);
        assert_int_equal(access(path, F_OK), 0);
        struct vt_file_store fs;
        const struct piv_change ch = {
            .kind = PIV_CHANGE_OBJECT, .st = vt_piv_of(b), .tag = 0x5FC109};
        vt_file_store_init(&fs, f->dirfd, b);
        struct vt_store store = vt_file_store(&fs);
        assert_int_equal(vt_store_commit(&store, &vt_unit_piv, &ch), 0);
        assert_int_equal(access(path, F_OK), -1);
        snprintf(path, sizeof(path), "%s/notes.tmp", f->dir);
        assert_int_equal(access(path, F_OK), 0);
        vt_image_free(b);
}

static void test_corrupt_card_ini(void **state)
{
        struct fixture *f = *state;

        edit_file(f->dir, "card.ini", "serial = 4000000001", "serial = many");
        load_fails(f->dir, "card.ini:7", "bad serial");
}

static void test_card_ini_unknown_key(void **state)
{
        struct fixture *f = *state;

        edit_file(f->dir, "card.ini", "[puk]\n", "[puk]\ncolour = red\n");
        load_fails(f->dir, "card.ini", "unknown key 'colour'");
}

static void test_card_ini_syntax(void **state)
{
        struct fixture *f = *state;

        edit_file(f->dir, "card.ini", "[card]\n", "[card\n");
        load_fails(f->dir, "card.ini:2", "not a [section]");
}

static void test_card_ini_incomplete(void **state)
{
        struct fixture *f = *state;

        edit_file(f->dir, "card.ini", "guid = ", "; guid = ");
        load_fails(f->dir, "card.ini:2", "[card] has no guid; add it");
}

static void test_card_ini_binary(void **state)
{
        struct fixture *f = *state;
        char path[512];
        FILE *fp;

        snprintf(path, sizeof(path), "%s/card.ini", f->dir);
        assert_non_null(fp = fopen(path, "w"));
        fwrite("[card]\0\x01\x02", 1, 9, fp);
        fclose(fp);
        load_fails(f->dir, "card.ini", "not a text file");
}

static void test_missing_state(void **state)
{
        struct fixture *f = *state;
        char path[512];

        snprintf(path, sizeof(path), "%s/state", f->dir);
        unlink(path);
        load_fails(f->dir, "state", strerror(ENOENT));
}

static void test_corrupt_state(void **state)
{
        struct fixture *f = *state;

        edit_file(f->dir, "state", "tries_left = 14", "tries_left = 16");
        load_fails(f->dir, "state", "tries_left must be 0..15");
}

static void test_state_blocked_disagrees(void **state)
{
        struct fixture *f = *state;

        edit_file(f->dir, "state", "blocked = yes", "blocked = no");
        load_fails(f->dir, "state", "disagrees");
}

static void test_state_truncated(void **state)
{
        struct fixture *f = *state;

        write_file(f->dir, "state", "[pin]\nsalt = 00112233445566778899aabbccddeeff\n");
        load_fails(f->dir, "state:1", "[pin] has no hash; add it");
}

static void test_corrupt_key(void **state)
{
        struct fixture *f = *state;

        write_file(f->dir, "9c.key.pem",
                   "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        load_fails(f->dir, "9c.key.pem", "private key");
}

static void test_corrupt_cert(void **state)
{
        struct fixture *f = *state;

        write_file(f->dir, "9a.crt.pem", "hello\n");
        load_fails(f->dir, "9a.crt.pem", "certificate");
}

static void test_unreadable_file(void **state)
{
        struct fixture *f = *state;
        char path[512];

        if (geteuid() == 0) {
                /* root reads a 0000 file; a directory where a file should be fails the same way */
                snprintf(path, sizeof(path), "%s/9a.key.pem", f->dir);
                unlink(path);
                assert_int_equal(mkdir(path, 0700), 0);
                load_fails(f->dir, "9a.key.pem", "not a regular file");
                rmdir(path);
                return;
        }
        snprintf(path, sizeof(path), "%s/state", f->dir);
        assert_int_equal(chmod(path, 0), 0);
        load_fails(f->dir, "state", strerror(EACCES));
}

static void test_missing_image(void **state)
{
        char err[256];

        (void)state;
        assert_null(vt_image_load("/nonexistent/vt-image", err, sizeof(err)));
        assert_non_null(strstr(err, "/nonexistent/vt-image"));
        assert_non_null(strstr(err, strerror(ENOENT)));
}

/* Object files are named exactly as vt_save_object writes them; any other name is no object. */
static void test_object_file_names(void **state)
{
        static const char *const refused[] = {
            "obj- 5fc109.bin", "obj-+5fc109.bin", "obj-05fc109.bin", "obj-5FC109.bin",
            "obj-5fc109.binx", "obj-.bin",        "obj-1234567.bin", "obj-5fc109",
            "obj-0x7e.bin",    "xobj-7e.bin",     "obj-7e.bin.tmp",  ".obj-7e.bin.Ab12Cd.tmp",
        };
        uint32_t tag = 0;

        (void)state;
        assert_int_equal(vt_object_file_tag("obj-5fc109.bin", &tag), 0);
        assert_int_equal(tag, 0x5FC109);
        assert_int_equal(vt_object_file_tag("obj-7e.bin", &tag), 0);
        assert_int_equal(tag, 0x7E);
        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
                tag = 0x42;
                if (vt_object_file_tag(refused[i], &tag) != -1)
                        fail_msg("'%s' taken for object %x", refused[i], tag);
                assert_int_equal(tag, 0x42);
        }
}

static void test_empty_directory(void **state)
{
        char dir[64] = "/tmp/vt-empty-XXXXXX", path[128];

        (void)state;
        assert_non_null(mkdtemp(dir));
        assert_int_equal(vt_dir_is_empty(dir), 1);
        write_file(dir, ".hidden", "");
        assert_int_equal(vt_dir_is_empty(dir), 0);
        snprintf(path, sizeof(path), "%s/.hidden", dir);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(dir), 0);
        errno = 0;
        assert_int_equal(vt_dir_is_empty(dir), -1);
        assert_int_equal(errno, ENOENT);
}

/* A link planted among the image's files is never followed: not by the loader (the file named,
 * nothing read), not by a commit (which replaces the link, leaving its target alone). */
static void test_planted_link_refused(void **state)
{
        struct fixture *f = *state;
        char path[128], target[64] = "/tmp/vt-target-XXXXXX";
        int fd = mkstemp(target);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, "secret", 6), 6);
        close(fd);
        snprintf(path, sizeof(path), "%s/obj-5fc102.bin", f->dir);
        assert_int_equal(symlink("/etc/shadow", path), 0);
        load_fails(f->dir, "obj-5fc102.bin", "symbolic link");
        assert_int_equal(unlink(path), 0);

        snprintf(path, sizeof(path), "%s/9a.crt.pem", f->dir);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(symlink(target, path), 0);
        load_fails(f->dir, "9a.crt.pem", "symbolic link");

        snprintf(path, sizeof(path), "%s/state", f->dir);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(symlink(target, path), 0);
        assert_int_equal(vt_save_unit(f->dir, f->img, &vt_unit_piv), -1);
        assert_int_equal(errno, ELOOP);
        char buf[16] = "";
        fd = open(target, O_RDONLY);
        assert_int_equal(read(fd, buf, sizeof(buf)), 6);
        close(fd);
        assert_string_equal(buf, "secret");
        unlink(target);
}

/* The image directory itself: not a link, ours, 0700; each refusal names the path and the fix */
static void expect_dir_refused(const char *dir, const char *why, const char *fix)
{
        char err[512] = "";
        assert_int_equal(vt_dir_open(dir, err, sizeof(err)), -1);
        if (!strstr(err, dir) || !strstr(err, why) || !strstr(err, fix))
                fail_msg("'%s' should name %s, say '%s' and '%s'", err, dir, why, fix);
        assert_null(vt_image_load(dir, err, sizeof(err)));
        assert_int_equal(vt_save_unit(dir, NULL, &vt_unit_piv), -1);
}

static void test_image_dir_checked(void **state)
{
        struct fixture *f = *state;
        char link[96];

        snprintf(link, sizeof(link), "%s.link", f->dir);
        assert_int_equal(symlink(f->dir, link), 0);
        expect_dir_refused(link, "symbolic link", "not a link");
        unlink(link);

        assert_int_equal(chmod(f->dir, 0755), 0);
        expect_dir_refused(f->dir, "mode 0755", "chmod 700");
        assert_int_equal(chmod(f->dir, 0700), 0);
        if (geteuid() == 0) {
                assert_int_equal(chown(f->dir, 65534, 65534), 0);
                expect_dir_refused(f->dir, "belongs to uid 65534", "chown -R 0");
                assert_int_equal(chown(f->dir, 0, 0), 0);
        }
        struct vt_image *img = load_image_or_fail(f->dir, "the image back as it should be");
        vt_image_free(img);
}

/* One user at a time: a second lock is refused naming the holder; closing releases it */
static void test_image_lock(void **state)
{
        struct fixture *f = *state;
        char err[512] = "", want[64];

        int a = vt_dir_open(f->dir, NULL, 0), b = vt_dir_open(f->dir, NULL, 0);
        assert_int_equal(vt_dir_lock(a, f->dir, err, sizeof(err)), 0);
        assert_int_equal(vt_dir_lock(b, f->dir, err, sizeof(err)), -1);
        assert_int_equal(errno, EWOULDBLOCK);
        snprintf(want, sizeof(want), "in use by pid %ld", (long)getpid());
        if (!strstr(err, f->dir) || !strstr(err, want))
                fail_msg("'%s' should name %s and '%s'", err, f->dir, want);
        close(a);
        assert_int_equal(vt_dir_lock(b, f->dir, err, sizeof(err)), 0);
        close(b);
}

/* vt_image_parse reads the texts of card.ini and state as vt_image_load reads the files,
 * without them: the same identity and secrets, no slot files (nor [slot] sections, which
 * need them), errors named alike. */
static void test_parse_from_text(void **state)
{
        struct fixture *f = *state;
        char *card = strdup(read_text(f->dir, "card.ini")),
             *st = strdup(read_text(f->dir, "state"));
        char *slots = strstr(card, "\n[slot "); /* a [slot] section needs its files */
        size_t card_len, state_len = strlen(st);

        assert_non_null(slots);
        slots[1] = 0;
        card_len = strlen(card);
        char err[512] = "";
        struct vt_image *disk = load_ok(f->dir);
        struct vt_image *text =
            vt_image_parse("/x", card, card_len, st, state_len, err, sizeof(err));

        if (!text)
                fail_msg("parse failed: %s", err);
        assert_int_equal(text->atr_len, disk->atr_len);
        assert_memory_equal(text->atr, disk->atr, disk->atr_len);
        assert_int_equal(text->serial, disk->serial);
        assert_memory_equal(&vt_piv_of(text)->pin, &vt_piv_of(disk)->pin,
                            sizeof(vt_piv_of(disk)->pin));
        assert_memory_equal(&vt_piv_of(text)->puk, &vt_piv_of(disk)->puk,
                            sizeof(vt_piv_of(disk)->puk));
        assert_int_equal(vt_piv_of(text)->mgm_key_len, vt_piv_of(disk)->mgm_key_len);
        assert_memory_equal(vt_piv_of(text)->mgm_key, vt_piv_of(disk)->mgm_key,
                            vt_piv_of(disk)->mgm_key_len);
        assert_null(vt_piv_slot(vt_piv_of(text), 0x9A)->key);
        vt_image_free(text);
        vt_image_free(disk);

        assert_null(vt_image_parse("/x", card, card_len, st, state_len / 2, err, sizeof(err)));
        if (!strstr(err, "/x/state"))
                fail_msg("error '%s' should name /x/state", err);
        assert_null(
            vt_image_parse("/x", "[card]\natr = 3B\n", 16, st, state_len, err, sizeof(err)));
        if (!strstr(err, "/x/card.ini:2: bad atr '3B'"))
                fail_msg("error '%s' should name /x/card.ini, line 2 and the atr", err);
        free(card);
        free(st);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            T(test_round_trip),
            T(test_files_are_private_and_readable),
            T(test_commit_of_secrets_persists_tries),
            T(test_tries_clamped_to_limit),
            T(test_commit_of_slots_and_objects),
            T(test_failed_commit_leaves_old_files),
            T(test_failed_slot_commit_moves_nothing),
            T(test_no_temp_files_and_stale_ones_ignored),
            T(test_corrupt_card_ini),
            T(test_card_ini_unknown_key),
            T(test_card_ini_syntax),
            T(test_card_ini_incomplete),
            T(test_card_ini_binary),
            T(test_missing_state),
            T(test_corrupt_state),
            T(test_state_blocked_disagrees),
            T(test_state_truncated),
            T(test_corrupt_key),
            T(test_corrupt_cert),
            T(test_unreadable_file),
            T(test_planted_link_refused),
            T(test_image_dir_checked),
            T(test_image_lock),
            T(test_parse_from_text),
            cmocka_unit_test(test_missing_image),
            cmocka_unit_test(test_object_file_names),
            cmocka_unit_test(test_empty_directory),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
