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

#endif
