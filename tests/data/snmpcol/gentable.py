# gentable.py: the tables of the test agent made at test time, for
# pass.py: a huge ifTable-like table under .1.3.6.1.4.1.99998.1 and a
# smaller one with a lookup column under .1.3.6.1.4.1.99998.2.
# usage: gentable.py HUGE_ROWS LOOKUP_ROWS >FILE
import sys

huge, small = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout
out.write("# made by gentable.py %d %d\n" % (huge, small))
# columns as ifTable's: index, descr, type, speed, octets (Counter32),
# octets (Counter64)
cols = [
    (1, "integer", lambda i: str(i)),
    (2, "string", lambda i: "port%d" % i),
    (3, "integer", lambda i: str(6 + i % 3)),
    (5, "gauge", lambda i: str(1000000 * (i % 1000 + 1))),
    (10, "counter", lambda i: str(i * 7919 % 4294967296)),
    (11, "counter64", lambda i: str(i * 1099511627776)),
]
for col, typ, val in cols:
    for i in range(1, huge + 1):
        out.write(".1.3.6.1.4.1.99998.1.1.%d.%d %s %s\n" % (col, i, typ, val(i)))
# index, name (the lookup), count
for i in range(1, small + 1):
    out.write(".1.3.6.1.4.1.99998.2.1.1.%d integer %d\n" % (i, i))
for i in range(1, small + 1):
    out.write(".1.3.6.1.4.1.99998.2.1.2.%d string if%d\n" % (i, i))
for i in range(1, small + 1):
    out.write(".1.3.6.1.4.1.99998.2.1.3.%d gauge %d\n" % (i, i * 10))
