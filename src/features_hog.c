/* features_hog.c — CS231n assignment 1's hog_feature (cs231n/features.py), exactly.
 *
 * The assignment, for an image im (rows × cols × 3, float64):
 *   image = im · [0.299, 0.587, 0.144]                 (its rgb2gray)
 *   gx[:, :-1] = np.diff(image, axis=1); gy[:-1, :] = np.diff(image, axis=0)  (else 0)
 *   grad_mag = sqrt(gx² + gy²)
 *   grad_ori = arctan2(gy, gx + 1e-15) · (180 / π) + 90
 *   bin i (0..8) of a pixel: 20i <= grad_ori < 20(i + 1) and grad_ori > 0
 *   cell value = uniform_filter(magnitudes of the bin's pixels, size 8) sampled at
 *                [4::8, 4::8], transposed, raveled (cell, then bin).
 * Every double operation is done here in the same order, so the values are the same
 * bits before the one rounding to float. Its quirks, reproduced (docs/features.md):
 * - blue's weight is 0.144, not 0.114: the weights sum to 1.03;
 * - only gradients with gx + 1e-15 > 0 are binned: the angle is not folded into
 *   [0°, 180°), so a gradient and its opposite are not the same feature (a ramp darkening
 *   to the right gives no HOG at all); the angle 0 (gx = 0, gy < 0, rounded) is dropped;
 * - gx = 0 (a pixel equal to its right neighbour; the whole last column) gives an angle
 *   within ulps of ±90°: counted in bin 8 (gy > 0) or bin 0 (gy < 0) when |gy| is small
 *   (below 2.536 or 5.805), dropped above — the last bit of arctan2 decides. Here the
 *   angle is correctly rounded (near_vertical), as glibc's atan2 gives it;
 * - the last column's gx and the last row's gy are 0 (np.diff, zero filled);
 * - the filter window at a sampled point, [c − 4, c + 3] for c = 8k + 4, is exactly the
 *   cell [8k, 8k + 7]: its "reflect" boundary is never read, and each value is the cell's
 *   mean magnitude; pixels past the last whole cell count only as right or lower
 *   neighbours;
 * - the transposition puts the cells in column-major order. For a non-square image
 *   (where the assignment fails: its histogram has the untransposed shape) the order is
 *   the one the transposition gives: cell columns outer. */
#include "lintrain/features.h"

#include <math.h>

#define CELL LT_FEATURES_HOG_CELL
#define BINS LT_FEATURES_HOG_BINS

/* The assignment's rgb2gray, through np.dot: r·0.299 + g·0.587 + b·0.144, in order. */
static double gray(const uint8_t *image, size_t plane, size_t i)
{
    return 0.299 * (double)image[i] + 0.587 * (double)image[plane + i] +
           0.144 * (double)image[2 * plane + i];
}

/* arctan2(y, x) for 0 < x < 1e-6 |y|: ±(π/2 − atan(t)), t = x / |y|, with π/2 as a sum of
 * two doubles and atan(t) = t − t³/3 (the next term is below 1e-30): correctly rounded
 * unless the exact angle lies within about 1e-22 of halfway between two doubles. */
static double near_vertical(double y, double x)
{
    static const double PIO2_HI = 0x1.921fb54442d18p0;   /* π/2 rounded */
    static const double PIO2_LO = 0x1.1a62633145c07p-54; /* π/2 − PIO2_HI */
    double t = x / fabs(y);
    double angle = PIO2_HI + (PIO2_LO - (t - t * t * t / 3.0));
    return y > 0 ? angle : -angle;
}

/* The bin hog_feature gives the gradient (gx, gy), or -1 when it counts it nowhere. */
static int orientation_bin(double gx, double gy)
{
    static const double DEGREES = 57.29577951308232; /* 180 / np.pi, as NumPy rounds it */
    double x = gx + 1e-15;
    if (x < 0) {
        return -1; /* arctan2 beyond ±90°: grad_ori < 0 or >= 180 */
    }
    double angle = (x > 0 && x < 1e-6 * fabs(gy)) ? near_vertical(gy, x) : atan2(gy, x);
    double ori = angle * DEGREES + 90.0;
    if (!(ori > 0.0 && ori < 180.0)) {
        return -1;
    }
    double width = 180.0 / BINS; /* 20, exactly */
    int bin = (int)(ori / width);
    if (bin > BINS - 1) {
        bin = BINS - 1;
    }
    if (ori < width * bin) { /* the division rounded up to the next edge */
        bin--;
    } else if (ori >= width * (bin + 1)) {
        bin++;
    }
    return bin;
}

/* sums[0 .. 9) += the magnitudes of the cell at pixel (row0, col0), by bin. The gray
 * values of the cell and of its right and lower neighbours go to g first; a neighbour
 * past the image's edge stands for a difference of 0. */
static void cell_sums(const uint8_t *image, size_t height, size_t width, size_t row0,
                      size_t col0, double sums[BINS])
{
    size_t plane = height * width;
    size_t rows = row0 + CELL < height ? CELL + 1 : CELL;
    size_t cols = col0 + CELL < width ? CELL + 1 : CELL;
    double g[CELL + 1][CELL + 1];
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++) {
            g[r][c] = gray(image, plane, (row0 + r) * width + col0 + c);
        }
    }
    for (size_t r = 0; r < CELL; r++) {
        for (size_t c = 0; c < CELL; c++) {
            double gx = c + 1 < cols ? g[r][c + 1] - g[r][c] : 0.0;
            double gy = r + 1 < rows ? g[r + 1][c] - g[r][c] : 0.0;
            double mag = sqrt(gx * gx + gy * gy);
            if (mag == 0.0) {
                continue; /* adds 0 to whichever bin */
            }
            int bin = orientation_bin(gx, gy);
            if (bin >= 0) {
                sums[bin] += mag;
            }
        }
    }
}

size_t lt_features_hog_size(size_t height, size_t width)
{
    return BINS * (height / CELL) * (width / CELL);
}

void lt_features_hog(const uint8_t *image, size_t height, size_t width, float *out)
{
    size_t rows = height / CELL, cols = width / CELL;
    for (size_t cx = 0; cx < cols; cx++) {
        for (size_t cy = 0; cy < rows; cy++) {
            double sums[BINS] = {0};
            cell_sums(image, height, width, cy * CELL, cx * CELL, sums);
            float *o = out + (cx * rows + cy) * BINS;
            for (int b = 0; b < BINS; b++) {
                o[b] = (float)(sums[b] / (CELL * CELL));
            }
        }
    }
}
