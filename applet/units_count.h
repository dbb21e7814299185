/* SPDX-License-Identifier: Apache-2.0 */
/* How many units the registry has (one VT_UNIT line each in applet/units.def), as a constant:
 * the bounds of a card's applets and an image's units follow the registry, so that a new unit
 * is one line there and no limit elsewhere. */
#ifndef VT_UNITS_COUNT_H
#define VT_UNITS_COUNT_H

enum vt_units_count {
#define VT_UNIT(n) VT_UNIT_INDEX_##n,
#include "units.def"
#undef VT_UNIT
        VT_UNITS_COUNT
};

#endif
