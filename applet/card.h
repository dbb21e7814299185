/* SPDX-License-Identifier: Apache-2.0 */
/* A card: power state, ATR, applets selected by AID, command chaining and GET RESPONSE.
 * The transport hands it whole command APDUs and gets whole response APDUs back.
 *
 * A command goes in two steps, so that the daemon can hold a command for a touch without
 * reading its bytes: vt_card_receive takes one APDU and either answers it at once (a part of
 * a chain, GET RESPONSE, a malformed command) or reports a whole command assembled, with what
 * its applet says of it (secret parts, touch); vt_card_execute then runs it. vt_card_transmit
 * does both. */
#ifndef VT_CARD_H
#define VT_CARD_H

#include "apdu.h"
#include "buf.h"
#include "timing.h"
#include "units_count.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VT_ATR_MAX      33
#define VT_CHAIN_MAX    16384 /* largest command after chaining */
#define VT_RESPONSE_MAX 16384 /* largest response an applet may build */
#define VT_RAPDU_MAX    (65536 + 2)

/* What an applet says of a command (after chaining): bits of vt_applet.secrecy. */
#define VT_SECRET_COMMAND  0x1u /* the command's data is secret (PIN, key, ...) */
#define VT_SECRET_RESPONSE 0x2u /* the answer's data is secret */

/* What an applet says of a command's need for a touch (vt_applet.touch). */
enum vt_touch_need {
        VT_TOUCH_NONE = 0,     /* no touch */
        VT_TOUCH_EACH = 1,     /* a touch for this command */
        VT_TOUCH_CACHABLE = 2, /* a touch, unless the same key was touched a moment ago */
        VT_TOUCH_POLL = 3      /* a poll of an applet that waits for a touch itself (its presence
                                  clock): held a moment, or until the touch, then run */
};

/* The card's presence clock, which whoever runs the card gives it (the daemon; a unit test):
 * what an applet that waits for the user itself asks (FIDO over NFC answers keepalives until
 * the touch). The card core keeps no clock of its own. All times on one monotonic clock, in
 * milliseconds; 0 is never. */
struct vt_presence {
        void *ctx;
        uint64_t (*now_ms)(void *ctx);
        uint64_t (*touched_ms)(void *ctx);  /* the card's last touch */
        uint64_t (*inserted_ms)(void *ctx); /* when the card was last put into its reader */
        uint32_t (*timeout_ms)(void *ctx);  /* how long a command waits for a touch */
        void (*want)(void *ctx, bool on);   /* an applet waits for a touch, or no longer */
};

/* What an applet shows in a card's status. */
struct vt_applet_status {
        bool pin_verified;
        unsigned pin_tries_left, pin_max_tries;
        unsigned puk_tries_left, puk_max_tries;
};

/* An applet's public face. `process` writes response data into `out` and returns the status
 * word; on any status but 9000 the data is discarded. `reset` runs on power off and reset, and
 * when another applet is selected, and clears all security state. The others are optional (NULL):
 *   secrecy    VT_SECRET_* bits for a command (whole, after chaining; for a chain under way,
 *              its header and the data gathered so far)
 *   touch      whether the command needs a touch; *key names the key a cached touch is for
 *   ins_name   "VERIFY", ... for traces; NULL for an unknown INS
 *   op         what the command is as a token's time for it is measured (applet/timing.h):
 *              the key's algorithm for a signature, ...; NULL: every command is VT_OP_OTHER
 *   quick      whether the command (not SELECT) only reads what the applet holds in memory:
 *              no store commit, no private-key operation, nothing that waits; the daemon may
 *              then run it on its event loop instead of the card's worker. NULL: none is
 *   status     PIN state for the card's status
 *   destroy    frees ctx when the card is released
 * process and select return a status word, or an internal failure SW_FAIL_* (sw.h) that the
 * card answers as 6F 00.
 * idle_get_response_sw is what GET RESPONSE with no answer pending gets while the applet is
 * selected (a YubiKey's PIV says 6A80); 0 for the ISO answer, 6985. proprietary_class: the
 * applet takes commands of class 80 (and 90, chained) while selected; others answer 6E00. */
struct vt_applet {
        const char *name;
        const uint8_t *aid;
        size_t aid_len;
        void *ctx;
        uint16_t (*select)(void *ctx, const struct apdu *a, struct writer *out);
        uint16_t (*process)(void *ctx, const struct apdu *a, struct writer *out);
        void (*reset)(void *ctx);
        unsigned (*secrecy)(void *ctx, const struct apdu *a);
        enum vt_touch_need (*touch)(void *ctx, const struct apdu *a, uint8_t *key);
        const char *(*ins_name)(uint8_t ins);
        struct vt_op (*op)(void *ctx, const struct apdu *a);
        bool (*quick)(void *ctx, const struct apdu *a);
        void (*status)(void *ctx, struct vt_applet_status *st);
        void (*destroy)(void *ctx);
        uint16_t idle_get_response_sw;
        bool proprietary_class;
};

