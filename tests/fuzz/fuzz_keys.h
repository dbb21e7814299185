/* SPDX-License-Identifier: Apache-2.0 */
/* The card fuzz targets' key source: keys made once per algorithm (fuzz_keys.c). */
#ifndef VT_FUZZ_KEYS_H
#define VT_FUZZ_KEYS_H

#include "crypto.h"

#include <stdbool.h>

/* Installs the source (vt_crypto_set_key_source); the keys are freed at exit. */
void fuzz_keys_install(void);

#endif
