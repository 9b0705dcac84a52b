# splice-sink.py OUT: an obsd test sink that loses nothing when killed.
# It moves its input to OUT with splice(2), which takes from the pipe only
# what it wrote to the file, so a SIGKILL leaves every byte it had not
# recorded in the pipe for the next instance.  At end of input it writes
# "eof" to OUT.eof.
import os
import sys

fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
os.lseek(fd, 0, os.SEEK_END)  # splice(2) refuses O_APPEND files
while os.splice(0, fd, 1 << 20) > 0:
    pass
os.close(fd)
with open(sys.argv[1] + ".eof", "a") as f:
    f.write("eof\n")
