"""CIFAR-10 stand-in: procedurally drawn 32x32 colour scenes, one object per image.

Each of the ten CIFAR-10 classes (0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog,
6 frog, 7 horse, 8 ship, 9 truck) gets a crude parametric silhouette, a typical object
colour range and a typical background (sky, water, road, grass, indoor).  Every image
then draws its own part sizes, position, scale, small rotation, left/right mirroring,
lighting, background gradient, noise, and up to two distractor blobs of random colour.
Only 60% of the images get one of their class's typical scenes (the rest get any scene)
and palettes overlap between classes (animals share browns and greens, vehicles share
roads and paint colours), so that, as on the real data set, colour and background alone
do not give the label away.

Built as uint8 (N, 32, 32, 3) so that the in-memory cache stays small; the loader converts
to the float64 layout of cs231n's loader on the way out.
"""

from __future__ import annotations

import numpy as np

from . import shapes as S

P = S.per_image

N_TRAIN = 50_000
N_TEST = 10_000
SEED = 20_240_603
SIZE = 32
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
# Images drawn per vectorised pass: bounds each float32 temporary to about 12 MB while
# keeping Python overhead low.
_CHUNK = 1000

# Palettes are (darkest, lightest) RGB colours in 0..1; see ``_colours``.
_SKY = ((0.45, 0.6, 0.75), (0.75, 0.85, 0.98))
_GREY_SKY = ((0.6, 0.6, 0.6), (0.9, 0.9, 0.92))
_GRASS = ((0.2, 0.35, 0.1), (0.45, 0.6, 0.3))
_EARTH = ((0.3, 0.22, 0.12), (0.6, 0.5, 0.35))
_WATER = ((0.1, 0.25, 0.4), (0.3, 0.5, 0.7))
_ROAD = ((0.3, 0.3, 0.3), (0.55, 0.55, 0.55))
_INDOOR = ((0.45, 0.35, 0.25), (0.85, 0.78, 0.65))

# Per class: typical backgrounds as (top palette, bottom palette, horizon row range).
# Without a horizon the image is a vertical gradient from top to bottom colour.
_SCENES = {
    0: [(_SKY, _SKY, None), (_GREY_SKY, _GREY_SKY, None), (_SKY, _GRASS, (24, 30))],
    1: [(_GREY_SKY, _ROAD, (16, 22)), (_GRASS, _ROAD, (16, 22)), (_INDOOR, _ROAD, (18, 24))],
    2: [(_SKY, _SKY, None), (_GRASS, _GRASS, None), (_SKY, _GRASS, (18, 26))],
    3: [(_INDOOR, _INDOOR, None), (_INDOOR, _EARTH, (18, 26)), (_GRASS, _GRASS, None)],
    4: [(_GRASS, _GRASS, None), (_GRASS, _EARTH, (18, 26)), (_SKY, _GRASS, (12, 20))],
    5: [(_INDOOR, _INDOOR, None), (_GRASS, _GRASS, None), (_INDOOR, _EARTH, (18, 26))],
    6: [(_EARTH, _EARTH, None), (_GRASS, _EARTH, (14, 22)), (_GRASS, _GRASS, None)],
    7: [(_GRASS, _GRASS, None), (_SKY, _GRASS, (14, 22)), (_GRASS, _EARTH, (18, 26))],
    8: [(_SKY, _WATER, (14, 20)), (_GREY_SKY, _WATER, (14, 20)), (_WATER, _WATER, None)],
    9: [(_GREY_SKY, _ROAD, (18, 24)), (_SKY, _ROAD, (18, 24)), (_GRASS, _ROAD, (18, 24))],
}
_ALL_SCENES = [scene for scenes in _SCENES.values() for scene in scenes]
# Share of images drawn on one of their own class's typical scenes.
_TYPICAL_SCENE_SHARE = 0.6
_PAINT = ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
# Vehicles come in any paint colour; other classes keep natural colours.
_VIVID = (1, 9)
_FUR = ((0.25, 0.15, 0.05), (0.85, 0.65, 0.4))
_OBJECT_COLOURS = {
    0: ((0.55, 0.55, 0.58), (0.95, 0.95, 0.98)),
    1: _PAINT,
    2: ((0.2, 0.15, 0.1), (0.9, 0.8, 0.6)),
    3: ((0.2, 0.15, 0.1), (0.95, 0.8, 0.6)),
    4: ((0.35, 0.22, 0.1), (0.7, 0.5, 0.3)),
    5: _FUR,
    6: ((0.2, 0.3, 0.05), (0.55, 0.65, 0.3)),
    7: ((0.1, 0.06, 0.03), (0.6, 0.42, 0.25)),
    8: ((0.4, 0.4, 0.4), (0.95, 0.95, 0.95)),
    9: _PAINT,
}


