/* SPDX-License-Identifier: Apache-2.0 */
/* vtoken show: the OpenPGP application of an image (identity, passwords' tries, keys, the
 * cardholder's data). Never a secret: passwords are hashes the image keeps, and only their
 * tries are shown. */
#include "show_openpgp.h"

#include "openpgp.h"
#include "pgp_state.h"

#include <stdio.h>
#include <string.h>

static const char *const purposes[PGP_KEYS] = {"Signature", "Decryption", "Authentication"};
static const char *const origins[] = {"none", "generated", "imported"};

/* GnuPG's serial number: the AID as hex. */
static void print_aid(const struct vt_pgp_state *st)
{
        printf("D276000124010304%04X%08X0000", st->manufacturer, (unsigned)st->serial);
}

static const char *alg_name(const struct vt_pgp_state *st, int ref)
{
        const struct pgp_alg *a = pgp_alg_of_attr(st->keys[ref].attr, st->keys[ref].attr_len, ref);
        return a ? a->name : "unknown";
}

static void print_hex(const uint8_t *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                printf("%02X", v[i]);
}

static bool all_zero(const uint8_t *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (v[i])
                        return false;
        return true;
}

static void pw_line(const char *name, const struct pgp_pw *pw)
{
        if (!pw->len)
                printf("  %-16s  none\n", name);
        else
                printf("  %-16s  %u of %u tries left%s\n", name, pw->s.tries_left, pw->s.max_tries,
                       pw->s.tries_left ? "" : " (blocked)");
}

/* A data object as text when it is printable, else its length. */
static void do_line(const char *label, const struct pgp_blob *b)
{
        bool text = true;
        for (size_t i = 0; i < b->len; i++)
                text &= b->data[i] >= 0x20 && b->data[i] < 0x7F;
        if (!b->len)
                return;
        if (text)
                printf("  %-16s  %.*s\n", label, (int)b->len, (const char *)b->data);
        else
                printf("  %-16s  %zu bytes\n", label, b->len);
}

void vt_show_openpgp_text(const struct vt_image *img)
{
        const struct vt_pgp_state *st = vt_image_state(img, &vt_unit_openpgp);
        if (!st)
                return;
        printf("\nOpenPGP:          application 3.4%s\n  Serial:           ",
               st->terminated ? " (terminated: ACTIVATE FILE resets it)" : "");
        print_aid(st);
        printf(" (manufacturer %04X, number %08X)\n", st->manufacturer, (unsigned)st->serial);
        pw_line("PIN (PW1):", &st->pw1);
        pw_line("Reset code:", &st->rc);
        pw_line("Admin PIN (PW3):", &st->pw3);
        printf("  PIN policy:       %u to %u characters, %s; signature PIN %s\n",
               st->pw1_rules.min_len, st->pw1_rules.max_len, vt_charset_name(st->pw1_rules.charset),
               st->pw1_multi ? "not forced" : "forced");
        printf("  Signatures:       %u\n", (unsigned)st->sig_count);
        for (int i = 0; i < PGP_KEYS; i++) {
                const struct pgp_key *k = &st->keys[i];
                printf("  %-16s  %s, %s", purposes[i], alg_name(st, i),
                       k->key ? origins[k->origin < 3 ? k->origin : 0] : "no key");
                if (k->uif)
                        printf(", touch %s", k->uif == 1 || k->uif == 2 ? "each" : "cached");
                if (!all_zero(k->fpr, sizeof(k->fpr))) {
                        printf("\n                    fingerprint ");
                        print_hex(k->fpr, sizeof(k->fpr));
                }
                printf("\n");
        }
        do_line("Name:", &st->dos[PGP_DO_NAME]);
        do_line("Language:", &st->dos[PGP_DO_LANG]);
        do_line("URL:", &st->dos[PGP_DO_URL]);
        do_line("Login:", &st->dos[PGP_DO_LOGIN]);
}

static void json_pw(const char *name, const struct pgp_pw *pw)
{
        printf("\"%s\": {\"set\": %s, \"tries_left\": %u, \"max_tries\": %u}", name,
               pw->len ? "true" : "false", pw->s.tries_left, pw->s.max_tries);
}

void vt_show_openpgp_json(const struct vt_image *img)
{
        const struct vt_pgp_state *st = vt_image_state(img, &vt_unit_openpgp);
        if (!st) {
                printf(",\n  \"openpgp\": null");
                return;
        }
        printf(",\n  \"openpgp\": {\"version\": \"3.4\", \"serial\": \"");
        print_aid(st);
        printf("\", \"terminated\": %s, \"signature_counter\": %u,\n    ",
               st->terminated ? "true" : "false", (unsigned)st->sig_count);
        json_pw("pw1", &st->pw1);
        printf(", ");
        json_pw("rc", &st->rc);
        printf(", ");
        json_pw("pw3", &st->pw3);
        printf(",\n    \"keys\": [");
        for (int i = 0; i < PGP_KEYS; i++) {
                const struct pgp_key *k = &st->keys[i];
                printf("%s{\"key\": \"%s\", \"algorithm\": \"%s\", \"origin\": \"%s\", "
                       "\"fingerprint\": ",
                       i ? ",\n             " : "", pgp_key_name(i), alg_name(st, i),
                       k->key ? origins[k->origin < 3 ? k->origin : 0] : "none");
                if (all_zero(k->fpr, sizeof(k->fpr))) {
                        printf("null}");
                } else {
                        printf("\"");
                        print_hex(k->fpr, sizeof(k->fpr));
                        printf("\"}");
                }
        }
        printf("]}");
}
