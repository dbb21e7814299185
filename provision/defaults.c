/* SPDX-License-Identifier: Apache-2.0 */
#include "defaults.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vt_default_image(char *out, size_t n)
{
        const char *s = getenv("STATE_DIRECTORY");
        if (s && *s)
                snprintf(out, n, "%.*s/default", (int)strcspn(s, ":"), s);
        else if ((s = getenv("XDG_STATE_HOME")) && *s)
                snprintf(out, n, "%s/vtoken/default", s);
        else
                snprintf(out, n, "/var/lib/vtoken/default");
}
