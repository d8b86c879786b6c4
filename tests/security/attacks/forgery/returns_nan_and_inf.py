# attack: return NaN and infinities, which compare strangely
# spoils: compute_cost
# %%
import numpy as np
_calls = []

def compute_cost(AL, Y):
    _calls.append(1)
    return (np.nan, np.inf, -np.inf, np.float64("nan"))[len(_calls) % 4]
