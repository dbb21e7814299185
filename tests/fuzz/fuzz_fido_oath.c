/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: command APDUs to the FIDO applet (CTAP2 and U2F over ISO 7816) and the
 * OATH applet of a card carrying every applet (fuzz_cardlib.h: the input's form and the
 * checks). Flags: bit 0 selects OATH first, else FIDO; bit 1 then also sends FIDO's
 * authenticatorGetInfo (CTAP2 over the FIDO applet) or OATH's LIST, so that an input starts
 * past the first command each client sends. Any record may SELECT another applet. */
#include "fuzz_cardlib.h"

#define FLAG_OATH  0x01
#define FLAG_FIRST 0x02

static void preamble(unsigned flags)
{
        if (flags & FLAG_OATH) {
                fuzz_send_ok("\x00\xA4\x04\x00\x07\xA0\x00\x00\x05\x27\x21\x01", 12);
                if (flags & FLAG_FIRST)
                        fuzz_send_ok("\x00\xA1\x00\x00\x00", 5);
                return;
        }
        fuzz_send_ok("\x00\xA4\x04\x00\x08\xA0\x00\x00\x06\x47\x2F\x00\x01", 13);
        if (flags & FLAG_FIRST)
                fuzz_send_ok("\x80\x10\x00\x00\x01\x04", 6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        return fuzz_card_run(data, size, preamble);
}
