/* features_hue.c — CS231n assignment 1's color_histogram_hsv (cs231n/features.py), exactly.
 *
 * The assignment, for an image im (rows × cols × 3, float64) and nbin bins:
 *   edges = np.linspace(0, 255, nbin + 1)
 *   hue = matplotlib.colors.rgb_to_hsv(im / 255)[..., 0] · 255
 *   n, edges = np.histogram(hue, bins=edges, density=True); return n · np.diff(edges)
 * matplotlib's hue: 0 where max == min (grays); otherwise from the channel holding the
 * maximum — blue before green before red when two tie — h = (g − b)/Δ (red),
 * 2 + (b − r)/Δ (green), 4 + (r − g)/Δ (blue), Δ = max − min, then (h / 6) mod 1
 * (Python's mod: in [0, 1)). np.histogram with explicit edges: bin i holds edges[i] <=
 * v < edges[i + 1], the last bin closed; linspace's edges are i · (255 / nbin), the last
 * exactly 255; density divides the counts by the bin widths and the total, the
 * assignment multiplies the widths back. Every double operation is done here in the same
 * order, so a hue on an edge falls in the same bin (docs/features.md). */
#include "lintrain/features.h"

/* rgb_to_hsv's hue of the pixel (r, g, b in [0, 1]), times 255. */
static double hue255(double r, double g, double b)
{
    double top = r > g ? r : g, bottom = r < g ? r : g;
    top = b > top ? b : top;
    bottom = b < bottom ? b : bottom;
    double delta = top - bottom, h = 0.0;
    if (delta > 0) {
        if (b == top) {
            h = 4.0 + (r - g) / delta;
        } else if (g == top) {
            h = 2.0 + (b - r) / delta;
        } else {
            h = (g - b) / delta;
        }
    }
    /* (h / 6) % 1.0, Python's mod (the divisor's sign); h is in [−1, 5], so h / 6 is in
     * (−1, 1), where fmod is the identity: only negatives move, by 1. */
    double m = h / 6.0;
    if (m < 0) {
        m += 1.0;
    }
    return m * 255.0;
}

/* np.linspace(0, 255, bins + 1)[i]. */
static double edge(size_t i, size_t bins)
{
    return i == bins ? 255.0 : (double)i * (255.0 / (double)bins);
}

/* The bin np.histogram puts v in (v in [0, 255]); step = 255 / bins. A first guess by
 * multiplying, then moved to the bin whose edges hold v, as compared in NumPy. */
static size_t bin_of(double v, size_t bins, double per_unit)
{
    size_t k = (size_t)(v * per_unit);
    if (k > bins - 1) {
        k = bins - 1;
    }
    while (k > 0 && v < edge(k, bins)) {
        k--;
    }
    while (k + 1 < bins && v >= edge(k + 1, bins)) {
        k++;
    }
    return k;
}

void lt_features_hue(const uint8_t *image, size_t height, size_t width, size_t bins,
                     float *out)
{
    size_t plane = height * width;
    double level[256], per_unit = (double)bins / 255.0; /* level: im / 255 */
    for (int v = 0; v < 256; v++) {
        level[v] = (double)v / 255.0;
    }
    for (size_t k = 0; k < bins; k++) {
        out[k] = 0.0f; /* counts, exact in float up to 2^24 */
    }
    for (size_t i = 0; i < plane; i++) {
        double h = hue255(level[image[i]], level[image[plane + i]], level[image[2 * plane + i]]);
        out[bin_of(h, bins, per_unit)] += 1.0f;
    }
    double total = (double)plane;
    for (size_t k = 0; k < bins; k++) {
        double db = edge(k + 1, bins) - edge(k, bins);
        out[k] = (float)((double)out[k] / db / total * db);
    }
}
