/* SPDX-License-Identifier: Apache-2.0 */
/* Card images on disk: loading an image directory, writing one whole, and the file store that
 * makes a card's changes durable (applet/store.h). The format is described in image_load.c. */
#ifndef VT_IMAGE_STORE_H
#define VT_IMAGE_STORE_H

#include "piv_state.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Loads the image in dir; on failure returns NULL and puts a message naming the file and the
 * reason in err. Never writes. dir must be ours and 0700, and no file is read through a link
 * (image_dir.h). */
struct vt_image *vt_image_load(const char *dir, char *err, size_t errlen);
/* The same from the directory open as dirfd (vt_dir_open); dir names it in messages. */
struct vt_image *vt_image_load_at(int dirfd, const char *dir, char *err, size_t errlen);

/* The same from the texts of card.ini and state, without files: the image they describe, with
 * no slot keys, certificates or objects; dir names it in messages. */
struct vt_image *vt_image_parse(const char *dir, const char *card_ini, size_t card_len,
                                const char *state, size_t state_len, char *err, size_t errlen);

/* Writes every file of img into dir (which must exist): slots, objects, card.ini, state. 0 or -1
 * (errno set). */
int vt_image_save(const char *dir, const struct vt_image *img);
/* The parts of it; 0 or -1 (errno set). A slot without key or certificate has its files
 * removed, an object of length 0 too. */
int vt_save_card(const char *dir, const struct vt_image *img);
int vt_save_state(const char *dir, const struct vt_image *img);
int vt_save_slot_files(const char *dir, const struct vt_slot *s);
int vt_save_object(const char *dir, uint32_t tag, const uint8_t *data, size_t len);
/* The OpenPGP application's files (openpgp.ini, keys, data objects). */
struct vt_pgp_state;
int vt_save_openpgp(const char *dir, const struct vt_pgp_state *st);

/* The same parts added to a batch of atomic writes (store/atomic.h), to be put in place
 * together: a slot's key and/or certificate file. 0 or -1 (errno set). */
struct vt_batch;
int vt_batch_card(struct vt_batch *b, const struct vt_image *img);
int vt_batch_state(struct vt_batch *b, const struct vt_image *img);
int vt_batch_slot(struct vt_batch *b, const struct vt_slot *s, bool key, bool cert);
int vt_batch_object(struct vt_batch *b, uint32_t tag, const uint8_t *data, size_t len);
/* The OpenPGP application st: the key files of the slots whose bit is set in keys (written, or
 * removed for an empty slot), the files of the data objects that differ from cur's (all
 * without cur), then openpgp.ini. */
struct vt_pgp_state;
int vt_batch_openpgp(struct vt_batch *b, const struct vt_pgp_state *cur,
                     const struct vt_pgp_state *st, unsigned keys);

/* The tag of an object file name ("obj-5fc109.bin", exactly as vt_save_object writes it); 0,
 * or -1 for any other name. */
int vt_object_file_tag(const char *name, uint32_t *tag);

/* Whether card.ini's applet carries the OpenPGP application (openpgp, piv+openpgp): its state
 * is then in openpgp.ini and openpgp-{sig,dec,aut}.key.pem, described in image_load.c. */
bool vt_applet_has_openpgp(const char *applet);

/* 1 when dir holds no entries, 0 when it does, -1 (errno set) when it cannot be read. An empty
 * directory counts as a missing image. */
int vt_dir_is_empty(const char *dir);

/* The store of a loaded image: each change goes to the files of dir (see
 * vt_file_store_commit). */
struct vt_file_store {
        int dirfd; /* the image directory (image_dir.h), the caller's to close */
        /* the retry limits card.ini holds: a change of the secrets rewrites card.ini first
         * when the proposed limits differ */
        uint8_t saved_pin_max, saved_puk_max;
        /* the first commit removes the temporary files of writes a crash interrupted */
        bool swept;
};

/* Sets fs up for the image img loaded from the directory open as dirfd. */
void vt_file_store_init(struct vt_file_store *fs, int dirfd, const struct vt_image *img);
/* A vt_store over fs. */
struct vt_store vt_file_store(struct vt_file_store *fs);

#endif
