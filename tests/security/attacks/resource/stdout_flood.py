# attack: print a gigabyte, through print, sys.stdout, sys.__stdout__ and the raw descriptors
# %%
import os
import sys
chunk = "y" * (10 * 1024 * 1024)
for _ in range(100):
    sys.stdout.write(chunk)
    print(chunk[:1024])
for _ in range(5):
    for fd in (1, 2):
        os.write(fd, chunk.encode())
    if sys.__stdout__ is not None:
        sys.__stdout__.write(chunk)
