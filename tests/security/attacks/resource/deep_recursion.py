# attack: lift the recursion limit and recurse until the C stack overflows
# %%
import sys
sys.setrecursionlimit(10 ** 8)

def dive(n):
    return dive(n + 1) + 1

dive(0)
