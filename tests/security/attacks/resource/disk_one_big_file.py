# attack: write one ever-growing file (stops itself at 96 MB)
# %%
import os
written, why = 0, "none"
block = b"x" * (1024 * 1024)
try:
    with open("big.bin", "wb") as handle:
        for _ in range(96):
            handle.write(block)
            handle.flush()
            written += 1
except OSError as error:
    why = "errno%d" % error.errno
raise RuntimeError("REPORT mb=%d; why=%s" % (written, why))