def build(n_train: int = N_TRAIN, n_test: int = N_TEST, seed: int = SEED):
    """Return ``(x_train, y_train), (x_test, y_test)``.

    x arrays are uint8 of shape (N, 32, 32, 3) (RGB, 0..255), y arrays int64 of shape
    (N,) with values 0..9 and equal class counts (up to rounding).  The result depends
    only on the arguments.
    """
    train_seq, test_seq = np.random.SeedSequence(seed).spawn(2)
    return _split(n_train, train_seq), _split(n_test, test_seq)


def _split(n, seq):
    labels = np.random.default_rng(seq.spawn(1)[0]).permutation(np.arange(n) % 10).astype(np.int64)
    images = np.empty((n, SIZE, SIZE, 3), dtype=np.uint8)
    for cls, draw in enumerate(_DRAWERS):
        idx = np.flatnonzero(labels == cls)
        for part, start in enumerate(range(0, len(idx), _CHUNK)):
            # A seed per (class, part) keeps the output independent of evaluation order.
            rng = np.random.default_rng(
                np.random.SeedSequence(seq.entropy, spawn_key=seq.spawn_key + (1, cls, part))
            )
            chunk = idx[start : start + _CHUNK]
            images[chunk] = _scene(cls, draw, len(chunk), rng).transpose(0, 2, 3, 1)
    return images, labels


def _scene(cls, draw, m, rng):
    """Draw ``m`` images of class ``cls`` as uint8 (m, 3, 32, 32).

    Channels come first while drawing: numpy broadcasts a mask over a trailing axis of
    length 3 several times slower than over 32x32 planes.  Arithmetic is in place because
    the build is bound by passes over these arrays.
    """
    image = _background(cls, m, rng)
    _add_distractors(image, m, rng)
    x, y = S.jittered_grid(rng, m, SIZE, scale=(0.65, 1.2), shift=2.5, rotate_deg=8.0, flip=True)
    mask = draw(x, y, rng, m)[:, None]
    low, high = _OBJECT_COLOURS[cls]
    colour = _colours(rng, m, low, high, vivid=cls in _VIVID)
    # Light from above: objects get brighter towards the top, plus fine texture.
    light = 1.15 - (0.3 / SIZE) * y[:, None]
    light += 0.15 * (rng.random(light.shape, dtype=np.float32) - 0.5)
    light *= mask
    image *= 1.0 - mask
    image += colour * light
    image += 0.08 * (rng.random(image.shape, dtype=np.float32) - 0.5)
    image *= 255.0
    image += 0.5  # so that the truncating cast below rounds
    np.clip(image, 0.0, 255.0, out=image)
    return image.astype(np.uint8)


