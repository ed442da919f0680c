// ElasticTransform's remap maps: x + alpha * gaussian_filter(2u - 1, sigma) (scipy, mode "reflect") for the two
// uniform fields, as albumentations 0.4.6 computes them with approximate=False.
#include "internal.h"
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <cmath>
#include <vector>

namespace {
// scipy.ndimage.gaussian_filter's kernel (truncate 4.0) in float32: taps -radius..radius.
std::vector<float> scipy_gaussian_kernel(double sigma) {
  const int radius = (int)(4.0 * sigma + 0.5);
  std::vector<double> k(2 * radius + 1);
  double sum = 0;
  for (int x = -radius; x <= radius; x++) sum += k[x + radius] = std::exp(-0.5 / (sigma * sigma) * x * x);
  std::vector<float> out(k.size());
  for (size_t i = 0; i < k.size(); i++) out[i] = (float)(k[i] / sum);
  return out;
}

// scipy.ndimage "reflect" (half-sample symmetric) index into [0, n).
inline int reflect_index(int i, int n) {
  const int period = 2 * n;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - 1 - i;
}

// Catmull-Rom weights for fraction t in [0, 1).
inline void cubic_weights(float t, float w[4]) {
  const float t2 = t * t, t3 = t2 * t;
  w[0] = 0.5f * (-t3 + 2 * t2 - t);
  w[1] = 0.5f * (3 * t3 - 5 * t2 + 2);
  w[2] = 0.5f * (-3 * t3 + 4 * t2 + t);
  w[3] = 0.5f * (t3 - t2);
}

// o[x] = half[0] * lo[0][x] + sum over d in 1..r of half[d] * (lo[d][x] + hi[d][x]): one output row of the
// symmetric filter, lo[d] and hi[d] being the input rows d before and after its centre. Columns are summed in
// registers over all taps (two loads per tap pair, no stores). This loop is most of the transform's time: on
// x86-64 Linux it is also built for AVX2 (8 floats a step instead of SSE2's 4) and picked at load time; without
// FMA, so both builds round alike and give the same bits.
#if defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx2", "default")))
#endif
void symmetric_row(const float *const *lo, const float *const *hi, const float *half, int r, int begin, int cols,
                   float *o) {
  constexpr int chunk = 32;
  int x0 = begin;
  for (; x0 + chunk <= cols; x0 += chunk) {
    float acc[chunk];
    for (int j = 0; j < chunk; j++) acc[j] = half[0] * lo[0][x0 + j];
    for (int d = 1; d <= r; d++) {
      const float *a = lo[d] + x0, *b = hi[d] + x0, kd = half[d];
      for (int j = 0; j < chunk; j++) acc[j] += kd * (a[j] + b[j]);
    }
    for (int j = 0; j < chunk; j++) o[x0 + j] = acc[j];
  }
  for (int x = x0; x < cols; x++) {
    float acc = half[0] * lo[0][x];
    for (int d = 1; d <= r; d++) acc += half[d] * (lo[d][x] + hi[d][x]);
    o[x] = acc;
  }
}

// out row g = the kernel k (2r + 1 taps, symmetric) along the rows of `in` (reflected at its ends) centred on
// row step * (g - 1). Both passes of the separable filter use this, the second on the transposed first result,
// so the inner loop always runs along contiguous memory and covers both fields side by side. Strips of 32 columns
// (one 128-byte piece of each of the 2r + 1 input rows an output row reads, 51 KB at sigma 50) go through all
// output rows before the next strip, so consecutive output rows find most of their input in L1/L2.
void filter_rows_at_grid(const cv::Mat &in, const std::vector<float> &k, int step, cv::Mat &out) {
  const int n = in.rows, r = (int)k.size() / 2;
  constexpr int strip = 32;
  std::vector<const float *> lo((size_t)out.rows * (r + 1)), hi((size_t)out.rows * (r + 1));
  for (int g = 0; g < out.rows; g++) {
    const int centre = step * (g - 1);
    for (int d = 0; d <= r; d++) {
      lo[(size_t)g * (r + 1) + d] = in.ptr<float>(reflect_index(centre - d, n));
      hi[(size_t)g * (r + 1) + d] = in.ptr<float>(reflect_index(centre + d, n));
    }
  }
  for (int x0 = 0; x0 < in.cols; x0 += strip) {
    const int x1 = std::min(in.cols, x0 + strip);
    for (int g = 0; g < out.rows; g++)
      symmetric_row(&lo[(size_t)g * (r + 1)], &hi[(size_t)g * (r + 1)], k.data() + r, r, x0, x1, out.ptr<float>(g));
  }
}

// A rows x cols float matrix whose rows are 64 bytes longer than its data: at a row length of a multiple of 4 KB
// (512- or 768-px images: 2 fields x 4 bytes x width) the 401 rows one output row reads would all fall into the
// same cache sets and evict each other; with the pad they spread over all sets (1.7x faster maps at 512 px).
cv::Mat padded(int rows, int cols) { return cv::Mat(rows, cols + 16, CV_32F).colRange(0, cols); }

// (2u - 1) of both fields side by side in one h x 2w matrix, so each filter pass handles the two at once.
cv::Mat centred_pair(const float *noise_x, const float *noise_y, int h, int w) {
  cv::Mat both = padded(h, 2 * w);
  for (int y = 0; y < h; y++) {
    float *o = both.ptr<float>(y);
    const float *u = noise_x + (size_t)y * w, *v = noise_y + (size_t)y * w;
    for (int x = 0; x < w; x++) o[x] = u[x] * 2.f - 1.f;
    for (int x = 0; x < w; x++) o[w + x] = v[x] * 2.f - 1.f;
  }
  return both;
}

// The two smoothed fields on a grid of every `step`-th pixel (positions step * (g - 1), g = 0, 1, ...; one
// point beyond each end for the cubic): exact values of the separable filter there. Returns grid_x | grid_y.
cv::Mat smoothed_grid(const cv::Mat &both, const std::vector<float> &k, int step, int gy_n, int gx_n) {
  const int w = both.cols / 2;
  cv::Mat vert(gy_n, 2 * w, CV_32F);
  filter_rows_at_grid(both, k, step, vert);
  // Columns become rows: (w x 2 gy_n), field x's grid columns on the left, field y's on the right.
  cv::Mat across = padded(w, 2 * gy_n);
  cv::Mat left = across.colRange(0, gy_n), right = across.colRange(gy_n, 2 * gy_n);
  cv::transpose(vert.colRange(0, w), left);
  cv::transpose(vert.colRange(w, 2 * w), right);
  cv::Mat gridT(gx_n, 2 * gy_n, CV_32F);
  filter_rows_at_grid(across, k, step, gridT);
  cv::Mat grid(gy_n, 2 * gx_n, CV_32F);
  cv::Mat gl = grid.colRange(0, gx_n), gr = grid.colRange(gx_n, 2 * gx_n);
  cv::transpose(gridT.colRange(0, gy_n), gl);
  cv::transpose(gridT.colRange(gy_n, 2 * gy_n), gr);
  return grid;
}

// One row of the maps from its cubic-interpolated grid row (rowx, rowy: the fields at every step-th pixel, one
// point early): fx, fy are the fields at every pixel, then map = float32(x + float32(field * alpha)), the float
// maps albumentations hands to cv2.remap, stored as remap's own fixed-point form of them (cvRound(v * 32): integer
// part and 1/32 fraction; rint rounds the same, half to even) so remap gives the bits it gives for float maps
// without converting them itself. Also built for AVX2 and picked at load time (as symmetric_row): the same
// operations in the same order, no FMA, so the same bits; full 8-pixel cells take a fixed-length loop the
// compiler vectorizes.
#if defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx2", "default")))
#endif
void map_row(const float *rowx, const float *rowy, const float *wp, int step, int w, int y, double alpha,
             float *__restrict fx, float *__restrict fy, short *m, ushort *a) {
  const float *w0 = wp, *w1 = wp + step, *w2 = wp + 2 * step, *w3 = wp + 3 * step;
  int c = 0, x0 = 0;
  if (step == 8) {
    float v0[8], v1[8], v2[8], v3[8];  // the weights in locals: no store can alias them, the j loop vectorizes
    for (int j = 0; j < 8; j++) v0[j] = w0[j], v1[j] = w1[j], v2[j] = w2[j], v3[j] = w3[j];
    for (; x0 + 8 <= w; c++, x0 += 8) {
      const float x_0 = rowx[c], x_1 = rowx[c + 1], x_2 = rowx[c + 2], x_3 = rowx[c + 3];
      const float y_0 = rowy[c], y_1 = rowy[c + 1], y_2 = rowy[c + 2], y_3 = rowy[c + 3];
      for (int j = 0; j < 8; j++) {
        fx[x0 + j] = v0[j] * x_0 + v1[j] * x_1 + v2[j] * x_2 + v3[j] * x_3;
        fy[x0 + j] = v0[j] * y_0 + v1[j] * y_1 + v2[j] * y_2 + v3[j] * y_3;
      }
    }
  }
  for (; x0 < w; c++, x0 += step) {
    const int n = std::min(step, w - x0);
    const float *cx = rowx + c, *cy = rowy + c;
    for (int j = 0; j < n; j++) {
      fx[x0 + j] = w0[j] * cx[0] + w1[j] * cx[1] + w2[j] * cx[2] + w3[j] * cx[3];
      fy[x0 + j] = w0[j] * cy[0] + w1[j] * cy[1] + w2[j] * cy[2] + w3[j] * cy[3];
    }
  }
  constexpr int bits = cv::INTER_BITS, mask = cv::INTER_TAB_SIZE - 1;
  for (int x = 0; x < w; x++) {
    const float mx = (float)x + (float)(fx[x] * alpha), my = (float)y + (float)(fy[x] * alpha);
    const int sx = (int)std::rint(mx * (float)cv::INTER_TAB_SIZE), sy = (int)std::rint(my * (float)cv::INTER_TAB_SIZE);
    m[2 * x] = (short)std::min(32767, std::max(-32768, sx >> bits));
    m[2 * x + 1] = (short)std::min(32767, std::max(-32768, sy >> bits));
    a[x] = (ushort)((sy & mask) * cv::INTER_TAB_SIZE + (sx & mask));
  }
}

}  // namespace

