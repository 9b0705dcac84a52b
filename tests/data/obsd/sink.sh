#!/bin/sh
# sink.sh OUT: an obsd test sink.  Appends its input to OUT; at EOF it
# writes "eof" to OUT.eof, so a test sees whether the sink ever saw EOF.
cat >>"$1" || exit 1
echo eof >>"$1.eof"
