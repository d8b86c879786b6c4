# attack: fill the scratch space with many files (stops itself at 160 MB)
# modes: strong
# %%
import os
written, why = 0, "none"
block = b"x" * (1024 * 1024)
try:
    for index in range(160):
        with open(os.path.join("/tmp", "fill%03d.bin" % index), "wb") as handle:
            handle.write(block)
        written += 1
except OSError as error:
    why = "errno%d" % error.errno
raise RuntimeError("REPORT mb=%d; why=%s" % (written, why))
