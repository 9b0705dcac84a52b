"""normalize.py: a text exposition (snmp_exporter's or snmpcol's) in a
canonical form to compare series by series: labels sorted, empty labels
dropped, timestamps dropped, values of counters and of the names given with
-l (moving values) replaced by "*", names given with -x left out."""
import re
import sys

loose, drop, args = set(), set(), sys.argv[1:]
while args and args[0] in ("-l", "-x"):
    (loose if args[0] == "-l" else drop).add(args[1])
    args = args[2:]

types, out = {}, []
lab = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
for line in open(args[0], encoding="utf-8", errors="surrogateescape"):
    line = line.rstrip("\n")
    if not line:
        continue
    if line.startswith("# HELP ") or line.startswith("# TYPE "):
        kind, name, text = line[2:6], *(line[7:].split(" ", 1) + [""])[:2]
        if name in drop:
            continue
        if kind == "TYPE":
            types[name] = text
        out.append("%s %s %s" % (kind, name, text))
        continue
    if line.startswith("#"):
        continue
    m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)', line)
    if not m:
        sys.exit("normalize: bad line: %r" % line)
    name, body, value = m.group(1), m.group(3) or "", m.group(4)
    if name in drop:
        continue
    labels = sorted((k, v) for k, v in lab.findall(body) if v != "")
    if types.get(name) == "counter" or name in loose:
        value = "*"
    out.append("S %s{%s} %s" % (name, ",".join('%s="%s"' % kv for kv in labels), value))
for line in sorted(out):
    print(line)