def _colours(rng, m, low, high, vivid=False):
    """One RGB colour per image in the box [low, high], shaped (m, 3, 1, 1).

    Natural colours are drawn along the box diagonal with a small per-channel jitter,
    which keeps them plausible (browns stay brown); ``vivid`` ones, for paint, draw each
    channel independently.
    """
    low = np.asarray(low, dtype=np.float32)
    high = np.asarray(high, dtype=np.float32)
    if vivid:
        t = rng.random((m, 3), dtype=np.float32)
    else:
        t = rng.random((m, 1), dtype=np.float32) + 0.08 * rng.standard_normal((m, 3), dtype=np.float32)
    return (low + np.clip(t, 0.0, 1.0) * (high - low))[:, :, None, None]


def _background(cls, m, rng):
    # Most images use one of the class's typical scenes; the rest use any scene of any
    # class, so that the background alone does not give the label away.
    choices = _SCENES[cls] + _ALL_SCENES
    typical = rng.random(m) < _TYPICAL_SCENE_SHARE
    which = np.where(
        typical,
        rng.integers(0, len(_SCENES[cls]), m),
        len(_SCENES[cls]) + rng.integers(0, len(_ALL_SCENES), m),
    )
    out = np.empty((m, 3, SIZE, SIZE), dtype=np.float32)
    rows = np.arange(SIZE, dtype=np.float32)[None, None, :, None]
    for k, (top, bottom, horizon) in enumerate(choices):
        idx = np.flatnonzero(which == k)
        if len(idx) == 0:
            continue
        j = len(idx)
        c_top = _colours(rng, j, *top)
        c_bottom = _colours(rng, j, *bottom)
        if horizon is None:
            t = rows / (SIZE - 1)
        else:
            h = rng.uniform(*horizon, j).astype(np.float32)[:, None, None, None]
            t = np.clip(rows - h + 0.5, 0.0, 1.0)
        out[idx] = c_top + (c_bottom - c_top) * t
    # Smooth large-scale blotches so that backgrounds are not flat gradients: 4x4 noise
    # upsampled bilinearly to the canvas.
    coarse = rng.standard_normal((m, 3, 4, 4), dtype=np.float32)
    out += np.einsum("yi,mcij,xj->mcyx", 0.07 * _UPSAMPLE_4, coarse, _UPSAMPLE_4, optimize=True)
    return out


def _linear_upsampling(n_in, n_out):
    pos = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
    return np.clip(1.0 - np.abs(pos[:, None] - np.arange(n_in)[None, :]), 0.0, None).astype(np.float32)


_UPSAMPLE_4 = _linear_upsampling(4, SIZE)


def _add_distractors(image, m, rng):
    """Paint up to two blobs of random colour over the background, in place."""
    axis = np.arange(SIZE, dtype=np.float32)
    for _ in range(2):
        present = rng.random(m) < 0.6
        cx, cy = P(rng, m, 0, SIZE), P(rng, m, 0, SIZE)
        rx, ry = P(rng, m, 1.5, 6.0), P(rng, m, 1.5, 6.0)
        # Blobs are axis-aligned on the fixed grid, so the squared normalised radius is a
        # sum of a per-row and a per-column term: far cheaper than the general ellipse.
        r2 = ((axis[None, None, :] - cx) / rx) ** 2 + ((axis[None, :, None] - cy) / ry) ** 2
        blob = S.coverage((np.sqrt(r2) - 1.0) * np.minimum(rx, ry))
        blob *= present[:, None, None]
        colour = _colours(rng, m, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), vivid=True)
        image -= (image - colour) * blob[:, None]


# Shapes below are written on the 32x32 canvas, centre (15.5, 15.5), facing left.
C = 15.5


def _airplane(x, y, rng, m):
    body_y = P(rng, m, 13.0, 18.0)
    fuselage = S.coverage(
        S.capsule(x, y, C - P(rng, m, 9, 12), body_y, C + P(rng, m, 9, 12), body_y, P(rng, m, 1.2, 2.0))
    )
    span = P(rng, m, 7.0, 12.0)
    sweep = P(rng, m, 1.0, 4.0)
    wings = S.coverage(S.capsule(x, y, C - 1.0, body_y - span, C + sweep, body_y + span, P(rng, m, 1.0, 1.8)))
    tail = S.coverage(S.capsule(x, y, C + 9.0, body_y, C + 11.0, body_y - P(rng, m, 3.0, 6.0), 1.0))
    return S.union(fuselage, wings, tail)


