#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Drives a running Firefox (started with --marionette -remote-allow-system-access) through its
Marionette port: optionally logs in to a security device with its password, loads a URL, and
saves what Firefox shows.

Usage: firefox_marionette.py PORT URL OUTDIR [DEVICE PASSWORD]

DEVICE is a security device (PKCS#11 module) name, e.g. "e-Cert Token". Firefox asks for a
token's password in a dialog (token.login()); here the dialog's answer is given by a prompter
that returns PASSWORD, in place of the dialog, only while that login runs.

Writes OUTDIR/login (the prompt text, then "TOKEN logged-in=true|false" per token),
OUTDIR/navigate ("ok" or the error Marionette reports), OUTDIR/url, OUTDIR/title,
OUTDIR/page.html and OUTDIR/screenshot.png. Then quits Firefox.
"""
import base64
import json
import os
import socket
import sys

port, url, outdir = int(sys.argv[1]), sys.argv[2], sys.argv[3]
device, password = (sys.argv[4], sys.argv[5]) if len(sys.argv) > 5 else (None, None)

sock = socket.create_connection(("127.0.0.1", port), timeout=60)
pending = b""
msg_id = 0


def receive():
    global pending
    while b":" not in pending:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("Marionette closed the connection")
        pending += chunk
    length, rest = pending.split(b":", 1)
    length = int(length)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("Marionette closed the connection")
        rest += chunk
    pending = rest[length:]
    return json.loads(rest[:length])


class MarionetteError(Exception):
    pass


def command(name, params=None):
    global msg_id
    msg_id += 1
    data = json.dumps([0, msg_id, name, params or {}]).encode()
    sock.sendall(str(len(data)).encode() + b":" + data)
    while True:
        reply = receive()
        if reply[0] == 1 and reply[1] == msg_id:
            if reply[2]:
                raise MarionetteError("%s: %s" % (reply[2].get("error"), reply[2].get("message")))
            return reply[3]


def write(name, text):
    with open(os.path.join(outdir, name), "w") as f:
        f.write(text + "\n")


LOGIN = """
const [device, password] = arguments;
return (async () => {
  const out = [];
  const prompter = {
    promptPassword(title, text, pw) { out.push("prompt: " + text); pw.value = password; return true; },
    QueryInterface: ChromeUtils.generateQI(["nsIPrompt"]),
  };
  const watcher = {
    getNewPrompter: () => prompter,
    QueryInterface: ChromeUtils.generateQI(["nsIWindowWatcher"]),
  };
  const contract = "@mozilla.org/embedcomp/window-watcher;1";
  const registrar = Components.manager.QueryInterface(Ci.nsIComponentRegistrar);
  const realCid = registrar.contractIDToCID(contract);
  const cid = Services.uuid.generateUUID();
  const factory = { createInstance: iid => watcher.QueryInterface(iid) };
  registrar.registerFactory(cid, "password for " + device, contract, factory);
  try {
    const moduleDB = Cc["@mozilla.org/security/pkcs11moduledb;1"].getService(Ci.nsIPKCS11ModuleDB);
    for (const module of await moduleDB.listModules()) {
      if (module.name != device) continue;
      for (const slot of module.slots) {
        if (slot.status == Ci.nsIPKCS11Slot.SLOT_NOT_PRESENT) continue;
        const token = await slot.getToken();
        await token.login(false);
        out.push(token.tokenName + " logged-in=" + token.isLoggedIn);
      }
    }
  } catch (e) {
    out.push("error: " + e);
  } finally {
    registrar.unregisterFactory(cid, factory);
    registrar.registerFactory(realCid, "", contract, null);
  }
  return out;
})();
"""

receive()  # the server's hello
command("WebDriver:NewSession", {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": False}}})
if device:
    command("Marionette:SetContext", {"value": "chrome"})
    lines = command("WebDriver:ExecuteScript", {"script": LOGIN, "args": [device, password]})["value"]
    write("login", "\n".join(lines))
    command("Marionette:SetContext", {"value": "content"})
try:
    command("WebDriver:Navigate", {"url": url})
    write("navigate", "ok")
except MarionetteError as e:
    write("navigate", str(e))
write("url", command("WebDriver:GetCurrentURL")["value"])
write("title", command("WebDriver:GetTitle")["value"])
write("page.html", command("WebDriver:GetPageSource")["value"])
png = command("WebDriver:TakeScreenshot", {"full": False, "hash": False})["value"]
with open(os.path.join(outdir, "screenshot.png"), "wb") as f:
    f.write(base64.b64decode(png))
try:
    command("Marionette:Quit", {"flags": ["eForceQuit"]})
except (MarionetteError, EOFError, OSError):
    pass
