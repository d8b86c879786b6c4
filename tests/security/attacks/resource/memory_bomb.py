# attack: allocate and touch memory until something stops it (at most 2.5 GB, so CI is safe anyway)
# limits: roomy
# %%
chunks = []
why = "none"
try:
    for _ in range(40):
        chunks.append(bytearray(64 * 1024 * 1024))
except MemoryError:
    why = "MemoryError"
held = len(chunks) * 64
del chunks
raise RuntimeError("REPORT mb=%d; why=%s" % (held, why))
