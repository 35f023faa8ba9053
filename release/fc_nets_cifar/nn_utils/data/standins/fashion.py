"""Fashion-MNIST stand-in: procedurally drawn clothing silhouettes, 28x28 grey levels.

Each of the ten Fashion-MNIST classes gets a parametric silhouette in the same pose as
the real images (garments upright and facing the camera, shoes in profile with the toe
to the left): 0 T-shirt/top, 1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt,
7 sneaker, 8 bag, 9 ankle boot.  Every image draws its own part sizes (body width and
length, sleeve length and angle, ...), position, scale and a slight rotation, then a
brightness and a fabric texture (flat, stripes, checks or mottled) that is independent of
the class.  The upper-body classes (T-shirt, pullover, coat, shirt) and the shoe classes
differ in details only, which keeps the task learnable but not trivial, as in the real
data set.
"""

from __future__ import annotations

import numpy as np

from . import shapes as S

N_TRAIN = 60_000
N_TEST = 10_000
SEED = 20_240_602
SIZE = 28
CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def build(n_train: int = N_TRAIN, n_test: int = N_TEST, seed: int = SEED):
    """Return ``(x_train, y_train), (x_test, y_test)``.

    x arrays are uint8 of shape (N, 28, 28) with values 0..255 (object bright on a black
    background, like Fashion-MNIST), y arrays are uint8 of shape (N,) with values 0..9 and
    equal class counts (up to rounding).  The result depends only on the arguments.
    """
    train_seq, test_seq = np.random.SeedSequence(seed).spawn(2)
    return _split(n_train, np.random.default_rng(train_seq)), _split(n_test, np.random.default_rng(test_seq))


def _split(n, rng):
    labels = rng.permutation(np.arange(n) % 10).astype(np.uint8)
    images = np.empty((n, SIZE, SIZE), dtype=np.uint8)
    for cls, draw in enumerate(_DRAWERS):
        idx = np.flatnonzero(labels == cls)
        m = len(idx)
        if m == 0:
            continue
        x, y = S.jittered_grid(rng, m, SIZE, scale=(0.78, 1.15), shift=1.3, rotate_deg=6.0)
        ink = draw(x, y, rng, m)
        images[idx] = _shade(ink, x, y, rng, m)
    return images, labels


def _shade(ink, x, y, rng, m):
    """Brightness and fabric texture, drawn independently of the class."""
    brightness = S.per_image(rng, m, 0.25, 1.0)
    kind = rng.integers(0, 5, m)[:, None, None]  # 4 = flat
    freq = S.per_image(rng, m, 0.5, 1.4)
    phase = S.per_image(rng, m, 0.0, 2 * np.pi)
    depth = S.per_image(rng, m, 0.1, 0.65)
    stripes_h = 0.5 + 0.5 * np.sin(freq * y + phase)
    stripes_v = 0.5 + 0.5 * np.sin(freq * x + phase)
    checks = (stripes_h > 0.5) ^ (stripes_v > 0.5)
    mottled = rng.random(ink.shape, dtype=np.float32)
    pattern = np.select([kind == 0, kind == 1, kind == 2], [stripes_h, stripes_v, checks], mottled)
    texture = 1.0 - depth * np.where(kind == 4, 0.0, pattern)
    grain = 1.0 - 0.12 * rng.random(ink.shape, dtype=np.float32)
    value = ink * brightness * texture * grain
    return np.rint(np.clip(value, 0.0, 1.0) * 255.0).astype(np.uint8)


# Shapes below are written on the 28x28 canvas with the centre at (13.5, 13.5).
C = 13.5


def _torso(x, y, *, top, bottom, half_width, sleeve_end_y, sleeve_out, sleeve_r):
    """Upper-body garment: body plus two sleeves from the shoulders."""
    shoulder_y = top + 1.5
    body = S.coverage(S.box(x, y, C, (top + bottom) / 2, half_width, (bottom - top) / 2))
    sleeves = [
        S.coverage(
            S.capsule(
                x,
                y,
                C + side * (half_width - 1.0),
                shoulder_y,
                C + side * (half_width + sleeve_out),
                sleeve_end_y,
                sleeve_r,
            )
        )
        for side in (-1.0, 1.0)
    ]
    return S.union(body, *sleeves)


def _neck(x, y, top, rx, ry):
    return S.coverage(S.ellipse(x, y, C, top - 0.5, rx, ry))


