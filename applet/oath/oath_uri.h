/* SPDX-License-Identifier: Apache-2.0 */
/* otpauth:// URIs, as `vtoken init --oath` takes them. */
#ifndef VT_OATH_URI_H
#define VT_OATH_URI_H

#include "oath.h"

#include <stddef.h>

/* The credential ykman would put for uri (otpauth://totp/Issuer:account?secret=BASE32&...:
 * issuer, algorithm, digits, period, counter). 0, or -1 with the reason in err. */
int oath_cred_from_uri(const char *uri, struct oath_cred *c, char *err, size_t errlen);

#endif
