#!/usr/bin/python3
"""An HTTP and an HTTPS server on free loopback ports for net::HttpClient's tests.

Usage: http_test_server.py DIR   (DIR: an empty temporary directory for the certificate)
Prints "http PORT", "https PORT" and "ready" on standard output, then serves until killed. Both ports serve:
  /echo                      200, JSON {method, path, headers (names lowercased), body}
  /status/N                  status N, body "status N"
  /redirect/N                302 to /redirect/N-1; /redirect/0 answers 200 "arrived"
  /see-other                 303 to /echo (a POST becomes a GET)
  /cookie/set?NAME=VALUE     200 with Set-Cookie: NAME=VALUE; Path=/
  /cookie/get                200, the request's Cookie header (empty when none)
  /bytes/N                   N bytes of 'x' with a Content-Length
  /chunked/N                 N bytes of 'x', chunked, with no length announced
  /headers/N                 200 with N bytes of response headers
"""
import http.server
import json
import os
import ssl
import sys
import threading
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cert import make_certificate  # noqa: E402


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so a session's connection is reused

    def log_message(self, format, *args):  # quiet: the tests' output is for the tests
        pass

    def reply(self, status, body=b"", headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        number = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        if parts[0] == "echo":
            echo = {"method": self.command, "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body.decode("utf-8", "replace")}
            self.reply(200, json.dumps(echo), [("Content-Type", "application/json"), ("X-Echo", "yes")])
        elif parts[0] == "status":
            self.reply(number, f"status {number}")
        elif parts[0] == "redirect":
            if number == 0:
                self.reply(200, "arrived")
            else:
                self.reply(302, "moved", [("Location", f"/redirect/{number - 1}")])
        elif parts[0] == "see-other":
            self.reply(303, "", [("Location", "/echo")])
        elif url.path == "/cookie/set":
            cookies = [("Set-Cookie", f"{k}={v}; Path=/") for k, v in urllib.parse.parse_qsl(url.query)]
            self.reply(200, "set", cookies)
        elif url.path == "/cookie/get":
            self.reply(200, self.headers.get("Cookie", ""))
        elif parts[0] == "bytes":
            self.reply(200, b"x" * number)
        elif parts[0] == "chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            left = number
            while left > 0:
                n = min(left, 16384)
                self.wfile.write(b"%x\r\n" % n + b"x" * n + b"\r\n")
                left -= n
            self.wfile.write(b"0\r\n\r\n")
        elif parts[0] == "headers":
            filler = [(f"X-Filler-{i}", "f" * 990) for i in range(max(1, number // 1000))]
            self.reply(200, "many headers", filler)
        else:
            self.reply(404, "no such route")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_any


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that refuses our certificate is part of the tests


def main():
    directory = sys.argv[1]
    cert, key = make_certificate(directory)
    plain = Server(("127.0.0.1", 0), Handler)
    secure = Server(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    secure.socket = context.wrap_socket(secure.socket, server_side=True, do_handshake_on_connect=False)
    for server in (plain, secure):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"http {plain.server_address[1]}", flush=True)
    print(f"https {secure.server_address[1]}", flush=True)
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
