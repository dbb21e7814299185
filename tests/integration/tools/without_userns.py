#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Runs COMMAND as an unprivileged user on a system where user namespaces are disabled, without
touching the host's settings: COMMAND runs inside a user namespace of its own (uids 0-65535
mapped as they are) whose user.max_user_namespaces is 0, so the kernel refuses it any further
user namespace (ENOSPC), as a host with user.max_user_namespaces = 0 does. Needs root.
Usage: without_userns.py UID COMMAND [ARGS...]"""
import ctypes
import os
import sys

CLONE_NEWUSER = 0x10000000
uid, command = int(sys.argv[1]), sys.argv[2:]
libc = ctypes.CDLL(None, use_errno=True)
to_child_r, to_child_w = os.pipe()
to_parent_r, to_parent_w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(to_child_w)
    os.close(to_parent_r)
    if libc.unshare(CLONE_NEWUSER) != 0:
        sys.exit("without_userns: unshare: " + os.strerror(ctypes.get_errno()))
    os.write(to_parent_w, b"u")
    os.read(to_child_r, 1)  # the parent has written the maps
    with open("/proc/sys/user/max_user_namespaces", "w") as f:
        f.write("0\n")  # this namespace's limit, not the host's
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    os.execvp(command[0], command)
os.close(to_child_r)
os.close(to_parent_w)
if os.read(to_parent_r, 1) != b"u":
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status))
for name in ("uid_map", "gid_map"):
    with open("/proc/%d/%s" % (pid, name), "w") as f:
        f.write("0 0 65536\n")
os.write(to_child_w, b"m")
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
