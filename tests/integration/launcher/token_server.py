#!/usr/bin/env python3
"""A Bearer token server for the test registry (distribution's token auth), on 127.0.0.1.

Usage: token_server.py PORT CERT KEY TOKEN_KEY TOKEN_CERT ISSUER SERVICE LOG [EXPIRES_IN LIFETIME]
GET /token?service=S&scope=repository:NAME:pull with Basic tester:s3cret answers
{"token": JWT, "expires_in": EXPIRES_IN}: an RS256 JWT signed with TOKEN_KEY (by `openssl dgst`),
its "kid" the libtrust key ID of TOKEN_CERT's public key (how the registry finds the key in
its rootcertbundle), granting pull on NAME, that the registry refuses LIFETIME seconds after
it was issued (both 300 by default; a LIFETIME longer than EXPIRES_IN is a server that says
less than the truth, a shorter one a server whose tokens die early). Without those
credentials: 401. Each request is logged to LOG: "service=S scope=SCOPE auth=yes|no".
"""
import base64
import hashlib
import http.server
import json
import ssl
import subprocess
import sys
import time
import urllib.parse

PORT, CERT, KEY, TOKEN_KEY, TOKEN_CERT, ISSUER, SERVICE, LOG = sys.argv[1:9]
EXPIRES_IN, LIFETIME = (int(a) for a in (sys.argv[9:11] if len(sys.argv) > 10 else (300, 300)))
# distribution accepts a token up to 60 s past its "exp" (clock skew between it and the
# token server, token.go's Leeway): the claim is set that much earlier.
LEEWAY = 60
GOOD = "Basic " + base64.b64encode(b"tester:s3cret").decode()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def key_id():
    der = subprocess.run(["openssl", "x509", "-in", TOKEN_CERT, "-noout", "-pubkey"],
                         check=True, capture_output=True).stdout
    spki = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=der,
                          check=True, capture_output=True).stdout
    b32 = base64.b32encode(hashlib.sha256(spki).digest()[:30]).decode().rstrip("=")
    return ":".join(b32[i:i + 4] for i in range(0, len(b32), 4))


KID = key_id()


def sign(payload):
    header = {"typ": "JWT", "alg": "RS256", "kid": KID}
    msg = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode()))
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", TOKEN_KEY], input=msg.encode(),
                         check=True, capture_output=True).stdout
    return msg + "." + b64url(sig)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        scope = q.get("scope", [""])[0]
        auth = self.headers.get("Authorization")
        with open(LOG, "a") as f:
            f.write(f"service={q.get('service', [''])[0]} scope={scope} "
                    f"auth={'yes' if auth else 'no'}\n")
        if auth != GOOD:
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        access = []
        parts = scope.split(":")
        if len(parts) == 3 and parts[0] == "repository":
            access.append({"type": "repository", "name": parts[1], "actions": ["pull"]})
        now = int(time.time())
        token = sign({"iss": ISSUER, "sub": "tester", "aud": SERVICE, "exp": now + LIFETIME - LEEWAY,
                      "nbf": now - 10, "iat": now, "jti": str(time.time_ns()),
                      "access": access})
        body = json.dumps({"token": token, "expires_in": EXPIRES_IN}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


server = http.server.ThreadingHTTPServer(("127.0.0.1", int(PORT)), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.daemon_threads = True
server.serve_forever()
