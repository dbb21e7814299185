/* SPDX-License-Identifier: Apache-2.0 */
/* The applets a card can carry: one registry row (struct vt_applet_unit) per applet, end to
 * end: its name as card.ini's applets lists it, its AID, its YubiKey capability bit, how it is
 * installed into a card, its persistent state (new, clone, free, apply a change), its store
 * codec (its files in an image), its `vtoken show` section, and its card-level choices.
 *
 * Adding an applet: its folder applet/NAME/ (picked up by the build), a row
 * `const struct vt_applet_unit vt_unit_NAME` defined there, and one line VT_UNIT(NAME) in
 * applet/units.def. Nothing else in applet/, store/, cli/ or the daemon names an applet: they
 * loop over the units of an image (struct vt_image of applet/image.h). */
#ifndef VT_REGISTRY_H
#define VT_REGISTRY_H

#include "card.h"
#include "pin_rules.h"
#include "image.h"
#include "store.h"
#include "text.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* YubiKey capability bits (READ CONFIG's tags 03 and 0D, ykman's CAPABILITY). */
#define VT_YK_CAP_OTP     0x0001
#define VT_YK_CAP_U2F     0x0002
#define VT_YK_CAP_OPENPGP 0x0008
#define VT_YK_CAP_PIV     0x0010
#define VT_YK_CAP_OATH    0x0020
#define VT_YK_CAP_FIDO2   0x0200

/* ---- the store codec: an applet's files in an image, without touching a file ------------ */

/* What the store gives a codec to read an image with. Names are plain file names of the image
 * directory ("oath.ini"), never paths. */
struct vt_codec_reader {
        /* The whole file, malloc'ed and NUL-terminated (data[len] == 0; the caller frees it,
         * wiping it first when it may hold secrets). 0; -ENOENT when the file is absent; another
         * negative errno when it cannot be read (too large, a link, I/O). */
        int (*read)(void *ctx, const char *name, uint8_t **data, size_t *len);
        /* Calls fn(arg, name) for each file of the image (in no order); stops at and returns
         * the first nonzero fn returns; 0 after all, or a negative errno. */
        int (*each)(void *ctx, int (*fn)(void *arg, const char *name), void *arg);
        void *ctx;
};

/* Where a codec puts what it saves: the store gathers every put and remove of one save or
 * commit into one atomic batch (all written first, then all put in place), so the files of an
 * image are never half of one change. */
struct vt_codec_sink {
        /* The new content of a file (copied before it returns). 0 or a negative errno. */
        int (*put)(void *ctx, const char *name, const void *data, size_t len);
        /* The file goes away (nothing when it is absent). 0 or a negative errno. */
        int (*remove)(void *ctx, const char *name);
        /* card.ini is rewritten with this unit's state replaced by `proposed` (the unit's
         * card.ini lines come from its ini_write). 0 or a negative errno. */
        int (*card_ini)(void *ctx, const struct vt_applet_unit *unit, const void *proposed);
        void *ctx;
};

/* A unit's store codec; every hook is optional (NULL: the unit has nothing there). card is the
 * card being loaded or saved (its identity is set before a unit's hooks run; dir names it in
 * messages). Load hooks put a message naming the file (dir/name[:line]) and the reason in err
 * and return -1. */
struct vt_unit_codec {
        /* A key of card.ini, in [card] or in a section of its own ([pin], [slot 9a] ...): 1 when
         * the unit took it, 0 when it is not the unit's, -1 when it is the unit's and wrong
         * (message in err: the caller adds file and line). */
        int (*ini_key)(const struct vt_image *card, void *state, const char *section,
                       const char *key, const char *value, char *err, size_t errlen);
        /* The unit's lines of card.ini's [card] section ("key = value\n"), and then its own
         * sections (called twice: card_keys true, then false). */
        void (*ini_write)(const struct vt_image *card, const void *state, bool card_keys,
                          struct vt_text *t);
        /* Reads the unit's own files into state (made by state_new, with card.ini's keys
         * already given). 0 or -1. */
        int (*load)(const struct vt_image *card, void *state, const struct vt_codec_reader *rd,
                    char *err, size_t errlen);
        /* Puts every file of the unit's state (a whole image is written). 0 or a negative
         * errno. */
        int (*save)(const struct vt_image *card, const void *state,
                    const struct vt_codec_sink *sink);
        /* Puts the files one change of the unit (as its applet handed it to vt_store_commit)
         * touches; state is the unit's state as the store holds it now. 0 or a negative errno. */
        int (*commit)(const struct vt_image *card, const void *state, const void *change,
                      const struct vt_codec_sink *sink);
};

/* ---- show: what `vtoken show` says of a unit, as text and as JSON ------------------------- */

/* An emitter a unit's show hook writes through; cli/show renders it as text (indented
 * "key: value" lines) and as JSON (objects and arrays). Keys are JSON member names
 * (lower_case); the text uses them as they are. */
