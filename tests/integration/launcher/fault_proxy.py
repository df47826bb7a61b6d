#!/usr/bin/env python3
"""A TLS proxy on 127.0.0.1 in front of the test registry that breaks blob transfers on purpose.

Usage: fault_proxy.py MODE PORT REGISTRY_PORT CERT KEY CA LOG [MANIFEST]
MODE: pass (forward only), cut (the first GET of each blob stops half-way, connection
closed), 429 (the first GET of each blob is answered 429 with Retry-After: 1), flip (one byte
of every blob over 4 KiB flipped), redirect (blob GETs are sent to https://localhost:PORT/cdn/..., which
serves them without asking for credentials, as a CDN does), manifest (every manifest GET is
answered with the bytes of the file MANIFEST, read anew each time, typed by its mediaType),
short (blobs over 4 KiB end half-way, as whole answers of that length; a Range request for
the rest is answered 416), slow (each blob answer is held $FAULT_DELAY seconds, default 3,
after the registry gave it, as a slow link delivers it), forbidden (blobs over 4 KiB are answered 403 DENIED, as a registry
or a CDN that refuses this client), trickle (blobs over 4 KiB are sent in ten pieces, 0.2 s
apart).
Each blob request is logged to LOG: "PATH range=RANGE auth=yes|no status=N sent=BYTES".
"""
import base64
import http.client
import http.server
import json
import os
import ssl
import sys
import threading
import time

MODE, PORT, UPSTREAM, CERT, KEY, CA, LOG = sys.argv[1:8]
MANIFEST = sys.argv[8] if len(sys.argv) > 8 else None
PORT, UPSTREAM = int(PORT), int(UPSTREAM)
HOP = {"connection", "transfer-encoding", "keep-alive"}
seen = set()
lock = threading.Lock()
upstream_ctx = ssl.create_default_context(cafile=CA)


def first_time(path):
    with lock:
        if path in seen:
            return False
        seen.add(path)
        return True


def log(line):
    with lock, open(LOG, "a") as f:
        f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def upstream(self, path, headers):
        conn = http.client.HTTPSConnection("127.0.0.1", UPSTREAM, context=upstream_ctx)
        conn.request(self.command, path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        return resp, body

    def do_GET(self):
        path = self.path
        blob = "/blobs/sha256:" in path
        auth = self.headers.get("Authorization")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP | {"host"}}
        if MODE == "redirect" and blob and not path.startswith("/cdn/"):
            log(f"{path} redirect auth={'yes' if auth else 'no'}")
            self.send_response(307)
            self.send_header("Location", f"https://localhost:{PORT}/cdn{path}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path.startswith("/cdn/"):
            log(f"{path} cdn auth={'yes' if auth else 'no'}")
            path = path[4:]
            # The CDN needs no credentials from the client: it has its own way in.
            headers["Authorization"] = "Basic " + base64.b64encode(b"tester:s3cret").decode()
        if MODE == "manifest" and "/manifests/" in path:
            with open(MANIFEST, "rb") as f:
                body = f.read()
            try:
                ctype = json.loads(body).get("mediaType", "application/json")
            except ValueError:
                ctype = "application/json"
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if MODE == "429" and blob and first_time(path):
            log(f"{path} range={self.headers.get('Range')} auth={'yes' if auth else 'no'} status=429 sent=0")
            self.send_response(429)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if MODE == "short" and blob and "Range" in self.headers:
            log(f"{path} range={self.headers.get('Range')} auth={'yes' if auth else 'no'} "
                f"status=416 sent=0")
            self.send_response(416)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        resp, body = self.upstream(path, headers)
        if MODE == "forbidden" and blob and len(body) > 4096:
            body = json.dumps({"errors": [{"code": "DENIED", "message":
                                           "requested access to the resource is denied"}]})
            log(f"{path} range={self.headers.get('Range')} auth={'yes' if auth else 'no'} "
                f"status=403 sent=0")
            self.send_response(403)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())
            return
        if MODE == "slow" and blob:
            time.sleep(float(os.environ.get("FAULT_DELAY", "3")))
        if MODE == "short" and blob and len(body) > 4096:
            body = body[:len(body) // 2]
        # Layers only (configs are small): the streamed path's digest check is the one to test.
        if MODE == "flip" and blob and resp.status in (200, 206) and len(body) > 4096:
            i = len(body) // 2
            body = body[:i] + bytes([body[i] ^ 0x01]) + body[i + 1:]
        cut = MODE == "cut" and blob and resp.status == 200 and "Range" not in self.headers \
            and first_time(path)
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in HOP | {"content-length"}:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        sent = len(body) // 2 if cut else len(body)
        if MODE == "trickle" and blob and len(body) > 4096:
            step = len(body) // 10 + 1
            for i in range(0, len(body), step):
                self.wfile.write(body[i:i + step])
                self.wfile.flush()
                time.sleep(0.2)
        else:
            self.wfile.write(body[:sent])
        self.wfile.flush()
        if blob:
            log(f"{path} range={self.headers.get('Range')} auth={'yes' if auth else 'no'} "
                f"status={resp.status} sent={sent}")
        if cut:
            self.close_connection = True
            self.connection.shutdown(2)

    do_HEAD = do_GET


server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.daemon_threads = True
server.serve_forever()
