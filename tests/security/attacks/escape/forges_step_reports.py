# attack: find the channel the runtime reports on and forge reports: passing calls and an early "done"
# %%
import json
import os
import stat
import struct

def frame(header):
    text = json.dumps(header).encode()
    return struct.pack("<IQ", len(text), 0) + text

forged = [frame({"type": "call", "position": p, "status": "ok", "values": {"value": 1.0}, "arrays": []})
          for p in range(80)]
forged.append(frame({"type": "cell", "index": 0, "status": "ok"}))
forged.append(frame({"type": "done"}))
for name in os.listdir("/proc/self/fd"):
    fd = int(name)
    try:
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            for data in forged:
                os.write(fd, data)
    except OSError:
        pass
