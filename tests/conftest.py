"""The suite tests the kit on its first assignment pack unless a test selects another: library
calls and the commands tests run in subprocesses use it (``DNNGRADE_ASSIGNMENT``)."""

import os

os.environ.setdefault("DNNGRADE_ASSIGNMENT", "dnn_step_by_step")

from graders.assignment import select  # noqa: E402

select(os.environ["DNNGRADE_ASSIGNMENT"])
