/* libFuzzer target: a card with the PIV applet (and the YubiKey management AID) takes a
 * sequence of command APDUs through vt_card_transmit, the entry point the daemon uses.
 *
 * Input: one byte of flags (bit 0: authenticate with the management key first, so that PUT
 * DATA, GENERATE, IMPORT KEY and the rest are reachable; bit 1: verify the PIN first), then
 * records of a 2-byte big-endian length and that many bytes of command APDU; a record of
 * length 0 resets the card. The card image lives in memory and in a directory under /dev/shm
 * (commits really write); it returns to its first state after each input, so that a run does
 * not depend on the inputs before it. */
#include "card.h"
#include "image.h"
#include "keygen.h"
#include "pin.h"
#include "piv.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FLAG_MGM_AUTH 0x01
#define FLAG_VERIFY   0x02

static const uint8_t mgm_key[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                                    5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};

static struct vt_image *img;
static struct vt_image first; /* scalars of the first state; slots with their own references */
static struct vt_card card;
static uint8_t out[VT_RAPDU_MAX];
static char image_dir[64];

static void remove_image(void)
{
        DIR *d = opendir(image_dir);
        struct dirent *e;
        char path[128];
        while (d && (e = readdir(d))) {
                snprintf(path, sizeof(path), "%s/%s", image_dir, e->d_name);
                if (e->d_name[0] != '.')
                        unlink(path);
        }
        if (d)
                closedir(d);
        rmdir(image_dir);
        for (size_t i = 0; i < VT_SLOTS; i++) {
                EVP_PKEY_free(first.slots[i].key);
                free(first.slots[i].cert);
        }
        vt_image_free(img);
}

static void put_key(uint8_t ref, uint8_t alg, bool real_cert)
{
        struct vt_slot *s = vt_image_slot(img, ref);
        if (!(s->key = vt_key_generate(alg)))
                abort();
        s->alg = alg;
        if (real_cert) {
                X509_NAME *name = vt_dn_parse("/CN=fuzz attestation");
                X509 *x = name ? vt_cert_make(s->key, name, NULL, NULL, 30, 1) : NULL;
                if (!x || vt_cert_der(x, &s->cert, &s->cert_len) != 0)
                        abort();
                X509_free(x);
                X509_NAME_free(name);
                return;
        }
        /* a certificate-shaped blob is enough for GET DATA */
        s->cert_len = 300;
        s->cert = calloc(1, s->cert_len);
        s->cert[0] = 0x30;
}

static void make_image(void)
{
        uint8_t padded[8];
        snprintf(image_dir, sizeof(image_dir), "/dev/shm/vt-fuzz-XXXXXX");
        if (!mkdtemp(image_dir)) {
                snprintf(image_dir, sizeof(image_dir), "/tmp/vt-fuzz-XXXXXX");
                if (!mkdtemp(image_dir))
                        abort();
        }
        if (!(img = vt_image_new(image_dir)))
                abort();
        atexit(remove_image);
        img->yubikey_mgmt_aid = true;
        img->version[0] = 5;
        img->version[1] = 7;
        img->version[2] = 1;
        vt_pin_pad("123456", padded);
        vt_secret_set(&img->pin, padded);
        vt_pin_pad("12345678", padded);
        vt_secret_set(&img->puk, padded);
        memcpy(img->mgm_key, mgm_key, sizeof(mgm_key));
        img->mgm_key_len = sizeof(mgm_key);
        put_key(0x9A, VT_ALG_RSA1024, false);
        put_key(0x9C, VT_ALG_P256, false);
        put_key(0x9D, VT_ALG_P384, false);
        put_key(0x9E, VT_ALG_ED25519, false);
        put_key(0x82, VT_ALG_X25519, false);
        put_key(0x83, VT_ALG_RSA2048, false);
        put_key(0xF9, VT_ALG_P256, true);
        if (vt_image_commit_all(img) != 0)
                abort();
        first = *img;
        for (size_t i = 0; i < VT_SLOTS; i++) {
                struct vt_slot *s = &first.slots[i];
                if (s->key)
                        EVP_PKEY_up_ref(s->key);
                if (s->cert) {
                        s->cert = malloc(s->cert_len);
                        memcpy(s->cert, img->slots[i].cert, s->cert_len);
                }
        }
}

/* Back to the first state: keys, certificates, objects, secrets, management key. */
static void restore_image(void)
{
        for (size_t i = 0; i < VT_SLOTS; i++) {
                struct vt_slot *s = &img->slots[i];
                const struct vt_slot *f = &first.slots[i];
                EVP_PKEY_free(s->key);
                free(s->cert);
                *s = *f;
                if (s->key)
                        EVP_PKEY_up_ref(s->key);
                if (s->cert) {
                        s->cert = malloc(f->cert_len);
                        memcpy(s->cert, f->cert, f->cert_len);
                }
        }
        for (size_t i = 0; i < img->n_objects; i++)
                free(img->objects[i].data);
        img->n_objects = 0;
        img->pin = first.pin;
        img->puk = first.puk;
        img->mgm_alg = first.mgm_alg;
        memcpy(img->mgm_key, first.mgm_key, sizeof(img->mgm_key));
        img->mgm_key_len = first.mgm_key_len;
        img->mgm_touch = first.mgm_touch;
}

static size_t send(const char *hex, size_t n)
{
        return vt_card_transmit(&card, (const uint8_t *)hex, n, out);
}

/* Mutual authentication with the management key, as ykpiv does it. */
static void authenticate(void)
{
        uint8_t step2[5 + 22] = {0x00, 0x87, 0x03, 0x9B, 0x16, 0x7C, 0x14, 0x80, 0x08};
        int n = 0;
        if (send("\x00\x87\x03\x9B\x04\x7C\x02\x80\x00", 9) != 14)
                return;
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        if (ctx && EVP_DecryptInit_ex(ctx, EVP_des_ede3_ecb(), NULL, mgm_key, NULL) == 1 &&
            EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
            EVP_DecryptUpdate(ctx, step2 + 9, &n, out + 4, 8) == 1) {
                memcpy(step2 + 17, "\x81\x08challen!", 10);
                vt_card_transmit(&card, step2, sizeof(step2), out);
        }
        EVP_CIPHER_CTX_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vt_applet app;
        if (!img)
                make_image();
        if (size < 1)
                return 0;
        struct vt_piv *piv = vt_piv_new(img);
        if (!piv)
                return 0;
        vt_card_init(&card, (const uint8_t *)"\x3B\x80\x80\x01\x01", 5);
        vt_piv_applet(piv, &app);
        vt_card_add_applet(&card, &app);
        vt_piv_mgmt_applet(piv, &app);
        vt_card_add_applet(&card, &app);
        vt_card_power_on(&card);
        send("\x00\xA4\x04\x00\x05\xA0\x00\x00\x03\x08", 10);
        if (data[0] & FLAG_MGM_AUTH)
                authenticate();
        if (data[0] & FLAG_VERIFY)
                send("\x00\x20\x00\x80\x08\x31\x32\x33\x34\x35\x36\xFF\xFF", 13);
        data++;
        size--;

        while (size >= 2) {
                size_t n = (size_t)(data[0] << 8 | data[1]);
                data += 2;
                size -= 2;
                if (n > size)
                        n = size;
                if (n == 0) {
                        vt_card_reset(&card);
                        continue;
                }
                size_t r = vt_card_transmit(&card, data, n, out);
                if (r < 2 || r > VT_RAPDU_MAX)
                        abort();
                data += n;
                size -= n;
        }
        vt_card_power_off(&card);
        vt_piv_free(piv);
        restore_image();
        return 0;
}
