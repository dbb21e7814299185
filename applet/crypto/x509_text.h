/* SPDX-License-Identifier: Apache-2.0 */
/* X.509 fields as `vtoken show` and `vtoken init` write them. Pure: no files or clocks. */
#ifndef VT_X509_TEXT_H
#define VT_X509_TEXT_H

#include <stddef.h>

#include <openssl/x509.h>

/* A name in the /CN=.../O=... form that --subject takes, UTF-8, '/' escaped as "\/". */
void vt_name_text(const X509_NAME *name, char *out, size_t cap);
/* An ASN.1 time as 2026-01-31T12:00:00Z ("?" when it is none). */
void vt_time_text(const ASN1_TIME *t, char *out, size_t cap);

#endif
