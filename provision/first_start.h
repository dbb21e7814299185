/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon's first start: the image of a configured card is made from its profile when it is
 * missing, and never touched when it is there. */
#ifndef VT_FIRST_START_H
#define VT_FIRST_START_H

#include <stddef.h>

/* A missing (or empty) image directory dir is made from profile, the directories above it too;
 * anything else is left as it is, to be loaded. 1 when made, 0 when there was an image, -1 with
 * err saying why. pin (pinlen bytes) receives the initial PIN when the profile draws one (""
 * otherwise); the caller wipes it. */
int vt_first_start(const char *dir, const char *profile, char *pin, size_t pinlen, char *err,
                   size_t errlen);

#endif
