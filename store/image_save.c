/* SPDX-License-Identifier: Apache-2.0 */
/* Writing a card image: card.ini (the card's keys, then each unit's), and each unit's own files
 * through its codec (the format is described in image_load.c and the codecs). */
#include "image_store.h"

#include "atomic.h"
#include "image_dir.h"
#include "registry.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>

/* card.ini of img, the state of unit `unit` replaced by `proposed` (NULL: none replaced). */

/* card.ini's applet as the previous release spelled it, for the lists it read whole (a card
 * with PIV: its loader wants PIV's sections, which an OpenPGP card no longer has); NULL else. */
static const char *old_applet_name(const struct vt_image *img)
{
        static const char *const names[] = {"piv", "piv+openpgp"};
        char list[32] = "";
        size_t n = 0;

        for (size_t i = 0; i < img->n_units; i++) {
                int w = snprintf(list + n, sizeof(list) - n, "%s%s", n ? "+" : "",
                                 img->units[i].unit->name);
                if (w < 0 || (size_t)w >= sizeof(list) - n)
                        return NULL;
                n += (size_t)w;
        }
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(list, names[i]) == 0)
                        return names[i];
        return NULL;
}
static int card_text(const struct vt_image *img, const struct vt_applet_unit *unit,
                     const void *proposed, struct vt_text *t)
{
        /* card.ini keeps its own ATR and management-AID setting under a compat that overrides
         * them, so that compat = none brings them back */
        bool compat = img->compat != VT_COMPAT_NONE;
        const char *sep = "";

        if (!vt_compat_name(img->compat))
                return -EINVAL;
        vt_text_put(t, "; vtoken card image: identity and policy (secrets and counters are in "
                       "'state')\n");
        vt_text_put(t, "[card]\nprofile = %s\n", img->profile);
        /* The applet lists the previous release read are written its way (applet = piv or
         * piv+openpgp), so that it reads such an image of this one too; any other list as
         * applets = NAME... */
        const char *old = old_applet_name(img);
        if (old)
                vt_text_put(t, "applet = %s", old);
        else
                vt_text_put(t, "applets = ");
        for (size_t i = 0; !old && i < img->n_units; i++, sep = " ")
                vt_text_put(t, "%s%s", sep, img->units[i].unit->name);
        vt_text_put(t, "\natr = ");
        vt_text_hex(t, compat ? img->own_atr : img->atr, compat ? img->own_atr_len : img->atr_len,
                    " ");
        vt_text_put(t, "\nguid = ");
        vt_text_hex(t, img->guid, sizeof(img->guid), NULL);
        vt_text_put(t, "\nserial = %u\n%s = %u.%u.%u\n", (unsigned)img->serial,
                    img->firmware ? "firmware" : "version", img->version[0], img->version[1],
                    img->version[2]);
        if (img->pin_complexity)
                vt_text_put(t, "pin_complexity = yes\n");
        vt_text_put(t, "yubikey_mgmt_aid = %s\n",
                    (compat ? img->own_mgmt_aid : img->yubikey_mgmt_aid) ? "yes" : "no");
        for (int card_keys = 1; card_keys >= 0; card_keys--) {
                for (size_t i = 0; i < img->n_units; i++) {
                        const struct vt_image_unit *iu = &img->units[i];
                        if (iu->unit->codec.ini_write)
                                iu->unit->codec.ini_write(
                                    img, iu->unit == unit ? proposed : iu->state, card_keys, t);
                }
                if (!card_keys)
                        break;
                if (compat)
                        vt_text_put(t, "; yubikey: the card presents a YubiKey 5 NFC's ATR and "
                                       "answers the\n; management AID, whatever atr and "
                                       "yubikey_mgmt_aid say\n");
                vt_text_put(t, "compat = %s\n", compat ? "yubikey" : "none");
                if (strcmp(img->timing.name, "instant") != 0 || !vt_timing_is_builtin(&img->timing))
                        vt_text_put(t, "timing = %s\n", img->timing.name);
        }
        vt_timing_write(&img->timing, t);
        return 0;
}

