/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: command APDUs to a card carrying every applet (fuzz_cardlib.h: the input's
 * form and the checks), through vt_card_transmit, the entry point the daemon uses, with PIV
 * selected first. Flags: bit 0 authenticates with the management key first, so that PUT DATA,
 * GENERATE, IMPORT KEY and the rest are reachable; bit 1 verifies the PIN first. */
#include "fuzz_cardlib.h"

#include <openssl/evp.h>

#include <stdlib.h>

#define FLAG_MGM_AUTH 0x01
#define FLAG_VERIFY   0x02

/* Mutual authentication with the management key, as ykpiv does it; it must succeed, or the
 * inputs that need it would test nothing. */
static void authenticate(void)
{
        /* 7C 14 { 80 08 <the witness decrypted>, 81 08 <our challenge> } */
        uint8_t step2[5 + 22] = {0x00, 0x87, 0x03, 0x9B, 0x16, 0x7C, 0x14, 0x80, 0x08, [17] = 0x81,
                                 0x08, 'c',  'h',  'a',  'l',  'l',  'e',  'n',  '!'};
        int n = 0;
        if (fuzz_send("\x00\x87\x03\x9B\x04\x7C\x02\x80\x00", 9) != 14)
                abort();
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        if (!ctx || EVP_DecryptInit_ex(ctx, EVP_des_ede3_ecb(), NULL, fuzz_mgm_key, NULL) != 1 ||
            EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
            EVP_DecryptUpdate(ctx, step2 + 9, &n, fuzz_out + 4, 8) != 1 ||
            vt_card_transmit(&fuzz_card, step2, sizeof(step2), fuzz_out) != 2 + 12 ||
            fuzz_out[12] != 0x90)
                abort();
        EVP_CIPHER_CTX_free(ctx);
}

static void preamble(unsigned flags)
{
        fuzz_send_ok("\x00\xA4\x04\x00\x05\xA0\x00\x00\x03\x08", 10);
        if (flags & FLAG_MGM_AUTH)
                authenticate();
        if (flags & FLAG_VERIFY)
                fuzz_send_ok("\x00\x20\x00\x80\x08\x31\x32\x33\x34\x35\x36\xFF\xFF", 13);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        return fuzz_card_run(data, size, preamble);
}
