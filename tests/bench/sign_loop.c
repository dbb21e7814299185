/* SPDX-License-Identifier: Apache-2.0 */
/* sign-loop: signatures per second in one PKCS#11 session, as a long-running application makes
 * them (one login, then sign after sign).
 * Usage: sign-loop MODULE TOKEN-INDEX PIN KEY-ID-HEX SECONDS
 * Opens the TOKEN-INDEX-th slot with a token present, logs in, finds the private key with CKA_ID
 * KEY-ID-HEX, and signs a SHA-256 hash (CKM_ECDSA, or CKM_RSA_PKCS on a DigestInfo for an RSA
 * key) for SECONDS; prints "signatures=N seconds=S per_second=R". Exits 1 on any failure. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <p11-kit/pkcs11.h>

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what, CK_RV rv)
{
        fprintf(stderr, "sign-loop: %s: CKR 0x%lx\n", what, (unsigned long)rv);
        return 1;
}

/* A DigestInfo of SHA-256 (zeros): what CKM_RSA_PKCS signs for SHA256-RSA-PKCS. */
static const CK_BYTE digest_info[51] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                        0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};

int main(int argc, char **argv)
{
        if (argc != 6) {
                fprintf(stderr, "usage: sign-loop MODULE TOKEN-INDEX PIN KEY-ID-HEX SECONDS\n");
                return 2;
        }
        void *so = dlopen(argv[1], RTLD_NOW);
        CK_C_GetFunctionList get = so ? (CK_C_GetFunctionList)dlsym(so, "C_GetFunctionList") : NULL;
        CK_FUNCTION_LIST_PTR f;
        if (!get || get(&f) != CKR_OK) {
                fprintf(stderr, "sign-loop: cannot load %s\n", argv[1]);
                return 1;
        }
        CK_RV rv = f->C_Initialize(NULL);
        if (rv != CKR_OK)
                return fail("C_Initialize", rv);
        CK_SLOT_ID slots[64];
        CK_ULONG n = 64;
        rv = f->C_GetSlotList(CK_TRUE, slots, &n);
        unsigned long idx = strtoul(argv[2], NULL, 10);
        if (rv != CKR_OK || idx >= n)
                return fail("no such token", rv);
        CK_SESSION_HANDLE s;
        rv = f->C_OpenSession(slots[idx], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
        if (rv != CKR_OK)
                return fail("C_OpenSession", rv);
        rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)argv[3], strlen(argv[3]));
        if (rv != CKR_OK)
                return fail("C_Login", rv);
        CK_BYTE id[32];
        size_t idlen = 0;
        for (const char *h = argv[4]; h[0] && h[1] && idlen < sizeof(id); h += 2)
                id[idlen++] = (CK_BYTE)strtoul((char[]){h[0], h[1], 0}, NULL, 16);
        CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
        CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, id, idlen}};
        CK_OBJECT_HANDLE key;
        CK_ULONG found = 0;
        if (f->C_FindObjectsInit(s, tmpl, 2) != CKR_OK ||
            f->C_FindObjects(s, &key, 1, &found) != CKR_OK || found != 1)
                return fail("no such key", CKR_GENERAL_ERROR);
        f->C_FindObjectsFinal(s);
        CK_KEY_TYPE type;
        CK_ATTRIBUTE ta = {CKA_KEY_TYPE, &type, sizeof(type)};
        if (f->C_GetAttributeValue(s, key, &ta, 1) != CKR_OK)
                return fail("key type", CKR_GENERAL_ERROR);
        CK_MECHANISM mech = {type == CKK_RSA ? CKM_RSA_PKCS : CKM_ECDSA, NULL, 0};
        const CK_BYTE *data = type == CKK_RSA ? digest_info : digest_info + 19;
        CK_ULONG dlen = type == CKK_RSA ? sizeof(digest_info) : 32;
        double seconds = strtod(argv[5], NULL), start = now_s(), t;
        unsigned long count = 0;
        do {
                CK_BYTE sig[1024];
                CK_ULONG slen = sizeof(sig);
                rv = f->C_SignInit(s, &mech, key);
                if (rv == CKR_OK)
                        rv = f->C_Sign(s, (CK_BYTE_PTR)data, dlen, sig, &slen);
                if (rv == CKR_USER_NOT_LOGGED_IN) /* PIN policy always: log in again */
                        rv = f->C_Login(s, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR)argv[3],
                                        strlen(argv[3]));
                if (rv != CKR_OK)
                        return fail("C_Sign", rv);
                count++;
                t = now_s() - start;
        } while (t < seconds);
        printf("signatures=%lu seconds=%.3f per_second=%.1f\n", count, t, (double)count / t);
        f->C_Logout(s);
        f->C_CloseSession(s);
        f->C_Finalize(NULL);
        return 0;
}
