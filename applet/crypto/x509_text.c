/* SPDX-License-Identifier: Apache-2.0 */
#include "x509_text.h"

#include <stdio.h>
#include <time.h>

#include <openssl/crypto.h>

void vt_name_text(const X509_NAME *name, char *out, size_t cap)
{
        size_t len = 0;

        out[0] = '\0';
        for (int i = 0; i < X509_NAME_entry_count(name); i++) {
                const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
                int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
                const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : "?";
                unsigned char *v = NULL;
                int n = ASN1_STRING_to_UTF8(&v, X509_NAME_ENTRY_get_data(e));

                len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "/%s=", sn);
                for (int j = 0; j < n && len + 3 < cap; j++) {
                        if (v[j] == '/' || v[j] == '\\')
                                out[len++] = '\\';
                        out[len++] = (char)v[j];
                }
                if (len < cap)
                        out[len] = '\0';
                OPENSSL_free(v);
        }
}

void vt_time_text(const ASN1_TIME *t, char *out, size_t cap)
{
        struct tm tm;

        if (!ASN1_TIME_to_tm(t, &tm) || !strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
                snprintf(out, cap, "?");
}
