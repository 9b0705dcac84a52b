#!/usr/bin/python3
# rwdata.py: test data for rwsend: generates series in the line format and
# checks what a receiver's query API gives back against them.
#
#   rwdata.py gen PREFIX SERIES SAMPLES END_MS STEP_MS > in.prom
#       SERIES series of SAMPLES samples each, in time order, ending at
#       END_MS; values include NaN, +Inf, -Inf and decimals; every 10th
#       series ends with a stale marker one step after its last sample.
#       # TYPE/HELP/UNIT lines for each family come first.
#   rwdata.py check PREFIX SERIES SAMPLES END_MS STEP_MS MATRIX.json
#       MATRIX.json is the answer to the instant query
#       {__name__=~"PREFIX.*"}[RANGE] (raw samples); every label, value and
#       timestamp must be what gen wrote (stale markers are not returned).
#       A PREFIX starting "vm" makes values VictoriaMetrics keeps exactly.
#   rwdata.py series PREFIX SERIES SERIES.json
#       SERIES.json is /api/v1/series for {__name__=~"PREFIX.*"}.
import json
import math
import sys

FAMILIES = 10
# VictoriaMetrics drops NaN samples and stores a block of values that mix
# magnitudes as decimals with a common exponent (lossy), so with PREFIX
# starting "vm" the values are ones it keeps exactly: no NaN, no tiny or
# huge numbers.
VM = False


def series(prefix, n):
    out = []
    for i in range(n):
        fam = "%s_%d" % (prefix, i % FAMILIES)
        labels = {"__name__": fam, "series": str(i),
                  "job": "rw\"test\\", "zone": "z%d" % (i % 7)}
        if i % 3 == 0:
            labels["path"] = "/a b/ü\n"
        out.append(labels)
    return out


def value(i, j):
    k = (i * 31 + j) % 97
    if k == 5 and not VM:
        return float("nan")
    if k == 6:
        return float("inf")
    if k == 7:
        return float("-inf")
    if k % 4 == 0:
        return (i - 500) * 1.25 + j / 8.0
    if k % 4 == 1 and not VM:
        return -(j + 1) * 0.5e-7
    if k % 4 == 2 and not VM:
        return (i + 1) * 2.0 ** 60
    return float(i * 1000 + j)


def fmt(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


def esc(s):
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


def gen(prefix, n, m, end, step):
    w = sys.stdout.write
    for f in range(FAMILIES):
        fam = "%s_%d" % (prefix, f)
        w("# HELP %s Family %d of the rwsend test, with \\\\ and \\n.\n" % (fam, f))
        w("# TYPE %s %s\n" % (fam, ["gauge", "counter", "untyped"][f % 3]))
        w("# UNIT %s seconds\n" % fam)
    ss = series(prefix, n)
    # Time-major, as collectors write: every series' sample j, then j+1.
    for j in range(m):
        ts = end - (m - 1 - j) * step
        for i, ls in enumerate(ss):
            body = ",".join("%s=\"%s\"" % (k, esc(v))
                            for k, v in sorted(ls.items()) if k != "__name__")
            w("%s{%s} %s %d\n" % (ls["__name__"], body, fmt(value(i, j)), ts))
    for i, ls in enumerate(ss):
        if i % 10 == 0:
            body = ",".join("%s=\"%s\"" % (k, esc(v))
                            for k, v in sorted(ls.items()) if k != "__name__")
            w("%s{%s} stale %d\n" % (ls["__name__"], body, end + step))


def key(ls):
    return tuple(sorted(ls.items()))


def check(prefix, n, m, end, step, path):
    data = json.load(open(path))
    got = {key(r["metric"]): r["values"] for r in data["data"]["result"]}
    ss = series(prefix, n)
    bad = 0
    if len(got) != n:
        print("want %d series, got %d" % (n, len(got)))
        bad += 1
    for i, ls in enumerate(ss):
        vals = got.get(key(ls))
        if vals is None:
            print("missing series %r" % ls)
            bad += 1
            continue
        want = []
        for j in range(m):
            v = value(i, j)
            want.append((end - (m - 1 - j) * step, v))
        if len(vals) != len(want):
            print("series %d: want %d samples, got %d" % (i, len(want), len(vals)))
            bad += 1
            continue
        for (wt, wv), (gt, gv) in zip(want, vals):
            gv = float(gv)
            same = (math.isnan(wv) and math.isnan(gv)) or wv == gv
            if round(float(gt) * 1000) != wt or not same:
                print("series %d: want %s@%d, got %r@%r" % (i, fmt(wv), wt, gv, gt))
                bad += 1
                break
        if bad > 20:
            break
    print("checked %d series, %d problems" % (n, bad))
    return 1 if bad else 0


def check_series(prefix, n, path):
    data = json.load(open(path))
    got = sorted(key(r) for r in data["data"])
    want = sorted(key(ls) for ls in series(prefix, n))
    if got != want:
        print("series differ: %d got, %d wanted" % (len(got), len(want)))
        for g in got:
            if g not in want:
                print("unexpected %r" % (g,))
                break
        return 1
    print("%d series equal" % n)
    return 0


def main():
    global VM
    a = sys.argv[1:]
    VM = len(a) > 1 and a[1].startswith("vm")
    if a[0] == "gen":
        gen(a[1], int(a[2]), int(a[3]), int(a[4]), int(a[5]))
        return 0
    if a[0] == "check":
        return check(a[1], int(a[2]), int(a[3]), int(a[4]), int(a[5]), a[6])
    if a[0] == "series":
        return check_series(a[1], int(a[2]), a[3])
    return 2


sys.exit(main())
