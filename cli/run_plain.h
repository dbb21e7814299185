/* SPDX-License-Identifier: Apache-2.0 */
/* `vtoken run --isolation none`: what a private PC/SC environment needs where no namespace can
 * be made (a container's default seccomp profile, Ubuntu's AppArmor restriction). pcscd and
 * vtokend are plain children: pcscd serves a socket of the run's own, handed to it by systemd's
 * socket-activation protocol, and clients find it through PCSCLITE_CSOCK_NAME. What namespaces
 * did for a killed run (nothing survives) is done by a lock on the run's directory, the
 * children's parent-death signal and a subreaper that kills what COMMAND left. */
#ifndef VT_RUN_PLAIN_H
#define VT_RUN_PLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* pcsc-lite's run directory: pcscd creates it and writes its pid file there whatever socket it
 * serves (pcsc-lite 1.9 and 2.x, Debian's build). */
#define VT_PCSCD_IPC_DIR  "/run/pcscd"
#define VT_PCSCD_PID_FILE VT_PCSCD_IPC_DIR "/pcscd.pid"

/* A listening Unix socket at path (0600 in a 0700 directory: the caller's user only), for
 * pcscd. The descriptor (close-on-exec), or -1 with errno. */
int vt_plain_listen(const char *path);

/* In a forked child before exec: fd becomes descriptor 3 and LISTEN_FDS/LISTEN_PID say so
 * (sd_listen_fds(3)'s protocol, which pcscd checks). 0, or -1 with errno. */
int vt_plain_pass_socket(int fd);

/* In a forked child: it is killed when the process that forked it dies (also by SIGKILL);
 * parent is that process's pid, checked after the request in case it died before. */
void vt_plain_die_with_parent(pid_t parent);

/* SIGKILLs every child of this process (a subreaper: COMMAND's orphans become its children)
 * and reaps them, again until none is left. */
void vt_plain_kill_children(void);

/* pcscd cannot start without VT_PCSCD_IPC_DIR (it creates it, or exits): it is created when it
 * can be (root), else vtoken run says how to make it. 0, or -1 (said why). */
int vt_plain_check_ipc_dir(void);

/* Directory locks: a run holds DIR/.lock (flock) for its whole life, in vtoken run and its
 * supervisor; a directory whose lock nobody holds belongs to a run that was killed with both.
 * vt_plain_lock returns the descriptor (close-on-exec), or -1 with errno. */
int vt_plain_lock(const char *dir);

/* Removes, with remove_tree, every vtoken-run.* directory of this user in tmpdir whose lock is
 * free: what runs killed before they could clean up left. */
void vt_plain_sweep(const char *tmpdir, void (*remove_tree)(const char *dir));

/* pcsc-lite's pid file as it was before a run's pcscd (running as root, where it can write
 * there) took it over, and put back after; when there was none, the one the run's pcscd (pid
 * pcscd) left when it was killed is removed. */
struct vt_pidfile {
        bool saved;
        char text[32];
        size_t len;
};
void vt_plain_pidfile_save(struct vt_pidfile *p);
void vt_plain_pidfile_restore(const struct vt_pidfile *p, pid_t pcscd);

#endif
