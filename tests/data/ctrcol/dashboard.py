# dashboard.py OURS DASHBOARD: every container_*/machine_* selector in the
# dashboard's PromQL expressions (metric name and label matchers) must
# match at least one series in OURS.  node_* selectors are hostcol's and
# are listed, not checked.  Exits 1 if any selector matches nothing.
import json
import re
import sys

SEL = re.compile(r'\b((?:container|machine|node)_[a-zA-Z0-9_]+)(\{([^}]*)\})?')
MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?')
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def exprs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "expr" and isinstance(v, str):
                yield v
            else:
                yield from exprs(v)
    elif isinstance(node, list):
        for v in node:
            yield from exprs(v)


series = {}
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        m = SAMPLE.match(line)
        if not m or line.startswith("#"):
            continue
        series.setdefault(m.group(1), []).append(dict(LABEL.findall(m.group(3) or "")))

with open(sys.argv[2], encoding="utf-8") as f:
    dash = json.load(f)

bad = checked = 0
for e in exprs(dash):
    for m in SEL.finditer(e):
        name, body = m.group(1), m.group(3) or ""
        if name.startswith("node_"):
            continue
        matchers = MATCHER.findall(body)
        def ok(ls):
            for k, op, v in matchers:
                got = ls.get(k, "")
                if op == "=" and got != v: return False
                if op == "!=" and got == v: return False
                if op == "=~" and not re.fullmatch(v, got): return False
                if op == "!~" and re.fullmatch(v, got): return False
            return True
        checked += 1
        if not any(ok(ls) for ls in series.get(name, [])):
            print("no series for %s{%s}" % (name, body))
            bad += 1
print("checked %d selectors" % checked)
sys.exit(1 if bad else 0)