def _wheels(x, y, rng, m, xs, wheel_y):
    r = P(rng, m, 2.0, 3.0)
    return S.union(*[S.coverage(S.ellipse(x, y, C + dx, wheel_y, r, r)) for dx in xs])


def _automobile(x, y, rng, m):
    bottom = P(rng, m, 21.0, 24.0)
    half_len = P(rng, m, 9.0, 13.0)
    body = S.coverage(S.box(x, y, C, bottom - 3.0, half_len, P(rng, m, 2.5, 4.0)))
    roof_top = bottom - P(rng, m, 9.0, 12.0)
    cabin = S.coverage(
        S.trapezoid(
            x, y, C + P(rng, m, -1.0, 2.0), roof_top, bottom - 5.0, P(rng, m, 3.0, 5.0), P(rng, m, 6.0, 8.0)
        )
    )
    wheels = _wheels(x, y, rng, m, (-7.0, 7.0), bottom)
    # Wheels are drawn as holes in the body mask, so they show the dark tyre colour below.
    return S.cut(S.union(body, cabin), wheels * 0.8)


def _bird(x, y, rng, m):
    cy = P(rng, m, 13.0, 19.0)
    rx = P(rng, m, 4.5, 7.0)
    body = S.coverage(S.ellipse(x, y, C + 1.0, cy, rx, rx * P(rng, m, 0.5, 0.8)))
    head = S.coverage(S.ellipse(x, y, C + 1.0 - rx, cy - 3.0, 2.5, 2.5))
    beak = S.coverage(S.capsule(x, y, C - rx - 1.0, cy - 3.0, C - rx - 3.5, cy - 2.5, 0.6))
    tail = S.coverage(S.capsule(x, y, C + rx, cy, C + rx + 4.0, cy + P(rng, m, -3.0, 2.0), 1.2))
    return S.union(body, head, beak, tail)


def _cat(x, y, rng, m):
    head_y = P(rng, m, 10.0, 14.0)
    r = P(rng, m, 5.0, 7.0)
    head = S.coverage(S.ellipse(x, y, C, head_y, r, r * 0.9))
    ears = [
        S.coverage(S.trapezoid(x, y, C + side * r * 0.6, head_y - r - 3.5, head_y - r * 0.5, 0.2, 2.6))
        for side in (-1.0, 1.0)
    ]
    body = S.coverage(S.ellipse(x, y, C + P(rng, m, -1, 1), head_y + r + 5.0, r * 1.3, 6.0))
    return S.union(head, *ears, body)


def _quadruped(x, y, rng, m, *, leg_len, neck_len, head_rx):
    body_y = P(rng, m, 13.0, 17.0)
    half_len = P(rng, m, 6.0, 8.5)
    body = S.coverage(S.ellipse(x, y, C + 1.0, body_y, half_len, P(rng, m, 3.0, 4.5)))
    legs = []
    for dx in (-0.7, -0.45, 0.45, 0.7):
        hip_x = C + 1.0 + dx * half_len
        foot_x = hip_x + P(rng, m, -1.5, 1.5)
        legs.append(S.coverage(S.capsule(x, y, hip_x, body_y + 2.0, foot_x, body_y + leg_len, 0.9)))
    neck_x = C + 1.0 - half_len * 0.8
    head_x, head_y = neck_x - 2.0, body_y - neck_len
    neck = S.coverage(S.capsule(x, y, neck_x, body_y - 1.0, head_x, head_y, 1.5))
    head = S.coverage(S.ellipse(x, y, head_x - head_rx * 0.6, head_y, head_rx, 1.8))
    return S.union(body, *legs, neck, head), head_x, head_y


