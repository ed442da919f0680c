// The pixel work of the training transforms: the same OpenCV calls (and numpy arithmetic, reproduced in C++)
// that albumentations 0.4.6's functional module makes for uint8 RGB images.
#include "cimage.h"
#include "internal.h"
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <cmath>
#include <vector>

namespace {
cv::Mat rgb(const uint8_t *p, int h, int w) { return cv::Mat(h, w, CV_8UC3, const_cast<uint8_t *>(p)); }

// numpy.linspace(start, stop, n) in float64, written into float32 (as the grid distortion stores it).
void linspace(float *out, double start, double stop, int n) {
  if (n <= 0) return;
  if (n == 1) {
    out[0] = (float)start;
    return;
  }
  double step = (stop - start) / (n - 1);
  for (int i = 0; i < n; i++) out[i] = (float)(start + i * step);
  out[n - 1] = (float)stop;
}

// albumentations' grid_distortion axis: piecewise-linear positions for the cells of one axis.
void grid_axis(std::vector<float> &v, int size, int num_steps, const double *steps) {
  v.assign(size, 0.f);
  int step = size / num_steps;
  double prev = 0;
  for (int idx = 0; idx <= num_steps; idx++) {
    int start = idx * step, end = start + step;
    double cur;
    if (end > size) {
      end = size;
      cur = size;
    } else {
      cur = prev + step * steps[idx];
    }
    if (end > start) linspace(v.data() + start, prev, cur, end - start);
    prev = cur;
  }
}

}  // namespace

