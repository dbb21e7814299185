#include "served.h"

#include "frame.h"
#include "log.h"
#include "manager.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A neutral ATR that advertises T=1 (and is not one OpenSC maps to a special card type). */
static const uint8_t default_atr[] = {0x3B, 0x88, 0x01, 0x50, 0x49, 0x56, 0x73, 0x69, 0x6D, 0x30, 0x31, 0xB0};

static size_t on_apdu(void *user, const uint8_t *cmd, size_t len, uint8_t *out)
{
        struct served_card *sc = user;
        return vt_card_transmit(&sc->card, cmd, len, out);
}

static size_t on_atr(void *user, uint8_t *out)
{
        struct served_card *sc = user;
        memcpy(out, sc->card.atr, sc->card.atr_len);
        return sc->card.atr_len;
}

static void on_power(void *user, int ctrl)
{
        struct served_card *sc = user;
        if (ctrl == VPCD_CTRL_ON)
                vt_card_power_on(&sc->card);
        else if (ctrl == VPCD_CTRL_RESET)
                vt_card_reset(&sc->card);
        else
                vt_card_power_off(&sc->card);
}

static void on_state(void *user)
{
        struct served_card *sc = user;
        manager_update_status(sc->manager);
}

int served_card_new(struct manager *m, const struct conf_card *cc, struct served_card **out, char *err,
                    size_t errlen)
{
        struct served_card *sc = calloc(1, sizeof(*sc));
        if (!sc) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        sc->conf = *cc;
        sc->manager = m;
        vt_card_init(&sc->card, default_atr, sizeof(default_atr));
        const struct vpcd_handler h = {
                .user = sc, .apdu = on_apdu, .atr = on_atr, .power = on_power, .state_changed = on_state};
        int r = vpcd_link_new(m->event, cc->name, cc->host, cc->port, &h, &sc->link);
        if (r < 0) {
                snprintf(err, errlen, "vpcd %s:%u: %s", cc->host, cc->port, strerror(-r));
                served_card_free(sc);
                return r;
        }
        *out = sc;
        return 0;
}

void served_card_free(struct served_card *sc)
{
        if (!sc)
                return;
        vpcd_link_free(sc->link);
        free(sc);
}

const char *served_card_state(const struct served_card *sc)
{
        static __thread char buf[400];
        switch (vpcd_link_state(sc->link)) {
        case VPCD_CONNECTED:
                return "connected";
        case VPCD_POWERED:
                return "powered";
        case VPCD_REMOVED:
                return "removed";
        case VPCD_WAITING:
        default:
                snprintf(buf, sizeof(buf), "waiting for vpcd %s", vpcd_link_endpoint(sc->link));
                return buf;
        }
}
