"""compare.py: scrapecol's series against what Prometheus stored.

usage: compare.py PROM_QUERY.json SCRAPECOL_OUTPUT [--labels-only] [--skip NAME]...

PROM_QUERY.json is the answer of an instant query (/api/v1/query) for the
job; SCRAPECOL_OUTPUT is scrapecol's output for the same target.  Prints
each series only one side has, and each value that differs (NaN equals
NaN; values of the --skip metrics and, with --labels-only, all values are
not compared); exits 1 if anything differs.  Stale lines and comments of
scrapecol's output are ignored.
"""
import json
import math
import re
import sys

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)(?: (-?\d+))?$')
PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def unescape(s):
    return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), s)


def ours(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for ln in f:
            ln = ln.rstrip("\n")
            if not ln or ln.startswith("#"):
                continue
            m = LINE.match(ln)
            if not m:
                sys.exit("compare.py: cannot read line: %r" % ln)
            if m.group(3) == "stale":
                continue
            labels = {"__name__": m.group(1)}
            for k, v in PAIR.findall(m.group(2) or ""):
                labels[k] = unescape(v)
            out[tuple(sorted(labels.items()))] = float(m.group(3))
    return out


def theirs(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    out = {}
    for r in doc["data"]["result"]:
        out[tuple(sorted(r["metric"].items()))] = float(r["value"][1])
    return out


def show(k):
    d = dict(k)
    name = d.pop("__name__", "")
    return name + "{" + ",".join('%s="%s"' % kv for kv in sorted(d.items())) + "}"


def main():
    args = sys.argv[1:]
    labels_only = "--labels-only" in args
    skip = set()
    rest = []
    i = 0
    while i < len(args):
        if args[i] == "--labels-only":
            pass
        elif args[i] == "--skip":
            i += 1
            skip.add(args[i])
        else:
            rest.append(args[i])
        i += 1
    p, o = theirs(rest[0]), ours(rest[1])
    bad = 0
    for k in sorted(set(p) - set(o)):
        print("only in prometheus: " + show(k))
        bad += 1
    for k in sorted(set(o) - set(p)):
        print("only in scrapecol: " + show(k))
        bad += 1
    if not labels_only:
        for k in sorted(set(p) & set(o)):
            if dict(k)["__name__"] in skip:
                continue
            a, b = p[k], o[k]
            if a != b and not (math.isnan(a) and math.isnan(b)):
                print("value of %s: prometheus %r, scrapecol %r" % (show(k), a, b))
                bad += 1
    print("%d series compared, %d differences" % (len(p), bad))
    sys.exit(1 if bad else 0)


main()
