#!/usr/bin/env python3
"""An HTTP CONNECT proxy on 127.0.0.1 (what HTTPS_PROXY names), logging each tunnel.

Usage: connect_proxy.py PORT LOG. Each CONNECT is logged to LOG as "CONNECT HOST:PORT".
"""
import socket
import socketserver
import sys
import threading

PORT, LOG = int(sys.argv[1]), sys.argv[2]


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline().decode("latin-1").strip()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        parts = line.split()
        if len(parts) < 2 or parts[0] != "CONNECT":
            self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        with open(LOG, "a") as f:
            f.write(f"CONNECT {parts[1]}\n")
        host, port = parts[1].rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        t = threading.Thread(target=pump, args=(upstream, self.connection), daemon=True)
        t.start()
        pump(self.connection, upstream)
        t.join()
        upstream.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


Server(("127.0.0.1", PORT), Handler).serve_forever()
