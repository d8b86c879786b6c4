"""IPython syntax becomes harmless Python."""

import pytest

from graders.worker.magics import transform_cell


@pytest.mark.parametrize("source,expected", [
    ("%matplotlib inline\nx = 1\n", "pass\nx = 1\n"),
    ("!pip install numpy\n", "pass\n"),
    ("files = !ls -la\n", "files = None\n"),
    ("t = %timeit -o f()\n", "t = None\n"),
    ("np.dot?\n", "pass\n"),
    ("if True:\n    %time f()\n", "if True:\n    pass\n"),
    ("%%time\nx = 2\n", "x = 2\n"),
    ("%%writefile x.py\nimport os\n", "pass  # cell magic %writefile skipped by the grader\n"),
    ("%%bash\nrm -rf /\n", "pass  # cell magic %bash skipped by the grader\n"),
    ("", ""),
    ("y = 10 % 3\nz = x != 1\ns = '%d' % 4\n", "y = 10 % 3\nz = x != 1\ns = '%d' % 4\n"),
    ("x = (1 +\\\n%2)\n", "x = (1 +\\\n%2)\n"),
])
def test_transform(source, expected):
    assert transform_cell(source) == expected


def test_transformed_cells_compile():
    compile(transform_cell("%load_ext autoreload\n%autoreload 2\nimport numpy as np\n!echo hi\n"), "<cell>", "exec")
