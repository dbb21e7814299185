/* SPDX-License-Identifier: Apache-2.0 */
/* The subcommands of vtoken; argv[0] names it ("vtoken init"). Each returns an exit status. */
#ifndef VT_COMMANDS_H
#define VT_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

int vt_cmd_init(int argc, char **argv);
int vt_cmd_show(int argc, char **argv);
int vt_cmd_run(int argc, char **argv);
int vt_cmd_wait(int argc, char **argv);
int vt_cmd_ctl(int argc, char **argv);
int vt_cmd_matrix(int argc, char **argv);

/* What `vtoken show` adds on request, and what `vtoken init --json` adds of its own. */
struct vt_show_extra {
        bool show_pin;             /* the PIN envelope's initial PIN */
        const uint8_t *made_certs; /* slots whose imported key got a certificate from init */
        size_t n_made_certs;
};

/* Prints the description of the image in dir (as text or JSON); an exit status. */
int vt_show_image(const char *dir, bool json, const struct vt_show_extra *x);

#endif
