/* SPDX-License-Identifier: Apache-2.0 */
/* The PIV card management key (reference 9B): 3DES or AES, one block in ECB as the
 * authentication protocols of SP 800-73-4 use it. */
#ifndef VT_MGMKEY_H
#define VT_MGMKEY_H

#include <stddef.h>
#include <stdint.h>

#define VT_MGM_BLOCK_MAX 16

/* Block size of a management-key algorithm, 0 when alg is none of them. */
size_t vt_mgm_block_size(uint8_t alg);

/* Key length an algorithm needs (3DES 24, AES 16/24/32), 0 when unknown. */
size_t vt_mgm_key_len(uint8_t alg);

/* Encrypts one block in ECB; 0 or -1. */
int vt_mgm_encrypt(uint8_t alg, const uint8_t *key, size_t keylen, const uint8_t *in, uint8_t *out);

#endif
