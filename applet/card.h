/* A card: power state, ATR, applets selected by AID, command chaining and GET RESPONSE.
 * The transport hands it whole command APDUs and gets whole response APDUs back. */
#ifndef VT_CARD_H
#define VT_CARD_H

#include "apdu.h"
#include "buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VT_ATR_MAX      33
#define VT_CHAIN_MAX    16384 /* largest command after chaining */
#define VT_RESPONSE_MAX 16384 /* largest response an applet may build */
#define VT_RAPDU_MAX    (65536 + 2)

/* An applet's public face. `process` writes response data into `out` and returns the status
 * word; on any status but 9000 the data is discarded. `reset` runs on power off and reset
 * and clears all security state. */
struct vt_applet {
        const char *name;
        const uint8_t *aid;
        size_t aid_len;
        void *ctx;
        uint16_t (*select)(void *ctx, const struct apdu *a, struct writer *out);
        uint16_t (*process)(void *ctx, const struct apdu *a, struct writer *out);
        void (*reset)(void *ctx);
};

#define VT_CARD_APPLETS_MAX 4

struct vt_card {
        uint8_t atr[VT_ATR_MAX];
        size_t atr_len;
        struct vt_applet applets[VT_CARD_APPLETS_MAX];
        size_t n_applets;
        int selected; /* index into applets, or -1 */
        bool powered;
        unsigned long commands;

        /* command chaining: header of the chain and the data gathered so far */
        bool chaining;
        uint8_t chain_ins, chain_p1, chain_p2;
        size_t chain_len;
        uint8_t chain[VT_CHAIN_MAX];

        /* response data not yet fetched with GET RESPONSE */
        size_t pending_off, pending_len;
        uint8_t response[VT_RESPONSE_MAX];
};

void vt_card_init(struct vt_card *c, const uint8_t *atr, size_t atr_len);
int vt_card_add_applet(struct vt_card *c, const struct vt_applet *applet);

void vt_card_power_on(struct vt_card *c);
void vt_card_power_off(struct vt_card *c);
void vt_card_reset(struct vt_card *c);

/* Processes one command APDU; writes the response APDU (data + SW1 SW2) to out, which has
 * room for VT_RAPDU_MAX bytes, and returns its length. Never fails: every command gets a
 * status word. */
size_t vt_card_transmit(struct vt_card *c, const uint8_t *cmd, size_t len, uint8_t *out);

/* The name of the selected applet, or NULL. */
const char *vt_card_selected(const struct vt_card *c);

#endif
