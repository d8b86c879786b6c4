"""The figures of "Building a Deep Neural Network: Step by Step": the outline, the forward and
backward blocks, and the linear step backwards (drawn by ``dnngrade assign`` into images/).

``FIGURES`` maps each file name to the function that draws it on a bare matplotlib figure, with
the kit's drawing helpers (:mod:`graders.kit.figures`).
"""

from __future__ import annotations

from graders.kit.figures import (
    BACKWARD,
    BACKWARD_EDGE,
    CACHE,
    FORWARD,
    FORWARD_EDGE,
    NEUTRAL,
    NEUTRAL_EDGE,
    arrow,
    box,
    canvas,
)


def draw_outline():
    """Figure 1: initialisation, the forward row, the cost, the backward row and the update."""
    figure, ax = canvas(12.9, 4.8, (0, 12.9), (0, 4.8))
    forward_y, backward_y, update_y = 3.75, 2.1, 0.55
    height = 0.8
    # (centre, width) of each column; "dots" stands for the layers in between
    init, first, dots = (1.0, 1.55), (3.3, 1.8), (5.05, 0.5)
    hidden, out, cost = (6.8, 1.8), (9.575, 1.95), (12.1, 1.3)

    def left(column):
        return column[0] - column[1] / 2

    def right(column):
        return column[0] + column[1] / 2

    box(ax, init[0], forward_y, init[1], height, "initialise\nparameters", NEUTRAL, NEUTRAL_EDGE, 10)
    box(ax, cost[0], forward_y, cost[1], height, "cost\n$J(A^{[L]}, Y)$", NEUTRAL, NEUTRAL_EDGE, 10)
    for column, text in ((first, "layer 1"), (hidden, "layer $L-1$")):
        box(ax, column[0], forward_y, column[1], height, "LINEAR -> RELU\n" + text, FORWARD,
             FORWARD_EDGE, 10)
        box(ax, column[0], backward_y, column[1], height, "LINEAR <- RELU\nbackward", BACKWARD,
             BACKWARD_EDGE, 10)
    box(ax, out[0], forward_y, out[1], height, "LINEAR -> SIGMOID\nlayer $L$", FORWARD, FORWARD_EDGE, 10)
    box(ax, out[0], backward_y, out[1], height, "LINEAR <- SIGMOID\nbackward", BACKWARD, BACKWARD_EDGE, 10)
    for y in (forward_y, backward_y):
        ax.text(dots[0], y, r"$\cdots$", ha="center", va="center", fontsize=16)

    chain = (init, first, dots, hidden, out, cost)
    forward_labels = ("$X$", "$A^{[1]}$", "$A^{[L-2]}$", "$A^{[L-1]}$", "$A^{[L]}$")
    for before, after, label in zip(chain, chain[1:], forward_labels, strict=False):
        arrow(ax, (right(before), forward_y), (left(after), forward_y), text=label, text_offset=(0, 0.22))
    backward_labels = ("$dA^{[1]}$", "$dA^{[L-2]}$", "$dA^{[L-1]}$")
    for before, after, label in zip(chain[1:], chain[2:], backward_labels, strict=False):
        arrow(ax, (left(after), backward_y), (right(before), backward_y), color=BACKWARD_EDGE, text=label,
               text_offset=(0, 0.22))
    arrow(ax, (left(first), backward_y), (left(first) - 0.6, backward_y), color=BACKWARD_EDGE,
           text="$dA^{[0]}$", text_offset=(0, 0.22))
    arrow(ax, (cost[0], forward_y - height / 2), (cost[0], backward_y), color=BACKWARD_EDGE, head=False)
    arrow(ax, (cost[0], backward_y), (right(out), backward_y), color=BACKWARD_EDGE, text="$dA^{[L]}$",
           text_offset=(0, 0.22))

    for column in (first, hidden, out):
        x = column[0]
        arrow(ax, (x, forward_y - height / 2), (x, backward_y + height / 2), color=CACHE, dashed=True,
               text="cache", text_offset=(0.38, 0), size=9)
        arrow(ax, (x, backward_y - height / 2), (x, update_y + 0.3), color=BACKWARD_EDGE,
               text=r"$dW, db$", text_offset=(0.42, 0), size=9)

    box(ax, 6.6, update_y, 7.6, 0.6, r"update parameters:  $W^{[l]} \leftarrow W^{[l]} - \alpha\, dW^{[l]}$,"
         r"  $b^{[l]} \leftarrow b^{[l]} - \alpha\, db^{[l]}$", NEUTRAL, NEUTRAL_EDGE, 10)
    arrow(ax, (2.8, update_y), (init[0], update_y), color=NEUTRAL_EDGE, head=False)
    arrow(ax, (init[0], update_y), (init[0], forward_y - height / 2), color=NEUTRAL_EDGE,
           text="next\niteration", text_offset=(-0.5, 0.25), size=9)
    return figure


