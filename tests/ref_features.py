#!/usr/bin/python3
"""ref_features.py: the NumPy reference test_features checks src/features_*.c against.

CS231n assignment 1's two hand-crafted features (cs231n/features.py), written again
from their definitions with NumPy alone:

- hog_feature: grayscale with the assignment's weights (0.299, 0.587, 0.144), forward
  differences (the last column's x and the last row's y difference are 0), angle
  arctan2(gy, gx + 1e-15) in degrees + 90, 9 bins [20i, 20(i+1)) of it that keep only
  angles > 0, scipy.ndimage.uniform_filter(size 8, mode "reflect") sampled at [4::8,
  4::8] and transposed, raveled.
- color_histogram_hsv: matplotlib.colors.rgb_to_hsv of image / 255, hue * 255, counted
  by np.histogram over np.linspace(0, 255, bins + 1) with density=True, times the bin
  widths.

SciPy's uniform_filter and matplotlib's rgb_to_hsv are re-implemented here (below, from
their documented definitions) so that the test needs NumPy only.

One deliberate departure from a plain np.arctan2: where gx is 0 (gx + 1e-15 is the
bare 1e-15), the angle is within a few ulps of +-90 degrees, and whether it lands in
bin 0, bin 8 or no bin at all depends on the last bit of arctan2. There the angle is
computed exactly (fractions) and rounded once: hog_feature as a correctly rounded
arctan2 defines it. NumPy's SIMD arctan2 (AVX-512 builds) is one ulp off there.

usage: ref_features.py IN.bin SIZE COUNT BINS OUT
  IN.bin: records of 1 label byte + 3 planes (R, G, B) of SIZE x SIZE bytes, row-major
  (CIFAR-10's layout when SIZE is 32); the first COUNT records are read.
  OUT: COUNT rows of hog_feature (9 * (SIZE // 8)^2 values) then color_histogram_hsv
  (BINS values), float64 little-endian, row after row.
"""
import sys
from fractions import Fraction

import numpy as np

GRAY_WEIGHTS = [0.299, 0.587, 0.144]  # the assignment's rgb2gray (0.144, not 0.114)
ORIENTATIONS = 9
CELL = 8
PI = Fraction("3.14159265358979323846264338327950288419716939937510582097494459230781640")


def read_images(path, size, count):
    """count images as the notebook holds them: (count, size, size, 3) float64."""
    record = 1 + 3 * size * size
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size < record * count:
        sys.exit("ref_features.py: %s holds fewer than %d records" % (path, count))
    planes = raw[: record * count].reshape(count, record)[:, 1:]
    return planes.reshape(count, 3, size, size).transpose(0, 2, 3, 1).astype(np.float64)


def uniform_filter1d_reflect(a, size, axis):
    """scipy.ndimage.uniform_filter1d(a, size, axis, mode="reflect", origin=0): the mean
    of a[i - size // 2 .. i + (size - 1) // 2] along axis, the array extended by its
    mirror image edge sample included (d c b a | a b c d | d c b a: NumPy's
    "symmetric" padding)."""
    before = size // 2
    pad = [(0, 0)] * a.ndim
    pad[axis] = (before, size - before - 1)
    padded = np.pad(a, pad, mode="symmetric")
    n = a.shape[axis]
    total = np.zeros_like(a)
    for k in range(size):
        total += np.take(padded, np.arange(k, k + n), axis=axis)
    return total / size


def uniform_filter_reflect(a, size):
    """scipy.ndimage.uniform_filter(a, size): the 1-D filter along every axis in turn."""
    for axis in range(a.ndim):
        a = uniform_filter1d_reflect(a, size, axis)
    return a


def exact_near_vertical(y, x):
    """arctan2(y, x) correctly rounded for 0 < x < 1e-6 |y|: sign(y) (pi/2 - atan(t)),
    t = x / |y| exactly, atan's series to three terms (an error below t^7 / 7 < 1e-42)."""
    t = Fraction(x) / Fraction(abs(y))
    angle = float(PI / 2 - (t - t**3 / 3 + t**5 / 5))
    return angle if y > 0 else -angle


def arctan2_plus(gy, gx):
    """np.arctan2(gy, gx + 1e-15) with the angles within 1e-6 of +-90 degrees (gx + 1e-15
    positive and below 1e-6 |gy|: gx is 0, or a few ulps where two colours have the same
    gray) computed exactly. Elsewhere no bin edge lies within ulps of an angle, so any
    faithful arctan2 gives the same bins; gx + 1e-15 < 0 is never binned."""
    x = gx + 1e-15
    angle = np.arctan2(gy, x)
    near = (x > 0) & (x < 1e-6 * np.abs(gy))
    cache = {}
    for index in zip(*np.nonzero(near)):
        key = (float(gy[index]), float(x[index]))
        if key not in cache:
            cache[key] = exact_near_vertical(*key)
        angle[index] = cache[key]
    return angle


def hog_feature(im):
    image = np.dot(im, GRAY_WEIGHTS)
    rows, cols = image.shape
    gx = np.zeros(image.shape)
    gy = np.zeros(image.shape)
    gx[:, :-1] = np.diff(image, n=1, axis=1)
    gy[:-1, :] = np.diff(image, n=1, axis=0)
    magnitude = np.sqrt(gx**2 + gy**2)
    degrees = arctan2_plus(gy, gx) * (180 / np.pi) + 90
    cells = np.zeros((rows // CELL, cols // CELL, ORIENTATIONS))
    width = 180 / ORIENTATIONS
    for i in range(ORIENTATIONS):
        inside = (degrees >= width * i) & (degrees < width * (i + 1))
        kept = np.where(inside, degrees, 0) > 0  # an angle of exactly 0 is dropped
        filtered = uniform_filter_reflect(np.where(kept, magnitude, 0), CELL)
        cells[:, :, i] = filtered[CELL // 2 :: CELL, CELL // 2 :: CELL].T
    return cells.ravel()


def hue(rgb):
    """matplotlib.colors.rgb_to_hsv(rgb)[..., 0]: 0 where max == min; otherwise from the
    channel that is the maximum, blue before green before red on ties."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    top = rgb.max(-1)
    delta = top - rgb.min(-1)
    some = delta > 0
    div = np.where(some, delta, 1.0)
    h = np.zeros_like(top)
    h = np.where(some & (r == top), (g - b) / div, h)
    h = np.where(some & (g == top), 2.0 + (b - r) / div, h)
    h = np.where(some & (b == top), 4.0 + (r - g) / div, h)
    return (h / 6.0) % 1.0


def color_histogram_hsv(im, nbin):
    edges = np.linspace(0, 255, nbin + 1)
    counts, edges = np.histogram(hue(im / 255) * 255, bins=edges, density=True)
    return counts * np.diff(edges)


def main(argv):
    if len(argv) != 6:
        sys.exit(__doc__)
    path, size, count, nbin, out = argv[1], int(argv[2]), int(argv[3]), int(argv[4]), argv[5]
    images = read_images(path, size, count)
    rows = [np.concatenate([hog_feature(im), color_histogram_hsv(im, nbin)]) for im in images]
    np.asarray(rows, dtype="<f8").tofile(out)


if __name__ == "__main__":
    main(sys.argv)
