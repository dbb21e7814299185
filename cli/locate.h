/* SPDX-License-Identifier: Apache-2.0 */
/* Where the programs and modules `vtoken run` uses are installed: pcscd and the vpcd reader
 * driver where Debian puts them (also on a user's PATH without /usr/sbin), vtokend beside
 * vtoken, OpenSC's PKCS#11 module in this architecture's library directory. */
#ifndef VT_LOCATE_H
#define VT_LOCATE_H

#include <stdbool.h>
#include <stddef.h>

/* PROG's path in $PATH, else in the system directories (/usr/sbin, /sbin, ...). 0, or -1 with
 * PROG itself in out. */
int vt_find_program(const char *prog, char *out, size_t n);

/* vtokend: $VTOKEND, else beside this vtoken (build tree, or bin/ and sbin/ of one prefix),
 * else vt_find_program. Called before entering namespaces (see run.c). */
void vt_find_vtokend(char *out, size_t n);

/* vtoken's own reader driver (libifdvtoken.so): $VTOKEN_DRIVER, else the build tree's copy
 * beside this vtoken, else the one installed under this vtoken's prefix, else Debian's
 * /usr/lib/pcsc/drivers/serial. Called before entering namespaces. */
void vt_find_vtoken_driver(char *out, size_t n);

/* The vpcd reader driver (libifdvpcd.so) in pcsc-lite's driver directory. 0, or -1 with the
 * directories looked in (for a message) in out. */
int vt_find_vpcd_driver(char *out, size_t n);

/* OpenSC's PKCS#11 module (opensc-pkcs11.so) of this architecture. 0, or -1 when it is not
 * installed. */
int vt_find_pkcs11_module(char *out, size_t n);

/* Whether `PROG --help` mentions OPTION: what this build of the program offers. */
bool vt_program_offers(const char *prog, const char *option);

#endif
