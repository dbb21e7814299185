/* SPDX-License-Identifier: Apache-2.0 */
/* Passwords: VERIFY, CHANGE REFERENCE DATA and RESET RETRY COUNTER. A try is spent durably
 * before a value is compared (the store has the lower count first), and given back by a second
 * commit when the value was right. */
#include "pgp_internal.h"

#include <stddef.h>

enum pw_which { PW1 = 0, RC = 1, PW3 = 2 };

static struct pgp_pw *pw_of(struct vt_pgp_state *st, enum pw_which w)
{
        return w == PW1 ? &st->pw1 : w == RC ? &st->rc : &st->pw3;
}

static uint16_t tries_sw(const struct pgp_pw *pw)
{
        return pw->s.tries_left ? (uint16_t)SW_VERIFY_FAILED(pw->s.tries_left)
                                : SW_AUTH_METHOD_BLOCKED;
}

/* Compares value with a password: spends a try first, then compares; a right value gets its
 * tries back. SW_OK when it matched. */
static uint16_t check(struct vt_pgp *p, enum pw_which w, const uint8_t *value, size_t len)
{
        struct pgp_pw *pw = pw_of(p->st, w);
        struct vt_pgp_state *next;
        uint16_t sw;
        bool ok;
        if (pw->len == 0)
                return SW_SECURITY_STATUS_NOT_SATISFIED; /* no resetting code */
        if (pw->s.tries_left == 0)
                return SW_AUTH_METHOD_BLOCKED;
        if (!(next = pgp_propose(p)))
                return SW_MEMORY_FAILURE;
        pw_of(next, w)->s.tries_left--;
        if ((sw = pgp_commit(p, next, 0)) != SW_OK)
                return sw;
        pw = pw_of(p->st, w);
        ok = pgp_pw_matches(pw, value, len);
        if (!ok) /* 63 C0 for the try that blocks it, 69 83 after */
                return (uint16_t)SW_VERIFY_FAILED(pw->s.tries_left);
        if (!(next = pgp_propose(p)))
                return SW_MEMORY_FAILURE;
        pw_of(next, w)->s.tries_left = pw->s.max_tries;
        return pgp_commit(p, next, 0);
}

/* Sets a new value (its tries back to their limit); for PW1 from RESET RETRY COUNTER, the
 * resetting code's tries come back too. */
static uint16_t set_pw(struct vt_pgp *p, enum pw_which w, const uint8_t *value, size_t len,
                       bool rc_too)
{
        struct vt_pgp_state *next = pgp_propose(p);
        if (!next)
                return SW_MEMORY_FAILURE;
        pgp_pw_set(pw_of(next, w), value, len);
        if (rc_too)
                next->rc.s.tries_left = next->rc.s.max_tries;
        return pgp_commit(p, next, 0);
}

static bool *verified_flag(struct vt_pgp *p, uint8_t ref)
{
        return ref == REF_PW1_SIG ? &p->pw1_sig : ref == REF_PW1 ? &p->pw1_other : &p->pw3;
}

uint16_t pgp_verify(struct vt_pgp *p, const struct apdu *a)
{
        enum pw_which w = a->p2 == REF_PW3 ? PW3 : PW1;
        uint16_t sw;
        if (a->p2 != REF_PW1_SIG && a->p2 != REF_PW1 && a->p2 != REF_PW3)
                return SW_INCORRECT_P1P2;
        bool *flag = verified_flag(p, a->p2);
        if (a->p1 == 0xFF) { /* 3.4: reset the access status */
                if (a->lc)
                        return SW_WRONG_LENGTH;
                *flag = false;
                return SW_OK;
        }
        if (a->p1 != 0x00)
                return SW_INCORRECT_P1P2;
        if (a->lc == 0) /* a status query */
                return *flag ? SW_OK : tries_sw(pw_of(p->st, w));
        *flag = false;
        sw = check(p, w, a->data, a->lc);
        *flag = sw == SW_OK;
        return sw;
}

/* CHANGE REFERENCE DATA: old value and new value one after the other; the card knows where
 * they part by the old value's length. */
uint16_t pgp_change_reference(struct vt_pgp *p, const struct apdu *a)
{
        enum pw_which w = a->p2 == REF_PW3 ? PW3 : PW1;
        const struct vt_pin_rules *rules = w == PW3 ? &p->st->pw3_rules : &p->st->pw1_rules;
        size_t old = pw_of(p->st, w)->len;
        uint16_t sw;
        if (a->p1 != 0x00 || (a->p2 != REF_PW1_SIG && a->p2 != REF_PW3))
                return SW_INCORRECT_P1P2;
        if (pw_of(p->st, w)->s.tries_left == 0)
                return SW_AUTH_METHOD_BLOCKED;
        if (a->lc <= old)
                return SW_WRONG_LENGTH;
        if (!pgp_pw_acceptable(rules, a->data + old, a->lc - old))
                return SW_WRONG_DATA;
        if ((sw = check(p, w, a->data, old)) != SW_OK) {
                *verified_flag(p, w == PW3 ? REF_PW3 : REF_PW1) = false;
                return sw;
        }
        return set_pw(p, w, a->data + old, a->lc - old, false);
}

/* RESET RETRY COUNTER: P1 00 with the resetting code before the new PW1, P1 02 with PW3
 * verified and the new PW1 alone. */
uint16_t pgp_reset_retry_counter(struct vt_pgp *p, const struct apdu *a)
{
        size_t rc = p->st->rc.len;
        uint16_t sw;
        if (a->p2 != REF_PW1_SIG || (a->p1 != 0x00 && a->p1 != 0x02))
                return SW_INCORRECT_P1P2;
        if (a->p1 == 0x02) {
                if (!p->pw3)
                        return SW_SECURITY_STATUS_NOT_SATISFIED;
                if (!pgp_pw_acceptable(&p->st->pw1_rules, a->data, a->lc))
                        return SW_WRONG_DATA;
                return set_pw(p, PW1, a->data, a->lc, false);
        }
        if (rc == 0)
                return SW_SECURITY_STATUS_NOT_SATISFIED;
        if (p->st->rc.s.tries_left == 0)
                return SW_AUTH_METHOD_BLOCKED;
        if (a->lc <= rc)
                return SW_WRONG_LENGTH;
        if (!pgp_pw_acceptable(&p->st->pw1_rules, a->data + rc, a->lc - rc))
                return SW_WRONG_DATA;
        if ((sw = check(p, RC, a->data, rc)) != SW_OK)
                return sw;
        return set_pw(p, PW1, a->data + rc, a->lc - rc, true);
}
