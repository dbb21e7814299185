/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: command APDUs to the OpenPGP applet of a card carrying every applet
 * (fuzz_cardlib.h: the input's form and the checks), selected first by its AID prefix as GnuPG
 * does. Flags: bit 0 verifies PW3 (the admin PIN) first, so that PUT DATA, GENERATE, key import
 * and the rest are reachable; bit 1 verifies PW1 for signing (81) and for the other operations
 * (82) first. */
#include "fuzz_cardlib.h"

#define FLAG_PW3 0x01
#define FLAG_PW1 0x02

static void preamble(unsigned flags)
{
        fuzz_send_ok("\x00\xA4\x04\x00\x06\xD2\x76\x00\x01\x24\x01", 11);
        if (flags & FLAG_PW3)
                fuzz_send_ok("\x00\x20\x00\x83\x08"
                             "12345678",
                             13);
        if (flags & FLAG_PW1) {
                fuzz_send_ok("\x00\x20\x00\x81\x06"
                             "123456",
                             11);
                fuzz_send_ok("\x00\x20\x00\x82\x06"
                             "123456",
                             11);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        return fuzz_card_run(data, size, preamble);
}
