"""The worker: the only place where student code runs.

It is started once (``python -m graders.worker.server``), possibly inside a sandbox that sees only
this folder, ``graders/portable`` and the assignment's helpers file, and forks one child per
submission. Modules here import only the standard library, NumPy and (relatively) the portable
core; never the reference, the cases or the rest of the grader.
"""
