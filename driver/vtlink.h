/* SPDX-License-Identifier: Apache-2.0 */
/* The wire between vtokend and vtoken's reader driver (libifdvtoken.so, loaded by pcscd): a
 * local stream socket that vtokend listens on and the driver connects to, one per card.
 *
 * Every message, both ways: a 4-byte header (type, then the body's length in 24 bits, big
 * endian) and the body. One connection carries at most one insertion of the card: vtokend
 * says HELLO (protocol version, card present or not) first, PRESENT when the card is inserted
 * later, and closes the connection when the card is removed, so nothing of a removed card can
 * reach the next one. The driver asks one thing at a time (POWER_ON, POWER_OFF, RESET, APDU)
 * and vtokend answers it (ATR, DONE, RAPDU, or NOCARD), sending WAIT meanwhile while an answer
 * takes long (a touch, a delay), so a silent vtokend can be told from a busy one.
 *
 * Pure: no sockets here. Shared by driver/ and daemon/, and fuzzed (tests/fuzz/fuzz_vtlink.c). */
#ifndef VT_VTLINK_H
#define VT_VTLINK_H

#include "rxbuf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VTL_VERSION  1
#define VTL_HEADER   4
#define VTL_BODY_MAX (65536 + 16) /* an extended APDU, or a response of 65536 bytes + SW */
#define VTL_ATR_MAX  33
#define VTL_WAIT_MS  1000 /* vtokend sends WAIT this often while an answer is pending */

enum vtl_type {
        /* vtokend -> driver, unasked */
        VTL_HELLO = 0x01,   /* u8 version, u8 present (0 or 1) */
        VTL_PRESENT = 0x02, /* the card was inserted; empty */
        VTL_WAIT = 0x03,    /* still working on the command; empty */
        /* driver -> vtokend */
        VTL_POWER_ON = 0x10,  /* empty; answered with ATR */
        VTL_POWER_OFF = 0x11, /* empty; answered with DONE */
        VTL_RESET = 0x12,     /* empty; answered with ATR */
        VTL_APDU = 0x13,      /* a command APDU (at least 4 bytes); answered with RAPDU */
        /* vtokend -> driver, answers */
        VTL_ATR = 0x20,    /* the ATR, 2 to VTL_ATR_MAX bytes */
        VTL_DONE = 0x21,   /* empty */
        VTL_RAPDU = 0x22,  /* a response APDU, at least SW1 SW2 */
        VTL_NOCARD = 0x23, /* empty: no card in the reader, the request was not carried out */
};

struct vtl_msg {
        uint8_t type;
        const uint8_t *body;
        size_t len;
};

/* The receive side is the shared rxbuf (rxbuf.h) with this header; cap at least VTL_HEADER +
 * VTL_BODY_MAX. */
void vtl_rx_init(struct rxbuf *rx, uint8_t *buf, size_t cap);
/* 1 and the message when one is complete and well formed (vtl_valid), 0 when more bytes are
 * needed, -1 when the stream is broken (unknown type, bad length): close the connection. It
 * stays valid until rxbuf_consume(), which wipes it (a VERIFY carries a PIN). */
int vtl_rx_next(const struct rxbuf *rx, struct vtl_msg *m);

/* Whether a message of this type may carry a body of len bytes. */
bool vtl_valid(uint8_t type, const uint8_t *body, size_t len);

/* Writes the header for a body of len bytes placed at out + VTL_HEADER; returns the whole
 * message's length. */
size_t vtl_seal(uint8_t *out, uint8_t type, size_t len);

/* What the driver makes of the messages vtokend sends: the card's presence, and the answer to
 * the request in flight. Pure, so the fuzzer drives exactly what runs inside pcscd. */
struct vtl_driver {
        bool hello;    /* HELLO was received on this connection */
        bool present;  /* the card is in the reader */
        uint8_t asked; /* the request in flight (VTL_POWER_ON ...), 0 for none */
        bool answered; /* ... and its answer came: answer_type, answer, answer_len */
        uint8_t answer_type;
        uint8_t answer[VTL_BODY_MAX];
        size_t answer_len;
};

enum vtl_event {
        VTL_EV_NONE = 0,
        VTL_EV_PRESENCE = 1 << 0, /* present changed */
        VTL_EV_ANSWER = 1 << 1,   /* the request in flight has its answer */
        VTL_EV_ALIVE = 1 << 2,    /* vtokend is working on the request (WAIT) */
};

/* A new connection: nothing heard yet. */
void vtl_driver_reset(struct vtl_driver *d);
/* Takes one message; returns VTL_EV_* flags, or -1 when it breaks the protocol (the
 * connection is then closed): a message before HELLO, a second HELLO, another version, an
 * answer nobody asked for or of the wrong kind. */
int vtl_driver_take(struct vtl_driver *d, const struct vtl_msg *m);

#endif