/* A card holds one applet of each unit of the registry at most. */
#define VT_CARD_APPLETS_MAX VT_UNITS_COUNT

struct vt_card {
        uint8_t atr[VT_ATR_MAX];
        size_t atr_len;
        struct vt_applet applets[VT_CARD_APPLETS_MAX];
        size_t n_applets;
        int selected; /* index into applets, or -1 */
        bool powered;
        unsigned long commands;
        uint16_t failure; /* SW_FAIL_* of the last command answered 6F 00, else 0 */
        const struct vt_presence *presence; /* NULL: none (an applet gives presence at once) */

        /* command chaining: header of the chain and the data gathered so far */
        bool chaining;
        uint8_t chain_ins, chain_p1, chain_p2;
        unsigned chain_secrecy;
        size_t chain_len;
        uint8_t chain[VT_CHAIN_MAX];

        /* a whole command received and not yet executed */
        bool ready;
        struct apdu cmd;
        size_t ne;
        unsigned ready_secrecy;

        /* response data not yet fetched with GET RESPONSE */
        size_t pending_off, pending_len;
        bool pending_secret;
        uint8_t response[VT_RESPONSE_MAX];
};

void vt_card_init(struct vt_card *c, const uint8_t *atr, size_t atr_len);
/* The card owns the applet from this call on (its destroy runs in vt_card_release, or at once
 * when the card is full: -1). 0 or -1. */
int vt_card_add_applet(struct vt_card *c, const struct vt_applet *applet);
/* Destroys the applets (their destroy callbacks); the card has none left. */
void vt_card_release(struct vt_card *c);

void vt_card_power_on(struct vt_card *c);
void vt_card_power_off(struct vt_card *c);
void vt_card_reset(struct vt_card *c);

/* What vt_card_receive made of one APDU. */
struct vt_card_step {
        bool ready;       /* a whole command waits for vt_card_execute; else out holds the answer */
        size_t len;       /* the answer's length when !ready */
        unsigned secrecy; /* VT_SECRET_* of this APDU and of its answer */
        enum vt_touch_need touch; /* when ready */
        uint8_t touch_key;
        /* when ready: what the command is, for a timing table; an APDU answered at once (a
         * part of a chain, GET RESPONSE: their time is their command's) costs nothing */
        struct vt_op op;
        bool quick; /* when ready: its applet's quick says it only reads (struct vt_applet) */
};

/* Takes one command APDU. When the step is ready, cmd must stay unchanged until
 * vt_card_execute (the card refers to its data). out has room for VT_RAPDU_MAX bytes. */
void vt_card_receive(struct vt_card *c, const uint8_t *cmd, size_t len, uint8_t *out,
                     struct vt_card_step *step);
/* Runs the command vt_card_receive left ready; writes the response APDU and returns its
 * length (69 85 when none is ready, e.g. after a reset). An answer of 91xx carries its data
 * whole (CTAP's keepalive over NFC), like 9000's. */
size_t vt_card_execute(struct vt_card *c, uint8_t *out);

/* Both steps: processes one command APDU; writes the response APDU (data + SW1 SW2) to out,
 * which has room for VT_RAPDU_MAX bytes, and returns its length. Never fails: every command gets
 * a status word. */
size_t vt_card_transmit(struct vt_card *c, const uint8_t *cmd, size_t len, uint8_t *out);

/* What the applets would say of the secrets of an APDU the card is not given (one answered by
 * a fault): VT_SECRET_* bits, judged with the chain under way and the pending answer. */
unsigned vt_card_peek_secrecy(const struct vt_card *c, const uint8_t *cmd, size_t len);

/* Why the last command vt_card_execute ran was answered 6F 00 (an applet's SW_FAIL_*, sw.h),
 * for the caller's one log line; NULL when it was not. */
const char *vt_card_failure(const struct vt_card *c);
/* The name of the selected applet, or NULL. */
const char *vt_card_selected(const struct vt_card *c);
/* The status of the first applet that reports one; false when none does. */
bool vt_card_status(const struct vt_card *c, struct vt_applet_status *st);
/* The name of an instruction as the applets (or ISO 7816-4) call it; "INS XX" in buf else. */
const char *vt_card_ins_name(const struct vt_card *c, uint8_t ins, char buf[8]);

#endif
