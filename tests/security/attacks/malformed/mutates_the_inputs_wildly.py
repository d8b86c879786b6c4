# attack: a graded function that replaces its inputs' contents with hostile objects
# spoils: update_parameters
# %%
import numpy as np

class Hostile:
    def __eq__(self, other):
        return True

def update_parameters(params, grads, learning_rate):
    for key in list(params):
        params[key] = Hostile()
    params["extra"] = np.zeros(2_000_000)
    grads.clear()
    return params
