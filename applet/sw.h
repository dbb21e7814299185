/* SPDX-License-Identifier: Apache-2.0 */
/* ISO 7816-4 status words, by name. */
#ifndef VT_SW_H
#define VT_SW_H

#define SW_OK                            0x9000
#define SW_STILL_WORKING                 0x9100 /* CTAP over NFC: a keepalive, its status byte as data */
#define SW_BYTES_REMAINING(n)            (0x6100 | ((n) > 0xFF ? 0 : (n)))
#define SW_VERIFY_FAILED(tries)          (0x63C0 | (0x0F & (tries)))
#define SW_MEMORY_FAILURE                0x6581
#define SW_WRONG_LENGTH                  0x6700
#define SW_LOGICAL_CHANNEL_UNSUPPORTED   0x6881
#define SW_LAST_COMMAND_EXPECTED         0x6883
#define SW_SECURITY_STATUS_NOT_SATISFIED 0x6982
#define SW_AUTH_METHOD_BLOCKED           0x6983
#define SW_CONDITIONS_NOT_SATISFIED      0x6985
#define SW_COMMAND_NOT_ALLOWED           0x6986
#define SW_WRONG_DATA                    0x6A80
#define SW_FUNC_NOT_SUPPORTED            0x6A81
#define SW_FILE_NOT_FOUND                0x6A82
#define SW_NOT_ENOUGH_MEMORY             0x6A84
#define SW_INCORRECT_P1P2                0x6A86
#define SW_REFERENCE_NOT_FOUND           0x6A88
#define SW_INS_NOT_SUPPORTED             0x6D00
#define SW_CLA_NOT_SUPPORTED             0x6E00
#define SW_UNKNOWN                       0x6F00

/* Internal failures: what an applet returns where something that should not fail did. They are
 * no status words (SW1 0F never goes on the wire): the card (vt_card_execute) is the one place
 * that turns them into SW_UNKNOWN, 6F 00, and keeps the cause (vt_card_failure) for the one log
 * line the daemon writes. An applet never returns SW_UNKNOWN itself. */
#define SW_FAIL_CRYPTO   0x0F01 /* a crypto operation failed (sign, decrypt, HMAC, cipher) */
#define SW_FAIL_RANDOM   0x0F02 /* no random numbers */
#define SW_FAIL_KEYGEN   0x0F03 /* key generation failed */
#define SW_FAIL_ENCODE   0x0F04 /* a key or certificate could not be encoded */
#define SW_FAIL_STATE    0x0F05 /* the applet's state is not what it should be */
#define SW_FAIL_MEMORY   0x0F06 /* out of memory */
#define SW_FAIL_OVERFLOW 0x0F07 /* the answer did not fit its buffer */
#define SW_IS_FAIL(sw)   ((sw) >= SW_FAIL_CRYPTO && (sw) <= 0x0FFF)

#endif