def draw_forward_backward():
    """Figure 2: LINEAR -> RELU -> LINEAR -> SIGMOID forward (top) and backward (bottom)."""
    figure, ax = canvas(11, 4.2, (0, 11), (0, 4.2))
    forward_y, backward_y = 3.2, 1.45
    xs = (1.7, 3.9, 6.1, 8.3)
    forward = ("LINEAR\nlayer 1", "RELU\nlayer 1", "LINEAR\nlayer 2", "SIGMOID\nlayer 2")
    backward = ("LINEAR\nbackward", "RELU\nbackward", "LINEAR\nbackward", "SIGMOID\nbackward")
    width, height = 1.45, 0.85

    for x, forward_text, backward_text in zip(xs, forward, backward, strict=True):
        box(ax, x, forward_y, width, height, forward_text, FORWARD, FORWARD_EDGE, 10)
        box(ax, x, backward_y, width, height, backward_text, BACKWARD, BACKWARD_EDGE, 10)

    forward_labels = ("$X$", "$Z^{[1]}$", "$A^{[1]}$", "$Z^{[2]}$", r"$A^{[2]} = \hat{y}$")
    starts = (0.2,) + tuple(x + width / 2 for x in xs)
    ends = tuple(x - width / 2 for x in xs) + (10.3,)
    for start, end, label in zip(starts, ends, forward_labels, strict=True):
        arrow(ax, (start, forward_y), (end, forward_y), text=label, text_offset=(0, 0.3))
    ax.text(10.55, forward_y, r"$\mathcal{L}(\hat{y}, y)$", ha="center", va="center", fontsize=11)

    backward_labels = ("$dA^{[0]}$", "$dZ^{[1]}$", "$dA^{[1]}$", "$dZ^{[2]}$", "$dA^{[2]}$")
    for start, end, label in zip(ends, starts, backward_labels, strict=True):
        arrow(ax, (start, backward_y), (end, backward_y), color=BACKWARD_EDGE, text=label,
               text_offset=(0, 0.3))
    arrow(ax, (10.55, forward_y - 0.3), (10.55, backward_y), color=BACKWARD_EDGE, head=False)
    arrow(ax, (10.55, backward_y), (10.3, backward_y), color=BACKWARD_EDGE, head=False)

    caches = (r"$A^{[0]}, W^{[1]}, b^{[1]}$", "$Z^{[1]}$", r"$A^{[1]}, W^{[2]}, b^{[2]}$", "$Z^{[2]}$")
    middle = (forward_y + backward_y) / 2
    for x, label in zip(xs, caches, strict=True):
        arrow(ax, (x, forward_y - height / 2), (x, backward_y + height / 2), color=CACHE, dashed=True)
        ax.text(x + 0.08, middle, label, ha="left", va="center", fontsize=9, color=CACHE)
    for x, label in ((xs[0], r"$dW^{[1]}, db^{[1]}$"), (xs[2], r"$dW^{[2]}, db^{[2]}$")):
        arrow(ax, (x, backward_y - height / 2), (x, 0.35), color=BACKWARD_EDGE)
        ax.text(x + 0.1, 0.45, label, ha="left", va="center", fontsize=10, color=BACKWARD_EDGE)
    return figure


def draw_linear_backward():
    """Figure 3: one linear step backwards, with its inputs and its three outputs."""
    figure, ax = canvas(7, 4.4, (0, 7), (0, 4.4))
    x, forward_y, backward_y = 3.5, 3.55, 1.85
    box(ax, x, forward_y, 2.2, 0.75, "LINEAR, layer $l$\n" + r"$Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}$",
         FORWARD, FORWARD_EDGE, 10)
    box(ax, x, backward_y, 2.2, 0.85, "LINEAR backward\nlayer $l$", BACKWARD, BACKWARD_EDGE, 11)

    arrow(ax, (0.6, forward_y), (x - 1.1, forward_y), text="$A^{[l-1]}$")
    arrow(ax, (x + 1.1, forward_y), (6.4, forward_y), text="$Z^{[l]}$")
    arrow(ax, (x, forward_y - 0.375), (x, backward_y + 0.425), color=CACHE, dashed=True)
    ax.text(x + 0.1, (forward_y + backward_y) / 2 + 0.05, r"cache $(A^{[l-1]}, W^{[l]}, b^{[l]})$",
            ha="left", va="center", fontsize=10, color=CACHE)

    arrow(ax, (6.4, backward_y), (x + 1.1, backward_y), color=BACKWARD_EDGE, text="$dZ^{[l]}$",
           text_offset=(0, 0.28))
    arrow(ax, (x - 1.1, backward_y), (0.6, backward_y), color=BACKWARD_EDGE, text="$dA^{[l-1]}$",
           text_offset=(0, 0.28))
    arrow(ax, (x - 0.5, backward_y - 0.425), (x - 1.2, 0.45), color=BACKWARD_EDGE)
    ax.text(x - 1.35, 0.3, "$dW^{[l]}$", ha="center", va="center", fontsize=11, color=BACKWARD_EDGE)
    arrow(ax, (x + 0.5, backward_y - 0.425), (x + 1.2, 0.45), color=BACKWARD_EDGE)
    ax.text(x + 1.35, 0.3, "$db^{[l]}$", ha="center", va="center", fontsize=11, color=BACKWARD_EDGE)
    return figure


FIGURES = {
    "outline.png": draw_outline,
    "forward_backward.png": draw_forward_backward,
    "linear_backward.png": draw_linear_backward,
}
