# attack: return arrays far over the size cap (tens of MB each) and a dict with 100,000 keys
# spoils: compute_cost, update_parameters
# %%
import numpy as np

def compute_cost(AL, Y):
    return np.full(5_000_000, 0.5)

def update_parameters(params, grads, learning_rate):
    return {"W%d" % index: np.zeros((1, 1)) for index in range(100_000)}