struct vt_show {
        void (*str)(void *ctx, const char *key, const char *value);
        void (*num)(void *ctx, const char *key, long long value);
        void (*flag)(void *ctx, const char *key, bool value);
        /* A section: a JSON object (key NULL inside a list), an indented block in text. */
        void (*begin)(void *ctx, const char *key);
        /* A list: a JSON array of what follows until its end. */
        void (*begin_list)(void *ctx, const char *key);
        /* Closes the last begin or begin_list. */
        void (*end)(void *ctx);
        void *ctx;

        /* For a unit whose row sets show_verbatim (a layout of its own: PIV's and OpenPGP's
         * aligned text columns, PIV's JSON members at the top of show's object). The calls
         * above are not used then; the unit writes its whole part, text or JSON as asked. */
        bool json;
        /* Writes its part verbatim (printf's format). */
        void (*put)(void *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
        /* Writes s as a JSON string: quoted, '"', '\\' and control characters escaped. */
        void (*quoted)(void *ctx, const char *s);
        /* What the showing program computes for the unit; NULL when it gives nothing. */
        const struct vt_show_host *host;
};

/* The PKCS#11 token OpenSC makes of a card (CK_TOKEN_INFO's fields, trailing blanks removed),
 * and one slot's objects: the CKA_ID shared by key, public key and certificate, their labels. */
struct vt_p11_token {
        char label[33], manufacturer[33], model[33], serial[17];
};
struct vt_p11_slot {
        uint8_t id;
        char key_label[40], pubkey_label[40], cert_label[48];
};

/* What a program showing a card (cli/show.c) knows that the applet library does not: OpenSC's
 * names for it (cli/pkcs11_names.c), the files beside the image, what `vtoken init` just did.
 * Every hook may be NULL. */
struct vt_show_host {
        /* OpenSC's token of the card into t: 0, or -1 when OpenSC's PIV driver does not read it. */
        int (*p11_token)(const struct vt_image *card, struct vt_p11_token *t);
        /* The objects of PIV slot ref: 0, or -1 for a slot OpenSC does not show. */
        int (*p11_slot)(uint8_t ref, struct vt_p11_slot *s);
        /* The token's RFC 7512 URI, with ";id=%XX;object=LABEL;type=TYPE" when label is set. */
        void (*p11_uri)(const struct vt_p11_token *t, const uint8_t *id, const char *label,
                        const char *type, char *out, size_t cap);
        /* The path of the image's file name when it exists, else "" (into out). */
        void (*image_file)(const struct vt_image *card, const char *name, char *out, size_t cap);
        /* Slots whose imported key got a certificate from `vtoken init` (PIV references). */
        const uint8_t *made_certs;
        size_t n_made_certs;
};

/* ---- vtoken init: options of a unit's own -------------------------------------------------- */

/* An option of `vtoken init` that belongs to a unit (OATH's --oath URI), repeatable; cli/init.c
 * builds its option list and --help from the rows. */
struct vt_unit_option {
        const char *name; /* "oath": --oath */
        const char *arg;  /* its argument as --help names it: "URI" */
        const char *help; /* what it does, for --help: lines of at most 56 characters, each
                             ending in "\n" */
        /* One value, checked as given, before anything is made: 0, or -1 with why in err.
         * NULL: apply alone judges. */
        int (*check)(const char *value, char *err, size_t errlen);
        /* The values given (in order) put into the card img being made, after the profile's
         * defaults and before anything is written: 0, or -1 with the message in err (a usage
         * error: "--oath: ..."). */
        int (*apply)(struct vt_image *img, const char *const *values, size_t n, char *err,
                     size_t errlen);
};

/* ---- profile defaults: the PINs a card is made with --------------------------------------- */

/* What a profile (and vtoken init's --pin, --puk, --retries) gives every unit of a card being
 * made; each unit takes what it has a use for, with its own limits and defaults. */
struct vt_unit_pins {
        const char *profile;              /* the profile's name, for messages */
        const char *pin;                  /* the card's PIN: --pin, the profile's, or drawn */
        const char *puk;                  /* --puk; NULL: the profile's, or the unit's own */
        const char *profile_puk;          /* the profile's PUK */
        uint8_t pin_tries, puk_tries;     /* the profile's, or --retries */
        const struct vt_pin_rules *rules; /* the profile's PIN policy */
};

/* ---- the row ------------------------------------------------------------------------------ */

struct vt_applet_unit {
        const char *name;   /* as card.ini's applets lists it: "piv", "openpgp", "oath" */
        const char *title;  /* for people: "PIV", "OpenPGP", "OATH" */
        const uint8_t *aid; /* the AID it answers SELECT of (a prefix: OpenPGP's adds maker and
                               serial); NULL for none */
        size_t aid_len;
        uint16_t yk_capability; /* VT_YK_CAP_*: what READ CONFIG of the YubiKey management
                                   applet reports when the card carries this unit; 0 for none */
        bool hidden;            /* a card-level unit every card may carry without card.ini naming it
                                   (the YubiKey management applet); never written to applets = */

