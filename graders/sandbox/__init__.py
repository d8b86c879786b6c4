"""Running student code elsewhere: the launch (bubblewrap or a plain process), the worker process
the grader talks to, and the limits."""
