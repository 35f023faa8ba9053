"""Plotting helpers, and a record of the figures a notebook has drawn.

In a notebook, matplotlib's inline backend renders each figure when its cell ends and
then closes it, so a later cell cannot look at it. ``watch_figures()`` (called once in
a notebook's setup cell) records every figure as it is rendered or shown, which lets an
autograded cell confirm that a visualisation task produced a figure while a person
grades what it shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import fail
from .integrity import verify_intact


@dataclass(frozen=True)
class RenderedFigure:
    images: int  # axes that display an image
    titles: tuple  # the non-empty axes titles


_rendered: dict = {}  # id(figure) -> RenderedFigure, since the last check
_watching = False


def _record(figure) -> None:
    axes = figure.get_axes()
    _rendered[id(figure)] = RenderedFigure(
        images=sum(1 for ax in axes if ax.images),
        titles=tuple(ax.get_title() for ax in axes if ax.get_title()),
    )


def watch_figures() -> None:
    """Record figures from now on when they are rendered (inline display, savefig) or
    shown; figures recorded before are forgotten."""
    global _watching
    _rendered.clear()
    if _watching:
        return
    import matplotlib.pyplot as plt
    from matplotlib.backend_bases import FigureCanvasBase

    print_figure = FigureCanvasBase.print_figure
    show = plt.show

    def recording_print_figure(canvas, *args, **kwargs):
        _record(canvas.figure)
        return print_figure(canvas, *args, **kwargs)

    def recording_show(*args, **kwargs):
        for number in plt.get_fignums():
            _record(plt.figure(number))
        return show(*args, **kwargs)

    FigureCanvasBase.print_figure = recording_print_figure
    plt.show = recording_show
    _watching = True


def check_figure_produced(min_images: int = 1, what: str = "the cell above") -> None:
    """Raise CheckFailure unless figures showing ``min_images`` images were drawn.

    Counts the figures rendered since the previous call, then starts counting afresh.
    It reads what the process that drew them recorded, so at grading time the grader
    asks the student's kernel to run it (``runs_in_kernel``).
    """
    verify_intact()
    if not _watching:
        fail("check_figure_produced", "figures are not being recorded",
             "run the notebook's first cells (they call nn_utils.watch_figures()).")
    drawn = list(_rendered.values())
    _rendered.clear()
    images = sum(f.images for f in drawn)
    if not drawn:
        fail(what, "drew no figure", "run the visualisation cell above; it must display "
             "its images (plt.show() or nn_utils.show_images).")
    if images < min_images:
        fail(what, f"drew {images} image(s), expected at least {min_images}",
             "show every example the task asks for.")
    print(f"Figure check passed: {len(drawn)} figure(s), {images} image(s).")


def show_images(images, titles=None, image_shape=(28, 28), columns=5, cmap="gray"):
    """Show images in a grid, one title each.

    Args:
        images: array (n, height, width), or (n, height * width) with ``image_shape``.
        titles: n strings, or None.
        image_shape: the (height, width) of a flattened image.
        columns: images per row.

    Returns:
        the matplotlib figure.
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    if images.ndim == 2:
        images = images.reshape(-1, *image_shape)
    count = len(images)
    rows = max(1, -(-count // columns))
    figure, axes = plt.subplots(rows, columns, figsize=(2 * columns, 2.2 * rows), squeeze=False)
    for index, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if index < count:
            ax.imshow(images[index], cmap=cmap)
            if titles is not None:
                ax.set_title(str(titles[index]), fontsize=9)
    figure.tight_layout()
    plt.show()
    return figure


def visualize_grid(Xs, ubound=255.0, padding=1):
    """Tile images into one picture, as cs231n's ``vis_utils.visualize_grid``.

    Args:
        Xs: array (N, H, W, C) of images; each is rescaled on its own to 0..ubound.
        ubound: the top of the output range.
        padding: blank pixels between tiles.

    Returns:
        array (rows * (H + padding) - padding, same for columns, C), a square-ish grid.
    """
    Xs = np.asarray(Xs, dtype=np.float64)
    count, height, width, channels = Xs.shape
    side = int(np.ceil(np.sqrt(count)))
    grid = np.zeros((side * (height + padding) - padding, side * (width + padding) - padding,
                     channels))
    for index in range(count):
        row, column = divmod(index, side)
        image = Xs[index]
        low, high = image.min(), image.max()
        scaled = ubound * (image - low) / (high - low) if high > low else np.zeros_like(image)
        top, left = row * (height + padding), column * (width + padding)
        grid[top:top + height, left:left + width] = scaled
    return grid


# The figures were drawn in the student's kernel, so the grader asks it (autograder/execution/judge.py).
check_figure_produced.runs_in_kernel = True
