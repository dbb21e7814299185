/* SPDX-License-Identifier: Apache-2.0 */
#include "table.h"

#include "piv_state.h"

#include <stdlib.h>
#include <string.h>

const uint8_t vt_piv_default_mgm_key[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                                            5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};

/* clang-format 14 and 19 lay out this initializer differently: kept as written */
/* clang-format off */
#define RETIRED(n) {0x81 + (n), 0x5FC10C + (n), "Retired Key Management", VT_PIN_ONCE, true}
/* clang-format on */

const struct piv_slot_info piv_slots[VT_SLOTS] = {
    {0x9A, 0x5FC105, "PIV Authentication", VT_PIN_ONCE, true},
    {0x9C, 0x5FC10A, "Digital Signature", VT_PIN_ALWAYS, true},
    {0x9D, 0x5FC10B, "Key Management", VT_PIN_ONCE, true},
    {0x9E, 0x5FC101, "Card Authentication", VT_PIN_NEVER, true},
    RETIRED(1),
    RETIRED(2),
    RETIRED(3),
    RETIRED(4),
    RETIRED(5),
    RETIRED(6),
    RETIRED(7),
    RETIRED(8),
    RETIRED(9),
    RETIRED(10),
    RETIRED(11),
    RETIRED(12),
    RETIRED(13),
    RETIRED(14),
    RETIRED(15),
    RETIRED(16),
    RETIRED(17),
    RETIRED(18),
    RETIRED(19),
    RETIRED(20),
    {0xF9, 0x5FFF01, "Attestation", VT_PIN_NEVER, false},
};

static const struct piv_object_info objects[] = {
    {0x7E, "Discovery Object", false, false},
    {0x5FC101, "X.509 Certificate for Card Authentication", false, false},
    {0x5FC102, "Card Holder Unique Identifier", false, false},
    {0x5FC103, "Cardholder Fingerprints", true, false},
    {0x5FC106, "Security Object", false, false},
    {0x5FC107, "Card Capability Container", false, false},
    {0x5FC108, "Cardholder Facial Image", true, false},
    {0x5FC109, "Printed Information", true, true},
    {0x5FC10C, "Key History Object", false, false},
    {0x5FC121, "Cardholder Iris Images", true, false},
};

const struct piv_slot_info *piv_slot_info(uint8_t ref)
{
        for (size_t i = 0; i < VT_SLOTS; i++)
                if (piv_slots[i].ref == ref)
                        return &piv_slots[i];
        return NULL;
}

const struct piv_slot_info *piv_slot_by_cert(uint32_t tag)
{
        for (size_t i = 0; i < VT_SLOTS; i++)
                if (piv_slots[i].cert_tag == tag)
                        return &piv_slots[i];
        return NULL;
}

const struct piv_object_info *piv_object_info(uint32_t tag)
{
        for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
                if (objects[i].tag == tag)
                        return &objects[i];
        return NULL;
}

int piv_slot_parse(const char *name, uint8_t *ref)
{
        char *end;
        if (!name || strlen(name) != 2)
                return -1;
        unsigned long v = strtoul(name, &end, 16);
        const struct piv_slot_info *s = *end ? NULL : piv_slot_info((uint8_t)v);
        if (!s || !s->general_auth)
                return -1;
        *ref = s->ref;
        return 0;
}