def _deer(x, y, rng, m):
    shape, hx, hy = _quadruped(
        x, y, rng, m, leg_len=P(rng, m, 8.0, 11.0), neck_len=P(rng, m, 6.0, 8.0), head_rx=2.2
    )
    antlers = [
        S.coverage(S.capsule(x, y, hx, hy - 1.0, hx + dx, hy - P(rng, m, 3.0, 5.0), 0.5))
        for dx in (-2.0, 1.5)
    ]
    return S.union(shape, *antlers)


def _horse(x, y, rng, m):
    shape, _, _ = _quadruped(
        x, y, rng, m, leg_len=P(rng, m, 9.0, 12.0), neck_len=P(rng, m, 5.0, 7.0), head_rx=3.5
    )
    return shape


def _dog(x, y, rng, m):
    head_y = P(rng, m, 11.0, 15.0)
    r = P(rng, m, 5.0, 7.0)
    head = S.coverage(S.ellipse(x, y, C, head_y, r * 0.9, r))
    ears = [
        S.coverage(S.ellipse(x, y, C + side * r * 0.95, head_y + 1.0, 2.0, r * 0.8)) for side in (-1.0, 1.0)
    ]
    snout = S.coverage(S.ellipse(x, y, C, head_y + r * 0.6, r * 0.5, r * 0.4))
    body = S.coverage(S.ellipse(x, y, C + P(rng, m, -2, 2), head_y + r + 6.0, r * 1.4, 6.0))
    return S.union(head, *ears, snout, body)


def _frog(x, y, rng, m):
    cy = P(rng, m, 16.0, 21.0)
    rx = P(rng, m, 7.0, 10.0)
    body = S.coverage(S.ellipse(x, y, C, cy, rx, rx * P(rng, m, 0.45, 0.65)))
    eyes = [
        S.coverage(S.ellipse(x, y, C + side * rx * 0.45, cy - rx * 0.5, 1.8, 1.8)) for side in (-1.0, 1.0)
    ]
    legs = [
        S.coverage(S.capsule(x, y, C + side * rx * 0.7, cy + 1.0, C + side * (rx + 2.5), cy + 4.0, 1.3))
        for side in (-1.0, 1.0)
    ]
    return S.union(body, *eyes, *legs)


def _ship(x, y, rng, m):
    deck = P(rng, m, 17.0, 21.0)
    half_len = P(rng, m, 10.0, 14.0)
    hull = S.coverage(S.trapezoid(x, y, C, deck, deck + P(rng, m, 3.0, 5.0), half_len, half_len - 3.0))
    cabin = S.coverage(S.box(x, y, C + P(rng, m, -3, 3), deck - 2.5, P(rng, m, 3.0, 6.0), 2.5))
    mast = S.coverage(S.box(x, y, C + P(rng, m, -5, 5), deck - 6.0, 0.6, P(rng, m, 3.0, 6.0)))
    return S.union(hull, cabin, mast)


def _truck(x, y, rng, m):
    bottom = P(rng, m, 22.0, 25.0)
    cargo_top = bottom - P(rng, m, 12.0, 16.0)
    cargo = S.coverage(
        S.box(
            x,
            y,
            C + 3.0,
            (cargo_top + bottom - 3.0) / 2,
            P(rng, m, 8.0, 10.0),
            (bottom - 3.0 - cargo_top) / 2,
        )
    )
    cab = S.coverage(S.box(x, y, C - 9.0, bottom - 6.0, 3.5, P(rng, m, 4.0, 6.0)))
    wheels = _wheels(x, y, rng, m, (-9.0, 2.0, 9.0), bottom)
    return S.cut(S.union(cargo, cab), wheels * 0.8)


_DRAWERS = (_airplane, _automobile, _bird, _cat, _deer, _dog, _frog, _horse, _ship, _truck)
