# attack: store wrong parameters in a dict subclass whose every accessor shows the right ones
# spoils: initialize_parameters
# %%
import numpy as np
_honest_init = initialize_parameters

class TwoFaced(dict):
    def __init__(self, shown):
        super().__init__({key: np.zeros_like(value) + 7.0 for key, value in shown.items()})
        self.shown = shown
    def __getitem__(self, key):
        return self.shown[key]
    def get(self, key, default=None):
        return self.shown.get(key, default)
    def items(self):
        return self.shown.items()
    def values(self):
        return self.shown.values()
    def __iter__(self):
        return iter(self.shown)
    def __eq__(self, other):
        return True

def initialize_parameters(n_x, n_h, n_y):
    return TwoFaced(_honest_init(n_x, n_h, n_y))
