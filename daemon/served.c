#include "served.h"

#include "frame.h"
#include "log.h"
#include "manager.h"
#include "piv.h"
#include "profile.h"

#include <openssl/crypto.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* A missing (or empty) image directory is created from the card's profile; anything else is
 * loaded as it is and never overwritten. */
static bool needs_creating(const char *dir)
{
        DIR *d = opendir(dir);
        if (!d)
                return errno == ENOENT;
        struct dirent *e;
        bool empty = true;
        while (empty && (e = readdir(d)))
                empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
        closedir(d);
        return empty;
}

static void make_parents(const char *dir)
{
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s", dir);
        for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = '\0';
                mkdir(p, 0755);
                *s = '/';
        }
}

static int open_image(struct served_card *sc, char *err, size_t errlen)
{
        const struct conf_card *cc = &sc->conf;
        if (needs_creating(cc->image)) {
                struct vt_init_opts o = {.profile = cc->profile};
                make_parents(cc->image);
                if (vt_image_create(cc->image, &o, err, errlen) < 0)
                        return -1;
                vt_log(LOG_NOTICE, cc->name, NULL, "created image %s from profile %s", cc->image, cc->profile);
                if (o.initial_pin) {
                        char env[PATH_MAX];
                        vt_pin_envelope_path(cc->image, env, sizeof(env));
                        vt_log(LOG_NOTICE, cc->name, NULL, "the initial PIN is in the PIN envelope %s", env);
                        OPENSSL_cleanse(o.initial_pin, o.initial_pin_len);
                        free(o.initial_pin);
                }
        }
        sc->img = vt_image_load(cc->image, err, errlen);
        if (!sc->img)
                return -1;
        if (strcmp(sc->img->applet, "piv") != 0) {
                snprintf(err, errlen, "%s/card.ini: unknown applet '%s'", cc->image, sc->img->applet);
                return -1;
        }
        sc->piv = vt_piv_new(sc->img);
        if (!sc->piv) {
                snprintf(err, errlen, "out of memory");
                return -1;
        }
        struct vt_applet ap;
        vt_card_init(&sc->card, sc->img->atr, sc->img->atr_len);
        vt_piv_applet(sc->piv, &ap);
        vt_card_add_applet(&sc->card, &ap);
        if (sc->img->yubikey_mgmt_aid) {
                vt_piv_mgmt_applet(sc->piv, &ap);
                vt_card_add_applet(&sc->card, &ap);
        }
        return 0;
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
        if (open_image(sc, err, errlen) < 0) {
                served_card_free(sc);
                return -EINVAL;
        }
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
        vt_piv_free(sc->piv);
        vt_image_free(sc->img);
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
