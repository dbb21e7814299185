/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the two INI files of a card image, card.ini and state, read by
 * vt_image_parse() (store/image_load.c) as vt_image_load() reads them, without files.
 *
 * Input: card.ini, then a NUL byte, then state (no NUL: state is empty).
 *
 * Checked beside the sanitizers: a failure says why, naming the file; a loaded image keeps
 * the rules every applet relies on: an ATR of 2 to 33 bytes, retry limits 1..15 with tries left
 * within them, a PIN length range within 1..8, a management key of its algorithm's length. */
#include "piv_state.h"
#include "image_store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_secret(const struct vt_secret *s)
{
        if (s->max_tries < 1 || s->max_tries > VT_PIV_TRIES_MAX || s->tries_left > s->max_tries)
                abort();
}

static void check_image(const struct vt_image *img)
{
        size_t key = vt_piv_of(img)->mgm_alg == VT_ALG_AES128   ? 16
                     : vt_piv_of(img)->mgm_alg == VT_ALG_AES256 ? 32
                                                                : 24;
        if (img->atr_len < 2 || img->atr_len > sizeof(img->atr))
                abort();
        check_secret(&vt_piv_of(img)->pin);
        check_secret(&vt_piv_of(img)->puk);
        if (vt_piv_of(img)->pin_rules.min_len < 1 ||
            vt_piv_of(img)->pin_rules.min_len > vt_piv_of(img)->pin_rules.max_len ||
            vt_piv_of(img)->pin_rules.max_len > 8)
                abort();
        if (vt_piv_of(img)->mgm_key_len != key)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = (const char *)data;
        const char *nul = memchr(text, '\0', size);
        size_t card_len = nul ? (size_t)(nul - text) : size;
        const char *state = nul ? nul + 1 : "";
        size_t state_len = nul ? size - card_len - 1 : 0;
        char err[300] = "";
        struct vt_image *img =
            vt_image_parse("/fuzz", text, card_len, state, state_len, err, sizeof(err));
        if (!img) {
                /* a refusal names the image's file: card.ini, state, or a file of a unit the
                 * card carries (fido.ini for `applet = fido`, which this target has not) */
                if (strncmp(err, "/fuzz/", 6) != 0 || !strchr(err + 6, ':'))
                        abort();
                return 0;
        }
        check_image(img);
        vt_image_free(img);
        return 0;
}
