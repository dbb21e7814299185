/* SPDX-License-Identifier: Apache-2.0 */
/* The subcommands of vtoken; argv[0] is the subcommand's name. Each returns an exit status. */
#ifndef VT_COMMANDS_H
#define VT_COMMANDS_H

int vt_cmd_init(int argc, char **argv);
int vt_cmd_show(int argc, char **argv);
int vt_cmd_run(int argc, char **argv);
int vt_cmd_wait(int argc, char **argv);
int vt_cmd_ctl(int argc, char **argv);

#endif
