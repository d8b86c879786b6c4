# attack: return containers that contain themselves, and very deep nesting
# spoils: compute_cost, initialize_parameters
# %%
def compute_cost(AL, Y):
    loop = [1.0]
    loop.append(loop)
    return loop

def initialize_parameters(n_x, n_h, n_y):
    deep = {}
    node = deep
    for _ in range(100_000):
        node["W1"] = {}
        node = node["W1"]
    return deep