/* ---- a batch as a codec's sink ----------------------------------------------------------- */

/* When a whole image is written, a full batch is put in place and the next begins. */
static int room(struct vt_image_sink *s)
{
        if (s->b.n < VT_BATCH_MAX || !s->flush_when_full)
                return 0; /* a full batch refuses the next file itself (E2BIG) */
        int r = vt_batch_commit(&s->b);
        vt_batch_init(&s->b, s->dirfd);
        return r < 0 ? -errno : 0;
}

static int sink_put(void *ctx, const char *name, const void *data, size_t len)
{
        struct vt_image_sink *s = ctx;
        int r = room(s);
        if (r < 0)
                return r;
        return vt_batch_write(&s->b, name, data, len) < 0 ? -errno : 0;
}

static int sink_remove(void *ctx, const char *name)
{
        struct vt_image_sink *s = ctx;
        int r = room(s);
        if (r < 0)
                return r;
        return vt_batch_remove(&s->b, name) < 0 ? -errno : 0;
}

static int sink_card_ini(void *ctx, const struct vt_applet_unit *unit, const void *proposed)
{
        struct vt_image_sink *s = ctx;
        struct vt_text t = VT_TEXT_INIT;
        int r = card_text(s->img, unit, proposed, &t);
        if (r == 0)
                r = t.err ? -ENOMEM : sink_put(s, "card.ini", t.p ? t.p : "", t.len);
        vt_text_free(&t);
        return r;
}

void vt_image_sink_init(struct vt_image_sink *s, int dirfd, const struct vt_image *img,
                        struct vt_codec_sink *out)
{
        memset(s, 0, sizeof(*s));
        vt_batch_init(&s->b, dirfd);
        s->dirfd = dirfd;
        s->img = img;
        *out = (struct vt_codec_sink){sink_put, sink_remove, sink_card_ini, s};
}

int vt_image_sink_end(struct vt_image_sink *s, int r)
{
        if (r < 0) {
                vt_batch_abort(&s->b);
                return r;
        }
        return vt_batch_commit(&s->b) < 0 ? (errno ? -errno : -EIO) : 0;
}

/* ---- whole images and parts -------------------------------------------------------------- */

/* Writes into dir the files of the units (all of them, or only `unit`; none when !units), then
 * card.ini when asked; 0 or -1 (errno set). */
static int in_dir(const char *dir, const struct vt_image *img, bool units,
                  const struct vt_applet_unit *unit, bool card_ini)
{
        struct vt_image_sink s;
        struct vt_codec_sink sink;
        int fd = vt_dir_open(dir, NULL, 0);
        int r = 0;

        if (fd < 0)
                return -1;
        vt_image_sink_init(&s, fd, img, &sink);
        s.flush_when_full = true;
        for (size_t i = 0; units && i < img->n_units && r == 0; i++) {
                const struct vt_image_unit *iu = &img->units[i];
                if ((!unit || iu->unit == unit) && iu->unit->codec.save)
                        r = iu->unit->codec.save(img, iu->state, &sink);
        }
        if (r == 0 && card_ini)
                r = sink_card_ini(&s, NULL, NULL);
        r = vt_image_sink_end(&s, r);
        close(fd);
        if (r < 0) {
                errno = -r;
                return -1;
        }
        return 0;
}

int vt_image_save(const char *dir, const struct vt_image *img)
{
        return in_dir(dir, img, true, NULL, true);
}

int vt_save_card(const char *dir, const struct vt_image *img)
{
        return in_dir(dir, img, false, NULL, true);
}

int vt_save_unit(const char *dir, const struct vt_image *img, const struct vt_applet_unit *unit)
{
        return in_dir(dir, img, true, unit, false);
}
