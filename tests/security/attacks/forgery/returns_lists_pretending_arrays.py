# attack: return the right parameters as nested lists instead of arrays
# spoils: update_parameters
# %%
_honest_update = update_parameters

def update_parameters(params, grads, learning_rate):
    return {key: value.tolist() for key, value in _honest_update(params, grads, learning_rate).items()}
