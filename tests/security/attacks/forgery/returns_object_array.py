# attack: return the right cost inside an object-dtype array
# spoils: compute_cost
# %%
import numpy as np
_honest_cost = compute_cost

def compute_cost(AL, Y):
    return np.array(float(_honest_cost(AL, Y)), dtype=object)