        /* Its state: a new one in its factory condition, the profile defaults, for card (whose
         * identity is set); a deep copy; free (wiping secrets; NULL is fine); apply a change as
         * its applet handed it to vt_store_commit (a copy of what the change holds: the
         * change's memory stays the applet's). new and clone return NULL when out of memory;
         * apply 0 or -1. A unit without persistent state has all four NULL. */
        void *(*state_new)(const struct vt_image *card);
        void *(*state_clone)(const void *state);
        void (*state_free)(void *state);
        int (*state_apply)(void *state, const void *change);
        /* The card got a new identity (vt_image_new_identity: a copy is another card); NULL
         * when the state keeps nothing of it. */
        void (*identity)(void *state, const struct vt_image *card);

        /* Puts the unit's applet(s) into card c, over state (kept, not copied: it must outlive
         * the card) and committing to store; the card frees them (vt_card_release). 0 or -1
         * (out of memory, card full). */
        int (*install)(struct vt_card *c, struct vt_image *img, void *state,
                       const struct vt_store *store);

        struct vt_unit_codec codec;

        /* Its section of `vtoken show`; NULL for none. */
        void (*show)(const struct vt_image *card, const void *state, const struct vt_show *out);
        /* show writes its part itself through out->put (struct vt_show), heading and JSON
         * member names included, and is also called, with state NULL, for a card that does not
         * carry the unit (its JSON then says so; its text is nothing). */
        bool show_verbatim;

        /* The profile's PINs into the unit's state of a card being made (after state_new). 0;
         * -1 with the message in err; -2 when a value given does not fit the unit (a usage
         * error: "the PIN must have 6 to 8 characters"). NULL: the unit has no PIN. */
        int (*set_pins)(void *state, const struct vt_unit_pins *pins, char *err, size_t errlen);

        /* Its options of `vtoken init`; NULL (and 0) for none. */
        const struct vt_unit_option *init_options;
        size_t n_init_options;
};

/* ---- what rows share ---------------------------------------------------------------------- */

/* A row's state clone and free over its state type's own functions (typed: CLONE(const TYPE *)
 * and FREE(TYPE *)): defines the static unit_state_clone and unit_state_free. */
#define VT_UNIT_CLONE_FREE(TYPE, CLONE, FREE)                                                      \
        static void *unit_state_clone(const void *st)                                              \
        {                                                                                          \
                return CLONE((const TYPE *)st);                                                    \
        }                                                                                          \
        static void unit_state_free(void *st)                                                      \
        {                                                                                          \
                FREE((TYPE *)st);                                                                  \
        }

/* A row's state_apply for a unit whose change holds the whole proposed state, `next` (a
 * struct copied by value: no pointers of its own): defines the static unit_state_apply. */
#define VT_UNIT_APPLY_NEXT(TYPE, CHANGE)                                                           \
        static int unit_state_apply(void *st, const void *change)                                  \
        {                                                                                          \
                *(TYPE *)st = *((const CHANGE *)change)->next;                                     \
                return 0;                                                                          \
        }

/* The four state hooks of a row, from the static unit_state_new, unit_state_clone,
 * unit_state_free and unit_state_apply its file defines (the two macros above, or its own). */
#define VT_UNIT_STATE_HOOKS                                                                        \
        .state_new = unit_state_new, .state_clone = unit_state_clone,                              \
        .state_free = unit_state_free, .state_apply = unit_state_apply

/* ---- the registry ------------------------------------------------------------------------- */

/* The units this build has, in applet/units.def's order; NULL past the last. */
const struct vt_applet_unit *vt_unit_at(size_t i);
/* The unit named name (as card.ini's applets lists it); NULL for an unknown name. */
const struct vt_applet_unit *vt_unit_find(const char *name);
/* Whether name is an applet this build knows. */
int vt_applet_known(const char *name);
/* The names of the units card.ini may list, sep between them ("piv openpgp oath"). */
void vt_unit_names(char *out, size_t n, const char *sep);

/* Parses card.ini's applets value: the units it names, space-separated, in order; also the
 * earlier single-key forms applet = piv | openpgp | piv+openpgp ('+' separates like a space).
 * 0, or -1 with the unknown or repeated name in err. */
int vt_units_parse(const char *value, const struct vt_applet_unit **out, size_t cap, size_t *n,
                   char *err, size_t errlen);

/* Sets card c up for image img: its ATR, and the applets of each unit the image carries, over
 * the unit's state and committing to store. 0, or -1 with the reason in err (out of memory).
 * The card owns the applets: vt_card_release frees them. */
int vt_card_setup(struct vt_card *c, struct vt_image *img, const struct vt_store *store, char *err,
                  size_t errlen);

/* The YubiKey capabilities of the units img carries (the OR of their yk_capability). */
uint16_t vt_image_yk_capabilities(const struct vt_image *img);

#endif
