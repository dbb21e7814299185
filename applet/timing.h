/* SPDX-License-Identifier: Apache-2.0 */
/* Timing personalities: how long a physical token takes for each command, so that a card can
 * answer in a real token's time (card.ini `timing = yubikey5`). The applets say what a command
 * is (an op: sign with an RSA-2048 key, VERIFY, read a certificate; vt_applet.op); a table says
 * what each op costs. Tables are named ("instant", the default, answers at once; "yubikey5", a
 * YubiKey 5 NFC's published figures, docs/timing.md) and a card may change rows of its table
 * (card.ini [timing]: `sign-rsa2048 = 250`). Pure: no clock here; the daemon holds the answer
 * (daemon/timing_hold.c). */
#ifndef VT_TIMING_H
#define VT_TIMING_H

#include "crypto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a command is, as a token's time for it was measured. A continuation (a part of a
 * chain, GET RESPONSE) is part of its command: the measured figures include them. */
enum vt_op_kind {
        VT_OP_OTHER = 0, /* any other whole command */
        VT_OP_SELECT,    /* SELECT of an applet */
        VT_OP_VERIFY,    /* a PIN check */
        VT_OP_READ_CERT, /* reading a certificate */
        VT_OP_SIGN,      /* a private-key signature (or authentication) */
        VT_OP_DECRYPT,   /* an RSA decryption */
        VT_OP_AGREE,     /* a key agreement (ECDH) */
        VT_OP_GENERATE,  /* a key generation */
        VT_OP_N
};

struct vt_op {
        uint8_t kind; /* enum vt_op_kind */
        uint8_t alg;  /* enum vt_crypto_alg of the key, for the kinds with a key; else NONE */
};

#define VT_TIMING_NAME_MAX 32

/* A table: the cost of each op in microseconds, and the name of the table it was made from. */
struct vt_timing {
        char name[VT_TIMING_NAME_MAX];
        uint32_t us[VT_OP_N][VT_CRYPTO_N_ALGS];
};

/* The named tables, in one list: "instant", "yubikey5"; NULL past the last. */
const char *vt_timing_at(size_t i);
/* What the table is, for `vtoken init --list timing`; NULL past the last. */
const char *vt_timing_about(size_t i);
/* What the table of that name is; "" for a name that is none of them. */
const char *vt_timing_about_named(const char *name);
/* The named table into t: 0, or -1 for a name that is none of them. */
int vt_timing_builtin(const char *name, struct vt_timing *t);
/* Whether t is the named table it was made from, no row changed. */
bool vt_timing_is_builtin(const struct vt_timing *t);

/* The cost of op in t, microseconds. */
uint32_t vt_timing_cost(const struct vt_timing *t, struct vt_op op);

/* The name of a row: "select", "sign-rsa2048" ...; false when no such row exists (an op
 * kind with an algorithm it does not take). */
bool vt_timing_row_name(struct vt_op op, char *buf, size_t n);
/* The rows, in a fixed order (for writing and listing): false past the last. */
bool vt_timing_row_at(size_t i, struct vt_op *op);
/* Sets the row named row to a value in milliseconds ("138", "138.491"; up to 60000 ms, at
 * most three decimals): 0, or -1 with why in err. */
int vt_timing_set(struct vt_timing *t, const char *row, const char *ms, char *err, size_t errlen);
/* The value of a row as vt_timing_set takes it: "138.491". */
void vt_timing_format_ms(uint32_t us, char *buf, size_t n);

/* Calls fn for each row of t that differs from its named table, in the rows' order, with its
 * name and cost. */
void vt_timing_each_change(const struct vt_timing *t,
                           void (*fn)(void *ctx, const char *row, uint32_t us), void *ctx);

struct vt_text;
/* card.ini's [timing] section: the rows of t that differ from its named table; nothing when
 * none does. */
void vt_timing_write(const struct vt_timing *t, struct vt_text *out);

#endif
