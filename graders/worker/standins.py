"""Stand-in modules a student's import cells expect, so no helper is left undefined.

- The assignment's helpers, loaded from the file the worker is given (mounted alone in the
  sandbox), under every module name the pack lists (``[pack].helper_modules``).
- Support modules of older versions of the notebook (the pack's ``[pack].standins``), the
  self-check (``SELFCHECK_MODULE``), and plotting/IO packages
  (``matplotlib``, ``IPython``, ``h5py``, ``PIL``): permissive stand-ins whose every attribute is a
  harmless no-op. Plots are not graded, and importing matplotlib per notebook would cost more
  than grading it.
"""

import importlib.util
import sys
import types

SELFCHECK_MODULE = "dnn_check"  #: the kit's self-check, which students import beside the notebook
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


def load_helpers(path, names):
    """Import the helpers file at ``path`` once, under each of ``names``."""
    if not path or not names:
        return None
    spec = importlib.util.spec_from_file_location(names[0], path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[names[0]] = module
    spec.loader.exec_module(module)
    for name in names[1:]:
        sys.modules[name] = module
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


def install(helpers_path=None, helper_names=(), support_modules=()):
    """Register the helpers and every stand-in in ``sys.modules``; call once, before forking for
    submissions."""
    preload()
    load_helpers(helpers_path, list(helper_names))
    for name in tuple(support_modules) + (SELFCHECK_MODULE,) + PLOTTING_MODULES:
        if name in sys.modules and name in helper_names:
            continue
        module = StandInModule(name)
        module.__file__ = "<stand-in>"
        module.__path__ = []  # lets `import matplotlib.pyplot` find the registered submodule
        sys.modules[name] = module
    for name in PLOTTING_MODULES:
        if "." in name:
            parent, child = name.rsplit(".", 1)
            setattr(sys.modules[parent], child, sys.modules[name])
