# golden.py OURS GOLDEN: checks that every metric family ctrcol wrote has
# cAdvisor's HELP, TYPE and label names (prometheus_metrics, read in place).
# Container labels (container_label_*), cAdvisor's test-only env and custom
# labels (container_env_*, zone_name) are not compared; families cAdvisor's
# golden file lacks must be in KNOWN_ABSENT.  Prints the problems, exits 1
# if any.
import re
import sys

KNOWN_ABSENT = {
    "container_spec_memory_limit_bytes",
    "container_spec_memory_reservation_limit_bytes",
    "container_spec_memory_swap_limit_bytes",
    "machine_cpu_cores",
    "machine_memory_bytes",
}
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(path):
    help_, type_, labels = {}, {}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# HELP "):
                name, _, text = line[7:].partition(" ")
                help_[name] = text
            elif line.startswith("# TYPE "):
                name, _, text = line[7:].partition(" ")
                type_[name] = text
            elif line and not line.startswith("#"):
                m = SAMPLE.match(line)
                if not m:
                    continue
                names = frozenset(k for k, _ in LABEL.findall(m.group(3) or ""))
                labels.setdefault(m.group(1), set()).add(names)
    return help_, type_, labels


def own(names):
    return {n for n in names
            if not n.startswith(("container_label_", "container_env_"))
            and n != "zone_name"}


ours_h, ours_t, ours_l = parse(sys.argv[1])
gold_h, gold_t, gold_l = parse(sys.argv[2])
bad = 0
checked = 0
for fam in sorted(ours_l):
    if fam not in gold_h:
        if fam not in KNOWN_ABSENT:
            print("%s: not in cAdvisor's output" % fam)
            bad += 1
        continue
    checked += 1
    if ours_h.get(fam) != gold_h[fam]:
        print("%s: HELP %r, cAdvisor %r" % (fam, ours_h.get(fam), gold_h[fam]))
        bad += 1
    if ours_t.get(fam) != gold_t.get(fam):
        print("%s: TYPE %r, cAdvisor %r" % (fam, ours_t.get(fam), gold_t.get(fam)))
        bad += 1
    want = set()
    for s in gold_l.get(fam, ()):
        want |= own(s)
    for s in ours_l[fam]:
        got = own(s)
        # a raw cgroup has no name and image: cAdvisor leaves them out too
        if "name" in got and got != want:
            print("%s: labels %s, cAdvisor %s" % (fam, sorted(got), sorted(want)))
            bad += 1
        elif not got <= want:
            print("%s: labels %s not in cAdvisor's %s" % (fam, sorted(got), sorted(want)))
            bad += 1
print("checked %d families" % checked)
sys.exit(1 if bad else 0)
