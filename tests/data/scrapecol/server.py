"""server.py: the loopback endpoint scrapecol's tests scrape.

usage: server.py DIR [CERT KEY]

Listens on 127.0.0.1 (a free port, written to DIR/port) and answers:
  /file/NAME     DIR/NAME, read at each request: .prom as text 0.0.4,
                 .om as OpenMetrics 1.0, gzip-encoded when the client
                 accepts gzip and NAME contains "gz"
  /bearer/NAME   the same, only with "Authorization: Bearer TOKEN" where
                 TOKEN is DIR/token (else 401)
  /basic/NAME    the same, only with basic auth user "u", password DIR/password
  /params        one sample per query parameter value: param{name="",value=""} 1
  /headers       the request's Accept, Accept-Encoding, User-Agent and
                 X-Prometheus-Scrape-Timeout-Seconds as hdr{name="",value=""} 1
  /status/CODE   that status, a text body
  /slow          answers after 30 seconds
  /redirect/NAME a 302 to /file/NAME
Each request path is appended to DIR/requests.log.  With CERT and KEY
it speaks HTTPS only.
"""
import base64
import gzip
import http.server
import os
import ssl
import sys
import time
import urllib.parse

DIR = sys.argv[1]


def esc(s):
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, code, body, ctype="text/plain; version=0.0.4; charset=utf-8",
               extra=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def serve_file(self, name):
        path = os.path.join(DIR, name)
        if "/" in name or not os.path.isfile(path):
            self.answer(404, b"not found\n")
            return
        with open(path, "rb") as f:
            body = f.read()
        ctype = "text/plain; version=0.0.4; charset=utf-8"
        if name.endswith(".om"):
            ctype = "application/openmetrics-text; version=1.0.0; charset=utf-8"
        extra = {}
        if "gz" in name and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            extra["Content-Encoding"] = "gzip"
        self.answer(200, body, ctype, extra)

    def secret(self, name):
        with open(os.path.join(DIR, name)) as f:
            return f.read().strip()

    def do_GET(self):
        with open(os.path.join(DIR, "requests.log"), "a") as f:
            f.write(self.path + "\n")
        u = urllib.parse.urlsplit(self.path)
        parts = u.path.split("/", 2)
        kind = parts[1] if len(parts) > 1 else ""
        arg = parts[2] if len(parts) > 2 else ""
        if kind == "file":
            self.serve_file(arg)
        elif kind == "bearer":
            if self.headers.get("Authorization") != "Bearer " + self.secret("token"):
                self.answer(401, b"unauthorized\n")
            else:
                self.serve_file(arg)
        elif kind == "basic":
            want = "Basic " + base64.b64encode(
                ("u:" + self.secret("password")).encode()).decode()
            if self.headers.get("Authorization") != want:
                self.answer(401, b"unauthorized\n")
            else:
                self.serve_file(arg)
        elif kind == "params":
            out = ""
            for k, v in urllib.parse.parse_qsl(u.query, keep_blank_values=True):
                out += 'param{name="%s",value="%s"} 1\n' % (esc(k), esc(v))
            self.answer(200, out.encode())
        elif kind == "headers":
            out = ""
            for h in ("Accept", "Accept-Encoding", "User-Agent",
                      "X-Prometheus-Scrape-Timeout-Seconds"):
                out += 'hdr{name="%s",value="%s"} 1\n' % (
                    h, esc(self.headers.get(h, "")))
            self.answer(200, out.encode())
        elif kind == "status":
            self.answer(int(arg), b"failed on purpose\n")
        elif kind == "slow":
            time.sleep(30)
            self.answer(200, b"late 1\n")
        elif kind == "redirect":
            self.answer(302, b"", extra={"Location": "/file/" + arg})
        else:
            self.answer(404, b"not found\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Hundreds of targets connect at once.
    request_queue_size = 1024


srv = Server(("127.0.0.1", 0), Handler)
if len(sys.argv) > 3:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(os.path.join(DIR, "port.tmp"), "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
srv.serve_forever()
