#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Plays the service manager's side of sd_notify: binds a datagram socket, prints each
notification (one field per line, stamped with ms since start), and exits after STOPPING=1.
Usage: notify_listen.py SOCKET READY_FIFO"""
import os
import socket
import sys
import time

path, ready = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
start = time.monotonic()
with open(ready, "w") as f:
    f.write("listening\n")
s.settimeout(60)
while True:
    data = s.recv(4096).decode()
    for field in data.splitlines():
        print(f"{int((time.monotonic() - start) * 1000)} {field}", flush=True)
    if "STOPPING=1" in data.splitlines():
        break
os.unlink(path)
