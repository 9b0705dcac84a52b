#!/usr/bin/python3
"""oneshot.py DIR: answers one POST with 204 and saves its body,
snappy-decoded, as DIR/body.pb (for protoc --decode); the port it listens
on goes to DIR/port."""
import http.server
import os
import sys

import snappy

DIR = sys.argv[1]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(os.path.join(DIR, "body.pb"), "wb") as f:
            f.write(snappy.uncompress(body))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(DIR, "port.tmp"), "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
srv.handle_request()
