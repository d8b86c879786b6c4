# attack: ask NumPy for an 80 GB array in one go
# %%
import numpy as np
try:
    huge = np.ones((100000, 100000))
    outcome = "allocated"
except MemoryError:
    outcome = "MemoryError"
raise RuntimeError("REPORT outcome=%s" % outcome)
