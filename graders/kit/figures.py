"""Render an assignment pack's figures with matplotlib, and tell a redrawn figure from a changed one.

A pack lists its figures in the ``FIGURES`` table of its ``figures`` module (``[pack].figures``):
file name -> a function that returns a drawn :class:`matplotlib.figure.Figure`; :func:`box`,
:func:`arrow` and :func:`canvas` are drawing helpers for them.

Figures are drawn on a bare :class:`matplotlib.figure.Figure` with the Agg canvas (no pyplot, so no
global backend is touched), under matplotlib's default settings (a user's matplotlibrc does not
leak in), and saved as PNG without the "Software" metadata. The same matplotlib gives the same
bytes; another matplotlib version may move a few anti-aliased pixels, which
:func:`same_picture` tolerates when checking the kept copies.
"""

from __future__ import annotations

import io

import numpy as np

DPI = 100

FORWARD = "#ede4f7"  # forward blocks: light purple
FORWARD_EDGE = "#6a3d9a"
BACKWARD = "#fbe3e1"  # backward blocks: light red
BACKWARD_EDGE = "#b42318"
NEUTRAL = "#eef2f6"
NEUTRAL_EDGE = "#475467"
CACHE = "#667085"

# Pixels whose channels differ by more than this count as changed, and up to this fraction of
# changed pixels counts as rendering drift rather than a different drawing.
PIXEL_TOLERANCE = 0.25
CHANGED_FRACTION = 0.01


def box(ax, x, y, w, h, text, face, edge, size=11):
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.12",
                                facecolor=face, edgecolor=edge, linewidth=1.6))
    ax.text(x, y, text, ha="center", va="center", fontsize=size, color="#101828")


def arrow(ax, start, end, color="#344054", dashed=False, text=None, text_offset=(0, 0.18), size=10,
           head=True):
    ax.annotate("", xy=end, xytext=start, arrowprops=dict(
        arrowstyle="-|>" if head else "-", color=color, linewidth=1.4, linestyle="--" if dashed else "-",
        shrinkA=0, shrinkB=0, mutation_scale=14))
    if text:
        middle = ((start[0] + end[0]) / 2 + text_offset[0], (start[1] + end[1]) / 2 + text_offset[1])
        ax.text(middle[0], middle[1], text, ha="center", va="center", fontsize=size, color=color)


def canvas(width, height, xlim, ylim):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.axis("off")
    return figure, ax


def figure_table(pack=None) -> dict:
    """The pack's figures: file name -> drawing function (empty when it draws none)."""
    from graders.assignment import current

    module = (pack or current()).module("figures", required=False)
    return dict(getattr(module, "FIGURES", {})) if module is not None else {}


def figure_names(pack=None) -> tuple[str, ...]:
    """The file names of the pack's figures."""
    return tuple(figure_table(pack))


def render_figure(name: str, pack=None) -> bytes:
    """The PNG bytes of the pack's figure ``name``."""
    import matplotlib

    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        figure = figure_table(pack)[name]()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def render_figures(pack=None) -> dict[str, bytes]:
    """Every figure of the pack, by file name."""
    return {name: render_figure(name, pack) for name in figure_names(pack)}


def same_picture(stored: bytes, fresh: bytes) -> bool:
    """Whether two PNGs show the same drawing: equal bytes, or equal size with only a few pixels moved."""
    if stored == fresh:
        return True
    from matplotlib.image import imread

    try:
        first, second = imread(io.BytesIO(stored), format="png"), imread(io.BytesIO(fresh), format="png")
    except Exception:  # noqa: BLE001 - an unreadable stored file is simply not the same picture
        return False
    if first.shape != second.shape:
        return False
    changed = np.abs(first - second).max(axis=-1) > PIXEL_TOLERANCE
    return float(changed.mean()) <= CHANGED_FRACTION
