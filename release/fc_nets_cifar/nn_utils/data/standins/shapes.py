"""Anti-aliased 2-D shapes drawn for a whole batch of images at once.

The procedural stand-ins draw every image of a class in one vectorised pass: each shape
parameter is an array with one value per image, shaped (m, 1, 1) so that it broadcasts
against the (m, H, W) pixel grids.  Shapes are described by an approximate signed
distance in pixels (negative inside); ``coverage`` turns that into a 0..1 ink amount with
a one-pixel soft edge, which is what gives the images their anti-aliased look without
supersampling.
"""

from __future__ import annotations

import numpy as np


def per_image(rng: np.random.Generator, m: int, low: float, high: float) -> np.ndarray:
    """One uniform draw per image, shaped (m, 1, 1) for broadcasting over pixels."""
    return rng.uniform(low, high, m).astype(np.float32)[:, None, None]


def jittered_grid(
    rng: np.random.Generator,
    m: int,
    size: int,
    *,
    scale=(0.9, 1.1),
    shift: float = 0.8,
    rotate_deg: float = 0.0,
    flip: bool = False,
):
    """Per-image pixel coordinates ``(x, y)``, each float32 of shape (m, size, size).

    Shapes are written in fixed canvas coordinates; drawing them on these grids moves,
    scales, rotates and optionally mirrors every image by its own random amount.
    """
    centre = (size - 1) / 2.0
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) - centre
    s = per_image(rng, m, *scale)
    dx = rng.normal(0.0, shift, m).astype(np.float32)[:, None, None]
    dy = rng.normal(0.0, shift, m).astype(np.float32)[:, None, None]
    angle = np.deg2rad(rng.normal(0.0, rotate_deg, m)).astype(np.float32)[:, None, None]
    cos, sin = np.cos(angle), np.sin(angle)
    u, v = xx[None] - dx, yy[None] - dy
    x = (cos * u + sin * v) / s
    y = (-sin * u + cos * v) / s
    if flip:
        mirror = np.where(rng.random(m) < 0.5, -1.0, 1.0).astype(np.float32)[:, None, None]
        x = x * mirror
    return x + centre, y + centre


def coverage(distance: np.ndarray) -> np.ndarray:
    """Ink amount 0..1 from a signed distance in pixels, with a one-pixel soft edge."""
    return np.clip(0.5 - distance, 0.0, 1.0)


def union(*parts: np.ndarray) -> np.ndarray:
    out = parts[0]
    for part in parts[1:]:
        out = np.maximum(out, part)
    return out


def cut(shape: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """``shape`` with ``hole`` removed (both are coverages)."""
    return np.minimum(shape, 1.0 - hole)


def box(x, y, cx, cy, hw, hh):
    """Axis-aligned rectangle of half-width ``hw`` and half-height ``hh``."""
    return np.maximum(np.abs(x - cx) - hw, np.abs(y - cy) - hh)


def ellipse(x, y, cx, cy, rx, ry):
    # Scaling the normalised radius by the smaller semi-axis keeps the edge about one
    # pixel wide; exact ellipse distance is not worth its cost here.
    r = np.sqrt(((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2)
    return (r - 1.0) * np.minimum(rx, ry)


def trapezoid(x, y, cx, top, bottom, hw_top, hw_bottom):
    """Vertical trapezoid: centred on ``cx``, half-width varying linearly with y."""
    t = np.clip((y - top) / (bottom - top), 0.0, 1.0)
    hw = hw_top + t * (hw_bottom - hw_top)
    return np.maximum(np.abs(x - cx) - hw, np.maximum(top - y, y - bottom))


def capsule(x, y, x0, y0, x1, y1, radius):
    """Thick line segment with round ends."""
    px, py = x - x0, y - y0
    dx, dy = x1 - x0, y1 - y0
    t = np.clip((px * dx + py * dy) / (dx * dx + dy * dy + 1e-6), 0.0, 1.0)
    return np.sqrt((px - t * dx) ** 2 + (py - t * dy) ** 2) - radius


def ring(x, y, cx, cy, radius, half_thickness):
    return np.abs(np.sqrt((x - cx) ** 2 + (y - cy) ** 2) - radius) - half_thickness