def _tshirt(x, y, rng, m):
    top = S.per_image(rng, m, 5.0, 7.0)
    hw = S.per_image(rng, m, 5.5, 7.5)
    shape = _torso(
        x,
        y,
        top=top,
        bottom=S.per_image(rng, m, 22.0, 25.0),
        half_width=hw,
        sleeve_end_y=top + S.per_image(rng, m, 4.0, 11.0),
        sleeve_out=S.per_image(rng, m, 2.5, 4.5),
        sleeve_r=S.per_image(rng, m, 1.8, 2.6),
    )
    return S.cut(shape, _neck(x, y, top, S.per_image(rng, m, 2.0, 3.2), S.per_image(rng, m, 1.5, 2.5)))


def _trouser(x, y, rng, m):
    top = S.per_image(rng, m, 3.0, 5.0)
    bottom = S.per_image(rng, m, 23.5, 25.5)
    hip = S.per_image(rng, m, 4.0, 5.5)
    spread = S.per_image(rng, m, 0.0, 2.0)
    leg_r = S.per_image(rng, m, 1.8, 2.6)
    waist = S.coverage(S.box(x, y, C, top + 2.5, hip, 2.5))
    legs = [
        S.coverage(
            S.capsule(
                x, y, C + side * (hip - leg_r), top + 3.0, C + side * (hip - leg_r + spread), bottom, leg_r
            )
        )
        for side in (-1.0, 1.0)
    ]
    return S.union(waist, *legs)


def _pullover(x, y, rng, m):
    top = S.per_image(rng, m, 5.0, 7.0)
    hw = S.per_image(rng, m, 5.5, 7.0)
    shape = _torso(
        x,
        y,
        top=top,
        bottom=S.per_image(rng, m, 21.5, 24.5),
        half_width=hw,
        sleeve_end_y=S.per_image(rng, m, 14.0, 24.0),
        sleeve_out=S.per_image(rng, m, 2.0, 4.0),
        sleeve_r=S.per_image(rng, m, 1.6, 2.4),
    )
    return S.cut(shape, _neck(x, y, top, S.per_image(rng, m, 1.5, 2.5), S.per_image(rng, m, 1.0, 1.8)))


def _dress(x, y, rng, m):
    top = S.per_image(rng, m, 3.0, 5.0)
    waist_y = S.per_image(rng, m, 9.0, 12.0)
    bodice = S.coverage(
        S.box(x, y, C, (top + waist_y) / 2, S.per_image(rng, m, 2.5, 4.0), (waist_y - top) / 2)
    )
    skirt = S.coverage(
        S.trapezoid(
            x,
            y,
            C,
            waist_y,
            S.per_image(rng, m, 23.5, 26.0),
            S.per_image(rng, m, 2.5, 4.0),
            S.per_image(rng, m, 6.5, 10.0),
        )
    )
    # Some dresses have short sleeves, which brings them closer to tops.
    has_sleeves = (rng.random(m) < 0.4).astype(np.float32)[:, None, None]
    sleeves = [
        S.coverage(S.capsule(x, y, C + side * 3.0, top + 1.0, C + side * 6.5, top + 4.0, 1.5)) * has_sleeves
        for side in (-1.0, 1.0)
    ]
    return S.union(bodice, skirt, *sleeves)


def _coat(x, y, rng, m):
    top = S.per_image(rng, m, 3.5, 5.5)
    hw = S.per_image(rng, m, 6.0, 7.5)
    shape = _torso(
        x,
        y,
        top=top,
        bottom=S.per_image(rng, m, 23.5, 26.0),
        half_width=hw,
        sleeve_end_y=S.per_image(rng, m, 15.0, 25.0),
        sleeve_out=S.per_image(rng, m, 2.5, 4.0),
        sleeve_r=S.per_image(rng, m, 1.8, 2.4),
    )
    # The open front (a dark seam down the middle) and a deep V collar set coats apart.
    seam = S.coverage(S.box(x, y, C, 15.0, S.per_image(rng, m, 0.3, 0.7), 12.0))
    collar = S.coverage(
        S.trapezoid(
            x, y, C, top - 1.0, top + S.per_image(rng, m, 4.0, 6.0), S.per_image(rng, m, 2.0, 3.0), 0.2
        )
    )
    seam_strength = S.per_image(rng, m, 0.0, 0.8)
    return S.cut(shape, S.union(seam * seam_strength, collar))


