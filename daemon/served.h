/* A card as the daemon serves it: configuration, the card, its vpcd link. */
#ifndef VT_SERVED_H
#define VT_SERVED_H

#include "card.h"
#include "config.h"
#include "image.h"
#include "vpcd.h"

struct manager;

struct served_card {
        struct conf_card conf;
        struct manager *manager;
        struct vpcd_link *link;
        struct vt_image *img;
        struct vt_piv *piv;
        struct vt_card card;
};

/* Builds the card of cc and starts connecting it; on failure err says why. */
int served_card_new(struct manager *m, const struct conf_card *cc, struct served_card **out, char *err,
                    size_t errlen);
void served_card_free(struct served_card *sc);
/* "waiting for vpcd HOST:PORT", "connected", "powered" or "removed". */
const char *served_card_state(const struct served_card *sc);

#endif
