#!/usr/bin/python3
"""receiver.py: a Loki push API stand-in for lokipush's tests.

Decodes each POST to /loki/api/v1/push on its own (snappy from
python3-snappy, protobuf by a small wire-format reader that knows Loki's
logproto field numbers, JSON by the json module): nothing of lokipush's
encoder is used.  Appends every entry, in the order received, to
DIR/entries as the obs line format ({labels} TS_NS "line", labels sorted,
the line escaped as obs-format(5) says), and one line per request to
DIR/requests: STATUS CONTENT-TYPE TENANT ENTRIES STREAMS AUTH UA.

DIR/answers, when present, says what to answer instead of 204: lines of
"STATUS COUNT [BODY...]"; each request takes one from the first line.
DIR/delay holds seconds to wait before each answer (a slow receiver).

usage: receiver.py DIR (it listens on a free port of 127.0.0.1 and
writes the port to DIR/port when ready)
"""
import http.server
import json
import os
import re
import sys
import threading
import time

import snappy

DIR = sys.argv[1]
LOCK = threading.Lock()


def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        if c < 0x80:
            return v, i
        shift += 7


def fields(b):
    """Yields (number, wiretype, value) of one message."""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 2:
            n, i = varint(b, i)
            v = b[i:i + n]
            i += n
            if len(v) != n:
                raise ValueError("truncated field")
        elif wt == 1:
            v = b[i:i + 8]
            i += 8
        elif wt == 5:
            v = b[i:i + 4]
            i += 4
        else:
            raise ValueError("wire type %d" % wt)
        yield num, wt, v


def signed64(v):
    return v - (1 << 64) if v >= 1 << 63 else v


# logproto: PushRequest.streams=1; StreamAdapter labels=1 entries=2 hash=3;
# EntryAdapter timestamp=1 line=2 structuredMetadata=3;
# google.protobuf.Timestamp seconds=1 nanos=2.
def decode_protobuf(body):
    streams = []
    for num, wt, v in fields(body):
        if num != 1 or wt != 2:
            raise ValueError("PushRequest: unexpected field %d" % num)
        labels, entries = None, []
        for n2, w2, v2 in fields(v):
            if n2 == 1 and w2 == 2:
                labels = v2.decode("utf-8")
            elif n2 == 2 and w2 == 2:
                sec = nanos = 0
                line = b""
                for n3, w3, v3 in fields(v2):
                    if n3 == 1 and w3 == 2:
                        for n4, w4, v4 in fields(v3):
                            if n4 == 1 and w4 == 0:
                                sec = signed64(v4)
                            elif n4 == 2 and w4 == 0:
                                nanos = signed64(v4)
                    elif n3 == 2 and w3 == 2:
                        line = v3
                    elif n3 == 3:
                        pass
                    else:
                        raise ValueError("EntryAdapter: field %d" % n3)
                entries.append((sec * 1000000000 + nanos, line))
            elif n2 == 3 and w2 == 0:
                pass
            else:
                raise ValueError("StreamAdapter: field %d" % n2)
        if labels is None:
            raise ValueError("stream without labels")
        streams.append((parse_labels(labels), entries))
    return streams


LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')


def parse_labels(s):
    s = s.strip()
    if not (s.startswith("{") and s.endswith("}")):
        raise ValueError("labels %r" % s)
    body, out, i = s[1:-1], {}, 0
    while i < len(body):
        m = LABEL.match(body, i)
        if not m:
            raise ValueError("labels %r" % s)
        v = re.sub(r'\\(.)', lambda x: {"n": "\n"}.get(x.group(1), x.group(1)),
                   m.group(2))
        out[m.group(1)] = v
        i = m.end()
    return out


def decode_json(body):
    doc = json.loads(body)
    streams = []
    for s in doc["streams"]:
        entries = [(int(ts), line.encode("utf-8", "surrogateescape"))
                   for ts, line in s["values"]]
        streams.append((dict(s["stream"]), entries))
    return streams


def esc_label(v):
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def esc_line(b):
    out = []
    for c in b:
        if c == 0x5C:
            out.append("\\\\")
        elif c == 0x22:
            out.append('\\"')
        elif c == 0x0A:
            out.append("\\n")
        elif c == 0x0D:
            out.append("\\r")
        elif c == 0x09:
            out.append("\\t")
        elif c < 0x20 or c == 0x7F:
            out.append("\\x%02x" % c)
        else:
            out.append(chr(c))
    # bytes >= 0x80 were mapped one to one: back to the UTF-8 text
    return "".join(out).encode("latin-1").decode("utf-8", "replace")


def answer():
    """What to answer: (status, body) from DIR/answers, else (204, "")."""
    path = os.path.join(DIR, "answers")
    try:
        with open(path) as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
    except FileNotFoundError:
        return 204, ""
    if not lines:
        return 204, ""
    parts = lines[0].split(" ", 2)
    status, count = int(parts[0]), int(parts[1])
    body = parts[2] if len(parts) > 2 else ""
    if count <= 1:
        lines = lines[1:]
    else:
        lines[0] = "%d %d %s" % (status, count - 1, body)
    with open(path + ".tmp", "w") as f:
        f.write("".join(l + "\n" for l in lines))
    os.rename(path + ".tmp", path)
    return status, body


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        ctype = self.headers.get("Content-Type", "-")
        with LOCK:
            try:
                with open(os.path.join(DIR, "delay")) as f:
                    time.sleep(float(f.read().strip() or 0))
            except FileNotFoundError:
                pass
            if self.path != "/loki/api/v1/push":
                self.reply(404, "404 page not found\n")
                return
            try:
                if ctype == "application/x-protobuf":
                    streams = decode_protobuf(snappy.uncompress(body))
                elif ctype == "application/json":
                    streams = decode_json(body)
                else:
                    raise ValueError("content type %s" % ctype)
            except Exception as e:  # a bad body is the test's failure
                with open(os.path.join(DIR, "errors"), "a") as f:
                    f.write("%s\n" % e)
                self.reply(400, "cannot decode: %s\n" % e)
                return
            status, why = answer()
            nent = sum(len(e) for _, e in streams)
            with open(os.path.join(DIR, "requests"), "a") as f:
                f.write("%d %s %s %d %d %s %s\n" % (
                    status, ctype,
                    self.headers.get("X-Scope-OrgID", "-"), nent,
                    len(streams),
                    self.headers.get("Authorization", "-").replace(" ", "_"),
                    self.headers.get("User-Agent", "-").split("/")[0]))
            if status >= 300:
                self.reply(status, why + "\n")
                return
            with open(os.path.join(DIR, "entries"), "a") as f:
                for labels, entries in streams:
                    lab = ",".join('%s="%s"' % (k, esc_label(labels[k]))
                                   for k in sorted(labels))
                    for ts, line in entries:
                        f.write('{%s} %d "%s"\n' % (lab, ts, esc_line(line)))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


if __name__ == "__main__":
    srv = Server(("127.0.0.1", 0), Handler)
    with open(os.path.join(DIR, "port.tmp"), "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
    srv.serve_forever()
