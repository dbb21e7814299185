#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Runs COMMAND where no namespace can be made, as in a container with its runtime's default
seccomp profile (Docker's, Podman's) or on Ubuntu 24.04 with AppArmor's restriction on
unprivileged user namespaces: a seccomp filter (libseccomp, python3-seccomp) refuses unshare,
setns and clone with any CLONE_NEW* flag with EPERM, and clone3 with ENOSYS (so that the C
library falls back to clone, whose flags the filter can see), for COMMAND and everything it
starts. With --user UID (as root) COMMAND runs as that user, without supplementary groups.
Usage: without_namespaces.py [--user UID] COMMAND [ARGS...]"""
import errno
import os
import sys

import seccomp

CLONE_NEW = (
    0x00000080  # CLONE_NEWTIME
    | 0x00020000  # CLONE_NEWNS
    | 0x02000000  # CLONE_NEWCGROUP
    | 0x04000000  # CLONE_NEWUTS
    | 0x08000000  # CLONE_NEWIPC
    | 0x10000000  # CLONE_NEWUSER
    | 0x20000000  # CLONE_NEWPID
    | 0x40000000  # CLONE_NEWNET
)

args = sys.argv[1:]
uid = None
if args[:1] == ["--user"]:
    uid, args = int(args[1]), args[2:]
if not args:
    sys.exit(__doc__)
f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
f.add_rule(seccomp.ERRNO(errno.EPERM), "unshare")
f.add_rule(seccomp.ERRNO(errno.EPERM), "setns")
f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
# clone's first argument holds the flags (x86-64, arm64: the same order)
f.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_NEW, CLONE_NEW))
for bit in range(32):
    if CLONE_NEW & (1 << bit):
        f.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, 1 << bit, 1 << bit))
if uid is not None:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
f.load()  # no_new_privs is set by libseccomp by default: what runs cannot gain privileges
os.execvp(args[0], args)
