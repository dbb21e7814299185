/* SPDX-License-Identifier: Apache-2.0 */
#include "link.h"

#include "drvlink.h"
#include "vpcd.h"

#include <stdio.h>
#include <string.h>

int link_new(sd_event *e, const struct conf_card *cc, const struct link_handler *h,
             struct link **out, char *err, size_t errlen)
{
        if (cc->transport == CONF_TRANSPORT_DRIVER)
                return drv_link_new(e, cc->name, cc->socket, cc->pcscd_uid, h, out, err, errlen);
        struct vpcd_link *v;
        int r = vpcd_link_new(e, cc->name, cc->host, cc->port, cc->pcscd_uid, h, &v);
        if (r < 0) {
                snprintf(err, errlen, "vpcd %s:%u: %s", cc->host, cc->port, strerror(-r));
                return r;
        }
        *out = vpcd_link_base(v);
        return 0;
}
