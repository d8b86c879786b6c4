"""The exercise kit's builders: case files (``casegen``), notebooks (``nbbuild``, ``notebooks``),
figures, the Otter and Gradescope bundles and the release (``dnngrade assign``). They need the
``kit`` extra (nbformat, matplotlib) and are imported only by the commands that build things."""
