# attack: return the right cost as a complex number, a string, bytes and a boolean in turn
# spoils: compute_cost
# %%
import numpy as np
_honest_cost = compute_cost
_calls = []

def compute_cost(AL, Y):
    _calls.append(1)
    cost = float(_honest_cost(AL, Y))
    return (np.complex128(cost), np.array(str(cost)), str(cost).encode(), np.array([cost]).astype(bool))[len(_calls) % 4]
