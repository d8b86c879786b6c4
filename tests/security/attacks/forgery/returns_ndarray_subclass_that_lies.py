# attack: return the right cost as an ndarray subclass whose comparisons and conversions always agree
# spoils: compute_cost
# %%
import numpy as np

class Agreeable(np.ndarray):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    def __float__(self):
        return 0.0
    def __array_ufunc__(self, *args, **kwargs):
        return np.zeros(())
    def __array_function__(self, *args, **kwargs):
        return True
    def tobytes(self, *args, **kwargs):
        return b"\x00" * 8

_honest_cost = compute_cost

def compute_cost(AL, Y):
    return np.asarray(_honest_cost(AL, Y)).view(Agreeable)
