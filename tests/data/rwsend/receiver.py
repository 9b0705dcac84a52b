#!/usr/bin/python3
# receiver.py: a loopback remote-write receiver for rwsend's tests.  It
# records each request's exact body (as sent and snappy-decoded) and
# headers, and answers with scripted statuses.
#
# usage: receiver.py DIR [SCRIPT]
#   Listens on 127.0.0.1, an ephemeral port, written to DIR/port once ready.
#   Request N (from 1) is saved as DIR/N.body (raw), DIR/N.pb (decoded
#   with python3-snappy, independent of rwsend's encoder), DIR/N.headers
#   ("Name: value" lines, in the order received, after a first line
#   "METHOD PATH PEER-PORT") and a line "N STATUS TIME" in DIR/log.
#   SCRIPT has one answer per request: "STATUS [RETRY-AFTER [BODY...]]";
#   past its end, or without it, every answer is 200 (or the last line
#   if it starts with '*': "*503" answers 503 forever).  The answer
#   "hang" takes the request and never answers.
import http.server
import os
import sys
import threading
import time

import snappy

DIR = sys.argv[1]
script = []
if len(sys.argv) > 2:
    with open(sys.argv[2]) as f:
        script = [l.rstrip("\n") for l in f if l.strip()]
count = 0
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        global count
        with lock:
            count += 1
            n = count
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        with open(os.path.join(DIR, "%d.body" % n), "wb") as f:
            f.write(body)
        try:
            pb = snappy.uncompress(body)
        except Exception as e:  # noqa: BLE001
            pb = b""
            with open(os.path.join(DIR, "%d.error" % n), "w") as f:
                f.write("snappy: %s\n" % e)
        with open(os.path.join(DIR, "%d.pb" % n), "wb") as f:
            f.write(pb)
        with open(os.path.join(DIR, "%d.headers" % n), "w") as f:
            f.write("%s %s %d\n" % (self.command, self.path,
                                    self.client_address[1]))
            for k, v in self.headers.items():
                f.write("%s: %s\n" % (k, v))
        status, retry_after, text = 200, None, ""
        line = None
        if n <= len(script):
            line = script[n - 1]
        elif script and script[-1].startswith("*"):
            line = script[-1]
        if line and line.lstrip("*") == "hang":
            # a peer that takes the request and never answers
            with lock, open(os.path.join(DIR, "log"), "a") as f:
                f.write("%d hang %.3f\n" % (n, time.time()))
            time.sleep(3600)
            return
        if line:
            parts = line.lstrip("*").split(" ", 2)
            status = int(parts[0])
            if len(parts) > 1 and parts[1] != "-":
                retry_after = parts[1]
            if len(parts) > 2:
                text = parts[2]
        if status >= 400 and not text:
            text = "scripted error %d" % status
        data = (text + "\n").encode() if text else b""
        with lock, open(os.path.join(DIR, "log"), "a") as f:
            f.write("%d %d %.3f\n" % (n, status, time.time()))
        self.send_response(status)
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except OSError:
            pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
tmp = os.path.join(DIR, "port.tmp")
with open(tmp, "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(tmp, os.path.join(DIR, "port"))
srv.serve_forever()
