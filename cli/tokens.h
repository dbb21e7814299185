/* SPDX-License-Identifier: Apache-2.0 */
/* How a PKCS#11 module (OpenSC's) names the token in each reader: its label, serial and
 * token URI (RFC 7512, as p11-kit formats it), for the environment of `vtoken run`. */
#ifndef VT_TOKENS_H
#define VT_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

struct vt_token {
        bool found;     /* the module shows a token in this reader */
        char label[33]; /* CK_TOKEN_INFO's label and serialNumber, without their padding */
        char serial[17];
        char uri[1024]; /* pkcs11:model=...;manufacturer=...;serial=...;token=... */
};

/* Asks module, in a child process (whatever the module leaves behind ends with it, bounded by
 * timeout_s), for the token in each of readers[0..n) (a slot whose description is the reader's
 * name). 0, or -1 with the reason in err when the module could not be asked. */
int vt_tokens_query(const char *module, const char *const *readers, size_t n, struct vt_token *out,
                    unsigned timeout_s, char *err, size_t errlen);

#endif
