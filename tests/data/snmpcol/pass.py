# pass.py: an snmpd pass_persist helper serving fixed values from a file,
# for OIDs snmpd itself cannot serve (Synology's MIB, display hints).
# usage: pass.py ROOT FILE; FILE lines: OID TYPE VALUE (TYPE as snmpd's
# pass wants it: integer, gauge, counter, counter64, string, octet as hex
# pairs...).  Lookups are binary searches: a table of thousands of rows
# answers as fast as snmpd asks.
import bisect
import sys


def key(oid):
    return tuple(int(x) for x in oid.strip(".").split("."))


def main():
    root = key(sys.argv[1])
    table = {}
    with open(sys.argv[2], encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            oid, typ, value = line.split(" ", 2)
            k = key(oid)
            if k[:len(root)] == root:
                table[k] = (typ, value)
    order = sorted(table)

    def answer(k):
        typ, value = table[k]
        out = "." + ".".join(map(str, k)) + "\n" + typ + "\n" + value + "\n"
        sys.stdout.write(out)

    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "PING":
            sys.stdout.write("PONG\n")
        elif cmd in ("get", "getnext"):
            k = key(sys.stdin.readline())
            if cmd == "get":
                hit = k if k in table else None
            else:
                i = bisect.bisect_right(order, k)
                hit = order[i] if i < len(order) else None
            if hit is None:
                sys.stdout.write("NONE\n")
            else:
                answer(hit)
        elif cmd == "set":
            sys.stdin.readline()
            sys.stdin.readline()
            sys.stdout.write("not-writable\n")
        elif cmd == "":
            break
        sys.stdout.flush()


main()
