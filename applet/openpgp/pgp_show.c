/* SPDX-License-Identifier: Apache-2.0 */
/* OpenPGP's part of `vtoken show` (its row's show hook, show_verbatim): identity, passwords'
 * tries, keys, the cardholder's data. Never a secret: passwords are hashes the image keeps, and
 * only their tries are shown. */
#include "pgp_show.h"

#include "openpgp.h"
#include "pgp_state.h"

#include <stdio.h>
#include <string.h>

#define P(...) out->put(out->ctx, __VA_ARGS__)

static const char *const purposes[PGP_KEYS] = {"Signature", "Decryption", "Authentication"};
static const char *const origins[] = {"none", "generated", "imported"};

/* GnuPG's serial number: the AID as hex. */
static void print_aid(const struct vt_show *out, const struct vt_pgp_state *st)
{
        P("D276000124010304%04X%08X0000", st->manufacturer, (unsigned)st->serial);
}

static const char *alg_name(const struct vt_pgp_state *st, int ref)
{
        const struct pgp_alg *a = pgp_alg_of_attr(st->keys[ref].attr, st->keys[ref].attr_len, ref);
        return a ? a->name : "unknown";
}

static void print_hex(const struct vt_show *out, const uint8_t *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                P("%02X", v[i]);
}

static bool all_zero(const uint8_t *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (v[i])
                        return false;
        return true;
}

static void pw_line(const struct vt_show *out, const char *name, const struct pgp_pw *pw)
{
        if (!pw->len)
                P("  %-16s  none\n", name);
        else
                P("  %-16s  %u of %u tries left%s\n", name, pw->s.tries_left, pw->s.max_tries,
                  pw->s.tries_left ? "" : " (blocked)");
}

/* A data object as text when it is printable, else its length. */
static void do_line(const struct vt_show *out, const char *label, const struct pgp_blob *b)
{
        bool text = true;
        for (size_t i = 0; i < b->len; i++)
                text &= b->data[i] >= 0x20 && b->data[i] < 0x7F;
        if (!b->len)
                return;
        if (text)
                P("  %-16s  %.*s\n", label, (int)b->len, (const char *)b->data);
        else
                P("  %-16s  %zu bytes\n", label, b->len);
}

static void pgp_text(const struct vt_pgp_state *st, const struct vt_show *out)
{
        P("\nOpenPGP:          application 3.4%s\n  Serial:           ",
          st->terminated ? " (terminated: ACTIVATE FILE resets it)" : "");
        print_aid(out, st);
        P(" (manufacturer %04X, number %08X)\n", st->manufacturer, (unsigned)st->serial);
        pw_line(out, "PIN (PW1):", &st->pw1);
        pw_line(out, "Reset code:", &st->rc);
        pw_line(out, "Admin PIN (PW3):", &st->pw3);
        P("  PIN policy:       %u to %u characters, %s; signature PIN %s\n", st->pw1_rules.min_len,
          st->pw1_rules.max_len, vt_charset_name(st->pw1_rules.charset),
          st->pw1_multi ? "not forced" : "forced");
        P("  Signatures:       %u\n", (unsigned)st->sig_count);
        for (int i = 0; i < PGP_KEYS; i++) {
                const struct pgp_key *k = &st->keys[i];
                P("  %-16s  %s, %s", purposes[i], alg_name(st, i),
                  k->key ? origins[k->origin < 3 ? k->origin : 0] : "no key");
                if (k->uif)
                        P(", touch %s", k->uif == 1 || k->uif == 2 ? "each" : "cached");
                if (!all_zero(k->fpr, sizeof(k->fpr))) {
                        P("\n                    fingerprint ");
                        print_hex(out, k->fpr, sizeof(k->fpr));
                }
                P("\n");
        }
        do_line(out, "Name:", &st->dos[PGP_DO_NAME]);
        do_line(out, "Language:", &st->dos[PGP_DO_LANG]);
        do_line(out, "URL:", &st->dos[PGP_DO_URL]);
        do_line(out, "Login:", &st->dos[PGP_DO_LOGIN]);
}

static void json_pw(const struct vt_show *out, const char *name, const struct pgp_pw *pw)
{
        P("\"%s\": {\"set\": %s, \"tries_left\": %u, \"max_tries\": %u}", name,
          pw->len ? "true" : "false", pw->s.tries_left, pw->s.max_tries);
}

static void pgp_json(const struct vt_pgp_state *st, const struct vt_show *out)
{
        P(",\n  \"openpgp\": {\"version\": \"3.4\", \"serial\": \"");
        print_aid(out, st);
        P("\", \"terminated\": %s, \"signature_counter\": %u,\n    ",
          st->terminated ? "true" : "false", (unsigned)st->sig_count);
        json_pw(out, "pw1", &st->pw1);
        P(", ");
        json_pw(out, "rc", &st->rc);
        P(", ");
        json_pw(out, "pw3", &st->pw3);
        P(",\n    \"keys\": [");
        for (int i = 0; i < PGP_KEYS; i++) {
                const struct pgp_key *k = &st->keys[i];
                P("%s{\"key\": \"%s\", \"algorithm\": \"%s\", \"origin\": \"%s\", "
                  "\"fingerprint\": ",
                  i ? ",\n             " : "", pgp_key_name(i), alg_name(st, i),
                  k->key ? origins[k->origin < 3 ? k->origin : 0] : "none");
                if (all_zero(k->fpr, sizeof(k->fpr))) {
                        P("null}");
                } else {
                        P("\"");
                        print_hex(out, k->fpr, sizeof(k->fpr));
                        P("\"}");
                }
        }
        P("]}");
}

void vt_pgp_show(const struct vt_image *card, const void *state, const struct vt_show *out)
{
        const struct vt_pgp_state *st = state;

        (void)card;
        if (!out->put)
                return;
        if (!out->json) {
                if (st)
                        pgp_text(st, out);
        } else if (st) {
                pgp_json(st, out);
        } else {
                P(",\n  \"openpgp\": null");
        }
}
