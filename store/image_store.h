/* SPDX-License-Identifier: Apache-2.0 */
/* Card images on disk: loading an image directory, writing one whole, and the file store that
 * makes a card's changes durable (applet/store.h). The format is described in image_load.c and
 * in each applet's codec (applet/registry.h); the store does the file I/O for them. */
#ifndef VT_IMAGE_STORE_H
#define VT_IMAGE_STORE_H

#include "atomic.h"
#include "image.h"
#include "registry.h"
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
 * no other file of any applet (one that needs one fails); dir names it in messages. */
struct vt_image *vt_image_parse(const char *dir, const char *card_ini, size_t card_len,
                                const char *state, size_t state_len, char *err, size_t errlen);

/* Writes every file of img into dir (which must exist): each unit's files, then card.ini.
 * 0 or -1 (errno set). */
int vt_image_save(const char *dir, const struct vt_image *img);
/* card.ini alone; 0 or -1 (errno set). */
int vt_save_card(const char *dir, const struct vt_image *img);
/* The files of one unit the card carries (its codec's save; not card.ini); 0 or -1. */
int vt_save_unit(const char *dir, const struct vt_image *img, const struct vt_applet_unit *unit);

/* A codec's sink (applet/registry.h) over one batch of atomic writes (atomic.h) in the image
 * directory dirfd of img: what one commit puts goes in place together. */
struct vt_image_sink {
        struct vt_batch b;
        int dirfd;
        const struct vt_image *img;
        bool flush_when_full; /* a whole image: full batches put in place one after another */
};
void vt_image_sink_init(struct vt_image_sink *s, int dirfd, const struct vt_image *img,
                        struct vt_codec_sink *out);
/* Puts the batch in place when r is 0, drops it else; 0 or a negative errno. */
int vt_image_sink_end(struct vt_image_sink *s, int r);

/* 1 when dir holds no entries, 0 when it does, -1 (errno set) when it cannot be read. An empty
 * directory counts as a missing image. */
int vt_dir_is_empty(const char *dir);

/* The store of a loaded image: each change goes to the files of its directory, through the
 * codec of the unit that made it. */
struct vt_file_store {
        int dirfd;                  /* the image directory (image_dir.h), the caller's to close */
        const struct vt_image *img; /* the live image: each unit's state as the files hold it */
        /* the first commit removes the temporary files of writes a crash interrupted */
        bool swept;
};

/* Sets fs up for the image img loaded from the directory open as dirfd. */
void vt_file_store_init(struct vt_file_store *fs, int dirfd, const struct vt_image *img);
/* A vt_store over fs. */
struct vt_store vt_file_store(struct vt_file_store *fs);

#endif
