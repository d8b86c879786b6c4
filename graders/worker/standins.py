"""Stand-in modules a student's import cells expect, so no helper is left undefined.

- ``dnn_utils`` (and ``dnn_utils_v2``): the kit's own helpers, loaded from the file the worker is
  given (``reference/dnn_utils.py``, mounted alone in the sandbox).
- Support modules of older versions of the notebook (``testCases``, ``testCases_v2`` ...,
  ``public_tests``, ``test_utils``), the self-check (``dnn_check``), and plotting/IO packages
  (``matplotlib``, ``IPython``, ``h5py``, ``PIL``): permissive stand-ins whose every attribute is a
  harmless no-op. Plots are not graded, and importing matplotlib per notebook would cost more
  than grading it.
"""

import importlib.util
import sys
import types

SUPPORT_MODULES = (
    "testCases", "testCases_v2", "testCases_v3", "testCases_v4", "testCases_v4a",
    "public_tests", "test_utils", "dnn_check", "dnn_app_utils_v3", "lr_utils",
)
PLOTTING_MODULES = (
    "matplotlib", "matplotlib.pyplot", "matplotlib.image", "matplotlib.cm", "matplotlib.colors",
    "IPython", "IPython.display", "IPython.core", "IPython.core.display", "h5py", "PIL", "PIL.Image",
)


class Anything:
    """A value that accepts any use: attribute access, calls, indexing, iteration, ``with``."""

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self

    def __call__(self, *args, **kwargs):
        return self

    def __getitem__(self, key):
        return self

    def __setitem__(self, key, value):
        pass

    def __iter__(self):
        return iter(())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __repr__(self):
        return "<stand-in provided by the grader>"


class StandInModule(types.ModuleType):
    """A module whose every missing attribute is :class:`Anything`; ``import *`` imports nothing."""

    __all__: list = []

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return Anything()


def load_dnn_utils(path):
    """Import the helpers file at ``path`` as ``dnn_utils`` (and alias ``dnn_utils_v2``)."""
    spec = importlib.util.spec_from_file_location("dnn_utils", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules["dnn_utils"] = module
    sys.modules["dnn_utils_v2"] = module
    return module


def preload():
    """Import what student code touches first, once, in the worker rather than in every child.

    NumPy loads ``numpy.random`` and ``numpy.linalg`` lazily; the first ``np.random.seed`` in a
    fresh child would otherwise cost ~10 ms, more than grading the rest of the notebook.
    """
    import numpy
    import numpy.linalg  # noqa: F401
    import numpy.random

    numpy.random.seed(0)
    numpy.random.randn(1)
    numpy.dot(numpy.ones((2, 2)), numpy.ones((2, 1)))


def install(dnn_utils_path):
    """Register every stand-in in ``sys.modules``; call once, before forking for submissions."""
    preload()
    load_dnn_utils(dnn_utils_path)
    for name in SUPPORT_MODULES + PLOTTING_MODULES:
        module = StandInModule(name)
        module.__file__ = "<stand-in>"
        module.__path__ = []  # lets `import matplotlib.pyplot` find the registered submodule
        sys.modules[name] = module
    for name in PLOTTING_MODULES:
        if "." in name:
            parent, child = name.rsplit(".", 1)
            setattr(sys.modules[parent], child, sys.modules[name])
