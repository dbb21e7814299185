/* libFuzzer target: a card with the PIV applet (and the YubiKey management AID) takes a
 * sequence of command APDUs through vt_card_transmit, the entry point the daemon uses.
 *
 * Input: records of a 2-byte big-endian length and that many bytes of command APDU; a record
 * of length 0 resets the card. The card image lives in memory and in a directory under
 * /dev/shm (commits really write); PIN and PUK return to their first state before each input
 * so that a run does not depend on the inputs before it. */
#include "card.h"
#include "image.h"
#include "keygen.h"
#include "pin.h"
#include "piv.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct vt_image *img;
static struct vt_secret pin0, puk0;
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
        vt_image_free(img);
}

static void put_key(uint8_t ref, uint8_t alg)
{
        struct vt_slot *s = vt_image_slot(img, ref);
        s->key = vt_key_generate(alg);
        s->alg = alg;
        if (!s->key)
                abort();
        /* a small certificate-shaped object is enough for GET DATA */
        s->cert_len = 300;
        s->cert = calloc(1, s->cert_len);
        s->cert[0] = 0x30;
}

static void make_image(void)
{
        static const uint8_t mgm[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                                        5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};
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
        memcpy(img->mgm_key, mgm, sizeof(mgm));
        img->mgm_key_len = sizeof(mgm);
        put_key(0x9A, VT_ALG_RSA1024);
        put_key(0x9C, VT_ALG_P256);
        put_key(0x9D, VT_ALG_P384);
        put_key(0x9E, VT_ALG_ED25519);
        put_key(0x82, VT_ALG_X25519);
        put_key(0x83, VT_ALG_RSA2048);
        if (vt_image_commit_all(img) != 0)
                abort();
        pin0 = img->pin;
        puk0 = img->puk;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (!img)
                make_image();
        img->pin = pin0;
        img->puk = puk0;
        struct vt_piv *piv = vt_piv_new(img);
        struct vt_applet app;
        if (!piv)
                return 0;
        vt_card_init(&card, (const uint8_t *)"\x3B\x80\x80\x01\x01", 5);
        vt_piv_applet(piv, &app);
        vt_card_add_applet(&card, &app);
        vt_piv_mgmt_applet(piv, &app);
        vt_card_add_applet(&card, &app);
        vt_card_power_on(&card);

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
        return 0;
}
