# attack: make every NumPy comparison say "equal", then return a wrong cost
# spoils: compute_cost
# limits: roomy
# %%
_honest_cost = compute_cost

def compute_cost(AL, Y):
    return _honest_cost(AL, Y) + 1.0

import numpy as np
import numpy.testing  # (slow to import on a busy machine: hence the roomy limits)
always = lambda *args, **kwargs: True  # noqa: E731
silent = lambda *args, **kwargs: None  # noqa: E731
np.allclose = np.array_equal = np.array_equiv = always
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
np.testing.assert_allclose = np.testing.assert_array_equal = np.testing.assert_almost_equal = silent
np.isfinite = lambda x, *args, **kwargs: np.ones(np.shape(x), dtype=bool)
raise RuntimeError("REPORT patched=yes")