extern "C" {
int ci_dihedral_lut(const uint8_t *src, int h, int w, int code, const uint8_t *lut, uint8_t *dst) {
  const bool transpose = code & 1, vflip = code & 2, hflip = code & 4;
  const int out_h = transpose ? w : h, out_w = transpose ? h : w;
  // Moving one output column moves `along` bytes in src; one output row moves `across` bytes.
  const ptrdiff_t row = (ptrdiff_t)w * 3;
  ptrdiff_t along = transpose ? row : 3, across = transpose ? 3 : row;
  const uint8_t *origin = src;
  if (vflip) {
    origin += (out_h - 1) * across;
    across = -across;
  }
  if (hflip) {
    origin += (out_w - 1) * along;
    along = -along;
  }
  // Square tiles: with a transpose, one output row walks down a source column; a tile's rows then read the same
  // few source cache lines instead of one line per pixel.
  const int tile = transpose ? 32 : out_w;
  for (int ty = 0; ty < out_h; ty += tile) {
    const int y1 = std::min(out_h, ty + tile);
    for (int tx = 0; tx < out_w; tx += tile) {
      const int n = std::min(out_w, tx + tile) - tx;
      for (int y = ty; y < y1; y++) {
        const uint8_t *s = origin + y * across + tx * along;
        uint8_t *d = dst + ((size_t)y * out_w + tx) * 3;
        if (lut) {
          for (int x = 0; x < n; x++, s += along, d += 3) {
            d[0] = lut[s[0]];
            d[1] = lut[s[1]];
            d[2] = lut[s[2]];
          }
        } else {
          for (int x = 0; x < n; x++, s += along, d += 3) {
            d[0] = s[0];
            d[1] = s[1];
            d[2] = s[2];
          }
        }
      }
    }
  }
  return 0;
}

int ci_lut(const uint8_t *src, int h, int w, const uint8_t *lut, uint8_t *dst) {
  CI_TRY({
    cv::Mat out = rgb(dst, h, w);
    cv::LUT(rgb(src, h, w), cv::Mat(1, 256, CV_8U, const_cast<uint8_t *>(lut)), out);
  })
}

int ci_motion_kernel(int ksize, int xs, int ys, int xe, int ye, float *kernel) {
  CI_TRY({
    cv::Mat k = cv::Mat::zeros(ksize, ksize, CV_8U);
    cv::line(k, cv::Point(xs, ys), cv::Point(xe, ye), cv::Scalar(1), 1);
    double sum = cv::sum(k)[0];
    for (int i = 0; i < ksize * ksize; i++) kernel[i] = (float)k.data[i] / (float)sum;
  })
}

int ci_filter2d(const uint8_t *src, int h, int w, const float *kernel, int ksize, uint8_t *dst) {
  CI_TRY({
    cv::Mat out = rgb(dst, h, w);
    cv::filter2D(rgb(src, h, w), out, -1, cv::Mat(ksize, ksize, CV_32F, const_cast<float *>(kernel)));
  })
}

int ci_median_blur(const uint8_t *src, int h, int w, int ksize, uint8_t *dst) {
  CI_TRY({
    cv::Mat out = rgb(dst, h, w);
    cv::medianBlur(rgb(src, h, w), out, ksize);
  })
}

int ci_gaussian_blur(const uint8_t *src, int h, int w, int ksize, uint8_t *dst) {
  CI_TRY({
    cv::Mat out = rgb(dst, h, w);
    cv::GaussianBlur(rgb(src, h, w), out, cv::Size(ksize, ksize), 0);
  })
}

int ci_gauss_noise(const uint8_t *src, int h, int w, const float *noise, uint8_t *dst) {
  // float32 image + noise, clipped, then astype(uint8) truncates toward zero.
  size_t n = (size_t)h * w * 3;
  for (size_t i = 0; i < n; i++) {
    float v = (float)src[i] + noise[i];
    v = v < 0.f ? 0.f : (v > 255.f ? 255.f : v);
    dst[i] = (uint8_t)v;
  }
  return 0;
}

int ci_rng_fill(uint64_t seed, int normal, double a, double b, float *out, size_t n) {
  // cv::RNG(seed).fill(1 x n CV_32F, NORMAL or UNIFORM, a, b), number for number (rng.cpp; ci_rng_check).
  CI_TRY({ cimage::rng_fill(seed ? seed : 1, normal != 0, a, b, out, n); })
}

int ci_optical_distortion(const uint8_t *src, int h, int w, double k, double dx, double dy, uint8_t *dst) {
  CI_TRY({
    // cv2.initUndistortRectifyMap(camera, [k, k, 0, 0, 0], None, None, (w, h), CV_32FC1) lives in calib3d, which
    // Debian ships apart; its map for this case: the new camera matrix is OpenCV's default one (principal point
    // at the pixel centre ((w-1)/2, (h-1)/2)), and points are distorted radially around (cx, cy).
    const double fx = (float)w, fy = (float)h;
    const double u0 = (float)(w * 0.5 + dx), v0 = (float)(h * 0.5 + dy);
    const double k1 = (float)k, k2 = (float)k;
    const double nu0 = (w - 1) * 0.5, nv0 = (h - 1) * 0.5;
    cv::Mat map1(h, w, CV_32F), map2(h, w, CV_32F);
    for (int i = 0; i < h; i++) {
      float *m1 = map1.ptr<float>(i), *m2 = map2.ptr<float>(i);
      const double y = (i - nv0) / fy, y2 = y * y;
      for (int j = 0; j < w; j++) {
        const double x = (j - nu0) / fx, r2 = x * x + y2;
        const double kr = 1 + (k2 * r2 + k1) * r2;
        m1[j] = (float)(fx * x * kr + u0);
        m2[j] = (float)(fy * y * kr + v0);
      }
    }
    cv::Mat out = rgb(dst, h, w);
    cv::remap(rgb(src, h, w), out, map1, map2, cv::INTER_LINEAR, cv::BORDER_REFLECT_101);
  })
}

int ci_grid_distortion(const uint8_t *src, int h, int w, int num_steps, const double *xsteps, const double *ysteps,
                       uint8_t *dst) {
  CI_TRY({
    std::vector<float> xx, yy;
    grid_axis(xx, w, num_steps, xsteps);
    grid_axis(yy, h, num_steps, ysteps);
    cv::Mat map_x(h, w, CV_32F), map_y(h, w, CV_32F);
    for (int y = 0; y < h; y++) {
      float *mx = map_x.ptr<float>(y), *my = map_y.ptr<float>(y);
      for (int x = 0; x < w; x++) {
        mx[x] = xx[x];
        my[x] = yy[y];
      }
    }
    cv::Mat out = rgb(dst, h, w);
    cv::remap(rgb(src, h, w), out, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_REFLECT_101);
  })
}

int ci_elastic(const uint8_t *src, int h, int w, double alpha, double sigma, const float *jitter,
               const float *noise_x, const float *noise_y, uint8_t *dst) {
  CI_TRY({
    // Random affine: albumentations builds its points in (row, column) order and hands them to OpenCV as (x, y);
    // kept as is because that is what the original trained with.
    float cs0 = (float)(h / 2), cs1 = (float)(w / 2);
    float ss = (float)(std::min(h, w) / 3);
    cv::Point2f p1[3] = {{cs0 + ss, cs1 + ss}, {cs0 + ss, cs1 - ss}, {cs0 - ss, cs1 - ss}};
    cv::Point2f p2[3];
    for (int i = 0; i < 3; i++) p2[i] = cv::Point2f(p1[i].x + jitter[2 * i], p1[i].y + jitter[2 * i + 1]);
    cv::Mat m = cv::getAffineTransform(p1, p2);
    cv::Mat warped;
    cv::warpAffine(rgb(src, h, w), warped, m, cv::Size(w, h), cv::INTER_LINEAR, cv::BORDER_REFLECT_101);

    cv::Mat xy, frac;
    cimage::elastic_maps(noise_x, noise_y, h, w, alpha, sigma, xy, frac);
    cv::Mat out = rgb(dst, h, w);
    cv::remap(warped, out, xy, frac, cv::INTER_LINEAR, cv::BORDER_REFLECT_101);
  })
}

int ci_hsv_shift(const uint8_t *src, int h, int w, double hue, double sat, double val, uint8_t *dst) {
  CI_TRY({
    // numpy: (arange(256, int16) + shift) in float64, mod 180 / clip, then astype(uint8) truncates.
    uint8_t lut[3][256];
    for (int i = 0; i < 256; i++) {
      double hv = std::fmod(i + hue, 180.0);
      if (hv < 0) hv += 180.0;
      lut[0][i] = (uint8_t)hv;
      lut[1][i] = (uint8_t)std::min(255.0, std::max(0.0, i + sat));
      lut[2][i] = (uint8_t)std::min(255.0, std::max(0.0, i + val));
    }
    cv::Mat hsv;
    cv::cvtColor(rgb(src, h, w), hsv, cv::COLOR_RGB2HSV);
    size_t n = (size_t)h * w;
    uint8_t *p = hsv.data;
    for (size_t i = 0; i < n; i++, p += 3) {
      p[0] = lut[0][p[0]];
      p[1] = lut[1][p[1]];
      p[2] = lut[2][p[2]];
    }
    cv::Mat out = rgb(dst, h, w);
    cv::cvtColor(hsv, out, cv::COLOR_HSV2RGB);
  })
}

int ci_shift_scale_rotate(const uint8_t *src, int h, int w, double angle, double scale, double dx, double dy,
                          int border, uint8_t *dst) {
  CI_TRY({
    cv::Mat m = cv::getRotationMatrix2D(cv::Point2f((float)(w / 2.0), (float)(h / 2.0)), angle, scale);
    m.at<double>(0, 2) += dx * w;
    m.at<double>(1, 2) += dy * h;
    cv::Mat out = rgb(dst, h, w);
    cv::warpAffine(rgb(src, h, w), out, m, cv::Size(w, h), cv::INTER_LINEAR, border, cv::Scalar());
  })
}

int ci_resize(const uint8_t *src, int h, int w, int out_h, int out_w, uint8_t *dst) {
  CI_TRY({
    cv::Mat out = rgb(dst, out_h, out_w);
    if (h == out_h && w == out_w)
      rgb(src, h, w).copyTo(out);
    else
      cv::resize(rgb(src, h, w), out, cv::Size(out_w, out_h), 0, 0, cv::INTER_LINEAR);
  })
}

int ci_normalize_chw(const uint8_t *src, int h, int w, const float *mean, const float *std, float *dst) {
  float m[3], r[3];
  for (int c = 0; c < 3; c++) {
    m[c] = mean[c] * 255.0f;
    r[c] = 1.0f / (std[c] * 255.0f);
  }
  size_t n = (size_t)h * w;
  float *d0 = dst, *d1 = dst + n, *d2 = dst + 2 * n;
  for (size_t i = 0; i < n; i++, src += 3) {
    d0[i] = ((float)src[0] - m[0]) * r[0];
    d1[i] = ((float)src[1] - m[1]) * r[1];
    d2[i] = ((float)src[2] - m[2]) * r[2];
  }
  return 0;
}
}