def _sandal(x, y, rng, m):
    sole_y = S.per_image(rng, m, 18.0, 21.0)
    sole = S.coverage(S.box(x, y, C, sole_y, S.per_image(rng, m, 10.0, 12.0), S.per_image(rng, m, 0.6, 1.2)))
    strap_r = S.per_image(rng, m, 0.5, 0.9)
    height = S.per_image(rng, m, 4.0, 7.0)
    # Each strap has its own strength, so the number of visible straps varies.
    straps = [
        S.coverage(S.capsule(x, y, C + dx0, sole_y, C + dx0 + lean, sole_y - height, strap_r))
        * S.per_image(rng, m, 0.0, 1.0)
        for dx0, lean in ((-8.0, 2.5), (-3.0, -2.5), (2.0, 2.5), (7.0, -2.0))
    ]
    heel_strap = S.coverage(S.capsule(x, y, C + 2.0, sole_y - height, C + 10.0, sole_y - 1.0, strap_r))
    return S.union(sole, *straps, heel_strap)


def _sneaker(x, y, rng, m):
    sole_y = S.per_image(rng, m, 19.0, 21.0)
    half_len = S.per_image(rng, m, 10.0, 12.0)
    sole = S.coverage(S.box(x, y, C, sole_y, half_len, S.per_image(rng, m, 0.8, 1.4)))
    upper_h = S.per_image(rng, m, 3.5, 8.0)
    upper = S.coverage(S.ellipse(x, y, C + 1.0, sole_y, half_len * 0.95, upper_h))
    collar = S.coverage(S.ellipse(x, y, C + 5.0, sole_y - upper_h, 2.5, 1.5))
    return S.cut(S.union(sole, upper), collar)


def _bag(x, y, rng, m):
    top = S.per_image(rng, m, 9.0, 12.0)
    bottom = S.per_image(rng, m, 22.0, 25.0)
    hw = S.per_image(rng, m, 6.0, 11.0)
    body = S.coverage(S.box(x, y, C, (top + bottom) / 2, hw, (bottom - top) / 2))
    handle_r = S.per_image(rng, m, 3.0, 6.0)
    handle = S.coverage(np.maximum(S.ring(x, y, C, top, handle_r, S.per_image(rng, m, 0.5, 1.0)), y - top))
    has_handle = (rng.random(m) < 0.7).astype(np.float32)[:, None, None]
    return S.union(body, handle * has_handle)


def _ankle_boot(x, y, rng, m):
    sole_y = S.per_image(rng, m, 21.0, 23.5)
    shaft_top = S.per_image(rng, m, 4.0, 11.0)
    heel_x = C + S.per_image(rng, m, 6.0, 9.0)
    shaft_w = S.per_image(rng, m, 3.0, 5.0)
    shaft = S.coverage(
        S.box(x, y, heel_x - shaft_w, (shaft_top + sole_y) / 2, shaft_w, (sole_y - shaft_top) / 2)
    )
    foot = S.coverage(
        S.ellipse(x, y, C - 1.0, sole_y - 1.0, S.per_image(rng, m, 9.0, 11.0), S.per_image(rng, m, 3.0, 4.5))
    )
    sole = S.coverage(S.box(x, y, C, sole_y, S.per_image(rng, m, 9.5, 11.5), 0.9))
    return S.union(shaft, foot, sole)


def _shirt(x, y, rng, m):
    top = S.per_image(rng, m, 4.5, 6.5)
    hw = S.per_image(rng, m, 5.5, 7.0)
    shape = _torso(
        x,
        y,
        top=top,
        bottom=S.per_image(rng, m, 22.5, 25.5),
        half_width=hw,
        sleeve_end_y=S.per_image(rng, m, 14.0, 24.0),
        sleeve_out=S.per_image(rng, m, 2.0, 3.5),
        sleeve_r=S.per_image(rng, m, 1.5, 2.0),
    )
    # A small V opening and a button line: the detail that tells shirts from pullovers.
    opening = S.coverage(S.trapezoid(x, y, C, top - 1.0, top + S.per_image(rng, m, 2.5, 4.0), 1.8, 0.2))
    buttons = S.coverage(S.box(x, y, C, 16.0, 0.4, 8.0)) * ((np.floor(y) % 3) == 0)
    return S.cut(shape, S.union(opening, buttons * S.per_image(rng, m, 0.0, 0.6)))


_DRAWERS = (_tshirt, _trouser, _pullover, _dress, _coat, _sandal, _shirt, _sneaker, _bag, _ankle_boot)
