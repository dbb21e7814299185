#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An https server on 127.0.0.1 that demands a client certificate issued by a given CA.

Usage: client_auth_server.py PORT CERT KEY CAFILE

Prints "listening on 127.0.0.1:PORT" once it accepts connections, then one line per request
("GET PATH client subject=[...] issuer=[...] serial=... sha256=...", the SHA-256 of the client
certificate's DER) and one per refused handshake ("handshake refused: REASON"). The page it
sends back names the client certificate's subject and serial number.
"""
import hashlib
import html
import http.server
import ssl
import sys

port, cert, key, cafile = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.load_verify_locations(cafile)
ctx.verify_mode = ssl.CERT_REQUIRED  # no certificate, or one not issued by CAFILE: refused


def log(msg):
    print(msg, flush=True)


def name(rdns):
    return ", ".join("%s=%s" % kv for rdn in rdns for kv in rdn)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        peer = self.connection.getpeercert()
        der = self.connection.getpeercert(binary_form=True)
        log("GET %s client subject=[%s] issuer=[%s] serial=%s sha256=%s" % (
            self.path, name(peer["subject"]), name(peer["issuer"]), peer["serialNumber"],
            hashlib.sha256(der).hexdigest().upper()))
        body = ("<!DOCTYPE html><title>vtoken e-Cert login</title><body>"
                "<h1>Logged in with a client certificate</h1>"
                "<p id=subject>Subject: %s</p><p id=serial>Serial: %s</p></body>"
                % (html.escape(name(peer["subject"])), peer["serialNumber"])).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def finish_request(self, request, client_address):
        # The handshake runs in the connection's own thread, and a refusal is logged.
        request.settimeout(30)
        try:
            tls = ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            log("handshake refused: %s" % e)
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            tls.close()


server = Server(("127.0.0.1", port), Handler)
log("listening on 127.0.0.1:%d" % port)
server.serve_forever()