namespace cimage {
void elastic_maps(const float *noise_x, const float *noise_y, int h, int w, double alpha, double sigma, cv::Mat &xy,
                  cv::Mat &frac) {
  xy.create(h, w, CV_16SC2);
  frac.create(h, w, CV_16UC1);
  const std::vector<float> k = scipy_gaussian_kernel(sigma);
  const cv::Mat both = centred_pair(noise_x, noise_y, h, w);
  // For sigma = 50 the smoothed field has no content an 8-px grid cannot carry except the truncated kernel's ~1e-5
  // side lobes: exact on every 8th pixel and cubic in between is within 2e-6 of scipy's float64 result (rms 4e-7,
  // 5e-4 of the field's spread; 6e-6 px at the original's alpha 3), while the 401-tap filter runs on an eighth of
  // the rows and 1/64 of the points. A 4-px grid halves that error for 1.4x the time of the whole transform.
  // Small sigmas and images take step 1, where the cubic's weights are (0, 1, 0, 0): every pixel exact.
  const int step = (sigma >= 8 && std::min(h, w) >= 64) ? 8 : 1;
  const int gy_n = (h - 1) / step + 4, gx_n = (w - 1) / step + 4;
  const cv::Mat grid = smoothed_grid(both, k, step, gy_n, gx_n);
  // Cubic weights by phase (pixel x is phase x % step of grid cell x / step).
  std::vector<float> wp(4 * step), rowx(gx_n), rowy(gx_n), fx(w), fy(w);
  for (int j = 0; j < step; j++) {
    float q[4];
    cubic_weights((float)j / step, q);
    for (int i = 0; i < 4; i++) wp[i * step + j] = q[i];
  }
  for (int y = 0; y < h; y++) {
    float wy[4];
    cubic_weights((float)(y % step) / step, wy);
    const float *g[4];
    for (int j = 0; j < 4; j++) g[j] = grid.ptr<float>(y / step + j);  // cell y / step starts one point early
    for (int c = 0; c < gx_n; c++) {
      rowx[c] = wy[0] * g[0][c] + wy[1] * g[1][c] + wy[2] * g[2][c] + wy[3] * g[3][c];
      rowy[c] = wy[0] * g[0][gx_n + c] + wy[1] * g[1][gx_n + c] + wy[2] * g[2][gx_n + c] + wy[3] * g[3][gx_n + c];
    }
    map_row(rowx.data(), rowy.data(), wp.data(), step, w, y, alpha, fx.data(), fy.data(), xy.ptr<short>(y),
            frac.ptr<ushort>(y));
  }
}
}  // namespace cimage
